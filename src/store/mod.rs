//! Storage: one trait per concern, one implementation per engine, chosen once at start-up.
//!
//! Methods take and return domain types only; rows stay inside the engine modules. Every engine
//! answers identically, which `tests/api` checks by running the same stories on each.

pub mod admin;
pub mod chat;
pub mod counters;
pub mod database;
pub mod postgres;
pub mod presence;
mod rows;
pub mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{NewUser, ProfileUpdate, SigningKey, User, UserId};

/// What a store could not do, typed so services can answer precisely.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique column already holds this value; `field` names it (`username`, `email`, …).
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Backend(#[source] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The data directory or database file could not be prepared.
    #[error("{0}")]
    Setup(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // Both engines name the violated index (`users_email_key`) in the constraint or message.
                let text = format!("{} {}", db.constraint().unwrap_or_default(), db.message());
                let field = ["username", "email", "phone_number", "kid"]
                    .into_iter()
                    .find(|f| text.contains(f))
                    .unwrap_or("value");
                StoreError::Conflict { field }
            }
            _ => StoreError::Backend(err),
        }
    }
}

/// One page of a search, with the cursor for the next one (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Accounts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Stores a new account; `Conflict` names the taken field.
    async fn create(&self, user: NewUser) -> Result<User, StoreError>;
    /// The account with this id, disabled or not.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// The accounts among `ids` that exist, disabled or not, in id order.
    async fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, StoreError>;
    /// The account whose username or e-mail (case-insensitively) equals `login`.
    async fn find_by_login(&self, login: &str) -> Result<Option<User>, StoreError>;
    /// Enabled accounts whose username or display name starts with `prefix` (case-insensitive),
    /// ordered by username, after the username `cursor`.
    async fn search(
        &self,
        prefix: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError>;
    /// Writes all editable profile columns.
    async fn update_profile(&self, id: UserId, profile: &ProfileUpdate)
    -> Result<User, StoreError>;
    /// Replaces the password hash; with `revoke_tokens` every token issued so far stops working.
    async fn set_password_hash(
        &self,
        id: UserId,
        hash: &str,
        revoke_tokens: bool,
    ) -> Result<User, StoreError>;
    /// Records a successful sign-in time.
    async fn touch_last_seen(&self, id: UserId) -> Result<(), StoreError>;
    /// Disables (revoking every token) or re-enables an account.
    async fn set_disabled(&self, id: UserId, disabled: bool) -> Result<User, StoreError>;
}

/// Token-signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every key, newest first.
    async fn list(&self) -> Result<Vec<SigningKey>, StoreError>;
    /// Stores `key` as the active key unless one is active already (several nodes may race at
    /// first start; exactly one wins). Returns whether it was stored.
    async fn insert_if_no_active(&self, key: &SigningKey) -> Result<bool, StoreError>;
}

/// Reachability of the database, for `/readyz` and health checks.
#[async_trait]
pub trait DatabaseHealth: Send + Sync {
    /// Engine name for reports (`sqlite`, `postgres`).
    fn engine(&self) -> &'static str;
    /// Runs a trivial query and returns how long it took.
    async fn ping(&self) -> Result<Duration, StoreError>;
    /// Closes pooled connections at shutdown.
    async fn close(&self);
}

/// The stores of one engine, shared by every request.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub keys: Arc<dyn KeyStore>,
    pub friendships: Arc<dyn chat::FriendshipStore>,
    pub groups: Arc<dyn chat::GroupStore>,
    pub conversations: Arc<dyn chat::ConversationStore>,
    pub messages: Arc<dyn chat::MessageStore>,
    pub admin: Arc<dyn admin::AdminStore>,
    pub health: Arc<dyn DatabaseHealth>,
}

/// Escapes `LIKE` wildcards so a search for `a_b` matches only that text (`\` is the escape).
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 1);
    for c in prefix.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
