//! Messages on ScyllaDB: appends with an idempotent client id, history across buckets, edits
//! and soft deletes. docs/scylla.md lists the statements each call makes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::Utc;
use scylla::value::{CqlTimestamp, CqlTimeuuid, CqlValue, Row};
use uuid::Uuid;

use super::queries::{
    ADVANCE_LAST_MESSAGE, CLAIM_CLIENT_ID, EDIT_MESSAGE, HISTORY_AFTER, HISTORY_ASC,
    HISTORY_BEFORE, HISTORY_DESC, INSERT_MESSAGE, SELECT_MESSAGE, SET_MESSAGE_METADATA,
    SOFT_DELETE_MESSAGE,
};
use super::rows::{MessageRow, stored};
use super::session::ScyllaError;
use super::store::{ScyllaStore, message_id, timestamp, timeuuid, write_time_micros};
use super::walk::{ConversationSpan, Direction, HistoryWalk};
use crate::domain::{ConversationId, HistoryPage, Message, MessageId};
use crate::store::StoreError;
use crate::store::chat::{ConversationStore, MessageStore};

/// How many more times a resend looks for the message the winning send is writing, and how
/// long it waits between looks: a claim and the write after it are two round trips apart.
const RESEND_LOOKUPS: u32 = 5;
const RESEND_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// A `messages` row as the driver reads it, columns in table order.
pub(super) type MessageTuple = (
    Uuid,
    i32,
    CqlTimeuuid,
    i64,
    Option<i64>,
    Option<String>,
    Option<Vec<String>>,
    Option<String>,
    Option<String>,
    Option<CqlTimestamp>,
    Option<bool>,
    Option<CqlTimestamp>,
    Option<bool>,
    Option<BTreeMap<String, String>>,
    Option<String>,
);

/// The row the driver read, as the store's row type.
pub(super) fn message_row(t: MessageTuple) -> MessageRow {
    MessageRow {
        conversation_id: t.0,
        bucket: t.1,
        message_id: Uuid::from(t.2),
        sender_id: t.3,
        recipient_id: t.4,
        content: t.5,
        media_urls: t.6,
        message_type: t.7,
        status: t.8,
        timestamp_ms: t.9.map(|at| at.0),
        edited: t.10,
        edited_timestamp_ms: t.11.map(|at| at.0),
        deleted: t.12,
        metadata: t.13,
        client_msg_id: t.14,
    }
}

impl ScyllaStore {
    /// Writes the message row (an upsert: rewriting the same message is harmless).
    async fn insert_message(&self, message: &Message) -> Result<(), ScyllaError> {
        let row = MessageRow::from_message(message, self.buckets);
        let values = (
            row.conversation_id,
            row.bucket,
            CqlTimeuuid::from(row.message_id),
            row.sender_id,
            row.recipient_id,
            row.content,
            row.media_urls,
            row.message_type,
            row.status,
            row.timestamp_ms.map(CqlTimestamp),
            row.edited,
            row.edited_timestamp_ms.map(CqlTimestamp),
            row.deleted,
            row.metadata,
            row.client_msg_id,
        );
        self.write(INSERT_MESSAGE, values).await
    }

    /// Moves the conversation's pointer to `message` unless a newer one is there: the write
    /// carries the message's own time as its timestamp (docs/scylla.md).
    async fn advance_pointer(&self, message: &Message) -> Result<(), ScyllaError> {
        self.write(
            ADVANCE_LAST_MESSAGE,
            (
                write_time_micros(message.message_id),
                timeuuid(message.message_id),
                timestamp(message.timestamp),
                message.conversation_id.0,
            ),
        )
        .await
    }

