//! Who takes part in a conversation, remembered between sends.
//!
//! Every send, edit, read marker and typing event needs the conversation's kind and participants
//! (and, for a direct conversation, whether either side blocks the other). Reading them from the
//! database each time cost three round trips per send (BENCHMARKS.md); they change only when
//! membership or a block changes, and every such change goes through a service that calls
//! [`AudienceCache::forget`]. A load that raced with a change is not kept (see `epoch`). Entries
//! also expire after `TTL` as a safety net. Scaled out, a forget is also published on the bus
//! (`Event::AudienceChanged`) and every other node forgets the same entry when it arrives
//! (`service::cluster`), within one bus round trip.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::bus::{Envelope, Event, EventBus};
use crate::domain::{ConversationId, ConversationKind, UserId};

const TTL: Duration = Duration::from_secs(30);
/// Above this many entries the cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 100_000;

/// A conversation's kind and participants.
#[derive(Debug, Clone)]
pub struct Audience {
    pub kind: ConversationKind,
    pub participants: Arc<Vec<UserId>>,
    /// Direct conversations only: one participant blocks the other.
    pub blocked: bool,
}

/// Remembered audiences, forgotten on every membership or block change.
#[derive(Default)]
pub struct AudienceCache {
    /// Where forgets are announced to other nodes; none in unit tests.
    bus: Option<Arc<dyn EventBus>>,
    entries: Mutex<HashMap<ConversationId, (Audience, Instant)>>,
    /// Bumped by every forget: a load that started before a forget may hold old members and is
    /// used once but not stored.
    epoch: AtomicU64,
}

impl AudienceCache {
    /// A cache whose forgets other nodes hear about through `bus`.
    pub fn new(bus: Arc<dyn EventBus>) -> Self {
        Self {
            bus: Some(bus),
            ..Self::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ConversationId, (Audience, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The remembered audience, if fresh.
    pub fn get(&self, id: ConversationId) -> Option<Audience> {
        let entries = self.lock();
        let (audience, loaded) = entries.get(&id)?;
        (loaded.elapsed() < TTL).then(|| audience.clone())
    }

    /// The epoch to pass to [`AudienceCache::put`] for a load starting now.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Remembers `audience`, loaded since `epoch`, unless something was forgotten meanwhile.
    pub fn put(&self, id: ConversationId, audience: Audience, epoch: u64) {
        let mut entries = self.lock();
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id, (audience, Instant::now()));
    }

    /// Forgets a conversation whose membership changed, here and on every other node.
    pub fn forget(&self, id: ConversationId) {
        self.forget_here(id);
        if let Some(bus) = &self.bus {
            bus.publish(Envelope {
                recipients: Vec::new(),
                event: Event::AudienceChanged {
                    conversation_id: id,
                },
            });
        }
    }

    /// Forgets a conversation on this node only: another node announced the change.
    pub fn forget_here(&self, id: ConversationId) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(&id);
    }

    /// Forgets every entry on this node (invalidations from other nodes were missed).
    pub fn forget_everything(&self) {
        let mut entries = self.lock();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audience() -> Audience {
        Audience {
            kind: ConversationKind::Group,
            participants: Arc::new(vec![UserId(1)]),
            blocked: false,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn entries_are_forgotten_on_change_and_after_the_ttl() {
        let cache = AudienceCache::default();
        let id = ConversationId::random();
        cache.put(id, audience(), cache.epoch());
        assert!(cache.get(id).is_some());
        cache.forget(id);
        assert!(cache.get(id).is_none());
        cache.put(id, audience(), cache.epoch());
        tokio::time::advance(TTL).await;
        assert!(cache.get(id).is_none(), "expired");
    }

    #[test]
    fn a_load_that_raced_with_a_change_is_not_kept() {
        let cache = AudienceCache::default();
        let id = ConversationId::random();
        let started = cache.epoch();
        cache.forget(id); // a member was removed while the load read the old list
        cache.put(id, audience(), started);
        assert!(cache.get(id).is_none());
    }
}
