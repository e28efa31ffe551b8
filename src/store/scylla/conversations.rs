//! Conversations and each participant's view of them on ScyllaDB: `conversations`,
//! `conversation_participants` and `user_conversations`, one partition per question.

use std::ops::ControlFlow;

use async_trait::async_trait;
use chrono::Utc;
use scylla::value::{CqlTimestamp, CqlTimeuuid, MaybeUnset};
use uuid::Uuid;

use super::queries::{
    INSERT_CONVERSATION, INSERT_PARTICIPANT, INSERT_USER_CONVERSATION, MARK_READ_PARTICIPANT,
    MARK_READ_USER, SELECT_CONVERSATION, SELECT_PARTICIPANTS, SELECT_USER_CONVERSATION,
    SELECT_USER_CONVERSATIONS, SET_FLAGS, UNREAD_AFTER, UNREAD_ASC, UNREAD_DESC,
};
use super::session::ScyllaError;
use super::store::{ScyllaStore, instant, message_id, timestamp, timeuuid, write_time_micros};
use super::walk::{ConversationSpan, Direction, HistoryWalk};
use crate::domain::{
    Conversation, ConversationFlags, ConversationId, ConversationKind, ConversationSummary,
    HistoryPage, MessageId, UserId,
};
use crate::store::StoreError;
use crate::store::chat::{ConversationStore, MessageStore};

/// Unread counts stop here, as on the SQL engines, so one count stays cheap.
const UNREAD_CAP: u32 = 1000;
/// The SQL engines list at most this many conversations.
const SUMMARIES_SHOWN: usize = 500;
/// Conversations of a list summarized at the same time.
const SUMMARIES_AT_ONCE: usize = 32;
/// Rows of one user's `user_conversations` partition read at most for a list.
const CONVERSATIONS_READ: usize = 10_000;
/// Rows of one `conversation_participants` partition read at most (a group's size is bounded
/// by the service well below this).
const PARTICIPANTS_READ: usize = 100_000;

type ConversationTuple = (
    Uuid,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<CqlTimestamp>,
    Option<CqlTimestamp>,
    Option<CqlTimeuuid>,
);

/// A `user_conversations` row: conversation, type, peer, read marker, muted, archived, pinned.
type UserConversationTuple = (
    Uuid,
    Option<String>,
    Option<i64>,
    Option<CqlTimeuuid>,
    Option<bool>,
    Option<bool>,
    Option<bool>,
);

fn conversation(row: ConversationTuple) -> Result<Conversation, ScyllaError> {
    let corrupt = |what: String| ScyllaError::Answer { what };
    let kind = row.1.unwrap_or_default();
    let created_at = row
        .4
        .ok_or_else(|| corrupt("null conversations.created_at".into()))?;
    Ok(Conversation {
        id: ConversationId(row.0),
        kind: ConversationKind::parse(&kind)
            .ok_or_else(|| corrupt(format!("conversation_type `{kind}`")))?,
        name: row.2,
        avatar_url: row.3,
        created_at: instant(created_at, "conversations.created_at")?,
        updated_at: instant(row.5.unwrap_or(created_at), "conversations.updated_at")?,
        last_message_id: row.6.map(message_id),
    })
}

