//! The SQL engines (SQLite, PostgreSQL) behind one implementation of the store traits.
//!
//! [`SqlStore<DB>`] implements every store trait once, generically over the engine; each
//! statement is written once, with `$n` placeholders. What differs between engines lives in
//! [`SqlEngine`]'s associated items, implemented in `sqlite.rs` and `postgres.rs` beside each
//! engine's pool setup and migrations. The trait implementations are one file per concern, in the
//! order of the traits' methods.

mod accounts;
mod appends;
mod audit;
mod conversations;
mod engine;
mod friendships;
mod group_commit;
mod groups;
mod keys;
mod messages;
pub mod postgres;
mod query;
mod rows;
pub mod sqlite;
mod users;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::Pool;

pub(super) use self::engine::SqlEngine;
pub(super) use self::group_commit::MessageWriter;
use self::query::query;
use super::{DatabaseHealth, StoreError, Stores};

/// Every store over one pool of engine `DB`; cheap to clone.
pub(super) struct SqlStore<DB: SqlEngine> {
    pool: Pool<DB>,
    /// Batches message appends into shared commits on a connection of its own (SQLite, where
    /// there is one writer and an fsync per commit); `None`: each append commits on its own.
    writer: Option<MessageWriter>,
}

impl<DB: SqlEngine> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            writer: self.writer.clone(),
        }
    }
}

impl<DB: SqlEngine> SqlStore<DB> {
    /// The stores over `pool`, whose schema must be current.
    pub(super) fn stores(
        pool: Pool<DB>,
        writer: Option<MessageWriter>,
        health: Arc<dyn DatabaseHealth>,
    ) -> Stores {
        let store = Self { writer, pool };
        Stores {
            users: Arc::new(store.clone()),
            keys: Arc::new(store.clone()),
            grants: Arc::new(store.clone()),
            friendships: Arc::new(store.clone()),
            groups: Arc::new(store.clone()),
            conversations: Arc::new(store.clone()),
            messages: Arc::new(store.clone()),
            audit: Arc::new(store.clone()),
            account_admin: Arc::new(store),
            health,
            backends: Vec::new(),
        }
    }
}

/// Runs a trivial statement, for health checks.
pub(super) async fn ping<DB: SqlEngine>(pool: &Pool<DB>) -> Result<(), StoreError> {
    query("SELECT 1").execute(pool).await?;
    Ok(())
}

/// Versions and times (RFC 3339, UTC, whole seconds) of the applied migrations; none on a
/// database never migrated.
pub(super) async fn applied_migrations<DB: SqlEngine>(
    pool: &Pool<DB>,
) -> Result<Vec<(i64, String)>, StoreError> {
    let (tables,): (i64,) = query(DB::MIGRATIONS_TABLE_COUNT).fetch_one(pool).await?;
    if tables == 0 {
        return Ok(Vec::new());
    }
    let applied: Vec<(i64, DateTime<Utc>)> =
        query("SELECT version, installed_on FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    Ok(applied
        .into_iter()
        .map(|(version, at)| (version, at.format("%Y-%m-%dT%H:%M:%SZ").to_string()))
        .collect())
}
