//! Direct conversations and messages over REST: history, idempotent sends, unread counts, bad input.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, contents, history, send, spawn_app, spawn_app_with};
use crate::on_every_engine;

on_every_engine!(
    a_direct_conversation_is_one_per_pair_and_carries_messages_both_ways,
    resending_a_client_msg_id_stores_nothing_twice,
    history_pages_before_and_after_a_message,
    unread_counts_follow_the_read_marker_and_flags_order_the_list,
    bad_messages_are_refused_and_sending_is_rate_limited,
    concurrent_sends_and_other_writes_all_succeed,
);

async fn a_direct_conversation_is_one_per_pair_and_carries_messages_both_ways(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben, cid) = (
        app.signed_up("ann").await,
        app.signed_up("ben").await,
        app.signed_up("cid").await,
    );
    let id = app.direct(&ann, &ben).await;
    assert_eq!(
        app.direct(&ann, &ben).await,
        id,
        "opening again gives the same conversation"
    );
    assert_eq!(app.direct(&ben, &ann).await, id, "from either side");
    assert_ne!(app.direct(&ann, &cid).await, id);

    let first = send(&app, &ann, &id, "hi ben").await;
    assert_eq!(first["sender_id"], ann.id);
    assert_eq!(first["recipient_id"], ben.id);
    assert_eq!(first["message_type"], "text");
    send(&app, &ben, &id, "hi ann").await;
    assert_eq!(
        contents(&history(&app, &ann, &id, "").await),
        ["hi ann", "hi ben"],
        "newest first"
    );

    let view = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{id}"),
            &ben.token,
            None,
        )
        .await;
    assert_eq!(view["conversation_type"], "direct");
    assert_eq!(view["peer_id"], ann.id);
    assert_eq!(view["last_message"]["content"], "hi ann");

    // Outsiders can neither read nor write, and learn nothing (404).
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/api/conversations/{id}/messages"),
        &cid.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::POST,
        &format!("/api/conversations/{id}/messages"),
        &cid.token,
        Some(json!({"content": "x"})),
    )
    .await;

    // Edits by the sender only; deletes clear the content but keep the row.
    let mid = first["message_id"].as_str().unwrap();
    let path = format!("/api/conversations/{id}/messages/{mid}");
    app.expect(
        StatusCode::FORBIDDEN,
        Method::PATCH,
        &path,
        &ben.token,
        Some(json!({"content": "hijack"})),
    )
    .await;
    let edited = app
        .expect(
            StatusCode::OK,
            Method::PATCH,
            &path,
            &ann.token,
            Some(json!({"content": "hi ben!"})),
        )
        .await;
    assert_eq!(
        (edited["edited"].as_bool(), edited["content"].as_str()),
        (Some(true), Some("hi ben!"))
    );
    assert!(edited["edited_timestamp"].is_string());
    app.expect(
        StatusCode::FORBIDDEN,
        Method::DELETE,
        &path,
        &ben.token,
        None,
    )
    .await;
    let deleted = app
        .expect(StatusCode::OK, Method::DELETE, &path, &ann.token, None)
        .await;
    assert_eq!(
        (deleted["deleted"].as_bool(), deleted["content"].as_str()),
        (Some(true), Some(""))
    );
    let messages = history(&app, &ben, &id, "").await;
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1]["deleted"], true);
    app.expect(
        StatusCode::CONFLICT,
        Method::PATCH,
        &path,
        &ann.token,
        Some(json!({"content": "undelete"})),
    )
    .await;
}

