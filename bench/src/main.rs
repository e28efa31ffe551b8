//! `omegachat-load`: drives a running omegachatd the way real clients do (register and log in over
//! REST, connect over Socket.IO/WebSocket, send with acks, receive) and reports what it measured.
//! Commands and results are written down in BENCHMARKS.md.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

mod socket;
use futures_util::StreamExt;
use serde_json::{Value, json};
use socket::{Conn, OnMessage};

/// Load generator for omegachatd.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Base URL of the daemon.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Prefix for the accounts this run creates (must be new for each run against one database).
    #[arg(long, default_value = "load")]
    prefix: String,
    /// The daemon's pid: reports its CPU time (and memory) from /proc during the measurement.
    #[arg(long, global = true)]
    pid: Option<u32>,
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Hold N authenticated idle sockets and report the daemon's memory per connection.
    Connections {
        #[arg(long, default_value_t = 10_000)]
        sockets: usize,
        /// Accounts the sockets are spread over (several tabs each).
        #[arg(long, default_value_t = 100)]
        users: usize,
        #[arg(long, default_value_t = 10)]
        hold_secs: u64,
    },
    /// Closed loop: each sender sends, waits for the ack, sends again. Reports acked sends/s.
    Throughput {
        #[arg(long, default_value_t = 1000)]
        senders: usize,
        #[arg(long, default_value_t = 20)]
        duration_secs: u64,
    },
    /// Open loop at a fixed rate; latency from intended send time to receipt at another client.
    Latency {
        #[arg(long, default_value_t = 5000)]
        rate: u64,
        #[arg(long, default_value_t = 100)]
        pairs: usize,
        #[arg(long, default_value_t = 20)]
        duration_secs: u64,
    },
    /// One group with N connected members; every message reaches all of them.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        members: usize,
        #[arg(long, default_value_t = 100)]
        messages: usize,
        /// Messages per second sent into the group.
        #[arg(long, default_value_t = 200)]
        rate: u64,
    },
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::new();
    let ctx = Ctx {
        http,
        url: args.url.trim_end_matches('/').to_owned(),
        prefix: args.prefix,
        pid: args.pid,
    };
    match args.mode {
        Mode::Connections {
            sockets,
            users,
            hold_secs,
        } => {
            let pid = args
                .pid
                .context("connections needs --pid to read the daemon's memory")?;
            connections(&ctx, sockets, users, pid, hold_secs).await
        }
        Mode::Throughput {
            senders,
            duration_secs,
        } => throughput(&ctx, senders, duration_secs).await,
        Mode::Latency {
            rate,
            pairs,
            duration_secs,
        } => latency(&ctx, rate, pairs, duration_secs).await,
        Mode::Fanout {
            members,
            messages,
            rate,
        } => fanout(&ctx, members, messages, rate).await,
    }
}

struct Ctx {
    http: reqwest::Client,
    url: String,
    prefix: String,
    pid: Option<u32>,
}

/// Daemon CPU seconds since `start`, when its pid is known.
struct CpuMeter {
    pid: Option<u32>,
    start: f64,
}

impl CpuMeter {
    fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            start: pid.and_then(|p| cpu_secs(p).ok()).unwrap_or_default(),
        }
    }

    /// Prints the daemon's CPU time per 1,000 of `units`.
    fn report(&self, units: u64, what: &str) {
        if let Some(used) = self
            .pid
            .and_then(|p| cpu_secs(p).ok())
            .map(|now| now - self.start)
        {
            println!(
                "daemon CPU: {used:.2} s = {:.3} CPU-s per 1,000 {what}",
                used * 1000.0 / units.max(1) as f64
            );
        }
    }
}

#[derive(Clone)]
struct Account {
    id: i64,
    token: String,
}

