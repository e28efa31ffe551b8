//! The real seams: the system resolver and a reqwest transport pinned to checked addresses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use axum::body::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use super::{Answer, Body, FetchError, Resolver, Transport};

/// The User-Agent of every preview fetch: says what is asking, and nothing about the user. (No
/// `+URL` part: the project has no public home page to point site operators at yet.)
pub const USER_AGENT: &str = concat!(
    "OmegaChat-LinkPreview/",
    env!("CARGO_PKG_VERSION"),
    " (link preview fetcher of a self-hosted OmegaChat server)"
);

/// The operating system's resolver (getaddrinfo, on a blocking thread).
pub struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let addrs = tokio::net::lookup_host((host, 0)).await?;
        let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
        ips.dedup();
        Ok(ips)
    }
}

/// reqwest, built per hop with a resolver that knows one name and the addresses the guard
/// accepted for it: a connection can go nowhere else, and nothing is resolved twice. (For a URL
/// naming an address reqwest resolves nothing and connects to that address, which the guard
/// checked.) No proxy from the environment, no cookie store (the feature is not even compiled),
/// no Referer, no automatic redirects: the fetcher follows them itself, checking each target.
pub struct PinnedTransport;

/// The resolver of one hop.
struct Pinned {
    host: String,
    addrs: Vec<SocketAddr>,
}

impl Resolve for Pinned {
    fn resolve(&self, name: Name) -> Resolving {
        let answer: Result<Addrs, _> = if name.as_str().eq_ignore_ascii_case(&self.host) {
            Ok(Box::new(self.addrs.clone().into_iter()))
        } else {
            // Cannot happen with one client per hop and no proxy; refused rather than resolved.
            Err(format!("{} was not checked", name.as_str()).into())
        };
        Box::pin(std::future::ready(answer))
    }
}

#[async_trait]
impl Transport for PinnedTransport {
    async fn get(
        &self,
        url: &Url,
        addrs: &[IpAddr],
        accept: &'static str,
    ) -> Result<Answer, FetchError> {
        let host = match url.host() {
            Some(Host::Domain(name)) => name.to_owned(),
            _ => String::new(),
        };
        let pinned = Pinned {
            host,
            // The port is the URL's: the connector sets it on each resolved address.
            addrs: addrs.iter().map(|ip| SocketAddr::new(*ip, 0)).collect(),
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(USER_AGENT)
            .pool_max_idle_per_host(0)
            .dns_resolver(Arc::new(pinned))
            .build()
            .map_err(|e| FetchError::Upstream(format!("cannot set up the fetch: {e}")))?;
        let response = client
            .get(url.as_str())
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
            .map_err(|e| FetchError::Upstream(describe(&e)))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Answer {
            status: response.status().as_u16(),
            location: header(reqwest::header::LOCATION),
            content_type: header(reqwest::header::CONTENT_TYPE),
            content_length: response.content_length(),
            body: Box::new(ResponseBody(response)),
        })
    }
}

struct ResponseBody(reqwest::Response);

#[async_trait]
impl Body for ResponseBody {
    async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        self.0
            .chunk()
            .await
            .map_err(|e| FetchError::Upstream(describe(&e)))
    }
}

/// A transport failure in a sentence, without reqwest's URL echo (the client sent the URL).
fn describe(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "cannot connect to the site".into()
    } else if e.is_timeout() {
        "the site did not answer in time".into()
    } else {
        "the site's answer could not be read".into()
    }
}
