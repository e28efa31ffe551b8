//! `/v1/keys…`: the token-signing keys.

use axum::Json;
use axum::extract::{Path, State};
use chrono::Utc;
use omegachat_contract::admin::{KeyChange, KeyInfo, KeyList, RotateKeys};

use super::{AdminState, timestamp};
use crate::http::error::ApiError;
use crate::http::extract::ApiJson;
use crate::service::admin::{AdminService, KeyChangeOutcome, KeyUsage};

fn view(usage: &KeyUsage) -> KeyInfo {
    KeyInfo {
        kid: usage.key.kid.clone(),
        state: usage.key.state.as_str().into(),
        created_at: timestamp(usage.key.created_at),
        age_secs: (Utc::now() - usage.key.created_at).num_seconds().max(0) as u64,
        live_sessions: usage.live_sessions,
    }
}

async fn all(admin: &AdminService) -> Result<Vec<KeyInfo>, ApiError> {
    Ok(admin.keys().await?.iter().map(view).collect())
}

async fn change(
    admin: &AdminService,
    outcome: KeyChangeOutcome,
) -> Result<Json<KeyChange>, ApiError> {
    Ok(Json(KeyChange {
        new_kid: outcome.new_kid,
        retired: outcome.retired,
        sessions_logged_out: outcome.sessions_logged_out,
        keys: all(admin).await?,
    }))
}

/// `GET /v1/keys`
pub async fn list(State(state): State<AdminState>) -> Result<Json<KeyList>, ApiError> {
    Ok(Json(KeyList {
        keys: all(&state.serving()?.state.admin).await?,
    }))
}

/// `POST /v1/keys/rotate`
pub async fn rotate(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<RotateKeys>,
) -> Result<Json<KeyChange>, ApiError> {
    let admin = &state.serving()?.state.admin;
    let outcome = admin.rotate_keys(body.retire_old).await?;
    change(admin, outcome).await
}

/// `POST /v1/keys/{kid}/retire`
pub async fn retire(
    State(state): State<AdminState>,
    Path(kid): Path<String>,
) -> Result<Json<KeyChange>, ApiError> {
    let admin = &state.serving()?.state.admin;
    let outcome = admin.retire_key(&kid).await?;
    change(admin, outcome).await
}
