//! The live nodes of the chat, for `omegactl status`: every node announces a card of its own
//! figures at its heartbeat's pace, and any node lists them all.
//!
//! Only the scaled-out profile has a directory (Redis); a single node lists itself.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// One node as it announced itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeCard {
    /// The node's tag: random per process, the same as its presence lease's.
    pub id: String,
    pub host: String,
    /// The public listener's address.
    pub address: String,
    pub version: String,
    /// When the node started serving, Unix seconds.
    pub started_at: u64,
    pub sockets: u64,
    pub users_online: u64,
    pub messages_per_sec: f64,
}

/// Every live node, and the distinct users they hold between them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeList {
    pub nodes: Vec<NodeCard>,
    /// Users with a socket on any listed node, each counted once; `None` when there were more
    /// than the directory counts in one step.
    pub users_online: Option<u64>,
}

/// The directory could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the node directory did not answer: {0}")]
pub struct DirectoryError(pub String);

#[async_trait]
pub trait NodeDirectory: Send + Sync {
    /// Lists `card` until its lease runs out (renewed by the next announcement).
    async fn announce(&self, card: &NodeCard) -> Result<(), DirectoryError>;
    /// The nodes whose card has not run out.
    async fn live(&self) -> Result<NodeList, DirectoryError>;
    /// Removes node `id` from the list (it is stopping).
    async fn withdraw(&self, id: &str) -> Result<(), DirectoryError>;
}
