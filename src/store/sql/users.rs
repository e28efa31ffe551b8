//! Accounts.

use async_trait::async_trait;
use chrono::Utc;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::{UserRow, into_page};
use crate::domain::{NewUser, ProfileUpdate, User, UserId};
use crate::store::{Page, StoreError, UserStore, like_prefix};

#[async_trait]
impl<DB: SqlEngine> UserStore for SqlStore<DB> {
    /// Stores a new account; `Conflict` names the taken field.
    async fn create(&self, user: NewUser) -> Result<User, StoreError> {
        let now = Utc::now();
        let row: UserRow = query(
            "INSERT INTO users (username, email, password_hash, phone_number, display_name, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
        )
        .bind(user.username)
        .bind(user.email)
        .bind(user.password_hash)
        .bind(user.phone_number)
        .bind(user.display_name)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// The account with this id, disabled or not.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = query("SELECT * FROM users WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(User::from))
    }

    /// The accounts among `ids` that exist, disabled or not, in id order.
    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
        let sql = format!(
            "SELECT * FROM users WHERE id IN ({}) ORDER BY id",
            DB::JSON_INTEGERS_1
        );
        let rows: Vec<UserRow> = query(&sql).bind(ids).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// The account whose username or e-mail (case-insensitively) equals `login`.
    async fn find_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> =
            query("SELECT * FROM users WHERE username = lower($1) OR lower(email) = lower($1)")
                .bind(login)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(User::from))
    }

    /// Enabled accounts whose username or display name starts with `prefix`, after `cursor`.
    async fn search(
        &self,
        prefix: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let rows: Vec<UserRow> = query(
            "SELECT * FROM users
             WHERE disabled_at IS NULL
               AND (username LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\')
               AND username > $2
             ORDER BY username LIMIT $3",
        )
        .bind(like_prefix(prefix))
        .bind(cursor.unwrap_or_default())
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(into_page(rows, limit))
    }

    /// Writes all editable profile columns.
    async fn update_profile(
        &self,
        id: UserId,
        profile: &ProfileUpdate,
    ) -> Result<User, StoreError> {
        let row: UserRow = query(
            "UPDATE users SET display_name = $2, status = $3, profile_picture_url = $4, phone_number = $5, updated_at = $6
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(profile.display_name.as_deref())
        .bind(profile.status.as_deref())
        .bind(profile.profile_picture_url.as_deref())
        .bind(profile.phone_number.as_deref())
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// Replaces the password hash; with `revoke_tokens` every token issued so far stops working.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        revoke_tokens: bool,
    ) -> Result<User, StoreError> {
        let row: UserRow = query(
            "UPDATE users SET password_hash = $2, token_version = token_version + $3, updated_at = $4
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(hash)
        .bind(i64::from(revoke_tokens))
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }

    /// Records a successful sign-in time.
    async fn touch_last_seen(&self, id: UserId) -> Result<(), StoreError> {
        query("UPDATE users SET last_seen = $2 WHERE id = $1")
            .bind(id.0)
            .bind(Utc::now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Disables (revoking every token) or re-enables an account.
    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<User, StoreError> {
        let row: UserRow = query(
            "UPDATE users SET disabled_at = CASE WHEN $2 THEN $3 ELSE NULL END,
                              token_version = token_version + CASE WHEN $2 THEN 1 ELSE 0 END,
                              updated_at = $3
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(disabled)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        Ok(row.into())
    }
}
