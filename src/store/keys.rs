//! Token-signing keys and the tokens (grants) each signed.
//!
//! Two traits because the login path needs both, and administration needs more of neither than
//! what is here: issuing a token reads the keys and records a grant; rotating or retiring a key
//! changes keys and counts the grants it ends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{SigningKey, UserId};

/// Token-signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<SigningKey>, StoreError>;
    /// Stores `key` as the active key unless one is active already (several nodes may race at
    /// first start; exactly one wins). Returns whether it was stored.
    async fn insert_if_no_active(&self, key: &SigningKey) -> Result<bool, StoreError>;
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

/// The tokens issued per signing key, so retiring a key can say whom it logs out.
#[async_trait]
pub trait GrantStore: Send + Sync {
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
}