impl Ctx {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            bail!("POST {path}: {status} {body}");
        }
        Ok(body)
    }

    /// Registers and logs in `n` accounts, eight at a time (hashing dominates).
    async fn accounts(&self, tag: &str, n: usize) -> Result<Vec<Account>> {
        let started = Instant::now();
        let names: Vec<String> = (0..n)
            .map(|i| format!("{}-{tag}-{i}", self.prefix))
            .collect();
        let results = futures_util::stream::iter(names)
            .map(|name| async move {
                let password = "load-test-password";
                self.post("/api/auth/register", None, json!({"username": name, "email": format!("{name}@load.invalid"), "password": password}))
                    .await?;
                let login = self.post("/api/auth/login", None, json!({"login": name, "password": password})).await?;
                Ok::<_, anyhow::Error>(Account {
                    id: login["user"]["id"].as_i64().context("user id")?,
                    token: login["access_token"].as_str().context("token")?.to_owned(),
                })
            })
            .buffered(8)
            .collect::<Vec<_>>()
            .await;
        eprintln!(
            "set-up: {n} accounts in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        results.into_iter().collect()
    }

    async fn direct(&self, a: &Account, b: &Account) -> Result<String> {
        let body = self
            .post(
                "/api/conversations/direct",
                Some(&a.token),
                json!({"user_id": b.id}),
            )
            .await?;
        Ok(body["conversation_id"]
            .as_str()
            .context("conversation id")?
            .to_owned())
    }
}

