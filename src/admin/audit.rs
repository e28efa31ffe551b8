//! Refusing peers the policy does not allow, and recording every admin action.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::AdminState;
use super::peer::{Peer, user_name};
use crate::edge::error::{ApiError, ErrorCode};
use crate::store::audit::AuditRecord;

/// Checks the peer, runs the request, and writes the audit record of anything but a read.
pub async fn guard(
    State(state): State<AdminState>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
    next: Next,
) -> Response {
    let action = format!("{} {}", request.method(), request.uri().path());
    let read_only = request.method() == Method::GET;
    if !state.policy.allows(&peer) {
        let uid = peer.uid.map_or("unknown".to_owned(), |u| u.to_string());
        tracing::warn!(
            uid,
            action,
            "admin socket: refused a peer that is not allowed"
        );
        let response = ApiError::new(
            StatusCode::FORBIDDEN,
            "not_allowed",
            format!(
                "uid {uid} may not administer omegachatd; the admin socket serves {}",
                state.policy.describe()
            ),
        )
        .into_response();
        record(&state, &peer, action, outcome(&response)).await;
        return response;
    }
    let response = next.run(request).await;
    if !read_only {
        record(&state, &peer, action, outcome(&response)).await;
    }
    response
}

/// `ok`, or the error code the response carries.
fn outcome(response: &Response) -> (u16, String) {
    let outcome = match response.extensions().get::<ErrorCode>() {
        Some(ErrorCode(code)) => (*code).to_owned(),
        None if response.status().is_success() => "ok".to_owned(),
        None => response.status().as_str().to_owned(),
    };
    (response.status().as_u16(), outcome)
}

// Takes the status and outcome rather than the response: a body is not Sync, so a reference to
// it may not be held across an await.
async fn record(state: &AdminState, peer: &Peer, action: String, (status, outcome): (u16, String)) {
    let uid = peer.uid.unwrap_or(u32::MAX);
    tracing::info!(uid, action, status, outcome, "admin action");
    let entry = AuditRecord {
        at: Utc::now(),
        uid,
        username: peer.uid.and_then(user_name),
        action,
        status,
        outcome,
    };
    if let Err(e) = state.system.record_audit(&entry).await {
        tracing::error!(error = %e.detail(), "cannot write the admin audit record");
    }
}
