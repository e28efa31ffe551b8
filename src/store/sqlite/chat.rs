//! Relationships, groups, conversations and messages in SQLite.
//!
//! `postgres/chat.rs` is the same file for PostgreSQL (placeholders `$n` instead of `?n`): keep
//! the two in step, method for method. One difference: appends here go through the group-commit
//! writer (`group_commit.rs`), since SQLite has a single writer and an fsync per commit.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqlitePool;

use super::group_commit::MessageWriter;
use crate::domain::{
    Conversation, ConversationFlags, ConversationId, ConversationSummary, Friendship,
    FriendshipStatus, Group, GroupMember, GroupRole, HistoryPage, Message, MessageId, UserId,
};
use crate::store::StoreError;
use crate::store::chat::{ConversationStore, FriendshipStore, GroupStore, MessageStore, NewGroup};
use crate::store::rows::{
    ConversationRow, FriendshipRow, GroupRow, MemberRow, MessageRow, SummaryRow,
};

/// The chat stores over one pool.
#[derive(Clone)]
pub(super) struct SqliteChatStore {
    pool: SqlitePool,
    writer: MessageWriter,
}

impl SqliteChatStore {
    pub(super) fn new(pool: SqlitePool) -> Self {
        Self {
            writer: MessageWriter::start(pool.clone()),
            pool,
        }
    }
}

#[async_trait]
impl FriendshipStore for SqliteChatStore {
    /// The a→b row and the b→a row, each if present.
    async fn between(
        &self,
        a: UserId,
        b: UserId,
    ) -> Result<(Option<Friendship>, Option<Friendship>), StoreError> {
        let rows: Vec<FriendshipRow> = sqlx::query_as(
            "SELECT * FROM friendships
             WHERE (requester_id = ?1 AND addressee_id = ?2) OR (requester_id = ?2 AND addressee_id = ?1)",
        )
        .bind(a.0)
        .bind(b.0)
        .fetch_all(&self.pool)
        .await?;
        let mut forward = None;
        let mut backward = None;
        for row in rows {
            let friendship = Friendship::try_from(row)?;
            if friendship.requester_id == a {
                forward = Some(friendship);
            } else {
                backward = Some(friendship);
            }
        }
        Ok((forward, backward))
    }

    /// Creates or replaces the requester→addressee row.
    async fn put(
        &self,
        requester: UserId,
        addressee: UserId,
        status: FriendshipStatus,
    ) -> Result<Friendship, StoreError> {
        let row: FriendshipRow = sqlx::query_as(
            "INSERT INTO friendships (requester_id, addressee_id, status, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (requester_id, addressee_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(requester.0)
        .bind(addressee.0)
        .bind(status.as_str())
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }

    /// Deletes the requester→addressee row; whether one existed.
    async fn delete(&self, requester: UserId, addressee: UserId) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM friendships WHERE requester_id = ?1 AND addressee_id = ?2")
                .bind(requester.0)
                .bind(addressee.0)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every row naming `user` on either side.
    async fn list_for(&self, user: UserId) -> Result<Vec<Friendship>, StoreError> {
        let rows: Vec<FriendshipRow> = sqlx::query_as(
            "SELECT * FROM friendships WHERE requester_id = ?1 OR addressee_id = ?1 ORDER BY updated_at DESC, id DESC",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Friendship::try_from).collect()
    }
}

#[async_trait]
impl GroupStore for SqliteChatStore {
    /// Creates the group, its conversation and the owner's membership.
    async fn create(&self, group: NewGroup, owner: UserId) -> Result<Group, StoreError> {
        let now = Utc::now();
        let conversation = ConversationId::random().to_string();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO conversations (conversation_id, conversation_type, name, avatar_url, created_at, updated_at)
             VALUES (?1, 'group', ?2, ?3, ?4, ?4)",
        )
        .bind(&conversation)
        .bind(&group.name)
        .bind(&group.avatar_url)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row: GroupRow = sqlx::query_as(
            "INSERT INTO groups (name, description, avatar_url, created_by, conversation_id, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) RETURNING *",
        )
        .bind(&group.name)
        .bind(&group.description)
        .bind(&group.avatar_url)
        .bind(owner.0)
        .bind(&conversation)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO user_groups (user_id, group_id, role, joined_at) VALUES (?1, ?2, 'owner', ?3)")
            .bind(owner.0)
            .bind(row.id())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO user_conversations (user_id, conversation_id, joined_at) VALUES (?1, ?2, ?3)")
            .bind(owner.0)
            .bind(&conversation)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// The group with this id.
    async fn get(&self, id: i64) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = sqlx::query_as("SELECT * FROM groups WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Group::try_from).transpose()
    }

