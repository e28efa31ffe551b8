//! What administrators may do beyond what users do to themselves: manage any account, any
//! group and the token-signing keys. Reached only through the admin socket.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Utc;

use super::ServiceError;
use super::accounts::{AccountService, Registration};
use super::groups::{GroupDraft, GroupService};
use super::presence::PresenceService;
use super::tokens::generate_key;
use crate::bus::{Envelope, Event, EventBus, RevocationReason};
use crate::domain::{Group, GroupMember, GroupRole, SigningKey, SigningKeyState, User, UserId};
use crate::store::accounts::{AccountAdminStore, AccountFilter, Tombstone};
use crate::store::chat::GroupStore;
use crate::store::{GrantStore, KeyStore, Page, UserStore};

/// Largest page of an admin listing.
pub const MAX_LIST_LIMIT: u32 = 500;

/// A key with the number of unexpired tokens it signed.
#[derive(Debug, Clone)]
pub struct KeyUsage {
    pub key: SigningKey,
    pub live_sessions: u64,
}

/// The outcome of a rotation or retirement.
#[derive(Debug, Clone)]
pub struct KeyChangeOutcome {
    pub new_kid: Option<String>,
    pub retired: Vec<String>,
    pub sessions_logged_out: u64,
}

/// A user whose sessions just ended, and how many live sockets they had on this node.
#[derive(Debug, Clone)]
pub struct Revoked {
    pub user: User,
    /// Sockets of the user on this node that were closed before the answer.
    pub sockets: usize,
}

/// How long an administrator's revocation waits for the user's sockets on this node to close,
/// so that the answer reports what happened, not what was asked (delivery closes them).
const REVOCATION_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The stores and services administration works on.
pub struct AdminDeps {
    pub accounts: Arc<AccountService>,
    pub users: Arc<dyn UserStore>,
    pub keys: Arc<dyn KeyStore>,
    pub grants: Arc<dyn GrantStore>,
    pub account_admin: Arc<dyn AccountAdminStore>,
    pub groups: Arc<GroupService>,
    pub group_store: Arc<dyn GroupStore>,
    pub presence: Arc<PresenceService>,
    pub bus: Arc<dyn EventBus>,
}

pub struct AdminService {
    deps: AdminDeps,
}

fn check_limit(limit: u32) -> Result<u32, ServiceError> {
    if (1..=MAX_LIST_LIMIT).contains(&limit) {
        return Ok(limit);
    }
    Err(ServiceError::invalid(
        "limit",
        "invalid_limit",
        format!("limit must be between 1 and {MAX_LIST_LIMIT}"),
    ))
}

impl AdminService {
    pub fn new(deps: AdminDeps) -> Self {
        Self { deps }
    }

    /// The account named by a username, an e-mail address or a numeric id.
    pub async fn find_user(&self, key: &str) -> Result<User, ServiceError> {
        let key = key.trim();
        // A name wins over an id, so a numeric username still finds its own account.
        if let Some(user) = self.deps.users.find_by_login(key).await? {
            return Ok(user);
        }
        let by_id = match key.parse::<i64>() {
            Ok(id) => self.deps.users.find_by_id(UserId(id)).await?,
            Err(_) => None,
        };
        by_id.ok_or(ServiceError::NotFound("user"))
    }

    pub async fn create_user(&self, registration: Registration) -> Result<User, ServiceError> {
        self.deps.accounts.register(registration).await
    }

