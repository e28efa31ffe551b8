//! Real-time stories over Socket.IO: live delivery, acks, presence, typing, bad input.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, spawn_app, spawn_app_with};
use crate::on_every_engine;
use crate::socket_client::{Closed, SocketClient};

on_every_engine!(
    two_friends_chat_live_on_every_tab,
    a_removed_group_member_stops_receiving,
    edits_deletes_and_read_receipts_are_seen_live,
    presence_follows_the_last_tab_and_typing_expires,
    a_resent_client_msg_id_is_acked_with_the_stored_message_and_delivered_once,
    outsiders_cannot_join_or_send,
    bad_input_gets_an_error_ack_and_the_connection_stays,
    a_reconnecting_client_catches_up_through_history,
    acknowledged_messages_survive_a_restart,
);

pub(crate) fn send_payload(conversation: &str, client_msg_id: &str, content: &str) -> Value {
    json!({"conversation_id": conversation, "client_msg_id": client_msg_id, "content": content})
}

pub(crate) async fn acked(socket: &SocketClient, event: &str, payload: Value) -> Value {
    let ack = socket.call(event, payload).await;
    assert_eq!(ack["ok"], true, "{event} refused: {ack}");
    ack
}

async fn two_friends_chat_live_on_every_tab(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let ann_socket = app.socket(&ann).await;
    let mut ann_other_tab = app.socket(&ann).await;
    let mut ben_socket = app.socket(&ben).await;

    let ack = acked(
        &ann_socket,
        "send_message",
        send_payload(&conv, "a-1", "hi ben"),
    )
    .await;
    assert_eq!(ack["duplicate"], false);
    let stored = &ack["message"];
    assert_eq!(stored["content"], "hi ben");
    let received = ben_socket.next("receive_message").await;
    assert_eq!(received["message_id"], stored["message_id"]);
    assert_eq!(received["sender_id"], ann.id);
    let echoed = ann_other_tab.next("receive_message").await;
    assert_eq!(
        echoed["message_id"], stored["message_id"],
        "the sender's other tab sees it too"
    );

    acked(
        &ben_socket,
        "send_message",
        send_payload(&conv, "b-1", "hi ann"),
    )
    .await;
    assert_eq!(
        ann_other_tab.next("receive_message").await["content"],
        "hi ann"
    );
}

async fn a_removed_group_member_stops_receiving(engine: Engine) {
    let app = spawn_app(engine).await;
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(app.signed_up(&format!("hiker{i:02}")).await);
    }
    let owner = &users[0];
    let member_ids: Vec<i64> = users[1..].iter().map(|u| u.id).collect();
    let group = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/groups",
            &owner.token,
            Some(json!({"name": "Hikers", "member_ids": member_ids})),
        )
        .await;
    let conv = group["conversation_id"].as_str().unwrap().to_owned();
    let mut sockets = Vec::new();
    for user in &users {
        sockets.push(app.socket(user).await);
    }
    acked(
        &sockets[0],
        "send_message",
        send_payload(&conv, "g-1", "trail is open"),
    )
    .await;
    for socket in sockets.iter_mut() {
        assert_eq!(
            socket.next("receive_message").await["content"],
            "trail is open"
        );
    }

    let removed = &users[7];
    let path = format!("/api/groups/{}/members/{}", group["id"], removed.id);
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &path,
        &owner.token,
        None,
    )
    .await;
    let update = sockets[7].next("conversation_updated").await;
    assert_eq!(
        (
            update["conversation_id"].as_str(),
            update["removed"].as_bool()
        ),
        (Some(conv.as_str()), Some(true))
    );

    acked(
        &sockets[0],
        "send_message",
        send_payload(&conv, "g-2", "after the removal"),
    )
    .await;
    for (i, socket) in sockets.iter_mut().enumerate() {
        if i == 7 {
            continue;
        }
        // Skip the system message announcing the removal.
        loop {
            let message = socket.next("receive_message").await;
            if message["content"] == "after the removal" {
                break;
            }
        }
    }
    sockets[7]
        .none("receive_message", Duration::from_millis(300))
        .await;
    let refused = sockets[7]
        .call("send_message", send_payload(&conv, "x-1", "let me back"))
        .await;
    assert_eq!(refused["error"]["code"], "not_found");
}

