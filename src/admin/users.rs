//! `/v1/users…`: accounts as administrators manage them.

use axum::Json;
use axum::extract::{Path, State};
use omegachat_contract::admin::{AdminUser, CreateUser, Revocation, SetPassword, UserList};
use serde::Deserialize;

use super::{AdminState, timestamp};
use crate::domain::User;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::service::Registration;
use crate::service::admin::Revoked;
use crate::store::accounts::AccountFilter;

pub fn view(user: &User) -> AdminUser {
    AdminUser {
        id: user.id.to_string(),
        username: user.username.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        disabled: user.disabled_at.is_some(),
        created_at: timestamp(user.created_at),
        last_seen: user.last_seen.map(timestamp),
    }
}

fn revocation(revoked: Revoked) -> Json<Revocation> {
    Json(Revocation {
        user: view(&revoked.user),
        sockets_disconnected: revoked.sockets,
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    prefix: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
    #[serde(default)]
    disabled: bool,
}

/// `GET /v1/users`
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<UserList>, ApiError> {
    let filter = AccountFilter {
        prefix: query.prefix.filter(|p| !p.trim().is_empty()),
        disabled_only: query.disabled,
    };
    let page = state
        .serving()?
        .state
        .admin
        .list_users(filter, query.limit.unwrap_or(50), query.cursor.as_deref())
        .await?;
    Ok(Json(UserList {
        users: page.items.iter().map(view).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `POST /v1/users`
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<(axum::http::StatusCode, Json<AdminUser>), ApiError> {
    let user = state
        .serving()?
        .state
        .admin
        .create_user(Registration {
            username: body.username,
            email: body.email,
            password: body.password,
            display_name: body.display_name,
            phone_number: None,
        })
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(view(&user))))
}

/// `GET /v1/users/{user}`
pub async fn show(
    State(state): State<AdminState>,
    Path(user): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let user = state.serving()?.state.admin.find_user(&user).await?;
    Ok(Json(view(&user)))
}

/// `POST /v1/users/{user}/disable`
pub async fn disable(
    State(state): State<AdminState>,
    Path(user): Path<String>,
) -> Result<Json<Revocation>, ApiError> {
    Ok(revocation(
        state.serving()?.state.admin.disable(&user).await?,
    ))
}

/// `POST /v1/users/{user}/enable`
pub async fn enable(
    State(state): State<AdminState>,
    Path(user): Path<String>,
) -> Result<Json<AdminUser>, ApiError> {
    let user = state.serving()?.state.admin.enable(&user).await?;
    Ok(Json(view(&user)))
}

/// `POST /v1/users/{user}/logout`
pub async fn logout(
    State(state): State<AdminState>,
    Path(user): Path<String>,
) -> Result<Json<Revocation>, ApiError> {
    Ok(revocation(
        state.serving()?.state.admin.logout(&user).await?,
    ))
}

/// `PUT /v1/users/{user}/password`
pub async fn set_password(
    State(state): State<AdminState>,
    Path(user): Path<String>,
    ApiJson(body): ApiJson<SetPassword>,
) -> Result<Json<Revocation>, ApiError> {
    let admin = &state.serving()?.state.admin;
    Ok(revocation(admin.set_password(&user, body.password).await?))
}

/// `DELETE /v1/users/{user}`
pub async fn delete(
    State(state): State<AdminState>,
    Path(user): Path<String>,
) -> Result<Json<Revocation>, ApiError> {
    Ok(revocation(
        state.serving()?.state.admin.delete_user(&user).await?,
    ))
}
