//! Every statement the ScyllaDB store runs, as text, and the prepared copies of them.
//!
//! Kept in one list ([`ALL`]) so a unit test can hold every statement to the rules of
//! docs/scylla.md without a cluster: each names its table's whole partition key with `=`, none
//! says `ALLOW FILTERING`, and a read of `messages` always has a `LIMIT`. Statements are only ever
//! run prepared: the driver then knows where the partition key is among the bound values and
//! sends each request to a replica of that partition (token-aware routing).
//!
//! `${keyspace}` is filled in when the statements are prepared, as in the migrations.

use scylla::client::session::Session;
use scylla::statement::prepared::PreparedStatement;

use super::migrations::render;
use super::session::ScyllaError;

/// A `SELECT` of a whole `messages` row (columns in [`super::rows::MessageRow`] order) from one
/// partition, followed by `$tail`.
macro_rules! message_select {
    ($tail:literal) => {
        concat!(
            "SELECT conversation_id, bucket, message_id, sender_id, recipient_id, content, media_urls, \
             message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, client_msg_id \
             FROM ${keyspace}.messages WHERE conversation_id = ? AND bucket = ?",
            $tail
        )
    };
}

pub const INSERT_MESSAGE: &str = "INSERT INTO ${keyspace}.messages (conversation_id, bucket, message_id, sender_id, \
     recipient_id, content, media_urls, message_type, status, timestamp, edited, edited_timestamp, deleted, metadata, \
     client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
pub const SELECT_MESSAGE: &str = message_select!(" AND message_id = ?");
/// Newest first, the whole bucket (the latest page's first bucket, and older buckets).
pub const HISTORY_DESC: &str = message_select!(" ORDER BY message_id DESC LIMIT ?");
/// Newest first, older than the cursor (the cursor's own bucket of a `before` page).
pub const HISTORY_BEFORE: &str =
    message_select!(" AND message_id < ? ORDER BY message_id DESC LIMIT ?");
/// Oldest first, the whole bucket (buckets after the cursor's on an `after` page).
pub const HISTORY_ASC: &str = message_select!(" ORDER BY message_id ASC LIMIT ?");
/// Oldest first, newer than the cursor (the cursor's own bucket of an `after` page).
pub const HISTORY_AFTER: &str =
    message_select!(" AND message_id > ? ORDER BY message_id ASC LIMIT ?");
/// What an unread count needs of the messages newer than a read marker: ids, senders, deletions.
pub const UNREAD_AFTER: &str = "SELECT message_id, sender_id, deleted FROM ${keyspace}.messages \
     WHERE conversation_id = ? AND bucket = ? AND message_id > ? ORDER BY message_id ASC LIMIT ?";
/// The same, oldest first, for the buckets after the read marker's.
pub const UNREAD_ASC: &str = "SELECT message_id, sender_id, deleted FROM ${keyspace}.messages \
     WHERE conversation_id = ? AND bucket = ? ORDER BY message_id ASC LIMIT ?";
/// The same, newest first, for the unread count of someone who has read nothing yet.
pub const UNREAD_DESC: &str = "SELECT message_id, sender_id, deleted FROM ${keyspace}.messages \
     WHERE conversation_id = ? AND bucket = ? ORDER BY message_id DESC LIMIT ?";
pub const EDIT_MESSAGE: &str = "UPDATE ${keyspace}.messages SET content = ?, edited = true, edited_timestamp = ? \
     WHERE conversation_id = ? AND bucket = ? AND message_id = ?";
/// Metadata only (a sender dismissing their message's link preview).
pub const SET_MESSAGE_METADATA: &str = "UPDATE ${keyspace}.messages SET metadata = ? \
     WHERE conversation_id = ? AND bucket = ? AND message_id = ?";
pub const SOFT_DELETE_MESSAGE: &str = "UPDATE ${keyspace}.messages SET content = ?, media_urls = ?, metadata = ?, \
     deleted = true WHERE conversation_id = ? AND bucket = ? AND message_id = ?";
/// The lightweight transaction that makes a `client_msg_id` idempotent (docs/scylla.md).
pub const CLAIM_CLIENT_ID: &str = "INSERT INTO ${keyspace}.messages_by_client_id (sender_id, client_msg_id, \
     conversation_id, message_id) VALUES (?, ?, ?, ?) IF NOT EXISTS";
/// Bound `USING TIMESTAMP` the message's time in µs: the newest message wins, whoever writes last.
pub const ADVANCE_LAST_MESSAGE: &str = "UPDATE ${keyspace}.conversations USING TIMESTAMP ? \
     SET last_message_id = ?, updated_at = ? WHERE conversation_id = ?";

pub const INSERT_CONVERSATION: &str = "INSERT INTO ${keyspace}.conversations (conversation_id, conversation_type, \
     name, avatar_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)";
/// A group's conversation keeps a copy of the group's name and avatar.
pub const UPDATE_CONVERSATION_PROFILE: &str = "UPDATE ${keyspace}.conversations SET name = ?, avatar_url = ?, \
     updated_at = ? WHERE conversation_id = ?";
pub const DELETE_CONVERSATION: &str =
    "DELETE FROM ${keyspace}.conversations WHERE conversation_id = ?";
/// One bucket of a deleted group's messages: a partition deletion, one tombstone.
pub const DELETE_MESSAGES_BUCKET: &str =
    "DELETE FROM ${keyspace}.messages WHERE conversation_id = ? AND bucket = ?";