async fn edits_deletes_and_read_receipts_are_seen_live(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let mut ann_socket = app.socket(&ann).await;
    let mut ben_socket = app.socket(&ben).await;
    let sent = acked(
        &ann_socket,
        "send_message",
        send_payload(&conv, "e-1", "tpyo"),
    )
    .await["message"]
        .clone();
    let id = sent["message_id"].as_str().unwrap();
    ben_socket.next("receive_message").await;

    let refused = ben_socket
        .call(
            "edit_message",
            json!({"conversation_id": conv, "message_id": id, "content": "mine now"}),
        )
        .await;
    assert_eq!(refused["error"]["code"], "not_sender");
    acked(
        &ann_socket,
        "edit_message",
        json!({"conversation_id": conv, "message_id": id, "content": "typo"}),
    )
    .await;
    let edited = ben_socket.next("message_edited").await;
    assert_eq!(
        (edited["content"].as_str(), edited["edited"].as_bool()),
        (Some("typo"), Some(true))
    );

    let summary = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{conv}"),
            &ben.token,
            None,
        )
        .await;
    assert_eq!(summary["unread_count"], 1);
    let ack = acked(
        &ben_socket,
        "mark_read",
        json!({"conversation_id": conv, "message_id": id}),
    )
    .await;
    assert_eq!(ack["conversation"]["unread_count"], 0);
    let receipt = ann_socket.next("messages_read").await;
    assert_eq!(
        (receipt["user_id"].as_i64(), receipt["message_id"].as_str()),
        (Some(ben.id), Some(id))
    );

    acked(
        &ann_socket,
        "delete_message",
        json!({"conversation_id": conv, "message_id": id}),
    )
    .await;
    let deleted = ben_socket.next("message_deleted").await;
    assert_eq!(
        (deleted["deleted"].as_bool(), deleted["content"].as_str()),
        (Some(true), Some(""))
    );
}

async fn presence_follows_the_last_tab_and_typing_expires(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.realtime.typing_timeout_ms = 300).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let mut ann_socket = app.socket(&ann).await;
    let ben_tab_one = app.socket(&ben).await;
    let online = ann_socket.next("presence").await;
    assert_eq!(
        (online["user_id"].as_i64(), online["online"].as_bool()),
        (Some(ben.id), Some(true))
    );
    let ben_tab_two = app.socket(&ben).await;
    ann_socket
        .none("presence", Duration::from_millis(200))
        .await;
    let seen = acked(&ann_socket, "get_presence", json!({"user_ids": [ben.id]})).await;
    assert_eq!(seen["users"][0]["online"], true);

    let ack = acked(
        &ben_tab_two,
        "typing",
        json!({"conversation_id": conv, "typing": true}),
    )
    .await;
    assert_eq!(ack["expires_in_ms"], 300);
    let typing = ann_socket.next("typing").await;
    assert_eq!(
        (typing["user_id"].as_i64(), typing["typing"].as_bool()),
        (Some(ben.id), Some(true))
    );
    // Receivers learn how long it lasts, so every client expires it alike.
    assert_eq!(typing["expires_in_ms"], 300);
    let expired = ann_socket.next("typing").await;
    assert_eq!(
        expired["typing"], false,
        "a typing indicator without a stop expires by itself"
    );

    ben_tab_one.close();
    ann_socket
        .none("presence", Duration::from_millis(300))
        .await;
    ben_tab_two.close();
    let offline = ann_socket.next("presence").await;
    assert_eq!(
        (offline["user_id"].as_i64(), offline["online"].as_bool()),
        (Some(ben.id), Some(false))
    );
    assert!(offline["last_seen"].is_string());
}

