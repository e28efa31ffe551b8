//! Messages: history, sending (acknowledged once stored), system messages, edits and deletes.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;

use super::ConversationService;
use crate::bus::{Envelope, Event};
use crate::domain::{
    ConversationId, ConversationKind, HistoryPage, Message, MessageId, MessageType, User, UserId,
};
use crate::service::ServiceError;

/// Largest history page.
pub const MAX_PAGE: u32 = 100;
const DEFAULT_PAGE: u32 = 50;
const MAX_MEDIA_URLS: usize = 10;
const MAX_METADATA_ENTRIES: usize = 20;
const MAX_METADATA_BYTES: usize = 256;
const MAX_CLIENT_MSG_ID_BYTES: usize = 64;

/// The metadata key and value marking a message whose link preview its sender dismissed.
pub const PREVIEW_KEY: &str = "link_preview";
pub const PREVIEW_DISMISSED: &str = "dismissed";

/// A message as a client submits it, not yet validated.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub client_msg_id: Option<String>,
    pub content: String,
    pub media_urls: Vec<String>,
    pub message_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

impl ConversationService {
    /// A page of history; newest first, or oldest first after `after` (catching up).
    pub async fn history(
        &self,
        me: &User,
        id: ConversationId,
        page: HistoryPage,
        limit: Option<u32>,
    ) -> Result<Vec<Message>, ServiceError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                "invalid_limit",
                format!("limit must be between 1 and {MAX_PAGE}"),
            ));
        }
        self.require_participant(me.id, id).await?;
        Ok(self.messages.history(id, page, limit).await?)
    }

    /// Stores a message (after it is durable the caller may acknowledge it) and fans it out.
    /// A resend with the same `client_msg_id` returns the stored message with `false`.
    pub async fn send(
        &self,
        me: &User,
        id: ConversationId,
        draft: Draft,
    ) -> Result<(Message, bool), ServiceError> {
        let message_type = match draft.message_type.as_deref() {
            None | Some("text") => MessageType::Text,
            Some("image") => MessageType::Image,
            Some("file") => MessageType::File,
            Some(_) => {
                return Err(ServiceError::invalid(
                    "message_type",
                    "invalid_message_type",
                    "message_type must be text, image or file",
                ));
            }
        };
        self.validate_draft(&draft)?;
        let audience = self
            .audience(id)
            .await?
            .ok_or(ServiceError::NotFound("conversation"))?;
        if !audience.participants.contains(&me.id) {
            return Err(ServiceError::NotFound("conversation"));
        }
        if audience.blocked {
            return Err(ServiceError::forbidden(
                "blocked",
                "you cannot message this user",
            ));
        }
        let recipient_id = match audience.kind {
            ConversationKind::Direct => audience.participants.iter().copied().find(|p| *p != me.id),
            ConversationKind::Group => None,
        };
        self.check_send_rate(me.id).await?;
        let message = Message {
            conversation_id: id,
            message_id: MessageId::now(),
            sender_id: me.id,
            recipient_id,
            content: draft.content,
            media_urls: draft.media_urls,
            message_type,
            status: "sent".into(),
            timestamp: Utc::now(),
            edited: false,
            edited_timestamp: None,
            deleted: false,
            metadata: draft.metadata,
            client_msg_id: draft.client_msg_id,
        };
        let (stored, created) = self.messages.append(message).await?;
        if created {
            self.stats.stored();
            self.bus.publish(Envelope {
                recipients: audience.participants.to_vec(),
                event: Event::MessageCreated(stored.clone()),
            });
        }
        Ok((stored, created))
    }

    /// Writes a server-authored message (group events) so history tells the story.
    pub async fn post_system(
        &self,
        id: ConversationId,
        actor: UserId,
        content: String,
        event: &str,
        subject: Option<UserId>,
    ) -> Result<(), ServiceError> {
        let mut metadata = BTreeMap::from([("event".to_owned(), event.to_owned())]);
        if let Some(subject) = subject {
            metadata.insert("user_id".into(), subject.to_string());
        }
        let message = Message {
            conversation_id: id,
            message_id: MessageId::now(),
            sender_id: actor,
            recipient_id: None,
            content,
            media_urls: Vec::new(),
            message_type: MessageType::System,
            status: "sent".into(),
            timestamp: Utc::now(),
            edited: false,
            edited_timestamp: None,
            deleted: false,
            metadata,
            client_msg_id: None,
        };
        let (stored, _) = self.messages.append(message).await?;
        self.stats.stored();
        self.announce(id, Event::MessageCreated(stored)).await
    }

    /// Replaces the content of the caller's own message.
    pub async fn edit(
        &self,
        me: &User,
        id: ConversationId,
        message: MessageId,
        content: String,
    ) -> Result<Message, ServiceError> {
        self.require_participant(me.id, id).await?;
        self.validate_content(&content, false)?;
        self.senders_live_message(
            me,
            id,
            message,
            "only the sender may edit a message",
            "a deleted message cannot be edited",
        )
        .await?;
        let edited = self.messages.edit(id, message, &content).await?;
        self.announce(id, Event::MessageEdited(edited.clone()))
            .await?;
        Ok(edited)
    }

    /// The message, for a change only its sender may make and not once it is deleted (the two
    /// texts say which change was refused).
    async fn senders_live_message(
        &self,
        me: &User,
        id: ConversationId,
        message: MessageId,
        not_sender: &str,
        deleted: &str,
    ) -> Result<Message, ServiceError> {
        let existing = self
            .messages
            .get(id, message)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if existing.sender_id != me.id || existing.message_type == MessageType::System {
            return Err(ServiceError::forbidden("not_sender", not_sender));
        }
        if existing.deleted {
            return Err(ServiceError::conflict("deleted", deleted));
        }
        Ok(existing)
    }

    /// Hides the link preview of a message for everyone: its sender may. Kept in the message's
    /// metadata (`link_preview = "dismissed"`), so every client, on every node, learns it from
    /// the message itself (history, and the `message_edited` event sent now).
    pub async fn dismiss_preview(
        &self,
        me: &User,
        id: ConversationId,
        message: MessageId,
    ) -> Result<Message, ServiceError> {
        self.require_participant(me.id, id).await?;
        let existing = self
            .senders_live_message(
                me,
                id,
                message,
                "only the sender may dismiss a message's link preview",
                "a deleted message has no preview",
            )
            .await?;
        if existing.metadata.get(PREVIEW_KEY).map(String::as_str) == Some(PREVIEW_DISMISSED) {
            return Ok(existing);
        }
        let mut metadata = existing.metadata;
        metadata.insert(PREVIEW_KEY.into(), PREVIEW_DISMISSED.into());
        let updated = self.messages.set_metadata(id, message, &metadata).await?;
        self.announce(id, Event::MessageEdited(updated.clone()))
            .await?;
        Ok(updated)
    }

    /// Soft-deletes a message: its sender may, and so may a group's owner or admins.
    pub async fn delete(
        &self,
        me: &User,
        id: ConversationId,
        message: MessageId,
    ) -> Result<Message, ServiceError> {
        self.require_participant(me.id, id).await?;
        let existing = self
            .messages
            .get(id, message)
            .await?
            .ok_or(ServiceError::NotFound("message"))?;
        if existing.sender_id != me.id && !self.moderates(me.id, id).await? {
            return Err(ServiceError::forbidden(
                "not_allowed",
                "only the sender or a group owner/admin may delete this message",
            ));
        }
        if existing.deleted {
            return Ok(existing);
        }
        let deleted = self.messages.delete(id, message).await?;
        self.announce(id, Event::MessageDeleted(deleted.clone()))
            .await?;
        Ok(deleted)
    }

    /// Whether `user` is an owner or admin of the group this conversation belongs to.
    async fn moderates(&self, user: UserId, id: ConversationId) -> Result<bool, ServiceError> {
        let Some(group) = self.groups.by_conversation(id).await? else {
            return Ok(false);
        };
        let member = self.groups.member(group.id, user).await?;
        Ok(member.is_some_and(|m| m.role >= crate::domain::GroupRole::Admin))
    }

    async fn check_send_rate(&self, user: UserId) -> Result<(), ServiceError> {
        let window = Duration::from_secs(60);
        let key = format!("sends:user:{user}");
        let count = self.counters.hit(&key, window).await;
        if count > self.send_limit.load(Ordering::Relaxed) {
            let (_, retry_after) = self.counters.get(&key).await;
            return Err(ServiceError::RateLimited {
                what: "sending too fast",
                retry_after,
            });
        }
        Ok(())
    }

    fn validate_content(&self, content: &str, has_media: bool) -> Result<(), ServiceError> {
        if content.len() > self.config.max_message_bytes {
            return Err(ServiceError::invalid(
                "content",
                "content_too_long",
                format!(
                    "content must be at most {} bytes",
                    self.config.max_message_bytes
                ),
            ));
        }
        if content.trim().is_empty() && !has_media {
            return Err(ServiceError::invalid(
                "content",
                "empty_message",
                "a message needs content or media",
            ));
        }
        Ok(())
    }

    fn validate_draft(&self, draft: &Draft) -> Result<(), ServiceError> {
        self.validate_content(&draft.content, !draft.media_urls.is_empty())?;
        if let Some(id) = &draft.client_msg_id {
            if id.is_empty() || id.len() > MAX_CLIENT_MSG_ID_BYTES {
                return Err(ServiceError::invalid(
                    "client_msg_id",
                    "invalid_client_msg_id",
                    "client_msg_id must be 1 to 64 bytes",
                ));
            }
        }
        if draft.media_urls.len() > MAX_MEDIA_URLS
            || draft
                .media_urls
                .iter()
                .any(|u| crate::domain::PictureUrl::parse(u).is_err())
        {
            return Err(ServiceError::invalid(
                "media_urls",
                "invalid_media_urls",
                "media_urls takes at most 10 http(s) URLs",
            ));
        }
        if draft.metadata.len() > MAX_METADATA_ENTRIES
            || draft
                .metadata
                .iter()
                .any(|(k, v)| k.len() + v.len() > MAX_METADATA_BYTES)
        {
            return Err(ServiceError::invalid(
                "metadata",
                "invalid_metadata",
                "metadata takes at most 20 entries of 256 bytes each",
            ));
        }
        Ok(())
    }
}
