//! Presence shared by every node through Redis: a user is online while any live node holds one
//! of their sockets.
//!
//! # Keys (all under the configured prefix, then `presence:`)
//! - `presence:nodes` — sorted set, node tag → lease deadline (ms, by Redis' own clock). A node is
//!   *live* while its deadline is ahead. The tag is random per process, so a restarted node
//!   never inherits a dead one's counts.
//! - `presence:user:{user id}` — hash, node tag → that node's sockets of the user (> 0).
//! - `presence:node:{tag}` — set of the users a node counts: what to clean when it dies.
//!
//! One sorted set rather than a `SET … PX` key per node: liveness and "which nodes died" are
//! the same structure (`ZSCORE`, `ZRANGEBYSCORE -inf now`), and the lookup script names every
//! key it reads in `KEYS`.
//!
//! # Scripts (`presence/*.lua`, each prefixed by `prelude.lua`) and round trips
//! - `connected`/`disconnected`: `change.lua` — `HINCRBY` this node's field, keep the node's set,
//!   then whether another live node counts the user: "first/last socket anywhere" is decided
//!   atomically. One round trip (concurrent changes share one pipeline).
//! - `online_among` (get_presence, up to 200 users) and `sockets_of`: `sockets.lua` — one round
//!   trip whatever the number of users; other nodes' live counts come from Redis, this node's
//!   own from memory (authoritative, and right even while Redis lost them).
//! - heartbeat, every `min(lease / 3, 1 s)`: `heartbeat.lua` renews the lease if it still runs
//!   and lists nodes whose lease ran out — one round trip; `reassert.lua` takes a new lease
//!   together with the node's whole state when the old one had run out, after a failed or
//!   ambiguous write, or when a count drifted below zero (Redis restarted) — one more (so a
//!   live lease always comes with the node's counts); `reap.lua` per dead node, 500 users per
//!   call.
//! - `local_totals`, `reap`: memory only.
//!
//! Scripts go whole with `EVAL` (about 1 KB): Redis caches them by digest all the same, and a
//! restarted Redis, which has forgotten loaded scripts, never answers `NOSCRIPT`, so no call
//! takes a second round trip to reload one. Scripts compute some key names from the prefix
//! (a dead node's users), so a single Redis (or a Sentinel-managed primary) is assumed, as for
//! the bus; `TIME` inside scripts needs Redis ≥ 5.
//!
//! # Bounds
//! A node killed at `t` renewed its lease at most one heartbeat before, so its users look
//! offline to every node by `t + node_lease` (lookups skip dead nodes' counts), and the next
//! heartbeat of any live node reaps them, reporting them through `reap()`: by
//! `t + node_lease + heartbeat`, plus however often the daemon calls `reap()`. A reaping node
//! reports a user only when no live node counts them and forgets their other dead nodes' counts,
//! and a node announcing a last socket does the same: each offline is announced once.
//!
//! # Writes are ordered, and memory is authoritative for this node
//! This node keeps its own counts in memory. Every write goes through one task, in the order the
//! counts changed, so a quick close-and-reopen can never reach Redis reversed; the same task
//! renews the lease, so a busy node does not lose it. When a write fails, times out or finds a
//! count below zero, the node stops writing single changes and, at the next heartbeat, writes
//! its whole state again in one script (changes queued before that snapshot are skipped, ones
//! after it follow it). Rebuilt within a heartbeat of Redis answering again (well inside 5 s:
//! connections retry every ≤ 2 s).
//!
//! # Outage
//! Nothing crashes and nothing queues without bound: writes wait in a bounded queue (full: the
//! change is kept in memory and written with the next full state), callers wait for Redis at
//! most [`ANSWER_WAIT`] (while Redis is away a call would otherwise wait for the connection's
//! whole reconnection schedule, several seconds), and once a call failed or was too slow, calls
//! answer from this node's memory at once until a heartbeat gets through (warned once per
//! outage, told when back). What cannot be told while
//! Redis is away — users reaped by others while this node was unreachable, users whose last
//! socket closed meanwhile — comes back through `reap()` after the full rewrite; an announcement
//! may then repeat one already made, which is harmless as presence events carry a state.
//!
//! Dropping the store stops its task without touching Redis: to the other nodes that looks like
//! a crash. A daemon shutting down closes its sockets first, which empties its counts.

mod upkeep;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

use crate::domain::UserId;
use crate::store::presence::{PresenceChanges, PresenceStore};

/// The longest a caller waits for Redis before answering from this node's memory; the write
/// still goes through, in order.
pub const ANSWER_WAIT: Duration = Duration::from_secs(1);
/// The longest between heartbeats, whatever the lease.
const MAX_HEARTBEAT: Duration = Duration::from_secs(1);
/// Leases shorter than this are raised to it: Redis' own expiry resolution and a scheduler
/// hiccup would otherwise kill live nodes.
const MIN_LEASE: Duration = Duration::from_millis(300);
/// Socket changes waiting for the writing task, beyond which they wait for the next full write.
const WRITE_QUEUE: usize = 4_096;
/// Reaped and restored users kept for `reap()`: a daemon that never calls it keeps this much.
const MAX_FOUND: usize = 100_000;

