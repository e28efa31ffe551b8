//! Storage: one trait per concern, one implementation per kind of engine, chosen once at start-up.
//!
//! Methods take and return domain types only; rows stay inside the engine modules. Every engine
//! answers identically, which `tests/api/store_suite` checks by asking each the same questions.
//!
//! # The SQL engines share one implementation
//!
//! SQLite and PostgreSQL run the same statements, so `sql::SqlStore<DB>` implements every trait
//! once, generically over the sqlx engine `DB`: each statement and row mapping exists once. The
//! engines' differences (how a writing transaction begins, JSON membership, whether appends go
//! through group commit, the migrations folder, pool setup) are the associated items of one
//! trait, `sql::engine::SqlEngine`, implemented for `sqlx::Sqlite` in `sql/sqlite.rs` and for
//! `sqlx::Postgres` in `sql/postgres.rs`. Statements use `$n` placeholders on both engines:
//! sqlx-sqlite reads `$n` as SQLite's named parameter `n` and binds it by number, also out of
//! order or repeated (`sql/sqlite.rs` has the test).
//!
//! Why generic code, not a macro stamping out one copy per engine: a macro would hide which code
//! runs (house rule 6), while generic code is type-checked once, for every engine.
//!
//! The price of generic sqlx code is trait bounds: `i64: Encode<'q, DB> + Type<DB>` for each bound
//! value, `UserRow: FromRow<'r, DB::Row>` for each row read, `for<'c> &'c mut DB::Connection:
//! Executor<'c>`. Rust implies a trait's supertraits wherever the trait is a bound, but not its
//! other `where` clauses (rust-lang/rust#20671), so neither such clauses on `SqlEngine` nor a
//! bound-alias trait with a blanket impl spare a single impl from repeating them. `SqlEngine`
//! therefore turns each fact around into a supertrait about the engine (`Sqlite: Binds<i64>`,
//! `Sqlite: Reads<UserRow>`, `Sqlite: Executes`), blanket-implemented wherever sqlx provides the
//! fact, and `sql/query.rs` wraps sqlx's `query` to ask those instead. Store code reads like
//! plain sqlx (`query(…).bind(…).fetch_one(&self.pool)`) and bounds nothing but `DB: SqlEngine`;
//! a new type crossing the SQL boundary is one more line in `SqlEngine`'s list.

pub mod accounts;
pub mod audit;
pub mod chat;
pub mod counters;
pub mod database;
pub mod keys;
pub mod nodes;
pub mod presence;
pub mod previews;
pub mod redis;
pub mod scylla;
mod sql;
pub mod ttl_cache;

pub use keys::{GrantStore, KeyStore};

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::{NewUser, ProfileUpdate, User, UserId};

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
    /// The embedded database's message writer (its own SQLite connection) failed.
    #[error("database error: {0}")]
    Embedded(#[source] rusqlite::Error),
    /// The messages cluster (ScyllaDB/Cassandra) could not be reached or answered with an error.
    #[error("messages cluster error: {0}")]
    Cluster(String),
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

/// A backend besides the database that the daemon works with (Redis, for the scaled-out
/// profile), for `/readyz` and health checks. The daemon serves without it, impaired.
#[async_trait]
pub trait BackendHealth: Send + Sync {
    /// What it is for in reports: `fanout`.
    fn role(&self) -> &'static str;
    /// Engine name for reports: `redis`.
    fn engine(&self) -> &'static str;
    /// A trivial round trip and how long it took, or why there was none.
    async fn ping(&self) -> Result<Duration, String>;
    /// More about its state for reports (the messages cluster: nodes connected of known).
    fn detail(&self) -> Option<String> {
        None
    }
}

/// The stores of one engine, shared by every request.
#[derive(Clone)]
pub struct Stores {
    pub users: Arc<dyn UserStore>,
    pub keys: Arc<dyn KeyStore>,
    pub grants: Arc<dyn GrantStore>,
    pub friendships: Arc<dyn chat::FriendshipStore>,
    pub groups: Arc<dyn chat::GroupStore>,
    pub conversations: Arc<dyn chat::ConversationStore>,
    pub messages: Arc<dyn chat::MessageStore>,
    pub audit: Arc<dyn audit::AuditStore>,
    pub account_admin: Arc<dyn accounts::AccountAdminStore>,
    pub health: Arc<dyn DatabaseHealth>,
    /// Backends the stores use besides the main database (the messages cluster), for health.
    pub backends: Vec<Arc<dyn BackendHealth>>,
}

/// Where messages live, connected: picked once at start-up from `messages.url`. `None` keeps
/// them in the main database; a cluster's stores replace the main database's for
/// conversations and messages ([`scylla::MessagesCluster::stores_over`]).
pub async fn connect_messages(
    config: &omegachat_contract::config::MessagesConfig,
) -> Result<Option<scylla::MessagesCluster>, StoreError> {
    use omegachat_contract::config::MessagesEngine;
    match config
        .engine()
        .map_err(|e| StoreError::Setup(format!("messages.url {e}")))?
    {
        MessagesEngine::MainDatabase => Ok(None),
        MessagesEngine::Scylla(target) => Ok(Some(
            scylla::MessagesCluster::connect(config, &target).await?,
        )),
    }
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
