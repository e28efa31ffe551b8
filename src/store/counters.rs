//! Fixed-window counters for throttling (failed logins now, send rates later).
//!
//! A trait because the scaled-out profile keeps them in Redis (`INCR` + `EXPIRE` is exactly a
//! fixed window), so every node sees the same counts; the embedded profile keeps them in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

/// Counters that reset a fixed time after their first hit.
#[async_trait]
pub trait WindowCounters: Send + Sync {
    /// Current count of `key` and the time until its window ends (zero count: no window open).
    async fn get(&self, key: &str) -> (u32, Duration);
    /// Adds one to `key`, opening a window of `window` if none is open; returns the new count.
    async fn hit(&self, key: &str, window: Duration) -> u32;
    /// Forgets `key`.
    async fn reset(&self, key: &str);
}

/// In-process counters for one daemon.
#[derive(Default)]
pub struct MemoryCounters {
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    count: u32,
    ends: Instant,
}

/// Above this many keys, expired windows are swept on the next hit, so a flood of distinct keys
/// (say, sprayed usernames) cannot grow the map without bound.
const SWEEP_ABOVE_KEYS: usize = 10_000;

impl MemoryCounters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Window>> {
        // A panic while holding the lock leaves only counters behind: still usable.
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl WindowCounters for MemoryCounters {
    async fn get(&self, key: &str) -> (u32, Duration) {
        let now = Instant::now();
        match self.lock().get(key) {
            Some(w) if w.ends > now => (w.count, w.ends - now),
            _ => (0, Duration::ZERO),
        }
    }

    async fn hit(&self, key: &str, window: Duration) -> u32 {
        let now = Instant::now();
        let mut windows = self.lock();
        if windows.len() > SWEEP_ABOVE_KEYS {
            windows.retain(|_, w| w.ends > now);
        }
        let entry = windows.entry(key.to_owned()).or_insert(Window {
            count: 0,
            ends: now + window,
        });
        if entry.ends <= now {
            *entry = Window {
                count: 0,
                ends: now + window,
            };
        }
        entry.count += 1;
        entry.count
    }

    async fn reset(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_window_counts_until_it_ends() {
        let counters = MemoryCounters::default();
        let window = Duration::from_secs(60);
        assert_eq!(counters.hit("k", window).await, 1);
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(counters.hit("k", window).await, 2);
        assert_eq!(counters.get("k").await, (2, Duration::from_secs(30)));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(counters.get("k").await.0, 0, "window over");
        assert_eq!(counters.hit("k", window).await, 1, "a new window starts");
        counters.reset("k").await;
        assert_eq!(counters.get("k").await.0, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn expired_keys_are_swept_when_many() {
        let counters = MemoryCounters::default();
        for i in 0..=SWEEP_ABOVE_KEYS {
            counters.hit(&i.to_string(), Duration::from_secs(1)).await;
        }
        tokio::time::advance(Duration::from_secs(2)).await;
        counters.hit("fresh", Duration::from_secs(1)).await;
        assert_eq!(counters.lock().len(), 1);
    }
}
