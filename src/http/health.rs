//! `/healthz` (the process answers), `/readyz` (it can serve: the database answers) and
//! `/api/server` (version and the limits clients must respect).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::edge::error::ApiError;
use crate::service::Services;

const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /api/server`: what clients should know before they send (public, no token needed).
pub async fn server_info(State(state): State<Services>) -> Json<Value> {
    let (max_message_bytes, sends_per_minute) = state.conversations.limits();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "limits": {
            "max_message_bytes": max_message_bytes,
            "sends_per_user_per_minute": sends_per_minute,
        },
        // Clients show link-preview cards only when asking for them can succeed.
        "features": { "link_previews": state.preview.enabled() },
    }))
}

/// `GET /readyz`: 503 when the database does not answer within two seconds. Redis, when scaled
/// out, is reported but does not make the node unready: without it the node still serves its own
/// sockets, and taking every node out of the load balancer during a Redis outage would stop the
/// whole chat. It answers `"status": "degraded"` then.
pub async fn readyz(State(state): State<Services>) -> Result<Json<Value>, ApiError> {
    let engine = state.health.engine();
    let not_ready = |why: String| {
        tracing::warn!(engine, reason = %why, "readiness check failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("the {engine} database is not reachable"),
        )
    };
    let latency = match tokio::time::timeout(READY_TIMEOUT, state.health.ping()).await {
        Ok(Ok(latency)) => latency,
        Ok(Err(e)) => return Err(not_ready(e.to_string())),
        Err(_) => return Err(not_ready("timed out".into())),
    };
    let mut body = json!({
        "status": "ready",
        "database": { "engine": engine, "latency_ms": latency.as_secs_f64() * 1000.0 },
    });
    for backend in &state.backends {
        let mut report = match backend.ping().await {
            Ok(latency) => json!({
                "engine": backend.engine(),
                "reachable": true,
                "latency_ms": latency.as_secs_f64() * 1000.0,
            }),
            Err(why) => {
                body["status"] = json!("degraded");
                json!({ "engine": backend.engine(), "reachable": false, "error": why })
            }
        };
        if let Some(detail) = backend.detail() {
            report["detail"] = json!(detail);
        }
        body[backend.role()] = report;
    }
    Ok(Json(body))
}
