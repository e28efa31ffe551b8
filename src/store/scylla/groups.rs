//! Groups when messages live on ScyllaDB: the groups and memberships stay in PostgreSQL, their
//! conversation and its participation rows live in the cluster.
//!
//! There is no transaction across the two. PostgreSQL stays authoritative: each change is made
//! there first, then mirrored into the cluster with writes that are safe to repeat (upserts,
//! deletes). A node that dies between the two leaves the cluster behind (a new member who does
//! not see the group in their list, a removed one who still does until they are removed again);
//! docs/scylla.md lists the reconciliation this still needs. Authorization is unaffected: the
//! services ask the group membership (PostgreSQL) whether someone may read or post.

use async_trait::async_trait;
use chrono::Utc;
use scylla::value::MaybeUnset;

use super::queries::{
    DELETE_CONVERSATION, DELETE_MESSAGES_BUCKET, DELETE_PARTICIPANT, DELETE_PARTICIPANTS,
    DELETE_USER_CONVERSATION, INSERT_CONVERSATION, INSERT_PARTICIPANT, INSERT_USER_CONVERSATION,
    UPDATE_CONVERSATION_PROFILE,
};
use super::store::{ScyllaStore, timestamp};
use super::walk::CLOCK_SKEW;
use crate::domain::{ConversationId, Group, GroupMember, GroupRole, UserId};
use crate::store::StoreError;
use crate::store::chat::{ConversationStore, GroupStore, NewGroup};
use std::sync::Arc;

/// The main database's group store, mirrored into the cluster.
pub struct ScyllaGroups {
    sql: Arc<dyn GroupStore>,
    cluster: ScyllaStore,
}

impl ScyllaGroups {
    pub fn new(sql: Arc<dyn GroupStore>, cluster: ScyllaStore) -> Self {
        ScyllaGroups { sql, cluster }
    }

    /// `user`'s participation in the group conversation `id`; their read marker starts at the
    /// newest message, as on the SQL engines (history is there, not unread).
    async fn join(&self, id: ConversationId, user: UserId) -> Result<(), StoreError> {
        let now = timestamp(Utc::now());
        let cluster = &self.cluster;
        cluster
            .write(INSERT_PARTICIPANT, (id.0, user.0, now))
            .await?;
        let no_peer: MaybeUnset<i64> = MaybeUnset::Unset;
        cluster
            .write(
                INSERT_USER_CONVERSATION,
                (user.0, id.0, "group", no_peer, now),
            )
            .await?;
        if let Some(newest) = cluster.get(id).await?.and_then(|c| c.last_message_id) {
            cluster.mark_read(user, id, newest).await?;
        }
        Ok(())
    }

    async fn leave(&self, id: ConversationId, user: UserId) -> Result<(), StoreError> {
        self.cluster
            .write(DELETE_USER_CONVERSATION, (user.0, id.0))
            .await?;
        self.cluster
            .write(DELETE_PARTICIPANT, (id.0, user.0))
            .await?;
        Ok(())
    }
}

#[async_trait]
impl GroupStore for ScyllaGroups {
    /// Creates the group in the main database, then its conversation and memberships in the
    /// cluster.
    async fn create(
        &self,
        group: NewGroup,
        owner: UserId,
        members: &[UserId],
    ) -> Result<Group, StoreError> {
        let created = self.sql.create(group, owner, members).await?;
        let at = timestamp(created.created_at);
        let values = (
            created.conversation_id.0,
            "group",
            Some(created.name.as_str()),
            created.avatar_url.as_deref(),
            at,
            at,
        );
        self.cluster.write(INSERT_CONVERSATION, values).await?;
        for member in self.sql.members(created.id).await? {
            self.join(created.conversation_id, member.user_id).await?;
        }
        Ok(created)
    }

    /// The group with this id.
    async fn get(&self, id: i64) -> Result<Option<Group>, StoreError> {
        self.sql.get(id).await
    }

    /// The group whose conversation this is (none for a direct conversation).
    async fn by_conversation(&self, id: ConversationId) -> Result<Option<Group>, StoreError> {
        self.sql.by_conversation(id).await
    }

    /// Groups `user` belongs to, by name.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<Group>, StoreError> {
        self.sql.list_for_user(user).await
    }

    /// Every group ordered by id, after `cursor`, with names starting with `prefix`.
    async fn list_all(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<Group>, Option<i64>), StoreError> {
        self.sql.list_all(prefix, limit, cursor).await
    }

    /// Writes the group, then the conversation's copy of its name and avatar.
    async fn update(&self, id: i64, group: &NewGroup) -> Result<Group, StoreError> {
        let updated = self.sql.update(id, group).await?;
        let values = (
            updated.name.as_str(),
            updated.avatar_url.as_deref(),
            timestamp(updated.updated_at),
            updated.conversation_id.0,
        );
        self.cluster
            .write(UPDATE_CONVERSATION_PROFILE, values)
            .await?;
        Ok(updated)
    }

    /// Deletes the group in the main database, then its conversation, participation and every
    /// bucket of its messages (one partition deletion per bucket of the conversation's life).
    async fn delete(&self, id: i64) -> Result<(), StoreError> {
        let group = self.sql.get(id).await?.ok_or(StoreError::NotFound)?;
        let members = self.sql.members(id).await?;
        let conversation = self.cluster.get(group.conversation_id).await?;
        self.sql.delete(id).await?;
        let cid = group.conversation_id;
        for member in members {
            self.leave(cid, member.user_id).await?;
        }
        self.cluster.write(DELETE_PARTICIPANTS, (cid.0,)).await?;
        if let Some(newest) = conversation.as_ref().and_then(|c| c.last_message_id) {
            let buckets = self.cluster.buckets;
            let created = conversation
                .as_ref()
                .map_or(group.created_at, |c| c.created_at);
            let (mut bucket, last) = (
                buckets.of_time(created - CLOCK_SKEW),
                buckets.of_message(newest),
            );
            while bucket <= last {
                self.cluster
                    .write(DELETE_MESSAGES_BUCKET, (cid.0, bucket.0))
                    .await?;
                if bucket == bucket.newer() {
                    break;
                }
                bucket = bucket.newer();
            }
        }
        self.cluster.write(DELETE_CONVERSATION, (cid.0,)).await?;
        Ok(())
    }

    /// Members, oldest first.
    async fn members(&self, id: i64) -> Result<Vec<GroupMember>, StoreError> {
        self.sql.members(id).await
    }

    /// One member's membership.
    async fn member(&self, id: i64, user: UserId) -> Result<Option<GroupMember>, StoreError> {
        self.sql.member(id, user).await
    }

    /// Adds a member in the main database, then their participation in the cluster.
    async fn add_member(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError> {
        let member = self.sql.add_member(id, user, role).await?;
        if let Some(group) = self.sql.get(id).await? {
            self.join(group.conversation_id, user).await?;
        }
        Ok(member)
    }

    /// Removes a member in the main database, then their participation in the cluster.
    async fn remove_member(&self, id: i64, user: UserId) -> Result<bool, StoreError> {
        let group = self.sql.get(id).await?;
        let removed = self.sql.remove_member(id, user).await?;
        if let Some(group) = group {
            self.leave(group.conversation_id, user).await?;
        }
        Ok(removed)
    }

    /// Changes a member's role (the main database alone knows roles).
    async fn set_role(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError> {
        self.sql.set_role(id, user, role).await
    }
}
