//! Direct and group conversations: opening, listing, flags, read markers, typing; who takes part.
//! Messages themselves are in [`messages`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use omegachat_contract::DmPolicy;
use omegachat_contract::config::ChatConfig;

pub mod messages;

pub use messages::{Draft, MAX_PAGE};

use super::ServiceError;
use super::audience::{Audience, AudienceCache};
use super::social::relation;
use super::stats::MessageStats;
use crate::bus::{ConversationChange, Envelope, Event, EventBus};
use crate::domain::{
    ConversationFlags, ConversationId, ConversationKind, ConversationSummary, MessageId, User,
    UserId,
};
use crate::store::UserStore;
use crate::store::chat::{ConversationStore, FriendshipStore, GroupStore, MessageStore};
use crate::store::counters::WindowCounters;

/// Everything about conversations and messages that edges may ask for.
pub struct ConversationService {
    users: Arc<dyn UserStore>,
    friendships: Arc<dyn FriendshipStore>,
    groups: Arc<dyn GroupStore>,
    conversations: Arc<dyn ConversationStore>,
    messages: Arc<dyn MessageStore>,
    counters: Arc<dyn WindowCounters>,
    audiences: Arc<AudienceCache>,
    bus: Arc<dyn EventBus>,
    config: ChatConfig,
    /// `chat.sends_per_user_per_minute`, changeable by a reload.
    send_limit: AtomicU32,
    stats: Arc<MessageStats>,
}

/// The stores a [`ConversationService`] works on.
pub struct ConversationStores {
    pub users: Arc<dyn UserStore>,
    pub friendships: Arc<dyn FriendshipStore>,
    pub groups: Arc<dyn GroupStore>,
    pub conversations: Arc<dyn ConversationStore>,
    pub messages: Arc<dyn MessageStore>,
    pub counters: Arc<dyn WindowCounters>,
    /// Shared with the services that change memberships and blocks (they forget entries).
    pub audiences: Arc<AudienceCache>,
}

impl ConversationService {
    pub fn new(stores: ConversationStores, bus: Arc<dyn EventBus>, config: ChatConfig) -> Self {
        Self {
            users: stores.users,
            friendships: stores.friendships,
            groups: stores.groups,
            conversations: stores.conversations,
            messages: stores.messages,
            counters: stores.counters,
            audiences: stores.audiences,
            bus,
            send_limit: AtomicU32::new(config.sends_per_user_per_minute),
            config,
            stats: Arc::new(MessageStats::default()),
        }
    }

    /// Changes the per-user send limit of a running daemon (configuration reload).
    pub fn set_send_limit(&self, per_minute: u32) {
        self.send_limit.store(per_minute, Ordering::Relaxed);
    }

    /// The limits clients must respect: (largest content in bytes, sends per user per minute).
    pub fn limits(&self) -> (usize, u32) {
        (
            self.config.max_message_bytes,
            self.send_limit.load(Ordering::Relaxed),
        )
    }

    /// Messages stored by this node, for status reports.
    pub fn stats(&self) -> &MessageStats {
        &self.stats
    }

    /// Refuses unless `me` takes part; others learn nothing about the conversation (404).
    pub async fn require_participant(
        &self,
        me: UserId,
        id: ConversationId,
    ) -> Result<(), ServiceError> {
        if self
            .audience(id)
            .await?
            .is_some_and(|a| a.participants.contains(&me))
        {
            Ok(())
        } else {
            Err(ServiceError::NotFound("conversation"))
        }
    }

    /// Everyone in a conversation (the audience of its events).
    pub async fn participants(&self, id: ConversationId) -> Result<Vec<UserId>, ServiceError> {
        Ok(self
            .audience(id)
            .await?
            .map(|a| a.participants.to_vec())
            .unwrap_or_default())
    }

    /// Publishes `event` to every participant of conversation `id`.
    pub(crate) async fn announce(
        &self,
        id: ConversationId,
        event: Event,
    ) -> Result<(), ServiceError> {
        let recipients = self.participants(id).await?;
        self.bus.publish(Envelope { recipients, event });
        Ok(())
    }

    /// A conversation's kind and participants, remembered between calls (see `AudienceCache`);
    /// `None` when it does not exist.
    pub async fn audience(&self, id: ConversationId) -> Result<Option<Audience>, ServiceError> {
        if let Some(audience) = self.audiences.get(id) {
            return Ok(Some(audience));
        }
        let epoch = self.audiences.epoch();
        let Some(conversation) = self.conversations.get(id).await? else {
            return Ok(None);
        };
        let participants = self.conversations.participants(id).await?;
        let blocked = match (conversation.kind, participants.as_slice()) {
            (ConversationKind::Direct, [a, b]) => {
                relation(self.friendships.as_ref(), *a, *b).await?.blocked
            }
            _ => false,
        };
        let audience = Audience {
            kind: conversation.kind,
            participants: Arc::new(participants),
            blocked,
        };
        self.audiences.put(id, audience.clone(), epoch);
        Ok(Some(audience))
    }

