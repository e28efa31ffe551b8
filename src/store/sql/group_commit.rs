//! Group commit for message appends on the embedded engine: one writer thread, one connection.
//!
//! With `synchronous = FULL` every commit waits for an fsync, so one transaction per message caps
//! a disk at a few thousand acknowledged sends per second, and SQLite serialises writers anyway.
//! The writer takes every append waiting in its queue, writes them all in one transaction and
//! commits once: the same durability (nothing is acknowledged before its commit), with the fsync
//! shared by the whole batch. There is no artificial delay: a batch is whatever queued while the
//! previous commit ran, so a lone message is written at once.
//!
//! The writer is a plain thread with its own connection rather than a task on sqlx's pool: sqlx
//! runs each statement on a connection's worker thread, two thread hand-offs per statement, and
//! at a moderate steady rate (small batches) those hand-offs, not SQLite, were most of the CPU a
//! message cost (BENCHMARKS.md, issue 14). Here a batch costs one wake-up of this thread, and
//! the connection's statement and page caches stay warm because nothing else uses it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, params};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

use super::appends::BY_CLIENT_ID;
use super::query::query;
use super::rows::MessageRow;
use crate::domain::{ConversationId, Message};
use crate::store::StoreError;

/// Appends taken into one transaction at most.
const MAX_BATCH: usize = 512;
/// Appends that may wait for the writer before senders wait for room (backpressure).
const QUEUE: usize = 16 * 1024;

/// What the writer did with one message.
enum Written {
    /// Stored: the message is as the caller sent it.
    Stored(Message),
    /// Its sender had already stored its `client_msg_id` (earlier, or earlier in this batch).
    Resent(Message),
}

type Reply = oneshot::Sender<Result<Written, StoreError>>;

// Every job but the last is an append: boxing it would add an allocation per message.
#[allow(clippy::large_enum_variant)]
enum Job {
    Append(Message, Reply),
    /// Finish what is queued before it, close the connection, stop.
    Close(oneshot::Sender<()>),
}

/// Handle to the writer thread; cheap to clone.
#[derive(Clone)]
pub struct MessageWriter {
    queue: mpsc::Sender<Job>,
    /// For reading back the stored message of a resent `client_msg_id`.
    pool: SqlitePool,
}

impl MessageWriter {
    /// Opens the writer's own connection to the database file at `path` and starts its thread;
    /// the thread ends when every handle is dropped or [`close`](Self::close) is called.
    pub(crate) fn start(
        path: &Path,
        busy_timeout: Duration,
        pool: SqlitePool,
    ) -> Result<Self, StoreError> {
        let connection = open(path, busy_timeout)?;
        let (queue, pending) = mpsc::channel(QUEUE);
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(connection, &path, pending))
            .map_err(|e| {
                StoreError::Setup(format!("cannot start the SQLite writer thread: {e}"))
            })?;
        Ok(Self { queue, pool })
    }

    /// Stores `message` (see `MessageStore::append`) and answers once it is committed.
    pub(crate) async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Append(message, reply))
            .await
            .map_err(|_| stopped())?;
        match answer.await.map_err(|_| stopped())?? {
            Written::Stored(message) => Ok((message, true)),
            Written::Resent(message) => {
                let row: Option<MessageRow> = query(BY_CLIENT_ID)
                    .bind(message.sender_id.0)
                    .bind(message.client_msg_id.as_deref())
                    .fetch_optional(&self.pool)
                    .await?;
                let stored = row.ok_or(StoreError::NotFound)?;
                Ok((Message::try_from(stored)?, false))
            }
        }
    }

    /// Writes what is queued, then closes the connection; appends after this fail.
    pub(crate) async fn close(&self) {
        let (done, finished) = oneshot::channel();
        if self.queue.send(Job::Close(done)).await.is_ok() {
            let _ = finished.await;
        }
    }
}

fn stopped() -> StoreError {
    StoreError::Setup("the SQLite message writer has stopped (the database is closing)".into())
}

fn open(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let fail = |e: rusqlite::Error| {
        StoreError::Setup(format!(
            "cannot open SQLite database {} for the message writer: {e}",
            path.display()
        ))
    };
    let connection = Connection::open(path).map_err(fail)?;
    connection.busy_timeout(busy_timeout).map_err(fail)?;
    // The same promises as the pool's connections (`sqlite::connect`): a commit survives power
    // loss, and references hold.
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(fail)?;
    connection
        .pragma_update(None, "foreign_keys", true)
        .map_err(fail)?;
    Ok(connection)
}

