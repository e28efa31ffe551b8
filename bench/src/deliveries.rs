//! Deliveries of the messages one run sends: which arrived where, how late, twice or never.
//!
//! Each message is sent as `client_msg_id` `<tag><index>` and is due at `per_message` receiving
//! sockets once its send is acked. Every receiving socket remembers the `message_id`s it got, so a
//! second delivery to the same socket is counted as a duplicate (and not as a sample). Waiting
//! ends as soon as everything due has arrived, or after a quiet period without new deliveries,
//! or at a cap; the delivery rate is taken over the window from the first to the last delivery
//! actually received.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::report::SendTally;
use crate::socket::{OnMessage, Outcome};

pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The `message_id`s one socket has received.
#[derive(Default)]
pub struct SeenIds {
    uuids: HashSet<u128>,
    others: HashSet<String>,
}

impl SeenIds {
    /// True the first time `id` is seen (UUIDs are kept as 16 bytes: fan-out sees many).
    pub fn first_time(&mut self, id: &str) -> bool {
        match uuid_bits(id) {
            Some(n) => self.uuids.insert(n),
            None => self.others.insert(id.to_owned()),
        }
    }
}

/// The 128 bits of a UUID in hex (dashes ignored), without allocating.
fn uuid_bits(id: &str) -> Option<u128> {
    let mut bits = 0u128;
    let mut digits = 0;
    for c in id.chars().filter(|c| *c != '-') {
        bits = (bits << 4) | u128::from(c.to_digit(16)?);
        digits += 1;
        if digits > 32 {
            return None;
        }
    }
    (digits == 32).then_some(bits)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AckState {
    Pending,
    Ok,
    Failed,
}

/// Progress as the wait sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    /// Deliveries due: `per_message` for every acked send.
    pub due: u64,
    /// Due deliveries received (at most `per_message` per message).
    pub due_received: u64,
    pub pending_acks: u64,
    /// Microseconds from the ledger's start to the latest delivery.
    pub last_arrival_us: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopReason {
    AllArrived,
    Quiet,
    Cap,
}

impl StopReason {
    pub fn describe(self, quiet: Duration, cap: Duration) -> String {
        match self {
            StopReason::AllArrived => "every due delivery arrived".into(),
            StopReason::Quiet => format!(
                "no new delivery for {:.1}s (--quiet-secs)",
                quiet.as_secs_f64()
            ),
            StopReason::Cap => format!(
                "gave up {:.0}s after the last send (--max-wait-secs)",
                cap.as_secs_f64()
            ),
        }
    }
}

/// Whether to stop waiting, at `now_us` (all times from the ledger's start).
pub fn decide(
    p: &Progress,
    now_us: u64,
    sending_done_us: u64,
    quiet_us: u64,
    cap_us: u64,
) -> Option<StopReason> {
    if p.pending_acks == 0 && p.due_received >= p.due {
        return Some(StopReason::AllArrived);
    }
    if now_us >= sending_done_us + cap_us {
        return Some(StopReason::Cap);
    }
    // While acks are outstanding the server may still be storing (and then delivering).
    let since = sending_done_us.max(p.last_arrival_us.unwrap_or(0));
    (p.pending_acks == 0 && now_us >= since + quiet_us).then_some(StopReason::Quiet)
}

/// The span from the first to the last delivery received.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub count: u64,
    pub first_us: u64,
    pub last_us: u64,
}

impl Window {
    pub fn of(arrivals_us: &[u64]) -> Option<Window> {
        Some(Window {
            count: arrivals_us.len() as u64,
            first_us: *arrivals_us.iter().min()?,
            last_us: *arrivals_us.iter().max()?,
        })
    }

    pub fn secs(&self) -> f64 {
        (self.last_us - self.first_us) as f64 / 1e6
    }

    /// Deliveries per second over the window; none when it has no length.
    pub fn rate(&self) -> Option<f64> {
        (self.last_us > self.first_us).then(|| self.count as f64 / self.secs())
    }
}

