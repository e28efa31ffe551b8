//! `RedisBus` between two nodes, told through the bus itself: which channels a node holds in
//! Redis as its users come and go, and that every event reaches each node once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use omegachatd::bus::redis::RedisBus;
use omegachatd::bus::{Envelope, Event, EventBus};
use omegachatd::domain::{ConversationId, UserId};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::helpers::test_redis;

const USERS: i64 = 2_000;

async fn node(url: &str, prefix: &str) -> Arc<RedisBus> {
    RedisBus::connect(url, prefix, 65_536)
        .await
        .expect("test Redis")
}

fn typing(user: i64) -> Envelope {
    Envelope {
        recipients: vec![UserId(user)],
        event: Event::Typing {
            conversation_id: ConversationId(uuid::Uuid::nil()),
            user_id: UserId(user),
            typing: true,
        },
    }
}

/// How many subscribers Redis counts on each user channel, in one `PUBSUB NUMSUB`.
async fn subscribers(url: &str, prefix: &str) -> Vec<i64> {
    let mut conn = omegachatd::store::redis::connect(url).await.unwrap();
    let mut numsub = redis::cmd("PUBSUB");
    numsub.arg("NUMSUB");
    for user in 1..=USERS {
        numsub.arg(format!("{prefix}u:{user}"));
    }
    let answer: Vec<redis::Value> = numsub.query_async(&mut conn).await.unwrap();
    answer
        .chunks(2)
        .map(|pair| redis::from_redis_value_ref::<i64>(&pair[1]).unwrap())
        .collect()
}

async fn wait_for_channels(url: &str, prefix: &str, wanted: impl Fn(i64) -> i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counts = subscribers(url, prefix).await;
        let wrong: Vec<i64> = (1..=USERS)
            .filter(|&u| counts[(u - 1) as usize] != wanted(u))
            .collect();
        if wrong.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} user channels still wrong, e.g. user {}",
            wrong.len(),
            wrong[0]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn users_received(
    events: &mut broadcast::Receiver<Arc<Envelope>>,
    quiet: Duration,
) -> Vec<i64> {
    let mut users = Vec::new();
    while let Ok(Ok(envelope)) = tokio::time::timeout(quiet, events.recv()).await {
        users.extend(envelope.recipients.iter().map(|u| u.0));
    }
    users
}

#[tokio::test]
async fn a_node_holds_exactly_the_channels_of_its_users_and_gets_only_their_events() {
    let (url, prefix) = test_redis();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);

    // Two sockets for even users, one for odd ones; then one socket of each closes.
    for user in 1..=USERS {
        let _ = b.watch(UserId(user));
        if user % 2 == 0 {
            let _ = b.watch(UserId(user));
        }
    }
    wait_for_channels(&url, &prefix, |_| 1).await;
    for user in 1..=USERS {
        b.unwatch(UserId(user));
    }
    wait_for_channels(&url, &prefix, |u| i64::from(u % 2 == 0)).await;

    // Node A publishes to every user: node B gets the even users' events, each once, and node
    // A's own subscribers get every event once, from memory.
    let (mut on_a, mut on_b) = (a.subscribe(), b.subscribe());
    for user in 1..=USERS {
        a.publish(typing(user));
    }
    let got_b = users_received(&mut on_b, Duration::from_millis(500)).await;
    let evens: Vec<i64> = (1..=USERS).filter(|u| u % 2 == 0).collect();
    let mut sorted = got_b.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted, evens,
        "node B received exactly its users' events, once"
    );
    let got_a = users_received(&mut on_a, Duration::from_millis(500)).await;
    assert_eq!(got_a.len() as i64, USERS, "no echo from Redis");
    assert_eq!(got_a.iter().collect::<HashSet<_>>().len() as i64, USERS);
}

#[tokio::test]
async fn once_a_watch_is_live_the_users_events_from_another_node_reach_this_one() {
    // A socket's handshake checks its session only once the watch is live: a revocation
    // published by another node right after that check must reach this node. Each user here is
    // published to the instant the watch resolves, when a watch that resolved before Redis
    // confirmed the subscription would lose the race.
    let (url, prefix) = test_redis();
    let (a, b) = (node(&url, &prefix).await, node(&url, &prefix).await);
    let mut on_b = b.subscribe();
    for user in 1..=200 {
        assert!(
            b.watch(UserId(user))
                .live_within(Duration::from_secs(5))
                .await,
            "user {user}'s channel confirmed"
        );
        a.publish(typing(user));
        let got = tokio::time::timeout(Duration::from_secs(5), on_b.recv())
            .await
            .unwrap_or_else(|_| panic!("user {user}'s event never reached node B"))
            .unwrap();
        assert_eq!(got.recipients, vec![UserId(user)]);
    }

    // A second socket of a user whose channel is live does not wait.
    assert!(
        b.watch(UserId(1))
            .live_within(Duration::from_millis(1))
            .await
    );
}