impl ScyllaStore {
    /// `user`'s own row for conversation `id`.
    async fn user_conversation(
        &self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<UserConversationTuple>, ScyllaError> {
        self.row(SELECT_USER_CONVERSATION, (user.0, id.0)).await
    }

    /// How many messages after `marker` others sent and did not delete, up to [`UNREAD_CAP`]:
    /// a walk over buckets like a history page's, from the marker's bucket to the newest.
    async fn unread_count(
        &self,
        user: UserId,
        conversation: &Conversation,
        marker: Option<MessageId>,
    ) -> Result<u32, ScyllaError> {
        let Some(newest) = conversation.last_message_id else {
            return Ok(0);
        };
        if marker.is_some_and(|marker| marker.ticks() >= newest.ticks()) {
            return Ok(0);
        }
        let span = ConversationSpan {
            created_at: conversation.created_at,
            newest: Some(newest),
        };
        let page = marker.map_or(HistoryPage::Latest, HistoryPage::After);
        let mut walk = HistoryWalk::plan(page, UNREAD_CAP, self.buckets, span);
        let mut unread = 0;
        while let Some(read) = walk.next_read() {
            let (key, limit) = ((conversation.id.0, read.bucket.0), read.limit as i32);
            let mut count = |(id, sender, deleted): (CqlTimeuuid, i64, Option<bool>)| {
                let after = marker.is_none_or(|m| message_id(id).ticks() > m.ticks());
                if after && sender != user.0 && deleted != Some(true) {
                    unread += 1;
                }
                ControlFlow::Continue(())
            };
            let max = read.limit as usize;
            let rows = match (read.direction, read.cursor) {
                (Direction::OldestFirst, Some(id)) => {
                    let values = (key.0, key.1, timeuuid(id), limit);
                    self.each_row(UNREAD_AFTER, values, max, &mut count).await?
                }
                (Direction::OldestFirst, None) => {
                    self.each_row(UNREAD_ASC, (key.0, key.1, limit), max, &mut count)
                        .await?
                }
                (Direction::NewestFirst, _) => {
                    self.each_row(UNREAD_DESC, (key.0, key.1, limit), max, &mut count)
                        .await?
                }
            };
            walk.record(u32::try_from(rows).unwrap_or(u32::MAX));
        }
        Ok(unread.min(UNREAD_CAP))
    }

    /// The summary of one `user_conversations` row: its conversation, newest message, unread
    /// count and group; `None` when the conversation row is gone.
    async fn summarize(
        &self,
        user: UserId,
        row: UserConversationTuple,
    ) -> Result<Option<ConversationSummary>, StoreError> {
        let (id, _kind, peer, marker, muted, archived, pinned) = row;
        let Some(conversation) = ConversationStore::get(self, ConversationId(id)).await? else {
            return Ok(None);
        };
        let last_message = match conversation.last_message_id {
            Some(last) => MessageStore::get(self, conversation.id, last).await?,
            None => None,
        };
        let marker = marker.map(message_id);
        let unread_count = self.unread_count(user, &conversation, marker).await?;
        let group_id = match conversation.kind {
            ConversationKind::Group => self
                .groups
                .by_conversation(conversation.id)
                .await?
                .map(|group| group.id),
            ConversationKind::Direct => None,
        };
        Ok(Some(ConversationSummary {
            peer_id: peer.map(UserId),
            group_id,
            last_message,
            unread_count,
            last_read_message_id: marker,
            muted: muted.unwrap_or(false),
            archived: archived.unwrap_or(false),
            pinned: pinned.unwrap_or(false),
            conversation,
        }))
    }
}

/// The order of a conversation list: pinned first, then by last activity, then newest made.
fn list_order(a: &ConversationSummary, b: &ConversationSummary) -> std::cmp::Ordering {
    let activity =
        |s: &ConversationSummary| s.conversation.last_message_id.map_or(0, |id| id.ticks());
    b.pinned
        .cmp(&a.pinned)
        .then_with(|| activity(b).cmp(&activity(a)))
        .then_with(|| b.conversation.created_at.cmp(&a.conversation.created_at))
}

#[async_trait]
impl ConversationStore for ScyllaStore {
    /// The direct conversation `id` of `a` and `b`, created with both as participants if new.
    /// Plain writes, no lightweight transaction: the id derives from the pair, so two nodes
    /// racing write the same rows (only `created_at` may differ, by the race's milliseconds,
    /// which the history walk's clock-skew margin covers).
    async fn ensure_direct(
        &self,
        id: ConversationId,
        a: UserId,
        b: UserId,
    ) -> Result<Conversation, StoreError> {
        let now = timestamp(Utc::now());
        if ConversationStore::get(self, id).await?.is_none() {
            let no_text: Option<&str> = None;
            let values = (id.0, "direct", no_text, no_text, now, now);
            self.write(INSERT_CONVERSATION, values).await?;
        }
        let present = self.participants(id).await?;
        for (user, peer) in [(a, b), (b, a)] {
            if present.contains(&user) {
                continue;
            }
            self.write(INSERT_PARTICIPANT, (id.0, user.0, now)).await?;
            self.write(
                INSERT_USER_CONVERSATION,
                (user.0, id.0, "direct", MaybeUnset::Set(peer.0), now),
            )
            .await?;
        }
        ConversationStore::get(self, id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// The conversation with this id.
    async fn get(&self, id: ConversationId) -> Result<Option<Conversation>, StoreError> {
        let row: Option<ConversationTuple> = self.row(SELECT_CONVERSATION, (id.0,)).await?;
        Ok(row.map(conversation).transpose()?)
    }

    /// Everyone taking part.
    async fn participants(&self, id: ConversationId) -> Result<Vec<UserId>, StoreError> {
        Ok(self
            .read_markers(id)
            .await?
            .into_iter()
            .map(|(user, _)| user)
            .collect())
    }

    /// The other participant of each of `user`'s direct conversations.
    async fn direct_peers(&self, user: UserId) -> Result<Vec<UserId>, StoreError> {
        let rows: Vec<UserConversationTuple> = self
            .rows(SELECT_USER_CONVERSATIONS, (user.0,), CONVERSATIONS_READ)
            .await?;
        Ok(rows
            .into_iter()
            .filter(|row| row.1.as_deref() == Some(ConversationKind::Direct.as_str()))
            .filter_map(|row| row.2.map(UserId))
            .collect())
    }

    /// `user`'s conversations: pinned first, then by last activity.
    async fn summaries(
        &self,
        user: UserId,
        archived: bool,
    ) -> Result<Vec<ConversationSummary>, StoreError> {
        let rows: Vec<UserConversationTuple> = self
            .rows(SELECT_USER_CONVERSATIONS, (user.0,), CONVERSATIONS_READ)
            .await?;
        let rows: Vec<UserConversationTuple> = rows
            .into_iter()
            .filter(|row| row.5.unwrap_or(false) == archived)
            .collect();
        // Each summary is a few single-partition reads on other partitions: run them side by
        // side, a bounded number at a time, rather than one round trip after another.
        let mut summaries = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(SUMMARIES_AT_ONCE) {
            let mut reads = tokio::task::JoinSet::new();
            for row in chunk.iter().cloned() {
                let store = self.clone();
                reads.spawn(async move { store.summarize(user, row).await });
            }
            while let Some(read) = reads.join_next().await {
                let summary = read.map_err(|e| {
                    StoreError::Cluster(format!("a conversation summary's reads stopped: {e}"))
                })??;
                summaries.extend(summary);
            }
        }
        summaries.sort_by(list_order);
        summaries.truncate(SUMMARIES_SHOWN);
        Ok(summaries)
    }

    /// One conversation as `user` sees it.
    async fn summary(
        &self,
        user: UserId,
        id: ConversationId,
    ) -> Result<Option<ConversationSummary>, StoreError> {
        match self.user_conversation(user, id).await? {
            Some(row) => self.summarize(user, row).await,
            None => Ok(None),
        }
    }

    /// Sets the flags present in `flags`; absent ones are bound unset and keep their value.
    async fn set_flags(
        &self,
        user: UserId,
        id: ConversationId,
        flags: ConversationFlags,
    ) -> Result<(), StoreError> {
        // Read first: an UPDATE would make a row for someone who does not take part.
        if self.user_conversation(user, id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let flag = |value: Option<bool>| value.map_or(MaybeUnset::Unset, MaybeUnset::Set);
        self.write(
            SET_FLAGS,
            (
                flag(flags.muted),
                flag(flags.archived),
                flag(flags.pinned),
                user.0,
                id.0,
            ),
        )
        .await?;
        Ok(())
    }

    /// Moves `user`'s read marker forward to `message`; never backwards. Both copies are
    /// written at the message's own time, so of racing calls the newest marker stays; two
    /// racing calls may both answer "moved" (docs/scylla.md).
    async fn mark_read(
        &self,
        user: UserId,
        id: ConversationId,
        message: MessageId,
    ) -> Result<bool, StoreError> {
        let Some(row) = self.user_conversation(user, id).await? else {
            return Ok(false);
        };
        if row
            .3
            .is_some_and(|marker| message_id(marker).ticks() >= message.ticks())
        {
            return Ok(false);
        }
        let at = write_time_micros(message);
        self.write(MARK_READ_USER, (at, timeuuid(message), user.0, id.0))
            .await?;
        self.write(MARK_READ_PARTICIPANT, (at, timeuuid(message), id.0, user.0))
            .await?;
        Ok(true)
    }

    /// Every participant's read marker, by user id (the partition's clustering order).
    async fn read_markers(
        &self,
        id: ConversationId,
    ) -> Result<Vec<(UserId, Option<MessageId>)>, StoreError> {
        let rows: Vec<(i64, Option<CqlTimeuuid>)> = self
            .rows(SELECT_PARTICIPANTS, (id.0,), PARTICIPANTS_READ)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(user, marker)| (UserId(user), marker.map(message_id)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::super::timeuuid::tests::id_at;
    use super::*;

    fn row(kind: &str, created_ms: i64, last: Option<MessageId>) -> ConversationTuple {
        (
            Uuid::new_v4(),
            Some(kind.to_owned()),
            None,
            None,
            Some(CqlTimestamp(created_ms)),
            None,
            last.map(timeuuid),
        )
    }

    fn summary(pinned: bool, created_ms: i64, last: Option<MessageId>) -> ConversationSummary {
        ConversationSummary {
            conversation: conversation(row("direct", created_ms, last)).unwrap(),
            peer_id: None,
            group_id: None,
            last_message: None,
            unread_count: 0,
            last_read_message_id: None,
            muted: false,
            archived: false,
            pinned,
        }
    }

    #[test]
    fn a_conversation_row_reads_back_with_its_pointer_and_refuses_what_we_never_write() {
        let last = id_at(1_764_000_000_000_000_000, 1, [3; 6]);
        let read = conversation(row("group", 1_700_000_000_123, Some(last))).unwrap();
        assert_eq!(read.kind, ConversationKind::Group);
        assert_eq!(read.last_message_id, Some(last));
        assert_eq!(
            read.created_at,
            DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap()
        );
        assert_eq!(
            read.updated_at, read.created_at,
            "never updated: its creation"
        );
        assert!(conversation(row("channel", 0, None)).is_err());
        let mut no_time = row("direct", 0, None);
        no_time.4 = None;
        assert!(conversation(no_time).is_err());
    }

    #[test]
    fn the_list_is_pinned_first_then_by_newest_message_then_by_creation() {
        let (early, late) = (
            id_at(1_764_000_000_000_000_000, 0, [1; 6]),
            id_at(1_764_000_001_000_000_000, 0, [1; 6]),
        );
        let mut list = [
            summary(false, 10, Some(early)),
            summary(false, 30, None),
            summary(true, 5, Some(early)),
            summary(false, 20, Some(late)),
            summary(false, 40, None),
        ];
        list.sort_by(list_order);
        let order: Vec<(bool, i64)> = list
            .iter()
            .map(|s| (s.pinned, s.conversation.created_at.timestamp_millis()))
            .collect();
        assert_eq!(
            order,
            [
                (true, 5),
                (false, 20),
                (false, 10),
                (false, 40),
                (false, 30)
            ]
        );
    }
}
