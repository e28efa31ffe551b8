//! The bytes an event travels as between nodes.
//!
//! One frame per publish, encoded once whatever the number of recipients: a format version, the
//! publishing node (so it can skip its own events, which it delivered locally already) and the
//! event. postcard (serde, varints, no field names) keeps a typical message event at about the
//! size of its text plus 60 bytes, against roughly 350 bytes of JSON. The types here mirror the
//! bus's events field by field and are this module's only business: domain types stay free of
//! serialisation concerns, and a change to them cannot silently change what other nodes parse.
//!
//! A node that receives a frame of another version (a rolling upgrade) drops it with a warning:
//! events are best effort and clients catch up through history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ConversationChange, Event, ResyncReason, RevocationReason};
use crate::domain::{ConversationId, FriendshipStatus, Message, MessageId, MessageType, UserId};

/// Bumped whenever a type below changes shape.
const VERSION: u8 = 1;

/// Which node published a frame: random per process start.
pub type NodeTag = u64;

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("empty frame")]
    Empty,
    #[error(
        "frame of format version {0}, this node reads version {VERSION} (mixed versions during an upgrade?)"
    )]
    Version(u8),
    #[error("malformed frame: {0}")]
    Malformed(#[from] postcard::Error),
    #[error("malformed frame: {0}")]
    Invalid(&'static str),
}

#[derive(Serialize, Deserialize)]
struct Frame<'a> {
    origin: NodeTag,
    #[serde(borrow)]
    event: WireEvent<'a>,
}

/// Encodes `event` published by `origin`.
pub fn encode(origin: NodeTag, event: &Event) -> Vec<u8> {
    let frame = Frame {
        origin,
        event: WireEvent::from(event),
    };
    let mut out = Vec::with_capacity(256);
    out.push(VERSION);
    // Serialising plain data into a Vec cannot fail.
    postcard::to_extend(&frame, out).unwrap_or_default()
}

/// The node a frame came from, read without decoding its event: a node skips the frames Redis
/// echoes back to it, and there are as many of those as messages its users send.
pub fn origin(bytes: &[u8]) -> Option<NodeTag> {
    let (&version, body) = bytes.split_first()?;
    if version != VERSION {
        return None;
    }
    postcard::take_from_bytes::<NodeTag>(body)
        .ok()
        .map(|(origin, _)| origin)
}

