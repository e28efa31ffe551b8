//! Appending messages through the pool, one transaction per append (PostgreSQL; SQLite's appends
//! go through its own writer, `group_commit.rs`).
//!
//! Every statement is a round trip (on SQLite, to sqlx's worker thread), and those hand-offs,
//! not the database, were most of the cost of a send (BENCHMARKS.md). So a batch is one
//! multi-row INSERT and one UPDATE of the conversations' newest message; only a resent
//! `client_msg_id` costs a read.

use std::collections::HashMap;

use sqlx::types::Json;
use sqlx::{Pool, Transaction};

use super::engine::SqlEngine;
use super::query::{query, values};
use super::rows::MessageRow;
use crate::domain::{ConversationId, Message, MessageId};
use crate::store::StoreError;

/// Writes `messages` in one transaction; each result says whether it was new. A message whose
/// sender already stored its `client_msg_id` is answered with the stored one.
pub(super) async fn write<DB: SqlEngine>(
    pool: &Pool<DB>,
    messages: &[Message],
) -> Result<Vec<(Message, bool)>, StoreError> {
    let mut tx = pool.begin_with(DB::BEGIN_WRITE).await?;
    let inserted = insert_all(&mut tx, messages).await?;
    let mut results = Vec::with_capacity(messages.len());
    for message in messages {
        let result = match inserted.get(&message.message_id) {
            Some(stored) => (stored.clone(), true),
            // Its (sender, client_msg_id) is taken: by an earlier send, a concurrent one that
            // committed first, or earlier in this very batch (the transaction sees its own
            // writes). Answer with the stored message.
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

/// Writes one message in its own transaction (see [`write`]).
pub(super) async fn write_one<DB: SqlEngine>(
    pool: &Pool<DB>,
    message: &Message,
) -> Result<(Message, bool), StoreError> {
    let mut written = write(pool, std::slice::from_ref(message)).await?;
    written.pop().ok_or(StoreError::NotFound)
}

/// Inserts every message whose client id is unused; returns the stored ones by id.
async fn insert_all<DB: SqlEngine>(
    tx: &mut Transaction<'_, DB>,
    messages: &[Message],
) -> Result<HashMap<MessageId, Message>, StoreError> {
    let sql = format!(
        "INSERT INTO messages (conversation_id, message_id, message_ts, sender_id, recipient_id, content, media_urls,
                               message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, client_msg_id)
         VALUES {} ON CONFLICT DO NOTHING RETURNING *",
        values(messages.len(), 15)
    );
    let mut statement = query(&sql);
    for m in messages {
        statement = statement
            .bind(m.conversation_id.to_string())
            .bind(m.message_id.to_string())
            .bind(m.message_id.ticks())
            .bind(m.sender_id.0)
            .bind(m.recipient_id.map(|u| u.0))
            .bind(m.content.as_str())
            .bind(Json(m.media_urls.as_slice()))
            .bind(m.message_type.as_str())
            .bind(m.status.as_str())
            .bind(m.timestamp)
            .bind(m.edited)
            .bind(m.edited_timestamp)
            .bind(m.deleted)
            .bind(Json(&m.metadata))
            .bind(m.client_msg_id.as_deref());
    }
    let rows: Vec<MessageRow> = statement.fetch_all(&mut *tx).await?;
    let mut stored = HashMap::with_capacity(rows.len());
    for row in rows {
        let message = Message::try_from(row)?;
        stored.insert(message.message_id, message);
    }
    Ok(stored)
}

/// Makes each conversation's newest inserted message its last message (never moving it back).
async fn advance_conversations<'a, DB: SqlEngine>(
    tx: &mut Transaction<'_, DB>,
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
    // Both engines name the columns of a VALUES list column1, column2, …
    let sql = format!(
        "UPDATE conversations SET last_message_id = v.column2, last_message_ts = v.column3, updated_at = v.column4
         FROM (VALUES {}) AS v
         WHERE conversations.conversation_id = v.column1
           AND COALESCE(conversations.last_message_ts, 0) <= v.column3",
        values(newest.len(), 4)
    );
    let mut statement = query(&sql);
    for m in newest.values() {
        statement = statement
            .bind(m.conversation_id.to_string())
            .bind(m.message_id.to_string())
            .bind(m.message_id.ticks())
            .bind(m.timestamp);
    }
    statement.execute(&mut *tx).await?;
    Ok(())
}

/// The message a sender stored under a `client_msg_id` (`$1` sender, `$2` client id); also read
/// by SQLite's writer (`group_commit.rs`) for a resend.
pub(super) const BY_CLIENT_ID: &str =
    "SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2";

async fn find_by_client_id<DB: SqlEngine>(
    tx: &mut Transaction<'_, DB>,
    message: &Message,
) -> Result<Option<Message>, StoreError> {
    let Some(client_id) = &message.client_msg_id else {
        return Ok(None);
    };
    let row: Option<MessageRow> = query(BY_CLIENT_ID)
        .bind(message.sender_id.0)
        .bind(client_id.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    row.map(Message::try_from).transpose()
}
