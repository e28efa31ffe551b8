//! Ids as clients write them (path segments, JSON fields, socket payloads), parsed once for both
//! edges: a malformed one is an `invalid_id` naming the field, answered by REST as a 400 and by
//! a socket as an error ack, through the same mapping.

use crate::domain::{ConversationId, MessageId, UserId};
use crate::service::ServiceError;

fn bad(field: &'static str, shape: &str) -> ServiceError {
    ServiceError::invalid(field, "invalid_id", format!("{field} must be {shape}"))
}

/// A user id: a positive integer.
pub fn user_id(field: &'static str, raw: &str) -> Result<UserId, ServiceError> {
    UserId::parse(raw).ok_or_else(|| bad(field, "a positive integer"))
}

/// A group id: a positive integer.
pub fn group_id(field: &'static str, raw: &str) -> Result<i64, ServiceError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| bad(field, "a positive integer"))
}

/// A conversation id: a UUID.
pub fn conversation_id(field: &'static str, raw: &str) -> Result<ConversationId, ServiceError> {
    ConversationId::parse(raw).ok_or_else(|| bad(field, "a UUID"))
}

/// A message id: a TimeUUID (UUID version 1).
pub fn message_id(field: &'static str, raw: &str) -> Result<MessageId, ServiceError> {
    MessageId::parse(raw).ok_or_else(|| bad(field, "a TimeUUID (UUID version 1)"))
}