async fn resending_a_client_msg_id_stores_nothing_twice(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let id = app.direct(&ann, &ben).await;
    let path = format!("/api/conversations/{id}/messages");
    let body = json!({"client_msg_id": "c-1", "content": "once"});
    let first = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &path,
            &ann.token,
            Some(body.clone()),
        )
        .await;
    let again = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &path,
            &ann.token,
            Some(body.clone()),
        )
        .await;
    assert_eq!(first["message_id"], again["message_id"]);
    // Concurrent resends (a flaky network retrying) also converge on one message.
    let racing = json!({"client_msg_id": "c-2", "content": "racing"});
    let (a, b) = tokio::join!(
        app.call(Method::POST, &path, &ann.token, Some(racing.clone())),
        app.call(Method::POST, &path, &ann.token, Some(racing.clone()))
    );
    let (a, b): (Value, Value) = (a.json().await.unwrap(), b.json().await.unwrap());
    assert_eq!(a["message_id"], b["message_id"]);
    // The same client id from another sender is that sender's own message.
    let bens = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            &path,
            &ben.token,
            Some(body),
        )
        .await;
    assert_ne!(bens["message_id"], first["message_id"]);
    assert_eq!(
        contents(&history(&app, &ann, &id, "").await),
        ["once", "racing", "once"]
    );
}

async fn history_pages_before_and_after_a_message(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let id = app.direct(&ann, &ben).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            send(&app, &ann, &id, &format!("m{i}")).await["message_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        contents(&history(&app, &ben, &id, "?limit=3").await),
        ["m6", "m5", "m4"]
    );
    assert_eq!(
        contents(&history(&app, &ben, &id, &format!("?before={}&limit=3", ids[4])).await),
        ["m3", "m2", "m1"]
    );
    assert_eq!(
        contents(&history(&app, &ben, &id, &format!("?after={}", ids[3])).await),
        ["m4", "m5", "m6"],
        "catch-up is oldest first"
    );
    assert!(
        history(&app, &ben, &id, &format!("?after={}", ids[6]))
            .await
            .is_empty()
    );
    for bad in [
        "?limit=0",
        "?limit=101",
        "?before=not-a-uuid",
        &format!("?before={}&after={}", ids[1], ids[2]),
    ] {
        app.expect(
            StatusCode::BAD_REQUEST,
            Method::GET,
            &format!("/api/conversations/{id}/messages{bad}"),
            &ben.token,
            None,
        )
        .await;
    }
    app.expect(
        StatusCode::BAD_REQUEST,
        Method::GET,
        "/api/conversations/nope/messages",
        &ben.token,
        None,
    )
    .await;
}

async fn unread_counts_follow_the_read_marker_and_flags_order_the_list(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben, cid) = (
        app.signed_up("ann").await,
        app.signed_up("ben").await,
        app.signed_up("cid").await,
    );
    let with_ben = app.direct(&ann, &ben).await;
    let with_cid = app.direct(&ann, &cid).await;
    send(&app, &ben, &with_ben, "one").await;
    let last = send(&app, &ben, &with_ben, "two").await;
    send(&app, &cid, &with_cid, "newest").await;

    let list = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/conversations",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(
        list[0]["conversation_id"],
        with_cid.as_str(),
        "most recent activity first"
    );
    assert_eq!(list[1]["unread_count"], 2);
    assert_eq!(list[1]["last_message"]["content"], "two");
    let mine = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{with_ben}"),
            &ben.token,
            None,
        )
        .await;
    assert_eq!(mine["unread_count"], 0, "your own messages are not unread");

    let read = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/api/conversations/{with_ben}/read"),
            &ann.token,
            Some(json!({"message_id": last["message_id"]})),
        )
        .await;
    assert_eq!(read["unread_count"], 0);
    assert_eq!(read["last_read_message_id"], last["message_id"]);

    // Ben (after a reload, say) reads how far Ann has read: his "seen" receipts survive.
    let markers = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{with_ben}/read-markers"),
            &ben.token,
            None,
        )
        .await;
    let marker_of = |user: i64| {
        markers["markers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == user)
            .map(|m| m["last_read_message_id"].clone())
    };
    assert_eq!(marker_of(ann.id), Some(last["message_id"].clone()));
    assert_eq!(marker_of(ben.id), Some(serde_json::Value::Null));
    // Only participants may read them.
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/api/conversations/{with_ben}/read-markers"),
        &cid.token,
        None,
    )
    .await;

    app.expect(
        StatusCode::OK,
        Method::PATCH,
        &format!("/api/conversations/{with_ben}"),
        &ann.token,
        Some(json!({"pinned": true, "muted": true})),
    )
    .await;
    let list = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/conversations",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(
        list[0]["conversation_id"],
        with_ben.as_str(),
        "pinned first"
    );
    assert_eq!(
        (list[0]["pinned"].as_bool(), list[0]["muted"].as_bool()),
        (Some(true), Some(true))
    );
    app.expect(
        StatusCode::OK,
        Method::PATCH,
        &format!("/api/conversations/{with_cid}"),
        &ann.token,
        Some(json!({"archived": true})),
    )
    .await;
    let list = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/conversations",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "archived conversations are hidden"
    );
    let archived = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/conversations?archived=true",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(archived[0]["conversation_id"], with_cid.as_str());
    app.expect(
        StatusCode::NOT_FOUND,
        Method::PATCH,
        &format!("/api/conversations/{with_cid}"),
        &ben.token,
        Some(json!({"pinned": true})),
    )
    .await;
}

