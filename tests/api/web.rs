//! The web app as a browser meets it: served from the binary, cached right, compressed when the
//! browser accepts it, client-side routes answered with index.html, and strict security headers.

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};

use crate::helpers::{Engine, spawn_app};

fn web_dist(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/web-dist/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| {
        panic!("web-dist/{path}: {e} (build the web app: npm run build --prefix web)")
    })
}

/// The script and stylesheet index.html loads (hashed names under /assets/).
fn assets_named_by_index() -> Vec<String> {
    let index = String::from_utf8(web_dist("index.html")).unwrap();
    let mut assets: Vec<String> = index
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect();
    assets.sort();
    assets.dedup();
    assert!(
        assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")),
        "index.html names no script or stylesheet: {assets:?}"
    );
    assets
}

#[tokio::test]
async fn the_app_is_served_for_every_client_route_and_never_cached() {
    let app = spawn_app(Engine::Sqlite).await;
    let index = web_dist("index.html");
    for path in [
        "/",
        "/index.html",
        "/login",
        "/c/4f1c2e7a-0000-0000-0000-000000000000",
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert!(
            headers[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert_eq!(headers[CACHE_CONTROL], "no-store", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(response.bytes().await.unwrap(), index, "{path}");
    }
    // The API keeps its JSON 404s, and its answers carry the same protective headers.
    for path in ["/api/nope", "/api", "/healthz/nope"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }
    let post = app.http.post(app.url("/login")).send().await.unwrap();
    assert_eq!(post.status(), StatusCode::NOT_FOUND);
    // A missing file is a 404, not the app's HTML handed to a <script> tag.
    let missing = app
        .http
        .get(app.url("/assets/nope-1234.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_served_precompressed() {
    let app = spawn_app(Engine::Sqlite).await;
    for asset in assets_named_by_index() {
        let file = asset.trim_start_matches('/');
        let plain = app.http.get(app.url(&asset)).send().await.unwrap();
        assert_eq!(plain.status(), StatusCode::OK, "{asset}");
        assert_eq!(
            plain.headers()[CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        let etag = plain.headers()[ETAG].clone();
        let kind = plain.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(
            kind.contains("javascript") || kind.contains("css"),
            "{asset}: {kind}"
        );
        assert_eq!(plain.bytes().await.unwrap(), web_dist(file), "{asset}");

        for (accept, encoding, suffix) in [
            ("gzip, deflate, br", "br", ".br"),
            ("gzip", "gzip", ".gz"),
            ("br;q=0, gzip;q=0.8", "gzip", ".gz"),
        ] {
            let response = app
                .http
                .get(app.url(&asset))
                .header(ACCEPT_ENCODING, accept)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.headers()[CONTENT_ENCODING],
                encoding,
                "{asset} {accept}"
            );
            assert_eq!(response.headers()["vary"], "accept-encoding");
            let expected = web_dist(&format!("{file}{suffix}"));
            assert!(
                expected.len() < web_dist(file).len(),
                "{file}{suffix} is not smaller"
            );
            assert_eq!(
                response.bytes().await.unwrap(),
                expected,
                "{asset} {accept}"
            );
        }

        let revalidated = app
            .http
            .get(app.url(&asset))
            .header(IF_NONE_MATCH, etag)
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED, "{asset}");
    }
}
