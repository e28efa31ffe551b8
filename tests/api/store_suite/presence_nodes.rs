//! `RedisPresence` as several nodes see it: stories that only a shared Redis can tell. Each
//! `RedisPresence::start` on the same prefix is one node.
//!
//! Leases and Redis' clock are real, so these stories wait for real; every wait polls for its
//! condition until a deadline derived from the bound under test.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use omegachatd::domain::UserId;
use omegachatd::store::presence::PresenceStore;
use omegachatd::store::redis::presence::{ANSWER_WAIT, RedisPresence};
use tokio::time::Instant;

use crate::own_redis::OwnRedis;

/// Short, so a dead node is noticed quickly; heartbeats every 500 ms.
const LEASE: Duration = Duration::from_millis(1_500);
/// Room for a loaded test machine on top of a bound.
const SLACK: Duration = Duration::from_secs(2);
/// The bound on rebuilding presence once Redis is back.
const REBUILT_WITHIN: Duration = Duration::from_secs(5);

async fn node(url: &str, prefix: &str) -> Arc<RedisPresence> {
    let conn = omegachatd::store::redis::connect(url)
        .await
        .expect("test Redis");
    RedisPresence::start(conn, prefix, LEASE).await
}

/// Polls `check` until it holds, failing with `what` at `deadline`.
async fn eventually(deadline: Instant, what: &str, mut check: impl AsyncFnMut() -> bool) {
    while !check().await {
        assert!(Instant::now() < deadline, "not in time: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn set(users: &[UserId]) -> HashSet<UserId> {
    users.iter().copied().collect()
}

#[tokio::test]
async fn a_user_is_online_while_any_node_holds_a_socket() {
    let (url, prefix) = crate::helpers::test_redis();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let ann = UserId(1);

    assert!(a.connected(ann).await, "ann's first socket, on a");
    assert!(!b.connected(ann).await, "a second socket, on b, is no news");
    for n in [&a, &b] {
        assert_eq!(n.online_among(&[ann]).await, set(&[ann]));
        assert_eq!(n.sockets_of(ann).await, 2, "counted on every node");
        assert_eq!(n.local_totals(), (1, 1), "each node holds one socket");
    }

    assert!(!a.disconnected(ann).await, "b still holds one");
    assert_eq!(a.online_among(&[ann]).await, set(&[ann]));
    assert_eq!(a.sockets_of(ann).await, 1);
    assert!(b.disconnected(ann).await, "the last socket anywhere");
    for n in [&a, &b] {
        assert!(n.online_among(&[ann]).await.is_empty());
        assert_eq!(n.sockets_of(ann).await, 0);
    }
    assert!(b.connected(ann).await, "online again from b");
    assert!(a.online_among(&[ann]).await.contains(&ann));
}

#[tokio::test]
async fn sockets_coming_and_going_at_once_on_two_nodes_announce_each_change_once() {
    let (url, prefix) = crate::helpers::test_redis();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let ann = UserId(1);
    let tabs = (0..40).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        async move {
            let came = node.connected(ann).await;
            tokio::task::yield_now().await;
            (came, node.disconnected(ann).await)
        }
    });
    let answers = join_all(tabs).await;
    let came = answers.iter().filter(|(came, _)| *came).count();
    let went = answers.iter().filter(|(_, went)| *went).count();
    assert!(came >= 1, "ann came online at least once");
    assert_eq!(came, went, "every online has exactly one offline");
    assert!(a.online_among(&[ann]).await.is_empty());
    assert_eq!(b.sockets_of(ann).await, 0);
}

