//! `churn`: sockets connecting and disconnecting at a fixed rate for minutes, and what that does to
//! the daemon's memory (the requirement: "1,000 connects/disconnects per second for 5 minutes
//! leaves RSS within 5% of where it started").
//!
//! Each churned connection is a real one, as a browser tab that opens and closes: WebSocket,
//! Engine.IO open, Socket.IO CONNECT with the access token, the server's confirmation, then a
//! clean WebSocket close (close frame, the server's answer, the server closing TCP). Connects
//! start on an open-loop schedule (by intended start time, so a slow server shows up as failures
//! or as a lower achieved rate, never as a quietly lower offered one), with a cap on how many are
//! in flight at once: a slot that comes while the cap is reached is skipped and counted, so a
//! stalled server cannot make the tool pile up thousands of connects.
//!
//! The churned accounts have no other socket, so every connect and disconnect takes a user
//! online and offline (presence) as opening and closing the app does. A few long-lived idle
//! sockets of other accounts stay connected throughout (the server is not churning on an empty
//! room) and must all still be connected at the end.
//!
//! Memory: the daemon's RSS is sampled every `--sample-secs` from the end of a warm-up (one-time
//! allocations — pools, caches, the allocator's arenas — are not growth), through the churn, and
//! once more a few seconds after it stopped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::Ctx;
use crate::procfs::CpuMeter;
use crate::report::{Problems, latency_line, percentiles};
use crate::scenarios::total_rss_kib;
use crate::socket::{Conn, handshake, ws_url};

/// RSS growth (end of the churn against its start) above which the run fails: the requirement.
pub const MAX_GROWTH_PCT: f64 = 5.0;
/// Share of failed connects above which the run fails.
pub const MAX_FAILED_FRACTION: f64 = 0.001;
/// How long a connect may take from its intended start to the server's confirmation.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the server may take to answer a close frame and close the connection.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Wait after the churn stops before the last RSS sample.
const SETTLE: Duration = Duration::from_secs(5);
/// Work below which a server might use no CPU tick at all: a connect costs it a few 100 µs.
const CPU_CHECK_CONNECTS: u64 = 1_000;

/// The `churn` scenario's command-line options.
#[derive(Debug, clap::Args)]
pub struct ChurnOpts {
    /// Connects started per second (open loop).
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Seconds of churn measured, after the warm-up.
    #[arg(long, default_value_t = 300)]
    pub duration_secs: u64,
    /// Accounts the churned sockets log in as.
    #[arg(long, default_value_t = 100)]
    pub users: usize,
    /// Seconds of churn before the starting RSS is taken (one-time allocations are not
    /// growth). A minute: with 10 s the start was sampled while the allocator's arenas were
    /// still filling (BENCHMARKS.md, "Churn and slow consumers").
    #[arg(long, default_value_t = 60)]
    pub warmup_secs: u64,
    /// Seconds between RSS samples.
    #[arg(long, default_value_t = 10)]
    pub sample_secs: u64,
    /// Idle sockets (of other accounts) held open throughout; all must still be connected
    /// at the end.
    #[arg(long, default_value_t = 100)]
    pub steady: usize,
    /// Connects under way at once at most; a slot of the schedule that comes while this
    /// many are in flight is skipped and counted.
    #[arg(long, default_value_t = 256)]
    pub max_in_flight: usize,
}

/// What became of the connects of one phase (warm-up or measured).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Slots of the schedule.
    pub scheduled: u64,
    pub started: u64,
    /// Confirmed by the server and closed cleanly.
    pub completed: u64,
    /// Slots that came while `--max-in-flight` connects were under way: never started.
    pub skipped: u64,
    /// Failed connects by reason (the stage and what went wrong).
    pub failures: BTreeMap<String, u64>,
    /// Microseconds from intended start to the server's confirmation, of confirmed connects.
    pub confirm_us: Vec<u64>,
}

impl Tally {
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    fn fail(&mut self, reason: String) {
        *self.failures.entry(reason).or_default() += 1;
    }

