//! Messages.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::types::Json;

use super::SqlStore;
use super::appends;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::MessageRow;
use crate::domain::{ConversationId, HistoryPage, Message, MessageId};
use crate::store::StoreError;
use crate::store::chat::MessageStore;

#[async_trait]
impl<DB: SqlEngine> MessageStore for SqlStore<DB> {
    /// Stores `message` and makes it its conversation's newest, unless its client id was seen.
    async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        match &self.writer {
            // Batched with concurrent appends into one commit: see `group_commit`.
            Some(writer) => writer.append(message).await,
            None => appends::write_one(&self.pool, &message).await,
        }
    }

    /// One message.
    async fn get(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let row: Option<MessageRow> =
            query("SELECT * FROM messages WHERE conversation_id = $1 AND message_ts = $3 AND message_id = $2")
                .bind(conversation.to_string())
                .bind(id.to_string())
                .bind(id.ticks())
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
        let mut statement = query(&sql)
            .bind(conversation.to_string())
            .bind(i64::from(limit));
        if let Some(id) = cursor {
            statement = statement.bind(id.ticks()).bind(id.to_string());
        }
        let rows: Vec<MessageRow> = statement.fetch_all(&self.pool).await?;
        rows.into_iter().map(Message::try_from).collect()
    }

    /// Replaces the content and marks the message edited.
    async fn edit(
        &self,
        conversation: ConversationId,
        id: MessageId,
        content: &str,
    ) -> Result<Message, StoreError> {
        let row: MessageRow = query(
            "UPDATE messages SET content = $3, edited = TRUE, edited_timestamp = $4
             WHERE conversation_id = $1 AND message_ts = $5 AND message_id = $2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .bind(content)
        .bind(Utc::now())
        .bind(id.ticks())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }

    /// Replaces the metadata, leaving content and the edited mark alone.
    async fn set_metadata(
        &self,
        conversation: ConversationId,
        id: MessageId,
        metadata: &BTreeMap<String, String>,
    ) -> Result<Message, StoreError> {
        let row: MessageRow = query(
            "UPDATE messages SET metadata = $3
             WHERE conversation_id = $1 AND message_ts = $4 AND message_id = $2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .bind(Json(metadata))
        .bind(id.ticks())
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
        let row: MessageRow = query(
            "UPDATE messages SET content = '', media_urls = '[]', metadata = '{}', deleted = TRUE
             WHERE conversation_id = $1 AND message_ts = $3 AND message_id = $2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .bind(id.ticks())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }
}
