//! Several nodes, one chat: two daemons on one PostgreSQL database and one Redis.
//!
//! Each story connects users to different nodes and checks that what happens on one node is
//! seen on the other, as if there were one daemon.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use omegachatd::domain::UserId;

use crate::helpers::{TestApp, TestUser, spawn_cluster};
use crate::realtime::{acked, send_payload};
use crate::socket_client::{Closed, SocketClient};

/// A socket on `node` for `user`, once `node` is subscribed to the user's events (a socket's
/// subscription reaches Redis a moment after its handshake; the first probe that arrives proves
/// it). `probe` sends a typing event from `other` on `other_node` in `conversation`.
pub(crate) async fn settled_socket(
    node: &TestApp,
    user: &TestUser,
    probe: (&TestApp, &TestUser, &str),
) -> SocketClient {
    let mut socket = node.socket(user).await;
    let (other_node, other, conversation) = probe;
    let sender = other_node.socket(other).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        acked(
            &sender,
            "typing",
            json!({"conversation_id": conversation, "typing": true}),
        )
        .await;
        if tokio::time::timeout(Duration::from_millis(100), socket.next("typing"))
            .await
            .is_ok()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the node never received the user's events"
        );
    }
    sender.close();
    socket
}

#[tokio::test]
async fn a_direct_message_sent_on_one_node_reaches_the_other() {
    let (a, b) = spawn_cluster(|_| {}).await;
    let (ann, ben) = (a.signed_up("ann").await, b.signed_up("ben").await);
    let conv = a.direct(&ann, &ben).await;
    let mut ben_on_b = settled_socket(&b, &ben, (&a, &ann, &conv)).await;
    let ann_on_a = a.socket(&ann).await;
    let mut ann_on_b = settled_socket(&b, &ann, (&a, &ben, &conv)).await;

    let ack = acked(
        &ann_on_a,
        "send_message",
        send_payload(&conv, "x-1", "hi from A"),
    )
    .await;
    let got = ben_on_b.next("receive_message").await;
    assert_eq!(got["message_id"], ack["message"]["message_id"]);
    assert_eq!(got["content"], "hi from A");
    let echoed = ann_on_b.next("receive_message").await;
    assert_eq!(
        echoed["message_id"], ack["message"]["message_id"],
        "the sender's tab on the other node sees it too"
    );
    ben_on_b
        .none("receive_message", Duration::from_millis(300))
        .await;

    // Read markers and edits cross too.
    let ben_on_a = a.socket(&ben).await;
    let message_id = ack["message"]["message_id"].as_str().unwrap().to_owned();
    let ann_on_a2 = a.socket(&ann).await;
    acked(
        &ann_on_a2,
        "edit_message",
        json!({"conversation_id": conv, "message_id": message_id, "content": "hi from A, edited"}),
    )
    .await;
    assert_eq!(
        ben_on_b.next("message_edited").await["content"],
        "hi from A, edited"
    );

    // Ben reads it on node B: ann's tab on node A sees the read marker move.
    let mut ann_on_a2 = ann_on_a2;
    acked(
        &ben_on_b,
        "mark_read",
        json!({"conversation_id": conv, "message_id": message_id}),
    )
    .await;
    let read = ann_on_a2.next("messages_read").await;
    assert_eq!(read["user_id"], ben.id);
    assert_eq!(read["message_id"], message_id.as_str());

    // And a deletion on node A reaches node B.
    acked(
        &ann_on_a2,
        "delete_message",
        json!({"conversation_id": conv, "message_id": message_id}),
    )
    .await;
    let deleted = ben_on_b.next("message_deleted").await;
    assert_eq!(deleted["message_id"], message_id.as_str());
    drop(ben_on_a);
}

