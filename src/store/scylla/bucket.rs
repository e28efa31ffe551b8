//! Time buckets: which partition of `messages` holds a message.
//!
//! A conversation's messages are partitioned by `(conversation_id, bucket)`, where the bucket
//! is the message id's Unix time in whole days divided by `messages.bucket_days`, rounded down.
//! The bucket comes from the id, never from a clock, so every node puts a message in the same
//! partition, and bucket order is id order: every id in bucket `b` sorts before every id in
//! bucket `b + 1` (both orders start with the id's time).

use chrono::{DateTime, Utc};

use super::timeuuid;
use crate::domain::MessageId;

const MILLIS_PER_DAY: i64 = 24 * 60 * 60 * 1000;

/// A bucket number, the `bucket` column of `messages`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bucket(pub i32);

impl Bucket {
    /// The bucket before this one (older messages).
    pub fn older(self) -> Bucket {
        Bucket(self.0.saturating_sub(1))
    }

    /// The bucket after this one (newer messages).
    pub fn newer(self) -> Bucket {
        Bucket(self.0.saturating_add(1))
    }
}

/// How long a bucket lasts: the keyspace's `bucket_days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucketing {
    span_ms: i64,
}

impl Bucketing {
    /// Buckets of `days` days; `None` for 0 (the configuration allows 1 to 365).
    pub fn days(days: u32) -> Option<Self> {
        (days > 0).then(|| Bucketing {
            span_ms: i64::from(days) * MILLIS_PER_DAY,
        })
    }

    /// The bucket holding the instant `unix_ms` (rounded down, also before 1970).
    pub fn of_millis(&self, unix_ms: i64) -> Bucket {
        let number = unix_ms.div_euclid(self.span_ms);
        // One-day buckets reach i32::MAX in about 5.9 million years.
        Bucket(i32::try_from(number).unwrap_or(if number < 0 { i32::MIN } else { i32::MAX }))
    }

    /// The bucket holding the instant `at`.
    pub fn of_time(&self, at: DateTime<Utc>) -> Bucket {
        self.of_millis(at.timestamp_millis())
    }

    /// The bucket (and so the partition) of a message.
    pub fn of_message(&self, id: MessageId) -> Bucket {
        self.of_millis(timeuuid::unix_millis(id))
    }

    /// The first instant of `bucket`.
    pub fn start(&self, bucket: Bucket) -> DateTime<Utc> {
        let millis = i64::from(bucket.0) * self.span_ms;
        DateTime::from_timestamp_millis(millis).unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::super::timeuuid::tests::id_at;
    use super::*;

    fn ten_days() -> Bucketing {
        Bucketing::days(10).unwrap()
    }

    #[test]
    fn a_bucket_spans_bucket_days_from_the_unix_epoch() {
        let buckets = ten_days();
        let day = |d: i64| d * MILLIS_PER_DAY;
        assert_eq!(buckets.of_millis(0), Bucket(0));
        assert_eq!(buckets.of_millis(day(10) - 1), Bucket(0));
        assert_eq!(buckets.of_millis(day(10)), Bucket(1));
        assert_eq!(buckets.of_millis(day(20_000) + 5), Bucket(2_000));
        // Before 1970 rounds down too, so no bucket is twice as long as the others.
        assert_eq!(buckets.of_millis(-1), Bucket(-1));
        assert_eq!(buckets.of_millis(-day(10)), Bucket(-1));
        assert_eq!(buckets.of_millis(-day(10) - 1), Bucket(-2));

        let daily = Bucketing::days(1).unwrap();
        assert_eq!(daily.of_millis(day(20_000) + 5), Bucket(20_000));
        assert_eq!(Bucketing::days(0), None);
    }

    #[test]
    fn a_bucket_starts_where_the_previous_one_ends() {
        let buckets = ten_days();
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let bucket = buckets.of_time(at);
        let start = buckets.start(bucket);
        assert!(start <= at && at < buckets.start(bucket.newer()));
        assert_eq!(buckets.of_time(start), bucket);
        assert_eq!(
            buckets.of_time(start - chrono::Duration::milliseconds(1)),
            bucket.older()
        );
    }

    #[test]
    fn a_message_goes_in_the_bucket_of_its_id_time() {
        let buckets = ten_days();
        let day_ns = MILLIS_PER_DAY * 1_000_000;
        let last_tick_of_bucket_0 = id_at(10 * day_ns - 100, 0, [1; 6]);
        let first_tick_of_bucket_1 = id_at(10 * day_ns, 0, [1; 6]);
        assert_eq!(buckets.of_message(last_tick_of_bucket_0), Bucket(0));
        assert_eq!(buckets.of_message(first_tick_of_bucket_1), Bucket(1));

        let now = MessageId::now();
        assert_eq!(
            buckets.of_message(now),
            buckets.of_time(timeuuid::time_of(now))
        );
    }

    #[test]
    fn neighbouring_buckets_saturate_instead_of_overflowing() {
        assert_eq!(Bucket(i32::MAX).newer(), Bucket(i32::MAX));
        assert_eq!(Bucket(i32::MIN).older(), Bucket(i32::MIN));
        assert_eq!(Bucket(7).older(), Bucket(6));
        assert_eq!(ten_days().of_millis(i64::MAX), Bucket(i32::MAX));
    }
}