const SOCKETS: &str = concat!(
    include_str!("presence/prelude.lua"),
    include_str!("presence/sockets.lua")
);

/// Presence in Redis for one node of the chat; see the module doc.
pub struct RedisPresence {
    /// This process's node tag: random, so a restarted node starts afresh.
    tag: String,
    keys: Keys,
    lease: Duration,
    /// For lookups; writes go through the task's own clone of the same connection.
    conn: ConnectionManager,
    local: Mutex<Local>,
    /// To the writing task; dropping it (with the store) stops the task.
    writes: mpsc::Sender<Write>,
    /// False from a failed call until a heartbeat gets through: lookups answer from memory
    /// meanwhile instead of waiting for timeouts, and the outage is warned about once.
    reachable: AtomicBool,
    found: Mutex<Found>,
}

/// This node's own sockets: authoritative for this node, whatever Redis holds.
#[derive(Default)]
struct Local {
    sockets: HashMap<UserId, usize>,
    /// Numbers the changes, so a full write can tell which queued changes it already contains.
    seq: u64,
    /// Whether Redis holds what is above, give or take the queued changes. False: single
    /// changes are not written; the next heartbeat writes everything.
    synced: bool,
}

/// One socket change on its way to Redis.
struct Write {
    user: UserId,
    delta: i64,
    seq: u64,
    /// Whether this made the user online/offline on the whole chat; None: not written (the
    /// next full write covers it), so the caller answers from memory.
    reply: oneshot::Sender<Option<bool>>,
}

/// Changes found by the heartbeat, kept until `reap()` takes them; latest state per user wins.
#[derive(Default)]
struct Found {
    online: HashMap<UserId, bool>,
    overflowed: bool,
}

/// Key names under `{prefix}presence:`.
struct Keys {
    prefix: String,
    nodes: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        let prefix = format!("{prefix}presence:");
        Keys {
            nodes: format!("{prefix}nodes"),
            prefix,
        }
    }

    fn user(&self, user: UserId) -> String {
        format!("{}user:{}", self.prefix, user.0)
    }

    fn node(&self, tag: &str) -> String {
        format!("{}node:{tag}", self.prefix)
    }
}

impl RedisPresence {
    /// Registers this node under `{prefix}presence:` with a lease of `node_lease` and starts its
    /// heartbeat; the users of a node that stops beating go offline within `node_lease` plus one
    /// heartbeat. Never fails: while Redis is unreachable the store answers from memory and
    /// keeps trying.
    pub async fn start(conn: ConnectionManager, prefix: &str, node_lease: Duration) -> Arc<Self> {
        let (writes, queue) = mpsc::channel(WRITE_QUEUE);
        let presence = Arc::new(RedisPresence {
            tag: format!("{:016x}", uuid::Uuid::new_v4().as_u64_pair().0),
            keys: Keys::new(prefix),
            lease: node_lease.max(MIN_LEASE),
            conn: conn.clone(),
            local: Mutex::new(Local::default()),
            writes,
            reachable: AtomicBool::new(true),
            found: Mutex::new(Found::default()),
        });
        upkeep::start(&presence, queue, conn).await;
        presence
    }

    /// This process's node tag, as it appears in Redis.
    pub fn node_tag(&self) -> &str {
        &self.tag
    }

    /// How long this node's lease lasts without a heartbeat.
    pub fn node_lease(&self) -> Duration {
        self.lease
    }

    /// How often this node renews its lease and reaps dead nodes.
    pub fn heartbeat(&self) -> Duration {
        (self.lease / 3).min(MAX_HEARTBEAT)
    }

    fn lock_local(&self) -> MutexGuard<'_, Local> {
        self.local.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Redis may not hold this node's counts any more: write them all at the next heartbeat.
    fn desync(&self) {
        self.lock_local().synced = false;
    }

    fn succeeded(&self) {
        if !self.reachable.swap(true, Ordering::Relaxed) {
            tracing::info!("presence is shared through Redis again");
        }
    }

