//! Administration data in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::domain::{Group, SigningKey, SigningKeyState, User, UserId};
use crate::store::admin::{AccountFilter, AdminStore, AuditRecord, Tombstone};
use crate::store::rows::{AuditRow, GroupRow, UserRow, into_page};
use crate::store::{Page, StoreError, like_prefix};

pub(super) struct PgAdminStore {
    pool: PgPool,
}

impl PgAdminStore {
    pub(super) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl AdminStore for PgAdminStore {
    async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO admin_audit (at, uid, username, action, status, outcome) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.at)
        .bind(i64::from(record.uid))
        .bind(&record.username)
        .bind(&record.action)
        .bind(i64::from(record.status))
        .bind(&record.outcome)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> =
            sqlx::query_as("SELECT * FROM admin_audit ORDER BY id DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(AuditRecord::from).collect())
    }

    async fn list_accounts(
        &self,
        filter: &AccountFilter,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT * FROM users
             WHERE deleted_at IS NULL
               AND ($1::text IS NULL OR username LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\')
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

    async fn revoke_tokens(&self, id: UserId) -> Result<User, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM token_grants WHERE user_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        let row: UserRow = sqlx::query_as(
            "UPDATE users SET token_version = token_version + 1, updated_at = $2 WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_account(&self, id: UserId, tombstone: &Tombstone) -> Result<User, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        for statement in [
            "DELETE FROM token_grants WHERE user_id = $1",
            "DELETE FROM friendships WHERE requester_id = $1 OR addressee_id = $1",
        ] {
            sqlx::query(statement).bind(id.0).execute(&mut *tx).await?;
        }
        let row: UserRow = sqlx::query_as(
            "UPDATE users SET username = $2, email = $3, password_hash = '!', phone_number = NULL,
                              display_name = NULL, profile_picture_url = NULL, status = NULL,
                              disabled_at = coalesce(disabled_at, $4), deleted_at = $4,
                              token_version = token_version + 1, updated_at = $4
             WHERE id = $1 RETURNING *",
        )
        .bind(id.0)
        .bind(&tombstone.username)
        .bind(&tombstone.email)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn list_groups(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<Group>, Option<i64>), StoreError> {
        let rows: Vec<GroupRow> = sqlx::query_as(
            "SELECT * FROM groups WHERE ($1::text IS NULL OR lower(name) LIKE $1 ESCAPE '\\') AND id > $2
             ORDER BY id LIMIT $3",
        )
        .bind(prefix.map(like_prefix))
        .bind(cursor.unwrap_or(0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        crate::store::rows::into_group_page(rows, limit)
    }

    async fn record_grant(
        &self,
        jti: &str,
        kid: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM token_grants WHERE expires_at <= $1")
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO token_grants (jti, kid, user_id, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(jti)
        .bind(kid)
        .bind(user.0)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn live_sessions(&self, now: DateTime<Utc>) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kid, count(*) FROM token_grants WHERE expires_at > $1 GROUP BY kid",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(kid, n)| (kid, n.max(0) as u64))
            .collect())
    }

    async fn rotate_keys(
        &self,
        key: &SigningKey,
        retire_old: bool,
    ) -> Result<Vec<String>, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let retired: Vec<String> = if retire_old {
            sqlx::query_scalar(
                "UPDATE signing_keys SET state = 'retired', retired_at = $1
                 WHERE state IN ('active', 'verify_only') RETURNING kid",
            )
            .bind(now)
            .fetch_all(&mut *tx)
            .await?
        } else {
            sqlx::query("UPDATE signing_keys SET state = 'verify_only' WHERE state = 'active'")
                .execute(&mut *tx)
                .await?;
            Vec::new()
        };
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, secret, state, created_at) VALUES ($1, 'HS256', $2, $3, $4)",
        )
        .bind(&key.kid)
        .bind(&key.secret)
        .bind(SigningKeyState::Active.as_str())
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(retired)
    }

    async fn retire_key(&self, kid: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $2 WHERE kid = $1 AND state = 'verify_only'",
        )
        .bind(kid)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
