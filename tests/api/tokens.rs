//! Tampered, forged, expired and foreign tokens are all refused, each with a reason.

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, TestUser, error_of, spawn_app};
use crate::on_every_engine;

on_every_engine!(
    tampered_and_forged_tokens_are_refused,
    tokens_signed_with_the_real_key_but_wrong_claims_are_refused
);

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn b64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

async fn refused_with(app: &TestApp, token: &str) -> String {
    let (status, error) = error_of(app.get_authed("/api/users/me", token).await).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "token {token} was accepted"
    );
    error["code"].as_str().unwrap().to_owned()
}

async fn tampered_and_forged_tokens_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let alice = app.signed_up("alice").await;
    let mallory = app.signed_up("mallory").await;
    let parts: Vec<&str> = mallory.token.split('.').collect();

    // Payload edited to claim to be alice: the signature no longer matches.
    let mut claims: Value = serde_json::from_slice(&b64_decode(parts[1])).unwrap();
    claims["sub"] = json!(alice.id.to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_eq!(refused_with(&app, &tampered).await, "invalid_token");

    // alg=none with no signature.
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    assert_eq!(
        refused_with(&app, &format!("{none_header}.{}.", parts[1])).await,
        "invalid_token"
    );
    let none_header = b64(br#"{"alg":"none","typ":"JWT","kid":"x"}"#);
    assert_eq!(
        refused_with(&app, &format!("{none_header}.{}.", parts[1])).await,
        "invalid_token"
    );

    // A well-formed token signed with a key the server never issued, under a made-up kid…
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("not-a-real-kid".into());
    let forged = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(b"guessed secret"),
    )
    .unwrap();
    assert_eq!(refused_with(&app, &forged).await, "invalid_token");
    // …or under the real kid.
    let header: Value = serde_json::from_slice(&b64_decode(parts[0])).unwrap();
    let mut real_kid = Header::new(Algorithm::HS256);
    real_kid.kid = header["kid"].as_str().map(str::to_owned);
    let forged = jsonwebtoken::encode(
        &real_kid,
        &claims,
        &EncodingKey::from_secret(b"guessed secret"),
    )
    .unwrap();
    assert_eq!(refused_with(&app, &forged).await, "invalid_token");

    for garbage in ["", "abc", "a.b.c", &format!("{}.{}", parts[0], parts[1])] {
        let response = app
            .http
            .get(app.url("/api/users/me"))
            .header("authorization", format!("Bearer {garbage}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{garbage:?}");
    }
    assert_eq!(
        app.get_authed("/api/users/me", &mallory.token)
            .await
            .status(),
        StatusCode::OK,
        "the real token still works"
    );
}

/// Signs `claims` exactly as the server would (same key, same kid).
async fn sign_as_server(app: &TestApp, claims: &Value, algorithm: Algorithm) -> String {
    let keys = app.stores.keys.list().await.unwrap();
    let key = keys
        .iter()
        .find(|k| k.state == omegachatd::domain::SigningKeyState::Active)
        .unwrap();
    let mut header = Header::new(algorithm);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(&key.secret)).unwrap()
}

fn claims_for(user: &TestUser) -> Value {
    let now = Utc::now().timestamp();
    json!({"sub": user.id.to_string(), "iat": now, "exp": now + 600, "iss": "omegachat", "aud": "omegachat", "ver": 0, "jti": "t"})
}

async fn tokens_signed_with_the_real_key_but_wrong_claims_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let user = app.signed_up("trent").await;
    let good = sign_as_server(&app, &claims_for(&user), Algorithm::HS256).await;
    assert_eq!(
        app.get_authed("/api/users/me", &good).await.status(),
        StatusCode::OK,
        "the control token is valid"
    );

    let now = Utc::now().timestamp();
    let mut expired = claims_for(&user);
    expired["iat"] = json!(now - 7200);
    expired["exp"] = json!(now - 3600);
    assert_eq!(
        refused_with(
            &app,
            &sign_as_server(&app, &expired, Algorithm::HS256).await
        )
        .await,
        "token_expired"
    );

    let cases = [
        ("iss", json!("someone-else")),
        ("aud", json!("another-app")),
        ("sub", json!("not-a-number")),
    ];
    for (claim, value) in cases {
        let mut claims = claims_for(&user);
        claims[claim] = value;
        assert_eq!(
            refused_with(&app, &sign_as_server(&app, &claims, Algorithm::HS256).await).await,
            "invalid_token",
            "{claim}"
        );
    }
    for claim in ["exp", "iat", "iss", "aud", "sub"] {
        let mut claims = claims_for(&user);
        claims.as_object_mut().unwrap().remove(claim);
        assert_eq!(
            refused_with(&app, &sign_as_server(&app, &claims, Algorithm::HS256).await).await,
            "invalid_token",
            "no {claim}"
        );
    }
    // Only HS256 is allowed, even with the right key.
    let other_alg = sign_as_server(&app, &claims_for(&user), Algorithm::HS512).await;
    assert_eq!(refused_with(&app, &other_alg).await, "invalid_token");
    // A token for an older token_version (revoked sessions) is refused.
    let mut stale = claims_for(&user);
    stale["ver"] = json!(-1);
    assert_eq!(
        refused_with(&app, &sign_as_server(&app, &stale, Algorithm::HS256).await).await,
        "token_revoked"
    );
}
