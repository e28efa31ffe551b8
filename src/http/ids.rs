//! Path segments parsed into ids, with a 400 naming the segment when they are not one.

use axum::http::StatusCode;

use super::error::ApiError;
use crate::domain::{ConversationId, MessageId, UserId};

fn bad(what: &str, shape: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_id",
        format!("{what} must be {shape}"),
    )
}

pub fn user_id(raw: &str) -> Result<UserId, ApiError> {
    UserId::parse(raw).ok_or_else(|| bad("a user id", "a positive integer"))
}

pub fn group_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| bad("a group id", "a positive integer"))
}

pub fn conversation_id(raw: &str) -> Result<ConversationId, ApiError> {
    ConversationId::parse(raw).ok_or_else(|| bad("a conversation id", "a UUID"))
}

pub fn message_id(raw: &str) -> Result<MessageId, ApiError> {
    MessageId::parse(raw).ok_or_else(|| bad("a message id", "a TimeUUID (UUID version 1)"))
}
