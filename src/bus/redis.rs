//! The scaled-out profile's bus: events cross nodes over Redis pub/sub.
//!
//! Design (cost per message in docs/scale-out.md):
//! - **A channel per user** (`{prefix}u:{id}`). A node subscribes to the channels of the users
//!   whose sockets it holds, and only to those, so it receives only events it can deliver:
//!   adding nodes does not make every node parse every event. A publish costs one `PUBLISH` per
//!   recipient, pipelined, all carrying the same bytes encoded once (`codec`). Node-wide events
//!   (a retired signing key, cache invalidations) go to one `{prefix}nodes` channel.
//! - **Local first.** Every event is delivered to this node's sockets from memory, whether or
//!   not Redis answers; a node skips its own frames when Redis echoes them back, so nothing is
//!   delivered twice and a node never needs Redis to reach its own sockets.
//! - **Bounded.** Publishes wait in a bounded outbox; while Redis is down the oldest work is not
//!   kept: a full outbox drops new events (counted, warned once per outage). Clients catch up
//!   through history, as after any missed event.
//! - **Self-healing.** `ConnectionManager` reconnects with backoff and resubscribes by itself
//!   (RESP3 push messages); the subscription set is reconciled in batches (one `SUBSCRIBE` or
//!   `UNSUBSCRIBE` naming many channels) whenever sockets come or go.
//!
//! A single Redis (or a Sentinel-managed primary) is assumed. On Redis Cluster the same design
//! maps onto sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE` grouped by slot); it brings nothing on one
//! node, where plain pub/sub is the same work.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{PushInfo, PushKind, Value};
use tokio::sync::{Notify, broadcast, mpsc, oneshot};

use super::codec::{self, NodeTag};
use super::{Envelope, Event, EventBus, ResyncReason, Watching};
use crate::domain::UserId;
use crate::store::redis::{self as redis_store, RedisSetupError};

/// Events published but not yet handed to Redis, beyond which new ones are dropped.
const OUTBOX_CAPACITY: usize = 16_384;
/// Most envelopes written in one pipeline.
const MAX_BATCH: usize = 256;
/// Most channels named in one SUBSCRIBE/UNSUBSCRIBE.
const MAX_CHANNELS_PER_COMMAND: usize = 1_000;
/// Pause before retrying a failed subscription change.
const RESUBSCRIBE_BACKOFF: Duration = Duration::from_millis(250);
/// How often an idle subscriber connection is checked. It sends no commands of its own, and the
/// connection manager only reconnects when a command fails or Redis says goodbye: after an
/// outage longer than its retry schedule, or a connection that died silently, nothing else would
/// bring the subscriptions back.
const SUBSCRIBER_CHECK: Duration = Duration::from_secs(1);

/// Counts for health and status reports.
#[derive(Debug, Default)]
pub struct BusStats {
    pub published: AtomicU64,
    pub dropped: AtomicU64,
    pub received: AtomicU64,
    pub undecodable: AtomicU64,
}

/// The users whose channels this node wants, and which of them changed since the subscription
/// task last looked: it works through the changes, not the whole set, so a socket coming or
/// going costs the same on a node holding ten users or a hundred thousand.
#[derive(Default)]
struct Watched {
    /// Sockets this node holds per user.
    sockets: HashMap<UserId, u32>,
    /// Users who got their first socket here or lost their last one.
    changed: HashSet<UserId>,
    /// Users whose channel Redis confirmed subscribing to: kept by the subscription task.
    live: HashSet<UserId>,
    /// Handshakes waiting for a user's channel to be live.
    waiting: HashMap<UserId, Vec<oneshot::Sender<()>>>,
}

impl Watched {
    /// Redis confirmed these users' channels: their events reach this node from now on.
    fn went_live(&mut self, users: &[UserId]) {
        for user in users {
            self.live.insert(*user);
            for waiter in self.waiting.remove(user).unwrap_or_default() {
                let _ = waiter.send(());
            }
        }
    }
}

/// Events between nodes over Redis; see the module doc.
pub struct RedisBus {
    tag: NodeTag,
    prefix: String,
    local: broadcast::Sender<Arc<Envelope>>,
    outbox: mpsc::Sender<Arc<Envelope>>,
    /// Sockets this node holds per user: the users whose channels it should subscribe to.
    watched: Mutex<Watched>,
    /// Wakes the subscription task: the watched set changed, or the bus is gone.
    watch_changed: Arc<Notify>,
    /// False from the first failed write until one succeeds again: warn once per outage.
    writing: AtomicBool,
    /// Set when the subscriber connection dropped: Redis may have forgotten every subscription.
    subscriber_lost: AtomicBool,
    /// Set while subscription changes fail: a handshake then does not wait for its user's
    /// channel, which comes back with a `resync` of every socket of this node.
    subscriptions_failing: AtomicBool,
    stats: Arc<BusStats>,
}

