//! Link previews: what a linked page says about itself, as the daemon keeps and serves it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A link's preview. Serde because the scaled-out profile keeps it in Redis (as JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    /// The link, normalised (what the cache is keyed by).
    pub url: String,
    /// Where redirects led.
    pub final_url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `og:site_name`, else the final host.
    pub site_name: Option<String>,
    pub image: Option<PreviewImage>,
    pub fetched_at: DateTime<Utc>,
}

/// A preview's image, as the web app loads it: through the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewImage {
    /// Path and query of the image proxy for this image (signed with the key every node shares).
    pub proxy_path: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
}
