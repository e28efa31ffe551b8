//! History pages across buckets, read from an in-memory stand-in for the `messages` table that
//! answers each [`BucketRead`] as CQL would (one partition, ordered by `timeuuid`, cursor, limit).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::super::timeuuid::{cql_order, tests::id_at};
use super::*;

const DAY_NS: i64 = 24 * 60 * 60 * 1_000_000_000;

fn buckets() -> Bucketing {
    Bucketing::days(10).unwrap()
}

/// One conversation's partitions, and every query a page made.
struct Partitions {
    by_bucket: BTreeMap<Bucket, Vec<MessageId>>,
    reads: Vec<BucketRead>,
}

impl Partitions {
    /// Messages at these days since the epoch (several per day get distinct ticks).
    fn with_messages_on_days(days: &[i64]) -> Self {
        let mut by_bucket: BTreeMap<Bucket, Vec<MessageId>> = BTreeMap::new();
        for (n, day) in days.iter().enumerate() {
            let id = id_at(day * DAY_NS + n as i64 * 1_000, n as u16, [7; 6]);
            by_bucket
                .entry(buckets().of_message(id))
                .or_default()
                .push(id);
        }
        Partitions {
            by_bucket,
            reads: Vec::new(),
        }
    }

    /// Every message, oldest first, in CQL's order: what a single unbucketed partition holds.
    fn all(&self) -> Vec<MessageId> {
        let mut all: Vec<MessageId> = self.by_bucket.values().flatten().copied().collect();
        all.sort_by(|a, b| cql_order(&a.0, &b.0));
        all
    }

    /// One query, answered as CQL would.
    fn run(&mut self, read: BucketRead) -> Vec<MessageId> {
        self.reads.push(read);
        let mut rows = self
            .by_bucket
            .get(&read.bucket)
            .cloned()
            .unwrap_or_default();
        rows.sort_by(|a, b| cql_order(&a.0, &b.0));
        if read.direction == Direction::NewestFirst {
            rows.reverse();
        }
        let wanted = match read.direction {
            Direction::NewestFirst => Ordering::Less,
            Direction::OldestFirst => Ordering::Greater,
        };
        rows.into_iter()
            .filter(|id| read.cursor.is_none_or(|c| cql_order(&id.0, &c.0) == wanted))
            .take(read.limit as usize)
            .collect()
    }

    /// A whole page, driven the way the store will drive it.
    fn page(&mut self, page: HistoryPage, limit: u32, span: ConversationSpan) -> Vec<MessageId> {
        self.reads.clear();
        let mut walk = HistoryWalk::plan(page, limit, buckets(), span);
        let mut out = Vec::new();
        while let Some(read) = walk.next_read() {
            let rows = self.run(read);
            walk.record(rows.len() as u32);
            out.extend(rows);
        }
        out
    }

    fn span(&self, created_day: i64) -> ConversationSpan {
        ConversationSpan {
            created_at: DateTime::from_timestamp_nanos(created_day * DAY_NS),
            newest: self.all().last().copied(),
        }
    }
}

#[test]
fn the_latest_page_spans_buckets_newest_first_skipping_empty_ones() {
    // Buckets 2000, 2001 (empty), 2002 (empty), 2003: days 20_000.. are bucket 2000..
    let mut table = Partitions::with_messages_on_days(&[20_001, 20_002, 20_005, 20_031, 20_032]);
    let span = table.span(20_000);
    let page = table.page(HistoryPage::Latest, 4, span);
    let expected: Vec<MessageId> = table.all().into_iter().rev().take(4).collect();
    assert_eq!(page, expected);
    let read: Vec<i32> = table.reads.iter().map(|r| r.bucket.0).collect();
    assert_eq!(read, [2003, 2002, 2001, 2000]);
    assert_eq!(
        table.reads.iter().map(|r| r.limit).collect::<Vec<_>>(),
        [4, 2, 2, 2],
        "each bucket is asked only for what the page still lacks"
    );
}

