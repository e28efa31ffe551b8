//! Token-signing keys and the grants each signed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::SigningKeyRow;
use crate::domain::{SigningKey, SigningKeyState, UserId};
use crate::store::{GrantStore, KeyStore, StoreError};

/// Adds `$1` (kid), `$2` (secret), `$3` (state), `$4` (created_at) as a key.
const INSERT_KEY: &str = "INSERT INTO signing_keys (kid, algorithm, secret, state, created_at)
                          VALUES ($1, 'HS256', $2, $3, $4)";

#[async_trait]
impl<DB: SqlEngine> KeyStore for SqlStore<DB> {
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<SigningKey>, StoreError> {
        let rows: Vec<SigningKeyRow> =
            query("SELECT * FROM signing_keys ORDER BY created_at DESC, kid")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(SigningKey::try_from).collect()
    }

    /// Stores `key` as the active key unless one is active already.
    async fn insert_if_no_active(&self, key: &SigningKey) -> Result<bool, StoreError> {
        // The partial unique index `signing_keys_one_active` makes a second active key a conflict.
        let sql = format!("{INSERT_KEY} ON CONFLICT DO NOTHING");
        let inserted = query(&sql)
            .bind(key.kid.as_str())
            .bind(key.secret.as_slice())
            .bind(SigningKeyState::Active.as_str())
            .bind(key.created_at)
            .execute(&self.pool)
            .await?;
        Ok(inserted == 1)
    }

    /// Makes `key` the active key; the previous one verify-only, or with `retire_old` retired.
    async fn rotate_keys(
        &self,
        key: &SigningKey,
        retire_old: bool,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let retired: Vec<(String,)> = if retire_old {
            query(
                "UPDATE signing_keys SET state = 'retired', retired_at = $1
                 WHERE state IN ('active', 'verify_only') RETURNING kid",
            )
            .bind(Utc::now())
            .fetch_all(&mut tx)
            .await?
        } else {
            query("UPDATE signing_keys SET state = 'verify_only' WHERE state = 'active'")
                .execute(&mut tx)
                .await?;
            Vec::new()
        };
        query(INSERT_KEY)
            .bind(key.kid.as_str())
            .bind(key.secret.as_slice())
            .bind(SigningKeyState::Active.as_str())
            .bind(key.created_at)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(retired.into_iter().map(|(kid,)| kid).collect())
    }

    /// Retires a verify-only key. `NotFound` for an unknown kid.
    async fn retire_key(&self, kid: &str) -> Result<(), StoreError> {
        let retired = query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $2
             WHERE kid = $1 AND state = 'verify_only'",
        )
        .bind(kid)
        .bind(Utc::now())
        .execute(&self.pool)
        .await?;
        if retired == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl<DB: SqlEngine> GrantStore for SqlStore<DB> {
    /// Remembers a token until it expires, and prunes expired grants.
    async fn record_grant(
        &self,
        jti: &str,
        kid: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        query("DELETE FROM token_grants WHERE expires_at <= $1")
            .bind(Utc::now())
            .execute(&mut tx)
            .await?;
        query("INSERT INTO token_grants (jti, kid, user_id, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(jti)
            .bind(kid)
            .bind(user.0)
            .bind(expires_at)
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Unexpired grants per key id.
    async fn live_sessions(&self, now: DateTime<Utc>) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> =
            query("SELECT kid, count(*) FROM token_grants WHERE expires_at > $1 GROUP BY kid")
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(kid, n)| (kid, n.max(0) as u64))
            .collect())
    }
}