/// Decodes a frame into its origin and event.
pub fn decode(bytes: &[u8]) -> Result<(NodeTag, Event), DecodeError> {
    let (&version, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let frame: Frame<'_> = postcard::from_bytes(body)?;
    Ok((frame.origin, frame.event.try_into()?))
}

#[derive(Serialize, Deserialize)]
enum WireEvent<'a> {
    MessageCreated(#[serde(borrow)] WireMessage<'a>),
    MessageEdited(#[serde(borrow)] WireMessage<'a>),
    MessageDeleted(#[serde(borrow)] WireMessage<'a>),
    MessagesRead {
        conversation_id: Uuid,
        user_id: i64,
        message_id: Uuid,
    },
    ConversationUpdated {
        conversation_id: Uuid,
        reason: u8,
    },
    ConversationRemoved {
        conversation_id: Uuid,
    },
    FriendshipUpdated {
        user_id: i64,
        other_id: i64,
        status: Option<u8>,
    },
    Typing {
        conversation_id: Uuid,
        user_id: i64,
        typing: bool,
    },
    SessionsRevoked {
        reason: u8,
    },
    KeyRetired {
        kid: &'a str,
    },
    Presence {
        user_id: i64,
        online: bool,
        #[serde(with = "chrono::serde::ts_nanoseconds_option")]
        last_seen: Option<DateTime<Utc>>,
    },
    AudienceChanged {
        conversation_id: Uuid,
    },
    KeysChanged,
    /// `ResyncReason` as its wire name's index: 0 bus reconnected, 1 delivery lagged.
    Resync(u8),
}

#[derive(Serialize, Deserialize)]
struct WireMessage<'a> {
    conversation_id: Uuid,
    message_id: Uuid,
    sender_id: i64,
    recipient_id: Option<i64>,
    content: &'a str,
    media_urls: Vec<&'a str>,
    message_type: u8,
    status: &'a str,
    #[serde(with = "chrono::serde::ts_nanoseconds")]
    timestamp: DateTime<Utc>,
    edited: bool,
    #[serde(with = "chrono::serde::ts_nanoseconds_option")]
    edited_timestamp: Option<DateTime<Utc>>,
    deleted: bool,
    metadata: BTreeMap<&'a str, &'a str>,
    client_msg_id: Option<&'a str>,
}

// Small closed sets travel as their index in these tables; a new member goes at the end.
const CHANGES: [ConversationChange; 7] = [
    ConversationChange::Created,
    ConversationChange::Flags,
    ConversationChange::GroupUpdated,
    ConversationChange::MemberAdded,
    ConversationChange::MemberRemoved,
    ConversationChange::MemberLeft,
    ConversationChange::RolesChanged,
];
const REASONS: [RevocationReason; 6] = [
    RevocationReason::AccountDisabled,
    RevocationReason::AccountDeleted,
    RevocationReason::LoggedOut,
    RevocationReason::PasswordReset,
    RevocationReason::PasswordChanged,
    RevocationReason::SigningKeyRetired,
];
const STATUSES: [FriendshipStatus; 4] = [
    FriendshipStatus::Pending,
    FriendshipStatus::Accepted,
    FriendshipStatus::Declined,
    FriendshipStatus::Blocked,
];
const MESSAGE_TYPES: [MessageType; 4] = [
    MessageType::Text,
    MessageType::Image,
    MessageType::File,
    MessageType::System,
];

fn index_of<T: PartialEq>(table: &[T], value: &T) -> u8 {
    // Every value of these enums is in its table (the round-trip test checks each).
    table.iter().position(|v| v == value).unwrap_or(0) as u8
}

fn from_index<T: Copy>(table: &[T], index: u8, what: &'static str) -> Result<T, DecodeError> {
    table
        .get(usize::from(index))
        .copied()
        .ok_or(DecodeError::Invalid(what))
}

impl<'a> From<&'a Message> for WireMessage<'a> {
    fn from(m: &'a Message) -> Self {
        WireMessage {
            conversation_id: m.conversation_id.0,
            message_id: m.message_id.0,
            sender_id: m.sender_id.0,
            recipient_id: m.recipient_id.map(|u| u.0),
            content: &m.content,
            media_urls: m.media_urls.iter().map(String::as_str).collect(),
            message_type: index_of(&MESSAGE_TYPES, &m.message_type),
            status: &m.status,
            timestamp: m.timestamp,
            edited: m.edited,
            edited_timestamp: m.edited_timestamp,
            deleted: m.deleted,
            metadata: m
                .metadata
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            client_msg_id: m.client_msg_id.as_deref(),
        }
    }
}

impl TryFrom<WireMessage<'_>> for Message {
    type Error = DecodeError;

    fn try_from(m: WireMessage<'_>) -> Result<Self, DecodeError> {
        Ok(Message {
            conversation_id: ConversationId(m.conversation_id),
            message_id: MessageId(m.message_id),
            sender_id: UserId(m.sender_id),
            recipient_id: m.recipient_id.map(UserId),
            content: m.content.to_owned(),
            media_urls: m.media_urls.into_iter().map(str::to_owned).collect(),
            message_type: from_index(&MESSAGE_TYPES, m.message_type, "message type")?,
            status: m.status.to_owned(),
            timestamp: m.timestamp,
            edited: m.edited,
            edited_timestamp: m.edited_timestamp,
            deleted: m.deleted,
            metadata: m
                .metadata
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            client_msg_id: m.client_msg_id.map(str::to_owned),
        })
    }
}

