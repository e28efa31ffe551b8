//! Outbound HTTP for link previews: the one place the daemon fetches what a user names.
//!
//! A layer beside `store` and `bus`: services call it, it calls nothing of ours. Every hop goes
//! through the same steps: the [`guard`] checks the URL; a name is resolved once, by the
//! [`Resolver`]; the guard checks every address; the [`Transport`] connects to exactly those
//! addresses (it never resolves). So DNS rebinding (a second answer between check and connect)
//! has nothing to act on, and a redirect is one more hop, checked from the start.
//!
//! Both seams are traits so the guard's decisions are tested with a stub resolver and a transport
//! that records instead of connecting: no test traffic leaves the machine.

pub mod guard;
pub mod page;
pub mod transport;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use url::Url;

pub use guard::{AddressGuard, Refusal};

/// Redirects followed per fetch; the fourth is refused.
pub const MAX_REDIRECTS: usize = 3;

/// Why a fetch failed; the service maps each to an API error code.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL does not parse, or is not one we fetch (scheme, credentials).
    #[error("{0}")]
    InvalidUrl(String),
    /// The guard refused the host's address (or one of them).
    #[error("{0}")]
    Blocked(Refusal),
    /// The answer is not of a content type we read.
    #[error("the link leads to {0}, not {1}")]
    WrongType(String, &'static str),
    /// The answer is larger than we keep (images only: pages are cut and parsed).
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The whole fetch, redirects and body included, took longer than allowed.
    #[error("the site did not answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The site could not be reached, answered an error, or redirected too often.
    #[error("{0}")]
    Upstream(String),
}

impl From<Refusal> for FetchError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Address { .. } | Refusal::NoHost => FetchError::Blocked(refusal),
            Refusal::Scheme(_) | Refusal::Credentials => {
                FetchError::InvalidUrl(refusal.to_string())
            }
        }
    }
}

/// Turns a host name into addresses. One call per hop: its answer is what gets checked and used.
#[async_trait]
pub trait Resolver: Send + Sync {
    /// Every address `host` resolves to (the order is irrelevant: all must pass the guard).
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// One GET to a URL whose addresses are fixed in advance.
#[async_trait]
pub trait Transport: Send + Sync {
    /// Sends `GET url` to one of `addrs` (never resolving anything) with `accept` as its Accept
    /// header, and returns the answer's head with its body still unread.
    async fn get(
        &self,
        url: &Url,
        addrs: &[IpAddr],
        accept: &'static str,
    ) -> Result<Answer, FetchError>;
}

/// An answer whose body is read chunk by chunk, so the reader stops at its cap.
pub struct Answer {
    pub status: u16,
    /// `Location`, for redirects.
    pub location: Option<String>,
    pub content_type: Option<String>,
    /// `Content-Length` when the server declared one.
    pub content_length: Option<u64>,
    pub body: Box<dyn Body>,
}

/// An answer's body.
#[async_trait]
pub trait Body: Send {
    /// The next chunk, or `None` at the end.
    async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError>;
}

/// What a fetch is for: decides the Accept header, the content types taken, and what happens
/// past the size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// A page: cut at the cap and parsed as far as read.
    Html,
    /// An image: refused past the cap (half an image is no image).
    Image,
}

/// Image types served through the preview proxy. Not SVG: it is a document that can carry script.
const IMAGE_TYPES: [&str; 6] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/bmp",
];

impl Wanted {
    fn accept(self) -> &'static str {
        match self {
            Wanted::Html => "text/html,application/xhtml+xml;q=0.9",
            Wanted::Image => "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9",
        }
    }

    /// The content type's essence if it is one we take.
    fn admits(self, content_type: Option<&str>) -> Result<String, FetchError> {
        let essence = content_type
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let ok = match self {
            Wanted::Html => essence == "text/html" || essence == "application/xhtml+xml",
            Wanted::Image => IMAGE_TYPES.contains(&essence.as_str()),
        };
        if ok {
            return Ok(essence);
        }
        let shown = if essence.is_empty() {
            "an answer without a content type".to_owned()
        } else {
            essence
        };
        Err(FetchError::WrongType(
            shown,
            match self {
                Wanted::Html => "an HTML page",
                Wanted::Image => "a PNG, JPEG, GIF, WebP, AVIF or BMP image",
            },
        ))
    }
}