    /// Claims `(sender, client id)` for `message`; `None` when this send won, else the
    /// `(conversation, message)` stored by the send that did.
    async fn claim_client_id(
        &self,
        message: &Message,
        client_id: &str,
    ) -> Result<Option<(ConversationId, MessageId)>, ScyllaError> {
        let result = self
            .session
            .execute_unpaged(
                self.prepared.get(CLAIM_CLIENT_ID)?,
                (
                    message.sender_id.0,
                    client_id,
                    message.conversation_id.0,
                    timeuuid(message.message_id),
                ),
            )
            .await
            .map_err(|err| ScyllaError::request("claiming a client_msg_id", err))?
            .into_rows_result()
            .map_err(|err| ScyllaError::request("claiming a client_msg_id", err))?;
        // An LWT answers `[applied]` and, when not applied, the existing row's columns.
        let specs = result.column_specs();
        let column = |name: &str| specs.get_by_name(name).map(|(at, _)| at);
        let row: Row = result
            .first_row()
            .map_err(|err| ScyllaError::request("claiming a client_msg_id", err))?;
        let value = |at: Option<usize>| at.and_then(|at| row.columns.get(at).cloned().flatten());
        match value(column("[applied]")) {
            Some(CqlValue::Boolean(true)) => return Ok(None),
            Some(CqlValue::Boolean(false)) => {}
            other => {
                return Err(ScyllaError::Answer {
                    what: format!("[applied] {other:?} from a lightweight transaction"),
                });
            }
        }
        match (
            value(column("conversation_id")),
            value(column("message_id")),
        ) {
            (Some(CqlValue::Uuid(conversation)), Some(CqlValue::Timeuuid(id))) => {
                Ok(Some((ConversationId(conversation), message_id(id))))
            }
            other => Err(ScyllaError::Answer {
                what: format!("client id row {other:?}"),
            }),
        }
    }

    /// The answer to a send whose client id another send claimed first: the message stored
    /// under `(conversation, id)`. The winner may still be between its claim and its write, so
    /// the message is looked for a few times; if it never appears (the winner crashed), it is
    /// the same send, and is written here under the claimed id, so that the client id stays
    /// usable. Not new either way.
    async fn answer_resend(
        &self,
        message: Message,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<(Message, bool), StoreError> {
        for attempt in 0..=RESEND_LOOKUPS {
            if let Some(existing) = MessageStore::get(self, conversation, id).await? {
                return Ok((existing, false));
            }
            if attempt < RESEND_LOOKUPS {
                tokio::time::sleep(RESEND_WAIT).await;
            }
        }
        let claimed = Message {
            conversation_id: conversation,
            message_id: id,
            ..message
        };
        self.insert_message(&claimed).await?;
        self.advance_pointer(&claimed).await?;
        Ok((stored(&claimed, self.buckets)?, false))
    }

    /// The conversation's span for a history walk; `None` when it does not exist.
    async fn span(&self, id: ConversationId) -> Result<Option<ConversationSpan>, StoreError> {
        Ok(ConversationStore::get(self, id)
            .await?
            .map(|conversation| ConversationSpan {
                created_at: conversation.created_at,
                newest: conversation.last_message_id,
            }))
    }
}

#[async_trait]
impl MessageStore for ScyllaStore {
    /// Stores `message` and makes it its conversation's newest, unless its client id was seen.
    async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        if let Some(client_id) = message.client_msg_id.clone() {
            if let Some((conversation, id)) = self.claim_client_id(&message, &client_id).await? {
                return self.answer_resend(message, conversation, id).await;
            }
        } else if MessageStore::get(self, message.conversation_id, message.message_id)
            .await?
            .is_some()
        {
            // A second message under a stored TimeUUID is a bug upstream: refused, never an
            // overwrite (an INSERT is an upsert). One single-row read, in the partition the
            // write goes to; a claimed client id needs no such read, its id is fresh.
            return Err(StoreError::Conflict {
                field: "message_id",
            });
        }
        self.insert_message(&message).await?;
        self.advance_pointer(&message).await?;
        Ok((stored(&message, self.buckets)?, true))
    }

