//! Relationships, groups, conversations and messages, as stored.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::UserId;

/// State of a (requester → addressee) relationship row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FriendshipStatus {
    Pending,
    Accepted,
    Declined,
    /// The requester blocks the addressee.
    Blocked,
}

impl FriendshipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FriendshipStatus::Pending => "pending",
            FriendshipStatus::Accepted => "accepted",
            FriendshipStatus::Declined => "declined",
            FriendshipStatus::Blocked => "blocked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(FriendshipStatus::Pending),
            "accepted" => Some(FriendshipStatus::Accepted),
            "declined" => Some(FriendshipStatus::Declined),
            "blocked" => Some(FriendshipStatus::Blocked),
            _ => None,
        }
    }
}

/// One directed relationship row.
#[derive(Debug, Clone, PartialEq)]
pub struct Friendship {
    pub requester_id: UserId,
    pub addressee_id: UserId,
    pub status: FriendshipStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A member's rank in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupRole {
    Member,
    Admin,
    Owner,
}

impl GroupRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Member => "member",
            GroupRole::Admin => "admin",
            GroupRole::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "member" => Some(GroupRole::Member),
            "admin" => Some(GroupRole::Admin),
            "owner" => Some(GroupRole::Owner),
            _ => None,
        }
    }
}

/// A group chat's metadata; its messages live in its one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub avatar_url: Option<String>,
    pub created_by: Option<UserId>,
    pub conversation_id: ConversationId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user's membership of a group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupMember {
    pub user_id: UserId,
    pub role: GroupRole,
    pub joined_at: DateTime<Utc>,
}

/// Conversation id (the seed's UUID partition key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationId(pub Uuid);

/// Namespace for direct-conversation ids (UUIDv5), so a pair always maps to the same id.
const DIRECT_NAMESPACE: Uuid = Uuid::from_u128(0x6f6d_6567_6163_6861_7400_0000_0000_0001);

impl ConversationId {
    /// The one direct conversation of two users, whichever of them asks.
    pub fn direct(a: UserId, b: UserId) -> Self {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        ConversationId(Uuid::new_v5(
            &DIRECT_NAMESPACE,
            format!("direct:{low}:{high}").as_bytes(),
        ))
    }

    /// A new random id (group conversations).
    pub fn random() -> Self {
        ConversationId(Uuid::new_v4())
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Uuid::parse_str(raw).ok().map(ConversationId)
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Direct (two people) or group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationKind {
    Direct,
    Group,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "direct" => Some(ConversationKind::Direct),
            "group" => Some(ConversationKind::Group),
            _ => None,
        }
    }
}

/// A conversation's shared metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_message_id: Option<MessageId>,
}

/// One participant's own view of a conversation, with what the list screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    /// In a direct conversation, the other participant.
    pub peer_id: Option<UserId>,
    /// In a group conversation, its group (for `/api/groups/{id}`).
    pub group_id: Option<i64>,
    pub last_message: Option<Message>,
    pub unread_count: u32,
    pub last_read_message_id: Option<MessageId>,
    pub muted: bool,
    pub archived: bool,
    pub pinned: bool,
}

/// Per-user flags on a conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationFlags {
    pub muted: Option<bool>,
    pub archived: Option<bool>,
    pub pinned: Option<bool>,
}

/// A TimeUUID (version 1) message id; messages order by its embedded time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageId(pub Uuid);

impl MessageId {
    /// A new TimeUUID for now. Ids made in the same 100 ns tick differ by the v1 clock sequence.
    pub fn now() -> Self {
        MessageId(Uuid::now_v1(&node_id()))
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Uuid::parse_str(raw)
            .ok()
            .filter(|u| u.get_version_num() == 1)
            .map(MessageId)
    }

    /// The id's timestamp in 100 ns ticks since 1582-10-15, the sort key engines store beside it.
    pub fn ticks(&self) -> i64 {
        self.0
            .get_timestamp()
            .map_or(0, |ts| ts.to_gregorian().0 as i64)
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// This process's random v1 node id (no MAC address leaks into ids).
fn node_id() -> [u8; 6] {
    static NODE: std::sync::OnceLock<[u8; 6]> = std::sync::OnceLock::new();
    *NODE.get_or_init(|| {
        let bytes = Uuid::new_v4().into_bytes();
        let mut node = [0u8; 6];
        node.copy_from_slice(&bytes[..6]);
        node[0] |= 0x01; // multicast bit: marks a random, not hardware, node id (RFC 9562 §6.10)
        node
    })
}

/// Kinds of message content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Text,
    Image,
    File,
    /// Written by the server (member added, group renamed…).
    System,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Text => "text",
            MessageType::Image => "image",
            MessageType::File => "file",
            MessageType::System => "system",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "text" => Some(MessageType::Text),
            "image" => Some(MessageType::Image),
            "file" => Some(MessageType::File),
            "system" => Some(MessageType::System),
            _ => None,
        }
    }
}

/// A stored message (the seed's Messages table).
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub sender_id: UserId,
    pub recipient_id: Option<UserId>,
    pub content: String,
    pub media_urls: Vec<String>,
    pub message_type: MessageType,
    pub status: String,
    pub timestamp: DateTime<Utc>,
    pub edited: bool,
    pub edited_timestamp: Option<DateTime<Utc>>,
    pub deleted: bool,
    pub metadata: BTreeMap<String, String>,
    pub client_msg_id: Option<String>,
}

/// Which page of history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryPage {
    /// The newest messages, newest first.
    Latest,
    /// Messages older than this id, newest first.
    Before(MessageId),
    /// Messages newer than this id, oldest first (catching up after a reconnect).
    After(MessageId),
}