/// A fetched answer.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where the last redirect led.
    pub final_url: Url,
    /// The checked content type's essence (`text/html`, `image/png`…).
    pub content_type: String,
    /// The `charset` parameter of the answer's Content-Type, if any.
    pub charset: Option<String>,
    pub body: Bytes,
    /// Whether reading stopped at the cap with more to come.
    pub truncated: bool,
}

/// The guarded fetcher.
#[derive(Clone)]
pub struct Fetcher {
    guard: AddressGuard,
    resolver: Arc<dyn Resolver>,
    transport: Arc<dyn Transport>,
    timeout: Duration,
}

impl Fetcher {
    /// A fetcher over the given seams; `timeout` bounds a whole fetch.
    pub fn new(
        guard: AddressGuard,
        resolver: Arc<dyn Resolver>,
        transport: Arc<dyn Transport>,
        timeout: Duration,
    ) -> Self {
        Self {
            guard,
            resolver,
            transport,
            timeout,
        }
    }

    /// The rules this fetcher applies.
    pub fn guard(&self) -> &AddressGuard {
        &self.guard
    }

    /// Fetches `url` (following at most [`MAX_REDIRECTS`] redirects, each checked as the first
    /// URL was) and reads at most `max_bytes` of the body, all within the configured time.
    pub async fn fetch(
        &self,
        url: &Url,
        wanted: Wanted,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        // One deadline over everything: a server dripping a byte a second is cut off like a
        // silent one, however many small reads it answers.
        tokio::time::timeout(self.timeout, self.fetch_within(url, wanted, max_bytes))
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))?
    }

    async fn fetch_within(
        &self,
        url: &Url,
        wanted: Wanted,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        let mut redirects = 0;
        loop {
            let addrs = self.addresses(&url).await?;
            let answer = self.transport.get(&url, &addrs, wanted.accept()).await?;
            if matches!(answer.status, 301 | 302 | 303 | 307 | 308) {
                if redirects == MAX_REDIRECTS {
                    return Err(FetchError::Upstream(format!(
                        "the link redirects more than {MAX_REDIRECTS} times"
                    )));
                }
                redirects += 1;
                let location = answer.location.ok_or_else(|| {
                    FetchError::Upstream("the site redirected without saying where".into())
                })?;
                url = url.join(&location).map_err(|e| {
                    FetchError::Upstream(format!("the site redirected to an invalid URL: {e}"))
                })?;
                continue;
            }
            if !(200..300).contains(&answer.status) {
                return Err(FetchError::Upstream(format!(
                    "the site answered HTTP {}",
                    answer.status
                )));
            }
            let content_type = wanted.admits(answer.content_type.as_deref())?;
            let charset = answer.content_type.as_deref().and_then(charset_param);
            if wanted == Wanted::Image
                && answer.content_length.is_some_and(|n| n > max_bytes as u64)
            {
                return Err(FetchError::TooLarge(max_bytes));
            }
            let (body, truncated) = read_capped(answer.body, max_bytes).await?;
            if truncated && wanted == Wanted::Image {
                return Err(FetchError::TooLarge(max_bytes));
            }
            return Ok(Fetched {
                final_url: url,
                content_type,
                charset,
                body,
                truncated,
            });
        }
    }

    /// The addresses `url` may be fetched from: its literal address, or every address its host
    /// resolves to (one resolution), all accepted by the guard.
    async fn addresses(&self, url: &Url) -> Result<Vec<IpAddr>, FetchError> {
        match self.guard.check_url(url)? {
            guard::Destination::Address(addr) => Ok(vec![addr]),
            guard::Destination::Name(host) => {
                let addrs = self
                    .resolver
                    .resolve(&host)
                    .await
                    .map_err(|e| FetchError::Upstream(format!("cannot resolve {host}: {e}")))?;
                self.guard.check_all(&addrs)?;
                Ok(addrs)
            }
        }
    }
}

/// The `charset` parameter of a Content-Type value.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Reads at most `max_bytes`, dropping the rest unread (the connection closes with the body).
async fn read_capped(
    mut body: Box<dyn Body>,
    max_bytes: usize,
) -> Result<(Bytes, bool), FetchError> {
    let mut out = Vec::new();
    while let Some(chunk) = body.chunk().await? {
        let room = max_bytes - out.len();
        if chunk.len() >= room {
            out.extend_from_slice(&chunk[..room]);
            // More than the cap arrived (or exactly the cap, with more possibly to come): stop
            // here rather than ask for another chunk.
            let truncated = chunk.len() > room || body.chunk().await?.is_some();
            return Ok((Bytes::from(out), truncated));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((Bytes::from(out), false))
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
