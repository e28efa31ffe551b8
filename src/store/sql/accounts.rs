//! Account administration: listing, revoking, deleting.

use async_trait::async_trait;
use chrono::Utc;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::{UserRow, into_page};
use crate::domain::{User, UserId};
use crate::store::accounts::{AccountAdminStore, AccountFilter, Tombstone};
use crate::store::{Page, StoreError, like_prefix};

/// Forgets the grants of user `$1`: their tokens no longer count as live sessions.
const FORGET_GRANTS: &str = "DELETE FROM token_grants WHERE user_id = $1";

#[async_trait]
impl<DB: SqlEngine> AccountAdminStore for SqlStore<DB> {
    /// Accounts (enabled and disabled, not deleted) ordered by username, after `cursor`.
    async fn list_accounts(
        &self,
        filter: &AccountFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let rows: Vec<UserRow> = query(
            "SELECT * FROM users
             WHERE deleted_at IS NULL
               AND ($1 IS NULL OR username LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\')
               AND (NOT $2 OR disabled_at IS NOT NULL)
               AND username > $3
             ORDER BY username LIMIT $4",
        )
        .bind(filter.prefix.as_deref().map(like_prefix))
        .bind(filter.disabled_only)
        .bind(cursor.unwrap_or_default())
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(into_page(rows, limit))
    }

    /// Invalidates every token of the account and forgets its grants.
    async fn revoke_tokens(&self, id: UserId) -> Result<User, StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        query(FORGET_GRANTS).bind(id.0).execute(&mut tx).await?;
        let row: UserRow = query(
            "UPDATE users SET token_version = token_version + 1, updated_at = $2
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(Utc::now())
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    /// Erases what identifies the person, disables the account and revokes its tokens.
    async fn delete_account(&self, id: UserId, tombstone: &Tombstone) -> Result<User, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        for statement in [
            FORGET_GRANTS,
            "DELETE FROM friendships WHERE requester_id = $1 OR addressee_id = $1",
        ] {
            query(statement).bind(id.0).execute(&mut tx).await?;
        }
        let row: UserRow = query(
            "UPDATE users SET username = $2, email = $3, password_hash = '!', phone_number = NULL,
                              display_name = NULL, profile_picture_url = NULL, status = NULL,
                              disabled_at = coalesce(disabled_at, $4), deleted_at = $4,
                              token_version = token_version + 1, updated_at = $4
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(tombstone.username.as_str())
        .bind(tombstone.email.as_str())
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }
}