async fn a_resent_client_msg_id_is_acked_with_the_stored_message_and_delivered_once(
    engine: Engine,
) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let ann_socket = app.socket(&ann).await;
    let mut ben_socket = app.socket(&ben).await;
    let first = acked(
        &ann_socket,
        "send_message",
        send_payload(&conv, "same", "once"),
    )
    .await;
    // A resend after a reconnect, on a new socket.
    ann_socket.close();
    let ann_again = app.socket(&ann).await;
    let second = acked(
        &ann_again,
        "send_message",
        send_payload(&conv, "same", "once"),
    )
    .await;
    assert_eq!(second["duplicate"], true);
    assert_eq!(
        second["message"]["message_id"],
        first["message"]["message_id"]
    );
    ben_socket.next("receive_message").await;
    ben_socket
        .none("receive_message", Duration::from_millis(300))
        .await;
}

async fn outsiders_cannot_join_or_send(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben, eve) = (
        app.signed_up("ann").await,
        app.signed_up("ben").await,
        app.signed_up("eve").await,
    );
    let conv = app.direct(&ann, &ben).await;
    let mut ann_socket = app.socket(&ann).await;
    let eve_socket = app.socket(&eve).await;
    let refused = eve_socket
        .call("join_room", json!({"conversation_id": conv}))
        .await;
    assert_eq!(
        (refused["ok"].as_bool(), refused["error"]["code"].as_str()),
        (Some(false), Some("not_found"))
    );
    let refused = eve_socket
        .call("send_message", send_payload(&conv, "e", "let me in"))
        .await;
    assert_eq!(refused["error"]["code"], "not_found");
    ann_socket
        .none("receive_message", Duration::from_millis(200))
        .await;

    let ben_socket = app.socket(&ben).await;
    acked(&ben_socket, "join_room", json!({"conversation_id": conv})).await;
    acked(&ann_socket, "join_room", json!({"conversation_id": conv})).await;
    let _ = ann_socket
        .none("user_joined", Duration::from_millis(50))
        .await;
    ben_socket
        .call("leave_room", json!({"conversation_id": conv}))
        .await;
    let left = ann_socket.next("user_left").await;
    assert_eq!(left["user_id"], ben.id);
}

async fn bad_input_gets_an_error_ack_and_the_connection_stays(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.chat.sends_per_user_per_minute = 5;
        c.realtime.max_message_bytes = 64 * 1024;
    })
    .await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;

    assert!(
        SocketClient::connect(&app.base, None)
            .await
            .unwrap_err()
            .contains("authentication required")
    );
    assert!(
        SocketClient::connect(&app.base, Some("garbage"))
            .await
            .unwrap_err()
            .contains("malformed")
    );

    let socket = app.socket(&ann).await;
    let cases = [
        (
            "send_message",
            json!({"content": "no conversation"}),
            "invalid_payload",
        ),
        ("send_message", json!("just a string"), "invalid_payload"),
        (
            "send_message",
            json!({"conversation_id": "not-a-uuid", "content": "x"}),
            "invalid_id",
        ),
        (
            "send_message",
            send_payload(&conv, "big", &"x".repeat(16 * 1024 + 1)),
            "content_too_long",
        ),
        (
            "send_message",
            send_payload(&conv, "empty", ""),
            "empty_message",
        ),
        (
            "mark_read",
            json!({"conversation_id": conv, "message_id": "nope"}),
            "invalid_id",
        ),
        ("no_such_event", json!({}), "unknown_event"),
    ];
    for (event, payload, code) in cases {
        let ack = socket.call(event, payload.clone()).await;
        assert_eq!(
            (ack["ok"].as_bool(), ack["error"]["code"].as_str()),
            (Some(false), Some(code)),
            "{event} {payload}"
        );
    }
    for i in 0..5 {
        acked(
            &socket,
            "send_message",
            send_payload(&conv, &format!("ok-{i}"), "still connected"),
        )
        .await;
    }
    let limited = socket
        .call("send_message", send_payload(&conv, "ok-6", "too fast"))
        .await;
    assert_eq!(limited["error"]["code"], "rate_limited");

    // A frame above realtime.max_message_bytes closes that connection, and only that one.
    let other = app.socket(&ben).await;
    socket.send_raw(format!(
        "42{}",
        json!([
            "send_message",
            send_payload(&conv, "huge", &"x".repeat(70 * 1024))
        ])
    ));
    // 1009 tells the client why (RFC 6455 "Message Too Big"), so it does not retry blindly.
    let Closed::ByServer(code) = socket.closed_by_server(Duration::from_secs(5)).await;
    assert_eq!(code, Some(1009));
    acked(&other, "get_presence", json!({"user_ids": [ann.id]})).await;

    // So does a packet that is not Socket.IO at all: the protocol cannot answer it.
    let broken = app.socket(&ann).await;
    broken.send_raw("42[not json".into());
    let Closed::ByServer(_) = broken.closed_by_server(Duration::from_secs(5)).await;
    acked(&other, "get_presence", json!({"user_ids": [ann.id]})).await;
}

