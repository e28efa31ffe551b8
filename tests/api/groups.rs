//! Groups over REST: roles, membership, the story told by system messages.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, history, send, spawn_app};
use crate::on_every_engine;

on_every_engine!(
    a_group_tells_its_story_and_respects_roles,
    a_group_is_created_with_its_members_whole_or_not_at_all
);

async fn a_group_is_created_with_its_members_whole_or_not_at_all(engine: Engine) {
    use omegachatd::domain::UserId;
    use omegachatd::store::chat::NewGroup;
    let app = spawn_app(engine).await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let draft = || NewGroup {
        name: "climbers".into(),
        description: None,
        avatar_url: None,
    };
    let groups = &app.stores.groups;
    // The last member cannot be added (no such account): nothing of the group may remain.
    let failed = groups
        .create(draft(), UserId(ann.id), &[UserId(ben.id), UserId(999_999)])
        .await;
    assert!(
        failed.is_err(),
        "a membership that cannot be written fails the creation"
    );
    for user in [ann.id, ben.id] {
        assert!(
            groups.list_for_user(UserId(user)).await.unwrap().is_empty(),
            "a failed creation left a group behind for user {user}"
        );
    }
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
        list.as_array().map(Vec::len),
        Some(0),
        "no conversation left: {list}"
    );

    // With members that exist, everyone is in, once, the owner as owner.
    let group = groups
        .create(
            draft(),
            UserId(ann.id),
            &[UserId(ben.id), UserId(ann.id), UserId(ben.id)],
        )
        .await
        .unwrap();
    let members: Vec<(i64, String)> = groups
        .members(group.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.user_id.0, m.role.as_str().to_owned()))
        .collect();
    assert_eq!(
        members,
        [(ann.id, "owner".to_owned()), (ben.id, "member".to_owned())]
    );
}

async fn a_group_tells_its_story_and_respects_roles(engine: Engine) {
    let app = spawn_app(engine).await;
    let (ann, ben, cid, dan) = (
        app.signed_up("ann").await,
        app.signed_up("ben").await,
        app.signed_up("cid").await,
        app.signed_up("dan").await,
    );
    let group = app
        .expect(
            StatusCode::CREATED,
            Method::POST,
            "/api/groups",
            &ann.token,
            Some(json!({"name": "Hikers", "member_ids": [ben.id, cid.id]})),
        )
        .await;
    let (gid, conv) = (
        group["id"].as_i64().unwrap(),
        group["conversation_id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(group["members"].as_array().unwrap().len(), 3);
    assert_eq!(group["members"][0]["role"], "owner");
    let g = |suffix: &str| format!("/api/groups/{gid}{suffix}");
    // The group's conversation names its group, so clients can open the group from the chat.
    let summary = app
        .expect(
            StatusCode::OK,
            Method::GET,
            &format!("/api/conversations/{conv}"),
            &ben.token,
            None,
        )
        .await;
    assert_eq!(summary["group_id"], gid);

    app.expect(StatusCode::NOT_FOUND, Method::GET, &g(""), &dan.token, None)
        .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::PATCH,
        &g(""),
        &ben.token,
        Some(json!({"name": "Mine"})),
    )
    .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::POST,
        &g("/members"),
        &ben.token,
        Some(json!({"user_id": dan.id})),
    )
    .await;
    app.expect(
        StatusCode::OK,
        Method::PATCH,
        &g(&format!("/members/{}", ben.id)),
        &ann.token,
        Some(json!({"role": "admin"})),
    )
    .await;
    app.expect(
        StatusCode::OK,
        Method::PATCH,
        &g(""),
        &ben.token,
        Some(json!({"name": "Hill walkers"})),
    )
    .await;
    app.expect(
        StatusCode::CREATED,
        Method::POST,
        &g("/members"),
        &ben.token,
        Some(json!({"user_id": dan.id})),
    )
    .await;
    app.expect(
        StatusCode::CONFLICT,
        Method::POST,
        &g("/members"),
        &ben.token,
        Some(json!({"user_id": dan.id})),
    )
    .await;

    send(&app, &cid, &conv, "hello all").await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &g(&format!("/members/{}", cid.id)),
        &ben.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::GET,
        &format!("/api/conversations/{conv}/messages"),
        &cid.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::NOT_FOUND,
        Method::POST,
        &format!("/api/conversations/{conv}/messages"),
        &cid.token,
        Some(json!({"content": "still here?"})),
    )
    .await;
    app.expect(
        StatusCode::FORBIDDEN,
        Method::DELETE,
        &g(&format!("/members/{}", ann.id)),
        &ben.token,
        None,
    )
    .await;

    // An admin may delete another member's message.
    let dans = send(&app, &dan, &conv, "spam").await;
    let path = format!(
        "/api/conversations/{conv}/messages/{}",
        dans["message_id"].as_str().unwrap()
    );
    app.expect(StatusCode::OK, Method::DELETE, &path, &ben.token, None)
        .await;

    let story: Vec<Value> = history(&app, &ann, &conv, "")
        .await
        .into_iter()
        .rev()
        .collect();
    let events: Vec<&str> = story
        .iter()
        .filter(|m| m["message_type"] == "system")
        .map(|m| m["metadata"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "group_created",
            "group_renamed",
            "member_added",
            "member_removed"
        ]
    );
    assert!(
        story
            .iter()
            .any(|m| m["content"] == "ben renamed the group to Hill walkers"),
        "{story:?}"
    );

    // The owner leaving hands ownership to the admin.
    app.expect(
        StatusCode::NO_CONTENT,
        Method::POST,
        &g("/leave"),
        &ann.token,
        None,
    )
    .await;
    let detail = app
        .expect(StatusCode::OK, Method::GET, &g(""), &ben.token, None)
        .await;
    let ben_role = detail["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == ben.id)
        .unwrap()["role"]
        .clone();
    assert_eq!(ben_role, "owner");
    app.expect(
        StatusCode::FORBIDDEN,
        Method::DELETE,
        &g(""),
        &dan.token,
        None,
    )
    .await;
    app.expect(
        StatusCode::NO_CONTENT,
        Method::DELETE,
        &g(""),
        &ben.token,
        None,
    )
    .await;
    app.expect(StatusCode::NOT_FOUND, Method::GET, &g(""), &ben.token, None)
        .await;
    let list = app
        .expect(StatusCode::OK, Method::GET, "/api/groups", &dan.token, None)
        .await;
    assert!(list.as_array().unwrap().is_empty());
}
