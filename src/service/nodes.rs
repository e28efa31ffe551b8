//! The nodes of the chat as administrators see them: this node's card, announced to the
//! directory at the heartbeat's pace in the scaled-out profile, and the list of every live node.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::conversations::ConversationService;
use super::presence::PresenceService;
use crate::store::nodes::{NodeCard, NodeDirectory, NodeList};

/// This node's identity and where its figures come from.
pub struct NodeService {
    id: String,
    host: String,
    address: OnceLock<SocketAddr>,
    /// Told when `address` is set: the first announcement goes out then, not a heartbeat later.
    bound: Arc<tokio::sync::Notify>,
    started_at: u64,
    presence: Arc<PresenceService>,
    conversations: Arc<ConversationService>,
    directory: Option<Arc<dyn NodeDirectory>>,
    /// Set when shutting down: no announcement starts after it.
    withdrawn: AtomicBool,
}

/// Every live node, or this one alone with the reason the others could not be listed.
#[derive(Debug, Clone)]
pub struct Nodes {
    pub list: NodeList,
    /// This node's id, to mark it in the list.
    pub this_node: String,
    pub error: Option<String>,
}

impl NodeService {
    /// `id` is the node's tag (its presence lease's in the scaled-out profile); `directory`
    /// is where nodes announce themselves (none on a single node).
    pub fn new(
        id: String,
        presence: Arc<PresenceService>,
        conversations: Arc<ConversationService>,
        directory: Option<Arc<dyn NodeDirectory>>,
    ) -> Self {
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            id,
            host,
            address: OnceLock::new(),
            bound: Arc::new(tokio::sync::Notify::new()),
            started_at: unix_now(),
            presence,
            conversations,
            directory,
            withdrawn: AtomicBool::new(false),
        }
    }

    /// Records the public listener's address once bound (the real port when configured as 0).
    pub fn set_address(&self, address: SocketAddr) {
        let _ = self.address.set(address);
        self.bound.notify_one();
    }

    /// This node's figures now.
    pub fn card(&self) -> NodeCard {
        let (users, sockets) = self.presence.totals();
        NodeCard {
            id: self.id.clone(),
            host: self.host.clone(),
            address: self
                .address
                .get()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: self.started_at,
            sockets: sockets as u64,
            users_online: users as u64,
            messages_per_sec: self.conversations.stats().per_second(),
        }
    }

    /// Every live node, oldest first; this node alone on a single node or when the directory
    /// does not answer (then with the reason).
    pub async fn live(&self) -> Nodes {
        let mine = self.card();
        let alone = |error| Nodes {
            list: NodeList {
                users_online: Some(mine.users_online),
                nodes: vec![mine.clone()],
            },
            this_node: self.id.clone(),
            error,
        };
        let Some(directory) = &self.directory else {
            return alone(None);
        };
        match directory.live().await {
            Ok(mut list) => {
                // This node's own figures are fresher than its last announcement, and it is
                // live even if Redis has not seen it yet.
                list.nodes.retain(|n| n.id != self.id);
                list.nodes.push(mine);
                list.nodes
                    .sort_by(|a, b| (a.started_at, &a.id).cmp(&(b.started_at, &b.id)));
                Nodes {
                    list,
                    this_node: self.id.clone(),
                    error: None,
                }
            }
            Err(e) => alone(Some(e.to_string())),
        }
    }

    /// Takes this node off the list (shutting down), and stops announcing it.
    pub async fn withdraw(&self) {
        self.withdrawn.store(true, Ordering::Relaxed);
        if let Some(directory) = &self.directory
            && let Err(e) = directory.withdraw(&self.id).await
        {
            tracing::info!(error = %e, "could not take this node off the node list; it leaves it when its lease runs out");
        }
    }

    /// Seconds since `card` started serving.
    pub fn uptime_of(card: &NodeCard) -> u64 {
        unix_now().saturating_sub(card.started_at)
    }
}

/// Announces this node every `every` until the services are dropped; a failure is logged once
/// per outage (the bus and presence already say Redis is away).
pub fn spawn_announcements(nodes: Weak<NodeService>, every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            ticks.tick().await;
            let Some(nodes) = nodes.upgrade() else {
                return;
            };
            let Some(directory) = nodes.directory.clone() else {
                return;
            };
            // Not before the listener is bound: a card without an address would be listed
            // until the next heartbeat.
            if nodes.address.get().is_none() {
                let bound = nodes.bound.clone();
                drop(nodes);
                tokio::select! {
                    () = bound.notified() => ticks.reset_immediately(),
                    _ = ticks.tick() => {}
                }
                continue;
            }
            if nodes.withdrawn.load(Ordering::Relaxed) {
                return;
            }
            match directory.announce(&nodes.card()).await {
                Ok(()) => failing = false,
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "cannot announce this node to the others; `omegactl status` on other nodes will not list it until Redis answers");
                }
                Err(_) => {}
            }
        }
    });
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