    /// Groups `user` belongs to, by name.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<Group>, StoreError> {
        let rows: Vec<GroupRow> = sqlx::query_as(
            "SELECT g.* FROM groups g JOIN user_groups m ON m.group_id = g.id WHERE m.user_id = ?1 ORDER BY g.name, g.id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Writes name, description and avatar (and the conversation's copy of name and avatar).
    async fn update(&self, id: i64, group: &NewGroup) -> Result<Group, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row: GroupRow = sqlx::query_as(
            "UPDATE groups SET name = ?2, description = ?3, avatar_url = ?4, updated_at = ?5 WHERE id = ?1 RETURNING *",
        )
        .bind(id)
        .bind(&group.name)
        .bind(&group.description)
        .bind(&group.avatar_url)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE conversations SET name = ?2, avatar_url = ?3, updated_at = ?4
             WHERE conversation_id = (SELECT conversation_id FROM groups WHERE id = ?1)",
        )
        .bind(id)
        .bind(&group.name)
        .bind(&group.avatar_url)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Deletes the group, its memberships and its conversation with every message.
    async fn delete(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let conversation: Option<String> =
            sqlx::query_scalar("SELECT conversation_id FROM groups WHERE id = ?1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let conversation = conversation.ok_or(StoreError::NotFound)?;
        for statement in [
            "DELETE FROM messages WHERE conversation_id = ?1",
            "DELETE FROM user_conversations WHERE conversation_id = ?1",
        ] {
            sqlx::query(statement)
                .bind(&conversation)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM user_groups WHERE group_id = ?1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM groups WHERE id = ?1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM conversations WHERE conversation_id = ?1")
            .bind(&conversation)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Members, oldest first.
    async fn members(&self, id: i64) -> Result<Vec<GroupMember>, StoreError> {
        let rows: Vec<MemberRow> =
            sqlx::query_as("SELECT user_id, role, joined_at FROM user_groups WHERE group_id = ?1 ORDER BY joined_at, id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(GroupMember::try_from).collect()
    }

    /// One member's membership.
    async fn member(&self, id: i64, user: UserId) -> Result<Option<GroupMember>, StoreError> {
        let row: Option<MemberRow> = sqlx::query_as(
            "SELECT user_id, role, joined_at FROM user_groups WHERE group_id = ?1 AND user_id = ?2",
        )
        .bind(id)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(GroupMember::try_from).transpose()
    }

    /// Adds a member (and their participation in the conversation); `Conflict` if already one.
    /// A newcomer's read marker starts at the newest message: history is there, not unread.
    async fn add_member(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let row: MemberRow = sqlx::query_as(
            "INSERT INTO user_groups (user_id, group_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)
             RETURNING user_id, role, joined_at",
        )
        .bind(user.0)
        .bind(id)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO user_conversations (user_id, conversation_id, last_read_message_id, last_read_message_ts, joined_at)
             SELECT ?1, c.conversation_id, c.last_message_id, COALESCE(c.last_message_ts, 0), ?3
             FROM groups g JOIN conversations c ON c.conversation_id = g.conversation_id WHERE g.id = ?2
             ON CONFLICT DO NOTHING",
        )
        .bind(user.0)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Removes a member (and their participation); whether they were one.
    async fn remove_member(&self, id: i64, user: UserId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let done = sqlx::query("DELETE FROM user_groups WHERE group_id = ?1 AND user_id = ?2")
            .bind(id)
            .bind(user.0)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM user_conversations
             WHERE user_id = ?2 AND conversation_id = (SELECT conversation_id FROM groups WHERE id = ?1)",
        )
        .bind(id)
        .bind(user.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Changes a member's role.
    async fn set_role(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError> {
        let row: MemberRow = sqlx::query_as(
            "UPDATE user_groups SET role = ?3 WHERE group_id = ?1 AND user_id = ?2 RETURNING user_id, role, joined_at",
        )
        .bind(id)
        .bind(user.0)
        .bind(role.as_str())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }
}

/// Columns of a conversation summary; unread counts stop at 1000 so one query stays cheap.
const SUMMARY_SELECT: &str = "SELECT c.*, uc.last_read_message_id, uc.muted, uc.archived, uc.pinned,
       (SELECT COUNT(*) FROM (SELECT 1 FROM messages m
                              WHERE m.conversation_id = c.conversation_id AND m.message_ts > uc.last_read_message_ts
                                AND m.sender_id <> uc.user_id AND NOT m.deleted LIMIT 1000) AS unread) AS unread_count
  FROM user_conversations uc JOIN conversations c ON c.conversation_id = uc.conversation_id";

impl SqliteChatStore {
    async fn with_last_messages(
        &self,
        rows: Vec<SummaryRow>,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let last = match row.last_message_ref() {
                Some((conversation, id)) => MessageStore::get(self, conversation, id).await?,
                None => None,
            };
            out.push(row.into_summary(last)?);
        }
        Ok(out)
    }
}

#[async_trait]
impl ConversationStore for SqliteChatStore {
    /// The direct conversation `id` of `a` and `b`, created with both as participants if new.
    async fn ensure_direct(
        &self,
        id: ConversationId,
        a: UserId,
        b: UserId,
    ) -> Result<Conversation, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO conversations (conversation_id, conversation_type, created_at, updated_at)
             VALUES (?1, 'direct', ?2, ?2) ON CONFLICT DO NOTHING",
        )
        .bind(id.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for user in [a, b] {
            sqlx::query(
                "INSERT INTO user_conversations (user_id, conversation_id, joined_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            )
            .bind(user.0)
            .bind(id.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let row: ConversationRow =
            sqlx::query_as("SELECT * FROM conversations WHERE conversation_id = ?1")
                .bind(id.to_string())
                .fetch_one(&mut *tx)
                .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// The conversation with this id.
    async fn get(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let row: Option<ConversationRow> =
            sqlx::query_as("SELECT * FROM conversations WHERE conversation_id = ?1")
                .bind(id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.map(Conversation::try_from).transpose()
    }

    /// Everyone taking part.
    async fn participants(&self, id: ConversationId) -> Result<Vec<UserId>, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT user_id FROM user_conversations WHERE conversation_id = ?1")
                .bind(id.to_string())
                .fetch_all(&self.pool)
                .await?;
        Ok(ids.into_iter().map(UserId).collect())
    }

    /// Whether `user` takes part.
    async fn is_participant(&self, id: ConversationId, user: UserId) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT user_id FROM user_conversations WHERE conversation_id = ?1 AND user_id = ?2",
        )
        .bind(id.to_string())
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// `user`'s conversations: pinned first, then by last activity.
    async fn summaries(
        &self,
        user: UserId,
        archived: bool,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let sql = format!(
            "{SUMMARY_SELECT} WHERE uc.user_id = ?1 AND uc.archived = ?2
             ORDER BY uc.pinned DESC, COALESCE(c.last_message_ts, 0) DESC, c.created_at DESC LIMIT 500"
        );
        let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
            .bind(user.0)
            .bind(archived)
            .fetch_all(&self.pool)
            .await?;
        self.with_last_messages(rows).await
    }

    /// One conversation as `user` sees it.
    async fn summary(
        &self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<ConversationSummary>, StoreError> {
        let sql = format!("{SUMMARY_SELECT} WHERE uc.user_id = ?1 AND uc.conversation_id = ?2");
        let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
            .bind(user.0)
            .bind(id.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok(self.with_last_messages(rows).await?.pop())
    }

    /// Sets the flags present in `flags`.
    async fn set_flags(
        &self,
        user: UserId,
        id: ConversationId,
        flags: ConversationFlags,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE user_conversations
             SET muted = COALESCE(?3, muted), archived = COALESCE(?4, archived), pinned = COALESCE(?5, pinned)
             WHERE user_id = ?1 AND conversation_id = ?2",
        )
        .bind(user.0)
        .bind(id.to_string())
        .bind(flags.muted)
        .bind(flags.archived)
        .bind(flags.pinned)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
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
        let done = sqlx::query(
            "UPDATE user_conversations SET last_read_message_id = ?3, last_read_message_ts = ?4
             WHERE user_id = ?1 AND conversation_id = ?2 AND last_read_message_ts < ?4",
        )
        .bind(user.0)
        .bind(id.to_string())
        .bind(message.to_string())
        .bind(message.ticks())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[async_trait]
impl MessageStore for SqliteChatStore {
    /// Stores `message` and makes it its conversation's newest, unless its client id was seen.
    async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        // Batched with concurrent appends into one commit: see `group_commit`.
        self.writer.append(message).await
    }

    /// One message.
    async fn get(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError> {
        let row: Option<MessageRow> =
            sqlx::query_as("SELECT * FROM messages WHERE conversation_id = ?1 AND message_id = ?2")
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
            HistoryPage::Before(id) => ("(message_ts, message_id) < (?3, ?4)", "DESC", Some(id)),
            HistoryPage::After(id) => ("(message_ts, message_id) > (?3, ?4)", "ASC", Some(id)),
        };
        let sql = format!(
            "SELECT * FROM messages WHERE conversation_id = ?1 AND {condition}
             ORDER BY message_ts {order}, message_id {order} LIMIT ?2"
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
            "UPDATE messages SET content = ?3, edited = TRUE, edited_timestamp = ?4
             WHERE conversation_id = ?1 AND message_id = ?2 RETURNING *",
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
             WHERE conversation_id = ?1 AND message_id = ?2 RETURNING *",
        )
        .bind(conversation.to_string())
        .bind(id.to_string())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }
}