impl RedisBus {
    /// Connects to Redis at `url` and starts the publishing and subscribing tasks; channel and
    /// key names start with `prefix`. `capacity` events may queue per local subscriber.
    pub async fn connect(
        url: &str,
        prefix: &str,
        capacity: usize,
    ) -> Result<Arc<Self>, RedisSetupError> {
        let (local, _) = broadcast::channel(capacity.max(16));
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX_CAPACITY);
        let stats = Arc::new(BusStats::default());
        let bus = Arc::new(RedisBus {
            tag: uuid::Uuid::new_v4().as_u64_pair().0,
            prefix: prefix.to_owned(),
            local,
            outbox,
            watched: Mutex::new(Watched::default()),
            watch_changed: Arc::new(Notify::new()),
            writing: AtomicBool::new(true),
            subscriber_lost: AtomicBool::new(false),
            subscriptions_failing: AtomicBool::new(false),
            stats,
        });

        // The bus's tasks and its two connections' drivers run on a thread of their own: at a
        // moderate rate every message is a hand-off from publisher to connection driver and
        // back, and on the shared runtime each hop could wake another worker thread (a context
        // switch, tens of µs on a VM); on one thread they are task switches (BENCHMARKS.md,
        // `cargo bench --bench bus_publish`).
        let (started, setup) = oneshot::channel();
        let (weak, changed, url) = (
            Arc::downgrade(&bus),
            bus.watch_changed.clone(),
            url.to_owned(),
        );
        std::thread::Builder::new()
            .name("omegachat-bus".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started.send(Err(RedisSetupError::Thread(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match connections(&url, &weak).await {
                        Ok((publisher, subscriber)) => {
                            let _ = started.send(Ok(()));
                            let publishing =
                                tokio::spawn(publish_loop(weak.clone(), outbox_rx, publisher));
                            subscription_loop(weak, changed, subscriber).await;
                            let _ = publishing.await;
                        }
                        Err(e) => {
                            let _ = started.send(Err(e));
                        }
                    }
                });
            })
            .map_err(RedisSetupError::Thread)?;
        match setup.await {
            Ok(Ok(())) => Ok(bus),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(RedisSetupError::Thread(std::io::Error::other(
                "the event bus thread stopped while starting",
            ))),
        }
    }

    /// Counters of what went through the bus.
    pub fn stats(&self) -> Arc<BusStats> {
        self.stats.clone()
    }

    fn user_channel(&self, user: UserId) -> String {
        format!("{}u:{}", self.prefix, user.0)
    }

    fn nodes_channel(&self) -> String {
        format!("{}nodes", self.prefix)
    }

    fn user_of_channel(&self, channel: &[u8]) -> Option<UserId> {
        let rest = channel
            .strip_prefix(self.prefix.as_bytes())?
            .strip_prefix(b"u:")?;
        std::str::from_utf8(rest).ok()?.parse().ok().map(UserId)
    }

    /// Events from other nodes may have been missed while the subscriptions were down: every
    /// socket of this node is told to catch up (only here; other nodes have their own view).
    fn tell_local_sockets_to_resync(&self) {
        let _ = self.local.send(Arc::new(Envelope {
            recipients: Vec::new(),
            event: Event::Resync {
                reason: ResyncReason::BusReconnected,
            },
        }));
    }

    /// A message pushed by Redis on the subscriber connection.
    fn received(&self, push: PushInfo) {
        if push.kind == PushKind::Disconnection {
            self.subscriber_lost.store(true, Ordering::Relaxed);
            self.watch_changed.notify_one();
            return;
        }
        if push.kind != PushKind::Message {
            return; // subscribe confirmations
        }
        let [Value::BulkString(channel), Value::BulkString(payload)] = push.data.as_slice() else {
            return;
        };
        if codec::origin(payload) == Some(self.tag) {
            return; // delivered locally when published
        }
        let recipients = if channel.as_slice() == self.nodes_channel().as_bytes() {
            Vec::new()
        } else if let Some(user) = self.user_of_channel(channel) {
            vec![user]
        } else {
            return;
        };
        match codec::decode(payload) {
            Ok((_, event)) => {
                self.stats.received.fetch_add(1, Ordering::Relaxed);
                let _ = self.local.send(Arc::new(Envelope { recipients, event }));
            }
            Err(err) => {
                if self.stats.undecodable.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!(
                        "dropping an event from another node that this node cannot read: {err}; \
                         are all nodes running the same omegachatd version?"
                    );
                }
            }
        }
    }
}

