//! Link previews: what a linked page says about itself, fetched under the address guard
//! (`crate::fetch`), cached, and rate-limited per user; and the image proxy that serves a
//! preview's image from the daemon, so no reader's browser contacts the linked site.
//!
//! The proxy serves only images a preview named: a preview's image URL carries an HMAC of the
//! remote URL under the preview store's key (shared by the nodes when scaled out), so
//! `/api/preview/image` is no open proxy.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use chrono::Utc;
use hmac::{Hmac, Mac};
use omegachat_contract::config::PreviewConfig;
use sha2::Sha256;
use url::Url;

use super::ServiceError;
use crate::domain::{Preview, PreviewImage, UserId};
use crate::fetch::{FetchError, Fetcher, Wanted, page};
use crate::store::counters::WindowCounters;
use crate::store::previews::PreviewStore;
use crate::store::ttl_cache::TtlCache;

/// Where the web app loads preview images from.
pub const IMAGE_PATH: &str = "/api/preview/image";

/// Longest URL previewed, in bytes (browsers and servers agree on little beyond this).
const MAX_URL_BYTES: usize = 2_048;

/// An image as the proxy serves it.
#[derive(Debug, Clone)]
pub struct ProxiedImage {
    /// The checked type (`image/png`…); never SVG.
    pub content_type: String,
    pub bytes: Bytes,
}

/// Builds, caches and serves previews.
pub struct PreviewService {
    config: PreviewConfig,
    fetcher: Fetcher,
    counters: Arc<dyn WindowCounters>,
    /// Previews, shared by the nodes when scaled out, with the key signing image URLs.
    previews: Arc<dyn PreviewStore>,
    /// Images, per node: any node may fetch one, since every node checks the same signature.
    images: TtlCache<ProxiedImage>,
}

impl PreviewService {
    /// A service fetching through `fetcher`, keeping previews in `previews` and counting
    /// uncached fetches in `counters`.
    pub fn new(
        config: PreviewConfig,
        fetcher: Fetcher,
        counters: Arc<dyn WindowCounters>,
        previews: Arc<dyn PreviewStore>,
    ) -> Self {
        let ttl = Duration::from_secs(config.cache_ttl_secs);
        Self {
            images: TtlCache::new(ttl, usize::MAX, config.image_cache_bytes),
            config,
            fetcher,
            counters,
            previews,
        }
    }

    /// Whether previews are fetched at all (`preview.enabled`).
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// The preview of `link` for `user`: from the cache, or fetched if `user` is within the rate.
    pub async fn preview(&self, user: UserId, link: &str) -> Result<Preview, ServiceError> {
        if !self.config.enabled {
            return Err(disabled());
        }
        let url = normalise(link)?;
        if let Some(cached) = self.previews.get(url.as_str()).await {
            return Ok(cached);
        }
        self.check_rate(user).await?;
        let fetched = self
            .fetcher
            .fetch(&url, Wanted::Html, self.config.max_bytes)
            .await
            .map_err(|e| into_service_error(e, Wanted::Html))?;
        let (body, charset) = (fetched.body.clone(), fetched.charset.clone());
        let base = fetched.final_url.clone();
        // Decoding and parsing a megabyte is CPU work: off the async workers.
        let meta = tokio::task::spawn_blocking(move || {
            page::parse(&page::decode(&body, charset.as_deref()), &base)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("preview parser: {e}")))?;
        let image = meta
            .image
            // Checked now for what the URL itself says (scheme, credentials, a literal address);
            // the proxy checks the resolved addresses when it fetches.
            .filter(|image| self.fetcher.guard().check_url(&image.url).is_ok())
            .map(|image| PreviewImage {
                proxy_path: self.proxy_path(&image.url),
                width: image.width,
                height: image.height,
            });
        let preview = Preview {
            url: url.to_string(),
            final_url: fetched.final_url.to_string(),
            title: meta.title,
            description: meta.description,
            site_name: meta
                .site_name
                .or_else(|| fetched.final_url.host_str().map(str::to_owned)),
            image,
            fetched_at: Utc::now(),
        };
        self.previews.put(url.as_str(), &preview).await;
        Ok(preview)
    }

