//! `POST /api/auth/register`, `POST /api/auth/login`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::edge::client_addr::ClientAddr;
use crate::edge::error::ApiError;
use crate::edge::extract::ApiJson;
use crate::edge::wire::MeView;
use crate::service::Registration;
use crate::service::Services;

#[derive(Deserialize)]
pub struct RegisterBody {
    username: String,
    email: String,
    password: String,
    display_name: Option<String>,
    phone_number: Option<String>,
}

/// 201 with the new account.
pub async fn register(
    State(state): State<Services>,
    ApiJson(body): ApiJson<RegisterBody>,
) -> Result<(StatusCode, Json<MeView>), ApiError> {
    let user = state
        .accounts
        .register(Registration {
            username: body.username,
            email: body.email,
            password: body.password,
            display_name: body.display_name,
            phone_number: body.phone_number,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(MeView::from(&user))))
}

#[derive(Deserialize)]
pub struct LoginBody {
    /// Username or e-mail; `username` and `email` are accepted as names for it too.
    #[serde(alias = "username", alias = "email")]
    login: String,
    password: String,
}

#[derive(Serialize)]
pub struct LoginResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    user: MeView,
}

/// A bearer token for the account, or 401 for any wrong login/password combination. Failures
/// are counted per account and per client address (behind a listed proxy, the forwarded one).
pub async fn login(
    State(state): State<Services>,
    client: ClientAddr,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Json<LoginResponse>, ApiError> {
    let outcome = state
        .accounts
        .login(&body.login, body.password, client.0)
        .await?;
    Ok(Json(LoginResponse {
        access_token: outcome.token.access_token,
        token_type: "Bearer",
        expires_in: outcome.token.expires_in_secs,
        user: MeView::from(&outcome.user),
    }))
}
