//! `/v1/groups…`: any group, changed on its owner's authority.

use axum::http::StatusCode;
use omegachat_contract::admin::{
    self, AddMember, AdminGroup, AdminGroupMember, CreateGroup, DeleteGroup, Deleted, GetGroup,
    GroupList, ListGroups, RemoveMember, SetRole,
};

use super::{AdminState, timestamp};
use crate::domain::{Group, GroupMember, GroupRole};
use crate::edge::error::ApiError;
use crate::service::admin::AdminService;
use crate::service::groups::GroupDraft;

fn view(group: &Group, members: &[(GroupMember, String)]) -> AdminGroup {
    AdminGroup {
        id: group.id,
        name: group.name.clone(),
        description: group.description.clone(),
        conversation_id: group.conversation_id.to_string(),
        created_at: timestamp(group.created_at),
        members: members
            .iter()
            .map(|(m, name)| AdminGroupMember {
                user_id: m.user_id.0,
                username: name.clone(),
                role: wire_role(m.role),
            })
            .collect(),
    }
}

fn wire_role(role: GroupRole) -> admin::GroupRole {
    match role {
        GroupRole::Member => admin::GroupRole::Member,
        GroupRole::Admin => admin::GroupRole::Admin,
        GroupRole::Owner => admin::GroupRole::Owner,
    }
}

fn domain_role(role: admin::GroupRole) -> GroupRole {
    match role {
        admin::GroupRole::Member => GroupRole::Member,
        admin::GroupRole::Admin => GroupRole::Admin,
        admin::GroupRole::Owner => GroupRole::Owner,
    }
}

async fn current(admin: &AdminService, id: i64) -> Result<AdminGroup, ApiError> {
    let (group, members) = admin.group(id).await?;
    Ok(view(&group, &members))
}

pub async fn list(state: AdminState, request: ListGroups) -> Result<GroupList, ApiError> {
    // The cursor is the last group id of the previous page; the protocol keeps it opaque.
    let cursor = match request.cursor.as_deref() {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                format!("`{raw}` is not a cursor from `omegactl group list`"),
            )
            .with_field("cursor")
        })?),
        None => None,
    };
    let prefix = request.prefix.as_deref().filter(|p| !p.trim().is_empty());
    let (groups, next) = state
        .system
        .services()?
        .admin
        .list_groups(prefix, request.limit.unwrap_or(50), cursor)
        .await?;
    Ok(GroupList {
        groups: groups.iter().map(|(g, m)| view(g, m)).collect(),
        next_cursor: next.map(|id| id.to_string()),
    })
}

pub async fn create(state: AdminState, request: CreateGroup) -> Result<AdminGroup, ApiError> {
    let admin = &state.system.services()?.admin;
    let draft = GroupDraft {
        name: Some(request.name),
        description: request.description.map(Some),
        avatar_url: None,
    };
    let group = admin
        .create_group(draft, &request.owner, &request.members)
        .await?;
    current(admin, group.id).await
}

pub async fn show(state: AdminState, request: GetGroup) -> Result<AdminGroup, ApiError> {
    current(&state.system.services()?.admin, request.group).await
}

pub async fn add_member(state: AdminState, request: AddMember) -> Result<AdminGroup, ApiError> {
    let admin = &state.system.services()?.admin;
    let role = domain_role(request.body.role.unwrap_or(admin::GroupRole::Member));
    admin
        .add_member(request.group, &request.body.user, role)
        .await?;
    current(admin, request.group).await
}

pub async fn remove_member(
    state: AdminState,
    request: RemoveMember,
) -> Result<AdminGroup, ApiError> {
    let admin = &state.system.services()?.admin;
    admin.remove_member(request.group, &request.user).await?;
    current(admin, request.group).await
}

pub async fn set_role(state: AdminState, request: SetRole) -> Result<AdminGroup, ApiError> {
    let admin = &state.system.services()?.admin;
    let role = domain_role(request.body.role);
    admin.set_role(request.group, &request.user, role).await?;
    current(admin, request.group).await
}

pub async fn delete(state: AdminState, request: DeleteGroup) -> Result<Deleted, ApiError> {
    state
        .system
        .services()?
        .admin
        .delete_group(request.group)
        .await?;
    Ok(Deleted { id: request.group })
}
