//! The embedded engine: one SQLite file, no server.

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
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omegachat_contract::config::DatabaseConfig;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{DatabaseHealth, StoreError, Stores};

/// Opens (creating if needed) the database file and applies pending migrations.
pub async fn open(config: &DatabaseConfig, path: &Path) -> Result<Stores, StoreError> {
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
    sqlx::migrate!("migrations/sqlite").run(&pool).await?;
    let chat = chat::SqliteChatStore::new(pool.clone());
    Ok(Stores {
        users: Arc::new(users::SqliteUserStore::new(pool.clone())),
        keys: Arc::new(keys::SqliteKeyStore::new(pool.clone())),
        friendships: Arc::new(chat.clone()),
        groups: Arc::new(chat.clone()),
        conversations: Arc::new(chat.clone()),
        messages: Arc::new(chat),
        health: Arc::new(SqliteHealth { pool }),
    })
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

struct SqliteHealth {
    pool: SqlitePool,
}

#[async_trait]
impl DatabaseHealth for SqliteHealth {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(started.elapsed())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
