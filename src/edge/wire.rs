//! JSON shapes shared by the REST and Socket.IO edges; stored fields (hash, token version) never appear.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{ConversationSummary, Friendship, Group, GroupMember, Message, User};

/// Another user, as anyone signed in may see them.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub status: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            profile_picture_url: user.profile_picture_url.clone(),
            status: user.status.clone(),
            last_seen: user.last_seen,
            created_at: user.created_at,
        }
    }
}

/// The signed-in user's own account: the public view plus private contact details.
#[derive(Debug, Serialize)]
pub struct MeView {
    #[serde(flatten)]
    pub public: UserView,
    pub email: String,
    pub phone_number: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for MeView {
    fn from(user: &User) -> Self {
        Self {
            public: UserView::from(user),
            email: user.email.clone(),
            phone_number: user.phone_number.clone(),
            updated_at: user.updated_at,
        }
    }
}

/// For PATCH bodies: a missing key is `None` (leave alone), `null` is `Some(None)` (clear).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A relationship row as seen by one side.
#[derive(Debug, Serialize)]
pub struct FriendshipView {
    pub requester_id: i64,
    pub addressee_id: i64,
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Friendship> for FriendshipView {
    fn from(f: &Friendship) -> Self {
        Self {
            requester_id: f.requester_id.0,
            addressee_id: f.addressee_id.0,
            status: f.status.as_str(),
            created_at: f.created_at,
            updated_at: f.updated_at,
        }
    }
}

/// A group.
#[derive(Debug, Serialize)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub created_by: Option<i64>,
    pub conversation_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id,
            name: g.name.clone(),
            description: g.description.clone(),
            avatar_url: g.avatar_url.clone(),
            created_by: g.created_by.map(|u| u.0),
            conversation_id: g.conversation_id.to_string(),
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

/// A group member.
#[derive(Debug, Serialize)]
pub struct MemberView {
    pub user_id: i64,
    pub role: &'static str,
    pub joined_at: DateTime<Utc>,
}

impl From<&GroupMember> for MemberView {
    fn from(m: &GroupMember) -> Self {
        Self {
            user_id: m.user_id.0,
            role: m.role.as_str(),
            joined_at: m.joined_at,
        }
    }
}

/// A message (the seed's Messages columns).
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub conversation_id: String,
    pub message_id: String,
    pub sender_id: i64,
    pub recipient_id: Option<i64>,
    pub content: String,
    pub media_urls: Vec<String>,
    pub message_type: &'static str,
    pub status: String,
    pub timestamp: DateTime<Utc>,
    pub edited: bool,
    pub edited_timestamp: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub metadata: std::collections::BTreeMap<String, String>,
    pub client_msg_id: Option<String>,
}

impl From<&Message> for MessageView {
    fn from(m: &Message) -> Self {
        Self {
            conversation_id: m.conversation_id.to_string(),
            message_id: m.message_id.to_string(),
            sender_id: m.sender_id.0,
            recipient_id: m.recipient_id.map(|u| u.0),
            content: m.content.clone(),
            media_urls: m.media_urls.clone(),
            message_type: m.message_type.as_str(),
            status: m.status.clone(),
            timestamp: m.timestamp,
            edited: m.edited,
            edited_timestamp: m.edited_timestamp,
            deleted: m.deleted,
            metadata: m.metadata.clone(),
            client_msg_id: m.client_msg_id.clone(),
        }
    }
}

/// A conversation as one participant sees it in their list.
#[derive(Debug, Serialize)]
pub struct ConversationView {
    pub conversation_id: String,
    pub conversation_type: &'static str,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    /// The other participant of a direct conversation.
    pub peer_id: Option<i64>,
    /// The group of a group conversation.
    pub group_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message: Option<MessageView>,
    pub unread_count: u32,
    pub last_read_message_id: Option<String>,
    pub muted: bool,
    pub archived: bool,
    pub pinned: bool,
}

impl From<&ConversationSummary> for ConversationView {
    fn from(s: &ConversationSummary) -> Self {
        let c = &s.conversation;
        Self {
            conversation_id: c.id.to_string(),
            conversation_type: c.kind.as_str(),
            name: c.name.clone(),
            avatar_url: c.avatar_url.clone(),
            peer_id: s.peer_id.map(|u| u.0),
            group_id: s.group_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_message: s.last_message.as_ref().map(MessageView::from),
            unread_count: s.unread_count,
            last_read_message_id: s.last_read_message_id.map(|m| m.to_string()),
            muted: s.muted,
            archived: s.archived,
            pinned: s.pinned,
        }
    }
}

/// A message as clients send it (REST body and `send_message` payload alike).
#[derive(Debug, Deserialize)]
pub struct MessageDraft {
    pub client_msg_id: Option<String>,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub media_urls: Vec<String>,
    pub message_type: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

impl From<MessageDraft> for crate::service::conversations::Draft {
    fn from(body: MessageDraft) -> Self {
        crate::service::conversations::Draft {
            client_msg_id: body.client_msg_id,
            content: body.content,
            media_urls: body.media_urls,
            message_type: body.message_type,
            metadata: body.metadata,
        }
    }
}
