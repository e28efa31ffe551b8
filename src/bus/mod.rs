//! Fan-out of events to connected clients: services publish, the real-time edge delivers.
//!
//! A trait because the scaled-out profile carries events between nodes over Redis pub/sub; the
//! embedded profile uses an in-process broadcast channel. Delivery is best effort by design:
//! everything an event announces is already stored, and clients catch up through history.

pub mod codec;
pub mod redis;

use std::sync::Arc;

use tokio::sync::{broadcast, oneshot};

use crate::domain::{ConversationId, FriendshipStatus, Message, MessageId, UserId};

/// Something that happened, for a known set of users.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Users whose every connected socket should receive it.
    pub recipients: Vec<UserId>,
    pub event: Event,
}

/// What happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A new message (`receive_message`).
    MessageCreated(Message),
    /// A message's content changed (`message_edited`).
    MessageEdited(Message),
    /// A message was soft-deleted (`message_deleted`).
    MessageDeleted(Message),
    /// `user` has read up to `message_id` (`messages_read`).
    MessagesRead {
        conversation_id: ConversationId,
        user_id: UserId,
        message_id: MessageId,
    },
    /// Something about a conversation changed for the recipients: membership, name, flags, a new
    /// conversation (`conversation_updated`); clients re-read it.
    ConversationUpdated {
        conversation_id: ConversationId,
        reason: ConversationChange,
    },
    /// `user` stopped being able to see a conversation (removed from the group, group deleted).
    ConversationRemoved { conversation_id: ConversationId },
    /// A relationship changed (`friendship_updated`).
    FriendshipUpdated {
        user_id: UserId,
        other_id: UserId,
        status: Option<FriendshipStatus>,
    },
    /// `user` is or stopped typing (`typing`).
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
        typing: bool,
    },
    /// Every token of the recipients stopped working (account disabled, deleted, logged out by
    /// an administrator, password reset): their sockets are told why and closed.
    SessionsRevoked { reason: RevocationReason },
    /// Tokens signed by `kid` stopped verifying: every socket that authenticated with one is told
    /// and closed, whoever its user (the envelope has no recipients).
    KeyRetired { kid: String },
    /// `user` came online or went offline (`presence`).
    Presence {
        user_id: UserId,
        online: bool,
        last_seen: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Node-wide, no recipients: a conversation's participants changed; every node forgets
    /// what it cached about them.
    AudienceChanged { conversation_id: ConversationId },
    /// Node-wide, no recipients: a signing key was added, rotated or retired; every node reloads
    /// its keys.
    KeysChanged,
    /// The recipients' sockets (every socket on this node when there are none) may have missed
    /// live events: they are told to catch up through history (`resync`).
    Resync { reason: ResyncReason },
}

/// Why sockets are told to catch up (`resync`'s `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResyncReason {
    /// This node lost its subscriptions to other nodes' events (Redis was away) and has them back.
    BusReconnected,
    /// This node's delivery fell behind the events and skipped some.
    DeliveryLagged,
}

impl ResyncReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResyncReason::BusReconnected => "bus_reconnected",
            ResyncReason::DeliveryLagged => "delivery_lagged",
        }
    }
}

impl Event {
    /// Whether the event concerns every node rather than a set of users.
    pub fn is_node_wide(&self) -> bool {
        matches!(
            self,
            Event::KeyRetired { .. } | Event::AudienceChanged { .. } | Event::KeysChanged
        )
    }
}

/// What changed about a conversation (`conversation_updated`'s `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationChange {
    Created,
    Flags,
    GroupUpdated,
    MemberAdded,
    MemberRemoved,
    MemberLeft,
    RolesChanged,
}

impl ConversationChange {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationChange::Created => "created",
            ConversationChange::Flags => "flags",
            ConversationChange::GroupUpdated => "group_updated",
            ConversationChange::MemberAdded => "member_added",
            ConversationChange::MemberRemoved => "member_removed",
            ConversationChange::MemberLeft => "member_left",
            ConversationChange::RolesChanged => "roles_changed",
        }
    }
}

/// Why every token of a user stopped working (`session_revoked`'s `reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationReason {
    AccountDisabled,
    AccountDeleted,
    LoggedOut,
    /// An administrator set a new password.
    PasswordReset,
    /// The user changed their own password.
    PasswordChanged,
    SigningKeyRetired,
}

impl RevocationReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::AccountDisabled => "account_disabled",
            RevocationReason::AccountDeleted => "account_deleted",
            RevocationReason::LoggedOut => "logged_out",
            RevocationReason::PasswordReset => "password_reset",
            RevocationReason::PasswordChanged => "password_changed",
            RevocationReason::SigningKeyRetired => "signing_key_retired",
        }
    }
}

/// Publishes events to every node's real-time edge.
pub trait EventBus: Send + Sync {
    /// Sends `envelope` to subscribers; never blocks on slow ones.
    fn publish(&self, envelope: Envelope);
    /// A stream of everything published from now on, on this node and (scaled out) for this
    /// node's users on every other.
    fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>>;
    /// This node holds one more socket of `user`: their events must reach this node. The answer
    /// resolves once they do, wherever they are published.
    fn watch(&self, _user: UserId) -> Watching {
        Watching::live()
    }
    /// This node holds one socket fewer of `user`.
    fn unwatch(&self, _user: UserId) {}
}

/// Resolves once events for a watched user, published on any node, reach this node.
///
/// A socket's handshake waits for it before checking that the session is still valid: a
/// revocation committed after that check is then published after this node listens for it, so
/// no revocation falls between the check and the subscription.
#[must_use = "a handshake must wait until the user's events reach this node"]
pub struct Watching(Option<oneshot::Receiver<()>>);

impl Watching {
    /// Events for the user already reach this node.
    pub fn live() -> Self {
        Self(None)
    }

    /// Live once `confirmed` fires (or is dropped: the watch ended, there is nothing to wait for).
    pub fn once(confirmed: oneshot::Receiver<()>) -> Self {
        Self(Some(confirmed))
    }

    /// Waits at most `bound`; whether the user's events reach this node now.
    pub async fn live_within(self, bound: std::time::Duration) -> bool {
        match self.0 {
            None => true,
            Some(confirmed) => matches!(tokio::time::timeout(bound, confirmed).await, Ok(Ok(()))),
        }
    }
}

/// The embedded profile's bus: one process, one broadcast channel.
pub struct LocalBus {
    sender: broadcast::Sender<Arc<Envelope>>,
}

impl LocalBus {
    /// `capacity` events may queue per subscriber before the slowest one starts missing some.
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(16));
        Self { sender }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, envelope: Envelope) {
        // Most events are for their recipients only; a retired key concerns every socket. Cache
        // invalidations are for other nodes, and there are none.
        if matches!(
            envelope.event,
            Event::AudienceChanged { .. } | Event::KeysChanged
        ) || (envelope.recipients.is_empty() && !envelope.event.is_node_wide())
        {
            return;
        }
        // An error only means nobody subscribes (no real-time edge running): nothing to deliver.
        let _ = self.sender.send(Arc::new(envelope));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.sender.subscribe()
    }
}