async fn bad_messages_are_refused_and_sending_is_rate_limited(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.chat.sends_per_user_per_minute = 3).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let id = app.direct(&ann, &ben).await;
    let path = format!("/api/conversations/{id}/messages");
    for (body, field) in [
        (json!({"content": "x".repeat(16 * 1024 + 1)}), "content"),
        (json!({"content": "   "}), "content"),
        (
            json!({"content": "x", "message_type": "system"}),
            "message_type",
        ),
        (
            json!({"content": "x", "media_urls": ["file:///etc/passwd"]}),
            "media_urls",
        ),
        (
            json!({"content": "x", "client_msg_id": "c".repeat(65)}),
            "client_msg_id",
        ),
    ] {
        let answer = app
            .expect(
                StatusCode::BAD_REQUEST,
                Method::POST,
                &path,
                &ann.token,
                Some(body),
            )
            .await;
        assert_eq!(answer["error"]["field"], field);
    }
    app.expect(
        StatusCode::UNPROCESSABLE_ENTITY,
        Method::POST,
        &path,
        &ann.token,
        Some(json!({"content": 5})),
    )
    .await;
    for i in 0..3 {
        send(&app, &ann, &id, &format!("ok {i}")).await;
    }
    let response = app
        .call(
            Method::POST,
            &path,
            &ann.token,
            Some(json!({"content": "one too many"})),
        )
        .await;
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    send(&app, &ben, &id, "ben is not limited by ann's sends").await;
    assert_eq!(
        history(&app, &ben, &id, "").await.len(),
        4,
        "refused sends stored nothing"
    );
}

async fn concurrent_sends_and_other_writes_all_succeed(engine: Engine) {
    let app = spawn_app(engine).await;
    let mut pairs = Vec::new();
    for i in 0..6 {
        let (a, b) = (
            app.signed_up(&format!("writer{i}")).await,
            app.signed_up(&format!("reader{i}")).await,
        );
        let conversation = app.direct(&a, &b).await;
        pairs.push((a, b, conversation));
    }
    // Sends batch into shared commits while profile edits and read markers write beside them.
    let work = pairs.iter().enumerate().map(|(i, (a, b, conversation))| {
        let app = &app;
        async move {
            for n in 0..15 {
                let path = format!("/api/conversations/{conversation}/messages");
                let body =
                    json!({"content": format!("m{n}"), "client_msg_id": format!("w{i}-{n}")});
                let sent = app.call(Method::POST, &path, &a.token, Some(body)).await;
                assert_eq!(
                    sent.status(),
                    StatusCode::CREATED,
                    "{}",
                    sent.text().await.unwrap_or_default()
                );
                let sent: Value = sent.json().await.unwrap();
                let edit = app
                    .patch_me(&b.token, &json!({"status": format!("reading {n}")}))
                    .await;
                assert_eq!(edit.status(), StatusCode::OK);
                let read = app
                    .call(
                        Method::POST,
                        &format!("/api/conversations/{conversation}/read"),
                        &b.token,
                        Some(json!({"message_id": sent["message_id"]})),
                    )
                    .await;
                assert_eq!(read.status(), StatusCode::OK);
            }
        }
    });
    futures_util::future::join_all(work).await;
    for (_, b, conversation) in &pairs {
        assert_eq!(history(&app, b, conversation, "?limit=100").await.len(), 15);
    }
}
