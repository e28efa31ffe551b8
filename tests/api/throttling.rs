//! Failed-login throttling per account and per client address.

use reqwest::StatusCode;

use crate::helpers::{Engine, error_of, spawn_app, spawn_app_with};
use crate::on_every_engine;

on_every_engine!(
    repeated_failures_lock_the_account_for_a_while,
    one_address_spraying_many_accounts_is_throttled
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
