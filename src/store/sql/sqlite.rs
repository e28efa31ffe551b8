//! The embedded engine: one SQLite file, no server.

use std::path::Path;
use std::time::Duration;

use omegachat_contract::config::DatabaseConfig;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool};

use super::engine::SqlEngine;
use super::query::query;
use crate::store::StoreError;

impl SqlEngine for Sqlite {
    const NAME: &'static str = "sqlite";
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const JSON_INTEGERS_1: &'static str = "SELECT value FROM json_each($1)";
    const MIGRATIONS_TABLE_COUNT: &'static str =
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'";

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

/// The schema changes this binary knows, in order.
pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/sqlite");

/// Opens (creating if needed) the database file; migrations are the caller's decision.
pub async fn connect(config: &DatabaseConfig, path: &Path) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir)?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit survives power loss, which an acknowledged write promises.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_millis(config.acquire_timeout_ms));
    let pool = SqlitePoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError::Setup(format!(
                "cannot open SQLite database {}: {e}",
                path.display()
            ))
        })?;
    Ok(pool)
}

/// Writes a consistent copy of the live database to `target` (which must not exist), without
/// stopping writers: `VACUUM INTO` reads one snapshot.
pub async fn backup(pool: &SqlitePool, target: &Path) -> Result<(), StoreError> {
    let target = target
        .to_str()
        .ok_or_else(|| StoreError::Setup("the backup path is not valid UTF-8".into()))?;
    query("VACUUM INTO $1").bind(target).execute(pool).await?;
    Ok(())
}

/// The data directory holds password hashes and signing keys: only the daemon's user may read it.
fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            StoreError::Setup(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::super::query::query;

    /// The shared statements rely on this: sqlx-sqlite binds `$n` by its number (a named
    /// parameter to SQLite), so a placeholder may come out of order or repeat.
    #[tokio::test]
    async fn dollar_placeholders_bind_by_number_out_of_order_and_repeated() {
        let pool = SqlitePoolOptions::new()
            .connect("sqlite::memory:")
            .await
            .expect("in-memory database");
        let (text,): (String,) = query("SELECT $2 || '-' || $1 || '-' || $2 || '-' || $1")
            .bind("one")
            .bind("two")
            .fetch_one(&pool)
            .await
            .expect("statement runs");
        assert_eq!(text, "two-one-two-one");
    }
}