    /// "none" or "handshake timed out 3, close: not answered within 5s 1"
    pub fn failure_kinds(&self) -> String {
        if self.failures.is_empty() {
            return "none".into();
        }
        let parts: Vec<String> = self
            .failures
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        parts.join(", ")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Change from `start` to `end` in percent of `start`.
pub fn growth_pct(start: u64, end: u64) -> f64 {
    if start == 0 {
        return 0.0;
    }
    (end as f64 - start as f64) * 100.0 / start as f64
}

/// The least-squares slope of `(seconds, KiB)` samples, in KiB per minute; none without two
/// distinct times.
pub fn slope_kib_per_min(samples: &[(f64, u64)]) -> Option<f64> {
    let n = samples.len() as f64;
    if samples.len() < 2 {
        return None;
    }
    let mean_t = samples.iter().map(|(t, _)| t).sum::<f64>() / n;
    let mean_y = samples.iter().map(|(_, y)| *y as f64).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (t, y) in samples {
        num += (t - mean_t) * (*y as f64 - mean_y);
        den += (t - mean_t) * (t - mean_t);
    }
    (den > 0.0).then(|| num / den * 60.0)
}

/// The later half of the samples: growth that stops early (caches filling up) leaves it flat,
/// a leak does not.
pub fn second_half(samples: &[(f64, u64)]) -> &[(f64, u64)] {
    &samples[samples.len() / 2..]
}

/// The run's failures: memory grown past the requirement, too many failed connects, or a rate
/// that was not offered because the in-flight cap was reached.
pub fn verdicts(start_kib: u64, end_kib: u64, t: &Tally) -> Vec<String> {
    let mut found = Vec::new();
    let growth = growth_pct(start_kib, end_kib);
    if growth > MAX_GROWTH_PCT {
        found.push(format!(
            "daemon RSS grew {growth:.2}% during the churn ({start_kib} KiB to {end_kib} KiB), more than {MAX_GROWTH_PCT}%"
        ));
    }
    if t.started > 0 && t.failed() as f64 > t.started as f64 * MAX_FAILED_FRACTION {
        found.push(format!(
            "{} of {} connects failed ({:.3}%, more than {}%): {}",
            t.failed(),
            t.started,
            t.failed() as f64 * 100.0 / t.started as f64,
            MAX_FAILED_FRACTION * 100.0,
            t.failure_kinds()
        ));
    }
    if t.scheduled > 0 && t.skipped as f64 > t.scheduled as f64 * MAX_FAILED_FRACTION {
        found.push(format!(
            "{} of {} scheduled connects were skipped at the in-flight cap: the rate asked for was not offered",
            t.skipped, t.scheduled
        ));
    }
    found
}

/// Why a connect failed: its stage and a short cause.
fn reason(stage: &str, e: &WsError) -> String {
    let cause = match e {
        WsError::Io(io) => format!("{:?}", io.kind()),
        WsError::Http(response) => format!("HTTP {}", response.status()),
        WsError::ConnectionClosed | WsError::AlreadyClosed => "closed".into(),
        WsError::Protocol(p) => {
            let mut text = p.to_string();
            text.truncate(60);
            text
        }
        other => {
            let mut text = other.to_string();
            text.truncate(60);
            text
        }
    };
    format!("{stage}: {cause}")
}

/// One churned connection: connect, handshake, close cleanly. The time from `intended` to the
/// server's confirmation, or why it failed.
async fn connect_and_close(url: &str, token: &str, intended: Instant) -> Result<u64, String> {
    let open = async {
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(url))
            .await
            .map_err(|e| reason("websocket connect", &e))?;
        handshake(&mut ws, token)
            .await
            .map_err(|e| e.kind().to_owned())?;
        Ok::<_, String>(ws)
    };
    let deadline = intended + CONNECT_TIMEOUT;
    let mut ws = match tokio::time::timeout_at(deadline.into(), open).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(reason)) => return Err(reason),
        Err(_) => {
            return Err(format!(
                "not confirmed within {}s",
                CONNECT_TIMEOUT.as_secs()
            ));
        }
    };
    let confirmed_us = intended.elapsed().as_micros() as u64;
    // A clean close: our close frame, the server's answer, then the server closes TCP (so the
    // TIME_WAIT is the server's, as after a browser tab closes).
    let close = async {
        ws.close(None).await.map_err(|e| reason("close", &e))?;
        loop {
            match ws.next().await {
                Some(Ok(_)) => continue,
                None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                    return Ok(());
                }
                Some(Err(e)) => return Err(reason("close", &e)),
            }
        }
    };
    match tokio::time::timeout(CLOSE_TIMEOUT, close).await {
        Ok(Ok(())) => Ok(confirmed_us),
        Ok(Err(reason)) => Err(reason),
        Err(_) => Err(format!(
            "close: not answered within {}s",
            CLOSE_TIMEOUT.as_secs()
        )),
    }
}

/// Warm-up and measured tallies.
type Phases = Arc<Mutex<[Tally; 2]>>;

