//! `PresenceStore`: a user is online while at least one socket of theirs is connected.
//!
//! Runs on `MemoryPresence` and on one `RedisPresence` node; what only several nodes sharing
//! Redis can show is in `presence_nodes`.

use std::collections::HashSet;

use omegachatd::domain::UserId;
use omegachatd::store::presence::{PresenceChanges, PresenceStore};

pub async fn suite(presence: &dyn PresenceStore) {
    let (ann, ben) = (UserId(1), UserId(2));
    assert_eq!(presence.local_totals(), (0, 0));
    assert!(presence.online_among(&[ann]).await.is_empty());
    assert_eq!(presence.sockets_of(ann).await, 0);

    a_user_is_online_from_the_first_socket_to_the_last(presence, ann).await;
    totals_count_users_and_sockets(presence, ann, ben).await;
    an_unknown_socket_going_away_changes_nothing(presence, ben).await;
    many_users_are_looked_up_at_once(presence).await;
    a_node_that_keeps_beating_reaps_nobody(presence).await;
}

async fn a_user_is_online_from_the_first_socket_to_the_last(
    presence: &dyn PresenceStore,
    ann: UserId,
) {
    assert!(
        presence.connected(ann).await,
        "the first socket brings ann online"
    );
    assert!(!presence.connected(ann).await, "a second tab is no news");
    assert!(!presence.connected(ann).await);
    assert_eq!(presence.online_among(&[ann]).await, HashSet::from([ann]));
    assert_eq!(presence.sockets_of(ann).await, 3);

    assert!(!presence.disconnected(ann).await);
    assert!(!presence.disconnected(ann).await);
    assert_eq!(
        presence.online_among(&[ann]).await,
        HashSet::from([ann]),
        "one tab is still open"
    );
    assert_eq!(presence.sockets_of(ann).await, 1);
    assert!(
        presence.disconnected(ann).await,
        "the last socket takes ann offline"
    );
    assert!(presence.online_among(&[ann]).await.is_empty());
    assert_eq!(presence.sockets_of(ann).await, 0);
}

async fn totals_count_users_and_sockets(presence: &dyn PresenceStore, ann: UserId, ben: UserId) {
    presence.connected(ann).await;
    presence.connected(ann).await;
    presence.connected(ben).await;
    assert_eq!(presence.local_totals(), (2, 3), "two users, three sockets");
    presence.disconnected(ann).await;
    presence.disconnected(ann).await;
    assert_eq!(presence.local_totals(), (1, 1));
    assert_eq!(
        presence.online_among(&[ann, ben]).await,
        HashSet::from([ben])
    );
}

async fn an_unknown_socket_going_away_changes_nothing(presence: &dyn PresenceStore, ben: UserId) {
    let carl = UserId(3);
    assert!(!presence.disconnected(carl).await, "carl never connected");
    assert_eq!(presence.sockets_of(carl).await, 0);
    assert!(presence.online_among(&[carl]).await.is_empty());
    assert_eq!(presence.local_totals(), (1, 1));

    assert!(presence.disconnected(ben).await);
    assert!(!presence.disconnected(ben).await, "no count below zero");
    assert!(
        presence.connected(ben).await,
        "so the next socket brings ben online again"
    );
    assert_eq!(presence.local_totals(), (1, 1));
    assert!(presence.disconnected(ben).await);
}

/// get_presence asks about up to 200 users at once.
async fn many_users_are_looked_up_at_once(presence: &dyn PresenceStore) {
    let users: Vec<UserId> = (1_000..1_200).map(UserId).collect();
    let connected: HashSet<UserId> = users.iter().step_by(40).copied().collect();
    for user in &connected {
        assert!(presence.connected(*user).await);
    }
    assert_eq!(presence.online_among(&users).await, connected);
    assert!(presence.online_among(&[]).await.is_empty(), "nobody asked");
    let twice = [users[0], users[0], users[1]];
    assert_eq!(
        presence.online_among(&twice).await,
        HashSet::from([users[0]]),
        "a user named twice is answered once"
    );
    for user in &connected {
        assert!(presence.disconnected(*user).await);
    }
    assert!(presence.online_among(&users).await.is_empty());
    assert_eq!(presence.local_totals(), (0, 0));
}

async fn a_node_that_keeps_beating_reaps_nobody(presence: &dyn PresenceStore) {
    assert_eq!(presence.reap().await, PresenceChanges::default());
}
