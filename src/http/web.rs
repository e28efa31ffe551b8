//! The bundled web app: `web-dist/` (built from `web/` by Vite) embedded in the binary and served
//! on every path the API does not own.
//!
//! Hashed assets (`/assets/…`) never change under their name, so browsers may keep them a year;
//! `index.html` names the current assets and is never cached. Each file is served from its
//! precompressed `.br` or `.gz` variant when the browser accepts one. Any other GET path is a
//! client-side route and gets `index.html`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::Embed;

use crate::edge::error::ApiError;

#[derive(Embed)]
#[folder = "web-dist/"]
struct WebDist;

const INDEX: &str = "index.html";
/// Content hashes in their names make assets immutable.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files without a content hash in their name.
const REVALIDATE: &str = "no-cache";
/// `index.html` must always be fetched anew, or a browser would keep asking for old assets.
const NEVER_CACHE: &str = "no-store";

/// Fallback of the public router: the web app for GET/HEAD outside `/api` and `/socket.io`,
/// the API's JSON 404 otherwise.
pub async fn serve(request: Request) -> Response {
    let path = request.uri().path();
    let api_path = ["/api", "/socket.io", "/healthz", "/readyz"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")));
    let readable = request.method() == Method::GET || request.method() == Method::HEAD;
    if api_path || !readable {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
            .into_response();
    }
    let name = path.trim_start_matches('/');
    let (name, cache) = match WebDist::get(name) {
        Some(_) if name.starts_with("assets/") => (name, IMMUTABLE),
        // Unhashed files (favicon…) may change with any release: revalidate by ETag.
        Some(_) if !name.is_empty() && name != INDEX => (name, REVALIDATE),
        Some(_) => (INDEX, NEVER_CACHE),
        // A path that names a file (has an extension) and is not there is a broken link, not a
        // client-side route: a 404 beats handing HTML to a <script> tag.
        _ if last_segment_has_extension(name) => {
            return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file")
                .into_response();
        }
        _ => (INDEX, NEVER_CACHE),
    };
    file_response(
        name,
        cache,
        request.headers(),
        request.method() == Method::HEAD,
    )
}

fn last_segment_has_extension(path: &str) -> bool {
    path.rsplit('/').next().is_some_and(|s| s.contains('.'))
}

/// The best variant of `name` the client accepts, with its caching and validation headers.
fn file_response(name: &str, cache: &'static str, request: &HeaderMap, head: bool) -> Response {
    let Some(original) = WebDist::get(name) else {
        // web-dist/ without index.html is a build problem, not a client's.
        tracing::error!(
            file = name,
            "the embedded web app lacks this file; rebuild web-dist/"
        );
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the web app is not part of this build",
        )
        .into_response();
    };
    let etag = format!("\"{}\"", hex(&original.metadata.sha256_hash()[..16]));
    let mut headers = HeaderMap::new();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(original.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    let accepted = accepted_encodings(request);
    let variant = [("br", ".br"), ("gzip", ".gz")]
        .into_iter()
        .filter(|(encoding, _)| accepted.contains(encoding))
        .find_map(|(encoding, suffix)| {
            WebDist::get(&format!("{name}{suffix}")).map(|file| (encoding, file))
        });
    let data = match variant {
        Some((encoding, file)) => {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
            file.data
        }
        None => original.data,
    };
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(data.len()));
    let body = if head {
        Body::empty()
    } else {
        Body::from(data)
    };
    (StatusCode::OK, headers, body).into_response()
}

/// Content codings the client accepts (`q=0` excluded).
fn accepted_encodings(request: &HeaderMap) -> Vec<&'static str> {
    let Some(value) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Vec::new();
    };
    let mut accepted = Vec::new();
    for part in value.split(',') {
        let mut pieces = part.split(';');
        let coding = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let refused = pieces.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        if refused {
            continue;
        }
        match coding.as_str() {
            "br" => accepted.push("br"),
            "gzip" => accepted.push("gzip"),
            _ => {}
        }
    }
    accepted
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_accept_encoding_with_weights() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, deflate, br;q=0"),
        );
        assert_eq!(accepted_encodings(&headers), vec!["gzip"]);
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("BR;q=1.0, gzip;q=0.5"),
        );
        assert_eq!(accepted_encodings(&headers), vec!["br", "gzip"]);
    }

    #[test]
    fn a_dotted_last_segment_is_a_file() {
        assert!(last_segment_has_extension("assets/app-1234.js"));
        assert!(!last_segment_has_extension("conversations/42"));
        assert!(!last_segment_has_extension(""));
    }
}
