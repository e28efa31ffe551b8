//! Counting and printing: send outcomes by kind, latency percentiles with the samples they
//! cover, and the failures that decide the exit status.

use std::collections::BTreeMap;

use crate::socket::{AckAnomalies, Outcome};

/// What became of a run's sends, by kind.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SendTally {
    pub acked: u64,
    /// Acked, but the server said it already had this `client_msg_id` (never resent here).
    pub acked_duplicate: u64,
    /// Refusals by error code (`rate_limited`, `not_found`, …).
    pub refused: BTreeMap<String, u64>,
    pub timeouts: u64,
    pub closed: u64,
    pub anomalies: AckAnomalies,
}

impl SendTally {
    pub fn record(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Acked { duplicate } => {
                self.acked += 1;
                if *duplicate {
                    self.acked_duplicate += 1;
                }
            }
            Outcome::Refused(code) => *self.refused.entry(code.clone()).or_default() += 1,
            Outcome::Timeout => self.timeouts += 1,
            Outcome::Closed => self.closed += 1,
        }
    }

    pub fn merge(&mut self, other: &SendTally) {
        self.acked += other.acked;
        self.acked_duplicate += other.acked_duplicate;
        for (code, n) in &other.refused {
            *self.refused.entry(code.clone()).or_default() += n;
        }
        self.timeouts += other.timeouts;
        self.closed += other.closed;
        self.anomalies.add(other.anomalies);
    }

    /// Sends that did not end in an ok ack.
    pub fn failed(&self) -> u64 {
        self.refused.values().sum::<u64>() + self.timeouts + self.closed
    }

    pub fn attempted(&self) -> u64 {
        self.acked + self.failed()
    }

    /// "refused rate_limited 12, ack timeout 1, connection closed 0"
    pub fn failure_kinds(&self) -> String {
        let mut parts: Vec<String> = self
            .refused
            .iter()
            .map(|(code, n)| format!("refused {code} {n}"))
            .collect();
        if self.refused.is_empty() {
            parts.push("refused 0".into());
        }
        parts.push(format!("ack timeout {}", self.timeouts));
        parts.push(format!("connection closed {}", self.closed));
        parts.join(", ")
    }

    /// The summary line: every send is in exactly one of acked and the failure kinds.
    pub fn line(&self) -> String {
        let a = self.anomalies;
        format!(
            "sends: {} attempted, {} acked, {} failed ({}); acks saying duplicate {}; acks received twice {}, after their timeout {}, for unknown ids {}",
            self.attempted(),
            self.acked,
            self.failed(),
            self.failure_kinds(),
            self.acked_duplicate,
            a.duplicates,
            a.late,
            a.unknown
        )
    }

    /// The failures among these sends, for the exit status.
    pub fn problems(&self, problems: &mut Problems) {
        if self.failed() > 0 {
            problems.add(format!(
                "{} of {} sends failed ({})",
                self.failed(),
                self.attempted(),
                self.failure_kinds()
            ));
        }
        if self.acked_duplicate > 0 {
            problems.add(format!(
                "{} new sends were acked as duplicates of an earlier client_msg_id",
                self.acked_duplicate
            ));
        }
        // Acks after their timeout are already counted as timed-out sends.
        let a = self.anomalies;
        if a.duplicates + a.unknown > 0 {
            problems.add(format!(
                "unexpected acks: {} received twice, {} for unknown ids",
                a.duplicates, a.unknown
            ));
        }
    }
}

/// Everything that makes a run's figures untrustworthy; a non-empty list fails the run unless
/// `--allow-failures` is given.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<String>);

impl Problems {
    pub fn add(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }
}

/// The `p` quantile of sorted microsecond samples, in milliseconds (nearest rank).
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

/// Percentiles and the number of samples they rest on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    pub n: usize,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

pub fn percentiles(samples: &mut [u64]) -> Percentiles {
    samples.sort_unstable();
    Percentiles {
        n: samples.len(),
        p50: percentile(samples, 0.5),
        p99: percentile(samples, 0.99),
        p999: percentile(samples, 0.999),
        max: percentile(samples, 1.0),
    }
}

/// `label: N samples; latency ms p50 … max … (coverage)`; `coverage` says what the samples are
/// of (they cover only what arrived).
pub fn latency_line(label: &str, p: &Percentiles, coverage: &str) -> String {
    format!(
        "{label}: {} samples; latency ms p50 {:.2} p99 {:.2} p99.9 {:.2} max {:.2} ({coverage})",
        p.n, p.p50, p.p99, p.p999, p.max
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_carry_their_sample_count() {
        let mut samples: Vec<u64> = (1..=1000).rev().map(|ms| ms * 1000).collect();
        let p = percentiles(&mut samples);
        assert_eq!(p.n, 1000);
        assert_eq!(p.p50, 501.0); // index round(999 * 0.5) = 500 → 501 ms
        assert_eq!(p.p99, 990.0);
        assert_eq!(p.p999, 999.0);
        assert_eq!(p.max, 1000.0);
        let line = latency_line(
            "send → receive",
            &p,
            "n=1000 of 1010 sent; 10 failed, 0 missing",
        );
        assert_eq!(
            line,
            "send → receive: 1000 samples; latency ms p50 501.00 p99 990.00 p99.9 999.00 max 1000.00 (n=1000 of 1010 sent; 10 failed, 0 missing)"
        );
    }

    #[test]
    fn no_samples_give_zeros_and_n_0() {
        let p = percentiles(&mut []);
        assert_eq!((p.n, p.p50, p.max), (0, 0.0, 0.0));
    }

    #[test]
    fn every_send_is_counted_by_kind() {
        let mut tally = SendTally::default();
        for outcome in [
            Outcome::Acked { duplicate: false },
            Outcome::Acked { duplicate: true },
            Outcome::Refused("rate_limited".into()),
            Outcome::Refused("rate_limited".into()),
            Outcome::Refused("not_found".into()),
            Outcome::Timeout,
            Outcome::Closed,
        ] {
            tally.record(&outcome);
        }
        assert_eq!((tally.attempted(), tally.acked, tally.failed()), (7, 2, 5));
        assert_eq!(
            tally.failure_kinds(),
            "refused not_found 1, refused rate_limited 2, ack timeout 1, connection closed 1"
        );
        tally.anomalies = AckAnomalies {
            duplicates: 0,
            late: 1,
            unknown: 0,
        };
        let mut problems = Problems::default();
        tally.problems(&mut problems);
        assert_eq!(problems.0.len(), 2, "{problems:?}");
        tally.anomalies.duplicates = 1;
        let mut problems = Problems::default();
        tally.problems(&mut problems);
        assert_eq!(problems.0.len(), 3, "{problems:?}");
        assert!(problems.0[2].contains("1 received twice"));

        let mut total = SendTally::default();
        total.merge(&tally);
        total.merge(&tally);
        assert_eq!(total.refused["rate_limited"], 4);
        assert_eq!(total.attempted(), 14);
    }

    #[test]
    fn a_clean_tally_has_no_problems() {
        let mut tally = SendTally::default();
        tally.record(&Outcome::Acked { duplicate: false });
        let mut problems = Problems::default();
        tally.problems(&mut problems);
        assert!(problems.0.is_empty());
        assert!(
            tally
                .line()
                .contains("1 attempted, 1 acked, 0 failed (refused 0, ack timeout 0")
        );
    }
}