#[tokio::test]
async fn a_member_removed_on_one_node_stops_receiving_what_the_other_node_sends() {
    let (a, b) = spawn_cluster(|_| {}).await;
    let owner = a.signed_up("owner").await;
    let kept = b.signed_up("kept").await;
    let removed = b.signed_up("removed").await;
    let group = a
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/groups",
            &owner.token,
            Some(json!({"name": "Hikers", "member_ids": [kept.id, removed.id]})),
        )
        .await;
    let conv = group["conversation_id"].as_str().unwrap().to_owned();
    let owner_on_a = a.socket(&owner).await;
    let mut kept_on_b = settled_socket(&b, &kept, (&a, &owner, &conv)).await;
    let mut removed_on_b = settled_socket(&b, &removed, (&a, &owner, &conv)).await;

    acked(
        &owner_on_a,
        "send_message",
        send_payload(&conv, "g-1", "before"),
    )
    .await;
    assert_eq!(kept_on_b.next("receive_message").await["content"], "before");
    assert_eq!(
        removed_on_b.next("receive_message").await["content"],
        "before"
    );

    // Removed through node B; the next send goes through node A, whose audience cache knew
    // the old member list a moment ago.
    let path = format!("/api/groups/{}/members/{}", group["id"], removed.id);
    b.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &path,
        &owner.token,
        None,
    )
    .await;
    let update = removed_on_b.next("conversation_updated").await;
    assert_eq!(update["removed"], true);

    acked(
        &owner_on_a,
        "send_message",
        send_payload(&conv, "g-2", "after"),
    )
    .await;
    // Skip the system message announcing the removal.
    while kept_on_b.next("receive_message").await["content"] != "after" {}
    removed_on_b
        .none("receive_message", Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn the_send_limit_is_one_window_across_nodes() {
    let (a, b) = spawn_cluster(|c| c.chat.sends_per_user_per_minute = 4).await;
    let (ann, ben) = (a.signed_up("ann").await, a.signed_up("ben").await);
    let conv = a.direct(&ann, &ben).await;
    let on_a = a.socket(&ann).await;
    let on_b = b.socket(&ann).await;
    for i in 0..2 {
        acked(
            &on_a,
            "send_message",
            send_payload(&conv, &format!("a-{i}"), "via A"),
        )
        .await;
        acked(
            &on_b,
            "send_message",
            send_payload(&conv, &format!("b-{i}"), "via B"),
        )
        .await;
    }
    let refused = on_b
        .call("send_message", send_payload(&conv, "b-9", "one too many"))
        .await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(refused["error"]["code"], "rate_limited", "{refused}");
}

#[tokio::test]
async fn disabling_a_user_on_one_node_closes_their_sockets_on_the_other() {
    let (a, b) = spawn_cluster(|_| {}).await;
    let (ann, ben) = (a.signed_up("ann").await, a.signed_up("ben").await);
    let conv = a.direct(&ann, &ben).await;
    let mut ann_on_b = settled_socket(&b, &ann, (&a, &ben, &conv)).await;

    let outcome = a
        .services
        .admin
        .disable(&ann.id.to_string())
        .await
        .expect("disable");
    drop(outcome);
    let revoked = ann_on_b.next("session_revoked").await;
    assert_eq!(revoked["reason"], "account_disabled");
    assert!(matches!(
        ann_on_b.closed_by_server(Duration::from_secs(5)).await,
        Closed::ByServer(_)
    ));
}

#[tokio::test]
async fn retiring_a_key_on_one_node_ends_its_sessions_on_both() {
    let (a, b) = spawn_cluster(|_| {}).await;
    let (ann, ben) = (a.signed_up("ann").await, a.signed_up("ben").await);
    let conv = a.direct(&ann, &ben).await;
    let mut ann_on_a = a.socket(&ann).await;
    let mut ben_on_b = settled_socket(&b, &ben, (&a, &ann, &conv)).await;

    a.services
        .admin
        .rotate_keys(true)
        .await
        .expect("rotate, retiring the old key");
    for socket in [&mut ann_on_a, &mut ben_on_b] {
        let revoked = socket.next("session_revoked").await;
        assert_eq!(revoked["reason"], "signing_key_retired");
    }
    // Node B re-read the keys at once: the old token is refused there too.
    let response = b.get_authed("/api/users/me", &ann.token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn presence_is_one_view_across_nodes() {
    let (a, b) = spawn_cluster(|_| {}).await;
    let (ann, ben) = (a.signed_up("ann").await, a.signed_up("ben").await);
    a.direct(&ann, &ben).await;
    let ann_on_a = a.socket(&ann).await;
    let online = |answer: Value| answer["users"][0]["online"].as_bool();

    let ben_on_b = b.socket(&ben).await;
    let seen = acked(&ann_on_a, "get_presence", json!({"user_ids": [ben.id]})).await;
    assert_eq!(online(seen), Some(true), "ben's only socket is on node B");

    // A second tab on node A, then the one on B closes: still online (a socket anywhere).
    let ben_on_a = a.socket(&ben).await;
    ben_on_b.close();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    // Wait until node B has counted the close (ben's sockets: 1), then check he is online.
    while a.services.presence.sockets_of(UserId(ben.id)).await != 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node B never counted the close"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = acked(&ann_on_a, "get_presence", json!({"user_ids": [ben.id]})).await;
    assert_eq!(
        online(seen),
        Some(true),
        "ben's tab on node A keeps him online"
    );

    ben_on_a.close();
    let seen_by_b = b.socket(&ann).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen = acked(&seen_by_b, "get_presence", json!({"user_ids": [ben.id]})).await;
        if online(seen) == Some(false) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "ben never went offline"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
