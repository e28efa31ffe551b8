//! Revocations this node delivered lately, for sockets that were still in their handshake.
//!
//! socketioxide adds a socket to its namespace only after the connect middleware returned, and
//! delivery reaches sockets through the namespace: a revocation delivered between the
//! middleware's session check and that moment would pass the new socket by, and leave a
//! disabled user connected. So delivery writes every revocation here before it closes sockets,
//! and the connect handler, which runs once the socket is reachable, looks for any written since
//! its handshake took a [`Mark`] (before checking the session). Either the handler sees the
//! entry, or the entry was written after the socket became reachable and delivery closes it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::bus::RevocationReason;
use crate::domain::UserId;

/// How long an entry is kept: far longer than a handshake takes (socketioxide gives up on one
/// after its 10 s connect timeout), and than a node takes to reload its keys after a retirement.
const RETENTION: Duration = Duration::from_secs(60);

/// Most entries kept, whatever their age: a burst of revocations must not grow memory.
const MAX_ENTRIES: usize = 10_000;

/// A point in the log, taken by a handshake before it checks the session.
#[derive(Debug, Clone, Copy)]
pub struct Mark(u64);

/// What happened to a session since its handshake's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinceMark {
    /// Nothing that concerns it.
    Untouched,
    /// It was revoked.
    Ended(RevocationReason),
    /// This node may have missed revocations meanwhile (or forgot what happened since): the
    /// session must be checked against the stores again.
    Unknown,
}

#[derive(Debug)]
enum Revoked {
    /// Every session of these users.
    Users(Vec<UserId>, RevocationReason),
    /// Every session whose token this key signed.
    Key(String),
    /// This node may have missed events: any session may have ended.
    Unknown,
}

#[derive(Debug)]
struct Entry {
    sequence: u64,
    at: Instant,
    revoked: Revoked,
}

#[derive(Debug, Default)]
struct Log {
    /// The sequence number the next entry gets.
    next: u64,
    /// Entries in sequence order.
    entries: VecDeque<Entry>,
    /// The highest sequence number dropped: a mark at or before it cannot be answered.
    forgotten_through: Option<u64>,
}

/// See the module doc.
#[derive(Debug, Default)]
pub struct RecentRevocations {
    log: Mutex<Log>,
}

impl RecentRevocations {
    /// Where the log stands now.
    pub fn mark(&self) -> Mark {
        Mark(self.lock().next)
    }

    /// Every session of `users` ended.
    pub fn users_revoked(&self, users: &[UserId], reason: RevocationReason) {
        self.push(Revoked::Users(users.to_vec(), reason));
    }

    /// Tokens signed by `kid` stopped verifying.
    pub fn key_retired(&self, kid: &str) {
        self.push(Revoked::Key(kid.to_owned()));
    }

    /// This node may have missed revocations (its delivery skipped events, or its Redis
    /// subscriptions were down).
    pub fn may_have_missed_some(&self) {
        self.push(Revoked::Unknown);
    }

    /// What happened since `mark` to the session of `user` whose token `kid` signed.
    pub fn since(&self, mark: Mark, user: UserId, kid: &str) -> SinceMark {
        let log = self.lock();
        if log.forgotten_through.is_some_and(|seq| seq >= mark.0) {
            return SinceMark::Unknown;
        }
        let mut verdict = SinceMark::Untouched;
        for entry in &log.entries {
            match &entry.revoked {
                // A retired key never verifies again, so its entry counts even from before the
                // mark: this node's key cache may have accepted the token while it reloaded.
                Revoked::Key(retired) if retired == kid => {
                    return SinceMark::Ended(RevocationReason::SigningKeyRetired);
                }
                _ if entry.sequence < mark.0 => {}
                Revoked::Users(users, reason) if users.contains(&user) => {
                    return SinceMark::Ended(*reason);
                }
                Revoked::Unknown => verdict = SinceMark::Unknown,
                Revoked::Users(..) | Revoked::Key(_) => {}
            }
        }
        verdict
    }

    fn push(&self, revoked: Revoked) {
        let now = Instant::now();
        let mut log = self.lock();
        while let Some(oldest) = log.entries.front() {
            if now.duration_since(oldest.at) < RETENTION && log.entries.len() < MAX_ENTRIES {
                break;
            }
            let sequence = oldest.sequence;
            log.entries.pop_front();
            log.forgotten_through = Some(sequence);
        }
        let sequence = log.next;
        log.next += 1;
        log.entries.push_back(Entry {
            sequence,
            at: now,
            revoked,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: UserId = UserId(1);
    const BEN: UserId = UserId(2);

    #[test]
    fn a_revocation_after_the_mark_ends_the_session_of_its_users_only() {
        let log = RecentRevocations::default();
        let mark = log.mark();
        log.users_revoked(&[BEN], RevocationReason::AccountDisabled);
        assert_eq!(
            log.since(mark, BEN, "k1"),
            SinceMark::Ended(RevocationReason::AccountDisabled)
        );
        assert_eq!(log.since(mark, ANN, "k1"), SinceMark::Untouched);
    }

    #[test]
    fn a_user_revocation_before_the_mark_does_not_end_a_later_session() {
        // Logged out, then logged in again with a fresh token: the new socket may stay.
        let log = RecentRevocations::default();
        log.users_revoked(&[ANN], RevocationReason::LoggedOut);
        let mark = log.mark();
        assert_eq!(log.since(mark, ANN, "k1"), SinceMark::Untouched);
    }

    #[test]
    fn a_retired_key_ends_its_sessions_even_when_retired_before_the_mark() {
        let log = RecentRevocations::default();
        log.key_retired("k1");
        let mark = log.mark();
        assert_eq!(
            log.since(mark, ANN, "k1"),
            SinceMark::Ended(RevocationReason::SigningKeyRetired)
        );
        assert_eq!(log.since(mark, ANN, "k2"), SinceMark::Untouched);
    }

    #[test]
    fn missed_events_after_the_mark_call_for_a_check() {
        let log = RecentRevocations::default();
        let before = log.mark();
        log.may_have_missed_some();
        let after = log.mark();
        assert_eq!(log.since(before, ANN, "k1"), SinceMark::Unknown);
        assert_eq!(log.since(after, ANN, "k1"), SinceMark::Untouched);
    }

    #[test]
    fn a_full_log_forgets_its_oldest_entries_and_says_so_to_older_marks() {
        let log = RecentRevocations::default();
        let oldest = log.mark();
        for i in 0..MAX_ENTRIES as i64 + 1 {
            log.users_revoked(&[UserId(1_000 + i)], RevocationReason::LoggedOut);
        }
        assert_eq!(log.lock().entries.len(), MAX_ENTRIES);
        assert_eq!(log.since(oldest, ANN, "k1"), SinceMark::Unknown);
        let recent = log.mark();
        assert_eq!(log.since(recent, ANN, "k1"), SinceMark::Untouched);
    }
}
