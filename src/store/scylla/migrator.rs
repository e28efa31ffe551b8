//! Applying the `cql/` migrations to a cluster: in version order, statement by statement,
//! waiting for schema agreement after each one, recording each version in
//! `schema_migrations` once all its statements ran.
//!
//! The bookkeeping ([`apply`], [`status`]) is written against the small [`CqlSchema`] trait so it
//! is unit-tested without a cluster (`migrator_tests.rs`, with a recording stand-in: not a CQL
//! server, just the four calls); [`SessionSchema`] is the trait on a driver session.
//!
//! Why agreement after *each* statement: a `CREATE TABLE` sent to one node before every node
//! knows the keyspace of the previous statement can fail, or create a table some nodes do not
//! see yet. CQL has no transactional DDL, so a migration that stops halfway runs again from its
//! first statement: every statement in `cql/` is `IF NOT EXISTS`, harmless to repeat.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use scylla::client::session::Session;
use scylla::value::CqlTimestamp;

use super::migrations::{CqlMigration, render};
use super::session::ScyllaError;

/// The partition of `schema_migrations` every row goes into.
pub const SCOPE: &str = "omegachat";

/// One applied migration, as `schema_migrations` records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedCql {
    pub version: u32,
    pub description: String,
    pub applied_at: DateTime<Utc>,
}

/// A known migration and when it was applied (`None`: pending), for `omegactl migrate status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CqlMigrationState {
    pub version: u32,
    pub description: String,
    pub applied_at: Option<String>,
}

/// Why the keyspace cannot be migrated.
#[derive(Debug, thiserror::Error)]
pub enum MigratorError {
    #[error(
        "the messages keyspace has migration {version} applied, which this omegachatd does not know: it was migrated by a newer version; run that version"
    )]
    Unknown { version: u32 },
    #[error(
        "the messages keyspace was made with messages.bucket_days = {stored}, this node is configured with {configured}: messages are found by their bucket, so set it back to {stored}"
    )]
    BucketDays { stored: String, configured: u32 },
    #[error("cql/ migration {version} ({description}): {source}")]
    Statement {
        version: u32,
        description: String,
        source: ScyllaError,
    },
    #[error(transparent)]
    Cluster(#[from] ScyllaError),
}

/// What the migrator needs of a cluster.
#[async_trait]
pub trait CqlSchema: Send + Sync {
    /// The migrations recorded in `keyspace` (none when its `schema_migrations` does not exist).
    async fn applied(&self, keyspace: &str) -> Result<Vec<AppliedCql>, ScyllaError>;
    /// Runs one schema statement, placeholders already filled in.
    async fn run(&self, statement: &str) -> Result<(), ScyllaError>;
    /// Waits until every reachable node has the same schema version.
    async fn await_schema_agreement(&self) -> Result<(), ScyllaError>;
    /// Records `migration` as applied now.
    async fn record(&self, keyspace: &str, migration: &CqlMigration) -> Result<(), ScyllaError>;
    /// Stores `bucket_days` unless the keyspace already has a value; returns the stored value.
    async fn claim_bucket_days(&self, keyspace: &str, days: u32) -> Result<String, ScyllaError>;
}

