//! The embedded engine: one SQLite file, no server.

mod admin;
mod chat;
mod conversations;
mod friendships;
mod group_commit;
mod groups;
mod keys;
mod messages;
mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::config::DatabaseConfig;
use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{DatabaseHealth, StoreError, Stores};

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

/// The stores over an up-to-date schema.
pub fn stores(pool: SqlitePool, health: Arc<dyn DatabaseHealth>) -> Stores {
    let chat = chat::SqliteChatStore::new(pool.clone());
    Stores {
        users: Arc::new(users::SqliteUserStore::new(pool.clone())),
        keys: Arc::new(keys::SqliteKeyStore::new(pool.clone())),
        friendships: Arc::new(chat.clone()),
        groups: Arc::new(chat.clone()),
        conversations: Arc::new(chat.clone()),
        messages: Arc::new(chat),
        admin: Arc::new(admin::SqliteAdminStore::new(pool.clone())),
        health,
    }
}

/// Versions and times (RFC 3339, UTC) of the applied migrations; none on a database never migrated.
pub async fn applied_migrations(pool: &SqlitePool) -> Result<Vec<(i64, String)>, StoreError> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(pool)
    .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT version, strftime('%Y-%m-%dT%H:%M:%SZ', installed_on) FROM _sqlx_migrations
         WHERE success ORDER BY version",
    )
    .fetch_all(pool)
    .await?)
}

/// Writes a consistent copy of the live database to `target` (which must not exist), without
/// stopping writers: `VACUUM INTO` reads one snapshot.
pub async fn backup(pool: &SqlitePool, target: &Path) -> Result<(), StoreError> {
    let target = target
        .to_str()
        .ok_or_else(|| StoreError::Setup("the backup path is not valid UTF-8".into()))?;
    sqlx::query("VACUUM INTO ?1")
        .bind(target)
        .execute(pool)
        .await?;
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
