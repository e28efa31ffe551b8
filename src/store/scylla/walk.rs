//! Reading a page of history across buckets: which partition to read next, with which cursor
//! and limit, and when to stop. No I/O here: the store asks [`HistoryWalk::next_read`], runs
//! that one query, and reports how many rows came back with [`HistoryWalk::record`].
//!
//! A page stays inside the conversation's life: it never reads below the bucket the
//! conversation was created in (less [`CLOCK_SKEW`], for a node whose clock runs behind) nor
//! above the bucket of its newest message (the `last_message_id` pointer). In between, a quiet
//! stretch is one empty partition per bucket; a page reads at most [`MAX_EMPTY_BUCKETS`] of them
//! in a row and then ends, shorter than asked. With 10-day buckets that takes seven years of
//! silence inside one conversation; docs/scylla.md says what would lift the bound.

use chrono::{DateTime, Duration, Utc};

use super::bucket::{Bucket, Bucketing};
use crate::domain::{HistoryPage, MessageId};

/// Consecutive empty buckets one page reads before it gives up (see the module doc).
pub const MAX_EMPTY_BUCKETS: u32 = 256;

/// How far behind a node's clock may run when it writes a message into a conversation another
/// node just created: the lowest bucket read is the one `CLOCK_SKEW` before the creation.
pub const CLOCK_SKEW: Duration = Duration::hours(1);

/// Which way a page walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ORDER BY message_id DESC` (the table's order): the latest page, and `before` pages.
    NewestFirst,
    /// `ORDER BY message_id ASC`: `after` pages, catching up.
    OldestFirst,
}

/// One query of a page: `SELECT … WHERE conversation_id = ? AND bucket = ?
/// [AND message_id < / > cursor] ORDER BY message_id DESC / ASC LIMIT limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketRead {
    pub bucket: Bucket,
    pub direction: Direction,
    /// Exclusive bound, only in the cursor's own bucket: older than it when walking newest
    /// first, newer than it when walking oldest first.
    pub cursor: Option<MessageId>,
    pub limit: u32,
}

/// What the store knows of a conversation before it reads history: its `conversations` row.
#[derive(Debug, Clone, Copy)]
pub struct ConversationSpan {
    pub created_at: DateTime<Utc>,
    /// The newest message (`last_message_id`); `None`: the conversation has none.
    pub newest: Option<MessageId>,
}

/// The state of one page's walk over buckets.
#[derive(Debug, Clone)]
pub struct HistoryWalk {
    direction: Direction,
    /// The bucket to read next; `None` once the walk has ended.
    next: Option<Bucket>,
    /// The last bucket the walk may read (inclusive), in its direction.
    end: Bucket,
    cursor: Option<(Bucket, MessageId)>,
    remaining: u32,
    empty_run: u32,
}

impl HistoryWalk {
    /// The walk for `page` of at most `limit` messages in a conversation spanning `span`.
    pub fn plan(page: HistoryPage, limit: u32, buckets: Bucketing, span: ConversationSpan) -> Self {
        let floor = buckets.of_time(span.created_at - CLOCK_SKEW);
        let newest = span.newest.map(|id| buckets.of_message(id));
        let (direction, start, end, cursor) = match page {
            // No newest message: nothing to read at all.
            HistoryPage::Latest => (Direction::NewestFirst, newest, floor, None),
            HistoryPage::Before(id) => {
                let at = buckets.of_message(id);
                (Direction::NewestFirst, Some(at), floor, Some((at, id)))
            }
            HistoryPage::After(id) => {
                let at = buckets.of_message(id);
                // Up to the newest message's bucket; at least the cursor's own, which may hold
                // a message written just before the pointer moved.
                let end = newest.map_or(at, |newest| newest.max(at));
                let start = span.newest.map(|_| at);
                (Direction::OldestFirst, start, end, Some((at, id)))
            }
        };
        let end = match direction {
            // A cursor below the floor (a clock far behind) still reads its own bucket.
            Direction::NewestFirst => start.map_or(end, |start| end.min(start)),
            Direction::OldestFirst => end,
        };
        HistoryWalk {
            direction,
            next: start.filter(|_| limit > 0),
            end,
            cursor,
            remaining: limit,
            empty_run: 0,
        }
    }

    /// The next query to run, or `None` when the page is complete.
    pub fn next_read(&self) -> Option<BucketRead> {
        let bucket = self.next?;
        Some(BucketRead {
            bucket,
            direction: self.direction,
            cursor: self
                .cursor
                .filter(|(at, _)| *at == bucket)
                .map(|(_, id)| id),
            limit: self.remaining,
        })
    }

    /// Records that the read [`next_read`](Self::next_read) gave returned `rows` rows.
    pub fn record(&mut self, rows: u32) {
        let Some(bucket) = self.next else {
            return;
        };
        self.remaining = self.remaining.saturating_sub(rows);
        self.empty_run = if rows == 0 { self.empty_run + 1 } else { 0 };
        let at_end = match self.direction {
            Direction::NewestFirst => bucket <= self.end,
            Direction::OldestFirst => bucket >= self.end,
        };
        let done = at_end || self.remaining == 0 || self.empty_run >= MAX_EMPTY_BUCKETS;
        self.next = (!done).then(|| match self.direction {
            Direction::NewestFirst => bucket.older(),
            Direction::OldestFirst => bucket.newer(),
        });
    }
}

#[cfg(test)]
#[path = "walk_tests.rs"]
mod tests;
