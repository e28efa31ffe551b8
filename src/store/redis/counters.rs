//! Fixed-window counters in Redis: one window per key for every node.
//!
//! A hit is `SET key 0 PX window NX; INCR key; PTTL key` in one MULTI/EXEC: the first hit opens
//! the window with its expiry, later hits count without moving it (INCR keeps a key's expiry),
//! and no other client can slip between the three.
//!
//! While Redis is unreachable the counters fall back to this node's memory: sends and logins go
//! on, throttled per node rather than not at all, and a warning says so once per outage.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::store::counters::{MemoryCounters, WindowCounters};

/// Counters shared by every node through Redis.
pub struct RedisCounters {
    conn: ConnectionManager,
    prefix: String,
    fallback: MemoryCounters,
    /// False from the first failed call until one succeeds again: warn once per outage.
    reachable: AtomicBool,
}

impl RedisCounters {
    /// Counters under `{prefix}counter:`.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}counter:"),
            fallback: MemoryCounters::default(),
            reachable: AtomicBool::new(true),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn succeeded(&self) {
        if !self.reachable.swap(true, Ordering::Relaxed) {
            tracing::info!("throttling counters are shared through Redis again");
        }
    }

    fn failed(&self, err: &redis::RedisError) {
        if self.reachable.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "cannot reach Redis for throttling counters: {err}; counting per node until it is back"
            );
        }
    }
}

fn remaining(pttl_ms: i64) -> Duration {
    // -2: no key; -1: no expiry (cannot happen for keys made here).
    Duration::from_millis(pttl_ms.max(0) as u64)
}

#[async_trait]
impl WindowCounters for RedisCounters {
    async fn get(&self, key: &str) -> (u32, Duration) {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let answer: Result<(Option<u32>, i64), _> = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut conn)
            .await;
        match answer {
            Ok((Some(count), pttl)) if pttl > 0 => {
                self.succeeded();
                (count, remaining(pttl))
            }
            Ok(_) => {
                self.succeeded();
                (0, Duration::ZERO)
            }
            Err(err) => {
                self.failed(&err);
                self.fallback.get(&key).await
            }
        }
    }

    async fn hit(&self, key: &str, window: Duration) -> u32 {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let window_ms = window.as_millis().max(1) as u64;
        let answer: Result<(u32,), _> = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("PX")
            .arg(window_ms)
            .arg("NX")
            .ignore()
            .incr(&key, 1)
            .query_async(&mut conn)
            .await;
        match answer {
            Ok((count,)) => {
                self.succeeded();
                count
            }
            Err(err) => {
                self.failed(&err);
                self.fallback.hit(&key, window).await
            }
        }
    }

    async fn reset(&self, key: &str) {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        match redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut conn)
            .await
        {
            Ok(()) => self.succeeded(),
            Err(err) => self.failed(&err),
        }
        self.fallback.reset(&key).await;
    }
}