#[tokio::test]
async fn a_killed_node_s_users_go_offline_within_its_lease_and_are_reported_once() {
    let (url, prefix) = crate::helpers::test_redis();
    let a = node(&url, &prefix).await;
    let (b, c) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let (ann, carl) = (UserId(1), UserId(3));
    a.connected(ann).await;
    a.connected(ann).await;
    a.connected(carl).await;
    b.connected(carl).await;
    let dead_tag = a.node_tag().to_owned();
    let heartbeat = a.heartbeat();

    // Dropped without a word to Redis, as kill -9 would leave it.
    drop(a);
    let killed = Instant::now();
    assert_eq!(
        b.online_among(&[ann, carl]).await,
        set(&[ann, carl]),
        "a's lease has not run out yet"
    );

    eventually(killed + LEASE + SLACK, "ann offline for b", async || {
        b.online_among(&[ann, carl]).await == set(&[carl])
    })
    .await;
    assert_eq!(c.sockets_of(carl).await, 1, "carl's socket on b stays");

    // b and c both reap; only one of them may report ann.
    let mut reported = Vec::new();
    eventually(
        killed + LEASE + heartbeat + SLACK,
        "ann reported",
        async || {
            reported.extend(b.reap().await.went_offline);
            reported.extend(c.reap().await.went_offline);
            !reported.is_empty()
        },
    )
    .await;
    tokio::time::sleep(heartbeat * 3).await; // more heartbeats: nothing more may come
    reported.extend(b.reap().await.went_offline);
    reported.extend(c.reap().await.went_offline);
    assert_eq!(reported, vec![ann], "ann once; carl is still on b");

    let mut redis = omegachatd::store::redis::connect(&url).await.unwrap();
    let lease: Option<f64> = redis::cmd("ZSCORE")
        .arg(format!("{prefix}presence:nodes"))
        .arg(&dead_tag)
        .query_async(&mut redis)
        .await
        .unwrap();
    let users: bool = redis::cmd("EXISTS")
        .arg(format!("{prefix}presence:node:{dead_tag}"))
        .query_async(&mut redis)
        .await
        .unwrap();
    assert_eq!((lease, users), (None, false), "the dead node is forgotten");
}

#[tokio::test]
async fn a_node_taken_for_dead_while_alive_puts_its_users_back() {
    let (url, prefix) = crate::helpers::test_redis();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let ann = UserId(1);
    a.connected(ann).await;

    // As if a had been out of Redis' reach for longer than its lease: b may reap it.
    let mut redis = omegachatd::store::redis::connect(&url).await.unwrap();
    redis::cmd("ZADD")
        .arg(format!("{prefix}presence:nodes"))
        .arg(0)
        .arg(a.node_tag())
        .query_async::<()>(&mut redis)
        .await
        .unwrap();

    let mut back = HashSet::new();
    let deadline = Instant::now() + a.heartbeat() * 2 + SLACK;
    eventually(deadline, "a reports ann back online", async || {
        back.extend(a.reap().await.came_online);
        back.contains(&ann)
    })
    .await;
    assert_eq!(b.online_among(&[ann]).await, set(&[ann]));
    assert_eq!(b.sockets_of(ann).await, 1);
    assert!(
        a.disconnected(ann).await,
        "and her last socket still counts"
    );
}

#[tokio::test]
async fn presence_rebuilds_itself_after_redis_restarts_empty() {
    let mut redis = OwnRedis::start().await;
    let prefix = "omegachat:";
    let (a, b) = (
        node(&redis.url(), prefix).await,
        node(&redis.url(), prefix).await,
    );
    let (ann, ben, dan) = (UserId(1), UserId(2), UserId(4));
    a.connected(ann).await;
    b.connected(ben).await;
    assert_eq!(a.online_among(&[ann, ben]).await, set(&[ann, ben]));

    redis.kill().await;
    // Long enough for the connections to notice and start their reconnection schedule, which
    // a call to Redis would wait for.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Nothing waits long for a Redis that is not there; each node still knows its own sockets.
    let started = Instant::now();
    assert!(
        a.connected(dan).await,
        "dan's first socket, as far as a knows"
    );
    assert!(!a.connected(ann).await);
    assert!(!a.disconnected(ann).await);
    assert_eq!(a.local_totals(), (2, 2));
    assert_eq!(a.online_among(&[ann, dan]).await, set(&[ann, dan]));
    assert!(
        started.elapsed() < ANSWER_WAIT * 2,
        "{:?} answering while Redis is away",
        started.elapsed()
    );
    // Heartbeats fail meanwhile, and every lease runs out.
    tokio::time::sleep(LEASE).await;

    redis.restart().await;
    let back = Instant::now();
    let everyone = [ann, ben, dan];
    eventually(back + REBUILT_WITHIN, "presence rebuilt", async || {
        a.online_among(&everyone).await == set(&everyone)
            && b.online_among(&everyone).await == set(&everyone)
            && b.sockets_of(ann).await == 1
    })
    .await;

    // Other nodes may have announced them offline meanwhile: each node reports its own users
    // back online, for the sweep to announce.
    let mut back_online = HashSet::new();
    eventually(back + REBUILT_WITHIN, "users reported back", async || {
        back_online.extend(a.reap().await.came_online);
        back_online.extend(b.reap().await.came_online);
        back_online == set(&everyone)
    })
    .await;

    assert!(b.disconnected(ben).await, "ben's last socket anywhere");
    assert!(a.disconnected(dan).await);
    assert!(a.disconnected(ann).await);
    assert!(b.online_among(&everyone).await.is_empty());
}