/// Every known migration with its state, in version order; refuses a keyspace migrated by a
/// newer binary (a version this one does not know).
pub async fn status(
    schema: &dyn CqlSchema,
    keyspace: &str,
    known: &[CqlMigration],
) -> Result<Vec<CqlMigrationState>, MigratorError> {
    let applied = schema.applied(keyspace).await?;
    if let Some(unknown) = applied
        .iter()
        .find(|a| !known.iter().any(|m| m.version == a.version))
    {
        return Err(MigratorError::Unknown {
            version: unknown.version,
        });
    }
    Ok(known
        .iter()
        .map(|m| CqlMigrationState {
            version: m.version,
            description: m.description.clone(),
            applied_at: applied
                .iter()
                .find(|a| a.version == m.version)
                .map(|a| a.applied_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        })
        .collect())
}

/// Applies every pending migration in version order; the versions it applied.
///
/// Several nodes may start at once: each runs the same idempotent statements and writes the
/// same `schema_migrations` rows, so the race costs repeated work, never a different schema.
pub async fn apply(
    schema: &dyn CqlSchema,
    keyspace: &str,
    replication: &str,
    bucket_days: u32,
    known: &[CqlMigration],
) -> Result<Vec<u32>, MigratorError> {
    let states = status(schema, keyspace, known).await?;
    let mut done = Vec::new();
    for (migration, state) in known.iter().zip(&states) {
        if state.applied_at.is_some() {
            continue;
        }
        let failed = |source| MigratorError::Statement {
            version: migration.version,
            description: migration.description.clone(),
            source,
        };
        for statement in &migration.statements {
            schema
                .run(&render(statement, keyspace, replication))
                .await
                .map_err(failed)?;
            schema.await_schema_agreement().await.map_err(failed)?;
        }
        schema.record(keyspace, migration).await.map_err(failed)?;
        done.push(migration.version);
    }
    // The first migration makes keyspace_settings; from then on the bucket size is fixed.
    if !known.is_empty() {
        check_bucket_days(schema, keyspace, bucket_days).await?;
    }
    Ok(done)
}

/// Fixes the keyspace's bucket size at `bucket_days` if none is stored yet, and refuses a
/// keyspace made with another: its messages would be looked for in the wrong partitions.
pub async fn check_bucket_days(
    schema: &dyn CqlSchema,
    keyspace: &str,
    bucket_days: u32,
) -> Result<(), MigratorError> {
    let stored = schema.claim_bucket_days(keyspace, bucket_days).await?;
    if stored != bucket_days.to_string() {
        return Err(MigratorError::BucketDays {
            stored,
            configured: bucket_days,
        });
    }
    Ok(())
}

/// [`CqlSchema`] on a driver session. Schema statements go unprepared (DDL is run once); the
/// bookkeeping statements are prepared like the store's.
pub struct SessionSchema {
    pub session: Arc<Session>,
}

const TABLE_EXISTS: &str = "SELECT table_name FROM system_schema.tables \
     WHERE keyspace_name = ? AND table_name = 'schema_migrations'";
const APPLIED: &str = "SELECT version, description, applied_at FROM ${keyspace}.schema_migrations \
     WHERE scope = ?";
const RECORD: &str = "INSERT INTO ${keyspace}.schema_migrations (scope, version, description, applied_at) \
     VALUES (?, ?, ?, ?)";
/// A lightweight transaction: of two nodes with different bucket sizes, one value wins.
const CLAIM_BUCKET_DAYS: &str = "INSERT INTO ${keyspace}.keyspace_settings (name, value) VALUES ('bucket_days', ?) IF NOT EXISTS";
const BUCKET_DAYS: &str =
    "SELECT value FROM ${keyspace}.keyspace_settings WHERE name = 'bucket_days'";

impl SessionSchema {
    async fn rows<R>(
        &self,
        text: &str,
        values: impl scylla::serialize::row::SerializeRow,
    ) -> Result<Vec<R>, ScyllaError>
    where
        R: for<'f, 'm> scylla::deserialize::row::DeserializeRow<'f, 'm>,
    {
        let what = "reading schema_migrations";
        let prepared = self
            .session
            .prepare(text)
            .await
            .map_err(|e| ScyllaError::request(what, e))?;
        let result = self
            .session
            .execute_unpaged(&prepared, values)
            .await
            .map_err(|e| ScyllaError::request(what, e))?;
        let rows = result
            .into_rows_result()
            .map_err(|e| ScyllaError::request(what, e))?;
        rows.rows::<R>()
            .map_err(|e| ScyllaError::request(what, e))?
            .map(|row| row.map_err(|e| ScyllaError::request(what, e)))
            .collect()
    }
}

#[async_trait]
impl CqlSchema for SessionSchema {
    async fn applied(&self, keyspace: &str) -> Result<Vec<AppliedCql>, ScyllaError> {
        let tables: Vec<(String,)> = self.rows(TABLE_EXISTS, (keyspace,)).await?;
        if tables.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i32, Option<String>, Option<CqlTimestamp>)> =
            self.rows(&render(APPLIED, keyspace, ""), (SCOPE,)).await?;
        rows.into_iter()
            .map(|(version, description, at)| {
                let bad = || ScyllaError::Answer {
                    what: format!("schema_migrations row for version {version}"),
                };
                Ok(AppliedCql {
                    version: u32::try_from(version).map_err(|_| bad())?,
                    description: description.unwrap_or_default(),
                    applied_at: at
                        .and_then(|at| DateTime::from_timestamp_millis(at.0))
                        .ok_or_else(bad)?,
                })
            })
            .collect()
    }

    async fn run(&self, statement: &str) -> Result<(), ScyllaError> {
        self.session
            .query_unpaged(statement, ())
            .await
            .map_err(|e| ScyllaError::request("running a schema statement", e))?;
        Ok(())
    }

    async fn await_schema_agreement(&self) -> Result<(), ScyllaError> {
        self.session
            .await_schema_agreement()
            .await
            .map_err(|e| ScyllaError::request("waiting for schema agreement", e))?;
        Ok(())
    }

    async fn record(&self, keyspace: &str, migration: &CqlMigration) -> Result<(), ScyllaError> {
        let what = "recording a migration";
        let prepared = self
            .session
            .prepare(render(RECORD, keyspace, ""))
            .await
            .map_err(|e| ScyllaError::request(what, e))?;
        let version = i32::try_from(migration.version).unwrap_or(i32::MAX);
        let now = CqlTimestamp(Utc::now().timestamp_millis());
        self.session
            .execute_unpaged(
                &prepared,
                (SCOPE, version, migration.description.as_str(), now),
            )
            .await
            .map_err(|e| ScyllaError::request(what, e))?;
        Ok(())
    }

    async fn claim_bucket_days(&self, keyspace: &str, days: u32) -> Result<String, ScyllaError> {
        let _: Vec<scylla::value::Row> = self
            .rows(
                &render(CLAIM_BUCKET_DAYS, keyspace, ""),
                (days.to_string(),),
            )
            .await?;
        let stored: Vec<(Option<String>,)> =
            self.rows(&render(BUCKET_DAYS, keyspace, ""), ()).await?;
        Ok(stored
            .into_iter()
            .next()
            .and_then(|(value,)| value)
            .unwrap_or_default())
    }
}

#[cfg(test)]
#[path = "migrator_tests.rs"]
mod tests;
