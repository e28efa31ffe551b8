//! Health, status, migrations, backups and the audit log: the system service's answers in the
//! protocol's shapes.

use std::path::PathBuf;

use omegachat_contract::admin::{
    ApplyMigrations, AuditEntry, AuditLog, BackendHealth, BackupOutcome, ChatTotals,
    EngineMigrations, GetHealth, GetStatus, HealthReport, HealthStatus, ListMigrations,
    MigrationInfo, MigrationReport, NodeStatus, ReadAudit, StatusReport, WriteBackup,
};

use super::{AdminState, timestamp};
use crate::edge::error::ApiError;
use crate::service::nodes::{NodeService, Nodes};
use crate::service::system::{Migrations, Verdict};
use crate::store::database::MigrationState;

pub async fn health(state: AdminState, _: GetHealth) -> Result<HealthReport, ApiError> {
    let check = state.system.health().await;
    let (latency_ms, error) = match check.ping {
        Ok(latency) => (Some(latency.as_secs_f64() * 1000.0), None),
        Err(why) => (None, Some(why)),
    };
    Ok(HealthReport {
        status: match check.verdict {
            Verdict::Healthy => HealthStatus::Healthy,
            Verdict::Degraded => HealthStatus::Degraded,
            Verdict::Down => HealthStatus::Down,
        },
        version: env!("CARGO_PKG_VERSION").into(),
        backends: std::iter::once(BackendHealth {
            role: "database".into(),
            engine: check.engine.into(),
            reachable: error.is_none(),
            latency_ms,
            error,
            detail: None,
        })
        .chain(check.backends.into_iter().map(|b| {
            let (latency_ms, error) = match b.ping {
                Ok(latency) => (Some(latency.as_secs_f64() * 1000.0), None),
                Err(why) => (None, Some(why)),
            };
            BackendHealth {
                role: b.role.into(),
                engine: b.engine.into(),
                reachable: error.is_none(),
                latency_ms,
                error,
                detail: b.detail,
            }
        }))
        .collect(),
        pending_migrations: check.pending_migrations,
        serving: check.serving,
    })
}

pub async fn status(state: AdminState, _: GetStatus) -> Result<StatusReport, ApiError> {
    let status = state.system.status().await;
    let (nodes, totals, nodes_error) = match status.nodes {
        Some(nodes) => chat_nodes(nodes),
        None => (Vec::new(), ChatTotals::default(), None),
    };
    Ok(StatusReport {
        version: env!("CARGO_PKG_VERSION").into(),
        uptime_secs: status.uptime.as_secs(),
        engine: status.engine.into(),
        sockets: status.sockets,
        users_online: status.users_online,
        rooms: status.rooms,
        messages_per_sec: status.messages_per_sec,
        messages_since_start: status.messages_since_start,
        nodes,
        totals,
        nodes_error,
    })
}

fn chat_nodes(nodes: Nodes) -> (Vec<NodeStatus>, ChatTotals, Option<String>) {
    let totals = ChatTotals {
        nodes: nodes.list.nodes.len(),
        sockets: nodes.list.nodes.iter().map(|n| n.sockets).sum(),
        users_online: nodes.list.users_online,
        messages_per_sec: nodes.list.nodes.iter().map(|n| n.messages_per_sec).sum(),
    };
    let list = nodes
        .list
        .nodes
        .into_iter()
        .map(|card| NodeStatus {
            uptime_secs: NodeService::uptime_of(&card),
            this_node: card.id == nodes.this_node,
            id: card.id,
            host: card.host,
            address: card.address,
            version: card.version,
            sockets: card.sockets,
            users_online: card.users_online,
            messages_per_sec: card.messages_per_sec,
        })
        .collect();
    (list, totals, nodes.error)
}

fn report(engines: Vec<Migrations>) -> MigrationReport {
    let info = |m: MigrationState| MigrationInfo {
        version: m.version,
        description: m.description,
        applied_at: m.applied_at,
    };
    MigrationReport {
        engines: engines
            .into_iter()
            .map(|migrations| EngineMigrations {
                engine: migrations.engine.into(),
                applied: migrations.applied.into_iter().map(info).collect(),
                pending: migrations.pending.into_iter().map(info).collect(),
            })
            .collect(),
    }
}

pub async fn migrations(state: AdminState, _: ListMigrations) -> Result<MigrationReport, ApiError> {
    Ok(report(state.system.migrations().await?))
}

pub async fn migrate(state: AdminState, _: ApplyMigrations) -> Result<MigrationReport, ApiError> {
    Ok(report(state.system.migrate().await?))
}

pub async fn audit(state: AdminState, request: ReadAudit) -> Result<AuditLog, ApiError> {
    let records = state.system.audit(request.limit).await?;
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

pub async fn backup(state: AdminState, request: WriteBackup) -> Result<BackupOutcome, ApiError> {
    let bytes = state.system.backup(&PathBuf::from(&request.path)).await?;
    Ok(BackupOutcome {
        path: request.path,
        bytes,
    })
}
