//! `/api/users…`: the caller's own profile, other users, search.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::current_user::CurrentUser;
use crate::domain::UserId;
use crate::edge::error::ApiError;
use crate::edge::extract::{ApiJson, ApiQuery};
use crate::edge::wire::{MeView, UserView, nullable};
use crate::service::ProfileChanges;
use crate::service::Services;

/// `GET /api/users/me`
pub async fn me(CurrentUser(user): CurrentUser) -> Json<MeView> {
    Json(MeView::from(&user))
}

#[derive(Deserialize)]
pub struct PatchMeBody {
    #[serde(default, deserialize_with = "nullable")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    status: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    profile_picture_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    old_password: Option<String>,
    #[serde(alias = "password")]
    new_password: Option<String>,
}

/// `PATCH /api/users/me`: only the keys present change; `null` clears a field.
pub async fn patch_me(
    State(state): State<Services>,
    CurrentUser(user): CurrentUser,
    ApiJson(body): ApiJson<PatchMeBody>,
) -> Result<Json<MeView>, ApiError> {
    let password = match (body.old_password, body.new_password) {
        (Some(old), Some(new)) => Some((old, new)),
        (None, None) => None,
        (None, Some(_)) => {
            return Err(missing(
                "old_password",
                "changing the password needs old_password",
            ));
        }
        (Some(_), None) => {
            return Err(missing(
                "new_password",
                "old_password was sent without new_password",
            ));
        }
    };
    let changes = ProfileChanges {
        display_name: body.display_name,
        status: body.status,
        profile_picture_url: body.profile_picture_url,
        phone_number: body.phone_number,
        password,
    };
    let updated = state.accounts.update_profile(&user, changes).await?;
    Ok(Json(MeView::from(&updated)))
}

fn missing(field: &'static str, message: &str) -> ApiError {
    let mut e = ApiError::new(StatusCode::BAD_REQUEST, "missing_field", message);
    e.field = Some(field);
    e
}

/// `GET /api/users/{id}`
pub async fn get_user(
    State(state): State<Services>,
    CurrentUser(_caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    let id = UserId::parse(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_id",
            "a user id is a positive integer",
        )
    })?;
    let user = state.accounts.get_user(id).await?;
    Ok(Json(UserView::from(&user)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    query: String,
    /// Comma-separated user ids: look these up instead of searching.
    ids: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct SearchResponse {
    users: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    next_cursor: Option<String>,
}

/// `GET /api/users?query=&limit=&cursor=`: prefix search on username and display name;
/// `GET /api/users?ids=1,2,3`: those users (unknown or disabled ones left out).
pub async fn search(
    State(state): State<Services>,
    CurrentUser(_caller): CurrentUser,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResponse>, ApiError> {
    if let Some(ids) = &q.ids {
        let ids = ids
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().parse::<i64>().map(UserId))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "ids must be comma-separated user ids, e.g. ids=1,2,3",
                )
            })?;
        let users = state.accounts.get_users(&ids).await?;
        return Ok(Json(SearchResponse {
            users: users.iter().map(UserView::from).collect(),
            next_cursor: None,
        }));
    }
    let page = state
        .accounts
        .search(&q.query, q.limit, q.cursor.as_deref())
        .await?;
    Ok(Json(SearchResponse {
        users: page.items.iter().map(UserView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
