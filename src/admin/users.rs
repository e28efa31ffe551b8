//! `/v1/users…`: accounts as administrators manage them.

use omegachat_contract::admin::{
    AccountState, AdminUser, CreateUser, DeleteUser, DisableUser, EnableUser, GetUser, ListUsers,
    LogoutUser, Revocation, SetPassword, UserList,
};

use super::{AdminState, timestamp};
use crate::domain::User;
use crate::edge::error::ApiError;
use crate::service::Registration;
use crate::service::admin::Revoked;
use crate::store::accounts::AccountFilter;

pub fn view(user: &User) -> AdminUser {
    AdminUser {
        id: user.id.0,
        username: user.username.clone(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        state: match user.disabled_at {
            Some(_) => AccountState::Disabled,
            None => AccountState::Active,
        },
        created_at: timestamp(user.created_at),
        last_seen: user.last_seen.map(timestamp),
    }
}

fn revocation(revoked: Revoked) -> Revocation {
    Revocation {
        user: view(&revoked.user),
        sockets_disconnected: revoked.sockets,
    }
}

pub async fn list(state: AdminState, request: ListUsers) -> Result<UserList, ApiError> {
    let filter = AccountFilter {
        prefix: request.prefix.filter(|p| !p.trim().is_empty()),
        disabled_only: request.disabled,
    };
    let page = state
        .system
        .services()?
        .admin
        .list_users(
            filter,
            request.limit.unwrap_or(50),
            request.cursor.as_deref(),
        )
        .await?;
    Ok(UserList {
        users: page.items.iter().map(view).collect(),
        next_cursor: page.next_cursor,
    })
}

pub async fn create(state: AdminState, request: CreateUser) -> Result<AdminUser, ApiError> {
    let user = state
        .system
        .services()?
        .admin
        .create_user(Registration {
            username: request.username,
            email: request.email,
            password: request.password,
            display_name: request.display_name,
            phone_number: None,
        })
        .await?;
    Ok(view(&user))
}

pub async fn show(state: AdminState, request: GetUser) -> Result<AdminUser, ApiError> {
    let user = state
        .system
        .services()?
        .admin
        .find_user(&request.user)
        .await?;
    Ok(view(&user))
}

pub async fn disable(state: AdminState, request: DisableUser) -> Result<Revocation, ApiError> {
    let admin = &state.system.services()?.admin;
    Ok(revocation(admin.disable(&request.user).await?))
}

pub async fn enable(state: AdminState, request: EnableUser) -> Result<AdminUser, ApiError> {
    let user = state.system.services()?.admin.enable(&request.user).await?;
    Ok(view(&user))
}

pub async fn logout(state: AdminState, request: LogoutUser) -> Result<Revocation, ApiError> {
    let admin = &state.system.services()?.admin;
    Ok(revocation(admin.logout(&request.user).await?))
}

pub async fn set_password(state: AdminState, request: SetPassword) -> Result<Revocation, ApiError> {
    let admin = &state.system.services()?.admin;
    let revoked = admin
        .set_password(&request.user, request.body.password)
        .await?;
    Ok(revocation(revoked))
}

/// The answer names the account as it was, marked deleted: the stored record is anonymised.
pub async fn delete(state: AdminState, request: DeleteUser) -> Result<Revocation, ApiError> {
    let admin = &state.system.services()?.admin;
    let mut answer = revocation(admin.delete_user(&request.user).await?);
    answer.user.state = AccountState::Deleted;
    Ok(answer)
}
