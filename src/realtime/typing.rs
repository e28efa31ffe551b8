//! Typing indicators that expire by themselves: each start renews a generation, and a timer
//! announces the stop only if no renewal came in the meantime.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::{ConversationId, UserId};

/// Typing generations per (user, conversation) on this node.
#[derive(Default)]
pub struct TypingTimers {
    typing: Mutex<HashMap<(UserId, ConversationId), u64>>,
}

impl TypingTimers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(UserId, ConversationId), u64>> {
        self.typing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts or renews typing; returns the generation its expiry timer must still find.
    pub fn started(&self, user: UserId, conversation: ConversationId) -> u64 {
        let mut typing = self.lock();
        let generation = typing.entry((user, conversation)).or_insert(0);
        *generation += 1;
        *generation
    }

    /// Stops typing; true when the user was typing there (so the stop is worth announcing).
    /// With `generation` (an expiry timer), stops only if nothing renewed it since.
    pub fn stopped(
        &self,
        user: UserId,
        conversation: ConversationId,
        generation: Option<u64>,
    ) -> bool {
        let mut typing = self.lock();
        match (typing.get(&(user, conversation)), generation) {
            (Some(current), Some(expected)) if *current != expected => false,
            (Some(_), _) => {
                typing.remove(&(user, conversation));
                true
            }
            (None, _) => false,
        }
    }

    /// Conversations the user is typing in, to stop them all when their last socket closes.
    pub fn conversations_of(&self, user: UserId) -> Vec<ConversationId> {
        self.lock()
            .keys()
            .filter(|(u, _)| *u == user)
            .map(|(_, c)| *c)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renewed_indicator_outlives_the_old_timer() {
        let timers = TypingTimers::default();
        let (ann, room) = (UserId(1), ConversationId::random());
        let first = timers.started(ann, room);
        let second = timers.started(ann, room);
        assert!(!timers.stopped(ann, room, Some(first)), "stale timer");
        assert!(timers.stopped(ann, room, Some(second)));
        assert!(!timers.stopped(ann, room, None), "already stopped");
    }
}
