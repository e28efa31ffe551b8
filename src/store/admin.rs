//! Storage for administration: the audit trail, token grants per signing key, account listing
//! and deletion as administrators see them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Page, StoreError};
use crate::domain::{Group, SigningKey, User, UserId};

/// One admin request as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub uid: u32,
    pub username: Option<String>,
    pub action: String,
    pub status: u16,
    pub outcome: String,
}

/// Which accounts an administrator lists.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Username or display-name prefix (case-insensitive).
    pub prefix: Option<String>,
    /// Only disabled accounts.
    pub disabled_only: bool,
}

/// What a deleted account's row keeps: placeholders that identify nobody but stay unique.
#[derive(Debug, Clone)]
pub struct Tombstone {
    pub username: String,
    pub email: String,
}

impl Tombstone {
    pub fn for_user(id: UserId) -> Self {
        Self {
            username: format!("deleted-{id}"),
            email: format!("deleted-{id}@invalid"),
        }
    }
}

/// Administrative reads and writes that the public API never needs.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Appends one record to the audit trail.
    async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// The newest `limit` records, newest first.
    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;

    /// Accounts (enabled and disabled, not deleted) ordered by username, after `cursor`.
    async fn list_accounts(
        &self,
        filter: &AccountFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError>;
    /// Invalidates every token of the account (bumps its token version) and forgets its grants.
    async fn revoke_tokens(&self, id: UserId) -> Result<User, StoreError>;
    /// Erases what identifies the person, disables the account and revokes its tokens. The row
    /// stays so messages keep a sender; friendships and grants go.
    async fn delete_account(&self, id: UserId, tombstone: &Tombstone) -> Result<User, StoreError>;

    /// Every group ordered by id, after `cursor` (an id), with names starting with `prefix`.
    async fn list_groups(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<Group>, Option<i64>), StoreError>;

    /// Remembers that a token `jti` signed with `kid` for `user` lives until `expires_at`, and
    /// prunes grants that have expired.
    async fn record_grant(
        &self,
        jti: &str,
        kid: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Unexpired grants per key id.
    async fn live_sessions(&self, now: DateTime<Utc>) -> Result<Vec<(String, u64)>, StoreError>;
    /// Makes `key` the active key. The previous active key becomes verify-only, or with
    /// `retire_old` it and every verify-only key are retired. Returns the retired key ids.
    async fn rotate_keys(
        &self,
        key: &SigningKey,
        retire_old: bool,
    ) -> Result<Vec<String>, StoreError>;
    /// Retires a verify-only key. `NotFound` for an unknown kid.
    async fn retire_key(&self, kid: &str) -> Result<(), StoreError>;
}
