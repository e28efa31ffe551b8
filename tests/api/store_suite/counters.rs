//! `WindowCounters`: fixed windows (not sliding) that open on the first hit.
//!
//! Runs on `MemoryCounters` under a paused clock and on `RedisCounters` on a real one: the suite
//! waits with `tokio::time::sleep` only, which serves both.

use std::time::Duration;

use futures_util::future::join_all;
use omegachatd::store::counters::WindowCounters;

use super::sorted;

/// Long enough for Redis' expiry resolution, short enough for a real-clock run.
const WINDOW: Duration = Duration::from_secs(2);

pub async fn suite(counters: &dyn WindowCounters) {
    a_window_counts_hits_until_it_ends(counters).await;
    the_window_does_not_slide_with_later_hits(counters).await;
    keys_count_apart_and_a_reset_forgets_one(counters).await;
    concurrent_hits_are_each_counted_once(counters).await;
}

async fn a_window_counts_hits_until_it_ends(counters: &dyn WindowCounters) {
    assert_eq!(
        counters.get("count").await,
        (0, Duration::ZERO),
        "no window open"
    );
    assert_eq!(counters.hit("count", WINDOW).await, 1);
    assert_eq!(counters.hit("count", WINDOW).await, 2);
    let (count, left) = counters.get("count").await;
    assert_eq!(count, 2);
    assert!(left > Duration::ZERO && left <= WINDOW, "{left:?} left");

    tokio::time::sleep(WINDOW + Duration::from_millis(100)).await;
    assert_eq!(counters.get("count").await, (0, Duration::ZERO), "over");
    assert_eq!(counters.hit("count", WINDOW).await, 1, "a new window");
}

async fn the_window_does_not_slide_with_later_hits(counters: &dyn WindowCounters) {
    counters.hit("fixed", WINDOW).await;
    tokio::time::sleep(WINDOW * 3 / 5).await;
    // A hit inside the window neither extends it nor re-sizes it.
    assert_eq!(counters.hit("fixed", WINDOW * 10).await, 2);
    let (_, left) = counters.get("fixed").await;
    assert!(left <= WINDOW * 2 / 5, "{left:?} left of the first window");
    tokio::time::sleep(WINDOW * 3 / 5).await;
    assert_eq!(
        counters.get("fixed").await.0,
        0,
        "ended a window after the first hit"
    );
}

async fn keys_count_apart_and_a_reset_forgets_one(counters: &dyn WindowCounters) {
    for _ in 0..3 {
        counters.hit("login:ann", WINDOW).await;
    }
    counters.hit("login:ben", WINDOW).await;
    assert_eq!(counters.get("login:ann").await.0, 3);
    assert_eq!(counters.get("login:ben").await.0, 1);

    counters.reset("login:ann").await;
    assert_eq!(counters.get("login:ann").await, (0, Duration::ZERO));
    assert_eq!(counters.get("login:ben").await.0, 1, "other keys stay");
    assert_eq!(counters.hit("login:ann", WINDOW).await, 1);
    counters.reset("never-hit").await;
    assert_eq!(counters.get("never-hit").await.0, 0);
}

async fn concurrent_hits_are_each_counted_once(counters: &dyn WindowCounters) {
    let hits = (0..50).map(|_| counters.hit("burst", WINDOW));
    let counts = join_all(hits).await;
    assert_eq!(
        sorted(counts),
        (1..=50).collect::<Vec<u32>>(),
        "each hit sees its own count"
    );
    assert_eq!(counters.get("burst").await.0, 50);
}
