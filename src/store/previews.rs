//! Link previews kept for reuse, and the key that signs their image URLs.
//!
//! A trait because the scaled-out profile shares both through Redis: a preview fetched by one
//! node is served by every node, and an image URL issued by one node is honoured by the others
//! (a load balancer may send the `<img>` request anywhere). On one node both live in memory.

use std::time::Duration;

use async_trait::async_trait;

use super::ttl_cache::TtlCache;
use crate::domain::Preview;

/// Previews by normalised URL, and the image-URL signing key.
#[async_trait]
pub trait PreviewStore: Send + Sync {
    /// The preview kept for `url`, if any and still fresh.
    async fn get(&self, url: &str) -> Option<Preview>;
    /// Keeps `preview` for `url` until the store's time to live has passed.
    async fn put(&self, url: &str, preview: &Preview);
    /// The key signing image-proxy URLs: the same on every node that shares the store.
    fn signing_key(&self) -> [u8; 32];
}

/// A fresh random 32-byte key.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key
}

/// This node's previews, in memory, bounded in number and age.
pub struct MemoryPreviews {
    cache: TtlCache<Preview>,
    key: [u8; 32],
}

impl MemoryPreviews {
    /// Keeps at most `max_entries` previews, each for `ttl`; signs with a key of its own.
    pub fn new(ttl: Duration, max_entries: usize) -> Self {
        Self {
            cache: TtlCache::new(ttl, max_entries, usize::MAX),
            key: random_key(),
        }
    }
}

#[async_trait]
impl PreviewStore for MemoryPreviews {
    async fn get(&self, url: &str) -> Option<Preview> {
        self.cache.get(url)
    }

    async fn put(&self, url: &str, preview: &Preview) {
        self.cache.insert(url.to_owned(), preview.clone(), 1);
    }

    fn signing_key(&self) -> [u8; 32] {
        self.key
    }
}
