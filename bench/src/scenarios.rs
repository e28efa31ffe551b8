//! The four measurements. Each prints its figures (the line shapes ../shared/bench/perf.sh
//! parses come first on their lines) and adds whatever makes them untrustworthy to `problems`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::StreamExt;
use serde_json::json;

use crate::deliveries::{Ledger, Summary, now_us};
use crate::nodes::Placement;
use crate::procfs::{CpuMeter, rss_kib, rss_verdict};
use crate::redis_info::RedisMeter;
use crate::report::{Problems, SendTally, latency_line, percentiles};
use crate::socket::{AckAnomalies, Conn, Outcome};
use crate::{Account, Ctx};

/// How long a closed-loop sender pauses after a failed send before the next one (so a refusing
/// server is not hammered with refusals).
pub const FAILURE_PAUSE: Duration = Duration::from_millis(100);

/// Work below which a server might use no CPU tick at all (10 ms): acked sends cost a real server
/// tens of microseconds each, fan-out deliveries about one.
pub const CPU_CHECK_SENDS: u64 = 2_500;
const CPU_CHECK_DELIVERIES: u64 = 50_000;

pub async fn connections(
    ctx: &Ctx,
    sockets: usize,
    users: usize,
    hold_secs: u64,
    problems: &mut Problems,
) -> Result<()> {
    let accounts = ctx.accounts("idle", users).await?;
    let before = total_rss_kib(&ctx.pids)?;
    let started = Instant::now();
    let mut conns = Vec::with_capacity(sockets);
    let opened = futures_util::stream::iter(0..sockets)
        .map(|i| {
            let account = accounts[i % accounts.len()].clone();
            let url = ctx.nodes.for_client(i).to_owned();
            async move { Conn::open(&url, &account.token, None).await }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    for conn in opened {
        conns.push(conn?);
    }
    println!(
        "connected {} sockets in {:.1}s",
        conns.len(),
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(hold_secs)).await;
    let after =
        total_rss_kib(&ctx.pids).context("daemon RSS after the hold (is --pid still running?)")?;
    println!(
        "daemon RSS: {before} KiB before, {after} KiB with {sockets} sockets held {hold_secs}s: {:.1} KiB per connection",
        (after.saturating_sub(before)) as f64 / sockets.max(1) as f64
    );
    // Several nodes: the sum, which is what the sockets cost the cluster.
    let pid = ctx.pids[0];
    rss_verdict(pid, before, after, sockets).apply(problems);
    Ok(())
}

/// The daemons' resident memory together.
pub fn total_rss_kib(pids: &[u32]) -> Result<u64> {
    pids.iter().map(|pid| rss_kib(*pid)).sum()
}

pub async fn throughput(
    ctx: &Ctx,
    senders: usize,
    duration_secs: u64,
    problems: &mut Problems,
) -> Result<()> {
    let accounts = ctx.accounts("tput", senders * 2).await?;
    let mut lanes = Vec::new();
    for (i, pair) in accounts.chunks(2).enumerate() {
        let conversation = ctx.direct(&pair[0], &pair[1]).await?;
        let url = ctx.nodes.for_client(i);
        let conn = Arc::new(Conn::open(url, &pair[0].token, None).await?);
        lanes.push((conn, conversation));
    }
    let cpu = CpuMeter::start(&ctx.pids, ctx.redis_pid);
    let redis = RedisMeter::start(ctx.redis_url.as_deref()).await?;
    let deadline = Instant::now() + Duration::from_secs(duration_secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (lane, (conn, conversation)) in lanes.iter().cloned().enumerate() {
        let ack_timeout = ctx.ack_timeout;
        tasks.push(tokio::spawn(async move {
            // Every send until the deadline counts, whatever its ack; only a closed connection
            // ends a sender early (it is counted, and reported).
            let mut tally = SendTally::default();
            let mut n = 0u64;
            while Instant::now() < deadline {
                let payload = json!({"conversation_id": conversation, "client_msg_id": format!("t{lane}-{n}"), "content": "throughput"});
                let outcome = conn.call("send_message", payload, ack_timeout).await;
                tally.record(&outcome);
                n += 1;
                match outcome {
                    Outcome::Acked { .. } => {}
                    Outcome::Closed => return (tally, true),
                    Outcome::Refused(_) | Outcome::Timeout => {
                        let resume = (Instant::now() + FAILURE_PAUSE).min(deadline);
                        tokio::time::sleep_until(resume.into()).await;
                    }
                }
            }
            (tally, false)
        }));
    }
    let mut tally = SendTally::default();
    let mut stopped = 0;
    for task in tasks {
        let (lane_tally, closed) = task.await?;
        tally.merge(&lane_tally);
        stopped += usize::from(closed);
    }
    let secs = started.elapsed().as_secs_f64();
    tally.anomalies = ack_anomalies(lanes.iter().map(|(conn, _)| conn.as_ref()));
    println!(
        "{senders} senders: {} acked sends in {secs:.1}s = {:.0} acked sends/s ({} of {} sends failed)",
        tally.acked,
        tally.acked as f64 / secs,
        tally.failed(),
        tally.attempted()
    );
    println!("{}", tally.line());
    if stopped > 0 {
        let problem =
            format!("{stopped} of {senders} senders stopped early: their connection closed");
        println!("{problem}");
        problems.add(problem);
    }
    tally.problems(problems);
    cpu.report(tally.acked, "acked sends", false, CPU_CHECK_SENDS, problems);
    redis.report(tally.acked, problems).await;
    Ok(())
}

pub fn ack_anomalies<'a>(conns: impl Iterator<Item = &'a Conn>) -> AckAnomalies {
    let mut total = AckAnomalies::default();
    for conn in conns {
        total.add(conn.ack_anomalies());
    }
    total
}

/// Sends `count` messages on an open-loop schedule (`rate` per second), `lane(n)` choosing the
/// connection and conversation of message `n`; acks go to `ledger`. Returns when the last send
/// has been issued (not acked).
pub async fn open_loop(
    ctx: &Ctx,
    ledger: &Arc<Ledger>,
    count: usize,
    rate: u64,
    lane: impl Fn(usize) -> (Arc<Conn>, String),
    content: &'static str,
) {
    // The schedule, not the acks, decides when to send, so a slow server shows up as latency
    // instead of silently lowering the offered rate (no coordinated omission).
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let started = Instant::now();
    let start_us = now_us();
    for n in 0..count {
        let offset = interval * n as u32;
        tokio::time::sleep_until((started + offset).into()).await;
        let (conn, conversation) = lane(n);
        let intended_us = start_us + offset.as_micros() as u64;
        let payload = json!({"conversation_id": conversation, "client_msg_id": ledger.client_msg_id(n), "content": content,
                             "metadata": {"sent_at_us": intended_us.to_string()}});
        let (ledger, ack_timeout) = (ledger.clone(), ctx.ack_timeout);
        tokio::spawn(async move {
            let outcome = conn.call("send_message", payload, ack_timeout).await;
            ledger.ack(n, &outcome);
        });
    }
}

/// The `sends:` and `deliveries:` lines, and the problems among them.
pub fn report_deliveries(ctx: &Ctx, s: &Summary, problems: &mut Problems) {
    println!("{}", s.tally.line());
    let mut line = format!(
        "deliveries: {} distinct, {} duplicates (one message_id twice at one socket), {} missing (acked, never delivered)",
        s.received, s.duplicates, s.missing
    );
    if s.unacked_received > 0 {
        line += &format!(
            ", {} of sends whose ack failed (stored nonetheless)",
            s.unacked_received
        );
    }
    if s.foreign > 0 {
        line += &format!(", {} not sent by this run", s.foreign);
    }
    println!(
        "{line}; waited {:.1}s after the last send: {}",
        s.waited.as_secs_f64(),
        s.reason.describe(ctx.quiet, ctx.max_wait)
    );
    s.tally.problems(problems);
    if s.pending_acks > 0 {
        problems.add(format!(
            "{} sends were still unacknowledged when waiting stopped",
            s.pending_acks
        ));
    }
    if s.missing > 0 {
        problems.add(format!(
            "{} deliveries of acked sends never arrived",
            s.missing
        ));
    }
    if s.duplicates > 0 {
        problems.add(format!(
            "{} duplicate deliveries (one message_id twice at one socket)",
            s.duplicates
        ));
    }
}

pub async fn latency(
    ctx: &Ctx,
    rate: u64,
    pairs: usize,
    duration_secs: u64,
    placement: Placement,
    problems: &mut Problems,
) -> Result<()> {
    let accounts = ctx.accounts("lat", pairs * 2).await?;
    let total = rate * duration_secs;
    let ledger = Ledger::new('l', total as usize, 1);
    let (lanes, _receivers) = open_pairs(ctx, &accounts, placement, &ledger).await?;
    let cpu = CpuMeter::start(&ctx.pids, ctx.redis_pid);
    let redis = RedisMeter::start(ctx.redis_url.as_deref()).await?;
    let lane = |n: usize| lanes[n % lanes.len()].clone();
    open_loop(ctx, &ledger, total as usize, rate, lane, "latency").await;
    let offered = Offered {
        rate,
        duration_secs,
        pairs,
        placement,
    };
    settle_latency_run(ctx, &ledger, &lanes, offered, cpu, redis, problems).await;
    Ok(())
}

/// Opens each pair of `accounts` (sender, receiver) its direct conversation and both sockets,
/// placed on the nodes by `placement`; the receivers report to `ledger`. Returns the senders'
/// lanes (socket, conversation) and the receivers, which must stay open for the run.
pub async fn open_pairs(
    ctx: &Ctx,
    accounts: &[Account],
    placement: Placement,
    ledger: &Arc<Ledger>,
) -> Result<(Vec<(Arc<Conn>, String)>, Vec<Conn>)> {
    let mut lanes = Vec::new();
    let mut receivers = Vec::new();
    for (i, pair) in accounts.chunks(2).enumerate() {
        let conversation = ctx.direct(&pair[0], &pair[1]).await?;
        let (sender_url, receiver_url) = ctx.nodes.for_pair(i, placement);
        receivers.push(Conn::open(receiver_url, &pair[1].token, Some(ledger.listener())).await?);
        lanes.push((
            Arc::new(Conn::open(sender_url, &pair[0].token, None).await?),
            conversation,
        ));
    }
    Ok((lanes, receivers))
}

/// The load a latency run offered, for its report.
pub struct Offered {
    pub rate: u64,
    pub duration_secs: u64,
    pub pairs: usize,
    pub placement: Placement,
}

/// Waits for a latency run's deliveries and prints its report (offered load, deliveries, CPU,
/// Redis, percentiles): `latency` and `slow-consumers` end alike, so one parser reads both.
pub async fn settle_latency_run(
    ctx: &Ctx,
    ledger: &Ledger,
    lanes: &[(Arc<Conn>, String)],
    offered: Offered,
    cpu: CpuMeter,
    redis: RedisMeter,
    problems: &mut Problems,
) {
    let total = offered.rate * offered.duration_secs;
    let mut s = ledger.settle(Instant::now(), ctx.quiet, ctx.max_wait).await;
    s.tally.anomalies = ack_anomalies(lanes.iter().map(|(conn, _)| conn.as_ref()));
    println!(
        "offered {} msgs/s for {}s over {} pairs on {} node(s), {}; received {} of {total}",
        offered.rate,
        offered.duration_secs,
        offered.pairs,
        ctx.nodes.len(),
        offered.placement.describe(),
        s.received
    );
    report_deliveries(ctx, &s, problems);
    cpu.report(s.received, "deliveries", false, CPU_CHECK_SENDS, problems);
    redis.report(s.tally.acked, problems).await;
    let p = percentiles(&mut s.latencies_us);
    let coverage = format!(
        "n={} of {total} sent; {} failed, {} missing, {} duplicates",
        p.n,
        s.tally.failed() + s.pending_acks,
        s.missing,
        s.duplicates
    );
    println!("{}", latency_line("send → receive", &p, &coverage));
}

pub async fn fanout(
    ctx: &Ctx,
    members: usize,
    messages: usize,
    rate: u64,
    problems: &mut Problems,
) -> Result<()> {
    let accounts = ctx.accounts("fan", members).await?;
    let owner = &accounts[0];
    let member_ids: Vec<i64> = accounts[1..].iter().map(|a| a.id).collect();
    let group = ctx
        .post(
            "/api/groups",
            Some(&owner.token),
            json!({"name": "fan-out", "member_ids": member_ids}),
        )
        .await?;
    let conversation = group["conversation_id"]
        .as_str()
        .context("conversation")?
        .to_owned();
    // Every member's socket (the sender's included) is due every message.
    let ledger = Ledger::new('f', messages, members);
    let mut conns = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        let url = ctx.nodes.for_client(i);
        conns.push(Conn::open(url, &account.token, Some(ledger.listener())).await?);
    }
    let sender = Arc::new(conns.remove(0));
    let cpu = CpuMeter::start(&ctx.pids, ctx.redis_pid);
    let redis = RedisMeter::start(ctx.redis_url.as_deref()).await?;
    let started = Instant::now();
    let lane = |_| (sender.clone(), conversation.clone());
    open_loop(ctx, &ledger, messages, rate, lane, "fan-out").await;
    let sending_done = Instant::now();
    let mut s = ledger.settle(sending_done, ctx.quiet, ctx.max_wait).await;
    s.tally.anomalies = sender.ack_anomalies();
    let expected = messages * members;
    let first_send = ledger.offset_us(started);
    let (window_secs, per_sec, when) = match s.window {
        Some(w) => (
            w.secs(),
            w.rate().map_or_else(|| "0".into(), |r| format!("{r:.0}")),
            format!(
                "{:.3}s to {:.3}s after the first send",
                w.first_us.saturating_sub(first_send) as f64 / 1e6,
                w.last_us.saturating_sub(first_send) as f64 / 1e6
            ),
        ),
        None => (0.0, "0".into(), "none received".into()),
    };
    println!(
        "{members} members, {messages} messages at {rate}/s: {} of {expected} deliveries in {window_secs:.3}s = {per_sec} deliveries/s (window: first to last delivery, {when}; offered {} deliveries/s over {:.2}s of sending)",
        s.received,
        rate * members as u64,
        (sending_done - started).as_secs_f64()
    );
    report_deliveries(ctx, &s, problems);
    cpu.report(
        s.received,
        "deliveries",
        true,
        CPU_CHECK_DELIVERIES,
        problems,
    );
    redis.report(s.tally.acked, problems).await;
    let p = percentiles(&mut s.latencies_us);
    let failed = s.tally.failed() + s.pending_acks;
    let coverage = format!(
        "n={} of {expected} deliveries = {messages} sends × {members} members; {failed} sends failed ({} deliveries not due), {} missing, {} duplicates",
        p.n,
        failed as usize * members,
        s.missing,
        s.duplicates
    );
    println!("{}", latency_line("send → delivery", &p, &coverage));
    Ok(())
}