fn run(connection: Connection, path: &Path, mut pending: mpsc::Receiver<Job>) {
    let mut batch: Vec<(Message, Reply)> = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = pending.blocking_recv() {
        let mut closing = None;
        let mut next = Some(job);
        while let Some(job) = next.take() {
            match job {
                Job::Append(message, reply) => batch.push((message, reply)),
                Job::Close(done) => {
                    closing = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = pending.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            commit(&connection, path, &mut batch);
        }
        if let Some(done) = closing {
            drop(connection);
            let _ = done.send(());
            return;
        }
    }
}

/// Writes `batch` in one transaction and answers every sender; if the batch fails, each
/// message is retried on its own so that one bad message does not fail its neighbours.
fn commit(connection: &Connection, path: &Path, batch: &mut Vec<(Message, Reply)>) {
    let messages: Vec<&Message> = batch.iter().map(|(m, _)| m).collect();
    match write(connection, &messages) {
        Ok(stored) => {
            for ((message, reply), stored) in batch.drain(..).zip(stored) {
                let written = if stored {
                    Written::Stored(message)
                } else {
                    Written::Resent(message)
                };
                let _ = reply.send(Ok(written));
            }
        }
        Err(_) => {
            for (message, reply) in batch.drain(..) {
                let answer = match write(connection, &[&message]) {
                    Ok(stored) if stored[0] => Ok(Written::Stored(message)),
                    Ok(_) => Ok(Written::Resent(message)),
                    Err(e) => {
                        tracing::error!(
                            error = %e,
                            database = %path.display(),
                            "storing a message failed"
                        );
                        Err(StoreError::Embedded(e))
                    }
                };
                let _ = reply.send(answer);
            }
        }
    }
}

/// One transaction: every message whose `client_msg_id` is unused is inserted, and each
/// conversation's newest inserted message becomes its last message (never moving it back).
/// Says for each message whether it was inserted.
fn write(connection: &Connection, messages: &[&Message]) -> rusqlite::Result<Vec<bool>> {
    let tx = Immediate::begin(connection)?;
    let mut stored = Vec::with_capacity(messages.len());
    {
        // One prepared statement run once per message: without a thread hop per statement, a
        // multi-row INSERT would save nothing and cost a new statement per batch size.
        let mut insert = tx.prepare_cached(
            "INSERT INTO messages (conversation_id, message_id, message_ts, sender_id, recipient_id,
                                   content, media_urls, message_type, status, timestamp, edited,
                                   edited_timestamp, deleted, metadata, client_msg_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT DO NOTHING",
        )?;
        for m in messages {
            let inserted = insert.execute(params![
                m.conversation_id.to_string(),
                m.message_id.to_string(),
                m.message_id.ticks(),
                m.sender_id.0,
                m.recipient_id.map(|u| u.0),
                m.content,
                json(&m.media_urls)?,
                m.message_type.as_str(),
                m.status,
                text(&m.timestamp),
                m.edited,
                m.edited_timestamp.as_ref().map(text),
                m.deleted,
                json(&m.metadata)?,
                m.client_msg_id,
            ])?;
            stored.push(inserted == 1);
        }
        let mut newest: HashMap<ConversationId, &Message> = HashMap::new();
        for (m, _) in messages.iter().zip(&stored).filter(|(_, s)| **s) {
            let entry = newest.entry(m.conversation_id).or_insert(m);
            if m.message_id.ticks() > entry.message_id.ticks() {
                *entry = m;
            }
        }
        let mut advance = tx.prepare_cached(
            "UPDATE conversations SET last_message_id = ?2, last_message_ts = ?3, updated_at = ?4
             WHERE conversation_id = ?1 AND COALESCE(last_message_ts, 0) <= ?3",
        )?;
        for m in newest.values() {
            advance.execute(params![
                m.conversation_id.to_string(),
                m.message_id.to_string(),
                m.message_id.ticks(),
                text(&m.timestamp),
            ])?;
        }
    }
    tx.commit()?;
    Ok(stored)
}

/// A `BEGIN IMMEDIATE` transaction whose statements are prepared once for the connection's
/// life: rusqlite's own transaction parses `BEGIN` and `COMMIT` again for every batch, 7 % of
/// the writer's CPU at 2,000 msgs/s (BENCHMARKS.md). Rolled back unless committed.
struct Immediate<'c> {
    connection: &'c Connection,
    open: bool,
}

impl<'c> Immediate<'c> {
    fn begin(connection: &'c Connection) -> rusqlite::Result<Self> {
        connection.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Self {
            connection,
            open: true,
        })
    }

    fn commit(mut self) -> rusqlite::Result<()> {
        self.connection.prepare_cached("COMMIT")?.execute([])?;
        self.open = false;
        Ok(())
    }
}

impl std::ops::Deref for Immediate<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.connection
    }
}

impl Drop for Immediate<'_> {
    fn drop(&mut self) {
        // A failed statement or COMMIT leaves the transaction open (or already rolled back, when
        // SQLite ended it itself): the batch is answered or retried from a clean state.
        if self.open && !self.connection.is_autocommit() {
            let _ = self
                .connection
                .prepare_cached("ROLLBACK")
                .and_then(|mut rollback| rollback.execute([]));
        }
    }
}

/// A time as sqlx writes it to SQLite, so rows from both connections read back alike.
fn text(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// JSON as sqlx's `Json` writes it to SQLite (text).
fn json(value: &impl serde::Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(connection: &Connection) -> i64 {
        connection
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn a_transaction_keeps_what_it_commits_and_rolls_back_the_rest() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY)")
            .unwrap();

        let tx = Immediate::begin(&connection).unwrap();
        tx.execute("INSERT INTO t VALUES (1)", []).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&connection), 1);

        let tx = Immediate::begin(&connection).unwrap();
        tx.execute("INSERT INTO t VALUES (2)", []).unwrap();
        assert!(
            tx.execute("INSERT INTO t VALUES (1)", []).is_err(),
            "a duplicate fails"
        );
        drop(tx);
        assert!(connection.is_autocommit(), "rolled back, not left open");
        assert_eq!(count(&connection), 1, "the uncommitted row is gone");

        // The cached statements work again for the next batch.
        let tx = Immediate::begin(&connection).unwrap();
        tx.execute("INSERT INTO t VALUES (3)", []).unwrap();
        tx.commit().unwrap();
        assert_eq!(count(&connection), 2);
    }
}
