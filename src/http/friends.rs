//! `/api/friends…`: requests, friendships, blocks.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::current_user::CurrentUser;
use crate::edge::error::ApiError;
use crate::edge::extract::ApiJson;
use crate::edge::ids;
use crate::edge::wire::FriendshipView;
use crate::service::Services;

#[derive(Serialize)]
pub struct FriendListsView {
    friends: Vec<FriendshipView>,
    incoming: Vec<FriendshipView>,
    outgoing: Vec<FriendshipView>,
    blocked: Vec<FriendshipView>,
}

/// `GET /api/friends`: friends, pending requests in and out, and blocked users.
pub async fn lists(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<FriendListsView>, ApiError> {
    let lists = state.social.lists(&me).await?;
    let view = |rows: &[crate::domain::Friendship]| rows.iter().map(FriendshipView::from).collect();
    Ok(Json(FriendListsView {
        friends: view(&lists.friends),
        incoming: view(&lists.incoming),
        outgoing: view(&lists.outgoing),
        blocked: view(&lists.blocked),
    }))
}

#[derive(Deserialize)]
pub struct RequestBody {
    user_id: i64,
}

/// `POST /api/friends/requests` `{user_id}`: 201 pending, or 200 accepted when they had asked.
pub async fn request(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<RequestBody>,
) -> Result<(StatusCode, Json<FriendshipView>), ApiError> {
    let row = state
        .social
        .request(&me, crate::domain::UserId(body.user_id))
        .await?;
    let status = if row.requester_id == me.id {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(FriendshipView::from(&row))))
}

/// `POST /api/friends/requests/{user_id}/accept`
pub async fn accept(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<Json<FriendshipView>, ApiError> {
    let row = state
        .social
        .answer(&me, ids::user_id("user_id", &user)?, true)
        .await?;
    Ok(Json(FriendshipView::from(&row)))
}

/// `POST /api/friends/requests/{user_id}/decline`
pub async fn decline(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<Json<FriendshipView>, ApiError> {
    let row = state
        .social
        .answer(&me, ids::user_id("user_id", &user)?, false)
        .await?;
    Ok(Json(FriendshipView::from(&row)))
}

/// `DELETE /api/friends/requests/{user_id}`: withdraws the caller's request.
pub async fn cancel(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .social
        .cancel(&me, ids::user_id("user_id", &user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/friends/{user_id}`: ends a friendship.
pub async fn unfriend(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .social
        .unfriend(&me, ids::user_id("user_id", &user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/friends/{user_id}/block`
pub async fn block(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<Json<FriendshipView>, ApiError> {
    let row = state
        .social
        .block(&me, ids::user_id("user_id", &user)?)
        .await?;
    Ok(Json(FriendshipView::from(&row)))
}

/// `DELETE /api/friends/{user_id}/block`
pub async fn unblock(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(user): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .social
        .unblock(&me, ids::user_id("user_id", &user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
