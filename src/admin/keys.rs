//! `/v1/keys…`: the token-signing keys.

use chrono::Utc;
use omegachat_contract::admin::{
    KeyChange, KeyInfo, KeyList, KeyState, ListKeys, RetireKey, RotateKeys,
};

use super::{AdminState, timestamp};
use crate::domain::SigningKeyState;
use crate::edge::error::ApiError;
use crate::service::admin::{AdminService, KeyChangeOutcome, KeyUsage};

fn view(usage: &KeyUsage) -> KeyInfo {
    KeyInfo {
        kid: usage.key.kid.clone(),
        state: match usage.key.state {
            SigningKeyState::Active => KeyState::Active,
            SigningKeyState::VerifyOnly => KeyState::VerifyOnly,
            SigningKeyState::Retired => KeyState::Retired,
        },
        created_at: timestamp(usage.key.created_at),
        age_secs: (Utc::now() - usage.key.created_at).num_seconds().max(0) as u64,
        live_sessions: usage.live_sessions,
    }
}

async fn all(admin: &AdminService) -> Result<Vec<KeyInfo>, ApiError> {
    Ok(admin.keys().await?.iter().map(view).collect())
}

async fn change(admin: &AdminService, outcome: KeyChangeOutcome) -> Result<KeyChange, ApiError> {
    Ok(KeyChange {
        new_kid: outcome.new_kid,
        retired: outcome.retired,
        sessions_logged_out: outcome.sessions_logged_out,
        keys: all(admin).await?,
    })
}

pub async fn list(state: AdminState, _: ListKeys) -> Result<KeyList, ApiError> {
    Ok(KeyList {
        keys: all(&state.system.services()?.admin).await?,
    })
}

pub async fn rotate(state: AdminState, request: RotateKeys) -> Result<KeyChange, ApiError> {
    let admin = &state.system.services()?.admin;
    let outcome = admin.rotate_keys(request.retire_old).await?;
    change(admin, outcome).await
}

pub async fn retire(state: AdminState, request: RetireKey) -> Result<KeyChange, ApiError> {
    let admin = &state.system.services()?.admin;
    let outcome = admin.retire_key(&request.kid).await?;
    change(admin, outcome).await
}
