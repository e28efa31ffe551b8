//! Refuses WebSocket and polling requests from browser origins not allowed to use the socket,
//! before any Socket.IO session exists (a page on another site must not chat as its visitor).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::edge::error::ApiError;

/// Origins allowed besides the daemon's own (`"*"` allows any).
#[derive(Clone, Debug)]
pub struct AllowedOrigins(pub std::sync::Arc<Vec<String>>);

/// Middleware for `/socket.io/`: same-origin requests, listed origins, and requests without an
/// Origin header (non-browser clients) pass; others get 403.
pub async fn check(State(allowed): State<AllowedOrigins>, req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/socket.io") {
        return next.run(req).await;
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return next.run(req).await;
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same_origin = origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host));
    let listed = allowed
        .0
        .iter()
        .any(|a| a == "*" || a.trim_end_matches('/').eq_ignore_ascii_case(origin));
    if same_origin || listed {
        return next.run(req).await;
    }
    tracing::warn!(origin, "socket connection refused: origin not allowed");
    ApiError::new(
        StatusCode::FORBIDDEN,
        "origin_not_allowed",
        format!("origin {origin} may not connect: add it to realtime.allowed_origins"),
    )
    .into_response()
}
