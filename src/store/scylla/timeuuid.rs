//! TimeUUIDs (UUID version 1) as CQL sees them: the time inside one, and the order CQL sorts a
//! `timeuuid` clustering column in.
//!
//! Message ids are already v1 TimeUUIDs ([`MessageId::now`]), so they are stored as they are:
//! no mapping between an id and a CQL `timeuuid` is needed, only these readings of it.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::MessageId;

/// 100 ns ticks from the Gregorian epoch of v1 UUIDs (1582-10-15) to the Unix epoch.
pub(super) const GREGORIAN_TO_UNIX_TICKS: i64 = 0x01B2_1DD2_1381_4000;
/// v1 timestamps count 100 ns ticks.
const TICKS_PER_MILLI: i64 = 10_000;

/// The 60-bit v1 timestamp: 100 ns ticks since 1582-10-15, read straight from the id's bytes
/// (time_hi, time_mid, time_low; the version nibble masked off).
pub fn gregorian_ticks(id: &Uuid) -> i64 {
    let b = id.as_bytes();
    let time_low = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as i64;
    let time_mid = u16::from_be_bytes([b[4], b[5]]) as i64;
    let time_hi = (u16::from_be_bytes([b[6], b[7]]) & 0x0fff) as i64;
    (time_hi << 48) | (time_mid << 32) | time_low
}

/// The id's time in milliseconds since the Unix epoch (rounded down).
pub fn unix_millis(id: MessageId) -> i64 {
    (gregorian_ticks(&id.0) - GREGORIAN_TO_UNIX_TICKS).div_euclid(TICKS_PER_MILLI)
}

/// The id's time, to the 100 ns the id carries.
pub fn time_of(id: MessageId) -> DateTime<Utc> {
    let ticks = gregorian_ticks(&id.0) - GREGORIAN_TO_UNIX_TICKS;
    let seconds = ticks.div_euclid(10_000_000);
    let nanos = ticks.rem_euclid(10_000_000) * 100;
    // Every 60-bit tick count is within chrono's range (about ±262,000 years).
    DateTime::from_timestamp(seconds, nanos as u32).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How Cassandra and ScyllaDB order two `timeuuid` values (Cassandra's `TimeUUIDType`): by the
/// embedded time, then by the remaining 8 bytes (clock sequence and node) compared as *signed*
/// bytes. Paging by a message-id cursor relies on this order inside a partition.
///
/// Not the order the SQL engines use for ids with the same time: they compare the id's text,
/// which is those bytes *unsigned* (docs/scylla.md). Only ids made in the same 100 ns differ.
pub fn cql_order(a: &Uuid, b: &Uuid) -> Ordering {
    let tail = |u: &Uuid| -> [i8; 8] {
        let bytes = u.as_bytes();
        std::array::from_fn(|i| bytes[8 + i] as i8)
    };
    gregorian_ticks(a)
        .cmp(&gregorian_ticks(b))
        .then_with(|| tail(a).cmp(&tail(b)))
}

#[cfg(test)]
pub(super) mod tests {
    use uuid::Timestamp;

    use super::*;

    /// A v1 id at `unix_nanos` after the Unix epoch (a multiple of 100), with the given clock
    /// sequence and node.
    pub(in crate::store::scylla) fn id_at(
        unix_nanos: i64,
        clock_seq: u16,
        node: [u8; 6],
    ) -> MessageId {
        let ticks = (unix_nanos / 100 + GREGORIAN_TO_UNIX_TICKS) as u64;
        let ts = Timestamp::from_gregorian_time(ticks, clock_seq);
        MessageId(Uuid::new_v1(ts, &node))
    }

    #[test]
    fn a_new_message_id_carries_the_time_it_was_made() {
        let before = Utc::now();
        let id = MessageId::now();
        let after = Utc::now();
        let at = time_of(id);
        // The id keeps 100 ns; the clock read around it may be finer.
        let tick = chrono::Duration::nanoseconds(100);
        assert!(
            before - tick <= at && at <= after,
            "{before} <= {at} <= {after}"
        );
        assert_eq!(unix_millis(id), at.timestamp_millis());
        assert_eq!(gregorian_ticks(&id.0), id.ticks());
    }

    #[test]
    fn times_convert_exactly() {
        let nanos = 1_764_000_123_456_789_100; // 2025-11-24T16:02:03.4567891Z
        let id = id_at(nanos, 0, [1; 6]);
        assert_eq!(time_of(id).timestamp_nanos_opt(), Some(nanos));
        assert_eq!(unix_millis(id), 1_764_000_123_456);
        assert_eq!(
            gregorian_ticks(&id.0),
            id.ticks(),
            "as the SQL engines read it"
        );

        let epoch = id_at(0, 0, [1; 6]);
        assert_eq!(unix_millis(epoch), 0);
        assert_eq!(time_of(epoch), DateTime::UNIX_EPOCH);
    }

    #[test]
    fn the_gregorian_offset_agrees_with_the_uuid_crate() {
        let ts = Timestamp::from_unix(uuid::NoContext, 1_700_000_000, 0);
        let id = MessageId(Uuid::new_v1(ts, &[1; 6]));
        assert_eq!(unix_millis(id), 1_700_000_000_000);
    }

    #[test]
    fn cql_orders_by_time_first_whatever_the_other_bytes() {
        let early = id_at(1_000_000_000, 0x3fff, [0xff; 6]);
        let late = id_at(1_000_000_100, 0, [0; 6]);
        assert_eq!(cql_order(&early.0, &late.0), Ordering::Less);
        assert_eq!(cql_order(&late.0, &early.0), Ordering::Greater);
        assert_eq!(cql_order(&late.0, &late.0), Ordering::Equal);
        // The text of the id starts with the time's *low* bits: it is no time order at all.
        let ticks = (((GREGORIAN_TO_UNIX_TICKS >> 32) + 1_000) << 32) as u64 - 1;
        let at_ticks = |ticks: u64| {
            MessageId(Uuid::new_v1(
                Timestamp::from_gregorian_time(ticks, 0),
                &[0; 6],
            ))
        };
        let before_wrap = at_ticks(ticks);
        let wraps = at_ticks(ticks + 1);
        assert_eq!(cql_order(&before_wrap.0, &wraps.0), Ordering::Less);
        assert!(before_wrap.to_string() > wraps.to_string());
    }

    #[test]
    fn within_one_tick_cql_compares_the_clock_sequence_as_signed_bytes() {
        let at = 1_000_000_000;
        // Clock sequence low byte 0x7f then 0x80: unsigned, 0x80 is larger; signed, it is -128.
        let a = id_at(at, 0x007f, [0; 6]);
        let b = id_at(at, 0x0080, [0; 6]);
        assert_eq!(cql_order(&a.0, &b.0), Ordering::Greater);
        assert!(a.to_string() < b.to_string(), "the SQL engines' text order");
    }
}
