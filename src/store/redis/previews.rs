//! Link previews shared through Redis: `{prefix}preview:url:<sha256 of the URL>` holds a
//! preview's JSON with the cache's time to live (`SET … PX`), and `{prefix}preview:signing-key`
//! the image-URL signing key, set once by whichever node starts first (`SET … NX`).
//!
//! Each node also keeps what it read or wrote in memory, so a hot link costs Redis nothing; while
//! Redis is unreachable a node serves and fills its own memory only (each call waits at most
//! [`super::presence::ANSWER_WAIT`]), so previews go on, fetched once per node instead of once.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

use crate::domain::Preview;
use crate::store::previews::{MemoryPreviews, PreviewStore, random_key};

/// Previews shared by every node through Redis.
pub struct RedisPreviews {
    conn: ConnectionManager,
    prefix: String,
    ttl: Duration,
    local: MemoryPreviews,
    key: [u8; 32],
}

impl RedisPreviews {
    /// Previews under `{prefix}preview:`; agrees on the signing key with the other nodes (or,
    /// if Redis does not answer now, uses one of its own and says so).
    pub async fn start(
        conn: ConnectionManager,
        prefix: &str,
        ttl: Duration,
        max_entries: usize,
    ) -> Self {
        let prefix = format!("{prefix}preview:");
        let key = match shared_key(conn.clone(), &prefix).await {
            Ok(key) => key,
            Err(why) => {
                tracing::warn!(
                    error = %why,
                    "cannot agree on the link-preview signing key through Redis: image links issued by this node work on this node only until it restarts"
                );
                random_key()
            }
        };
        Self {
            conn,
            prefix,
            ttl,
            local: MemoryPreviews::new(ttl, max_entries),
            key,
        }
    }

    fn url_key(&self, url: &str) -> String {
        let digest = Sha256::digest(url.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{}url:{hex}", self.prefix)
    }
}

/// The key stored under `{prefix}signing-key`, storing this node's candidate if none is.
async fn shared_key(mut conn: ConnectionManager, prefix: &str) -> Result<[u8; 32], String> {
    let name = format!("{prefix}signing-key");
    let candidate: String = random_key().iter().map(|b| format!("{b:02x}")).collect();
    let mut set_cmd = redis::cmd("SET");
    set_cmd.arg(&name).arg(&candidate).arg("NX");
    let set = set_cmd.query_async::<redis::Value>(&mut conn);
    super::bounded(set).await?;
    let mut get_cmd = redis::cmd("GET");
    get_cmd.arg(&name);
    let get = get_cmd.query_async::<Option<String>>(&mut conn);
    let stored = super::bounded(get).await?.unwrap_or_default();
    let bytes: Vec<u8> = (0..stored.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(stored.get(i..i + 2)?, 16).ok())
        .collect();
    bytes
        .try_into()
        .map_err(|_| format!("{name} does not hold 32 hex-encoded bytes"))
}

#[async_trait]
impl PreviewStore for RedisPreviews {
    async fn get(&self, url: &str) -> Option<Preview> {
        if let Some(preview) = self.local.get(url).await {
            return Some(preview);
        }
        let mut conn = self.conn.clone();
        let mut get_cmd = redis::cmd("GET");
        get_cmd.arg(self.url_key(url));
        let get = get_cmd.query_async::<Option<String>>(&mut conn);
        let json = match super::bounded(get).await {
            Ok(json) => json,
            Err(why) => {
                tracing::debug!(error = %why, "link-preview cache: Redis did not answer");
                return None;
            }
        };
        let preview: Preview = serde_json::from_str(&json?).ok()?;
        self.local.put(url, &preview).await;
        Some(preview)
    }

    async fn put(&self, url: &str, preview: &Preview) {
        self.local.put(url, preview).await;
        let Ok(json) = serde_json::to_string(preview) else {
            return;
        };
        let mut conn = self.conn.clone();
        let ttl_ms = u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX);
        let mut set_cmd = redis::cmd("SET");
        set_cmd
            .arg(self.url_key(url))
            .arg(json)
            .arg("PX")
            .arg(ttl_ms.max(1));
        let set = set_cmd.query_async::<()>(&mut conn);
        if let Err(why) = super::bounded(set).await {
            tracing::debug!(error = %why, "link-preview cache: Redis did not answer");
        }
    }

    fn signing_key(&self) -> [u8; 32] {
        self.key
    }
}
