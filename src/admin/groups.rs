//! `/v1/groups…`: any group, changed on its owner's authority.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use omegachat_contract::admin::{
    AddMember, AdminGroup, AdminGroupMember, CreateGroup, Deleted, GroupList, SetRole,
};
use serde::Deserialize;

use super::{AdminState, timestamp};
use crate::domain::{Group, GroupMember, GroupRole};
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::service::admin::AdminService;
use crate::service::groups::GroupDraft;

fn view(group: &Group, members: &[(GroupMember, String)]) -> AdminGroup {
    AdminGroup {
        id: group.id.to_string(),
        name: group.name.clone(),
        description: group.description.clone(),
        conversation_id: group.conversation_id.to_string(),
        created_at: timestamp(group.created_at),
        members: members
            .iter()
            .map(|(m, name)| AdminGroupMember {
                user_id: m.user_id.to_string(),
                username: name.clone(),
                role: m.role.as_str().into(),
            })
            .collect(),
    }
}

fn group_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_group_id",
            format!("`{raw}` is not a group id (a number; see `omegactl group list`)"),
        )
    })
}

fn role(raw: &str) -> Result<GroupRole, ApiError> {
    GroupRole::parse(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_role",
            format!("`{raw}` is not a role: use member, admin or owner"),
        )
    })
}

async fn current(admin: &AdminService, id: i64) -> Result<Json<AdminGroup>, ApiError> {
    let (group, members) = admin.group(id).await?;
    Ok(Json(view(&group, &members)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    prefix: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

/// `GET /v1/groups`
pub async fn list(
    State(state): State<AdminState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<GroupList>, ApiError> {
    let cursor = query.cursor.as_deref().map(group_id).transpose()?;
    let prefix = query.prefix.as_deref().filter(|p| !p.trim().is_empty());
    let (groups, next) = state
        .serving()?
        .state
        .admin
        .list_groups(prefix, query.limit.unwrap_or(50), cursor)
        .await?;
    Ok(Json(GroupList {
        groups: groups.iter().map(|(g, m)| view(g, m)).collect(),
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// `POST /v1/groups`
pub async fn create(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<CreateGroup>,
) -> Result<(StatusCode, Json<AdminGroup>), ApiError> {
    let admin = &state.serving()?.state.admin;
    let draft = GroupDraft {
        name: Some(body.name),
        description: body.description.map(Some),
        avatar_url: None,
    };
    let group = admin
        .create_group(draft, &body.owner, &body.members)
        .await?;
    Ok((StatusCode::CREATED, current(admin, group.id).await?))
}

/// `GET /v1/groups/{group}`
pub async fn show(
    State(state): State<AdminState>,
    Path(group): Path<String>,
) -> Result<Json<AdminGroup>, ApiError> {
    current(&state.serving()?.state.admin, group_id(&group)?).await
}

/// `POST /v1/groups/{group}/members`
pub async fn add_member(
    State(state): State<AdminState>,
    Path(group): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> Result<Json<AdminGroup>, ApiError> {
    let admin = &state.serving()?.state.admin;
    let id = group_id(&group)?;
    let role = role(body.role.as_deref().unwrap_or("member"))?;
    admin.add_member(id, &body.user, role).await?;
    current(admin, id).await
}

/// `DELETE /v1/groups/{group}/members/{user}`
pub async fn remove_member(
    State(state): State<AdminState>,
    Path((group, user)): Path<(String, String)>,
) -> Result<Json<AdminGroup>, ApiError> {
    let admin = &state.serving()?.state.admin;
    let id = group_id(&group)?;
    admin.remove_member(id, &user).await?;
    current(admin, id).await
}

/// `PUT /v1/groups/{group}/members/{user}/role`
pub async fn set_role(
    State(state): State<AdminState>,
    Path((group, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetRole>,
) -> Result<Json<AdminGroup>, ApiError> {
    let admin = &state.serving()?.state.admin;
    let id = group_id(&group)?;
    admin.set_role(id, &user, role(&body.role)?).await?;
    current(admin, id).await
}

/// `DELETE /v1/groups/{group}`
pub async fn delete(
    State(state): State<AdminState>,
    Path(group): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let id = group_id(&group)?;
    state.serving()?.state.admin.delete_group(id).await?;
    Ok(Json(Deleted { id: id.to_string() }))
}
