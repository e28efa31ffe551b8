//! The REST edge: routes, middleware, and the gate that answers 503 until the daemon serves.
//! Service errors become HTTP answers through the edges' shared mapping (`crate::edge::error`).

mod auth;
mod conversations;
mod current_user;
mod friends;
mod groups;
mod health;
mod preview;
mod users;
mod web;

use std::any::Any;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use tower::{ServiceBuilder, ServiceExt};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::edge::client_addr::ClientAddr;
use crate::edge::error::ApiError;
use crate::service::Services;

/// Header carrying the request id; generated when the client sends none, always echoed back.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The public API behind a gate: `open` gives the full router once the daemon serves; until then
/// every request is answered 503, telling the administrator what to run.
pub fn gate<F>(open: F) -> Router
where
    F: Fn() -> Option<Router> + Clone + Send + Sync + 'static,
{
    Router::new().fallback(move |request: Request| {
        let open = open.clone();
        async move {
            match open() {
                Some(router) => match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                },
                None => ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "migrations_pending",
                    "this server is waiting for its database schema to be upgraded: an administrator must run `omegactl migrate up`",
                )
                .into_response(),
            }
        }
    })
}

/// Every public route with its middleware.
pub fn router(services: Services, max_body_bytes: usize) -> Router {
    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let api = Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/users", get(users::search))
        .route("/api/users/me", get(users::me).patch(users::patch_me))
        .route("/api/users/{id}", get(users::get_user))
        .route("/api/friends", get(friends::lists))
        .route("/api/friends/requests", post(friends::request))
        .route("/api/friends/requests/{user_id}", delete(friends::cancel))
        .route(
            "/api/friends/requests/{user_id}/accept",
            post(friends::accept),
        )
        .route(
            "/api/friends/requests/{user_id}/decline",
            post(friends::decline),
        )
        .route("/api/friends/{user_id}", delete(friends::unfriend))
        .route(
            "/api/friends/{user_id}/block",
            put(friends::block).delete(friends::unblock),
        )
        .route("/api/groups", get(groups::list).post(groups::create))
        .route(
            "/api/groups/{id}",
            get(groups::get)
                .patch(groups::update)
                .delete(groups::delete),
        )
        .route("/api/groups/{id}/members", post(groups::add_member))
        .route(
            "/api/groups/{id}/members/{user_id}",
            patch(groups::set_role).delete(groups::remove_member),
        )
        .route("/api/groups/{id}/leave", post(groups::leave))
        .route("/api/preview", post(preview::preview))
        .route("/api/preview/image", get(preview::image))
        .route("/api/conversations", get(conversations::list))
        .route(
            "/api/conversations/direct",
            post(conversations::open_direct),
        )
        .route(
            "/api/conversations/{id}",
            get(conversations::get).patch(conversations::set_flags),
        )
        .route(
            "/api/conversations/{id}/read",
            post(conversations::mark_read),
        )
        .route(
            "/api/conversations/{id}/read-markers",
            get(conversations::read_markers),
        )
        .route(
            "/api/conversations/{id}/messages",
            get(conversations::history).post(conversations::send),
        )
        .route(
            "/api/conversations/{id}/messages/{message_id}",
            patch(conversations::edit).delete(conversations::delete),
        )
        .route(
            "/api/conversations/{id}/messages/{message_id}/preview",
            delete(conversations::dismiss_preview),
        );
    Router::new()
        .merge(api)
        .route("/healthz", get(health::healthz))
        .route("/api/server", get(health::server_info))
        .route("/readyz", get(health::readyz))
        .fallback(web::serve)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn_with_state(max_body_bytes, refuse_oversized_bodies))
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([header::AUTHORIZATION]))
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request| {
                            let id = req
                                .extensions()
                                .get::<RequestId>()
                                .and_then(|id| id.header_value().to_str().ok())
                                .unwrap_or_default();
                            let client = req
                                .extensions()
                                .get::<ClientAddr>()
                                .map(ToString::to_string)
                                .unwrap_or_default();
                            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id, %client)
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                // Browsers may not sniff, frame, or leak the referrer of anything this serves.
                .layer(always("content-security-policy", CONTENT_SECURITY_POLICY))
                .layer(always("x-content-type-options", "nosniff"))
                .layer(always("x-frame-options", "DENY"))
                .layer(always("referrer-policy", "no-referrer"))
                .layer(always("cross-origin-opener-policy", "same-origin"))
                .layer(always(
                    "permissions-policy",
                    "camera=(), microphone=(), geolocation=()",
                ))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .with_state(services)
}

/// The Content-Security-Policy of every response: the web app loads only its own scripts and
/// styles (no inline code), talks only to this origin, and cannot be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self' ws: wss:; \
     img-src 'self' data: https:; style-src 'self'; script-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// A header every response carries unless its handler set one (see the router's last layers).
fn always(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

/// Answers 413 from `Content-Length` alone, before reading a byte of an oversized body.
/// (Bodies without a length are cut off at the same limit by `DefaultBodyLimit`.)
async fn refuse_oversized_bodies(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return ApiError::payload_too_large(limit).into_response();
    }
    next.run(req).await
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not accept that method",
    )
}

fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal server error",
    )
    .into_response()
}