/// Runs the schedule: `count` connects at `interval`, those intended before `warmup` counted as
/// warm-up. Returns once every started connect has ended.
async fn schedule(
    url: String,
    tokens: Vec<String>,
    count: u64,
    interval: Duration,
    warmup: Duration,
    max_in_flight: usize,
    phases: Phases,
) {
    let permits = Arc::new(Semaphore::new(max_in_flight));
    let started = Instant::now();
    let tokens = Arc::new(tokens);
    for n in 0..count {
        let offset = interval * u32::try_from(n).unwrap_or(u32::MAX);
        let intended = started + offset;
        tokio::time::sleep_until(intended.into()).await;
        let phase = usize::from(offset >= warmup);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            let mut p = lock(&phases);
            p[phase].scheduled += 1;
            p[phase].skipped += 1;
            continue;
        };
        {
            let mut p = lock(&phases);
            p[phase].scheduled += 1;
            p[phase].started += 1;
        }
        let (url, tokens, phases) = (url.clone(), tokens.clone(), phases.clone());
        tokio::spawn(async move {
            let token = &tokens[n as usize % tokens.len()];
            let outcome = connect_and_close(&url, token, intended).await;
            let mut p = lock(&phases);
            match outcome {
                Ok(us) => {
                    p[phase].completed += 1;
                    p[phase].confirm_us.push(us);
                }
                Err(reason) => p[phase].fail(reason),
            }
            drop(permit);
        });
    }
    // Every connect ends within its timeouts; this waits for the last ones.
    let _ = permits.acquire_many(max_in_flight as u32).await;
}

