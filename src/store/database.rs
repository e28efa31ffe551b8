//! The configured database as a whole: connecting, its schema migrations, backups.
//!
//! Separate from [`Stores`] because the daemon must be able to connect, report and migrate a
//! database whose schema is behind (the admin socket works then) before any store may touch it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use omegachat_contract::{DatabaseEngine, config::DatabaseConfig};
use sqlx::migrate::Migrator;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool};

use super::sql::{self, MessageWriter, SqlStore, postgres, sqlite};
use super::{DatabaseHealth, StoreError, Stores};

/// A connected database of either engine.
#[derive(Clone)]
pub enum Database {
    Sqlite {
        pool: SqlitePool,
        path: PathBuf,
        /// Message appends, on a connection of their own (`sql::group_commit`).
        writer: MessageWriter,
    },
    Postgres {
        pool: PgPool,
    },
}

/// One migration this binary knows, and when it was applied (`None`: pending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub version: i64,
    pub description: String,
    pub applied_at: Option<String>,
}

impl Database {
    /// Connects to the configured engine without touching the schema.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, StoreError> {
        match config.engine().map_err(StoreError::Setup)? {
            DatabaseEngine::Sqlite(path) => {
                let pool = sqlite::connect(config, &path).await?;
                let busy_timeout = Duration::from_millis(config.acquire_timeout_ms);
                let writer = MessageWriter::start(&path, busy_timeout, pool.clone())?;
                Ok(Database::Sqlite { pool, path, writer })
            }
            DatabaseEngine::Postgres(url) => Ok(Database::Postgres {
                pool: postgres::connect(config, &url).await?,
            }),
        }
    }

    /// Engine name for reports.
    pub fn engine(&self) -> &'static str {
        match self {
            Database::Sqlite { .. } => <Sqlite as sql::SqlEngine>::NAME,
            Database::Postgres { .. } => <Postgres as sql::SqlEngine>::NAME,
        }
    }

    fn migrator(&self) -> &'static Migrator {
        match self {
            Database::Sqlite { .. } => &sqlite::MIGRATOR,
            Database::Postgres { .. } => &postgres::MIGRATOR,
        }
    }

    /// Every migration this binary knows, applied or pending, in order.
    pub async fn migrations(&self) -> Result<Vec<MigrationState>, StoreError> {
        let applied = match self {
            Database::Sqlite { pool, .. } => sql::applied_migrations(pool).await?,
            Database::Postgres { pool } => sql::applied_migrations(pool).await?,
        };
        Ok(self
            .migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| MigrationState {
                version: m.version,
                description: m.description.to_string(),
                applied_at: applied
                    .iter()
                    .find(|(v, _)| *v == m.version)
                    .map(|(_, at)| at.clone()),
            })
            .collect())
    }

    /// How many known migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        Ok(self
            .migrations()
            .await?
            .iter()
            .filter(|m| m.applied_at.is_none())
            .count())
    }

    /// Applies every pending migration. On PostgreSQL several nodes may do this at once: sqlx
    /// holds an advisory lock, so one migrates and the others find nothing left to do.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Database::Sqlite { pool, .. } => sqlite::MIGRATOR.run(pool).await?,
            Database::Postgres { pool } => postgres::MIGRATOR.run(pool).await?,
        }
        Ok(())
    }

    /// The stores; only meaningful once the schema is current.
    pub fn stores(&self) -> Stores {
        match self {
            Database::Sqlite { pool, writer, .. } => {
                SqlStore::stores(pool.clone(), Some(writer.clone()), Arc::new(self.clone()))
            }
            Database::Postgres { pool } => {
                SqlStore::stores(pool.clone(), None, Arc::new(self.clone()))
            }
        }
    }

    /// Writes a consistent copy of the embedded database to `target` and returns its size.
    pub async fn backup(&self, target: &Path) -> Result<u64, BackupError> {
        let Database::Sqlite { pool, path, .. } = self else {
            return Err(BackupError::Unsupported);
        };
        if !target.is_absolute() {
            return Err(BackupError::Target(format!(
                "{} is not an absolute path",
                target.display()
            )));
        }
        if target.exists() {
            return Err(BackupError::Target(format!(
                "{} already exists; choose a new file name",
                target.display()
            )));
        }
        if target == path {
            return Err(BackupError::Target("that is the live database".into()));
        }
        sqlite::backup(pool, target).await?;
        let bytes = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
        Ok(bytes)
    }
}

#[async_trait]
impl DatabaseHealth for Database {
    fn engine(&self) -> &'static str {
        Database::engine(self)
    }

    async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        match self {
            Database::Sqlite { pool, .. } => sql::ping(pool).await?,
            Database::Postgres { pool } => sql::ping(pool).await?,
        }
        Ok(started.elapsed())
    }

    async fn close(&self) {
        match self {
            Database::Sqlite { pool, writer, .. } => {
                writer.close().await;
                pool.close().await
            }
            Database::Postgres { pool } => pool.close().await,
        }
    }
}

/// Why a backup was not written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "`omegactl backup` copies the embedded SQLite database; back up PostgreSQL with pg_dump"
    )]
    Unsupported,
    #[error("cannot write the backup: {0}")]
    Target(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