#[test]
fn paging_back_with_before_reads_the_whole_history_once_newest_first() {
    let days = [
        20_000, 20_000, 20_003, 20_011, 20_045, 20_046, 20_047, 20_090, 20_121,
    ];
    let mut table = Partitions::with_messages_on_days(&days);
    let span = table.span(20_000);
    let mut seen = table.page(HistoryPage::Latest, 3, span);
    loop {
        let oldest = *seen.last().unwrap();
        let page = table.page(HistoryPage::Before(oldest), 3, span);
        assert!(page.len() <= 3);
        if page.is_empty() {
            break;
        }
        seen.extend(page);
    }
    let expected: Vec<MessageId> = table.all().into_iter().rev().collect();
    assert_eq!(seen, expected);
}

#[test]
fn catching_up_with_after_reads_forward_to_the_newest_message() {
    let days = [20_000, 20_003, 20_011, 20_045, 20_090, 20_121, 20_121];
    let mut table = Partitions::with_messages_on_days(&days);
    let span = table.span(20_000);
    let all = table.all();
    let mut seen = vec![all[0]];
    loop {
        let newest = *seen.last().unwrap();
        let page = table.page(HistoryPage::After(newest), 2, span);
        if page.is_empty() {
            break;
        }
        seen.extend(page);
    }
    assert_eq!(seen, all);
    let last = table.reads.last().unwrap();
    assert_eq!(
        last.bucket,
        buckets().of_message(*all.last().unwrap()),
        "the walk stops at the newest message's bucket, not at today's"
    );
}

#[test]
fn a_cursor_applies_only_in_its_own_bucket() {
    let mut table = Partitions::with_messages_on_days(&[20_001, 20_002, 20_015, 20_016]);
    let span = table.span(20_000);
    let cursor = table.all()[3];
    table.page(HistoryPage::Before(cursor), 10, span);
    assert_eq!(table.reads[0].cursor, Some(cursor));
    assert_eq!(table.reads[0].bucket, Bucket(2001));
    assert_eq!(table.reads[1].cursor, None);
    assert_eq!(table.reads[1].bucket, Bucket(2000));
}

#[test]
fn a_page_never_reads_before_the_conversation_began() {
    let mut table = Partitions::with_messages_on_days(&[20_205]);
    let span = table.span(20_150);
    let only = table.all()[0];
    let page = table.page(HistoryPage::Before(only), 50, span);
    assert!(page.is_empty());
    let read: Vec<i32> = table.reads.iter().map(|r| r.bucket.0).collect();
    // From the cursor's bucket down to the creation's (day 20_150 less an hour of skew is 2014).
    assert_eq!(read, [2020, 2019, 2018, 2017, 2016, 2015, 2014]);
}

#[test]
fn a_conversation_without_messages_reads_nothing() {
    let mut table = Partitions::with_messages_on_days(&[]);
    let span = table.span(20_000);
    assert!(table.page(HistoryPage::Latest, 50, span).is_empty());
    assert!(table.reads.is_empty());
    let stale = id_at(20_001 * DAY_NS, 0, [1; 6]);
    assert!(table.page(HistoryPage::After(stale), 50, span).is_empty());
    assert!(table.reads.is_empty());
}

#[test]
fn a_page_stops_after_the_bound_of_empty_buckets_in_a_row() {
    // Ten years of silence (365 empty ten-day buckets) between two messages.
    let mut table = Partitions::with_messages_on_days(&[20_000, 23_660]);
    let span = table.span(20_000);
    let page = table.page(HistoryPage::Latest, 2, span);
    assert_eq!(
        page,
        [table.all()[1]],
        "the older message lies beyond the bound"
    );
    assert_eq!(table.reads.len() as u32, 1 + MAX_EMPTY_BUCKETS);

    // A shorter silence is crossed.
    let mut table = Partitions::with_messages_on_days(&[20_000, 20_000 + 10 * 200]);
    let span = table.span(20_000);
    let page = table.page(HistoryPage::Latest, 2, span);
    assert_eq!(page.len(), 2);
}

#[test]
fn a_zero_limit_reads_nothing() {
    let mut table = Partitions::with_messages_on_days(&[20_001]);
    let span = table.span(20_000);
    assert!(table.page(HistoryPage::Latest, 0, span).is_empty());
    assert!(table.reads.is_empty());
}
