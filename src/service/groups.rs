//! Groups: one conversation each, members with roles (owner > admin > member).

use std::sync::Arc;

use super::ServiceError;
use super::conversations::ConversationService;
use crate::bus::{ConversationChange, Envelope, Event, EventBus};
use crate::domain::{DisplayName, Group, GroupMember, GroupRole, PictureUrl, User, UserId};
use crate::store::UserStore;
use crate::store::chat::{GroupStore, NewGroup};

const MAX_DESCRIPTION_CHARS: usize = 1000;

/// Group details as a client submits them.
#[derive(Debug, Clone, Default)]
pub struct GroupDraft {
    pub name: Option<String>,
    /// `Some(None)` clears.
    pub description: Option<Option<String>>,
    /// `Some(None)` clears.
    pub avatar_url: Option<Option<String>>,
}

/// Everything about groups that edges may ask for.
pub struct GroupService {
    users: Arc<dyn UserStore>,
    groups: Arc<dyn GroupStore>,
    conversations: Arc<ConversationService>,
    bus: Arc<dyn EventBus>,
}

impl GroupService {
    pub fn new(
        users: Arc<dyn UserStore>,
        groups: Arc<dyn GroupStore>,
        conversations: Arc<ConversationService>,
        bus: Arc<dyn EventBus>,
    ) -> Self {
        Self {
            users,
            groups,
            conversations,
            bus,
        }
    }

    /// The group and the caller's membership; a group the caller is not in is not found.
    async fn membership(&self, me: UserId, id: i64) -> Result<(Group, GroupMember), ServiceError> {
        let not_found = || ServiceError::NotFound("group");
        let member = self.groups.member(id, me).await?.ok_or_else(not_found)?;
        let group = self.groups.get(id).await?.ok_or_else(not_found)?;
        Ok((group, member))
    }

    fn require(member: &GroupMember, role: GroupRole, action: &str) -> Result<(), ServiceError> {
        if member.role >= role {
            return Ok(());
        }
        Err(ServiceError::forbidden(
            "insufficient_role",
            format!("only a group {} may {action}", role.as_str()),
        ))
    }

    async fn display(&self, user: UserId) -> String {
        match self.users.find_by_id(user).await {
            Ok(Some(u)) => u.display_name.unwrap_or(u.username),
            _ => format!("user {user}"),
        }
    }

    async fn tell(&self, group: &Group, reason: ConversationChange) -> Result<(), ServiceError> {
        let recipients = self
            .conversations
            .participants(group.conversation_id)
            .await?;
        self.bus.publish(Envelope {
            recipients,
            event: Event::ConversationUpdated {
                conversation_id: group.conversation_id,
                reason,
            },
        });
        Ok(())
    }

    fn validated(draft: &GroupDraft, current: Option<&Group>) -> Result<NewGroup, ServiceError> {
        let name = match (&draft.name, current) {
            (Some(name), _) => DisplayName::parse(name)
                .map_err(|_| {
                    ServiceError::invalid("name", "invalid_name", "name must be 1 to 64 characters")
                })?
                .into_inner(),
            (None, Some(group)) => group.name.clone(),
            (None, None) => {
                return Err(ServiceError::invalid(
                    "name",
                    "missing_field",
                    "a group needs a name",
                ));
            }
        };
        let description = match &draft.description {
            Some(Some(text)) if text.chars().count() > MAX_DESCRIPTION_CHARS => {
                return Err(ServiceError::invalid(
                    "description",
                    "invalid_description",
                    "description must be at most 1000 characters",
                ));
            }
            Some(value) => value.clone().filter(|t| !t.trim().is_empty()),
            None => current.and_then(|g| g.description.clone()),
        };
        let avatar_url = match &draft.avatar_url {
            Some(Some(url)) => Some(
                PictureUrl::parse(url)
                    .map_err(|_| {
                        ServiceError::invalid(
                            "avatar_url",
                            "invalid_url",
                            "avatar_url must be an http(s) URL",
                        )
                    })?
                    .into_inner(),
            ),
            Some(None) => None,
            None => current.and_then(|g| g.avatar_url.clone()),
        };
        Ok(NewGroup {
            name,
            description,
            avatar_url,
        })
    }

