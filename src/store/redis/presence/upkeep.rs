//! The one task that writes this node's presence to Redis: socket changes in the order they
//! happened, the heartbeat, full rewrites, and reaping dead nodes.
//!
//! One task rather than each caller writing: the order of writes is then the order of changes
//! (a close and a reopen of the same user can never reach Redis reversed), and a full rewrite
//! knows exactly which queued changes its snapshot already holds. It holds only a `Weak`
//! reference, and stops when the store is dropped: without cleaning up, like a crashed node.

use std::sync::{Arc, Weak};
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::{Keys, RedisPresence, Write, script};
use crate::domain::UserId;

const HEARTBEAT: &str = concat!(include_str!("prelude.lua"), include_str!("heartbeat.lua"));
const REASSERT: &str = concat!(include_str!("prelude.lua"), include_str!("reassert.lua"));
const REAP: &str = concat!(include_str!("prelude.lua"), include_str!("reap.lua"));
const CHANGE: &str = concat!(include_str!("prelude.lua"), include_str!("change.lua"));

/// Most socket changes written in one pipeline.
const MAX_BATCH: usize = 256;
/// Most dead nodes one heartbeat looks at.
const DEAD_PER_HEARTBEAT: usize = 16;
/// Users reaped per script call: a large dead node never blocks Redis for long.
const REAP_CHUNK: usize = 500;
/// Script calls per dead node per heartbeat, so socket changes are not held up for long; the
/// next heartbeat goes on.
const REAP_CALLS_PER_HEARTBEAT: usize = 8;

/// Registers the node (an empty full write) before returning, then runs the task.
pub(super) async fn start(
    presence: &Arc<RedisPresence>,
    queue: mpsc::Receiver<Write>,
    conn: ConnectionManager,
) {
    let mut upkeep = Upkeep {
        presence: Arc::downgrade(presence),
        queue,
        conn,
        written_through: 0,
    };
    upkeep.heartbeat(presence).await;
    tokio::spawn(upkeep.run(presence.heartbeat()));
}

struct Upkeep {
    presence: Weak<RedisPresence>,
    queue: mpsc::Receiver<Write>,
    conn: ConnectionManager,
    /// Changes numbered up to this are in Redis through a full write: skip them when dequeued.
    written_through: u64,
}