async fn a_reconnecting_client_catches_up_through_history(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let ann_socket = app.socket(&ann).await;
    let mut ben_socket = app.socket(&ben).await;
    acked(
        &ann_socket,
        "send_message",
        send_payload(&conv, "c-0", "before"),
    )
    .await;
    let last_seen = ben_socket.next("receive_message").await["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ben_socket.close();
    for i in 1..=3 {
        acked(
            &ann_socket,
            "send_message",
            send_payload(&conv, &format!("c-{i}"), &format!("missed {i}")),
        )
        .await;
    }
    let _ben_again = app.socket(&ben).await;
    let path = format!("/api/conversations/{conv}/messages?after={last_seen}");
    let missed = app
        .expect(StatusCode::OK, Method::GET, &path, &ben.token, None)
        .await;
    let contents: Vec<&str> = missed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents, ["missed 1", "missed 2", "missed 3"]);
}

async fn acknowledged_messages_survive_a_restart(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let socket = app.socket(&ann).await;
    let mut acked_ids = Vec::new();
    for i in 0..20 {
        let ack = acked(
            &socket,
            "send_message",
            send_payload(&conv, &format!("r-{i}"), &format!("durable {i}")),
        )
        .await;
        acked_ids.push(ack["message"]["message_id"].as_str().unwrap().to_owned());
    }
    let app: TestApp = app.restart().await;
    let stored = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{conv}/messages?limit=100"),
            &ben.token,
            None,
        )
        .await;
    let mut stored: Vec<String> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    stored.reverse();
    assert_eq!(stored, acked_ids);
    // A resend after the restart still finds the stored message.
    let socket = app.socket(&ann).await;
    let again = acked(
        &socket,
        "send_message",
        send_payload(&conv, "r-3", "durable 3"),
    )
    .await;
    assert_eq!(
        (
            again["duplicate"].as_bool(),
            again["message"]["message_id"].as_str()
        ),
        (Some(true), Some(acked_ids[3].as_str()))
    );
}

#[tokio::test]
async fn a_silent_client_is_dropped_by_the_ping_timeout() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.realtime.ping_interval_ms = 200;
        c.realtime.ping_timeout_ms = 200;
    })
    .await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    app.direct(&ann, &ben).await;
    let mut ann_socket = app.socket(&ann).await;
    let ben_socket = app.socket(&ben).await;
    assert_eq!(ann_socket.next("presence").await["online"], true);
    // Answering pings keeps a connection alive past several intervals…
    ann_socket
        .none("presence", Duration::from_millis(700))
        .await;
    // …a half-open one (no pongs) is dropped, and the peer sees the user go offline.
    ben_socket.go_silent();
    let Closed::ByServer(_) = ben_socket.closed_by_server(Duration::from_secs(5)).await;
    let offline = ann_socket.next("presence").await;
    assert_eq!(
        (offline["user_id"].as_i64(), offline["online"].as_bool()),
        (Some(ben.id), Some(false))
    );
}

#[tokio::test]
async fn only_allowed_browser_origins_may_open_a_socket() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.realtime.allowed_origins = vec!["https://chat.example.org".into()]
    })
    .await;
    let handshake = app.url("/socket.io/?EIO=4&transport=polling");
    let host = app.base.trim_start_matches("http://").to_owned();
    let with_origin = |origin: Option<String>| {
        let mut request = app.http.get(&handshake);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    let refused = with_origin(Some("https://evil.example".into()))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "origin_not_allowed");
    for allowed in [
        Some("https://chat.example.org".to_owned()),
        Some(format!("http://{host}")),
        None,
    ] {
        let response = with_origin(allowed.clone()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{allowed:?}");
    }
}