impl EventBus for RedisBus {
    fn publish(&self, envelope: Envelope) {
        if envelope.recipients.is_empty() && !envelope.event.is_node_wide() {
            return;
        }
        let envelope = Arc::new(envelope);
        // This node's own sockets first, from memory: Redis may be slow or down.
        let _ = self.local.send(envelope.clone());
        if self.outbox.try_send(envelope).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.local.subscribe()
    }

    fn watch(&self, user: UserId) -> Watching {
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        let count = watched.sockets.entry(user).or_insert(0);
        *count += 1;
        if *count == 1 {
            watched.changed.insert(user);
            self.watch_changed.notify_one();
        }
        if watched.live.contains(&user) || self.subscriptions_failing.load(Ordering::Relaxed) {
            return Watching::live();
        }
        let (confirmed, live) = oneshot::channel();
        watched.waiting.entry(user).or_default().push(confirmed);
        Watching::once(live)
    }

    fn unwatch(&self, user: UserId) {
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = watched.sockets.get_mut(&user) {
            *count -= 1;
            if *count == 0 {
                watched.sockets.remove(&user);
                // Nobody is left to wait for: dropping the senders ends their waits.
                watched.waiting.remove(&user);
                watched.changed.insert(user);
                self.watch_changed.notify_one();
            }
        }
    }
}

impl Drop for RedisBus {
    fn drop(&mut self) {
        // The subscription task waits for changes; tell it there will be none.
        self.watch_changed.notify_one();
    }
}

/// The bus's publishing and subscribing connections; the subscriber already listens on the
/// node-wide channel, so an unreachable Redis fails here, with a clear error, at start-up.
async fn connections(
    url: &str,
    bus: &std::sync::Weak<RedisBus>,
) -> Result<(ConnectionManager, ConnectionManager), RedisSetupError> {
    let publisher = redis_store::connect(url).await?;
    let receiver = bus.clone();
    let subscriber_config = redis_store::manager_config()
        .set_push_sender(move |push: PushInfo| -> Result<(), ()> {
            if let Some(bus) = receiver.upgrade() {
                bus.received(push);
            }
            Ok(())
        })
        .set_automatic_resubscription();
    let mut subscriber = redis_store::connect_with(url, subscriber_config).await?;
    let nodes_channel = match bus.upgrade() {
        Some(bus) => bus.nodes_channel(),
        None => {
            return Err(RedisSetupError::Thread(std::io::Error::other(
                "the event bus was dropped while starting",
            )));
        }
    };
    subscriber
        .subscribe(nodes_channel)
        .await
        .map_err(|source| RedisSetupError::Connect {
            url: url.to_owned(),
            source,
        })?;
    Ok((publisher, subscriber))
}

/// Writes queued envelopes to Redis, a pipeline per batch, until the bus is dropped.
async fn publish_loop(
    bus: std::sync::Weak<RedisBus>,
    mut outbox: mpsc::Receiver<Arc<Envelope>>,
    mut conn: ConnectionManager,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while outbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let Some(bus) = bus.upgrade() else { return };
        let mut pipe = redis::pipe();
        let mut publishes = 0u64;
        for envelope in batch.drain(..) {
            let frame = codec::encode(bus.tag, &envelope.event);
            if envelope.recipients.is_empty() {
                pipe.publish(bus.nodes_channel(), &frame).ignore();
                publishes += 1;
            }
            for user in &envelope.recipients {
                pipe.publish(bus.user_channel(*user), &frame).ignore();
                publishes += 1;
            }
        }
        match pipe.query_async::<()>(&mut conn).await {
            Ok(()) => {
                bus.stats.published.fetch_add(publishes, Ordering::Relaxed);
                if !bus.writing.swap(true, Ordering::Relaxed) {
                    tracing::info!("publishing events to Redis again");
                }
            }
            Err(err) => {
                bus.stats.dropped.fetch_add(publishes, Ordering::Relaxed);
                if bus.writing.swap(false, Ordering::Relaxed) {
                    tracing::warn!(
                        "cannot publish events to Redis: {err}; other nodes miss them until it is \
                         back (this node's own sockets still get them; clients catch up through \
                         history)"
                    );
                }
            }
        }
    }
}

