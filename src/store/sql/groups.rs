//! Groups and their members.

use async_trait::async_trait;
use chrono::Utc;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::{GroupRow, MemberRow, founding_members, into_group_page};
use crate::domain::{ConversationId, Group, GroupMember, GroupRole, UserId};
use crate::store::chat::{GroupStore, NewGroup};
use crate::store::{StoreError, like_prefix};

#[async_trait]
impl<DB: SqlEngine> GroupStore for SqlStore<DB> {
    /// Creates the group, its conversation, the owner's and `members`' memberships, in one
    /// transaction.
    async fn create(
        &self,
        group: NewGroup,
        owner: UserId,
        members: &[UserId],
    ) -> Result<Group, StoreError> {
        let now = Utc::now();
        let conversation = ConversationId::random().to_string();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        query(
            "INSERT INTO conversations (conversation_id, conversation_type, name, avatar_url, created_at, updated_at)
             VALUES ($1, 'group', $2, $3, $4, $4)",
        )
        .bind(conversation.as_str())
        .bind(group.name.as_str())
        .bind(group.avatar_url.as_deref())
        .bind(now)
        .execute(&mut tx)
        .await?;
        let row: GroupRow = query(
            "INSERT INTO groups (name, description, avatar_url, created_by, conversation_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING *",
        )
        .bind(group.name.as_str())
        .bind(group.description.as_deref())
        .bind(group.avatar_url.as_deref())
        .bind(owner.0)
        .bind(conversation.as_str())
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        for (user, role) in founding_members(owner, members) {
            query("INSERT INTO user_groups (user_id, group_id, role, joined_at) VALUES ($1, $2, $3, $4)")
                .bind(user.0)
                .bind(row.id())
                .bind(role.as_str())
                .bind(now)
                .execute(&mut tx)
                .await?;
            query("INSERT INTO user_conversations (user_id, conversation_id, joined_at) VALUES ($1, $2, $3)")
                .bind(user.0)
                .bind(conversation.as_str())
                .bind(now)
                .execute(&mut tx)
                .await?;
        }
        tx.commit().await?;
        row.try_into()
    }

    /// The group with this id.
    async fn get(&self, id: i64) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = query("SELECT * FROM groups WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Group::try_from).transpose()
    }

    /// The group whose conversation this is (none for a direct conversation).
    async fn by_conversation(&self, id: ConversationId) -> Result<Option<Group>, StoreError> {
        let row: Option<GroupRow> = query("SELECT * FROM groups WHERE conversation_id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(Group::try_from).transpose()
    }

    /// Groups `user` belongs to, by name.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<Group>, StoreError> {
        let rows: Vec<GroupRow> = query(
            "SELECT g.* FROM groups g JOIN user_groups m ON m.group_id = g.id WHERE m.user_id = $1 ORDER BY g.name, g.id",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Group::try_from).collect()
    }

    /// Every group ordered by id, after `cursor`, with names starting with `prefix`.
    async fn list_all(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<Group>, Option<i64>), StoreError> {
        let rows: Vec<GroupRow> = query(
            "SELECT * FROM groups WHERE ($1 IS NULL OR lower(name) LIKE $1 ESCAPE '\\') AND id > $2
             ORDER BY id LIMIT $3",
        )
        .bind(prefix.map(like_prefix))
        .bind(cursor.unwrap_or(0))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        into_group_page(rows, limit)
    }

    /// Writes name, description and avatar (and the conversation's copy of name and avatar).
    async fn update(&self, id: i64, group: &NewGroup) -> Result<Group, StoreError> {
        let now = Utc::now();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let row: GroupRow = query(
            "UPDATE groups SET name = $2, description = $3, avatar_url = $4, updated_at = $5 WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(group.name.as_str())
        .bind(group.description.as_deref())
        .bind(group.avatar_url.as_deref())
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        query(
            "UPDATE conversations SET name = $2, avatar_url = $3, updated_at = $4
             WHERE conversation_id = (SELECT conversation_id FROM groups WHERE id = $1)",
        )
        .bind(id)
        .bind(group.name.as_str())
        .bind(group.avatar_url.as_deref())
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Deletes the group, its memberships and its conversation with every message.
    async fn delete(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let conversation: Option<(String,)> =
            query("SELECT conversation_id FROM groups WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut tx)
                .await?;
        let (conversation,) = conversation.ok_or(StoreError::NotFound)?;
        for statement in [
            "DELETE FROM messages WHERE conversation_id = $1",
            "DELETE FROM user_conversations WHERE conversation_id = $1",
        ] {
            query(statement)
                .bind(conversation.as_str())
                .execute(&mut tx)
                .await?;
        }
        query("DELETE FROM user_groups WHERE group_id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        query("DELETE FROM groups WHERE id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        query("DELETE FROM conversations WHERE conversation_id = $1")
            .bind(conversation.as_str())
            .execute(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Members, oldest first.
    async fn members(&self, id: i64) -> Result<Vec<GroupMember>, StoreError> {
        let rows: Vec<MemberRow> =
            query("SELECT user_id, role, joined_at FROM user_groups WHERE group_id = $1 ORDER BY joined_at, id")
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter().map(GroupMember::try_from).collect()
    }

    /// One member's membership.
    async fn member(&self, id: i64, user: UserId) -> Result<Option<GroupMember>, StoreError> {
        let row: Option<MemberRow> = query(
            "SELECT user_id, role, joined_at FROM user_groups WHERE group_id = $1 AND user_id = $2",
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
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let row: MemberRow = query(
            "INSERT INTO user_groups (user_id, group_id, role, joined_at) VALUES ($1, $2, $3, $4)
             RETURNING user_id, role, joined_at",
        )
        .bind(user.0)
        .bind(id)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&mut tx)
        .await?;
        query(
            "INSERT INTO user_conversations (user_id, conversation_id, last_read_message_id, last_read_message_ts, joined_at)
             SELECT $1, c.conversation_id, c.last_message_id, COALESCE(c.last_message_ts, 0), $3
             FROM groups g JOIN conversations c ON c.conversation_id = g.conversation_id WHERE g.id = $2
             ON CONFLICT DO NOTHING",
        )
        .bind(user.0)
        .bind(id)
        .bind(now)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    /// Removes a member (and their participation); whether they were one.
    async fn remove_member(&self, id: i64, user: UserId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let done = query("DELETE FROM user_groups WHERE group_id = $1 AND user_id = $2")
            .bind(id)
            .bind(user.0)
            .execute(&mut tx)
            .await?;
        query(
            "DELETE FROM user_conversations
             WHERE user_id = $2 AND conversation_id = (SELECT conversation_id FROM groups WHERE id = $1)",
        )
        .bind(id)
        .bind(user.0)
        .execute(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Changes a member's role.
    async fn set_role(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError> {
        let row: MemberRow = query(
            "UPDATE user_groups SET role = $3 WHERE group_id = $1 AND user_id = $2 RETURNING user_id, role, joined_at",
        )
        .bind(id)
        .bind(user.0)
        .bind(role.as_str())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }
}
