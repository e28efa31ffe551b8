//! Presence: who is online, told to the people who may know (friends and direct-conversation
//! peers, never someone blocked either way).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::ServiceError;
use super::conversations::ConversationService;
use super::social::SocialService;
use crate::bus::{Envelope, Event, EventBus};
use crate::domain::{User, UserId};
use crate::store::UserStore;
use crate::store::presence::PresenceStore;

/// Most users one presence lookup may name.
pub const MAX_PRESENCE_LOOKUP: usize = 200;

/// One user's presence as clients see it.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceState {
    pub user_id: UserId,
    pub online: bool,
    pub last_seen: Option<DateTime<Utc>>,
}

/// Tracks sockets coming and going and announces online/offline changes.
pub struct PresenceService {
    presence: Arc<dyn PresenceStore>,
    users: Arc<dyn UserStore>,
    social: Arc<SocialService>,
    conversations: Arc<ConversationService>,
    bus: Arc<dyn EventBus>,
}

impl PresenceService {
    pub fn new(
        presence: Arc<dyn PresenceStore>,
        users: Arc<dyn UserStore>,
        social: Arc<SocialService>,
        conversations: Arc<ConversationService>,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self {
            presence,
            users,
            social,
            conversations,
            bus,
        }
    }

    async fn audience(&self, user: UserId) -> Result<Vec<UserId>, ServiceError> {
        let mut audience = self.social.friend_ids(user).await?;
        audience.extend(self.conversations.direct_peers(user).await?);
        audience.sort();
        audience.dedup();
        Ok(audience)
    }

    /// A socket of `user` opened; the first one on any node makes them online.
    pub async fn socket_opened(&self, user: UserId) -> Result<(), ServiceError> {
        if self.presence.connected(user).await {
            self.announce_online(user).await?;
        }
        Ok(())
    }

    /// A socket of `user` closed; the last one on any node makes them offline and records
    /// `last_seen`.
    pub async fn socket_closed(&self, user: UserId) -> Result<bool, ServiceError> {
        if !self.presence.disconnected(user).await {
            return Ok(false);
        }
        self.announce_offline(user).await?;
        Ok(true)
    }

    /// Announces what the presence store found by itself rather than through a socket: users
    /// whose sockets were all on nodes that stopped renewing their lease go offline (with
    /// `last_seen` recorded, as when a last socket closes), and this node's users put back after
    /// a Redis outage are online again. Run it about once a second (the heartbeat's pace, which
    /// bounds how late an offline is announced); how many changes it announced.
    pub async fn sweep(&self) -> usize {
        let changes = self.presence.reap().await;
        let mut announced = 0;
        for user in changes.went_offline {
            match self.announce_offline(user).await {
                Ok(()) => announced += 1,
                // One user's failure must not cost the others their announcement.
                Err(e) => {
                    tracing::warn!(user_id = %user, error = %e, "could not announce going offline")
                }
            }
        }
        for user in changes.came_online {
            match self.announce_online(user).await {
                Ok(()) => announced += 1,
                Err(e) => {
                    tracing::warn!(user_id = %user, error = %e, "could not announce presence")
                }
            }
        }
        announced
    }

    async fn announce_online(&self, user: UserId) -> Result<(), ServiceError> {
        let recipients = self.audience(user).await?;
        self.bus.publish(Envelope {
            recipients,
            event: Event::Presence {
                user_id: user,
                online: true,
                last_seen: None,
            },
        });
        Ok(())
    }

    async fn announce_offline(&self, user: UserId) -> Result<(), ServiceError> {
        self.users.touch_last_seen(user).await?;
        let last_seen = self.users.find_by_id(user).await?.and_then(|u| u.last_seen);
        let recipients = self.audience(user).await?;
        self.bus.publish(Envelope {
            recipients,
            event: Event::Presence {
                user_id: user,
                online: false,
                last_seen,
            },
        });
        Ok(())
    }

    /// How many sockets `user` has connected, on every node.
    pub async fn sockets_of(&self, user: UserId) -> usize {
        self.presence.sockets_of(user).await
    }

    /// Users online and sockets connected on this node.
    pub fn totals(&self) -> (usize, usize) {
        self.presence.local_totals()
    }

    /// Presence of `users` (at most [`MAX_PRESENCE_LOOKUP`]) as `me` may see it: users who block
    /// or are blocked by `me` look offline; unknown ids are left out.
    pub async fn lookup(
        &self,
        me: UserId,
        users: &[UserId],
    ) -> Result<Vec<PresenceState>, ServiceError> {
        if users.len() > MAX_PRESENCE_LOOKUP {
            return Err(ServiceError::invalid(
                "user_ids",
                "invalid_payload",
                format!(
                    "at most {MAX_PRESENCE_LOOKUP} user_ids per get_presence ({} given): split the request",
                    users.len()
                ),
            ));
        }
        let visible = self.audience(me).await?;
        let accounts: HashMap<UserId, User> = self
            .users
            .find_many(users)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let may_see = |user: &UserId| *user == me || visible.contains(user);
        // One question to the presence store for all the users `me` may see.
        let asked: Vec<UserId> = users
            .iter()
            .filter(|u| accounts.contains_key(u) && may_see(u))
            .copied()
            .collect();
        let online = self.presence.online_among(&asked).await;
        let states = users
            .iter()
            .filter_map(|user| {
                let account = accounts.get(user)?;
                let may_see = may_see(user);
                Some(PresenceState {
                    user_id: *user,
                    online: may_see && online.contains(user),
                    last_seen: if may_see { account.last_seen } else { None },
                })
            })
            .collect();
        Ok(states)
    }
}