    /// Creates a group owned by the caller, with `members` added.
    pub async fn create(
        &self,
        me: &User,
        draft: GroupDraft,
        members: Vec<UserId>,
    ) -> Result<Group, ServiceError> {
        let new = Self::validated(&draft, None)?;
        for member in &members {
            self.existing_user(*member).await?;
        }
        let group = self.groups.create(new, me.id, &members).await?;
        self.conversations.forget(group.conversation_id);
        let name = self.display(me.id).await;
        self.conversations
            .post_system(
                group.conversation_id,
                me.id,
                format!("{name} created the group"),
                "group_created",
                None,
            )
            .await?;
        self.tell(&group, ConversationChange::Created).await?;
        Ok(group)
    }

    async fn existing_user(&self, id: UserId) -> Result<User, ServiceError> {
        match self.users.find_by_id(id).await? {
            Some(user) if user.disabled_at.is_none() => Ok(user),
            _ => Err(ServiceError::NotFound("user")),
        }
    }

    /// A group the caller belongs to, with its members.
    pub async fn get(&self, me: &User, id: i64) -> Result<(Group, Vec<GroupMember>), ServiceError> {
        let (group, _) = self.membership(me.id, id).await?;
        let members = self.groups.members(id).await?;
        Ok((group, members))
    }

    /// The caller's groups.
    pub async fn list(&self, me: &User) -> Result<Vec<Group>, ServiceError> {
        Ok(self.groups.list_for_user(me.id).await?)
    }

    /// Renames or re-describes a group (owner or admin).
    pub async fn update(
        &self,
        me: &User,
        id: i64,
        draft: GroupDraft,
    ) -> Result<Group, ServiceError> {
        let (group, member) = self.membership(me.id, id).await?;
        Self::require(&member, GroupRole::Admin, "change the group")?;
        let new = Self::validated(&draft, Some(&group))?;
        let renamed = new.name != group.name;
        let updated = self.groups.update(id, &new).await?;
        if renamed {
            let name = self.display(me.id).await;
            let text = format!("{name} renamed the group to {}", updated.name);
            self.conversations
                .post_system(group.conversation_id, me.id, text, "group_renamed", None)
                .await?;
        }
        self.tell(&updated, ConversationChange::GroupUpdated)
            .await?;
        Ok(updated)
    }