pub async fn churn(ctx: &Ctx, o: &ChurnOpts, problems: &mut Problems) -> Result<()> {
    let accounts = ctx.accounts("churn", o.users).await?;
    // Steady sockets over accounts of their own (a few tabs each past 100).
    let steady_accounts = match o.steady {
        0 => Vec::new(),
        n => ctx.accounts("steady", n.min(100)).await?,
    };
    let mut steady = Vec::with_capacity(o.steady);
    for i in 0..o.steady {
        let account = &steady_accounts[i % steady_accounts.len()];
        steady.push(Conn::open(ctx.nodes.for_client(i), &account.token, None).await?);
    }
    let url = ctx.nodes.first().to_owned();
    let tokens = accounts.into_iter().map(|a| a.token).collect();
    let interval = Duration::from_nanos(1_000_000_000 / o.rate.max(1));
    let warmup = Duration::from_secs(o.warmup_secs);
    let count = o.rate * (o.warmup_secs + o.duration_secs);
    let phases: Phases = Arc::default();
    let began = Instant::now();
    let mut scheduler = tokio::spawn(schedule(
        url,
        tokens,
        count,
        interval,
        warmup,
        o.max_in_flight.max(1),
        phases.clone(),
    ));
    eprintln!(
        "churn: {} connects/s, {}s warm-up, then {}s measured; {} steady sockets",
        o.rate, o.warmup_secs, o.duration_secs, o.steady
    );
    tokio::time::sleep_until((began + warmup).into()).await;
    let t0 = Instant::now();
    let start_kib = total_rss_kib(&ctx.pids).context("daemon RSS at the start")?;
    let cpu = CpuMeter::start(&ctx.pids, ctx.redis_pid);
    let mut samples = vec![(0.0, start_kib)];
    let period = Duration::from_secs(o.sample_secs.max(1));
    let mut next = t0 + period;
    loop {
        tokio::select! {
            done = &mut scheduler => { done?; break; }
            _ = tokio::time::sleep_until(next.into()) => {
                samples.push((t0.elapsed().as_secs_f64(), total_rss_kib(&ctx.pids)?));
                next += period;
            }
        }
    }
    let measured_secs = t0.elapsed().as_secs_f64();
    let end_kib = total_rss_kib(&ctx.pids)?;
    samples.push((measured_secs, end_kib));
    let [warm, mut t] = lock(&phases).clone();
    println!(
        "churn: offered {} connects/s for {}s after a {}s warm-up, {} steady sockets: {} scheduled, {} started, {} completed (confirmed and closed cleanly), {} failed ({}), {} skipped at the in-flight cap of {}; achieved {:.1} started/s and {:.1} completed/s over {measured_secs:.1}s",
        o.rate,
        o.duration_secs,
        o.warmup_secs,
        o.steady,
        t.scheduled,
        t.started,
        t.completed,
        t.failed(),
        t.failure_kinds(),
        t.skipped,
        o.max_in_flight,
        t.started as f64 / measured_secs,
        t.completed as f64 / measured_secs,
    );
    println!(
        "warm-up: {} started, {} completed, {} failed ({}), {} skipped",
        warm.started,
        warm.completed,
        warm.failed(),
        warm.failure_kinds(),
        warm.skipped
    );
    let p = percentiles(&mut t.confirm_us);
    let coverage = format!("n={} of {} started; {} failed", p.n, t.started, t.failed());
    println!("{}", latency_line("connect → confirmed", &p, &coverage));
    cpu.report(t.completed, "connects", false, CPU_CHECK_CONNECTS, problems);
    tokio::time::sleep(SETTLE).await;
    let settled_kib = total_rss_kib(&ctx.pids)?;
    let max_kib = samples.iter().map(|(_, k)| *k).max().unwrap_or(end_kib);
    let slope = |samples: &[(f64, u64)]| {
        slope_kib_per_min(samples).map_or_else(|| "n/a".into(), |s| format!("{s:+.1}"))
    };
    println!(
        "daemon RSS: start {start_kib} KiB, end {end_kib} KiB, max {max_kib} KiB, growth {:+.2}% (end vs start), slope {} KiB/min (least squares over {} samples), {} KiB/min over the second half; after settling {}s: {settled_kib} KiB ({:+.2}% vs start)",
        growth_pct(start_kib, end_kib),
        slope(&samples),
        samples.len(),
        slope(second_half(&samples)),
        SETTLE.as_secs(),
        growth_pct(start_kib, settled_kib)
    );
    let shown: Vec<String> = samples.iter().map(|(s, k)| format!("{s:.0}:{k}")).collect();
    println!("daemon RSS samples (s:KiB): {}", shown.join(" "));
    let alive = steady.iter().filter(|c| c.is_open()).count();
    println!(
        "steady sockets: {alive} of {} still connected",
        steady.len()
    );
    if alive < steady.len() {
        problems.add(format!(
            "{} of {} steady sockets were closed during the churn",
            steady.len() - alive,
            steady.len()
        ));
    }
    for problem in verdicts(start_kib, end_kib, &t) {
        problems.add(problem);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_end_against_start_in_percent() {
        assert_eq!(growth_pct(20_000, 21_000), 5.0);
        assert_eq!(growth_pct(20_000, 19_000), -5.0);
        assert_eq!(growth_pct(0, 100), 0.0);
    }

    #[test]
    fn the_slope_is_a_least_squares_fit_in_kib_per_minute() {
        // 100 KiB more every 10 s = 600 KiB/min, whatever the offset.
        let line: Vec<(f64, u64)> = (0..31)
            .map(|i| (i as f64 * 10.0, 50_000 + i * 100))
            .collect();
        assert!((slope_kib_per_min(&line).unwrap() - 600.0).abs() < 1e-9);
        // Noise around a flat line: symmetric ups and downs fit to zero.
        let flat = [
            (0.0, 100),
            (10.0, 110),
            (20.0, 90),
            (30.0, 90),
            (40.0, 110),
            (50.0, 100),
        ];
        assert!(slope_kib_per_min(&flat).unwrap().abs() < 1e-9);
        // One spike at the end pulls the fit up, not as much as end minus start would.
        let spike = [(0.0, 100), (60.0, 100), (120.0, 100), (180.0, 400)];
        let s = slope_kib_per_min(&spike).unwrap();
        assert!((s - 90.0).abs() < 1e-9, "{s}");
        assert_eq!(slope_kib_per_min(&[(0.0, 1)]), None);
        assert_eq!(slope_kib_per_min(&[(5.0, 1), (5.0, 2)]), None);
    }

    #[test]
    fn growth_that_stops_early_leaves_the_second_half_flat_and_a_leak_does_not() {
        // +1,500 KiB over the first minute, then flat for four.
        let plateau: Vec<(f64, u64)> = (0..31)
            .map(|i| (i as f64 * 10.0, 29_000 + 250 * i.min(6)))
            .collect();
        assert!(slope_kib_per_min(&plateau).unwrap() > 100.0);
        assert_eq!(second_half(&plateau).len(), 16);
        assert_eq!(slope_kib_per_min(second_half(&plateau)), Some(0.0));
        let leak: Vec<(f64, u64)> = (0..31)
            .map(|i| (i as f64 * 10.0, 29_000 + 50 * i))
            .collect();
        let late = slope_kib_per_min(second_half(&leak)).unwrap();
        assert!((late - 300.0).abs() < 1e-9, "{late}");
    }

    #[test]
    fn growth_past_five_percent_and_failures_past_a_tenth_of_a_percent_fail() {
        let mut t = Tally {
            scheduled: 10_000,
            started: 10_000,
            completed: 9_990,
            ..Tally::default()
        };
        t.failures.insert("handshake timed out".into(), 10);
        // 10 of 10,000 is exactly 0.1%: allowed; 5% growth exactly: allowed.
        assert!(verdicts(20_000, 21_000, &t).is_empty());
        let grown = verdicts(20_000, 21_001, &t);
        assert_eq!(grown.len(), 1);
        assert!(grown[0].contains("5.00%"), "{grown:?}");
        t.fail("close: closed".into());
        let failed = verdicts(20_000, 20_000, &t);
        assert_eq!(failed.len(), 1);
        assert!(
            failed[0].contains("11 of 10000 connects failed (0.110%"),
            "{failed:?}"
        );
        assert!(failed[0].contains("close: closed 1, handshake timed out 10"));
        t.failures.clear();
        t.skipped = 11;
        assert_eq!(verdicts(20_000, 19_000, &t).len(), 1);
    }
}
