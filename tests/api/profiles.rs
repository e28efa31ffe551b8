//! A user's own profile, other users' public profiles, and finding people.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, error_of, spawn_app};
use crate::on_every_engine;
use crate::socket_client::{Closed, SocketClient};

on_every_engine!(
    a_user_edits_and_clears_their_profile,
    a_password_change_needs_the_old_password_and_logs_out_everywhere,
    anyone_signed_in_sees_public_profiles_only,
    people_are_found_by_username_or_display_name_prefix_page_by_page,
    several_users_are_looked_up_in_one_request,
);

async fn several_users_are_looked_up_in_one_request(engine: Engine) {
    let app = spawn_app(engine).await;
    let me = app.signed_up("looker").await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let path = format!("/api/users?ids={},{},999999", ben.id, ann.id);
    let response = app.get_authed(&path, &me.token).await;
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let found: Vec<(i64, String)> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_i64().unwrap(),
                u["username"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(found, vec![(ann.id, "ann".into()), (ben.id, "ben".into())]);
    assert!(
        body["users"][0].get("email").is_none(),
        "public fields only"
    );

    let bad = app.get_authed("/api/users?ids=1,two", &me.token).await;
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
    let too_many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    let path = format!("/api/users?ids={}", too_many.join(","));
    let refused = app.get_authed(&path, &me.token).await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
}

async fn a_user_edits_and_clears_their_profile(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("judy").await;
    let body = json!({"display_name": "Judy J", "status": "at lunch", "profile_picture_url": "https://example.org/j.png", "phone_number": "+33612345678"});
    let response = app.patch_me(&user.token, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["display_name"], "Judy J");
    assert_eq!(me["status"], "at lunch");
    assert_eq!(me["profile_picture_url"], "https://example.org/j.png");
    assert_eq!(me["phone_number"], "+33612345678");

    // Absent keys stay, null clears.
    let me: Value = app
        .patch_me(&user.token, &json!({"status": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["status"], Value::Null);
    assert_eq!(me["display_name"], "Judy J");
    let me: Value = app
        .get_authed("/api/users/me", &user.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["status"], Value::Null, "the change was stored");

    for (body, field) in [
        (
            json!({"profile_picture_url": "javascript:alert(1)"}),
            "profile_picture_url",
        ),
        (json!({"phone_number": "12"}), "phone_number"),
        (json!({"status": "s".repeat(141)}), "status"),
    ] {
        let (status, error) = error_of(app.patch_me(&user.token, &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["field"], field);
    }
    let (status, _) = error_of(
        app.patch_me(&user.token, &json!({"display_name": 42}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let other = app.signed_up("kim").await;
    let (status, error) = error_of(
        app.patch_me(&other.token, &json!({"phone_number": "+33612345678"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["field"], "phone_number");
}

async fn a_password_change_needs_the_old_password_and_logs_out_everywhere(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("leo").await;
    let second_device = app.token_for("leo", &user.password).await;
    // Live sockets on both devices: a token only proves itself when a socket connects.
    let mut this_tab = app.socket(&user).await;
    let mut other_device = SocketClient::connect(&app.base, Some(&second_device))
        .await
        .unwrap();

    let (status, error) = error_of(
        app.patch_me(&user.token, &json!({"new_password": "brand new pass"}))
            .await,
    )
    .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("old_password"))
    );
    let wrong_old = json!({"old_password": "not it", "new_password": "brand new pass"});
    let (status, error) = error_of(app.patch_me(&user.token, &wrong_old).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("wrong_password"))
    );
    let too_short = json!({"old_password": user.password, "new_password": "short"});
    let (status, error) = error_of(app.patch_me(&user.token, &too_short).await).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("new_password"))
    );
    assert_eq!(
        app.get_authed("/api/users/me", &second_device)
            .await
            .status(),
        StatusCode::OK,
        "failed changes revoke nothing"
    );
    this_tab
        .none("session_revoked", Duration::from_millis(200))
        .await;

    let change = json!({"old_password": user.password, "new_password": "brand new pass"});
    assert_eq!(
        app.patch_me(&user.token, &change).await.status(),
        StatusCode::OK
    );
    // Every socket of the account is told and closed, the one that asked for the change too.
    for socket in [&mut this_tab, &mut other_device] {
        assert_eq!(
            socket.next("session_revoked").await["reason"],
            "password_changed"
        );
        let Closed::ByServer(_) = socket.closed_by_server(Duration::from_secs(5)).await;
    }
    for token in [&user.token, &second_device] {
        let (status, error) = error_of(app.get_authed("/api/users/me", token).await).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("token_revoked"))
        );
    }
    assert_eq!(
        app.login("leo", &user.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = app.token_for("leo", "brand new pass").await;
    assert_eq!(
        app.get_authed("/api/users/me", &token).await.status(),
        StatusCode::OK
    );
}

async fn anyone_signed_in_sees_public_profiles_only(engine: Engine) {
    let app = spawn_app(engine).await;
    let viewer = app.signed_up("mallory").await;
    let subject = app.signed_up("niaj").await;

    let response = app
        .get_authed(&format!("/api/users/{}", subject.id), &viewer.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["username"], "niaj");
    assert!(
        profile.get("email").is_none() && profile.get("phone_number").is_none(),
        "private fields leak: {profile}"
    );

    let (status, _) = error_of(app.get_authed("/api/users/999999", &viewer.token).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = error_of(app.get_authed("/api/users/abc", &viewer.token).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_id"))
    );
    let anonymous = app
        .http
        .get(app.url(&format!("/api/users/{}", subject.id)))
        .send()
        .await
        .unwrap();
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let (status, error) = error_of(anonymous).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("authentication_required"))
    );

    app.services
        .accounts
        .set_disabled(omegachatd::domain::UserId(subject.id), true)
        .await
        .unwrap();
    let (status, _) = error_of(
        app.get_authed(&format!("/api/users/{}", subject.id), &viewer.token)
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "disabled accounts are hidden"
    );
}

async fn people_are_found_by_username_or_display_name_prefix_page_by_page(engine: Engine) {
    let app = spawn_app(engine).await;
    let me = app.signed_up("searcher").await;
    for name in ["olga", "oliver", "olivia", "ollie", "o_l", "oxl", "paul"] {
        app.signed_up(name).await;
    }
    let named = app.signed_up("quentin").await;
    app.patch_me(&named.token, &json!({"display_name": "Olaf Q"}))
        .await;

    let names = |body: &Value| -> Vec<String> {
        body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let body: Value = app
        .get_authed("/api/users?query=OL", &me.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        names(&body),
        ["olga", "oliver", "olivia", "ollie", "quentin"]
    );
    assert!(body["users"][0].get("email").is_none());

    // `_` is a literal, not a LIKE wildcard.
    let body: Value = app
        .get_authed("/api/users?query=o_", &me.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names(&body), ["o_l"]);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/users?query=o&limit=2&cursor={c}"),
            None => "/api/users?query=o&limit=2".to_owned(),
        };
        let page: Value = app.get_authed(&path, &me.token).await.json().await.unwrap();
        assert!(page["users"].as_array().unwrap().len() <= 2);
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["o_l", "olga", "oliver", "olivia", "ollie", "oxl", "quentin"]
    );

    for bad in [
        "/api/users?limit=0",
        "/api/users?limit=101",
        "/api/users?limit=ten",
    ] {
        let (status, _) = error_of(app.get_authed(bad, &me.token).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}
