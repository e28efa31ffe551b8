//! The administrators' audit trail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// One admin request as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: DateTime<Utc>,
    pub uid: u32,
    pub username: Option<String>,
    pub action: String,
    pub status: u16,
    pub outcome: String,
}

/// The audit trail: appended to by every admin request, read back by `omegactl audit`.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends one record to the audit trail.
    async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// The newest `limit` records, newest first.
    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError>;
}
