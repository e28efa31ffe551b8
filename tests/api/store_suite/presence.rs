//! `PresenceStore`: a user is online while at least one socket of theirs is connected.
//!
//! Runs on `MemoryPresence` today; the Redis-backed presence (counts shared by every node) will
//! run the same function.

use omegachatd::domain::UserId;
use omegachatd::store::presence::PresenceStore;

pub fn suite(presence: &dyn PresenceStore) {
    let (ann, ben) = (UserId(1), UserId(2));
    assert_eq!(presence.totals(), (0, 0));
    assert!(!presence.is_online(ann));
    assert_eq!(presence.sockets_of(ann), 0);

    a_user_is_online_from_the_first_socket_to_the_last(presence, ann);
    totals_count_users_and_sockets(presence, ann, ben);
    an_unknown_socket_going_away_changes_nothing(presence, ben);
}

fn a_user_is_online_from_the_first_socket_to_the_last(presence: &dyn PresenceStore, ann: UserId) {
    assert!(
        presence.connected(ann),
        "the first socket brings ann online"
    );
    assert!(!presence.connected(ann), "a second tab is no news");
    assert!(!presence.connected(ann));
    assert!(presence.is_online(ann));
    assert_eq!(presence.sockets_of(ann), 3);

    assert!(!presence.disconnected(ann));
    assert!(!presence.disconnected(ann));
    assert!(presence.is_online(ann), "one tab is still open");
    assert_eq!(presence.sockets_of(ann), 1);
    assert!(
        presence.disconnected(ann),
        "the last socket takes ann offline"
    );
    assert!(!presence.is_online(ann));
    assert_eq!(presence.sockets_of(ann), 0);
}

fn totals_count_users_and_sockets(presence: &dyn PresenceStore, ann: UserId, ben: UserId) {
    presence.connected(ann);
    presence.connected(ann);
    presence.connected(ben);
    assert_eq!(presence.totals(), (2, 3), "two users, three sockets");
    presence.disconnected(ann);
    presence.disconnected(ann);
    assert_eq!(presence.totals(), (1, 1));
    assert!(!presence.is_online(ann) && presence.is_online(ben));
}

fn an_unknown_socket_going_away_changes_nothing(presence: &dyn PresenceStore, ben: UserId) {
    let carl = UserId(3);
    assert!(!presence.disconnected(carl), "carl never connected");
    assert_eq!(presence.sockets_of(carl), 0);
    assert!(!presence.is_online(carl));
    assert_eq!(presence.totals(), (1, 1));

    assert!(presence.disconnected(ben));
    assert!(!presence.disconnected(ben), "no count below zero");
    assert!(
        presence.connected(ben),
        "so the next socket brings ben online again"
    );
    assert_eq!(presence.totals(), (1, 1));
}
