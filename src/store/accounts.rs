//! Accounts as administrators manage them: listing every account, ending its sessions,
//! deleting it. The public API and the login path never need these.

use async_trait::async_trait;

use super::{Page, StoreError};
use crate::domain::{User, UserId};

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

/// Account administration.
#[async_trait]
pub trait AccountAdminStore: Send + Sync {
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
}
