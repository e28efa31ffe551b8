//! `omegachat-load`: drives a running omegachatd the way real clients do (register and log in over
//! REST, connect over Socket.IO/WebSocket, send with acks, receive) and reports what it measured.
//! Commands and results are written down in BENCHMARKS.md.
//!
//! Nothing is dropped silently: every send ends counted as acked, refused (by error code), timed
//! out or closed; deliveries are checked for duplicates and for the ones that never came; and a
//! run with any of these (or with a `--pid` that is not the server) exits 1 unless
//! `--allow-failures` is given.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use serde_json::{Value, json};

mod churn;
mod deliveries;
mod nodes;
mod procfs;
mod redis_info;
mod report;
mod scenarios;
mod slow;
mod slowtab;
mod socket;

use nodes::{Nodes, Placement};
use report::Problems;

/// Load generator for omegachatd.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Base URL of the daemon. Several nodes of one chat: repeat it or separate with commas;
    /// sockets are dealt to the nodes in turn and REST set-up goes to the first.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8080")]
    url: Vec<String>,
    /// Prefix for the accounts this run creates (must be new for each run against one database).
    #[arg(long, default_value = "load")]
    prefix: String,
    /// The daemon's pid: reports its CPU time (and memory) from /proc during the measurement.
    /// Checked to be the server (the process listening on one of the URLs' ports); a wrapper
    /// such as a shell, `timeout` or `npm` is a failure. Several nodes: repeat it or separate
    /// with commas; figures are the sum over all of them, with each one's share.
    #[arg(long, global = true, value_delimiter = ',')]
    pid: Vec<u32>,
    /// redis-server's pid (`redis-cli info server | grep process_id`): its CPU time from /proc
    /// is reported next to the daemons'.
    #[arg(long, global = true)]
    redis_pid: Option<u32>,
    /// The Redis the nodes share: its INFO counters are read before and after the measurement
    /// to report bytes on the bus per message and Redis CPU per 1,000 publishes. They count
    /// every client of that Redis: use one that only these nodes talk to.
    #[arg(long, global = true)]
    redis_url: Option<String>,
    /// Seconds to wait for an ack before counting the send as timed out.
    #[arg(long, global = true, default_value_t = 30.0)]
    ack_timeout_secs: f64,
    /// latency, fanout: stop waiting for deliveries after this many seconds without a new one
    /// (once every send is acked or failed).
    #[arg(long, global = true, default_value_t = 2.0)]
    quiet_secs: f64,
    /// latency, fanout: stop waiting for deliveries this many seconds after the last send anyway.
    #[arg(long, global = true, default_value_t = 60.0)]
    max_wait_secs: f64,
    /// Exit 0 even when sends failed, deliveries went missing or came twice, or --pid looks wrong
    /// (they are printed all the same).
    #[arg(long, global = true)]
    allow_failures: bool,
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
    /// A refused or timed-out send is counted and the sender goes on after a 100 ms pause; only
    /// a closed connection ends a sender early.
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
        /// Put each pair's sender and receiver on different nodes (pair i: sender on node i,
        /// receiver on node i+1), so every delivery crosses the bus. Needs two --url.
        #[arg(long)]
        cross_node: bool,
    },
    /// One group with N connected members; every message reaches all of them. The delivery rate
    /// is taken from the first to the last delivery received.
    Fanout {
        #[arg(long, default_value_t = 1000)]
        members: usize,
        #[arg(long, default_value_t = 100)]
        messages: usize,
        /// Messages per second sent into the group.
        #[arg(long, default_value_t = 200)]
        rate: u64,
    },
    /// Sockets connecting and disconnecting at a fixed rate (full handshake, clean close) while
    /// the daemon's RSS is sampled: growth over 5% fails. Needs --pid.
    Churn(churn::ChurnOpts),
    /// The latency scenario with a share of the receiving users holding a second tab that never
    /// reads: the normal receivers' latency, the daemon's memory, and what the slow tabs saw.
    /// Needs --pid.
    SlowConsumers(slow::SlowOpts),
}

