//! Fixed-window counters in Redis: one window per key for every node.
//!
//! A hit is `SET key 0 PX window NX; INCR key; PTTL key` in one MULTI/EXEC: the first hit opens
//! the window with its expiry, later hits count without moving it (INCR keeps a key's expiry),
//! and no other client can slip between the three.
//!
//! While Redis is unreachable the counters fall back to this node's memory: sends and logins go
//! on, throttled per node rather than not at all, and a warning says so once per outage. A send
//! must not wait for Redis' reconnection schedule (seconds per attempt): a call waits at most
//! [`super::presence::ANSWER_WAIT`] ([`super::bounded`]), and once one failed, calls go straight
//! to memory while a background `PING`, at most one per [`PROBE_EVERY`], finds out when Redis is
//! back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::store::counters::{MemoryCounters, WindowCounters};

/// How often Redis is probed while the counters count in memory.
const PROBE_EVERY: Duration = Duration::from_millis(500);

/// Counters shared by every node through Redis.
pub struct RedisCounters {
    conn: ConnectionManager,
    prefix: String,
    fallback: MemoryCounters,
    /// False from the first failed call until a probe succeeds: warn once per outage, and
    /// count in memory meanwhile.
    reachable: Arc<AtomicBool>,
    /// When the last probe started, while unreachable.
    probed: Mutex<Option<Instant>>,
}

impl RedisCounters {
    /// Counters under `{prefix}counter:`.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            prefix: format!("{prefix}counter:"),
            fallback: MemoryCounters::default(),
            reachable: Arc::new(AtomicBool::new(true)),
            probed: Mutex::new(None),
        }
    }

    /// Whether to ask Redis; when not, starts a probe if none ran lately.
    async fn use_redis(&self) -> bool {
        if self.reachable.load(Ordering::Relaxed) {
            return true;
        }
        let mut probed = self.probed.lock().await;
        if probed.is_none_or(|at| at.elapsed() >= PROBE_EVERY) {
            *probed = Some(Instant::now());
            let (mut conn, reachable) = (self.conn.clone(), self.reachable.clone());
            tokio::spawn(async move {
                if super::ping(&mut conn).await.is_ok() && !reachable.swap(true, Ordering::Relaxed)
                {
                    tracing::info!("throttling counters are shared through Redis again");
                }
            });
        }
        false
    }

    /// Runs `call` on Redis within the answer wait; `None` (and memory from now on) otherwise.
    async fn ask<T>(&self, call: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
        if !self.use_redis().await {
            return None;
        }
        match super::bounded(call).await {
            Ok(answer) => Some(answer),
            Err(why) => {
                self.failed(&why);
                None
            }
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn failed(&self, err: &str) {
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
        let mut pipe = redis::pipe();
        pipe.get(&key).pttl(&key);
        match self
            .ask(pipe.query_async::<(Option<u32>, i64)>(&mut conn))
            .await
        {
            Some((Some(count), pttl)) if pttl > 0 => (count, remaining(pttl)),
            Some(_) => (0, Duration::ZERO),
            None => self.fallback.get(&key).await,
        }
    }

    async fn hit(&self, key: &str, window: Duration) -> u32 {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let window_ms = window.as_millis().max(1) as u64;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("PX")
            .arg(window_ms)
            .arg("NX")
            .ignore()
            .incr(&key, 1);
        match self.ask(pipe.query_async::<(u32,)>(&mut conn)).await {
            Some((count,)) => count,
            None => self.fallback.hit(&key, window).await,
        }
    }

    async fn reset(&self, key: &str) {
        let mut conn = self.conn.clone();
        let key = self.key(key);
        let mut del = redis::cmd("DEL");
        del.arg(&key);
        self.ask(del.query_async::<()>(&mut conn)).await;
        self.fallback.reset(&key).await;
    }
}
