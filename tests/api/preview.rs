//! Link previews as a user meets them: a link posted in a chat gets its title, description, site
//! and image, fetched by the daemon from a test site on 127.0.0.2 (admitted by `allow_networks`
//! in these tests only), within the size, time and redirect limits.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, TestUser, error_of, spawn_app_with};
use crate::preview_site::{PNG, SITE_IP, Site, start_site};

/// A daemon admitting the test site, and a signed-in user.
async fn app_with_site(
    adjust: impl FnOnce(&mut omegachat_contract::Config),
) -> (TestApp, TestUser, Site) {
    let site = start_site(None).await;
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.preview.allow_networks = vec![format!("{SITE_IP}/32")];
        adjust(c);
    })
    .await;
    let user = app.signed_up("previewer").await;
    (app, user, site)
}

async fn preview(app: &TestApp, user: &TestUser, url: &str) -> reqwest::Response {
    app.call(
        reqwest::Method::POST,
        "/api/preview",
        &user.token,
        Some(json!({"url": url})),
    )
    .await
}

pub(crate) async fn preview_ok(app: &TestApp, user: &TestUser, url: &str) -> Value {
    let response = preview(app, user, url).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    body
}

async fn preview_error(app: &TestApp, user: &TestUser, url: &str) -> (StatusCode, String) {
    let (status, error) = error_of(preview(app, user, url).await).await;
    (status, error["code"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_opengraph_page_gives_a_full_card_whose_image_comes_through_the_daemon() {
    let (app, user, site) = app_with_site(|_| {}).await;
    let body = preview_ok(&app, &user, &site.url("/og#section")).await;
    assert_eq!(body["url"], site.url("/og"), "normalised: no fragment");
    assert_eq!(body["final_url"], site.url("/og"));
    assert_eq!(body["title"], "An OpenGraph title");
    assert_eq!(body["description"], "What the page is about");
    assert_eq!(body["site_name"], "Test Site");
    assert!(body["fetched_at"].is_string());
    let image = &body["image"];
    assert_eq!(
        (image["width"].as_u64(), image["height"].as_u64()),
        (Some(1), Some(1))
    );
    let path = image["url"].as_str().unwrap();
    assert!(path.starts_with("/api/preview/image?"), "{path}");

    // The browser loads it from the daemon, with no token, typed and unsniffable.
    let response = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(&response.bytes().await.unwrap()[..], PNG);

    // Cached: the same preview and image again without asking the site.
    let served = site.requests.load(std::sync::atomic::Ordering::SeqCst);
    preview_ok(&app, &user, &site.url("/og")).await;
    let again = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        site.requests.load(std::sync::atomic::Ordering::SeqCst),
        served
    );

    // The proxy serves only what a preview named: a changed URL or signature is refused.
    let forged = path.replace("img.png", "json");
    let (status, error) = error_of(app.http.get(app.url(&forged)).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_signature"))
    );
}

#[tokio::test]
async fn a_title_only_page_and_a_relative_image() {
    let (app, user, site) = app_with_site(|_| {}).await;
    let body = preview_ok(&app, &user, &site.url("/title")).await;
    assert_eq!(body["title"], "Only a title");
    assert_eq!(body["description"], Value::Null);
    assert_eq!(body["image"], Value::Null);
    assert_eq!(
        body["site_name"], SITE_IP,
        "the host stands in for a site name"
    );

    let body = preview_ok(&app, &user, &site.url("/articles/2024/relative")).await;
    let path = body["image"]["url"].as_str().unwrap();
    let remote = url::Url::parse(&app.url(path)).unwrap();
    let named = remote
        .query_pairs()
        .find(|(k, _)| k == "url")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(named, site.url("/articles/pics/pic.png"));
    let response = app.http.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_svg_image_is_never_served() {
    let (app, user, site) = app_with_site(|_| {}).await;
    let body = preview_ok(&app, &user, &site.url("/svg-card")).await;
    let path = body["image"]["url"].as_str().unwrap();
    let (status, error) = error_of(app.http.get(app.url(path)).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_GATEWAY, Some("not_an_image"))
    );
}

#[tokio::test]
async fn three_redirects_are_followed_and_a_fourth_is_refused() {
    let (app, user, site) = app_with_site(|_| {}).await;
    let body = preview_ok(&app, &user, &site.url("/r/3")).await;
    assert_eq!(body["title"], "Arrived");
    assert_eq!(body["final_url"], site.url("/r/0"));
    assert_eq!(body["url"], site.url("/r/3"));
    assert_eq!(
        preview_error(&app, &user, &site.url("/r/4")).await,
        (StatusCode::BAD_GATEWAY, "upstream_error".into())
    );
}

#[tokio::test]
async fn non_html_is_refused_and_a_large_page_is_cut_at_the_cap() {
    let (app, user, site) = app_with_site(|_| {}).await;
    assert_eq!(
        preview_error(&app, &user, &site.url("/json")).await,
        (StatusCode::BAD_GATEWAY, "not_html".into())
    );
    // 2 MiB: the first MiB is read and parsed; what follows it is never seen.
    let body = preview_ok(&app, &user, &site.url("/big")).await;
    assert_eq!(body["title"], "Big page");
    assert_eq!(
        body["description"],
        Value::Null,
        "the description lies past the cap"
    );
}

#[tokio::test]
async fn a_page_of_100000_nested_divs_does_not_crash_the_daemon() {
    let (app, user, site) = app_with_site(|_| {}).await;
    let body = preview_ok(&app, &user, &site.url("/deep")).await;
    assert_eq!(body["title"], "Deep");
    let healthy = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(healthy.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_dripping_a_byte_a_second_is_cut_off_at_the_configured_timeout() {
    let timeout = Duration::from_millis(1_500);
    let (app, user, site) = app_with_site(|c| c.preview.timeout_ms = 1_500).await;
    let started = Instant::now();
    assert_eq!(
        preview_error(&app, &user, &site.url("/drip")).await,
        (StatusCode::GATEWAY_TIMEOUT, "timeout".into())
    );
    let took = started.elapsed();
    // Not before the bound, and not as long as the drip would go on (forever).
    assert!(took >= timeout, "gave up after {took:?}");
    assert!(took < timeout * 4, "took {took:?} for a {timeout:?} bound");
}

#[tokio::test]
async fn previews_need_a_signed_in_user_and_are_rate_limited_per_user() {
    let (app, user, site) = app_with_site(|c| c.preview.fetches_per_user_per_minute = 2).await;
    let anonymous = app
        .http
        .post(app.url("/api/preview"))
        .json(&json!({"url": site.url("/og")}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(anonymous).await.0, StatusCode::UNAUTHORIZED);

    preview_ok(&app, &user, &site.url("/og")).await;
    preview_ok(&app, &user, &site.url("/title")).await;
    let response = preview(&app, &user, &site.url("/r/0")).await;
    assert!(response.headers().contains_key("retry-after"));
    let (status, error) = error_of(response).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("link previews"), "{message}");
    // Cached previews cost nothing; another user has a budget of their own.
    preview_ok(&app, &user, &site.url("/og")).await;
    let other = app.signed_up("someone-else").await;
    preview_ok(&app, &other, &site.url("/r/0")).await;

    assert_eq!(
        preview_error(&app, &user, "not a url").await,
        (StatusCode::BAD_REQUEST, "invalid_url".into())
    );
}

#[tokio::test]
async fn previews_can_be_switched_off() {
    let (app, user, site) = app_with_site(|c| c.preview.enabled = false).await;
    assert_eq!(
        preview_error(&app, &user, &site.url("/og")).await,
        (StatusCode::FORBIDDEN, "preview_disabled".into())
    );
}

#[tokio::test]
async fn a_sender_dismisses_the_preview_of_their_message_for_everyone() {
    let app = spawn_app_with(Engine::Sqlite, |_| {}).await;
    let alice = app.signed_up("alice").await;
    let bob = app.signed_up("bob").await;
    let chat = app.direct(&alice, &bob).await;
    let sent = crate::helpers::send(&app, &alice, &chat, "look: https://example.org/page").await;
    let id = sent["message_id"].as_str().unwrap();
    let path = format!("/api/conversations/{chat}/messages/{id}/preview");

    let (status, error) = error_of(
        app.call(reqwest::Method::DELETE, &path, &bob.token, None)
            .await,
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_sender"))
    );

    let mut bobs_socket = app.socket(&bob).await;
    let updated = app
        .expect(
            StatusCode::OK,
            reqwest::Method::DELETE,
            &path,
            &alice.token,
            None,
        )
        .await;
    assert_eq!(updated["metadata"]["link_preview"], "dismissed");
    assert_eq!(updated["edited"], false, "not an edit of the text");
    assert_eq!(updated["content"], sent["content"]);
    let event = bobs_socket.next("message_edited").await;
    assert_eq!(event["metadata"]["link_preview"], "dismissed");
    let seen = crate::helpers::history(&app, &bob, &chat, "").await;
    assert_eq!(seen[0]["metadata"]["link_preview"], "dismissed");
}