pub const SELECT_CONVERSATION: &str = "SELECT conversation_id, conversation_type, name, avatar_url, created_at, \
     updated_at, last_message_id FROM ${keyspace}.conversations WHERE conversation_id = ?";
pub const INSERT_PARTICIPANT: &str = "INSERT INTO ${keyspace}.conversation_participants (conversation_id, user_id, \
     joined_at) VALUES (?, ?, ?)";
/// One partition: everyone in the conversation and how far each has read, by user id.
pub const SELECT_PARTICIPANTS: &str = "SELECT user_id, last_read_message_id FROM \
     ${keyspace}.conversation_participants WHERE conversation_id = ?";
pub const DELETE_PARTICIPANT: &str = "DELETE FROM ${keyspace}.conversation_participants \
     WHERE conversation_id = ? AND user_id = ?";
pub const DELETE_PARTICIPANTS: &str =
    "DELETE FROM ${keyspace}.conversation_participants WHERE conversation_id = ?";
pub const INSERT_USER_CONVERSATION: &str = "INSERT INTO ${keyspace}.user_conversations (user_id, conversation_id, \
     conversation_type, peer_id, joined_at) VALUES (?, ?, ?, ?, ?)";
pub const DELETE_USER_CONVERSATION: &str = "DELETE FROM ${keyspace}.user_conversations \
     WHERE user_id = ? AND conversation_id = ?";
/// One partition: the user's whole conversation list (docs/scylla.md says why it is not cut).
pub const SELECT_USER_CONVERSATIONS: &str = "SELECT conversation_id, conversation_type, peer_id, \
     last_read_message_id, muted, archived, pinned FROM ${keyspace}.user_conversations WHERE user_id = ?";
pub const SELECT_USER_CONVERSATION: &str = "SELECT conversation_id, conversation_type, peer_id, \
     last_read_message_id, muted, archived, pinned FROM ${keyspace}.user_conversations \
     WHERE user_id = ? AND conversation_id = ?";
/// Flags absent from a request are bound as *unset*, which writes nothing.
pub const SET_FLAGS: &str = "UPDATE ${keyspace}.user_conversations SET muted = ?, archived = ?, pinned = ? \
     WHERE user_id = ? AND conversation_id = ?";
/// Both copies of a read marker, bound `USING TIMESTAMP` the message's time in µs, so a marker
/// never moves back whatever order racing writes land in.
pub const MARK_READ_USER: &str = "UPDATE ${keyspace}.user_conversations USING TIMESTAMP ? \
     SET last_read_message_id = ? WHERE user_id = ? AND conversation_id = ?";
pub const MARK_READ_PARTICIPANT: &str = "UPDATE ${keyspace}.conversation_participants USING TIMESTAMP ? \
     SET last_read_message_id = ? WHERE conversation_id = ? AND user_id = ?";

/// Every statement of the store, for preparation and for the rules test.
pub const ALL: [&str; 30] = [
    INSERT_MESSAGE,
    SELECT_MESSAGE,
    HISTORY_DESC,
    HISTORY_BEFORE,
    HISTORY_ASC,
    HISTORY_AFTER,
    UNREAD_AFTER,
    UNREAD_ASC,
    UNREAD_DESC,
    EDIT_MESSAGE,
    SET_MESSAGE_METADATA,
    SOFT_DELETE_MESSAGE,
    CLAIM_CLIENT_ID,
    ADVANCE_LAST_MESSAGE,
    INSERT_CONVERSATION,
    UPDATE_CONVERSATION_PROFILE,
    DELETE_CONVERSATION,
    DELETE_MESSAGES_BUCKET,
    SELECT_CONVERSATION,
    INSERT_PARTICIPANT,
    SELECT_PARTICIPANTS,
    DELETE_PARTICIPANT,
    DELETE_PARTICIPANTS,
    INSERT_USER_CONVERSATION,
    DELETE_USER_CONVERSATION,
    SELECT_USER_CONVERSATIONS,
    SELECT_USER_CONVERSATION,
    SET_FLAGS,
    MARK_READ_USER,
    MARK_READ_PARTICIPANT,
];

/// The statements, prepared once per session and shared by every request.
pub struct Prepared {
    statements: Vec<(&'static str, PreparedStatement)>,
}

impl Prepared {
    /// Prepares every statement of [`ALL`] for `keyspace`.
    pub async fn prepare(session: &Session, keyspace: &str) -> Result<Self, ScyllaError> {
        let mut statements = Vec::with_capacity(ALL.len());
        for text in ALL {
            let prepared = session
                .prepare(render(text, keyspace, ""))
                .await
                .map_err(|err| ScyllaError::request("preparing a statement", err))?;
            statements.push((text, prepared));
        }
        Ok(Prepared { statements })
    }

    /// The prepared copy of `text`, one of this module's constants.
    pub fn get(&self, text: &'static str) -> Result<&PreparedStatement, ScyllaError> {
        self.statements
            .iter()
            .find(|(known, _)| *known == text)
            .map(|(_, prepared)| prepared)
            .ok_or_else(|| ScyllaError::Answer {
                what: format!("statement that was never prepared: {text}"),
            })
    }
}

#[cfg(test)]
#[path = "queries_tests.rs"]
mod tests;
