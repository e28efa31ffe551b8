//! Server-side request forgery, live: with the default configuration (no `allow_networks`), a
//! user asking for a preview of any loopback address, in any notation, or of a site that
//! redirects there, gets `blocked_address` (or `invalid_url` for schemes other than http(s) and
//! for credentials) — and a listener on that loopback port proves no connection was ever made.
//! Every other address class is tested at the guard's level (src/fetch/fetch_tests.rs), with a
//! stub resolver: live tests never send traffic off the machine.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Engine, TestApp, TestUser, error_of, spawn_app, spawn_app_with};
use crate::preview_site::{SITE_IP, Trap, start_site};

async fn refused(app: &TestApp, user: &TestUser, url: &str) -> (StatusCode, String) {
    let response = app
        .call(
            reqwest::Method::POST,
            "/api/preview",
            &user.token,
            Some(json!({"url": url})),
        )
        .await;
    let (status, error) = error_of(response).await;
    (status, error["code"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn loopback_in_every_notation_is_refused_without_a_connection() {
    let trap = Trap::start().await;
    let app = spawn_app(Engine::Sqlite).await;
    let user = app.signed_up("prober").await;
    let port = trap.port;
    let blocked = (StatusCode::FORBIDDEN, "blocked_address".to_owned());
    for host in [
        "localhost",
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f000001",
        "0x7f.1",
        "0177.0.0.1",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "LOCALHOST",
    ] {
        let url = format!("http://{host}:{port}/");
        assert_eq!(refused(&app, &user, &url).await, blocked, "{url}");
        let url = format!("https://{host}:{port}/");
        assert_eq!(refused(&app, &user, &url).await, blocked, "{url}");
    }
    let invalid = (StatusCode::BAD_REQUEST, "invalid_url".to_owned());
    for url in [
        "file:///etc/passwd".to_owned(),
        format!("gopher://127.0.0.1:{port}/_INFO"),
        format!("ftp://127.0.0.1:{port}/"),
        format!("http://user:secret@127.0.0.1:{port}/"),
        format!("http://user@localhost:{port}/"),
    ] {
        assert_eq!(refused(&app, &user, &url).await, invalid, "{url}");
    }
    assert_eq!(trap.accepted(), 0, "a refused address was connected to");
}

#[tokio::test]
async fn a_redirect_from_an_allowed_site_to_loopback_is_not_followed() {
    let trap = Trap::start().await;
    let site = start_site(Some(format!("http://127.0.0.1:{}/", trap.port))).await;
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.preview.allow_networks = vec![format!("{SITE_IP}/32")];
    })
    .await;
    let user = app.signed_up("redirected").await;
    assert_eq!(
        refused(&app, &user, &site.url("/to-trap")).await,
        (StatusCode::FORBIDDEN, "blocked_address".to_owned())
    );
    assert_eq!(
        site.requests.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the allowed site was asked"
    );
    assert_eq!(trap.accepted(), 0, "the redirect target was connected to");
}

/// The control for the stories above: the trap does see a daemon that is allowed to reach it, so
/// its zero there means "never connected", not "could not have noticed".
#[tokio::test]
async fn the_trap_counts_a_connection_the_configuration_allows() {
    let trap = Trap::start().await;
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.preview.allow_networks = vec!["127.0.0.1/32".into()];
    })
    .await;
    let user = app.signed_up("control").await;
    let url = format!("http://127.0.0.1:{}/", trap.port);
    // The trap accepts and hangs up at once: the site "answered" nothing usable.
    assert_eq!(
        refused(&app, &user, &url).await,
        (StatusCode::BAD_GATEWAY, "upstream_error".to_owned())
    );
    assert_eq!(trap.accepted(), 1);
}
