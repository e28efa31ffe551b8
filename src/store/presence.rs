//! Who is online: a user is online while at least one of their sockets is connected.
//!
//! A trait because the scaled-out profile keeps socket counts in Redis so every node agrees; the
//! embedded profile counts in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::UserId;

/// Connected-socket counts per user.
pub trait PresenceStore: Send + Sync {
    /// Counts a new socket; true when it is the user's first (they just came online).
    fn connected(&self, user: UserId) -> bool;
    /// Forgets a socket; true when it was the user's last (they just went offline).
    fn disconnected(&self, user: UserId) -> bool;
    /// Whether the user has a connected socket.
    fn is_online(&self, user: UserId) -> bool;
    /// How many sockets the user has connected.
    fn sockets_of(&self, user: UserId) -> usize;
    /// Users online and sockets connected, in total.
    fn totals(&self) -> (usize, usize);
}

/// In-process socket counts for one daemon.
#[derive(Default)]
pub struct MemoryPresence {
    sockets: Mutex<HashMap<UserId, usize>>,
}

impl MemoryPresence {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, usize>> {
        self.sockets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl PresenceStore for MemoryPresence {
    fn connected(&self, user: UserId) -> bool {
        let mut sockets = self.lock();
        let count = sockets.entry(user).or_insert(0);
        *count += 1;
        *count == 1
    }

    fn disconnected(&self, user: UserId) -> bool {
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

    fn is_online(&self, user: UserId) -> bool {
        self.lock().contains_key(&user)
    }

    fn sockets_of(&self, user: UserId) -> usize {
        self.lock().get(&user).copied().unwrap_or(0)
    }

    fn totals(&self) -> (usize, usize) {
        let sockets = self.lock();
        (sockets.len(), sockets.values().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_online_until_their_last_tab_closes() {
        let presence = MemoryPresence::default();
        let ann = UserId(1);
        assert!(presence.connected(ann));
        assert!(!presence.connected(ann), "second tab");
        assert!(!presence.disconnected(ann));
        assert!(presence.is_online(ann));
        assert!(presence.disconnected(ann));
        assert!(!presence.is_online(ann));
        assert!(
            !presence.disconnected(ann),
            "an unknown socket changes nothing"
        );
    }
}
