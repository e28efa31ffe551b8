//! Health, status, migrations, backups and the audit log.

use std::path::PathBuf;
use std::time::Duration;

use axum::http::StatusCode;
use omegachat_contract::admin::{
    ApplyMigrations, AuditEntry, AuditLog, BackendHealth, BackupOutcome, EngineMigrations,
    GetHealth, GetStatus, HealthReport, HealthStatus, ListMigrations, MigrationInfo,
    MigrationReport, ReadAudit, StatusReport, WriteBackup,
};

use super::{AdminState, timestamp};
use crate::app::StartupError;
use crate::http::error::ApiError;
use crate::store::DatabaseHealth;
use crate::store::database::{BackupError, MigrationState};

/// A backend slower than this is reported as degraded.
const SLOW_BACKEND: Duration = Duration::from_secs(1);
const PING_TIMEOUT: Duration = Duration::from_secs(3);

fn store_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
        format!("the database did not answer: {e}"),
    )
}

pub async fn health(state: AdminState, _: GetHealth) -> Result<HealthReport, ApiError> {
    let database = &state.core.database;
    let engine = DatabaseHealth::engine(database).to_owned();
    let ping = tokio::time::timeout(PING_TIMEOUT, database.ping()).await;
    let backend = match ping {
        Ok(Ok(latency)) => BackendHealth {
            role: "database".into(),
            engine,
            reachable: true,
            latency_ms: Some(latency.as_secs_f64() * 1000.0),
            error: None,
        },
        Ok(Err(e)) => BackendHealth {
            role: "database".into(),
            engine,
            reachable: false,
            latency_ms: None,
            error: Some(e.to_string()),
        },
        Err(_) => BackendHealth {
            role: "database".into(),
            engine,
            reachable: false,
            latency_ms: None,
            error: Some(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
        },
    };
    let pending = if backend.reachable {
        database.pending_migrations().await.unwrap_or(0)
    } else {
        0
    };
    let serving = state.core.serving().is_some();
    let slow = backend
        .latency_ms
        .is_some_and(|ms| ms > SLOW_BACKEND.as_secs_f64() * 1000.0);
    let status = if !backend.reachable {
        HealthStatus::Down
    } else if pending > 0 || !serving || slow {
        HealthStatus::Degraded
    } else {
        HealthStatus::Healthy
    };
    Ok(HealthReport {
        status,
        version: env!("CARGO_PKG_VERSION").into(),
        backends: vec![backend],
        pending_migrations: pending,
        serving,
    })
}

pub async fn status(state: AdminState, _: GetStatus) -> Result<StatusReport, ApiError> {
    let (users_online, sockets, rooms, rate, total) = match state.core.serving() {
        Some(serving) => {
            let (users, sockets) = serving.state.presence.totals();
            let rooms = serving.realtime.io.rooms().await.map_or(0, |r| r.len());
            let stats = serving.state.conversations.stats();
            (users, sockets, rooms, stats.per_second(), stats.total())
        }
        None => (0, 0, 0, 0.0, 0),
    };
    Ok(StatusReport {
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_secs: state.core.started_at.elapsed().as_secs(),
        engine: state.core.database.engine().into(),
        sockets,
        users_online,
        rooms,
        messages_per_sec: rate,
        messages_since_start: total,
    })
}

fn report(engine: &str, migrations: Vec<MigrationState>) -> MigrationReport {
    let (applied, pending): (Vec<_>, Vec<_>) = migrations
        .into_iter()
        .map(|m| MigrationInfo {
            version: m.version,
            description: m.description,
            applied_at: m.applied_at,
        })
        .partition(|m| m.applied_at.is_some());
    MigrationReport {
        engines: vec![EngineMigrations {
            engine: engine.into(),
            applied,
            pending,
        }],
    }
}

pub async fn migrations(state: AdminState, _: ListMigrations) -> Result<MigrationReport, ApiError> {
    let database = &state.core.database;
    let migrations = database.migrations().await.map_err(store_error)?;
    Ok(report(database.engine(), migrations))
}

/// Applies what is pending and, if the daemon was waiting for that, opens the public API.
pub async fn migrate(state: AdminState, _: ApplyMigrations) -> Result<MigrationReport, ApiError> {
    let database = &state.core.database;
    database.migrate().await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "migration_failed",
            format!("{e}; the database is unchanged past the last successful migration"),
        )
    })?;
    match state.core.start_serving().await {
        Ok(_) => tracing::info!("schema is current; serving the public API"),
        Err(StartupError::MigrationsPending(n)) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "migrations_pending",
                format!("{n} migration(s) still pending after migrating"),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot start serving after migrating");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "start_failed",
                format!("migrated, but the services could not start: {e}"),
            ));
        }
    }
    let migrations = database.migrations().await.map_err(store_error)?;
    Ok(report(database.engine(), migrations))
}

pub async fn audit(state: AdminState, request: ReadAudit) -> Result<AuditLog, ApiError> {
    let limit = request.limit.unwrap_or(50).clamp(1, 1000);
    let serving = state.serving()?;
    let records = serving
        .stores
        .audit
        .recent_audit(limit)
        .await
        .map_err(store_error)?;
    Ok(AuditLog {
        entries: records
            .into_iter()
            .map(|r| AuditEntry {
                at: timestamp(r.at),
                uid: r.uid,
                user: r.username,
                action: r.action,
                status: r.status,
                outcome: r.outcome,
            })
            .collect(),
    })
}

/// An online copy of the embedded database.
pub async fn backup(state: AdminState, request: WriteBackup) -> Result<BackupOutcome, ApiError> {
    let target = PathBuf::from(&request.path);
    match state.core.database.backup(&target).await {
        Ok(bytes) => {
            tracing::info!(path = %target.display(), bytes, "database backed up");
            Ok(BackupOutcome {
                path: request.path,
                bytes,
            })
        }
        Err(e @ BackupError::Unsupported) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "unsupported",
            e.to_string(),
        )),
        Err(e @ BackupError::Target(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            e.to_string(),
        )),
        Err(BackupError::Store(e)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "backup_failed",
            format!("cannot write the backup: {e}"),
        )),
    }
}
