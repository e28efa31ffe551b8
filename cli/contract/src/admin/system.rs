//! Requests about the daemon itself: health, status, migrations, the audit log, backups.

use serde::{Deserialize, Serialize};

use super::route::with_query;
use super::{
    AdminRequest, AuditLog, BackupOutcome, HealthReport, Method, MigrationReport, NoBody,
    RequestError, RouteParams, StatusReport,
};

/// `GET /v1/health`: the daemon, its backends and its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetHealth;

impl AdminRequest for GetHealth {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/health";
    type Body = NoBody;
    type Response = HealthReport;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(_: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(GetHealth)
    }
}

/// `GET /v1/status`: uptime, connections, throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetStatus;

impl AdminRequest for GetStatus {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/status";
    type Body = NoBody;
    type Response = StatusReport;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(_: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(GetStatus)
    }
}

/// `GET /v1/migrations`: applied and pending migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListMigrations;

impl AdminRequest for ListMigrations {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/migrations";
    type Body = NoBody;
    type Response = MigrationReport;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(_: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ListMigrations)
    }
}

/// `POST /v1/migrations/apply`: applies what is pending and, if the daemon was waiting for that,
/// opens the public API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyMigrations;

impl AdminRequest for ApplyMigrations {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/migrations/apply";
    type Body = NoBody;
    type Response = MigrationReport;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(_: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ApplyMigrations)
    }
}

/// `GET /v1/audit`: the newest admin actions first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReadAudit {
    /// How many entries (the daemon's default when `None`; it caps the number).
    pub limit: Option<u32>,
}

impl AdminRequest for ReadAudit {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/audit";
    type Body = NoBody;
    type Response = AuditLog;

    fn path(&self) -> String {
        with_query(
            Self::ROUTE.to_owned(),
            &[("limit", self.limit.map(|n| n.to_string()))],
        )
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ReadAudit {
            limit: params.query("limit")?,
        })
    }
}

/// `POST /v1/backup`: an online copy of the embedded database, written by the daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteBackup {
    /// Absolute path of the file to write, as seen by the daemon; must not exist yet.
    pub path: String,
}

impl AdminRequest for WriteBackup {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/backup";
    type Body = WriteBackup;
    type Response = BackupOutcome;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&WriteBackup> {
        Some(self)
    }
    fn from_parts(_: &RouteParams, body: Option<WriteBackup>) -> Result<Self, RequestError> {
        body.ok_or(RequestError::MissingBody)
    }
}
