//! Who is online: a user is online while at least one of their sockets is connected, on any node.
//!
//! A trait because the scaled-out profile keeps socket counts in Redis so every node agrees
//! (`store::redis::presence`); the embedded profile counts in memory. Methods are async and
//! batch-friendly because the shared engine answers over the network: a lookup of many users is
//! one call, hence one round trip, not one per user.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::UserId;

/// Connected-socket counts per user, shared by every node of the chat.
#[async_trait]
pub trait PresenceStore: Send + Sync {
    /// Counts a new socket of `user` on this node; true when it is their first on any node (they
    /// just came online).
    async fn connected(&self, user: UserId) -> bool;
    /// Forgets a socket of `user` on this node; true when it was their last on any node (they just
    /// went offline). A socket this node never counted changes nothing.
    async fn disconnected(&self, user: UserId) -> bool;
    /// Which of `users` have a socket connected on any node, asked in one call (one round trip
    /// for the shared engine, whatever the number of users).
    async fn online_among(&self, users: &[UserId]) -> HashSet<UserId>;
    /// How many sockets `user` has connected, on every node (how many an admin action closes).
    async fn sockets_of(&self, user: UserId) -> usize;
    /// Users with a socket on this node, and this node's sockets.
    fn local_totals(&self) -> (usize, usize);
    /// Changes the store found by itself rather than through a socket, taken once: users whose
    /// every socket was on nodes that stopped answering, and this node's users put back after
    /// the shared store lost them (a Redis outage or restart). The caller announces them.
    async fn reap(&self) -> PresenceChanges;
}

/// Presence changes found by maintenance (see [`PresenceStore::reap`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PresenceChanges {
    /// Users now offline: their sockets were all on nodes whose lease ran out.
    pub went_offline: Vec<UserId>,
    /// Users online again: their sockets on this node are counted in the shared store again
    /// after it had lost them, so other nodes may have announced them offline.
    pub came_online: Vec<UserId>,
}

/// In-process socket counts for one daemon: the node is the whole chat.
#[derive(Default)]
pub struct MemoryPresence {
    sockets: Mutex<HashMap<UserId, usize>>,
}

impl MemoryPresence {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, usize>> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl PresenceStore for MemoryPresence {
    async fn connected(&self, user: UserId) -> bool {
        let mut sockets = self.lock();
        let count = sockets.entry(user).or_insert(0);
        *count += 1;
        *count == 1
    }

    async fn disconnected(&self, user: UserId) -> bool {
        let mut sockets = self.lock();
        match sockets.get_mut(&user) {
            Some(count) if *count > 1 => {
                *count -= 1;
                false
            }
            Some(_) => {
                sockets.remove(&user);
                true
            }
            None => false,
        }
    }

    async fn online_among(&self, users: &[UserId]) -> HashSet<UserId> {
        let sockets = self.lock();
        users
            .iter()
            .filter(|u| sockets.contains_key(u))
            .copied()
            .collect()
    }

    async fn sockets_of(&self, user: UserId) -> usize {
        self.lock().get(&user).copied().unwrap_or(0)
    }

    fn local_totals(&self) -> (usize, usize) {
        let sockets = self.lock();
        (sockets.len(), sockets.values().sum())
    }

    async fn reap(&self) -> PresenceChanges {
        // One process is the whole chat: no other node can die and leave users behind.
        PresenceChanges::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_user_is_online_until_their_last_tab_closes() {
        let presence = MemoryPresence::default();
        let ann = UserId(1);
        assert!(presence.connected(ann).await);
        assert!(!presence.connected(ann).await, "second tab");
        assert!(!presence.disconnected(ann).await);
        assert_eq!(presence.online_among(&[ann]).await, HashSet::from([ann]));
        assert!(presence.disconnected(ann).await);
        assert!(presence.online_among(&[ann]).await.is_empty());
        assert!(
            !presence.disconnected(ann).await,
            "an unknown socket changes nothing"
        );
    }
}
