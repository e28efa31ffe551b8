//! `/api/groups…`: groups and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::current_user::CurrentUser;
use crate::domain::{GroupRole, UserId};
use crate::edge::error::ApiError;
use crate::edge::extract::ApiJson;
use crate::edge::ids;
use crate::edge::wire::{GroupView, MemberView, nullable};
use crate::service::Services;
use crate::service::groups::GroupDraft;

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
    description: Option<String>,
    avatar_url: Option<String>,
    #[serde(default)]
    member_ids: Vec<i64>,
}

#[derive(Serialize)]
pub struct GroupDetail {
    #[serde(flatten)]
    group: GroupView,
    members: Vec<MemberView>,
}

fn role(raw: &str) -> Result<GroupRole, ApiError> {
    GroupRole::parse(raw).ok_or_else(|| {
        let mut e = ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_role",
            "role must be owner, admin or member",
        );
        e.field = Some("role");
        e
    })
}

/// `POST /api/groups`: 201 with the group and its members; the caller owns it.
pub async fn create(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<GroupDetail>), ApiError> {
    let draft = GroupDraft {
        name: Some(body.name),
        description: Some(body.description),
        avatar_url: Some(body.avatar_url),
    };
    let members = body.member_ids.into_iter().map(UserId).collect();
    let group = state.groups.create(&me, draft, members).await?;
    let (group, members) = state.groups.get(&me, group.id).await?;
    Ok((StatusCode::CREATED, Json(detail(&group, &members))))
}

fn detail(group: &crate::domain::Group, members: &[crate::domain::GroupMember]) -> GroupDetail {
    GroupDetail {
        group: GroupView::from(group),
        members: members.iter().map(MemberView::from).collect(),
    }
}

/// `GET /api/groups`: the caller's groups.
pub async fn list(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
) -> Result<Json<Vec<GroupView>>, ApiError> {
    Ok(Json(
        state
            .groups
            .list(&me)
            .await?
            .iter()
            .map(GroupView::from)
            .collect(),
    ))
}

/// `GET /api/groups/{id}`
pub async fn get(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<GroupDetail>, ApiError> {
    let (group, members) = state
        .groups
        .get(&me, ids::group_id("group_id", &id)?)
        .await?;
    Ok(Json(detail(&group, &members)))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    avatar_url: Option<Option<String>>,
}

/// `PATCH /api/groups/{id}` (owner or admin)
pub async fn update(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<Json<GroupView>, ApiError> {
    let draft = GroupDraft {
        name: body.name,
        description: body.description,
        avatar_url: body.avatar_url,
    };
    let group = state
        .groups
        .update(&me, ids::group_id("group_id", &id)?, draft)
        .await?;
    Ok(Json(GroupView::from(&group)))
}

/// `DELETE /api/groups/{id}` (owner)
pub async fn delete(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .groups
        .delete(&me, ids::group_id("group_id", &id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct AddMemberBody {
    user_id: i64,
    role: Option<String>,
}

/// `POST /api/groups/{id}/members` `{user_id, role?}` (owner or admin)
pub async fn add_member(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMemberBody>,
) -> Result<(StatusCode, Json<MemberView>), ApiError> {
    let role = body
        .role
        .as_deref()
        .map(role)
        .transpose()?
        .unwrap_or(GroupRole::Member);
    let member = state
        .groups
        .add_member(
            &me,
            ids::group_id("group_id", &id)?,
            UserId(body.user_id),
            role,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(MemberView::from(&member))))
}

/// `DELETE /api/groups/{id}/members/{user_id}`: removes a member (or leaves, for oneself).
pub async fn remove_member(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path((id, user)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .groups
        .remove_member(
            &me,
            ids::group_id("group_id", &id)?,
            ids::user_id("user_id", &user)?,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct RoleBody {
    role: String,
}

/// `PATCH /api/groups/{id}/members/{user_id}` `{role}` (owner; `owner` transfers ownership)
pub async fn set_role(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path((id, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<MemberView>, ApiError> {
    let member = state
        .groups
        .set_role(
            &me,
            ids::group_id("group_id", &id)?,
            ids::user_id("user_id", &user)?,
            role(&body.role)?,
        )
        .await?;
    Ok(Json(MemberView::from(&member)))
}

/// `POST /api/groups/{id}/leave`
pub async fn leave(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .groups
        .leave(&me, ids::group_id("group_id", &id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
