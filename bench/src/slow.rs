//! `slow-consumers`: the latency scenario with a share of the receiving users holding a second
//! tab that never reads (the requirement: "1% of clients that never read must not move the
//! others' p99 nor grow memory without bound").
//!
//! Everything the latency scenario measures is measured the same way and printed in the same
//! lines (so the same parsing works), over the normal receivers only. A slow tab is a second
//! socket of a receiving user, so it is due every message that user gets; it completes the
//! handshake and then is never read again (pings unanswered), on a small SO_RCVBUF so the
//! server meets backpressure after a few KiB. The daemon's RSS is sampled every second, and so
//! are both ends of each slow tab's TCP connection (/proc/net/tcp: the bytes queued, whether
//! either end has closed), since the tab itself cannot see a close until it reads. At the end
//! each slow tab is read to the end: what it had received against what its user was due, and
//! how the connection ended. Missing deliveries at slow tabs are expected and only reported.
//! `--slow-percent 0` runs the same scenario without slow tabs, to compare run against run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::Ctx;
use crate::deliveries::Ledger;
use crate::nodes::Placement;
use crate::procfs::CpuMeter;
use crate::redis_info::RedisMeter;
use crate::report::Problems;
use crate::scenarios::{Offered, open_loop, open_pairs, settle_latency_run, total_rss_kib};
use crate::slowtab::{
    Drained, End, SlowTab, TCP_ESTABLISHED, TcpEntry, coverage, tcp_entry, tcp_tables,
};

/// How long a slow tab being read at the end may stay silent before it counts as still open.
const DRAIN_QUIET: Duration = Duration::from_secs(3);
/// How long reading one slow tab at the end may take at most.
const DRAIN_CAP: Duration = Duration::from_secs(60);
const SAMPLE: Duration = Duration::from_secs(1);
const TAG: char = 's';

/// The `slow-consumers` scenario's command-line options.
#[derive(Debug, clap::Args)]
pub struct SlowOpts {
    #[arg(long, default_value_t = 2000)]
    pub rate: u64,
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    #[arg(long, default_value_t = 30)]
    pub duration_secs: u64,
    /// Percent of the receiving users with a slow tab (at least one when above 0; 0: none,
    /// the same run for comparison).
    #[arg(long, default_value_t = 1.0)]
    pub slow_percent: f64,
    /// SO_RCVBUF asked for each slow tab's socket before it connects, in bytes (Linux
    /// doubles it; the value it reports is printed).
    #[arg(
        long = "slow-rcvbuf",
        value_name = "SLOW_RCVBUF",
        default_value_t = 4096
    )]
    pub rcvbuf: u32,
    /// Seconds to keep the slow tabs unread after the last delivery, before reading them.
    #[arg(
        long = "slow-hold-secs",
        value_name = "SLOW_HOLD_SECS",
        default_value_t = 0
    )]
    pub hold_secs: u64,
}

/// How many of `pairs` receiving users get a slow tab: `percent` of them, rounded, at least
/// one when `percent` is above zero.
pub fn slow_count(pairs: usize, percent: f64) -> usize {
    if percent <= 0.0 || pairs == 0 {
        return 0;
    }
    ((pairs as f64 * percent / 100.0).round() as usize).clamp(1, pairs)
}

/// Which pairs' receivers get the `count` slow tabs: spread evenly.
pub fn slow_lanes(pairs: usize, count: usize) -> Vec<usize> {
    (0..count).map(|k| k * pairs / count).collect()
}

/// What the sampler saw of one slow tab's connection.
#[derive(Debug, Default, Clone)]
struct TabWatch {
    /// Seconds after the first send when the server's end left ESTABLISHED (or vanished).
    server_left: Option<(f64, Option<u8>)>,
    /// The same for the tab's own end: when its kernel got the server's FIN (or a reset).
    client_left: Option<(f64, Option<u8>)>,
    max_server_tx: u64,
    max_client_rx: u64,
}