impl<'a> From<&'a Event> for WireEvent<'a> {
    fn from(event: &'a Event) -> Self {
        match event {
            Event::MessageCreated(m) => WireEvent::MessageCreated(m.into()),
            Event::MessageEdited(m) => WireEvent::MessageEdited(m.into()),
            Event::MessageDeleted(m) => WireEvent::MessageDeleted(m.into()),
            Event::MessagesRead {
                conversation_id,
                user_id,
                message_id,
            } => WireEvent::MessagesRead {
                conversation_id: conversation_id.0,
                user_id: user_id.0,
                message_id: message_id.0,
            },
            Event::ConversationUpdated {
                conversation_id,
                reason,
            } => WireEvent::ConversationUpdated {
                conversation_id: conversation_id.0,
                reason: index_of(&CHANGES, reason),
            },
            Event::ConversationRemoved { conversation_id } => WireEvent::ConversationRemoved {
                conversation_id: conversation_id.0,
            },
            Event::FriendshipUpdated {
                user_id,
                other_id,
                status,
            } => WireEvent::FriendshipUpdated {
                user_id: user_id.0,
                other_id: other_id.0,
                status: status.map(|s| index_of(&STATUSES, &s)),
            },
            Event::Typing {
                conversation_id,
                user_id,
                typing,
            } => WireEvent::Typing {
                conversation_id: conversation_id.0,
                user_id: user_id.0,
                typing: *typing,
            },
            Event::SessionsRevoked { reason } => WireEvent::SessionsRevoked {
                reason: index_of(&REASONS, reason),
            },
            Event::KeyRetired { kid } => WireEvent::KeyRetired { kid },
            Event::Presence {
                user_id,
                online,
                last_seen,
            } => WireEvent::Presence {
                user_id: user_id.0,
                online: *online,
                last_seen: *last_seen,
            },
            Event::AudienceChanged { conversation_id } => WireEvent::AudienceChanged {
                conversation_id: conversation_id.0,
            },
            Event::KeysChanged => WireEvent::KeysChanged,
            Event::Resync { reason } => WireEvent::Resync(match reason {
                ResyncReason::BusReconnected => 0,
                ResyncReason::DeliveryLagged => 1,
            }),
        }
    }
}