    pub async fn list_users(
        &self,
        filter: AccountFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, ServiceError> {
        let limit = check_limit(limit)?;
        Ok(self
            .deps
            .account_admin
            .list_accounts(&filter, limit, cursor)
            .await?)
    }

    /// Tells the user's sockets on every node to close: their token no longer works.
    async fn end_sessions(&self, user: User, reason: RevocationReason) -> Revoked {
        let before = self.deps.presence.sockets_of(user.id).await;
        self.deps.accounts.end_sessions(user.id, reason);
        let sockets = self.closed_since(user.id, before).await;
        Revoked { user, sockets }
    }

    /// Waits (at most [`REVOCATION_WAIT`]) for `user`'s sockets to close; how many of the
    /// `before` did. The revoked token cannot open new ones, so the count only goes down.
    async fn closed_since(&self, user: UserId, before: usize) -> usize {
        let deadline = tokio::time::Instant::now() + REVOCATION_WAIT;
        loop {
            let open = self.deps.presence.sockets_of(user).await;
            if open == 0 || tokio::time::Instant::now() >= deadline {
                return before.saturating_sub(open);
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    pub async fn disable(&self, key: &str) -> Result<Revoked, ServiceError> {
        let user = self.find_user(key).await?;
        let user = self.deps.accounts.set_disabled(user.id, true).await?;
        Ok(self
            .end_sessions(user, RevocationReason::AccountDisabled)
            .await)
    }

    pub async fn enable(&self, key: &str) -> Result<User, ServiceError> {
        let user = self.find_user(key).await?;
        self.deps.accounts.set_disabled(user.id, false).await
    }

    pub async fn logout(&self, key: &str) -> Result<Revoked, ServiceError> {
        let user = self.find_user(key).await?;
        let user = self.deps.account_admin.revoke_tokens(user.id).await?;
        tracing::info!(user_id = %user.id, "sessions revoked by an administrator");
        Ok(self.end_sessions(user, RevocationReason::LoggedOut).await)
    }

    pub async fn set_password(&self, key: &str, password: String) -> Result<Revoked, ServiceError> {
        let user = self.find_user(key).await?;
        let before = self.deps.presence.sockets_of(user.id).await;
        // The reset ends the sessions itself.
        let user = self.deps.accounts.reset_password(user.id, password).await?;
        let sockets = self.closed_since(user.id, before).await;
        Ok(Revoked { user, sockets })
    }

    /// Deletes an account: it leaves its groups (handing ownership over), loses its friendships,
    /// tokens and everything that identifies the person. Its messages stay, from a nameless sender.
    pub async fn delete_user(&self, key: &str) -> Result<Revoked, ServiceError> {
        let user = self.find_user(key).await?;
        for group in self.deps.group_store.list_for_user(user.id).await? {
            self.deps.groups.leave(&user, group.id).await?;
        }
        let deleted = self
            .deps
            .account_admin
            .delete_account(user.id, &Tombstone::for_user(user.id))
            .await?;
        tracing::info!(user_id = %user.id, username = %user.username, "account deleted by an administrator");
        let mut revoked = self
            .end_sessions(deleted, RevocationReason::AccountDeleted)
            .await;
        revoked.user.username = user.username;
        Ok(revoked)
    }

    /// Every group, a page at a time (cursor: the last id of the previous page).
    pub async fn list_groups(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<(Group, Vec<(GroupMember, String)>)>, Option<i64>), ServiceError> {
        let limit = check_limit(limit)?;
        let (groups, next) = self
            .deps
            .group_store
            .list_all(prefix, limit, cursor)
            .await?;
        let mut out = Vec::with_capacity(groups.len());
        for group in groups {
            let members = self.named_members(group.id).await?;
            out.push((group, members));
        }
        Ok((out, next))
    }

    /// A group and its members with their usernames.
    pub async fn group(
        &self,
        id: i64,
    ) -> Result<(Group, Vec<(GroupMember, String)>), ServiceError> {
        let group = self
            .deps
            .group_store
            .get(id)
            .await?
            .ok_or(ServiceError::NotFound("group"))?;
        let members = self.named_members(id).await?;
        Ok((group, members))
    }

    async fn named_members(&self, id: i64) -> Result<Vec<(GroupMember, String)>, ServiceError> {
        let members = self.deps.group_store.members(id).await?;
        let ids: Vec<UserId> = members.iter().map(|m| m.user_id).collect();
        let names: HashMap<UserId, String> = self
            .deps
            .users
            .find_many(&ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u.username))
            .collect();
        Ok(members
            .into_iter()
            .map(|member| {
                let name = names
                    .get(&member.user_id)
                    .cloned()
                    .unwrap_or_else(|| member.user_id.to_string());
                (member, name)
            })
            .collect())
    }

    /// Group changes are made on the owner's authority, so the group's own rules (roles,
    /// hand-over, system messages, live updates) apply exactly as when the owner acts.
    async fn owner(&self, id: i64) -> Result<User, ServiceError> {
        let members = self.deps.group_store.members(id).await?;
        let owner = members
            .iter()
            .find(|m| m.role == GroupRole::Owner)
            .ok_or(ServiceError::NotFound("group"))?;
        self.deps
            .users
            .find_by_id(owner.user_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("group {id} has no owner account")))
    }

    pub async fn create_group(
        &self,
        draft: GroupDraft,
        owner: &str,
        members: &[String],
    ) -> Result<Group, ServiceError> {
        let owner = self.find_user(owner).await?;
        let mut ids = Vec::with_capacity(members.len());
        for member in members {
            ids.push(self.find_user(member).await?.id);
        }
        self.deps.groups.create(&owner, draft, ids).await
    }

    pub async fn add_member(
        &self,
        id: i64,
        user: &str,
        role: GroupRole,
    ) -> Result<(), ServiceError> {
        let owner = self.owner(id).await?;
        let user = self.find_user(user).await?;
        self.deps
            .groups
            .add_member(&owner, id, user.id, role)
            .await?;
        Ok(())
    }

    /// Removes a member; removing the owner makes them leave, handing ownership over.
    pub async fn remove_member(&self, id: i64, user: &str) -> Result<(), ServiceError> {
        let owner = self.owner(id).await?;
        let user = self.find_user(user).await?;
        if user.id == owner.id {
            return self.deps.groups.leave(&owner, id).await;
        }
        self.deps.groups.remove_member(&owner, id, user.id).await
    }

    pub async fn set_role(&self, id: i64, user: &str, role: GroupRole) -> Result<(), ServiceError> {
        let owner = self.owner(id).await?;
        let user = self.find_user(user).await?;
        self.deps.groups.set_role(&owner, id, user.id, role).await?;
        Ok(())
    }

    pub async fn delete_group(&self, id: i64) -> Result<(), ServiceError> {
        let owner = self.owner(id).await?;
        self.deps.groups.delete(&owner, id).await
    }

    /// Sockets authenticated with a token of `kid` must not outlive it.
    /// Other nodes (scaled out) re-read the keys at once rather than when their copy is stale.
    fn keys_changed(&self) {
        self.deps.bus.publish(Envelope {
            recipients: Vec::new(),
            event: Event::KeysChanged,
        });
    }

    fn key_retired(&self, kid: &str) {
        self.deps.bus.publish(Envelope {
            recipients: Vec::new(),
            event: Event::KeyRetired {
                kid: kid.to_owned(),
            },
        });
    }

    /// Every signing key with its live-session count, newest first.
    pub async fn keys(&self) -> Result<Vec<KeyUsage>, ServiceError> {
        let keys = self.deps.keys.list().await?;
        let live: HashMap<String, u64> = self
            .deps
            .grants
            .live_sessions(Utc::now())
            .await?
            .into_iter()
            .collect();
        Ok(keys
            .into_iter()
            .map(|key| KeyUsage {
                live_sessions: live.get(&key.kid).copied().unwrap_or(0),
                key,
            })
            .collect())
    }

    /// Makes a new active key; older keys keep verifying unless `retire_old`.
    pub async fn rotate_keys(&self, retire_old: bool) -> Result<KeyChangeOutcome, ServiceError> {
        let before = self.keys().await?;
        let key = generate_key();
        let retired = self.deps.keys.rotate_keys(&key, retire_old).await?;
        self.deps.accounts.tokens().reload().await?;
        self.keys_changed();
        for kid in &retired {
            self.key_retired(kid);
        }
        let sessions_logged_out = before
            .iter()
            .filter(|k| retired.contains(&k.key.kid))
            .map(|k| k.live_sessions)
            .sum();
        tracing::info!(new_kid = %key.kid, ?retired, "signing keys rotated");
        Ok(KeyChangeOutcome {
            new_kid: Some(key.kid),
            retired,
            sessions_logged_out,
        })
    }

    /// Retires a verify-only key: every token it signed is rejected from now on.
    pub async fn retire_key(&self, kid: &str) -> Result<KeyChangeOutcome, ServiceError> {
        let keys = self.keys().await?;
        let usage = keys
            .iter()
            .find(|k| k.key.kid == kid)
            .ok_or(ServiceError::NotFound("key"))?;
        match usage.key.state {
            SigningKeyState::Active => {
                return Err(ServiceError::conflict(
                    "active_key",
                    format!(
                        "{kid} is the active key: run `omegactl keys rotate` first, or `omegactl keys rotate --retire-old`"
                    ),
                ));
            }
            SigningKeyState::Retired => {
                return Err(ServiceError::conflict(
                    "already_retired",
                    format!("{kid} is already retired"),
                ));
            }
            SigningKeyState::VerifyOnly => {}
        }
        self.deps.keys.retire_key(kid).await?;
        self.deps.accounts.tokens().reload().await?;
        self.keys_changed();
        self.key_retired(kid);
        tracing::info!(kid, sessions = usage.live_sessions, "signing key retired");
        Ok(KeyChangeOutcome {
            new_kid: None,
            retired: vec![kid.to_owned()],
            sessions_logged_out: usage.live_sessions,
        })
    }
}
