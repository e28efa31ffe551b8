//! Friend requests, friendships, blocks and the direct-message policy over REST.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Engine, spawn_app, spawn_app_with};
use crate::on_every_engine;

on_every_engine!(
    friends_request_accept_and_block,
    direct_messages_can_be_limited_to_friends
);

async fn friends_request_accept_and_block(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);

    let row = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/friends/requests",
            &ann.token,
            Some(json!({"user_id": ben.id})),
        )
        .await;
    assert_eq!(row["status"], "pending");
    app.expect(
        StatusCode::CONFLICT,
        Method::POST,
        "/api/friends/requests",
        &ann.token,
        Some(json!({"user_id": ben.id})),
    )
    .await;
    let lists = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/friends",
            &ben.token,
            None,
        )
        .await;
    assert_eq!(lists["incoming"][0]["requester_id"], ann.id);
    let lists = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/friends",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(lists["outgoing"][0]["addressee_id"], ben.id);

    let accepted = app
        .expect(
            StatusCode::OK,
            Method::POST,
            &format!("/api/friends/requests/{}/accept", ann.id),
            &ben.token,
            None,
        )
        .await;
    assert_eq!(accepted["status"], "accepted");
    for user in [&ann, &ben] {
        let lists = app
            .expect(
                StatusCode::OK,
                Method::GET,
                "/api/friends",
                &user.token,
                None,
            )
            .await;
        assert_eq!(lists["friends"].as_array().unwrap().len(), 1);
    }
    app.expect(
        StatusCode::CONFLICT,
        Method::POST,
        "/api/friends/requests",
        &ben.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;

    // A block ends the friendship and stops requests and direct messages both ways.
    app.expect(
        StatusCode::OK,
        Method::PUT,
        &format!("/api/friends/{}/block", ben.id),
        &ann.token,
        None,
    )
    .await;
    let lists = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/friends",
            &ann.token,
            None,
        )
        .await;
    assert_eq!(lists["friends"].as_array().unwrap().len(), 0);
    assert_eq!(lists["blocked"][0]["addressee_id"], ben.id);
    let lists = app
        .expect(
            StatusCode::OK,
            Method::GET,
            "/api/friends",
            &ben.token,
            None,
        )
        .await;
    assert_eq!(
        lists["blocked"].as_array().unwrap().len(),
        0,
        "the blocked user is not told"
    );
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/friends/requests",
        &ben.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        "/api/conversations/direct",
        &ben.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;

    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/friends/{}/block", ben.id),
        &ann.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/friends/requests",
        &ben.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &format!("/api/friends/requests/{}", ann.id),
        &ben.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::POST,
        &format!("/api/friends/requests/{}/accept", ben.id),
        &ann.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::BAD_REQUEST,
        Method::POST,
        "/api/friends/requests",
        &ann.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::POST,
        "/api/friends/requests",
        &ann.token,
        Some(json!({"user_id": 999_999})),
    )
    .await;
}

async fn direct_messages_can_be_limited_to_friends(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.chat.dm_policy = omegachat_contract::DmPolicy::Friends
    })
    .await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let refused = app
        .expect(
            StatusCode::FORBIDDEN,
            Method::POST,
            "/api/conversations/direct",
            &ann.token,
            Some(json!({"user_id": ben.id})),
        )
        .await;
    assert_eq!(refused["error"]["code"], "not_friends");
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        "/api/friends/requests",
        &ann.token,
        Some(json!({"user_id": ben.id})),
    )
    .await;
    app.expect(
        StatusCode::OK,
        Method::POST,
        "/api/friends/requests",
        &ben.token,
        Some(json!({"user_id": ann.id})),
    )
    .await;
    app.direct(&ann, &ben).await;
}