    /// Adds a user (owner or admin); owners may add admins directly.
    pub async fn add_member(
        &self,
        me: &User,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, ServiceError> {
        let (group, member) = self.membership(me.id, id).await?;
        Self::require(&member, GroupRole::Admin, "add members")?;
        if role == GroupRole::Owner || (role == GroupRole::Admin && member.role != GroupRole::Owner)
        {
            return Err(ServiceError::forbidden(
                "insufficient_role",
                "only the owner may appoint admins; ownership is transferred with a role change",
            ));
        }
        self.existing_user(user).await?;
        if self.groups.member(id, user).await?.is_some() {
            return Err(ServiceError::conflict(
                "already_member",
                "this user is already a member",
            ));
        }
        let added = self.groups.add_member(id, user, role).await?;
        self.conversations.forget(group.conversation_id);
        let (actor, subject) = (self.display(me.id).await, self.display(user).await);
        self.conversations
            .post_system(
                group.conversation_id,
                me.id,
                format!("{actor} added {subject}"),
                "member_added",
                Some(user),
            )
            .await?;
        self.tell(&group, ConversationChange::MemberAdded).await?;
        Ok(added)
    }

    /// Removes a member: admins remove members, the owner removes anyone but themself.
    pub async fn remove_member(
        &self,
        me: &User,
        id: i64,
        user: UserId,
    ) -> Result<(), ServiceError> {
        if user == me.id {
            return self.leave(me, id).await;
        }
        let (group, member) = self.membership(me.id, id).await?;
        Self::require(&member, GroupRole::Admin, "remove members")?;
        let target = self
            .groups
            .member(id, user)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        if target.role >= member.role {
            return Err(ServiceError::forbidden(
                "insufficient_role",
                "you may only remove members below your role",
            ));
        }
        let (actor, subject) = (self.display(me.id).await, self.display(user).await);
        self.groups.remove_member(id, user).await?;
        self.conversations.forget(group.conversation_id);
        self.bus.publish(Envelope {
            recipients: vec![user],
            event: Event::ConversationRemoved {
                conversation_id: group.conversation_id,
            },
        });
        self.conversations
            .post_system(
                group.conversation_id,
                me.id,
                format!("{actor} removed {subject}"),
                "member_removed",
                Some(user),
            )
            .await?;
        self.tell(&group, ConversationChange::MemberRemoved).await
    }

    /// Changes a member's role (owner only). Making someone owner transfers ownership: the
    /// previous owner becomes an admin.
    pub async fn set_role(
        &self,
        me: &User,
        id: i64,
        user: UserId,
        role: GroupRole,
    ) -> Result<GroupMember, ServiceError> {
        let (group, member) = self.membership(me.id, id).await?;
        Self::require(&member, GroupRole::Owner, "change roles")?;
        if user == me.id {
            return Err(ServiceError::conflict(
                "owner_role",
                "hand ownership to another member instead",
            ));
        }
        self.groups
            .member(id, user)
            .await?
            .ok_or(ServiceError::NotFound("member"))?;
        let changed = self.groups.set_role(id, user, role).await?;
        if role == GroupRole::Owner {
            self.groups.set_role(id, me.id, GroupRole::Admin).await?;
        }
        self.tell(&group, ConversationChange::RolesChanged).await?;
        Ok(changed)
    }

    /// Leaves a group. An owner hands ownership to the longest-standing admin (else member); the
    /// last member leaving deletes the group.
    pub async fn leave(&self, me: &User, id: i64) -> Result<(), ServiceError> {
        let (group, member) = self.membership(me.id, id).await?;
        let others: Vec<GroupMember> = self
            .groups
            .members(id)
            .await?
            .into_iter()
            .filter(|m| m.user_id != me.id)
            .collect();
        if others.is_empty() {
            return self.remove_group(me, &group).await;
        }
        if member.role == GroupRole::Owner {
            let heir = others
                .iter()
                .find(|m| m.role == GroupRole::Admin)
                .or(others.first())
                .map(|m| m.user_id);
            if let Some(heir) = heir {
                self.groups.set_role(id, heir, GroupRole::Owner).await?;
            }
        }
        let name = self.display(me.id).await;
        self.groups.remove_member(id, me.id).await?;
        self.conversations.forget(group.conversation_id);
        self.bus.publish(Envelope {
            recipients: vec![me.id],
            event: Event::ConversationRemoved {
                conversation_id: group.conversation_id,
            },
        });
        self.conversations
            .post_system(
                group.conversation_id,
                me.id,
                format!("{name} left"),
                "member_left",
                Some(me.id),
            )
            .await?;
        self.tell(&group, ConversationChange::MemberLeft).await
    }

    /// Deletes a group and its conversation (owner only).
    pub async fn delete(&self, me: &User, id: i64) -> Result<(), ServiceError> {
        let (group, member) = self.membership(me.id, id).await?;
        Self::require(&member, GroupRole::Owner, "delete the group")?;
        self.remove_group(me, &group).await
    }

    async fn remove_group(&self, me: &User, group: &Group) -> Result<(), ServiceError> {
        let recipients = self
            .conversations
            .participants(group.conversation_id)
            .await?;
        self.groups.delete(group.id).await?;
        self.conversations.forget(group.conversation_id);
        tracing::info!(group_id = group.id, by = %me.id, "group deleted");
        self.bus.publish(Envelope {
            recipients,
            event: Event::ConversationRemoved {
                conversation_id: group.conversation_id,
            },
        });
        Ok(())
    }
}