#[derive(Default)]
struct State {
    acks: Vec<AckState>,
    received: Vec<u32>,
    progress: Progress,
    latencies_us: Vec<u64>,
    arrivals_us: Vec<u64>,
    duplicates: u64,
    foreign: u64,
    tally: SendTally,
    /// Receiving sockets each acked send is due at.
    per_message: u64,
    frozen: bool,
}

impl State {
    fn new(messages: usize, per_message: usize) -> State {
        State {
            acks: vec![AckState::Pending; messages],
            received: vec![0; messages],
            progress: Progress {
                pending_acks: messages as u64,
                ..Progress::default()
            },
            per_message: per_message as u64,
            ..State::default()
        }
    }

    fn ack(&mut self, index: usize, outcome: &Outcome) {
        let per_message = self.per_message;
        if self.frozen || self.acks.get(index) != Some(&AckState::Pending) {
            return;
        }
        self.tally.record(outcome);
        self.progress.pending_acks -= 1;
        if matches!(outcome, Outcome::Acked { .. }) {
            self.acks[index] = AckState::Ok;
            self.progress.due += per_message;
            self.progress.due_received += u64::from(self.received[index]).min(per_message);
        } else {
            self.acks[index] = AckState::Failed;
        }
    }

    /// One delivery; `first` is false when this socket had it already.
    fn receive(&mut self, index: Option<usize>, first: bool, latency_us: Option<u64>, at: u64) {
        if self.frozen {
            return;
        }
        if !first {
            self.duplicates += 1;
            return;
        }
        let Some(i) = index.filter(|i| *i < self.received.len()) else {
            self.foreign += 1;
            return;
        };
        self.received[i] += 1;
        if self.acks[i] == AckState::Ok && u64::from(self.received[i]) <= self.per_message {
            self.progress.due_received += 1;
        }
        self.latencies_us.extend(latency_us);
        self.arrivals_us.push(at);
        self.progress.last_arrival_us = Some(self.progress.last_arrival_us.unwrap_or(0).max(at));
    }
}

/// The deliveries of `messages` sends, each due at `per_message` sockets.
pub struct Ledger {
    start: Instant,
    tag: char,
    state: Mutex<State>,
}

/// What a run's deliveries came to.
pub struct Summary {
    pub reason: StopReason,
    /// How long waiting went on after the last send was issued.
    pub waited: Duration,
    pub tally: SendTally,
    pub pending_acks: u64,
    /// Distinct deliveries of this run's messages.
    pub received: u64,
    /// Deliveries due (acked sends) that never arrived.
    pub missing: u64,
    pub duplicates: u64,
    /// Deliveries of messages whose send failed (stored although the ack said otherwise).
    pub unacked_received: u64,
    pub foreign: u64,
    pub latencies_us: Vec<u64>,
    pub window: Option<Window>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ledger {
    pub fn new(tag: char, messages: usize, per_message: usize) -> Arc<Ledger> {
        Arc::new(Ledger {
            start: Instant::now(),
            tag,
            state: Mutex::new(State::new(messages, per_message)),
        })
    }

    pub fn client_msg_id(&self, index: usize) -> String {
        format!("{}{index}", self.tag)
    }

    /// Microseconds from the ledger's start to `at` (the clock of `Window`).
    pub fn offset_us(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.start).as_micros() as u64
    }