    /// Drops what is remembered about a conversation whose members (or blocks) changed.
    pub fn forget(&self, id: ConversationId) {
        self.audiences.forget(id);
    }

    /// Opens (creating on first use) the direct conversation of `me` and `other`.
    pub async fn open_direct(
        &self,
        me: &User,
        other: UserId,
    ) -> Result<ConversationSummary, ServiceError> {
        if other == me.id {
            return Err(ServiceError::invalid(
                "user_id",
                "self",
                "you cannot message yourself",
            ));
        }
        match self.users.find_by_id(other).await? {
            Some(user) if user.disabled_at.is_none() => {}
            _ => return Err(ServiceError::NotFound("user")),
        }
        self.check_direct_allowed(me.id, other).await?;
        let id = ConversationId::direct(me.id, other);
        let existed = self.conversations.get(id).await?.is_some();
        self.conversations.ensure_direct(id, me.id, other).await?;
        self.forget(id);
        if !existed {
            self.bus.publish(Envelope {
                recipients: vec![me.id, other],
                event: Event::ConversationUpdated {
                    conversation_id: id,
                    reason: ConversationChange::Created,
                },
            });
        }
        self.summary(me, id).await
    }

    async fn check_direct_allowed(&self, me: UserId, other: UserId) -> Result<(), ServiceError> {
        let relation = relation(self.friendships.as_ref(), me, other).await?;
        if relation.blocked {
            return Err(ServiceError::forbidden(
                "blocked",
                "you cannot message this user",
            ));
        }
        if self.config.dm_policy == DmPolicy::Friends && !relation.friends {
            return Err(ServiceError::forbidden(
                "not_friends",
                "this server allows direct messages between friends only",
            ));
        }
        Ok(())
    }

    /// The caller's conversations (archived ones instead when `archived`).
    pub async fn list(
        &self,
        me: &User,
        archived: bool,
    ) -> Result<Vec<ConversationSummary>, ServiceError> {
        Ok(self.conversations.summaries(me.id, archived).await?)
    }

    /// One conversation as the caller sees it.
    pub async fn summary(
        &self,
        me: &User,
        id: ConversationId,
    ) -> Result<ConversationSummary, ServiceError> {
        self.conversations
            .summary(me.id, id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))
    }

    /// Sets the caller's muted/archived/pinned flags.
    pub async fn set_flags(
        &self,
        me: &User,
        id: ConversationId,
        flags: ConversationFlags,
    ) -> Result<ConversationSummary, ServiceError> {
        self.require_participant(me.id, id).await?;
        self.conversations.set_flags(me.id, id, flags).await?;
        self.bus.publish(Envelope {
            recipients: vec![me.id],
            event: Event::ConversationUpdated {
                conversation_id: id,
                reason: ConversationChange::Flags,
            },
        });
        self.summary(me, id).await
    }

    /// Moves the caller's read marker to `message` (never backwards) and tells the others.
    pub async fn mark_read(
        &self,
        me: &User,
        id: ConversationId,
        message: MessageId,
    ) -> Result<ConversationSummary, ServiceError> {
        self.require_participant(me.id, id).await?;
        if self.messages.get(id, message).await?.is_none() {
            return Err(ServiceError::NotFound("message"));
        }
        if self.conversations.mark_read(me.id, id, message).await? {
            self.announce(
                id,
                Event::MessagesRead {
                    conversation_id: id,
                    user_id: me.id,
                    message_id: message,
                },
            )
            .await?;
        }
        self.summary(me, id).await
    }

    /// How far each participant has read, for "seen" receipts after a reload (participants only).
    pub async fn read_markers(
        &self,
        me: &User,
        id: ConversationId,
    ) -> Result<Vec<(UserId, Option<MessageId>)>, ServiceError> {
        self.require_participant(me.id, id).await?;
        Ok(self.conversations.read_markers(id).await?)
    }

    /// Tells the other participants that `me` is (or stopped) typing.
    pub async fn typing(
        &self,
        me: UserId,
        id: ConversationId,
        typing: bool,
    ) -> Result<(), ServiceError> {
        let participants = self.participants(id).await?;
        if !participants.contains(&me) {
            return Err(ServiceError::NotFound("conversation"));
        }
        let recipients = participants.into_iter().filter(|p| *p != me).collect();
        self.bus.publish(Envelope {
            recipients,
            event: Event::Typing {
                conversation_id: id,
                user_id: me,
                typing,
            },
        });
        Ok(())
    }

    /// Users who share a direct conversation with `me` and are not blocked either way.
    pub async fn direct_peers(&self, me: UserId) -> Result<Vec<UserId>, ServiceError> {
        let blocked: Vec<UserId> = self
            .friendships
            .list_for(me)
            .await?
            .into_iter()
            .filter(|f| f.status == crate::domain::FriendshipStatus::Blocked)
            .map(|f| {
                if f.requester_id == me {
                    f.addressee_id
                } else {
                    f.requester_id
                }
            })
            .collect();
        let mut peers = self.conversations.direct_peers(me).await?;
        peers.retain(|p| !blocked.contains(p));
        Ok(peers)
    }
}