impl Upkeep {
    async fn run(mut self, every: Duration) {
        let mut beat = tokio::time::interval_at(Instant::now() + every, every);
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            // Heartbeats first: a flood of socket changes must not cost the node its lease.
            tokio::select! {
                biased;
                _ = beat.tick() => {
                    let Some(presence) = self.presence.upgrade() else { return };
                    self.heartbeat(&presence).await;
                }
                received = self.queue.recv_many(&mut batch, MAX_BATCH) => {
                    // Zero: the store was dropped with its sender.
                    if received == 0 { return }
                    let Some(presence) = self.presence.upgrade() else { return };
                    self.write(&presence, &mut batch).await;
                }
            }
        }
    }

    /// Renews the lease (writing everything when Redis lost it or may differ), then reaps.
    async fn heartbeat(&mut self, presence: &RedisPresence) {
        let synced = presence.lock_local().synced;
        let dead = if synced {
            let keys = [presence.keys.nodes.clone()];
            let renewed = script(HEARTBEAT, &keys)
                .arg(&presence.keys.prefix)
                .arg(&presence.tag)
                .arg(lease_ms(presence))
                .arg(DEAD_PER_HEARTBEAT)
                .query_async::<(i64, Vec<String>)>(&mut self.conn)
                .await;
            match renewed {
                Ok((1, dead)) => {
                    presence.succeeded();
                    dead
                }
                Ok(_) => {
                    presence.succeeded();
                    tracing::info!(
                        node = %presence.tag,
                        "this node's presence lease had run out (Redis restarted, or this node \
                         was out of reach for longer than its lease): writing its users again"
                    );
                    match self.write_all(presence).await {
                        Some(dead) => dead,
                        None => return,
                    }
                }
                Err(err) => {
                    presence.failed(&err);
                    presence.desync();
                    return;
                }
            }
        } else {
            match self.write_all(presence).await {
                Some(dead) => dead,
                None => return,
            }
        };
        for tag in dead.iter().filter(|t| **t != presence.tag) {
            if !self.reap(presence, tag).await {
                return;
            }
        }
    }

    /// Writes this node's whole state and renews its lease; the dead nodes to reap, or None
    /// when Redis could not be reached.
    async fn write_all(&mut self, presence: &RedisPresence) -> Option<Vec<String>> {
        let (sockets, seq) = {
            let mut local = presence.lock_local();
            // Changes from now on queue behind this write and follow it.
            local.synced = true;
            let sockets: Vec<(UserId, usize)> =
                local.sockets.iter().map(|(u, n)| (*u, *n)).collect();
            (sockets, local.seq)
        };
        let keys = [
            presence.keys.nodes.clone(),
            presence.keys.node(&presence.tag),
        ];
        let mut cmd = script(REASSERT, &keys);
        cmd.arg(&presence.keys.prefix)
            .arg(&presence.tag)
            .arg(lease_ms(presence))
            .arg(DEAD_PER_HEARTBEAT);
        for (user, count) in &sockets {
            cmd.arg(user.0).arg(*count);
        }
        match cmd
            .query_async::<(Vec<i64>, Vec<i64>, Vec<String>)>(&mut self.conn)
            .await
        {
            Ok((came, went, dead)) => {
                presence.succeeded();
                self.written_through = seq;
                presence.found(&users(came), &users(went));
                Some(dead)
            }
            Err(err) => {
                presence.failed(&err);
                presence.desync();
                None
            }
        }
    }

    /// Cleans up after node `tag`, whose lease ran out; false when Redis could not be reached.
    async fn reap(&mut self, presence: &RedisPresence, tag: &str) -> bool {
        let keys = [presence.keys.nodes.clone(), presence.keys.node(tag)];
        let mut reaped = 0;
        for _ in 0..REAP_CALLS_PER_HEARTBEAT {
            let answer = script(REAP, &keys)
                .arg(&presence.keys.prefix)
                .arg(tag)
                .arg(REAP_CHUNK)
                .query_async::<(i64, Vec<i64>)>(&mut self.conn)
                .await;
            match answer {
                Ok((done, went)) => {
                    reaped += went.len();
                    presence.found(&[], &users(went));
                    if done == 1 {
                        break;
                    }
                }
                Err(err) => {
                    presence.failed(&err);
                    return false;
                }
            }
        }
        if reaped > 0 {
            tracing::info!(
                node = %tag,
                users = reaped,
                "a node stopped renewing its presence lease: its users are offline"
            );
        }
        true
    }

    /// Writes queued socket changes in one pipeline and answers their callers.
    async fn write(&mut self, presence: &RedisPresence, batch: &mut Vec<Write>) {
        let synced = presence.lock_local().synced;
        let (send, skip): (Vec<Write>, Vec<Write>) = batch
            .drain(..)
            .partition(|w| synced && w.seq > self.written_through);
        for write in skip {
            // Already in a full write, or waiting for the next one: the caller uses memory.
            let _ = write.reply.send(None);
        }
        if send.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for write in &send {
            let keys = change_keys(&presence.keys, &presence.tag, write.user);
            let mut change = script(CHANGE, &keys);
            change
                .arg(&presence.keys.prefix)
                .arg(&presence.tag)
                .arg(write.user.0)
                .arg(write.delta);
            pipe.add_command(change);
        }
        match pipe.query_async::<Vec<(i64, i64)>>(&mut self.conn).await {
            Ok(answers) if answers.len() == send.len() => {
                presence.succeeded();
                for (write, (changed, drift)) in send.into_iter().zip(answers) {
                    if drift == 1 {
                        presence.desync(); // Redis lost this node's counts
                    }
                    let _ = write.reply.send(Some(changed == 1));
                }
            }
            answer => {
                if let Err(err) = &answer {
                    presence.failed(err);
                }
                // Which changes were applied is unknown: the next heartbeat writes everything.
                presence.desync();
                for write in send {
                    let _ = write.reply.send(None);
                }
            }
        }
    }
}

fn change_keys(keys: &Keys, tag: &str, user: UserId) -> [String; 3] {
    [keys.nodes.clone(), keys.user(user), keys.node(tag)]
}

fn lease_ms(presence: &RedisPresence) -> u64 {
    presence.lease.as_millis() as u64
}

fn users(ids: Vec<i64>) -> Vec<UserId> {
    ids.into_iter().map(UserId).collect()
}
