//! `FriendshipStore`: directed (requester → addressee) rows; the services read both directions
//! to decide what a pair of users may do.

use omegachatd::domain::{Friendship, FriendshipStatus, UserId};
use omegachatd::store::UserStore;
use omegachatd::store::chat::FriendshipStore;

use super::{person, sorted};
use FriendshipStatus::{Accepted, Blocked, Declined, Pending};

pub async fn suite(users: &dyn UserStore, friendships: &dyn FriendshipStore) {
    let mut ids = Vec::new();
    for name in ["fa", "fb", "fc", "fd", "fe", "ff", "fg", "fh"] {
        ids.push(person(users, name).await.id);
    }
    let [a, b, c, d, e, f, g, h] = ids[..] else {
        unreachable!()
    };
    a_request_is_one_row_seen_from_both_sides(friendships, a, b).await;
    an_answer_replaces_the_status_but_not_the_rows_birth(friendships, a, b, c).await;
    two_users_may_block_each_other(friendships, d, e).await;
    a_row_is_deleted_only_in_its_own_direction(friendships, a, b).await;
    a_users_list_names_them_on_either_side_and_no_one_else(friendships, f, g, h).await;
}

/// What a row says, without its times.
fn edge(row: &Friendship) -> (UserId, UserId, FriendshipStatus) {
    (row.requester_id, row.addressee_id, row.status)
}

async fn a_request_is_one_row_seen_from_both_sides(
    friendships: &dyn FriendshipStore,
    a: UserId,
    b: UserId,
) {
    let request = friendships.put(a, b, Pending).await.unwrap();
    assert_eq!(edge(&request), (a, b, Pending));
    assert!(request.updated_at >= request.created_at);

    assert_eq!(
        friendships.between(a, b).await.unwrap(),
        (Some(request.clone()), None),
        "a→b first, b→a second"
    );
    assert_eq!(
        friendships.between(b, a).await.unwrap(),
        (None, Some(request.clone()))
    );
    assert_eq!(
        friendships.list_for(a).await.unwrap(),
        vec![request.clone()]
    );
    assert_eq!(friendships.list_for(b).await.unwrap(), vec![request]);
}

async fn an_answer_replaces_the_status_but_not_the_rows_birth(
    friendships: &dyn FriendshipStore,
    a: UserId,
    b: UserId,
    c: UserId,
) {
    let (request, _) = friendships.between(a, b).await.unwrap();
    let request = request.expect("the request from the story before");
    let accepted = friendships.put(a, b, Accepted).await.unwrap();
    assert_eq!(edge(&accepted), (a, b, Accepted));
    assert_eq!(accepted.created_at, request.created_at, "the same row");
    assert!(accepted.updated_at > request.updated_at, "updated_at moves");
    assert_eq!(
        friendships.list_for(a).await.unwrap(),
        vec![accepted],
        "replaced, not added"
    );

    friendships.put(b, c, Pending).await.unwrap();
    let declined = friendships.put(b, c, Declined).await.unwrap();
    assert_eq!(edge(&declined), (b, c, Declined));
    let (forward, backward) = friendships.between(c, b).await.unwrap();
    assert_eq!(
        (forward, backward.as_ref().map(edge)),
        (None, Some((b, c, Declined)))
    );
}

async fn two_users_may_block_each_other(friendships: &dyn FriendshipStore, d: UserId, e: UserId) {
    friendships.put(d, e, Pending).await.unwrap();
    friendships.put(e, d, Blocked).await.unwrap();
    friendships.put(d, e, Blocked).await.unwrap();
    let (forward, backward) = friendships.between(d, e).await.unwrap();
    assert_eq!(
        (forward.as_ref().map(edge), backward.as_ref().map(edge)),
        (Some((d, e, Blocked)), Some((e, d, Blocked))),
        "the blocker is the requester of their own row"
    );
}

async fn a_row_is_deleted_only_in_its_own_direction(
    friendships: &dyn FriendshipStore,
    a: UserId,
    b: UserId,
) {
    assert!(!friendships.delete(b, a).await.unwrap(), "no b→a row");
    let (forward, _) = friendships.between(a, b).await.unwrap();
    assert!(forward.is_some(), "a→b survives a delete of b→a");
    assert!(friendships.delete(a, b).await.unwrap());
    assert!(!friendships.delete(a, b).await.unwrap(), "gone already");
    assert_eq!(friendships.between(a, b).await.unwrap(), (None, None));
    assert!(friendships.list_for(a).await.unwrap().is_empty());
}

async fn a_users_list_names_them_on_either_side_and_no_one_else(
    friendships: &dyn FriendshipStore,
    f: UserId,
    g: UserId,
    h: UserId,
) {
    friendships.put(f, g, Accepted).await.unwrap();
    friendships.put(h, f, Pending).await.unwrap();
    friendships.put(g, h, Blocked).await.unwrap();
    let listed = friendships.list_for(f).await.unwrap();
    assert_eq!(
        sorted(
            listed
                .iter()
                .map(edge)
                .map(|(r, a, s)| (r, a, s.as_str()))
                .collect()
        ),
        sorted(vec![(f, g, "accepted"), (h, f, "pending")]),
    );
}
