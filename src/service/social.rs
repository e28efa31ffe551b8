//! Friend requests, friendships and blocks.

use std::sync::Arc;

use super::ServiceError;
use super::audience::AudienceCache;
use crate::bus::{Envelope, Event, EventBus};
use crate::domain::{ConversationId, Friendship, FriendshipStatus, User, UserId};
use crate::store::UserStore;
use crate::store::chat::FriendshipStore;

/// How two users stand, read from both directed rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    pub friends: bool,
    /// Either one blocks the other.
    pub blocked: bool,
}

/// Reads how `a` and `b` stand.
pub(crate) async fn relation(
    store: &dyn FriendshipStore,
    a: UserId,
    b: UserId,
) -> Result<Relation, ServiceError> {
    let (forward, backward) = store.between(a, b).await?;
    let rows = [forward, backward];
    let has = |status| rows.iter().flatten().any(|r| r.status == status);
    Ok(Relation {
        friends: has(FriendshipStatus::Accepted),
        blocked: has(FriendshipStatus::Blocked),
    })
}

/// One user's relationships, sorted for a screen.
#[derive(Debug, Default)]
pub struct FriendLists {
    pub friends: Vec<Friendship>,
    pub incoming: Vec<Friendship>,
    pub outgoing: Vec<Friendship>,
    pub blocked: Vec<Friendship>,
}

/// Everything about relationships that edges may ask for.
pub struct SocialService {
    users: Arc<dyn UserStore>,
    friendships: Arc<dyn FriendshipStore>,
    /// Direct conversations remember whether a block stands between their two participants.
    audiences: Arc<AudienceCache>,
    bus: Arc<dyn EventBus>,
}

impl SocialService {
    pub fn new(
        users: Arc<dyn UserStore>,
        friendships: Arc<dyn FriendshipStore>,
        audiences: Arc<AudienceCache>,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self {
            users,
            friendships,
            audiences,
            bus,
        }
    }

    /// The other user, who must exist, be enabled and not be the caller.
    async fn other(&self, me: &User, other: UserId) -> Result<User, ServiceError> {
        if other == me.id {
            return Err(ServiceError::invalid(
                "user_id",
                "self",
                "that is your own account",
            ));
        }
        match self.users.find_by_id(other).await? {
            Some(user) if user.disabled_at.is_none() => Ok(user),
            _ => Err(ServiceError::NotFound("user")),
        }
    }

    fn announce(&self, me: UserId, other: UserId, status: Option<FriendshipStatus>) {
        self.bus.publish(Envelope {
            recipients: vec![me],
            event: Event::FriendshipUpdated {
                user_id: me,
                other_id: other,
                status,
            },
        });
        self.bus.publish(Envelope {
            recipients: vec![other],
            event: Event::FriendshipUpdated {
                user_id: other,
                other_id: me,
                status,
            },
        });
    }

    /// Sends a friend request; if the other already asked, this accepts theirs.
    pub async fn request(&self, me: &User, other: UserId) -> Result<Friendship, ServiceError> {
        let other = self.other(me, other).await?;
        let (mine, theirs) = self.friendships.between(me.id, other.id).await?;
        let status = |row: &Option<Friendship>| row.as_ref().map(|r| r.status);
        if status(&mine) == Some(FriendshipStatus::Blocked) {
            return Err(ServiceError::forbidden(
                "blocked",
                "you block this user: unblock them first",
            ));
        }
        if status(&theirs) == Some(FriendshipStatus::Blocked) {
            return Err(ServiceError::forbidden(
                "blocked",
                "this user does not accept requests from you",
            ));
        }
        if status(&mine) == Some(FriendshipStatus::Accepted)
            || status(&theirs) == Some(FriendshipStatus::Accepted)
        {
            return Err(ServiceError::conflict(
                "already_friends",
                "you are already friends",
            ));
        }
        if status(&theirs) == Some(FriendshipStatus::Pending) {
            let accepted = self
                .friendships
                .put(other.id, me.id, FriendshipStatus::Accepted)
                .await?;
            self.announce(me.id, other.id, Some(FriendshipStatus::Accepted));
            return Ok(accepted);
        }
        if status(&mine) == Some(FriendshipStatus::Pending) {
            return Err(ServiceError::conflict(
                "already_requested",
                "you already sent this user a request",
            ));
        }
        let row = self
            .friendships
            .put(me.id, other.id, FriendshipStatus::Pending)
            .await?;
        self.announce(me.id, other.id, Some(FriendshipStatus::Pending));
        Ok(row)
    }

