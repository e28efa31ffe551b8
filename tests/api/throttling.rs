//! Failed-login throttling per account and per client address, also behind a load balancer.

use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::{Engine, TestApp, error_of, spawn_app, spawn_app_with};
use crate::on_every_engine;

on_every_engine!(
    repeated_failures_lock_the_account_for_a_while,
    one_address_spraying_many_accounts_is_throttled,
    behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own,
    a_forwarded_for_header_from_an_untrusted_peer_is_ignored
);

async fn repeated_failures_lock_the_account_for_a_while(engine: Engine) {
    let app = spawn_app(engine).await;
    let victim = app.signed_up("olivia").await;
    let bystander = app.signed_up("peggy").await;
    for _ in 0..5 {
        assert_eq!(
            app.login("olivia", "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused: guessing further gains nothing.
    let response = app.login("olivia", &victim.password).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    let (status, error) = error_of(response).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    assert_eq!(
        error_of(app.login("OLIVIA@example.org", &victim.password).await)
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS,
        "the same account under its e-mail is the same account"
    );
    assert_eq!(
        app.login("peggy", &bystander.password).await.status(),
        StatusCode::OK,
        "other accounts unaffected"
    );
}

async fn one_address_spraying_many_accounts_is_throttled(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.auth.max_failed_logins_per_address = 3).await;
    let user = app.signed_up("rupert").await;
    for name in ["a1", "a2", "a3"] {
        assert_eq!(
            app.login(name, "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        error_of(app.login("rupert", &user.password).await).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// A login as it arrives from a proxy that says the client is `forwarded_for`.
async fn login_via(app: &TestApp, forwarded_for: &str, login: &str, password: &str) -> Response {
    app.http
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .expect("request sent")
}

async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own(engine: Engine) {
    // The test connects from 127.0.0.1: here, that is the load balancer.
    let app = spawn_app_with(engine, |c| {
        c.auth.max_failed_logins_per_address = 3;
        c.server.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let user = app.signed_up("sybil").await;
    let sprayer = "198.51.100.1";
    for name in ["a1", "a2", "a3"] {
        assert_eq!(
            login_via(&app, sprayer, name, "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        error_of(login_via(&app, sprayer, "sybil", &user.password).await)
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Writing another address in front of the one the proxy appended does not help.
    assert_eq!(
        error_of(
            login_via(
                &app,
                &format!("203.0.113.7, {sprayer}"),
                "sybil",
                &user.password
            )
            .await
        )
        .await
        .0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        login_via(&app, "198.51.100.2", "sybil", &user.password)
            .await
            .status(),
        StatusCode::OK,
        "another client behind the same proxy is not locked out"
    );
}

async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored(engine: Engine) {
    let app = spawn_app_with(engine, |c| c.auth.max_failed_logins_per_address = 3).await;
    let user = app.signed_up("trent").await;
    for (i, name) in ["a1", "a2", "a3"].into_iter().enumerate() {
        let forged = format!("198.51.100.{i}");
        assert_eq!(
            login_via(&app, &forged, name, "guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        error_of(login_via(&app, "198.51.100.200", "trent", &user.password).await)
            .await
            .0,
        StatusCode::TOO_MANY_REQUESTS,
        "counted by the TCP peer, whatever the header says"
    );
}