    fn failed(&self, why: &dyn std::fmt::Display) {
        if self.reachable.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                "cannot reach Redis for presence: {why}; answering from this node's own sockets \
                 until it is back (users of other nodes look offline meanwhile)"
            );
        }
    }

    /// Redis did not answer within [`ANSWER_WAIT`] (while it is away, a call waits for the
    /// connection's whole reconnection schedule): answer from memory until a heartbeat gets
    /// through, and write everything then, as the slow write's fate is unknown.
    fn too_slow(&self) {
        self.desync();
        self.failed(&format_args!("no answer within {ANSWER_WAIT:?}"));
    }

    /// Keeps changes found by the heartbeat for `reap()`.
    fn found(&self, came_online: &[UserId], went_offline: &[UserId]) {
        let mut found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        let changes = came_online
            .iter()
            .map(|u| (*u, true))
            .chain(went_offline.iter().map(|u| (*u, false)));
        for (user, online) in changes {
            if found.online.len() < MAX_FOUND || found.online.contains_key(&user) {
                found.online.insert(user, online);
            } else if !found.overflowed {
                found.overflowed = true;
                tracing::warn!(
                    "{MAX_FOUND} presence changes are waiting to be announced (is the presence \
                     sweep running?); dropping more: clients see them at their next get_presence"
                );
            }
        }
    }

    /// Counts a socket coming (`delta` 1) or going (-1); whether the user's presence changed on
    /// the whole chat, or on this node when Redis cannot say.
    async fn change(&self, user: UserId, delta: i64) -> bool {
        let (here, waiting) = {
            let mut local = self.lock_local();
            let before = local.sockets.get(&user).copied().unwrap_or(0);
            let Some(after) = before.checked_add_signed(delta as isize) else {
                return false; // a socket this node never counted
            };
            if after == 0 {
                local.sockets.remove(&user);
            } else {
                local.sockets.insert(user, after);
            }
            local.seq += 1;
            // Queued under the lock, so the queue's order is the order the counts changed.
            let waiting = if local.synced {
                let (reply, answer) = oneshot::channel();
                let write = Write {
                    user,
                    delta,
                    seq: local.seq,
                    reply,
                };
                match self.writes.try_send(write) {
                    Ok(()) => Some(answer),
                    Err(_) => {
                        local.synced = false; // the queue is full: write everything later
                        None
                    }
                }
            } else {
                None
            };
            ((before == 0) != (after == 0), waiting)
        };
        let Some(answer) = waiting else { return here };
        match tokio::time::timeout(ANSWER_WAIT, answer).await {
            Ok(Ok(Some(anywhere))) => anywhere,
            Ok(_) => here,
            Err(_) => {
                self.too_slow();
                here
            }
        }
    }

    /// Sockets of each of `users` counted by other live nodes; None when Redis cannot say.
    async fn sockets_elsewhere(&self, users: &[UserId]) -> Option<Vec<usize>> {
        if users.is_empty() || !self.reachable.load(Ordering::Relaxed) {
            return None;
        }
        let mut keys = Vec::with_capacity(users.len() + 1);
        keys.push(self.keys.nodes.clone());
        keys.extend(users.iter().map(|u| self.keys.user(*u)));
        let mut conn = self.conn.clone();
        let mut lookup = script(SOCKETS, &keys);
        lookup.arg(&self.keys.prefix).arg(&self.tag);
        match tokio::time::timeout(ANSWER_WAIT, lookup.query_async::<Vec<usize>>(&mut conn)).await {
            Ok(Ok(counts)) if counts.len() == users.len() => Some(counts),
            Ok(Ok(_)) => None,
            Ok(Err(err)) => {
                self.failed(&err);
                None
            }
            Err(_) => {
                self.failed(&format_args!("no answer within {ANSWER_WAIT:?}"));
                None
            }
        }
    }
}

/// `EVAL` of a presence script (prelude included) with its keys; the caller adds ARGV, the
/// prefix first.
fn script(body: &'static str, keys: &[String]) -> redis::Cmd {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg(body).arg(keys.len()).arg(keys);
    cmd
}

#[async_trait]
impl PresenceStore for RedisPresence {
    async fn connected(&self, user: UserId) -> bool {
        self.change(user, 1).await
    }

    async fn disconnected(&self, user: UserId) -> bool {
        self.change(user, -1).await
    }

    async fn online_among(&self, users: &[UserId]) -> HashSet<UserId> {
        let elsewhere = self.sockets_elsewhere(users).await;
        let local = self.lock_local();
        let mut online: HashSet<UserId> = users
            .iter()
            .filter(|u| local.sockets.contains_key(u))
            .copied()
            .collect();
        if let Some(counts) = elsewhere {
            online.extend(
                users
                    .iter()
                    .zip(counts)
                    .filter(|(_, n)| *n > 0)
                    .map(|(u, _)| *u),
            );
        }
        online
    }

    async fn sockets_of(&self, user: UserId) -> usize {
        let elsewhere = self.sockets_elsewhere(&[user]).await;
        let here = self.lock_local().sockets.get(&user).copied().unwrap_or(0);
        here + elsewhere.and_then(|c| c.first().copied()).unwrap_or(0)
    }

    fn local_totals(&self) -> (usize, usize) {
        let local = self.lock_local();
        (local.sockets.len(), local.sockets.values().sum())
    }

    async fn reap(&self) -> PresenceChanges {
        let found = std::mem::take(&mut *self.found.lock().unwrap_or_else(|p| p.into_inner()));
        if found.online.is_empty() {
            return PresenceChanges::default();
        }
        // Found up to a heartbeat (or a slow sweep) ago: a user may have come or gone since, and
        // announcing a stale state would contradict the socket that changed it.
        let mut users: Vec<UserId> = found.online.keys().copied().collect();
        users.sort();
        let online_now = self.online_among(&users).await;
        let mut changes = PresenceChanges::default();
        for user in users {
            match (found.online[&user], online_now.contains(&user)) {
                (true, true) => changes.came_online.push(user),
                (false, false) => changes.went_offline.push(user),
                _ => {}
            }
        }
        changes
    }
}
