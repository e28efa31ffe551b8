//! How busy this node is: messages stored, for `omegactl status`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds the per-second rate is averaged over.
const WINDOW_SECS: u64 = 60;

/// Messages stored since start and per second over the last minute, counted without locks: the
/// send path is hot, and a figure for humans may be off by one at a second's edge.
pub struct MessageStats {
    total: AtomicU64,
    /// Per second of the window: (the second it counts, the count), indexed by second % window.
    seconds: [AtomicU64; WINDOW_SECS as usize],
    counts: [AtomicU64; WINDOW_SECS as usize],
}

impl Default for MessageStats {
    fn default() -> Self {
        Self {
            total: AtomicU64::new(0),
            seconds: std::array::from_fn(|_| AtomicU64::new(0)),
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl MessageStats {
    /// Counts one stored message.
    pub fn stored(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let now = now_secs();
        let slot = (now % WINDOW_SECS) as usize;
        if self.seconds[slot].swap(now, Ordering::Relaxed) != now {
            self.counts[slot].store(0, Ordering::Relaxed);
        }
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
    }

    /// Messages stored since the daemon started.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// Average messages per second over the last full minute.
    pub fn per_second(&self) -> f64 {
        let now = now_secs();
        let recent: u64 = (0..WINDOW_SECS as usize)
            .filter(|&i| {
                let second = self.seconds[i].load(Ordering::Relaxed);
                second < now && now - second <= WINDOW_SECS
            })
            .map(|i| self.counts[i].load(Ordering::Relaxed))
            .sum();
        recent as f64 / WINDOW_SECS as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_message_and_excludes_the_current_second_from_the_rate() {
        let stats = MessageStats::default();
        for _ in 0..120 {
            stats.stored();
        }
        assert_eq!(stats.total(), 120);
        // All 120 fall in the current (unfinished) second or, at a second's edge, the previous one.
        assert!(stats.per_second() <= 2.0);
    }
}