    /// A `receive_message` callback for one receiving socket (with its own `SeenIds`).
    pub fn listener(self: &Arc<Self>) -> OnMessage {
        let ledger = self.clone();
        let seen = Mutex::new(SeenIds::default());
        Arc::new(move |m: &Value| {
            let (wall, at) = (now_us(), ledger.offset_us(Instant::now()));
            let client = m["client_msg_id"].as_str();
            let first = match (m["message_id"].as_str(), client) {
                (Some(id), _) => lock(&seen).first_time(id),
                (None, Some(c)) => lock(&seen).first_time(&format!("client_msg_id {c}")),
                (None, None) => true,
            };
            let index = client
                .and_then(|c| c.strip_prefix(ledger.tag))
                .and_then(|n| n.parse().ok());
            let latency = m["metadata"]["sent_at_us"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .map(|sent| wall.saturating_sub(sent));
            lock(&ledger.state).receive(index, first, latency, at);
        })
    }

    /// The ack of send `index`.
    pub fn ack(&self, index: usize, outcome: &Outcome) {
        lock(&self.state).ack(index, outcome);
    }

    /// Which sends were acked so far, by index.
    pub fn acked(&self) -> Vec<bool> {
        let state = lock(&self.state);
        state.acks.iter().map(|a| *a == AckState::Ok).collect()
    }

    /// Waits after the last send (issued at `sending_done`), then freezes and sums up.
    pub async fn settle(&self, sending_done: Instant, quiet: Duration, cap: Duration) -> Summary {
        let done_us = self.offset_us(sending_done);
        loop {
            {
                let mut state = lock(&self.state);
                let now = self.offset_us(Instant::now());
                let (quiet_us, cap_us) = (quiet.as_micros() as u64, cap.as_micros() as u64);
                if let Some(reason) = decide(&state.progress, now, done_us, quiet_us, cap_us) {
                    state.frozen = true;
                    return self.summary(&mut state, reason, sending_done.elapsed());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn summary(&self, s: &mut State, reason: StopReason, waited: Duration) -> Summary {
        let unacked_received = s
            .acks
            .iter()
            .zip(&s.received)
            .filter(|(a, _)| **a != AckState::Ok)
            .map(|(_, r)| u64::from(*r))
            .sum();
        let received = s.received.iter().map(|r| u64::from(*r)).sum();
        Summary {
            reason,
            waited,
            tally: s.tally.clone(),
            pending_acks: s.progress.pending_acks,
            received,
            missing: s.progress.due - s.progress.due_received,
            duplicates: s.duplicates,
            unacked_received,
            foreign: s.foreign,
            latencies_us: std::mem::take(&mut s.latencies_us),
            window: Window::of(&s.arrivals_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Outcome = Outcome::Acked { duplicate: false };

    #[test]
    fn a_message_twice_at_one_socket_is_a_duplicate_at_two_sockets_is_not() {
        let (mut a, mut b) = (SeenIds::default(), SeenIds::default());
        let id = "0b9a6f3e-3c1d-11ef-8000-0242ac120002";
        assert!(a.first_time(id));
        assert!(b.first_time(id));
        assert!(!a.first_time(id));
        assert!(!a.first_time(&id.to_uppercase()));
        assert!(a.first_time("not-a-uuid") && !a.first_time("not-a-uuid"));
        assert_eq!(uuid_bits("00000000-0000-0000-0000-00000000000f"), Some(15));
        assert_eq!(uuid_bits("0000000000000000000000000000000f0"), None);
        assert_eq!(uuid_bits("0000000000000000000000000000000"), None);
    }

    #[test]
    fn duplicates_are_counted_and_not_sampled() {
        let mut s = State::new(2, 1);
        s.receive(Some(0), true, Some(5), 10);
        s.receive(Some(0), false, Some(6), 11);
        s.receive(None, true, None, 12);
        s.ack(0, &OK);
        s.ack(0, &OK); // a second ack of one send changes nothing here (the socket counts it)
        s.ack(1, &Outcome::Refused("rate_limited".into()));
        assert_eq!((s.duplicates, s.foreign, s.latencies_us.len()), (1, 1, 1));
        let p = s.progress;
        assert_eq!((p.due, p.due_received, p.pending_acks), (1, 1, 0));
        assert_eq!(s.tally.failed(), 1);
    }

    #[test]
    fn deliveries_count_as_due_whether_they_come_before_or_after_their_ack() {
        let mut s = State::new(2, 5);
        for at in 0..3 {
            s.receive(Some(0), true, Some(1), at);
        }
        s.ack(0, &OK);
        assert_eq!((s.progress.due, s.progress.due_received), (5, 3));
        s.ack(1, &OK);
        for at in 3..9 {
            s.receive(Some(1), true, Some(1), at);
        }
        s.receive(Some(0), true, Some(1), 9);
        // Message 1 came 6 times to 5 sockets: the extra one is not a due delivery.
        assert_eq!((s.progress.due, s.progress.due_received), (10, 9));
    }

    #[test]
    fn waiting_stops_once_everything_due_arrived() {
        let p = Progress {
            due: 10,
            due_received: 10,
            pending_acks: 0,
            last_arrival_us: Some(5),
        };
        assert_eq!(
            decide(&p, 6, 5, 2_000_000, 60_000_000),
            Some(StopReason::AllArrived)
        );
        let pending = Progress {
            pending_acks: 1,
            ..p
        };
        assert_eq!(decide(&pending, 6, 5, 2_000_000, 60_000_000), None);
    }

    #[test]
    fn one_missing_delivery_waits_for_the_quiet_period_not_the_cap() {
        let p = Progress {
            due: 10,
            due_received: 9,
            pending_acks: 0,
            last_arrival_us: Some(1_000_000),
        };
        let (done, quiet, cap) = (500_000, 2_000_000, 60_000_000);
        assert_eq!(decide(&p, 2_999_999, done, quiet, cap), None);
        assert_eq!(
            decide(&p, 3_000_000, done, quiet, cap),
            Some(StopReason::Quiet)
        );
        // With acks outstanding only the cap ends it.
        let pending = Progress {
            pending_acks: 1,
            ..p
        };
        assert_eq!(decide(&pending, 59_000_000, done, quiet, cap), None);
        assert_eq!(
            decide(&pending, 60_500_000, done, quiet, cap),
            Some(StopReason::Cap)
        );
    }

    /// Replays arrivals against the stop rule in 20 ms steps, as `settle` polls: the arrivals
    /// seen before it stops.
    fn replay(arrivals: &[u64], due: u64, done_us: u64, quiet_us: u64) -> Vec<u64> {
        let mut now = 0;
        loop {
            let seen: Vec<u64> = arrivals.iter().copied().filter(|a| *a <= now).collect();
            let p = Progress {
                due,
                due_received: seen.len() as u64,
                pending_acks: 0,
                last_arrival_us: seen.iter().max().copied(),
            };
            if decide(&p, now, done_us, quiet_us, 60_000_000).is_some() {
                return seen;
            }
            now += 20_000;
        }
    }

    #[test]
    fn a_late_straggler_does_not_stretch_the_window() {
        // 100 messages at 100/s to 10 members: 1,000 deliveries due over the first second,
        // 999 arrive by 1.05 s, the last one 20 s later.
        let mut arrivals: Vec<u64> = (0..999).map(|i| 50_000 + i * 1_000).collect();
        arrivals.push(21_000_000);
        let seen = replay(&arrivals, 1000, 990_000, 2_000_000);
        let window = Window::of(&seen).unwrap();
        assert_eq!(window.count, 999);
        assert!((window.secs() - 0.998).abs() < 1e-9, "{}", window.secs());
        // The old figure: deliveries over the time since the first send, to the 60 s cap.
        assert!(window.rate().unwrap() > 990.0 && 999.0 / 60.0 < 20.0);
    }

    #[test]
    fn bunched_deliveries_can_exceed_the_offered_rate() {
        // Offered: 10 messages at 10/s to 100 members = 1,000 deliveries/s over 1 s. The server
        // holds them and releases all 1,000 within 50 ms.
        let arrivals: Vec<u64> = (0..1000).map(|i| 1_000_000 + i * 50).collect();
        let seen = replay(&arrivals, 1000, 900_000, 2_000_000);
        let window = Window::of(&seen).unwrap();
        let rate = window.rate().unwrap();
        assert!(rate > 1000.0 * 10.0, "{rate}");
        assert!((rate - 1000.0 / 0.04995).abs() < 1.0);
    }

    #[test]
    fn a_window_without_length_has_no_rate() {
        assert_eq!(Window::of(&[]), None);
        assert_eq!(Window::of(&[7]).unwrap().rate(), None);
    }
}
