//! Rows of the `messages` table and the domain [`Message`] they hold; rows never leave the store.
//!
//! The row keeps the CQL column types as the driver hands them over: `uuid`/`timeuuid` as
//! [`Uuid`], `timestamp` as milliseconds since the Unix epoch, nullable columns as `Option`.
//! CQL `timestamp` holds milliseconds, so a message read back has its times cut to the
//! millisecond: [`stored`] gives the message exactly as every later read will return it, and is
//! what an append answers with.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::bucket::Bucketing;
use crate::domain::{ConversationId, Message, MessageId, MessageType, UserId};
use crate::store::StoreError;

/// One `messages` row, columns in table order.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRow {
    pub conversation_id: Uuid,
    pub bucket: i32,
    pub message_id: Uuid,
    pub sender_id: i64,
    pub recipient_id: Option<i64>,
    pub content: Option<String>,
    pub media_urls: Option<Vec<String>>,
    pub message_type: Option<String>,
    pub status: Option<String>,
    pub timestamp_ms: Option<i64>,
    pub edited: Option<bool>,
    pub edited_timestamp_ms: Option<i64>,
    pub deleted: Option<bool>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub client_msg_id: Option<String>,
}

impl MessageRow {
    /// The row that stores `message`, in the partition of its id's bucket.
    pub fn from_message(message: &Message, buckets: Bucketing) -> Self {
        MessageRow {
            conversation_id: message.conversation_id.0,
            bucket: buckets.of_message(message.message_id).0,
            message_id: message.message_id.0,
            sender_id: message.sender_id.0,
            recipient_id: message.recipient_id.map(|user| user.0),
            content: Some(message.content.clone()),
            media_urls: Some(message.media_urls.clone()),
            message_type: Some(message.message_type.as_str().to_owned()),
            status: Some(message.status.clone()),
            timestamp_ms: Some(message.timestamp.timestamp_millis()),
            edited: Some(message.edited),
            edited_timestamp_ms: message.edited_timestamp.map(|at| at.timestamp_millis()),
            deleted: Some(message.deleted),
            metadata: Some(message.metadata.clone()),
            client_msg_id: message.client_msg_id.clone(),
        }
    }
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    /// A null collection is an empty one (CQL stores an emptied non-frozen collection as null),
    /// a null flag is false; a null type, status or time means the row is not one we wrote.
    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        let message_id = MessageId(row.message_id);
        if row.message_id.get_version_num() != 1 {
            return Err(corrupt("message_id", &row.message_id.to_string()));
        }
        let message_type = row.message_type.unwrap_or_default();
        Ok(Message {
            conversation_id: ConversationId(row.conversation_id),
            message_id,
            sender_id: UserId(row.sender_id),
            recipient_id: row.recipient_id.map(UserId),
            content: row.content.unwrap_or_default(),
            media_urls: row.media_urls.unwrap_or_default(),
            message_type: MessageType::parse(&message_type)
                .ok_or_else(|| corrupt("message_type", &message_type))?,
            status: row.status.ok_or_else(|| corrupt("status", "null"))?,
            timestamp: time("timestamp", row.timestamp_ms)?
                .ok_or_else(|| corrupt("timestamp", "null"))?,
            edited: row.edited.unwrap_or(false),
            edited_timestamp: time("edited_timestamp", row.edited_timestamp_ms)?,
            deleted: row.deleted.unwrap_or(false),
            metadata: row.metadata.unwrap_or_default(),
            client_msg_id: row.client_msg_id,
        })
    }
}

/// `message` as reads will return it once stored (times cut to the millisecond).
pub fn stored(message: &Message, buckets: Bucketing) -> Result<Message, StoreError> {
    Message::try_from(MessageRow::from_message(message, buckets))
}

fn time(column: &str, millis: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    millis
        .map(|ms| {
            DateTime::from_timestamp_millis(ms).ok_or_else(|| corrupt(column, &ms.to_string()))
        })
        .transpose()
}

fn corrupt(column: &str, value: &str) -> StoreError {
    StoreError::Setup(format!("unexpected value `{value}` in messages.{column}"))
}

#[cfg(test)]
mod tests {
    use chrono::{SubsecRound, TimeZone};

    use super::super::timeuuid::tests::id_at;
    use super::*;

    fn buckets() -> Bucketing {
        Bucketing::days(10).unwrap()
    }

    fn message() -> Message {
        let sent = Utc.timestamp_opt(1_764_000_123, 456_789_123).unwrap();
        Message {
            conversation_id: ConversationId::direct(UserId(3), UserId(9)),
            message_id: id_at(1_764_000_123_456_789_100, 5, [2; 6]),
            sender_id: UserId(3),
            recipient_id: Some(UserId(9)),
            content: "hello; it's me".into(),
            media_urls: vec!["https://example.org/a.png".into()],
            message_type: MessageType::Image,
            status: "sent".into(),
            timestamp: sent,
            edited: true,
            edited_timestamp: Some(sent + chrono::Duration::microseconds(1_500)),
            deleted: false,
            metadata: [("reply_to".to_owned(), "x".to_owned())].into(),
            client_msg_id: Some("c-1".into()),
        }
    }

    #[test]
    fn a_message_survives_its_row_except_below_the_millisecond() {
        let original = message();
        let back = Message::try_from(MessageRow::from_message(&original, buckets())).unwrap();
        let expected = Message {
            timestamp: original.timestamp.trunc_subsecs(3),
            edited_timestamp: original.edited_timestamp.map(|at| at.trunc_subsecs(3)),
            ..original.clone()
        };
        assert_eq!(back, expected);
        assert_ne!(back, original, "the test message has sub-millisecond times");
        assert_eq!(stored(&original, buckets()).unwrap(), expected);
    }

    #[test]
    fn the_row_goes_in_the_bucket_of_the_id_not_of_the_timestamp_field() {
        let mut original = message();
        original.timestamp = Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap();
        let row = MessageRow::from_message(&original, buckets());
        assert_eq!(row.bucket, buckets().of_message(original.message_id).0);
        assert_ne!(row.bucket, buckets().of_time(original.timestamp).0);
    }

    #[test]
    fn null_collections_and_flags_read_as_empty_and_false() {
        let mut row = MessageRow::from_message(&message(), buckets());
        row.media_urls = None;
        row.metadata = None;
        row.content = None;
        row.edited = None;
        row.deleted = None;
        row.client_msg_id = None;
        let back = Message::try_from(row).unwrap();
        assert!(back.media_urls.is_empty() && back.metadata.is_empty());
        assert_eq!(back.content, "");
        assert!(!back.edited && !back.deleted);
        assert_eq!(back.client_msg_id, None);
    }

    #[test]
    fn a_row_we_did_not_write_is_refused_naming_the_column() {
        let good = MessageRow::from_message(&message(), buckets());
        let cases: [(&str, MessageRow); 4] = [
            (
                "message_id",
                MessageRow {
                    message_id: Uuid::new_v4(),
                    ..good.clone()
                },
            ),
            (
                "message_type",
                MessageRow {
                    message_type: Some("sticker".into()),
                    ..good.clone()
                },
            ),
            (
                "status",
                MessageRow {
                    status: None,
                    ..good.clone()
                },
            ),
            (
                "timestamp",
                MessageRow {
                    timestamp_ms: Some(i64::MAX),
                    ..good.clone()
                },
            ),
        ];
        for (column, row) in cases {
            let err = Message::try_from(row).unwrap_err();
            assert!(
                err.to_string().contains(&format!("messages.{column}")),
                "{column}: {err}"
            );
        }
    }
}
