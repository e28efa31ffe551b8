//! Token-signing keys in PostgreSQL.

use async_trait::async_trait;
use sqlx::PgPool;

use crate::domain::{SigningKey, SigningKeyState};
use crate::store::rows::SigningKeyRow;
use crate::store::{KeyStore, StoreError};

pub(super) struct PgKeyStore {
    pool: PgPool,
}

impl PgKeyStore {
    pub(super) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl KeyStore for PgKeyStore {
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<SigningKey>, StoreError> {
        let rows: Vec<SigningKeyRow> =
            sqlx::query_as("SELECT * FROM signing_keys ORDER BY created_at DESC, kid")
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(SigningKey::try_from).collect()
    }

    /// Stores `key` as the active key unless one is active already.
    async fn insert_if_no_active(&self, key: &SigningKey) -> Result<bool, StoreError> {
        // The partial unique index `signing_keys_one_active` makes a second active key a conflict.
        let done = sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, secret, state, created_at) VALUES ($1, 'HS256', $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(&key.kid)
        .bind(&key.secret)
        .bind(SigningKeyState::Active.as_str())
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