/// Shared latency samples, and a `receive_message` callback that adds one per message carrying
/// its intended send time (`metadata.sent_at_us`).
fn latency_recorder(samples: Vec<u64>) -> (Arc<std::sync::Mutex<Vec<u64>>>, OnMessage) {
    let samples = Arc::new(std::sync::Mutex::new(samples));
    let recorder = samples.clone();
    let on_message: OnMessage = Arc::new(move |m: &Value| {
        if let Some(sent) = m["metadata"]["sent_at_us"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
        {
            recorder
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(now_us().saturating_sub(sent));
        }
    });
    (samples, on_message)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn rss_kib(pid: u32) -> Result<u64> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).context("read /proc/PID/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?)
}

fn cpu_secs(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

async fn connections(
    ctx: &Ctx,
    sockets: usize,
    users: usize,
    pid: u32,
    hold_secs: u64,
) -> Result<()> {
    let accounts = ctx.accounts("idle", users).await?;
    let before = rss_kib(pid)?;
    let started = Instant::now();
    let mut conns = Vec::with_capacity(sockets);
    let opened = futures_util::stream::iter(0..sockets)
        .map(|i| {
            let account = accounts[i % accounts.len()].clone();
            let url = ctx.url.clone();
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
    let after = rss_kib(pid)?;
    println!(
        "daemon RSS: {before} KiB before, {after} KiB with {sockets} sockets held {hold_secs}s: {:.1} KiB per connection",
        (after.saturating_sub(before)) as f64 / sockets as f64
    );
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

fn report_latency(label: &str, samples: &mut [u64]) {
    samples.sort_unstable();
    println!(
        "{label}: {} samples; latency ms p50 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}",
        samples.len(),
        percentile(samples, 0.5),
        percentile(samples, 0.99),
        percentile(samples, 0.999),
        percentile(samples, 1.0)
    );
}

async fn throughput(ctx: &Ctx, senders: usize, duration_secs: u64) -> Result<()> {
    let accounts = ctx.accounts("tput", senders * 2).await?;
    let mut lanes = Vec::new();
    for pair in accounts.chunks(2) {
        let conversation = ctx.direct(&pair[0], &pair[1]).await?;
        let conn = Conn::open(&ctx.url, &pair[0].token, None).await?;
        lanes.push((conn, conversation));
    }
    let acked = Arc::new(AtomicU64::new(0));
    let cpu = CpuMeter::start(ctx.pid);
    let deadline = Instant::now() + Duration::from_secs(duration_secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (lane, (conn, conversation)) in lanes.into_iter().enumerate() {
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                let payload = json!({"conversation_id": conversation, "client_msg_id": format!("t{lane}-{n}"), "content": "throughput"});
                if conn.call("send_message", payload).await.is_err() {
                    break;
                }
                acked.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let total = acked.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{senders} senders: {total} acked sends in {secs:.1}s = {:.0} acked sends/s",
        total as f64 / secs
    );
    cpu.report(total, "acked sends");
    Ok(())
}

async fn latency(ctx: &Ctx, rate: u64, pairs: usize, duration_secs: u64) -> Result<()> {
    let accounts = ctx.accounts("lat", pairs * 2).await?;
    let (samples, on_message) = latency_recorder(Vec::<u64>::new());
    let mut lanes = Vec::new();
    let mut receivers = Vec::new();
    for pair in accounts.chunks(2) {
        let conversation = ctx.direct(&pair[0], &pair[1]).await?;
        receivers.push(Conn::open(&ctx.url, &pair[1].token, Some(on_message.clone())).await?);
        lanes.push((
            Arc::new(Conn::open(&ctx.url, &pair[0].token, None).await?),
            conversation,
        ));
    }
    // Open loop: the schedule, not the acks, decides when to send, so a slow server shows up
    // as latency instead of silently lowering the offered rate (no coordinated omission).
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let total = rate * duration_secs;
    let cpu = CpuMeter::start(ctx.pid);
    let started = Instant::now();
    let start_us = now_us();
    for n in 0..total {
        let intended = started + interval * n as u32;
        tokio::time::sleep_until(intended.into()).await;
        let (conn, conversation) = &lanes[n as usize % lanes.len()];
        let intended_us = start_us + (interval * n as u32).as_micros() as u64;
        let payload = json!({"conversation_id": conversation, "client_msg_id": format!("l{n}"), "content": "latency",
                             "metadata": {"sent_at_us": intended_us.to_string()}});
        let conn = conn.clone();
        tokio::spawn(async move {
            let _ = conn.call("send_message", payload).await;
        });
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "offered {rate} msgs/s for {duration_secs}s over {pairs} pairs; received {} of {total}",
        samples.len()
    );
    cpu.report(samples.len() as u64, "deliveries");
    report_latency("send → receive", &mut samples);
    Ok(())
}

async fn fanout(ctx: &Ctx, members: usize, messages: usize, rate: u64) -> Result<()> {
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
    let (samples, on_message) = latency_recorder(Vec::with_capacity(members * messages));
    let mut conns = Vec::new();
    for account in &accounts {
        conns.push(Conn::open(&ctx.url, &account.token, Some(on_message.clone())).await?);
    }
    let sender = Arc::new(conns.remove(0));
    let interval = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let cpu = CpuMeter::start(ctx.pid);
    let started = Instant::now();
    let start_us = now_us();
    for n in 0..messages {
        tokio::time::sleep_until((started + interval * n as u32).into()).await;
        let intended_us = start_us + (interval * n as u32).as_micros() as u64;
        let payload = json!({"conversation_id": conversation, "client_msg_id": format!("f{n}"), "content": "fan-out",
                             "metadata": {"sent_at_us": intended_us.to_string()}});
        let sender = sender.clone();
        tokio::spawn(async move {
            let _ = sender.call("send_message", payload).await;
        });
    }
    let expected = messages * members;
    let wait_until = Instant::now() + Duration::from_secs(60);
    while samples.lock().unwrap_or_else(|p| p.into_inner()).len() < expected
        && Instant::now() < wait_until
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut samples = std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));
    println!(
        "{members} members, {messages} messages at {rate}/s: {} of {expected} deliveries in {elapsed:.2}s = {:.0} deliveries/s",
        samples.len(),
        samples.len() as f64 / elapsed
    );
    cpu.report(samples.len() as u64, "deliveries");
    report_latency("send → delivery", &mut samples);
    Ok(())
}
