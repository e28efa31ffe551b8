//! Row shapes shared by the SQL engines; they never leave the store.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use crate::domain::{
    Conversation, ConversationId, ConversationKind, ConversationSummary, Friendship,
    FriendshipStatus, Group, GroupMember, GroupRole, Message, MessageId, MessageType, SigningKey,
    SigningKeyState, User, UserId,
};

use crate::store::StoreError;

#[derive(sqlx::FromRow)]
pub(in crate::store) struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    phone_number: Option<String>,
    display_name: Option<String>,
    profile_picture_url: Option<String>,
    status: Option<String>,
    last_seen: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
    token_version: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            phone_number: row.phone_number,
            display_name: row.display_name,
            profile_picture_url: row.profile_picture_url,
            status: row.status,
            last_seen: row.last_seen,
            created_at: row.created_at,
            updated_at: row.updated_at,
            disabled_at: row.disabled_at,
            token_version: row.token_version,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct SigningKeyRow {
    kid: String,
    secret: Vec<u8>,
    state: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;

    fn try_from(row: SigningKeyRow) -> Result<Self, StoreError> {
        let state = SigningKeyState::parse(&row.state).ok_or_else(|| {
            StoreError::Setup(format!(
                "signing key {} has unknown state `{}`",
                row.kid, row.state
            ))
        })?;
        Ok(SigningKey {
            kid: row.kid,
            secret: row.secret,
            state,
            created_at: row.created_at,
        })
    }
}

