//! Group commit for message appends on SQLite.
//!
//! With `synchronous = FULL` every commit waits for an fsync, so one transaction per message caps
//! a disk at a few thousand acknowledged sends per second, and SQLite serialises writers anyway.
//! One writer task takes every append waiting in its queue, writes them all in one transaction and
//! commits once: the same durability (nothing is acknowledged before its commit), with the fsync
//! shared by the whole batch. There is no artificial delay: a batch is whatever queued while the
//! previous commit was running, so a lone message is written at once.

use sqlx::types::Json;
use std::collections::HashMap;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::domain::{ConversationId, Message, MessageId};
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
///
/// Every statement is a round trip to sqlx's SQLite worker thread, and those hand-offs, not SQLite,
/// were most of the cost of a send (BENCHMARKS.md). So the whole batch is one multi-row INSERT and
/// one UPDATE of the conversations' newest message; only a resent `client_msg_id` costs a read.
async fn write(
    pool: &SqlitePool,
    messages: &[Message],
) -> Result<Vec<(Message, bool)>, StoreError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let inserted = insert_all(&mut tx, messages).await?;
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        let result = match inserted.get(&message.message_id) {
            Some(stored) => (stored.clone(), true),
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
    advance_conversations(&mut tx, inserted.values()).await?;
    tx.commit().await?;
    Ok(results)
}

/// Inserts every message whose client id is unused; returns the stored ones by id.
async fn insert_all(
    conn: &mut SqliteConnection,
    messages: &[Message],
) -> Result<HashMap<MessageId, Message>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "INSERT INTO messages (conversation_id, message_id, message_ts, sender_id, recipient_id, content, media_urls,
                               message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, client_msg_id) ",
    );
    query.push_values(messages, |mut row, m| {
        row.push_bind(m.conversation_id.to_string())
            .push_bind(m.message_id.to_string())
            .push_bind(m.message_id.ticks())
            .push_bind(m.sender_id.0)
            .push_bind(m.recipient_id.map(|u| u.0))
            .push_bind(m.content.clone())
            .push_bind(Json(m.media_urls.clone()))
            .push_bind(m.message_type.as_str())
            .push_bind(m.status.clone())
            .push_bind(m.timestamp)
            .push_bind(m.edited)
            .push_bind(m.edited_timestamp)
            .push_bind(m.deleted)
            .push_bind(Json(m.metadata.clone()))
            .push_bind(m.client_msg_id.clone());
    });
    query.push(" ON CONFLICT DO NOTHING RETURNING *");
    let rows: Vec<MessageRow> = query.build_query_as().fetch_all(&mut *conn).await?;
    let mut stored = HashMap::with_capacity(rows.len());
    for row in rows {
        let message = Message::try_from(row)?;
        stored.insert(message.message_id, message);
    }
    Ok(stored)
}

/// Makes each conversation's newest inserted message its last message (never moving it back).
async fn advance_conversations<'a>(
    conn: &mut SqliteConnection,
    inserted: impl Iterator<Item = &'a Message>,
) -> Result<(), StoreError> {
    let mut newest: HashMap<ConversationId, &Message> = HashMap::new();
    for message in inserted {
        let entry = newest.entry(message.conversation_id).or_insert(message);
        if message.message_id.ticks() > entry.message_id.ticks() {
            *entry = message;
        }
    }
    if newest.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::<Sqlite>::new(
        "UPDATE conversations SET last_message_id = v.column2, last_message_ts = v.column3, updated_at = v.column4 FROM (",
    );
    query.push_values(newest.values(), |mut row, m| {
        row.push_bind(m.conversation_id.to_string())
            .push_bind(m.message_id.to_string())
            .push_bind(m.message_id.ticks())
            .push_bind(m.timestamp);
    });
    query.push(
        ") AS v WHERE conversations.conversation_id = v.column1
           AND COALESCE(conversations.last_message_ts, 0) <= v.column3",
    );
    query.build().execute(&mut *conn).await?;
    Ok(())
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
