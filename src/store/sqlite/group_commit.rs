//! Group commit for message appends on SQLite.
//!
//! With `synchronous = FULL` every commit waits for an fsync, so one transaction per message caps
//! a disk at a few thousand acknowledged sends per second, and SQLite serialises writers anyway.
//! One writer task takes every append waiting in its queue, writes them all in one transaction and
//! commits once: the same durability (nothing is acknowledged before its commit), with the fsync
//! shared by the whole batch. There is no artificial delay: a batch is whatever queued while the
//! previous commit was running, so a lone message is written at once.

use sqlx::types::Json;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::domain::Message;
use crate::store::StoreError;
use crate::store::rows::MessageRow;

/// Appends taken into one transaction at most.
const MAX_BATCH: usize = 512;
/// Appends that may wait for the writer before senders wait for room (backpressure).
const QUEUE: usize = 16 * 1024;

type Reply = oneshot::Sender<Result<(Message, bool), StoreError>>;

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub(super) struct MessageWriter {
    queue: mpsc::Sender<(Message, Reply)>,
}

impl MessageWriter {
    /// Starts the writer task on `pool`; it ends when every handle is dropped.
    pub(super) fn start(pool: SqlitePool) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, pending));
        Self { queue }
    }

    /// Stores `message` (see `MessageStore::append`) and answers once it is committed.
    pub(super) async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Setup("the message writer has stopped".into());
        self.queue
            .send((message, reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(pool: SqlitePool, mut pending: mpsc::Receiver<(Message, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let messages: Vec<Message> = batch.iter().map(|(m, _)| m.clone()).collect();
        match write(&pool, &messages).await {
            Ok(results) => {
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // One bad message must not fail its neighbours: retry each on its own.
            Err(_) => {
                for (message, reply) in batch.drain(..) {
                    let result = write(&pool, std::slice::from_ref(&message))
                        .await
                        .map(|mut r| r.remove(0));
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Writes `messages` in one transaction; each result says whether it was new.
async fn write(
    pool: &SqlitePool,
    messages: &[Message],
) -> Result<Vec<(Message, bool)>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        let result = match insert(&mut tx, message).await? {
            Some(stored) => (stored, true),
            // Its (sender, client_msg_id) is taken: by an earlier send, or earlier in this very
            // batch (the transaction sees its own writes). Answer with the stored message.
            None => (
                find_by_client_id(&mut tx, message)
                    .await?
                    .ok_or(StoreError::NotFound)?,
                false,
            ),
        };
        results.push(result);
    }
    tx.commit().await?;
    Ok(results)
}

async fn find_by_client_id(
    conn: &mut SqliteConnection,
    message: &Message,
) -> Result<Option<Message>, StoreError> {
    let Some(client_id) = &message.client_msg_id else {
        return Ok(None);
    };
    let row: Option<MessageRow> =
        sqlx::query_as("SELECT * FROM messages WHERE sender_id = ?1 AND client_msg_id = ?2")
            .bind(message.sender_id.0)
            .bind(client_id)
            .fetch_optional(conn)
            .await?;
    row.map(Message::try_from).transpose()
}

/// Inserts the message and makes it its conversation's newest; `None` when its client id was
/// already used by its sender (one statement in the common case, no read before the write).
async fn insert(
    conn: &mut SqliteConnection,
    message: &Message,
) -> Result<Option<Message>, StoreError> {
    let row: Option<MessageRow> = sqlx::query_as(
        "INSERT INTO messages (conversation_id, message_id, message_ts, sender_id, recipient_id, content, media_urls,
                               message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, client_msg_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT DO NOTHING RETURNING *",
    )
    .bind(message.conversation_id.to_string())
    .bind(message.message_id.to_string())
    .bind(message.message_id.ticks())
    .bind(message.sender_id.0)
    .bind(message.recipient_id.map(|u| u.0))
    .bind(&message.content)
    .bind(Json(&message.media_urls))
    .bind(message.message_type.as_str())
    .bind(&message.status)
    .bind(message.timestamp)
    .bind(message.edited)
    .bind(message.edited_timestamp)
    .bind(message.deleted)
    .bind(Json(&message.metadata))
    .bind(&message.client_msg_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE conversations SET last_message_id = ?2, last_message_ts = ?3, updated_at = ?4
         WHERE conversation_id = ?1 AND COALESCE(last_message_ts, 0) <= ?3",
    )
    .bind(message.conversation_id.to_string())
    .bind(message.message_id.to_string())
    .bind(message.message_id.ticks())
    .bind(message.timestamp)
    .execute(&mut *conn)
    .await?;
    row.try_into().map(Some)
}
