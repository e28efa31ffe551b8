//! The ScyllaDB store: one session, its prepared statements, and how rows are read.
//!
//! Reads go through [`ScyllaStore::rows`], which follows the driver's paging state: a single
//! page may come back short of its `LIMIT` (ScyllaDB cuts pages by size and by time spent, e.g.
//! over tombstones of soft-deleted rewrites), and without following the paging state a history
//! page would silently miss rows. Every read is still bounded, by its `LIMIT` or by the caller's
//! `max`, and stays in one partition.

use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use scylla::client::session::Session;
use scylla::deserialize::row::DeserializeRow;
use scylla::response::PagingState;
use scylla::serialize::row::SerializeRow;
use scylla::value::{CqlTimestamp, CqlTimeuuid};
use uuid::Uuid;

use super::bucket::Bucketing;
use super::queries::Prepared;
use super::session::ScyllaError;
use crate::domain::MessageId;
use crate::store::chat::GroupStore;

/// Messages, conversations and per-user conversation state on ScyllaDB; accounts and groups
/// stay in the main database, which `groups` answers from (a summary names its group).
#[derive(Clone)]
pub struct ScyllaStore {
    pub(super) session: Arc<Session>,
    pub(super) prepared: Arc<Prepared>,
    pub(super) buckets: Bucketing,
    pub(super) groups: Arc<dyn GroupStore>,
}

impl ScyllaStore {
    /// Prepares every statement for `keyspace` on `session`.
    pub async fn open(
        session: Arc<Session>,
        keyspace: &str,
        buckets: Bucketing,
        groups: Arc<dyn GroupStore>,
    ) -> Result<Self, ScyllaError> {
        let prepared = Arc::new(Prepared::prepare(&session, keyspace).await?);
        Ok(ScyllaStore {
            session,
            prepared,
            buckets,
            groups,
        })
    }

    /// Runs a write (or any statement whose rows are not wanted).
    pub(super) async fn write(
        &self,
        text: &'static str,
        values: impl SerializeRow,
    ) -> Result<(), ScyllaError> {
        self.session
            .execute_unpaged(self.prepared.get(text)?, values)
            .await
            .map_err(|err| ScyllaError::request("writing", err))?;
        Ok(())
    }

    /// The rows `text` returns, page after page, handing each to `each` until it says stop (or
    /// `max` rows were seen, or the rows end).
    pub(super) async fn each_row<R>(
        &self,
        text: &'static str,
        values: impl SerializeRow,
        max: usize,
        mut each: impl FnMut(R) -> ControlFlow<()>,
    ) -> Result<usize, ScyllaError>
    where
        R: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata>,
    {
        let statement = self.prepared.get(text)?;
        let mut paging = PagingState::start();
        let mut seen = 0;
        loop {
            let (result, next) = self
                .session
                .execute_single_page(statement, &values, paging)
                .await
                .map_err(|err| ScyllaError::request("reading", err))?;
            let rows = result
                .into_rows_result()
                .map_err(|err| ScyllaError::request("reading rows", err))?;
            for row in rows
                .rows::<R>()
                .map_err(|err| ScyllaError::request("decoding rows", err))?
            {
                let row = row.map_err(|err| ScyllaError::request("decoding a row", err))?;
                seen += 1;
                if each(row).is_break() || seen >= max {
                    return Ok(seen);
                }
            }
            match next.into_paging_control_flow() {
                ControlFlow::Continue(state) => paging = state,
                ControlFlow::Break(()) => return Ok(seen),
            }
        }
    }

    /// Up to `max` rows of `text`, in the order the partition returns them.
    pub(super) async fn rows<R>(
        &self,
        text: &'static str,
        values: impl SerializeRow,
        max: usize,
    ) -> Result<Vec<R>, ScyllaError>
    where
        R: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata>,
    {
        let mut out = Vec::new();
        self.each_row(text, values, max, |row| {
            out.push(row);
            ControlFlow::Continue(())
        })
        .await?;
        Ok(out)
    }

    /// The one row of `text`, if any.
    pub(super) async fn row<R>(
        &self,
        text: &'static str,
        values: impl SerializeRow,
    ) -> Result<Option<R>, ScyllaError>
    where
        R: for<'frame, 'metadata> DeserializeRow<'frame, 'metadata>,
    {
        Ok(self.rows(text, values, 1).await?.pop())
    }
}

/// A message id as the driver writes a `timeuuid`.
pub(super) fn timeuuid(id: MessageId) -> CqlTimeuuid {
    CqlTimeuuid::from(id.0)
}

/// A `timeuuid` read back as a message id.
pub(super) fn message_id(id: CqlTimeuuid) -> MessageId {
    MessageId(Uuid::from(id))
}

/// An instant as a CQL `timestamp` (milliseconds).
pub(super) fn timestamp(at: DateTime<Utc>) -> CqlTimestamp {
    CqlTimestamp(at.timestamp_millis())
}

/// A CQL `timestamp` read back; `column` names it when the value is out of range.
pub(super) fn instant(at: CqlTimestamp, column: &str) -> Result<DateTime<Utc>, ScyllaError> {
    DateTime::from_timestamp_millis(at.0).ok_or_else(|| ScyllaError::Answer {
        what: format!("value {} in {column}", at.0),
    })
}

/// The write timestamp (µs since the Unix epoch) of a pointer or marker to `id`: its own time,
/// so the cell holding the newest id wins whatever order writes arrive in.
pub(super) fn write_time_micros(id: MessageId) -> i64 {
    let ticks = super::timeuuid::gregorian_ticks(&id.0) - super::timeuuid::GREGORIAN_TO_UNIX_TICKS;
    ticks.div_euclid(10)
}

#[cfg(test)]
mod tests {
    use super::super::timeuuid::tests::id_at;
    use super::*;

    #[test]
    fn a_pointer_is_written_at_its_message_s_own_microsecond() {
        let id = id_at(1_764_000_123_456_789_100, 5, [2; 6]);
        assert_eq!(write_time_micros(id), 1_764_000_123_456_789);
        let later = id_at(1_764_000_123_456_790_000, 0, [0; 6]);
        assert!(write_time_micros(later) > write_time_micros(id));
    }

    #[test]
    fn ids_and_times_cross_the_driver_unchanged_to_the_millisecond() {
        let id = MessageId::now();
        assert_eq!(message_id(timeuuid(id)), id);
        let at = DateTime::from_timestamp_millis(1_764_000_123_456).unwrap();
        assert_eq!(instant(timestamp(at), "t").unwrap(), at);
        assert!(instant(CqlTimestamp(i64::MAX), "messages.timestamp").is_err());
    }
}