/// Keeps the subscriber connection's channel set equal to the users this node holds sockets of
/// (and the node-wide channel), also across reconnections: when the connection was lost, or a
/// periodic check finds it dead, everything is subscribed again, retrying every
/// [`RESUBSCRIBE_BACKOFF`] until Redis answers (each attempt also makes the connection manager
/// reconnect).
async fn subscription_loop(
    bus: std::sync::Weak<RedisBus>,
    changed: Arc<Notify>,
    mut conn: ConnectionManager,
) {
    // Users to look at again: changed since the last pass, or whose change failed.
    let mut pending: HashSet<UserId> = HashSet::new();
    // Channels being (or failed to be) unsubscribed: no longer live for a new socket, which
    // waits for the subscription that follows, but still to be dropped at Redis.
    let mut leaving: HashSet<UserId> = HashSet::new();
    // Subscribed by `connect`.
    let mut nodes_channel = true;
    // Set when subscriptions were lost: once all are back, this node's sockets are told to catch
    // up on what other nodes published meanwhile.
    let mut missed = false;
    let mut lost = false;
    let mut checks = tokio::time::interval(SUBSCRIBER_CHECK);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (add, remove) = {
            let notified = changed.notified();
            let Some(bus) = bus.upgrade() else { return };
            lost |= bus.subscriber_lost.swap(false, Ordering::Relaxed);
            let (add, remove): (Vec<UserId>, Vec<UserId>) = {
                let mut watched = bus.watched.lock().unwrap_or_else(|p| p.into_inner());
                if std::mem::take(&mut lost) {
                    // Redis may have forgotten every subscription: all of them, once more.
                    (nodes_channel, missed) = (false, true);
                    watched.live.clear();
                    leaving.clear();
                    pending.extend(watched.sockets.keys());
                    watched.changed.clear();
                }
                pending.extend(watched.changed.drain());
                let (add, remove): (Vec<UserId>, Vec<UserId>) = pending
                    .drain()
                    .filter(|u| {
                        if watched.sockets.contains_key(u) {
                            !watched.live.contains(u)
                        } else {
                            watched.live.contains(u) || leaving.contains(u)
                        }
                    })
                    .partition(|u| watched.sockets.contains_key(u));
                for user in &remove {
                    watched.live.remove(user);
                    leaving.insert(*user);
                }
                (add, remove)
            };
            if add.is_empty() && remove.is_empty() && nodes_channel {
                bus.subscriptions_failing.store(false, Ordering::Relaxed);
                if std::mem::take(&mut missed) {
                    bus.tell_local_sockets_to_resync();
                }
                drop(bus);
                tokio::select! {
                    () = notified => {}
                    _ = checks.tick() => lost = redis_store::ping(&mut conn).await.is_err(),
                }
                continue;
            }
            (add, remove)
        };
        let Some(bus) = bus.upgrade() else { return };
        let mut failed = false;
        if !nodes_channel {
            match conn.subscribe(bus.nodes_channel()).await {
                Ok(()) => {
                    nodes_channel = true;
                    tracing::info!("receiving other nodes' events through Redis again");
                }
                Err(err) => {
                    failed = true;
                    tracing::debug!("subscribing to the node-wide channel failed: {err}");
                }
            }
        }
        for chunk in add.chunks(MAX_CHANNELS_PER_COMMAND) {
            let channels: Vec<String> = chunk.iter().map(|u| bus.user_channel(*u)).collect();
            if !failed && conn.subscribe(channels).await.is_ok() {
                for user in chunk {
                    leaving.remove(user);
                }
                bus.watched
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .went_live(chunk);
            } else {
                failed = true;
                pending.extend(chunk);
            }
        }
        for chunk in remove.chunks(MAX_CHANNELS_PER_COMMAND) {
            let channels: Vec<String> = chunk.iter().map(|u| bus.user_channel(*u)).collect();
            if !failed && conn.unsubscribe(channels).await.is_ok() {
                for user in chunk {
                    leaving.remove(user);
                }
            } else {
                failed = true;
                pending.extend(chunk);
            }
        }
        if failed {
            // Sockets of users whose channel is not live may miss events until it is: once every
            // change went through, this node's sockets are told to catch up.
            missed = true;
            bus.subscriptions_failing.store(true, Ordering::Relaxed);
            drop(bus);
            tracing::debug!(
                waiting = pending.len(),
                "subscription changes failed; retrying once Redis answers"
            );
            tokio::time::sleep(RESUBSCRIBE_BACKOFF).await;
        }
    }
}