fn secs(value: f64, flag: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("{flag} {value}"))
}

#[tokio::main]
async fn main() -> Result<ExitCode> {
    let args = Args::parse();
    let ctx = Ctx {
        http: reqwest::Client::new(),
        nodes: Nodes::parse(&args.url)?,
        prefix: args.prefix,
        pids: args.pid.clone(),
        redis_pid: args.redis_pid,
        redis_url: args.redis_url,
        ack_timeout: secs(args.ack_timeout_secs, "--ack-timeout-secs")?,
        quiet: secs(args.quiet_secs, "--quiet-secs")?,
        max_wait: secs(args.max_wait_secs, "--max-wait-secs")?,
    };
    let mut problems = Problems::default();
    for pid in &args.pid {
        procfs::check_pid(*pid, ctx.nodes.urls(), &mut problems)?;
    }
    if let Some(pid) = args.redis_pid {
        procfs::check_redis_pid(pid, &mut problems)?;
    }
    let p = &mut problems;
    match args.mode {
        Mode::Connections {
            sockets,
            users,
            hold_secs,
        } => {
            if args.pid.is_empty() {
                bail!("connections needs --pid to read the daemon's memory");
            }
            scenarios::connections(&ctx, sockets, users, hold_secs, p).await?
        }
        Mode::Throughput {
            senders,
            duration_secs,
        } => scenarios::throughput(&ctx, senders, duration_secs, p).await?,
        Mode::Latency {
            rate,
            pairs,
            duration_secs,
            cross_node,
        } => {
            let placement = Placement::choose(cross_node, ctx.nodes.len())?;
            scenarios::latency(&ctx, rate, pairs, duration_secs, placement, p).await?
        }
        Mode::Fanout {
            members,
            messages,
            rate,
        } => scenarios::fanout(&ctx, members, messages, rate, p).await?,
        Mode::Churn(opts) => {
            if args.pid.is_empty() {
                bail!("churn needs --pid to read the daemon's memory");
            }
            churn::churn(&ctx, &opts, p).await?
        }
        Mode::SlowConsumers(opts) => {
            if args.pid.is_empty() {
                bail!("slow-consumers needs --pid to read the daemon's memory");
            }
            slow::slow_consumers(&ctx, &opts, p).await?
        }
    }
    Ok(finish(&problems, args.allow_failures))
}

/// Lists the run's problems (the last line sums them up) and decides the exit status.
fn finish(problems: &Problems, allow_failures: bool) -> ExitCode {
    if problems.0.is_empty() {
        return ExitCode::SUCCESS;
    }
    for problem in &problems.0 {
        eprintln!("problem: {problem}");
    }
    let all = problems.0.join("; ");
    if allow_failures {
        eprintln!("omegachat-load: failures allowed by --allow-failures: {all}");
        ExitCode::SUCCESS
    } else {
        eprintln!("omegachat-load: FAILED (--allow-failures exits 0): {all}");
        ExitCode::FAILURE
    }
}

pub struct Ctx {
    http: reqwest::Client,
    pub nodes: Nodes,
    prefix: String,
    /// The daemons' pids (one per node, or fewer).
    pub pids: Vec<u32>,
    pub redis_pid: Option<u32>,
    pub redis_url: Option<String>,
    pub ack_timeout: Duration,
    pub quiet: Duration,
    pub max_wait: Duration,
}

#[derive(Clone)]
pub struct Account {
    pub id: i64,
    pub token: String,
}