#[derive(Default)]
struct Watched {
    rss: Vec<(f64, u64)>,
    /// Bytes in the server's send queues towards all slow tabs, per sample.
    server_tx: Vec<(f64, u64)>,
    tabs: Vec<TabWatch>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A state change of one end: `entry` is gone or no longer ESTABLISHED.
fn left(entry: Option<TcpEntry>) -> Option<Option<u8>> {
    match entry {
        Some(e) if e.state == TCP_ESTABLISHED => None,
        other => Some(other.map(|e| e.state)),
    }
}

/// One sample of the daemon's RSS and of the slow tabs' connections.
fn sample(pids: &[u32], ports: &[(u16, u16)], t: f64, w: &mut Watched) {
    if let Ok(kib) = total_rss_kib(pids) {
        w.rss.push((t, kib));
    }
    if !ports.is_empty() {
        observe(&tcp_tables(), ports, t, w);
    }
}

/// The slow tabs' connections (`(tab port, server port)`) in a /proc/net/tcp `table` at `t`.
fn observe(table: &str, ports: &[(u16, u16)], t: f64, w: &mut Watched) {
    let mut total_tx = 0;
    for ((local, server), tab) in ports.iter().zip(&mut w.tabs) {
        let client = tcp_entry(table, *local, *server);
        let server_end = tcp_entry(table, *server, *local);
        let server_tx = server_end.map_or(0, |e| e.tx_queue);
        total_tx += server_tx;
        tab.max_server_tx = tab.max_server_tx.max(server_tx);
        tab.max_client_rx = tab.max_client_rx.max(client.map_or(0, |e| e.rx_queue));
        if tab.server_left.is_none() {
            tab.server_left = left(server_end).map(|s| (t, s));
        }
        if tab.client_left.is_none() {
            tab.client_left = left(client).map(|s| (t, s));
        }
    }
    w.server_tx.push((t, total_tx));
}

fn when(left: Option<(f64, Option<u8>)>) -> String {
    match left {
        None => "never".into(),
        Some((t, Some(state))) => format!("at {t:.0}s (TCP state {state:02X})"),
        Some((t, None)) => format!("at {t:.0}s (gone)"),
    }
}

pub async fn slow_consumers(ctx: &Ctx, o: &SlowOpts, problems: &mut Problems) -> Result<()> {
    let placement = Placement::SameNode;
    let accounts = ctx.accounts("slow", o.pairs * 2).await?;
    let total = o.rate * o.duration_secs;
    let ledger = Ledger::new(TAG, total as usize, 1);
    let slow = slow_lanes(o.pairs, slow_count(o.pairs, o.slow_percent));
    let (lanes, _receivers) = open_pairs(ctx, &accounts, placement, &ledger).await?;
    let mut tabs = Vec::new();
    for &i in &slow {
        let (_, receiver_url) = ctx.nodes.for_pair(i, placement);
        tabs.push(SlowTab::open(receiver_url, &accounts[2 * i + 1].token, i, o.rcvbuf).await?);
    }
    match tabs.first() {
        None => println!(
            "slow tabs: none (--slow-percent {}): {} normal receivers",
            o.slow_percent, o.pairs
        ),
        Some(tab) => println!(
            "slow tabs: {} ({}% of {} receiving users: pairs {:?}), each a second socket of its user that stops reading after the handshake and answers no ping; SO_RCVBUF asked {} B, kernel reports {} B",
            tabs.len(),
            o.slow_percent,
            o.pairs,
            slow,
            o.rcvbuf,
            tab.rcvbuf
        ),
    }
    let ports: Vec<(u16, u16)> = tabs.iter().map(|t| (t.local_port, t.server_port)).collect();
    let watched = Arc::new(Mutex::new(Watched {
        tabs: vec![TabWatch::default(); tabs.len()],
        ..Watched::default()
    }));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let sampler = {
        let (watched, stop, pids, ports) = (
            watched.clone(),
            stop.clone(),
            ctx.pids.clone(),
            ports.clone(),
        );
        tokio::spawn(async move {
            let mut next = t0;
            while !stop.load(Ordering::Relaxed) {
                sample(
                    &pids,
                    &ports,
                    t0.elapsed().as_secs_f64(),
                    &mut lock(&watched),
                );
                next += SAMPLE;
                tokio::time::sleep_until(next.into()).await;
            }
        })
    };
    let cpu = CpuMeter::start(&ctx.pids, ctx.redis_pid);
    let redis = RedisMeter::start(ctx.redis_url.as_deref()).await?;
    let lane = |n: usize| lanes[n % lanes.len()].clone();
    open_loop(ctx, &ledger, total as usize, o.rate, lane, "slow consumers").await;
    let offered = Offered {
        rate: o.rate,
        duration_secs: o.duration_secs,
        pairs: o.pairs,
        placement,
    };
    settle_latency_run(ctx, &ledger, &lanes, offered, cpu, redis, problems).await;
    let settled_at = t0.elapsed().as_secs_f64();
    let settled_kib = total_rss_kib(&ctx.pids).context("daemon RSS after the run")?;
    if !tabs.is_empty() && o.hold_secs > 0 {
        eprintln!("holding the slow tabs unread for {}s more", o.hold_secs);
        tokio::time::sleep(Duration::from_secs(o.hold_secs)).await;
    }
    // Where the bytes sat just before the tabs are read.
    let table = tcp_tables();
    let queued: Vec<(Option<TcpEntry>, Option<TcpEntry>)> =
        tabs.iter().map(|t| t.entries(&table)).collect();
    let drained_at = t0.elapsed().as_secs_f64();
    let opened: Vec<f64> = tabs
        .iter()
        .map(|t| -(t0.saturating_duration_since(t.opened).as_secs_f64()))
        .collect();
    let lanes_of: Vec<usize> = tabs.iter().map(|t| t.lane).collect();
    let handles: Vec<_> = tabs
        .into_iter()
        .map(|tab| tokio::spawn(tab.drain(TAG, DRAIN_QUIET, DRAIN_CAP)))
        .collect();
    let mut drained: Vec<Drained> = Vec::new();
    for handle in handles {
        drained.push(handle.await?);
    }
    stop.store(true, Ordering::Relaxed);
    sampler.await?;
    let end_kib = total_rss_kib(&ctx.pids)?;
    let w = std::mem::take(&mut *lock(&watched));
    let start_kib = w.rss.first().map_or(end_kib, |(_, k)| *k);
    let max_kib = w
        .rss
        .iter()
        .map(|(_, k)| *k)
        .chain([end_kib])
        .max()
        .unwrap_or(end_kib);
    println!(
        "daemon RSS: start {start_kib} KiB (first send), max {max_kib} KiB, {settled_kib} KiB after the last delivery ({settled_at:.0}s), end {end_kib} KiB (after reading the slow tabs, {:.0}s); sampled every {}s",
        t0.elapsed().as_secs_f64(),
        SAMPLE.as_secs()
    );
    let shown: Vec<String> = w.rss.iter().map(|(t, k)| format!("{t:.0}:{k}")).collect();
    println!("daemon RSS samples (s:KiB): {}", shown.join(" "));
    if drained.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = w
        .server_tx
        .iter()
        .map(|(t, b)| format!("{t:.0}:{b}"))
        .collect();
    println!(
        "server send queues towards the slow tabs, summed (s:bytes): {}",
        shown.join(" ")
    );
    let acked = ledger.acked();
    let (mut open, mut closed, mut due, mut got) = (0, 0, 0, 0);
    for (i, d) in drained.iter().enumerate() {
        let c = coverage(&d.messages, &acked, lanes_of[i], o.pairs);
        let tab = &w.tabs[i];
        let end = d.end.clone().unwrap_or(End::StillOpen);
        if end == End::StillOpen {
            open += 1;
        } else {
            closed += 1;
        }
        due += c.due;
        got += c.got;
        let (client, server) = queued[i];
        let sent_at = |n: Option<usize>| {
            n.map_or_else(
                || "-".into(),
                |n| format!("{:.1}s", n as f64 / o.rate as f64),
            )
        };
        println!(
            "slow tab (pair {}): opened {:.1}s before the first send; before reading ({drained_at:.0}s): server send queue {} B, own receive queue {} B (max seen {} B and {} B); server's end left ESTABLISHED {}, own end {}; read: {} of {} due messages{}, last received sent at {}, first missing sent at {}, {} other events, {} pings (unanswered){}{}, {} bytes; then {}",
            lanes_of[i],
            -opened[i],
            server.map_or(0, |e| e.tx_queue),
            client.map_or(0, |e| e.rx_queue),
            tab.max_server_tx,
            tab.max_client_rx,
            when(tab.server_left),
            when(tab.client_left),
            c.got,
            c.due,
            if c.prefix {
                " (the first ones, no hole)"
            } else {
                " (with holes)"
            },
            sent_at(c.last_got),
            sent_at(c.first_missing),
            d.other_events,
            d.pings,
            if d.engine_close {
                ", an Engine.IO close packet"
            } else {
                ""
            },
            if d.disconnect {
                ", a Socket.IO disconnect"
            } else {
                ""
            },
            d.bytes,
            end.describe()
        );
    }
    println!(
        "slow tabs: {open} still open, {closed} closed by the server; received {got} of {due} due messages, {} missing (expected: they never read)",
        due - got
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_percent_of_a_hundred_is_one_and_any_share_is_at_least_one() {
        assert_eq!(slow_count(100, 1.0), 1);
        assert_eq!(slow_count(100, 0.0), 0);
        assert_eq!(slow_count(1000, 1.0), 10);
        assert_eq!(slow_count(10, 1.0), 1);
        assert_eq!(slow_count(200, 2.5), 5);
        assert_eq!(slow_count(3, 100.0), 3);
        assert_eq!(slow_count(3, 500.0), 3);
        assert_eq!(slow_count(0, 1.0), 0);
    }

    #[test]
    fn slow_tabs_are_spread_over_the_pairs() {
        assert_eq!(slow_lanes(100, 1), [0]);
        assert_eq!(slow_lanes(100, 4), [0, 25, 50, 75]);
        assert_eq!(slow_lanes(3, 3), [0, 1, 2]);
        assert!(slow_lanes(100, 0).is_empty());
    }

    #[test]
    fn the_sampler_notes_when_each_end_leaves_established() {
        // Tab port 0x9C40, server port 0x1F90; the server's end closes at 2 s (FIN_WAIT1, its
        // data still queued), the tab's end never sees it.
        let table = |server_state: &str, tx: &str| {
            format!(
                "  sl  local rem st q\n 0: 0100007F:1F90 0100007F:9C40 {server_state} {tx}:00000000\n 1: 0100007F:9C40 0100007F:1F90 01 00000000:00002000\n"
            )
        };
        let ports = [(0x9C40, 0x1F90)];
        let mut w = Watched {
            tabs: vec![TabWatch::default()],
            ..Watched::default()
        };
        for (t, state, tx) in [
            (1.0, "01", "00000400"),
            (2.0, "04", "00010000"),
            (3.0, "07", "00000000"),
        ] {
            observe(&table(state, tx), &ports, t, &mut w);
        }
        let tab = &w.tabs[0];
        assert_eq!(tab.server_left, Some((2.0, Some(0x04))));
        assert_eq!(tab.client_left, None);
        assert_eq!((tab.max_server_tx, tab.max_client_rx), (0x10000, 0x2000));
        assert_eq!(w.server_tx, [(1.0, 0x400), (2.0, 0x10000), (3.0, 0)]);
        // The server's end gone from the table counts as having left.
        observe("  sl\n", &ports, 4.0, &mut w);
        assert_eq!(w.tabs[0].client_left, Some((4.0, None)));
        assert_eq!(when(w.tabs[0].server_left), "at 2s (TCP state 04)");
        assert_eq!(when(w.tabs[0].client_left), "at 4s (gone)");
        assert_eq!(when(None), "never");
    }
}