    /// The image a preview named, if `signature` is the one this daemon gave it.
    pub async fn image(&self, remote: &str, signature: &str) -> Result<ProxiedImage, ServiceError> {
        if !self.config.enabled {
            return Err(disabled());
        }
        let mut mac = self.mac();
        mac.update(remote.as_bytes());
        let signature = hex_decode(signature).unwrap_or_default();
        if mac.verify_slice(&signature).is_err() {
            return Err(ServiceError::forbidden(
                "invalid_signature",
                "this image link was not issued by this server (or it restarted since): load the preview again",
            ));
        }
        if let Some(cached) = self.images.get(remote) {
            return Ok(cached);
        }
        let url = Url::parse(remote)
            .map_err(|e| ServiceError::invalid("url", "invalid_url", e.to_string()))?;
        let fetched = self
            .fetcher
            .fetch(&url, Wanted::Image, self.config.image_max_bytes)
            .await
            .map_err(|e| into_service_error(e, Wanted::Image))?;
        let image = ProxiedImage {
            content_type: fetched.content_type,
            bytes: fetched.body,
        };
        self.images
            .insert(remote.to_owned(), image.clone(), image.bytes.len());
        Ok(image)
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length; 32 bytes cannot fail.
        Hmac::<Sha256>::new_from_slice(&self.previews.signing_key())
            .expect("HMAC accepts any key length")
    }

    /// The proxy path serving `image`: its URL and an HMAC of it.
    fn proxy_path(&self, image: &Url) -> String {
        let mut mac = self.mac();
        mac.update(image.as_str().as_bytes());
        let signature: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("url", image.as_str());
        query.append_pair("sig", &signature);
        format!("{IMAGE_PATH}?{}", query.finish())
    }

    async fn check_rate(&self, user: UserId) -> Result<(), ServiceError> {
        let window = Duration::from_secs(60);
        let key = format!("previews:user:{user}");
        if self.counters.hit(&key, window).await > self.config.fetches_per_user_per_minute {
            let (_, retry_after) = self.counters.get(&key).await;
            return Err(ServiceError::RateLimited {
                what: "too many new link previews",
                retry_after,
            });
        }
        Ok(())
    }
}

fn disabled() -> ServiceError {
    ServiceError::forbidden(
        "preview_disabled",
        "link previews are disabled on this server",
    )
}

/// The link as a URL, without its fragment (the same page whatever the anchor).
fn normalise(link: &str) -> Result<Url, ServiceError> {
    let invalid = |message: String| ServiceError::invalid("url", "invalid_url", message);
    let link = link.trim();
    if link.len() > MAX_URL_BYTES {
        return Err(invalid(format!(
            "links longer than {MAX_URL_BYTES} bytes are not previewed"
        )));
    }
    let mut url = Url::parse(link).map_err(|e| invalid(format!("not a URL: {e}")))?;
    url.set_fragment(None);
    Ok(url)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The fetcher's failure as the API reports it.
fn into_service_error(err: FetchError, wanted: Wanted) -> ServiceError {
    let message = err.to_string();
    match err {
        FetchError::InvalidUrl(_) => ServiceError::invalid("url", "invalid_url", message),
        FetchError::Blocked(_) => ServiceError::forbidden("blocked_address", message),
        FetchError::WrongType(..) => ServiceError::Upstream {
            code: match wanted {
                Wanted::Html => "not_html",
                Wanted::Image => "not_an_image",
            },
            message,
        },
        FetchError::TooLarge(_) => ServiceError::Upstream {
            code: "too_large",
            message,
        },
        FetchError::Timeout(_) => ServiceError::UpstreamTimeout(message),
        FetchError::Upstream(_) => ServiceError::Upstream {
            code: "upstream_error",
            message,
        },
    }
}