    /// One message.
    async fn get(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let bucket = self.buckets.of_message(id);
        let row: Option<MessageTuple> = self
            .row(SELECT_MESSAGE, (conversation.0, bucket.0, timeuuid(id)))
            .await?;
        row.map(|row| Message::try_from(message_row(row)))
            .transpose()
    }

    /// A page of history, one bucket at a time (see `walk.rs`).
    async fn history(
        &self,
        conversation: ConversationId,
        page: HistoryPage,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let Some(span) = self.span(conversation).await? else {
            return Ok(Vec::new());
        };
        let mut walk = HistoryWalk::plan(page, limit, self.buckets, span);
        let mut messages = Vec::new();
        while let Some(read) = walk.next_read() {
            let key = (conversation.0, read.bucket.0);
            let max = read.limit as usize;
            let limit = i32::try_from(read.limit).unwrap_or(i32::MAX);
            let rows: Vec<MessageTuple> = match (read.direction, read.cursor) {
                (Direction::NewestFirst, None) => {
                    self.rows(HISTORY_DESC, (key.0, key.1, limit), max).await?
                }
                (Direction::NewestFirst, Some(id)) => {
                    let values = (key.0, key.1, timeuuid(id), limit);
                    self.rows(HISTORY_BEFORE, values, max).await?
                }
                (Direction::OldestFirst, None) => {
                    self.rows(HISTORY_ASC, (key.0, key.1, limit), max).await?
                }
                (Direction::OldestFirst, Some(id)) => {
                    let values = (key.0, key.1, timeuuid(id), limit);
                    self.rows(HISTORY_AFTER, values, max).await?
                }
            };
            walk.record(u32::try_from(rows.len()).unwrap_or(u32::MAX));
            for row in rows {
                messages.push(Message::try_from(message_row(row))?);
            }
        }
        Ok(messages)
    }

    /// Replaces the content and marks the message edited.
    async fn edit(
        &self,
        conversation: ConversationId,
        id: MessageId,
        content: &str,
    ) -> Result<Message, StoreError> {
        // Read first: an UPDATE of a missing row would create one.
        let message = MessageStore::get(self, conversation, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let now = Utc::now();
        let bucket = self.buckets.of_message(id);
        self.write(
            EDIT_MESSAGE,
            (
                content,
                timestamp(now),
                conversation.0,
                bucket.0,
                timeuuid(id),
            ),
        )
        .await?;
        let edited = Message {
            content: content.to_owned(),
            edited: true,
            edited_timestamp: Some(now),
            ..message
        };
        Ok(stored(&edited, self.buckets)?)
    }

    /// Replaces the metadata, leaving content and the edited mark alone.
    async fn set_metadata(
        &self,
        conversation: ConversationId,
        id: MessageId,
        metadata: &BTreeMap<String, String>,
    ) -> Result<Message, StoreError> {
        // Read first: an UPDATE of a missing row would create one.
        let message = MessageStore::get(self, conversation, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let bucket = self.buckets.of_message(id);
        self.write(
            SET_MESSAGE_METADATA,
            (metadata.clone(), conversation.0, bucket.0, timeuuid(id)),
        )
        .await?;
        let updated = Message {
            metadata: metadata.clone(),
            ..message
        };
        Ok(stored(&updated, self.buckets)?)
    }

    /// Soft-deletes: clears content, media and metadata, keeps the row.
    async fn delete(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Message, StoreError> {
        let message = MessageStore::get(self, conversation, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let bucket = self.buckets.of_message(id);
        let empty_media: Vec<String> = Vec::new();
        let empty_metadata: BTreeMap<String, String> = BTreeMap::new();
        self.write(
            SOFT_DELETE_MESSAGE,
            (
                "",
                empty_media,
                empty_metadata,
                conversation.0,
                bucket.0,
                timeuuid(id),
            ),
        )
        .await?;
        let deleted = Message {
            content: String::new(),
            media_urls: Vec::new(),
            metadata: BTreeMap::new(),
            deleted: true,
            ..message
        };
        Ok(stored(&deleted, self.buckets)?)
    }
}