impl Ctx {
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.nodes.first()))
            .json(&body);
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
    pub async fn accounts(&self, tag: &str, n: usize) -> Result<Vec<Account>> {
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

    pub async fn direct(&self, a: &Account, b: &Account) -> Result<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Args {
        Args::try_parse_from(line.split_whitespace()).unwrap()
    }

    #[test]
    fn one_url_and_one_pid_parse_as_before() {
        let args = parse("omegachat-load --url http://127.0.0.1:18090 --pid 42 latency");
        assert_eq!(args.url, ["http://127.0.0.1:18090"]);
        assert_eq!(args.pid, [42]);
        assert!(matches!(
            args.mode,
            Mode::Latency {
                cross_node: false,
                ..
            }
        ));
        assert_eq!(
            parse("omegachat-load latency").url,
            ["http://127.0.0.1:8080"]
        );
    }

    #[test]
    fn nodes_and_pids_are_repeated_or_comma_separated() {
        let args = parse(
            "omegachat-load --url http://a:1,http://b:2 --url http://c:3 --pid 7,8 --pid 9 \
             --redis-pid 5 --redis-url redis://127.0.0.1:56390/ latency --cross-node --rate 1000",
        );
        assert_eq!(args.url, ["http://a:1", "http://b:2", "http://c:3"]);
        assert_eq!(args.pid, [7, 8, 9]);
        assert_eq!(args.redis_pid, Some(5));
        assert_eq!(args.redis_url.as_deref(), Some("redis://127.0.0.1:56390/"));
        assert!(matches!(
            args.mode,
            Mode::Latency {
                cross_node: true,
                rate: 1000,
                ..
            }
        ));
    }

    #[test]
    fn churn_defaults_are_the_requirement() {
        let args = parse("omegachat-load --pid 7 churn");
        assert!(matches!(
            args.mode,
            Mode::Churn(churn::ChurnOpts {
                rate: 1000,
                duration_secs: 300,
                users: 100,
                warmup_secs: 60,
                sample_secs: 10,
                steady: 100,
                max_in_flight: 256,
            })
        ));
        let args = parse(
            "omegachat-load churn --rate 400 --duration-secs 60 --users 10 --warmup-secs 5 \
             --sample-secs 2 --steady 0 --max-in-flight 32 --pid 9",
        );
        assert_eq!(args.pid, [9]);
        assert!(matches!(
            args.mode,
            Mode::Churn(churn::ChurnOpts {
                rate: 400,
                duration_secs: 60,
                users: 10,
                warmup_secs: 5,
                sample_secs: 2,
                steady: 0,
                max_in_flight: 32,
            })
        ));
    }

    #[test]
    fn slow_consumers_parse_with_a_fractional_share() {
        let Mode::SlowConsumers(slow::SlowOpts {
            rate,
            pairs,
            duration_secs,
            slow_percent,
            rcvbuf: slow_rcvbuf,
            hold_secs: slow_hold_secs,
        }) = parse("omegachat-load slow-consumers --pid 7").mode
        else {
            panic!("not slow-consumers");
        };
        assert_eq!((rate, pairs, duration_secs), (2000, 100, 30));
        assert_eq!((slow_percent, slow_rcvbuf, slow_hold_secs), (1.0, 4096, 0));
        let Mode::SlowConsumers(slow::SlowOpts {
            slow_percent,
            rcvbuf: slow_rcvbuf,
            hold_secs: slow_hold_secs,
            ..
        }) = parse(
            "omegachat-load slow-consumers --slow-percent 0.5 --slow-rcvbuf 2048 --slow-hold-secs 40",
        )
        .mode
        else {
            panic!("not slow-consumers");
        };
        assert_eq!((slow_percent, slow_rcvbuf, slow_hold_secs), (0.5, 2048, 40));
        assert!(
            Args::try_parse_from(["omegachat-load", "slow-consumers", "--slow-percent", "x"])
                .is_err()
        );
    }

    #[test]
    fn pids_may_follow_the_scenario() {
        let args = parse("omegachat-load latency --pid 7 --pid 8");
        assert_eq!(args.pid, [7, 8]);
    }
}