impl TryFrom<WireEvent<'_>> for Event {
    type Error = DecodeError;

    fn try_from(event: WireEvent<'_>) -> Result<Self, DecodeError> {
        Ok(match event {
            WireEvent::MessageCreated(m) => Event::MessageCreated(m.try_into()?),
            WireEvent::MessageEdited(m) => Event::MessageEdited(m.try_into()?),
            WireEvent::MessageDeleted(m) => Event::MessageDeleted(m.try_into()?),
            WireEvent::MessagesRead {
                conversation_id,
                user_id,
                message_id,
            } => Event::MessagesRead {
                conversation_id: ConversationId(conversation_id),
                user_id: UserId(user_id),
                message_id: MessageId(message_id),
            },
            WireEvent::ConversationUpdated {
                conversation_id,
                reason,
            } => Event::ConversationUpdated {
                conversation_id: ConversationId(conversation_id),
                reason: from_index(&CHANGES, reason, "conversation change")?,
            },
            WireEvent::ConversationRemoved { conversation_id } => Event::ConversationRemoved {
                conversation_id: ConversationId(conversation_id),
            },
            WireEvent::FriendshipUpdated {
                user_id,
                other_id,
                status,
            } => Event::FriendshipUpdated {
                user_id: UserId(user_id),
                other_id: UserId(other_id),
                status: status
                    .map(|s| from_index(&STATUSES, s, "friendship status"))
                    .transpose()?,
            },
            WireEvent::Typing {
                conversation_id,
                user_id,
                typing,
            } => Event::Typing {
                conversation_id: ConversationId(conversation_id),
                user_id: UserId(user_id),
                typing,
            },
            WireEvent::SessionsRevoked { reason } => Event::SessionsRevoked {
                reason: from_index(&REASONS, reason, "revocation reason")?,
            },
            WireEvent::KeyRetired { kid } => Event::KeyRetired {
                kid: kid.to_owned(),
            },
            WireEvent::Presence {
                user_id,
                online,
                last_seen,
            } => Event::Presence {
                user_id: UserId(user_id),
                online,
                last_seen,
            },
            WireEvent::AudienceChanged { conversation_id } => Event::AudienceChanged {
                conversation_id: ConversationId(conversation_id),
            },
            WireEvent::KeysChanged => Event::KeysChanged,
            WireEvent::Resync(reason) => Event::Resync {
                reason: match reason {
                    0 => ResyncReason::BusReconnected,
                    _ => ResyncReason::DeliveryLagged,
                },
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            conversation_id: ConversationId::random(),
            message_id: MessageId::now(),
            sender_id: UserId(7),
            recipient_id: Some(UserId(9)),
            content: "hello over the bus".into(),
            media_urls: vec!["https://example.org/a.png".into()],
            message_type: MessageType::Image,
            status: "sent".into(),
            timestamp: Utc::now(),
            edited: true,
            edited_timestamp: Some(Utc::now()),
            deleted: false,
            metadata: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
            client_msg_id: Some("c-1".into()),
        }
    }

    fn round_trip(event: Event) -> Event {
        let bytes = encode(42, &event);
        let (from, back) = decode(&bytes).expect("decodes");
        assert_eq!(from, 42);
        assert_eq!(origin(&bytes), Some(42), "the origin reads alone too");
        back
    }

    #[test]
    fn every_event_survives_the_trip() {
        let m = message();
        let conversation_id = m.conversation_id;
        let mut events = vec![
            Event::MessageCreated(m.clone()),
            Event::MessageEdited(m.clone()),
            Event::MessageDeleted(m.clone()),
            Event::MessagesRead {
                conversation_id,
                user_id: UserId(3),
                message_id: m.message_id,
            },
            Event::ConversationRemoved { conversation_id },
            Event::Typing {
                conversation_id,
                user_id: UserId(3),
                typing: true,
            },
            Event::KeyRetired { kid: "k1".into() },
            Event::Presence {
                user_id: UserId(3),
                online: false,
                last_seen: Some(Utc::now()),
            },
            Event::AudienceChanged { conversation_id },
            Event::KeysChanged,
            Event::Resync {
                reason: ResyncReason::BusReconnected,
            },
            Event::Resync {
                reason: ResyncReason::DeliveryLagged,
            },
        ];
        events.extend(CHANGES.iter().map(|&reason| Event::ConversationUpdated {
            conversation_id,
            reason,
        }));
        events.extend(
            REASONS
                .iter()
                .map(|&reason| Event::SessionsRevoked { reason }),
        );
        for status in STATUSES.iter().map(|s| Some(*s)).chain([None]) {
            events.push(Event::FriendshipUpdated {
                user_id: UserId(1),
                other_id: UserId(2),
                status,
            });
        }
        for t in MESSAGE_TYPES {
            let mut m = m.clone();
            m.message_type = t;
            events.push(Event::MessageCreated(m));
        }
        for event in events {
            let text = format!("{event:?}");
            assert_eq!(format!("{:?}", round_trip(event)), text);
        }
    }

    #[test]
    fn a_message_event_costs_little_more_than_its_text() {
        let m = message();
        let bytes = encode(u64::MAX, &Event::MessageCreated(m.clone()));
        let overhead = bytes.len() - m.content.len() - m.media_urls[0].len();
        assert!(overhead < 110, "{overhead} bytes of framing: {bytes:?}");
    }

    #[test]
    fn foreign_versions_and_garbage_are_refused() {
        let mut bytes = encode(1, &Event::KeysChanged);
        bytes[0] = VERSION + 1;
        assert!(matches!(decode(&bytes), Err(DecodeError::Version(_))));
        assert!(matches!(decode(&[]), Err(DecodeError::Empty)));
        assert!(decode(&[VERSION, 0xff, 0xff]).is_err());
        let mut bad = encode(
            1,
            &Event::SessionsRevoked {
                reason: RevocationReason::LoggedOut,
            },
        );
        *bad.last_mut().unwrap() = 200;
        assert!(matches!(decode(&bad), Err(DecodeError::Invalid(_))));
    }
}