    /// Accepts or declines `other`'s pending request.
    pub async fn answer(
        &self,
        me: &User,
        other: UserId,
        accept: bool,
    ) -> Result<Friendship, ServiceError> {
        let (_, theirs) = self.friendships.between(me.id, other).await?;
        if theirs.map(|r| r.status) != Some(FriendshipStatus::Pending) {
            return Err(ServiceError::NotFound("friend request"));
        }
        let status = if accept {
            FriendshipStatus::Accepted
        } else {
            FriendshipStatus::Declined
        };
        let row = self.friendships.put(other, me.id, status).await?;
        self.announce(me.id, other, Some(status));
        Ok(row)
    }

    /// Withdraws the caller's pending request to `other`.
    pub async fn cancel(&self, me: &User, other: UserId) -> Result<(), ServiceError> {
        let (mine, _) = self.friendships.between(me.id, other).await?;
        if mine.map(|r| r.status) != Some(FriendshipStatus::Pending) {
            return Err(ServiceError::NotFound("friend request"));
        }
        self.friendships.delete(me.id, other).await?;
        self.announce(me.id, other, None);
        Ok(())
    }

    /// Ends a friendship, whoever asked first.
    pub async fn unfriend(&self, me: &User, other: UserId) -> Result<(), ServiceError> {
        let (mine, theirs) = self.friendships.between(me.id, other).await?;
        let accepted = |row: &Option<Friendship>| {
            row.as_ref()
                .is_some_and(|r| r.status == FriendshipStatus::Accepted)
        };
        match (accepted(&mine), accepted(&theirs)) {
            (true, _) => self.friendships.delete(me.id, other).await?,
            (_, true) => self.friendships.delete(other, me.id).await?,
            _ => return Err(ServiceError::NotFound("friendship")),
        };
        self.announce(me.id, other, None);
        Ok(())
    }

    /// Blocks `other`: ends any friendship or request between the two.
    pub async fn block(&self, me: &User, other: UserId) -> Result<Friendship, ServiceError> {
        let other = self.other(me, other).await?;
        let (_, theirs) = self.friendships.between(me.id, other.id).await?;
        if theirs.is_some_and(|r| r.status != FriendshipStatus::Blocked) {
            self.friendships.delete(other.id, me.id).await?;
        }
        let row = self
            .friendships
            .put(me.id, other.id, FriendshipStatus::Blocked)
            .await?;
        self.audiences
            .forget(ConversationId::direct(me.id, other.id));
        self.announce(me.id, other.id, Some(FriendshipStatus::Blocked));
        Ok(row)
    }

    /// Lifts the caller's block of `other`.
    pub async fn unblock(&self, me: &User, other: UserId) -> Result<(), ServiceError> {
        let (mine, _) = self.friendships.between(me.id, other).await?;
        if mine.map(|r| r.status) != Some(FriendshipStatus::Blocked) {
            return Err(ServiceError::NotFound("block"));
        }
        self.friendships.delete(me.id, other).await?;
        self.audiences.forget(ConversationId::direct(me.id, other));
        self.announce(me.id, other, None);
        Ok(())
    }

    /// The caller's friends, requests in and out, and the users they block.
    pub async fn lists(&self, me: &User) -> Result<FriendLists, ServiceError> {
        let mut lists = FriendLists::default();
        for row in self.friendships.list_for(me.id).await? {
            let outgoing = row.requester_id == me.id;
            match (row.status, outgoing) {
                (FriendshipStatus::Accepted, _) => lists.friends.push(row),
                (FriendshipStatus::Pending, true) => lists.outgoing.push(row),
                (FriendshipStatus::Pending, false) => lists.incoming.push(row),
                (FriendshipStatus::Blocked, true) => lists.blocked.push(row),
                // Being blocked is not shown to the blocked user; declined requests are history.
                (FriendshipStatus::Blocked, false) | (FriendshipStatus::Declined, _) => {}
            }
        }
        Ok(lists)
    }

    /// Users `me` is friends with (for presence fan-out).
    pub async fn friend_ids(&self, me: UserId) -> Result<Vec<UserId>, ServiceError> {
        Ok(self
            .friendships
            .list_for(me)
            .await?
            .into_iter()
            .filter(|r| r.status == FriendshipStatus::Accepted)
            .map(|r| {
                if r.requester_id == me {
                    r.addressee_id
                } else {
                    r.requester_id
                }
            })
            .collect())
    }
}