/// Turns a search result fetched with one extra row into a page and its cursor.
pub(super) fn into_page(mut rows: Vec<UserRow>, limit: u32) -> crate::store::Page<User> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let items: Vec<User> = rows.into_iter().map(User::from).collect();
    let next_cursor = if more {
        items.last().map(|u| u.username.clone())
    } else {
        None
    };
    crate::store::Page { items, next_cursor }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct FriendshipRow {
    requester_id: i64,
    addressee_id: i64,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<FriendshipRow> for Friendship {
    type Error = StoreError;

    fn try_from(row: FriendshipRow) -> Result<Self, StoreError> {
        Ok(Friendship {
            requester_id: UserId(row.requester_id),
            addressee_id: UserId(row.addressee_id),
            status: FriendshipStatus::parse(&row.status)
                .ok_or_else(|| corrupt("friendships.status", &row.status))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct GroupRow {
    id: i64,
    name: String,
    description: Option<String>,
    avatar_url: Option<String>,
    created_by: Option<i64>,
    conversation_id: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<GroupRow> for Group {
    type Error = StoreError;

    fn try_from(row: GroupRow) -> Result<Self, StoreError> {
        Ok(Group {
            id: row.id,
            name: row.name,
            description: row.description,
            avatar_url: row.avatar_url,
            created_by: row.created_by.map(UserId),
            conversation_id: ConversationId::parse(&row.conversation_id)
                .ok_or_else(|| corrupt("groups.conversation_id", &row.conversation_id))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct MemberRow {
    user_id: i64,
    role: String,
    joined_at: DateTime<Utc>,
}

impl TryFrom<MemberRow> for GroupMember {
    type Error = StoreError;

    fn try_from(row: MemberRow) -> Result<Self, StoreError> {
        Ok(GroupMember {
            user_id: UserId(row.user_id),
            role: GroupRole::parse(&row.role)
                .ok_or_else(|| corrupt("user_groups.role", &row.role))?,
            joined_at: row.joined_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct ConversationRow {
    conversation_id: String,
    conversation_type: String,
    name: Option<String>,
    avatar_url: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_message_id: Option<String>,
}

impl TryFrom<ConversationRow> for Conversation {
    type Error = StoreError;

    fn try_from(row: ConversationRow) -> Result<Self, StoreError> {
        Ok(Conversation {
            id: ConversationId::parse(&row.conversation_id)
                .ok_or_else(|| corrupt("conversations.conversation_id", &row.conversation_id))?,
            kind: ConversationKind::parse(&row.conversation_type).ok_or_else(|| {
                corrupt("conversations.conversation_type", &row.conversation_type)
            })?,
            name: row.name,
            avatar_url: row.avatar_url,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_message_id: row.last_message_id.as_deref().and_then(MessageId::parse),
        })
    }
}

/// A conversation joined with one participant's state and unread count.
#[derive(sqlx::FromRow)]
pub(in crate::store) struct SummaryRow {
    #[sqlx(flatten)]
    conversation: ConversationRow,
    last_read_message_id: Option<String>,
    muted: bool,
    archived: bool,
    pinned: bool,
    group_id: Option<i64>,
    /// The other participant of a direct conversation (in the same statement, not one query
    /// per conversation).
    peer_id: Option<i64>,
    unread_count: i64,
}

impl SummaryRow {
    /// The summary, given the conversation's last message (fetched separately).
    pub(super) fn into_summary(
        self,
        last_message: Option<Message>,
    ) -> Result<ConversationSummary, StoreError> {
        Ok(ConversationSummary {
            conversation: self.conversation.try_into()?,
            peer_id: self.peer_id.map(UserId),
            group_id: self.group_id,
            last_message,
            unread_count: u32::try_from(self.unread_count).unwrap_or(u32::MAX),
            last_read_message_id: self
                .last_read_message_id
                .as_deref()
                .and_then(MessageId::parse),
            muted: self.muted,
            archived: self.archived,
            pinned: self.pinned,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct MessageRow {
    conversation_id: String,
    message_id: String,
    sender_id: i64,
    recipient_id: Option<i64>,
    content: String,
    media_urls: Json<Vec<String>>,
    message_type: String,
    status: String,
    timestamp: DateTime<Utc>,
    edited: bool,
    edited_timestamp: Option<DateTime<Utc>>,
    deleted: bool,
    metadata: Json<BTreeMap<String, String>>,
    client_msg_id: Option<String>,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        Ok(Message {
            conversation_id: ConversationId::parse(&row.conversation_id)
                .ok_or_else(|| corrupt("messages.conversation_id", &row.conversation_id))?,
            message_id: MessageId::parse(&row.message_id)
                .ok_or_else(|| corrupt("messages.message_id", &row.message_id))?,
            sender_id: UserId(row.sender_id),
            recipient_id: row.recipient_id.map(UserId),
            content: row.content,
            media_urls: row.media_urls.0,
            message_type: MessageType::parse(&row.message_type)
                .ok_or_else(|| corrupt("messages.message_type", &row.message_type))?,
            status: row.status,
            timestamp: row.timestamp,
            edited: row.edited,
            edited_timestamp: row.edited_timestamp,
            deleted: row.deleted,
            metadata: row.metadata.0,
            client_msg_id: row.client_msg_id,
        })
    }
}

fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Setup(format!("unexpected value `{value}` in {column}"))
}

impl GroupRow {
    pub(super) fn id(&self) -> i64 {
        self.id
    }
}

impl SummaryRow {
    /// Where the conversation's newest message is, if it has one.
    pub(super) fn last_message_ref(&self) -> Option<(ConversationId, MessageId)> {
        let conversation = ConversationId::parse(&self.conversation.conversation_id)?;
        let message = MessageId::parse(self.conversation.last_message_id.as_deref()?)?;
        Some((conversation, message))
    }
}

/// One page of groups ordered by id, and the cursor (last id) when more follow.
pub(super) fn into_group_page(
    mut rows: Vec<GroupRow>,
    limit: u32,
) -> Result<(Vec<Group>, Option<i64>), StoreError> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let groups = rows
        .into_iter()
        .map(Group::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if more {
        groups.last().map(|g| g.id)
    } else {
        None
    };
    Ok((groups, next))
}

#[derive(sqlx::FromRow)]
pub(in crate::store) struct AuditRow {
    at: DateTime<Utc>,
    uid: i64,
    username: Option<String>,
    action: String,
    status: i64,
    outcome: String,
}

impl From<AuditRow> for crate::store::audit::AuditRecord {
    fn from(row: AuditRow) -> Self {
        Self {
            at: row.at,
            uid: u32::try_from(row.uid).unwrap_or(u32::MAX),
            username: row.username,
            action: row.action,
            status: u16::try_from(row.status).unwrap_or(0),
            outcome: row.outcome,
        }
    }
}

/// The newest message of each conversation the statement's `uc` rows select: fetched for a whole
/// list in one statement, not one per conversation (engine-neutral SQL; callers add the WHERE).
pub(super) const LAST_MESSAGES_SELECT: &str = "SELECT m.* FROM user_conversations uc
  JOIN conversations c ON c.conversation_id = uc.conversation_id
  JOIN messages m ON m.conversation_id = c.conversation_id AND m.message_ts = c.last_message_ts
   AND m.message_id = c.last_message_id";

/// Pairs each summary row with its conversation's newest message (from [`LAST_MESSAGES_SELECT`]).
pub(super) fn with_last_messages(
    rows: Vec<SummaryRow>,
    last: Vec<MessageRow>,
) -> Result<Vec<ConversationSummary>, StoreError> {
    let mut last: HashMap<(ConversationId, MessageId), Message> = last
        .into_iter()
        .map(|row| Message::try_from(row).map(|m| ((m.conversation_id, m.message_id), m)))
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|row| {
            let message = row.last_message_ref().and_then(|key| last.remove(&key));
            row.into_summary(message)
        })
        .collect()
}

/// A new group's first memberships: the owner, then each other member once.
pub(super) fn founding_members(owner: UserId, members: &[UserId]) -> Vec<(UserId, GroupRole)> {
    let mut joined = vec![(owner, GroupRole::Owner)];
    for member in members {
        if !joined.iter().any(|(user, _)| user == member) {
            joined.push((*member, GroupRole::Member));
        }
    }
    joined
}
