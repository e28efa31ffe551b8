//! `[preview]`: link previews, fetched by the daemon on a user's behalf.

use serde::{Deserialize, Serialize};

use super::IpNet;

/// `[preview]`
/// Link previews (POST /api/preview): the daemon fetches a page a user links to and returns its title,
/// description and image; the image itself is fetched through the daemon too, so readers' browsers never
/// contact the linked site. Only http and https to public addresses are fetched: loopback, private,
/// link-local (cloud metadata), CGNAT, multicast, documentation, ULA, NAT64 and IPv4-in-IPv6 addresses are
/// refused, whatever the URL's notation, and so is a host with any such address among its addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PreviewConfig {
    /// Whether POST /api/preview fetches anything; false answers every request with 403 preview_disabled.
    pub enabled: bool,
    /// Total time allowed for one fetch, redirects and body included, in milliseconds (100..=60000).
    /// A slower server (or one dripping its answer) gets a `timeout` error.
    pub timeout_ms: u64,
    /// Most bytes of a page read (1024..=16777216); reading stops there and the part read is parsed.
    pub max_bytes: usize,
    /// Largest preview image served, in bytes (1024..=16777216); a larger image is not shown.
    pub image_max_bytes: usize,
    /// How long a preview (and its image) is kept and served again without fetching, in seconds
    /// (at least 1).
    pub cache_ttl_secs: u64,
    /// Most previews kept in this node's cache (at least 1); the oldest go first.
    pub cache_entries: usize,
    /// Most bytes of preview images kept in this node's cache (at least image_max_bytes).
    pub image_cache_bytes: usize,
    /// Previews one user may have fetched per minute (answers from the cache are not counted);
    /// beyond it requests get 429 rate_limited.
    pub fetches_per_user_per_minute: u32,
    /// Networks that may be fetched although their addresses are otherwise refused, e.g.
    /// ["10.20.0.0/16"] for an intranet wiki. Only what is listed is admitted; a network wider than
    /// a /8 (IPv4) or a /16 (IPv6), such as "0.0.0.0/0" or "::/0", is refused. Empty: public
    /// addresses only.
    pub allow_networks: Vec<String>,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            timeout_ms: 10_000,
            max_bytes: 1024 * 1024,
            image_max_bytes: 2 * 1024 * 1024,
            cache_ttl_secs: 3_600,
            cache_entries: 10_000,
            image_cache_bytes: 64 * 1024 * 1024,
            fetches_per_user_per_minute: 30,
            allow_networks: Vec::new(),
        }
    }
}

/// Narrowest prefix `allow_networks` may hold per family: anything wider is a wildcard in effect.
const WIDEST_V4_PREFIX: u8 = 8;
const WIDEST_V6_PREFIX: u8 = 16;

impl PreviewConfig {
    /// `allow_networks` as networks (a bare address is a network of one), or what is wrong with
    /// the first bad entry.
    pub fn allowed_networks(&self) -> Result<Vec<IpNet>, String> {
        self.allow_networks
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                let net = entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        format!(
                            "{entry:?} is neither an IP address (\"10.0.0.5\") nor a network (\"10.20.0.0/16\", \"fd00:1::/64\")"
                        )
                    })?;
                let widest = match net {
                    IpNet::V4(_) => WIDEST_V4_PREFIX,
                    IpNet::V6(_) => WIDEST_V6_PREFIX,
                };
                if net.prefix_len() < widest {
                    return Err(format!(
                        "{entry:?} is wider than a /{widest}: list the networks to admit, never a wildcard"
                    ));
                }
                Ok(net)
            })
            .collect()
    }

    /// Checks values that parse but cannot work; the error names the key.
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((format!("preview.{key}"), msg));
        if !(100..=60_000).contains(&self.timeout_ms) {
            return fail("timeout_ms", "must be between 100 and 60000".into());
        }
        for (key, bytes) in [
            ("max_bytes", self.max_bytes),
            ("image_max_bytes", self.image_max_bytes),
        ] {
            if !(1024..=16 * 1024 * 1024).contains(&bytes) {
                return fail(key, "must be between 1024 and 16777216".into());
            }
        }
        if self.cache_ttl_secs == 0 {
            return fail("cache_ttl_secs", "must be at least 1".into());
        }
        if self.cache_entries == 0 {
            return fail("cache_entries", "must be at least 1".into());
        }
        if self.image_cache_bytes < self.image_max_bytes {
            return fail(
                "image_cache_bytes",
                "must be at least preview.image_max_bytes".into(),
            );
        }
        if self.fetches_per_user_per_minute == 0 {
            return fail("fetches_per_user_per_minute", "must be at least 1".into());
        }
        if let Err(msg) = self.allowed_networks() {
            return fail("allow_networks", msg);
        }
        Ok(())
    }
}
