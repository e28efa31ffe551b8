//! The administrators' audit trail.

use async_trait::async_trait;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::AuditRow;
use crate::store::StoreError;
use crate::store::audit::{AuditRecord, AuditStore};

#[async_trait]
impl<DB: SqlEngine> AuditStore for SqlStore<DB> {
    /// Appends one record to the audit trail.
    async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        query(
            "INSERT INTO admin_audit (at, uid, username, action, status, outcome)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.at)
        .bind(i64::from(record.uid))
        .bind(record.username.as_deref())
        .bind(record.action.as_str())
        .bind(i64::from(record.status))
        .bind(record.outcome.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` records, newest first.
    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let rows: Vec<AuditRow> = query("SELECT * FROM admin_audit ORDER BY id DESC LIMIT $1")
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(AuditRow::into).collect())
    }
}
