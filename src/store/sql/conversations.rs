//! Conversations and each participant's view of them.

use async_trait::async_trait;
use chrono::Utc;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::{
    ConversationRow, LAST_MESSAGES_SELECT, MessageRow, SummaryRow, with_last_messages,
};
use crate::domain::{
    Conversation, ConversationFlags, ConversationId, ConversationSummary, MessageId, UserId,
};
use crate::store::StoreError;
use crate::store::chat::ConversationStore;

/// Columns of a conversation summary; unread counts stop at 1000 so one query stays cheap.
const SUMMARY_SELECT: &str = "SELECT c.*, uc.last_read_message_id, uc.muted, uc.archived, uc.pinned,
       (SELECT g.id FROM groups g WHERE g.conversation_id = c.conversation_id) AS group_id,
       (SELECT p.user_id FROM user_conversations p
         WHERE c.conversation_type = 'direct' AND p.conversation_id = c.conversation_id
           AND p.user_id <> uc.user_id LIMIT 1) AS peer_id,
       (SELECT COUNT(*) FROM (SELECT 1 FROM messages m
                              WHERE m.conversation_id = c.conversation_id AND m.message_ts > uc.last_read_message_ts
                                AND m.sender_id <> uc.user_id AND NOT m.deleted LIMIT 1000) AS unread) AS unread_count
  FROM user_conversations uc JOIN conversations c ON c.conversation_id = uc.conversation_id";

/// The conversation `$1`.
const CONVERSATION_BY_ID: &str = "SELECT * FROM conversations WHERE conversation_id = $1";

#[async_trait]
impl<DB: SqlEngine> ConversationStore for SqlStore<DB> {
    /// The direct conversation `id` of `a` and `b`, created with both as participants if new.
    async fn ensure_direct(
        &self,
        id: ConversationId,
        a: UserId,
        b: UserId,
    ) -> Result<Conversation, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        query(
            "INSERT INTO conversations (conversation_id, conversation_type, created_at, updated_at)
             VALUES ($1, 'direct', $2, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(now)
        .execute(&mut tx)
        .await?;
        for user in [a, b] {
            query(
                "INSERT INTO user_conversations (user_id, conversation_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(user.0)
            .bind(id.to_string())
            .bind(now)
            .execute(&mut tx)
            .await?;
        }
        let row: ConversationRow = query(CONVERSATION_BY_ID)
            .bind(id.to_string())
            .fetch_one(&mut tx)
            .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// The conversation with this id.
    async fn get(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let row: Option<ConversationRow> = query(CONVERSATION_BY_ID)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Conversation::try_from).transpose()
    }

    /// Everyone taking part.
    async fn participants(&self, id: ConversationId) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<(i64,)> =
            query("SELECT user_id FROM user_conversations WHERE conversation_id = $1")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().map(|(id,)| UserId(id)).collect())
    }

    /// The other participant of each of `user`'s direct conversations.
    async fn direct_peers(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<(i64,)> = query(
            "SELECT peer.user_id FROM user_conversations mine
             JOIN conversations c ON c.conversation_id = mine.conversation_id AND c.conversation_type = 'direct'
             JOIN user_conversations peer ON peer.conversation_id = mine.conversation_id AND peer.user_id <> mine.user_id
             WHERE mine.user_id = $1",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(|(id,)| UserId(id)).collect())
    }

    /// `user`'s conversations: pinned first, then by last activity.
    async fn summaries(
        &self,
        user: UserId,
        archived: bool,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE uc.user_id = $1 AND uc.archived = $2
             ORDER BY uc.pinned DESC, COALESCE(c.last_message_ts, 0) DESC, c.created_at DESC LIMIT 500"
        );
        let rows: Vec<SummaryRow> = query(&sql)
            .bind(user.0)
            .bind(archived)
            .fetch_all(&self.pool)
            .await?;
        let last: Vec<MessageRow> = query(&format!(
            "{LAST_MESSAGES_SELECT} WHERE uc.user_id = $1 AND uc.archived = $2"
        ))
        .bind(user.0)
        .bind(archived)
        .fetch_all(&self.pool)
        .await?;
        with_last_messages(rows, last)
    }

    /// One conversation as `user` sees it.
    async fn summary(
        &self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<ConversationSummary>, StoreError> {
        let sql = format!("{SUMMARY_SELECT} WHERE uc.user_id = $1 AND uc.conversation_id = $2");
        let rows: Vec<SummaryRow> = query(&sql)
            .bind(user.0)
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        let last: Vec<MessageRow> = query(&format!(
            "{LAST_MESSAGES_SELECT} WHERE uc.user_id = $1 AND uc.conversation_id = $2"
        ))
        .bind(user.0)
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(with_last_messages(rows, last)?.pop())
    }

    /// Sets the flags present in `flags`.
    async fn set_flags(
        &self,
        user: UserId,
        id: ConversationId,
        flags: ConversationFlags,
    ) -> Result<(), StoreError> {
        let done = query(
            "UPDATE user_conversations
             SET muted = COALESCE($3, muted), archived = COALESCE($4, archived), pinned = COALESCE($5, pinned)
             WHERE user_id = $1 AND conversation_id = $2",
        )
        .bind(user.0)
        .bind(id.to_string())
        .bind(flags.muted)
        .bind(flags.archived)
        .bind(flags.pinned)
        .execute(&self.pool)
        .await?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Moves `user`'s read marker forward to `message`; never backwards.
    async fn mark_read(
        &self,
        user: UserId,
        id: ConversationId,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        let done = query(
            "UPDATE user_conversations SET last_read_message_id = $3, last_read_message_ts = $4
             WHERE user_id = $1 AND conversation_id = $2 AND last_read_message_ts < $4",
        )
        .bind(user.0)
        .bind(id.to_string())
        .bind(message.to_string())
        .bind(message.ticks())
        .execute(&self.pool)
        .await?;
        Ok(done > 0)
    }

    async fn read_markers(
        &self,
        id: ConversationId,
    ) -> Result<Vec<(UserId, Option<MessageId>)>, StoreError> {
        let rows: Vec<(i64, Option<String>)> = query(
            "SELECT user_id, last_read_message_id FROM user_conversations
             WHERE conversation_id = $1 ORDER BY user_id",
        )
        .bind(id.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(user, marker)| {
                let marker =
                    match marker {
                        Some(text) => Some(MessageId::parse(&text).ok_or_else(|| {
                            StoreError::Setup(format!("corrupt read marker {text}"))
                        })?),
                        None => None,
                    };
                Ok((UserId(user), marker))
            })
            .collect()
    }
}
