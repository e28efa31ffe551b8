//! Registering and logging in, and every way a client can get it wrong.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, error_of, spawn_app, spawn_app_with};
use crate::on_every_engine;

on_every_engine!(
    a_new_user_registers_logs_in_and_sees_their_account,
    login_accepts_username_or_email_in_any_case,
    usernames_emails_and_phone_numbers_are_unique,
    invalid_fields_are_refused_with_the_field_named,
    wrongly_shaped_bodies_are_client_errors,
    oversized_bodies_get_413,
    unknown_user_and_wrong_password_look_the_same,
    legacy_bcrypt_hashes_log_in_and_are_upgraded,
    a_disabled_account_cannot_log_in_and_its_tokens_stop_working,
    accounts_and_tokens_survive_a_restart,
);

async fn a_new_user_registers_logs_in_and_sees_their_account(engine: Engine) {
    let app = spawn_app(engine).await;
    let response = app
        .post_json(
            "/api/auth/register",
            &json!({"username": "Alice", "email": "Alice@Example.org", "password": "correct horse",
                    "display_name": "Alice A.", "phone_number": "+14155550123"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["username"], "alice", "usernames are stored lower-case");
    assert_eq!(user["email"], "Alice@Example.org");
    assert_eq!(user["display_name"], "Alice A.");
    assert_eq!(user["phone_number"], "+14155550123");
    assert!(
        user.get("password_hash").is_none() && user.get("token_version").is_none(),
        "{user}"
    );

    let response = app.login("alice", "correct horse").await;
    assert_eq!(response.status(), StatusCode::OK);
    let login: Value = response.json().await.unwrap();
    assert_eq!(login["token_type"], "Bearer");
    assert_eq!(login["expires_in"], 86400);
    assert_eq!(login["user"]["id"], user["id"]);
    let token = login["access_token"].as_str().unwrap();

    let me: Value = app
        .get_authed("/api/users/me", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["email"], "Alice@Example.org");
    assert!(me["last_seen"].is_string(), "login records last_seen: {me}");
}

async fn login_accepts_username_or_email_in_any_case(engine: Engine) {
    let app = spawn_app(engine).await;
    app.register("bob", "Bob@Example.org", "bob's password")
        .await;
    for login in ["bob", "BOB", "bob@example.org", "BOB@EXAMPLE.ORG"] {
        assert_eq!(
            app.login(login, "bob's password").await.status(),
            StatusCode::OK,
            "{login}"
        );
    }
    let by_alias = app
        .post_json(
            "/api/auth/login",
            &json!({"email": "bob@example.org", "password": "bob's password"}),
        )
        .await;
    assert_eq!(by_alias.status(), StatusCode::OK);
}

async fn usernames_emails_and_phone_numbers_are_unique(engine: Engine) {
    let app = spawn_app(engine).await;
    let first = json!({"username": "carol", "email": "carol@example.org", "password": "password1", "phone_number": "+4915112345678"});
    assert_eq!(
        app.post_json("/api/auth/register", &first).await.status(),
        StatusCode::CREATED
    );

    let cases = [
        (
            json!({"username": "CAROL", "email": "other@example.org", "password": "password1"}),
            "username",
        ),
        (
            json!({"username": "carol2", "email": "CAROL@example.ORG", "password": "password1"}),
            "email",
        ),
        (
            json!({"username": "carol3", "email": "c3@example.org", "password": "password1", "phone_number": "+4915112345678"}),
            "phone_number",
        ),
    ];
    for (body, field) in cases {
        let (status, error) = error_of(app.post_json("/api/auth/register", &body).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(error["code"], "already_taken");
        assert_eq!(error["field"], field);
    }
}

async fn invalid_fields_are_refused_with_the_field_named(engine: Engine) {
    let app = spawn_app(engine).await;
    let ok = |overrides: Value| {
        let mut body =
            json!({"username": "dave", "email": "dave@example.org", "password": "long enough"});
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (
            ok(json!({"username": "ab"})),
            "username",
            "invalid_username",
        ),
        (
            ok(json!({"username": "x".repeat(33)})),
            "username",
            "invalid_username",
        ),
        (
            ok(json!({"username": "da ve"})),
            "username",
            "invalid_username",
        ),
        (
            ok(json!({"username": "dävé"})),
            "username",
            "invalid_username",
        ),
        (
            ok(json!({"email": "not-an-email"})),
            "email",
            "invalid_email",
        ),
        (ok(json!({"email": "a@b"})), "email", "invalid_email"),
        (
            ok(json!({"password": "short"})),
            "password",
            "password_too_short",
        ),
        (
            ok(json!({"password": "x".repeat(1025)})),
            "password",
            "password_too_long",
        ),
        (
            ok(json!({"phone_number": "555-1234"})),
            "phone_number",
            "invalid_phone_number",
        ),
        (
            ok(json!({"display_name": "x".repeat(65)})),
            "display_name",
            "invalid_display_name",
        ),
        (
            ok(json!({"display_name": "   "})),
            "display_name",
            "invalid_display_name",
        ),
    ];
    for (body, field, code) in cases {
        let (status, error) = error_of(app.post_json("/api/auth/register", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["field"], field, "{body}");
        assert_eq!(error["code"], code, "{body}");
    }

    // A 1 MB password fits in the 1 MiB body limit and is refused by length, before hashing.
    let (status, error) = error_of(
        app.post_json(
            "/api/auth/register",
            &ok(json!({"password": "p".repeat(1_000_000)})),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "password_too_long");

    // Nothing was stored by any refused attempt.
    assert_eq!(
        app.register("dave", "dave@example.org", "long enough")
            .await
            .status(),
        StatusCode::CREATED
    );
}

async fn wrongly_shaped_bodies_are_client_errors(engine: Engine) {
    let app = spawn_app(engine).await;
    let injection =
        json!({"username": {"$ne": null}, "email": "e@example.org", "password": "long enough"});
    let (status, error) = error_of(app.post_json("/api/auth/register", &injection).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["code"], "invalid_body");
    let (status, _) = error_of(
        app.post_json("/api/auth/login", &json!({"login": ["x"], "password": 1}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = error_of(
        app.post_json("/api/auth/register", &json!({"username": "erin"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "missing fields");

    let syntax = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body("{\"login\": ")
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(syntax).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "malformed_json");

    let no_type = app
        .http
        .post(app.url("/api/auth/login"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(no_type).await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
}

async fn oversized_bodies_get_413(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.server.max_body_bytes = 4096).await;
    let big = json!({"login": "x".repeat(8192), "password": "whatever"});
    let (status, error) = error_of(app.post_json("/api/auth/login", &big).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["code"], "payload_too_large");

    // Without a Content-Length (chunked) the body is cut off at the same limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"{\"login\":\"".to_vec()),
        Ok(vec![b'x'; 8192]),
        Ok(b"\",\"password\":\"p\"}".to_vec()),
    ];
    let streamed = app
        .http
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(streamed).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn unknown_user_and_wrong_password_look_the_same(engine: Engine) {
    let app = spawn_app(engine).await;
    app.signed_up("frank").await;
    let wrong_password = app.login("frank", "not the password").await;
    let unknown_user = app.login("nobody-here", "not the password").await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_user.status(), StatusCode::UNAUTHORIZED);
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown_user.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a["error"]["code"], "invalid_credentials");
}

async fn legacy_bcrypt_hashes_log_in_and_are_upgraded(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("grace").await;
    // As the seed's Node implementation stored it (bcryptjs writes $2a$, node.bcrypt $2b$).
    let legacy = bcrypt::hash_with_result("node-era password", 10)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoA);
    let id = omegachatd::domain::UserId(user.id);
    app.stores
        .users
        .set_password_hash(id, &legacy, false)
        .await
        .unwrap();

    assert_eq!(
        app.login("grace", "wrong").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.stores
            .users
            .find_by_id(id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        legacy,
        "no upgrade on failure"
    );

    assert_eq!(
        app.login("grace", "node-era password").await.status(),
        StatusCode::OK
    );
    let stored = app
        .stores
        .users
        .find_by_id(id)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "upgraded: {stored}"
    );
    assert_eq!(
        app.login("grace", "node-era password").await.status(),
        StatusCode::OK,
        "still logs in after upgrade"
    );
    assert_eq!(
        app.get_authed("/api/users/me", &user.token).await.status(),
        StatusCode::OK,
        "upgrade revokes nothing"
    );
}

async fn a_disabled_account_cannot_log_in_and_its_tokens_stop_working(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("heidi").await;
    let id = omegachatd::domain::UserId(user.id);
    app.services.accounts.set_disabled(id, true).await.unwrap();

    let (status, error) = error_of(app.get_authed("/api/users/me", &user.token).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "token_revoked");
    let (status, error) = error_of(app.login("heidi", &user.password).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["code"], "account_disabled");

    app.services.accounts.set_disabled(id, false).await.unwrap();
    assert_eq!(
        app.get_authed("/api/users/me", &user.token).await.status(),
        StatusCode::UNAUTHORIZED,
        "old tokens stay dead"
    );
    let token = app.token_for("heidi", &user.password).await;
    assert_eq!(
        app.get_authed("/api/users/me", &token).await.status(),
        StatusCode::OK
    );
}

async fn accounts_and_tokens_survive_a_restart(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("ivan").await;
    let app = app.restart().await;
    let me = app.get_authed("/api/users/me", &user.token).await;
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "a token from before the restart still verifies"
    );
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "ivan");
    assert_eq!(
        app.login("ivan", &user.password).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.register("ivan", "ivan2@example.org", "password1")
            .await
            .status(),
        StatusCode::CONFLICT
    );
}
