//! Messages in PostgreSQL (`PgChatStore`).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::types::Json;

use super::chat::PgChatStore;
use crate::domain::{ConversationId, HistoryPage, Message, MessageId};
use crate::store::StoreError;
use crate::store::chat::MessageStore;
use crate::store::rows::MessageRow;

#[async_trait]
impl MessageStore for PgChatStore {
    /// Stores `message` and makes it its conversation's newest, unless its client id was seen.
    async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        if let Some(existing) = self.find_by_client_id(&message).await? {
            return Ok((existing, false));
        }
        let mut tx = self.pool.begin().await?;
        let inserted: Result<MessageRow, sqlx::Error> = sqlx::query_as(
            "INSERT INTO messages (conversation_id, message_id, message_ts, sender_id, recipient_id, content, media_urls,
                                   message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, client_msg_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *",
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
        .fetch_one(&mut *tx)
        .await;
        let row = match inserted.map_err(StoreError::from) {
            Ok(row) => row,
            // A concurrent resend won the race: answer with what it stored.
            Err(StoreError::Conflict { .. }) if message.client_msg_id.is_some() => {
                drop(tx);
                let existing = self
                    .find_by_client_id(&message)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                return Ok((existing, false));
            }
            Err(e) => return Err(e),
        };
        sqlx::query(
            "UPDATE conversations SET last_message_id = $2, last_message_ts = $3, updated_at = $4
             WHERE conversation_id = $1 AND COALESCE(last_message_ts, 0) <= $3",
        )
        .bind(message.conversation_id.to_string())
        .bind(message.message_id.to_string())
        .bind(message.message_id.ticks())
        .bind(message.timestamp)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((row.try_into()?, true))
    }

    /// One message.
    async fn get(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let row: Option<MessageRow> =
            sqlx::query_as("SELECT * FROM messages WHERE conversation_id = $1 AND message_id = $2")
                .bind(conversation.to_string())
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(Message::try_from).transpose()
    }

    /// A page of history.
    async fn history(
        &self,
        conversation: ConversationId,
        page: HistoryPage,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let (condition, order, cursor) = match page {
            HistoryPage::Latest => ("1 = 1", "DESC", None),
            HistoryPage::Before(id) => ("(message_ts, message_id) < ($3, $4)", "DESC", Some(id)),
            HistoryPage::After(id) => ("(message_ts, message_id) > ($3, $4)", "ASC", Some(id)),
        };
        let sql = format!(
            "SELECT * FROM messages WHERE conversation_id = $1 AND {condition}
             ORDER BY message_ts {order}, message_id {order} LIMIT $2"
        );
        let mut query = sqlx::query_as(&sql)
            .bind(conversation.to_string())
            .bind(i64::from(limit));
        if let Some(id) = cursor {
            query = query.bind(id.ticks()).bind(id.to_string());
        }
        let rows: Vec<MessageRow> = query.fetch_all(&self.pool).await?;
        rows.into_iter().map(Message::try_from).collect()
    }

    /// Replaces the content and marks the message edited.
    async fn edit(
        &self,
        conversation: ConversationId,
        id: MessageId,
        content: &str,
    ) -> Result<Message, StoreError> {
        let row: MessageRow = sqlx::query_as(
            "UPDATE messages SET content = $3, edited = TRUE, edited_timestamp = $4
             WHERE conversation_id = $1 AND message_id = $2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .bind(content)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }

    /// Soft-deletes: clears content, media and metadata, keeps the row.
    async fn delete(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Message, StoreError> {
        let row: MessageRow = sqlx::query_as(
            "UPDATE messages SET content = '', media_urls = '[]', metadata = '{}', deleted = TRUE
             WHERE conversation_id = $1 AND message_id = $2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }
}

impl PgChatStore {
    async fn find_by_client_id(&self, message: &Message) -> Result<Option<Message>, StoreError> {
        let Some(client_id) = &message.client_msg_id else {
            return Ok(None);
        };
        let row: Option<MessageRow> =
            sqlx::query_as("SELECT * FROM messages WHERE sender_id = $1 AND client_msg_id = $2")
                .bind(message.sender_id.0)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(Message::try_from).transpose()
    }
}
