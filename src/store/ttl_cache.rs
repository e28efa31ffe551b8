//! A small in-process cache with a time to live and two bounds: entries and total weight
//! (bytes, for images). Oldest insertions go first; a hit does not refresh an entry, so what a
//! site changed shows up at most a TTL later.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Values by key, each for `ttl`, within `max_entries` and `max_weight`.
pub struct TtlCache<V> {
    inner: Mutex<Inner<V>>,
    ttl: Duration,
    max_entries: usize,
    max_weight: usize,
}

struct Inner<V> {
    entries: HashMap<String, Entry<V>>,
    /// Insertion order; a key replaced since keeps its stale position, told apart by `generation`.
    order: VecDeque<(String, u64)>,
    weight: usize,
    next_generation: u64,
}

struct Entry<V> {
    value: V,
    expires: Instant,
    weight: usize,
    generation: u64,
}

impl<V: Clone> TtlCache<V> {
    /// An empty cache keeping values for `ttl`, at most `max_entries` of them weighing at most
    /// `max_weight` together.
    pub fn new(ttl: Duration, max_entries: usize, max_weight: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                order: VecDeque::new(),
                weight: 0,
                next_generation: 0,
            }),
            ttl,
            max_entries,
            max_weight,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<V>> {
        // A panic while holding the lock leaves only cached copies behind: still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value under `key` if it has not expired.
    pub fn get(&self, key: &str) -> Option<V> {
        let mut inner = self.lock();
        let entry = inner.entries.get(key)?;
        if entry.expires > Instant::now() {
            return Some(entry.value.clone());
        }
        let weight = entry.weight;
        inner.entries.remove(key);
        inner.weight -= weight;
        None
    }

    /// Keeps `value` under `key`, evicting the oldest entries beyond the bounds. A value heavier
    /// than the whole weight bound is not kept.
    pub fn insert(&self, key: String, value: V, weight: usize) {
        if weight > self.max_weight {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.remove(&key) {
            inner.weight -= old.weight;
        }
        let generation = inner.next_generation;
        inner.next_generation += 1;
        inner.order.push_back((key.clone(), generation));
        inner.weight += weight;
        inner.entries.insert(
            key,
            Entry {
                value,
                expires: Instant::now() + self.ttl,
                weight,
                generation,
            },
        );
        while inner.entries.len() > self.max_entries || inner.weight > self.max_weight {
            let Some((oldest, generation)) = inner.order.pop_front() else {
                break;
            };
            if inner
                .entries
                .get(&oldest)
                .is_some_and(|e| e.generation == generation)
                && let Some(evicted) = inner.entries.remove(&oldest)
            {
                inner.weight -= evicted.weight;
            }
        }
        // Stale positions of replaced keys would otherwise pile up under a hot key.
        if inner.order.len() > self.max_entries.max(16).saturating_mul(2) {
            let Inner { entries, order, .. } = &mut *inner;
            order.retain(|(k, g)| entries.get(k).is_some_and(|e| e.generation == *g));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn entries_expire_and_the_oldest_go_first() {
        let cache = TtlCache::new(Duration::from_secs(60), 2, 100);
        cache.insert("a".into(), 1, 10);
        cache.insert("b".into(), 2, 10);
        cache.insert("a".into(), 3, 10);
        cache.insert("c".into(), 4, 10);
        assert_eq!(cache.get("b"), None, "b was the oldest");
        assert_eq!((cache.get("a"), cache.get("c")), (Some(3), Some(4)));
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(cache.get("a"), None, "expired");
    }

    #[tokio::test(start_paused = true)]
    async fn the_weight_bound_holds() {
        let cache = TtlCache::new(Duration::from_secs(60), 100, 25);
        cache.insert("a".into(), 1, 10);
        cache.insert("b".into(), 2, 10);
        cache.insert("c".into(), 3, 10);
        assert_eq!(cache.get("a"), None);
        assert_eq!(cache.get("c"), Some(3));
        cache.insert("huge".into(), 4, 26);
        assert_eq!(cache.get("huge"), None);
        assert_eq!(cache.lock().weight, 20);
    }
}
