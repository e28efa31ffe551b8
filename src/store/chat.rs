//! Storage traits for relationships, groups, conversations and messages.
//!
//! Shaped for what ScyllaDB can answer too: rows by key, messages by conversation partition with
//! cursor paging on the TimeUUID, no joins across partitions required of the message store.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::StoreError;
use crate::domain::{
    Conversation, ConversationFlags, ConversationId, ConversationSummary, Friendship,
    FriendshipStatus, Group, GroupMember, GroupRole, HistoryPage, Message, MessageId, UserId,
};

/// A group to create, already validated.
#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
}

/// Relationship rows (requester → addressee).
#[async_trait]
pub trait FriendshipStore: Send + Sync {
    /// The a→b row and the b→a row, each if present.
    async fn between(
        &self,
        a: UserId,
        b: UserId,
    ) -> Result<(Option<Friendship>, Option<Friendship>), StoreError>;
    /// Creates or replaces the requester→addressee row.
    async fn put(
        &self,
        requester: UserId,
        addressee: UserId,
        status: FriendshipStatus,
    ) -> Result<Friendship, StoreError>;
    /// Deletes the requester→addressee row; whether one existed.
    async fn delete(&self, requester: UserId, addressee: UserId) -> Result<bool, StoreError>;
    /// Every row naming `user` on either side.
    async fn list_for(&self, user: UserId) -> Result<Vec<Friendship>, StoreError>;
}

/// Groups and their members. A member of a group participates in its conversation: the store keeps
/// both in step in one transaction.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates the group, its conversation, the owner's membership and `members`' (as
    /// members; the owner and repeats are skipped), all in one transaction: a failure leaves
    /// no half-made group.
    async fn create(
        &self,
        group: NewGroup,
        owner: UserId,
        members: &[UserId],
    ) -> Result<Group, StoreError>;
    /// The group with this id.
    async fn get(&self, id: i64) -> Result<Option<Group>, StoreError>;
    /// The group whose conversation this is (none for a direct conversation).
    async fn by_conversation(&self, id: ConversationId) -> Result<Option<Group>, StoreError>;
    /// Groups `user` belongs to, by name.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<Group>, StoreError>;
    /// Every group ordered by id, after `cursor` (an id), with names starting with `prefix`
    /// (case-insensitive); the cursor of the next page when more follow.
    async fn list_all(
        &self,
        prefix: Option<&str>,
        limit: u32,
        cursor: Option<i64>,
    ) -> Result<(Vec<Group>, Option<i64>), StoreError>;
    /// Writes name, description and avatar (and the conversation's copy of name and avatar).
    async fn update(&self, id: i64, group: &NewGroup) -> Result<Group, StoreError>;
    /// Deletes the group, its memberships and its conversation with every message.
    async fn delete(&self, id: i64) -> Result<(), StoreError>;
    /// Members, oldest first.
    async fn members(&self, id: i64) -> Result<Vec<GroupMember>, StoreError>;
    /// One member's membership.
    async fn member(&self, id: i64, user: UserId) -> Result<Option<GroupMember>, StoreError>;
    /// Adds a member (and their participation in the conversation); `Conflict` if already one.
    async fn add_member(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError>;
    /// Removes a member (and their participation); whether they were one.
    async fn remove_member(&self, id: i64, user: UserId) -> Result<bool, StoreError>;
    /// Changes a member's role.
    async fn set_role(
        &self,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, StoreError>;
}

/// Conversations and each participant's view of them.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The direct conversation `id` of `a` and `b`, created with both as participants if new.
    async fn ensure_direct(
        &self,
        id: ConversationId,
        a: UserId,
        b: UserId,
    ) -> Result<Conversation, StoreError>;
    /// The conversation with this id.
    async fn get(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError>;
    /// Everyone taking part.
    async fn participants(&self, id: ConversationId) -> Result<Vec<UserId>, StoreError>;
    /// The other participant of each of `user`'s direct conversations.
    async fn direct_peers(&self, user: UserId) -> Result<Vec<UserId>, StoreError>;
    /// `user`'s conversations with unread counts and last messages: pinned first, then by last
    /// activity; archived ones only when asked.
    async fn summaries(
        &self,
        user: UserId,
        archived: bool,
    ) -> Result<Vec<ConversationSummary>, StoreError>;
    /// One conversation as `user` sees it.
    async fn summary(
        &self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<ConversationSummary>, StoreError>;
    /// Sets the flags present in `flags`.
    async fn set_flags(
        &self,
        user: UserId,
        id: ConversationId,
        flags: ConversationFlags,
    ) -> Result<(), StoreError>;
    /// Moves `user`'s read marker forward to `message`; never backwards. Whether it moved.
    async fn mark_read(
        &self,
        user: UserId,
        id: ConversationId,
        message: MessageId,
    ) -> Result<bool, StoreError>;
    /// Every participant's read marker (`None`: has read nothing yet), by user id.
    async fn read_markers(
        &self,
        id: ConversationId,
    ) -> Result<Vec<(UserId, Option<MessageId>)>, StoreError>;
}

/// Messages, partitioned by conversation and ordered by TimeUUID.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Stores `message` and makes it its conversation's newest. When its sender already stored a
    /// message with the same `client_msg_id`, stores nothing and returns that one with `false`.
    async fn append(&self, message: Message) -> Result<(Message, bool), StoreError>;
    /// One message.
    async fn get(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<Message>, StoreError>;
    /// A page of history (see [`HistoryPage`] for the order).
    async fn history(
        &self,
        conversation: ConversationId,
        page: HistoryPage,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError>;
    /// Replaces the content and marks the message edited.
    async fn edit(
        &self,
        conversation: ConversationId,
        id: MessageId,
        content: &str,
    ) -> Result<Message, StoreError>;
    /// Replaces the metadata, leaving content and the edited mark alone (a sender dismissing the
    /// link preview of their message).
    async fn set_metadata(
        &self,
        conversation: ConversationId,
        id: MessageId,
        metadata: &BTreeMap<String, String>,
    ) -> Result<Message, StoreError>;
    /// Soft-deletes: clears content, media and metadata, keeps the row so history keeps its shape.
    async fn delete(
        &self,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Message, StoreError>;
}
