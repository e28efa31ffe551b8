//! What the bus cost Redis over a run, from its own counters (`INFO stats cpu commandstats`)
//! read before and after the measurement: bytes in and out per message, publishes per message,
//! and Redis CPU per 1,000 publishes.
//!
//! The counters are Redis-wide: every client of that Redis counts (the nodes' rate-limit and
//! presence commands too, which is part of what a message costs there). Point `--redis-url` at
//! a Redis that only the nodes under test use. A few hundred bytes of the figures are the two
//! INFO calls themselves.
//!
//! A hand-written RESP exchange over one TCP connection keeps the load tool free of a Redis
//! client library for two commands.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::report::Problems;

/// The counters of one INFO reading that the report uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    /// used_cpu_user + used_cpu_sys, seconds.
    pub cpu_secs: f64,
    /// PUBLISH and SPUBLISH calls.
    pub publishes: u64,
    pub commands: u64,
    /// Calls by command name (lower case), which says what the bytes and CPU went to.
    pub calls: BTreeMap<String, u64>,
}

impl Counters {
    /// Reads the counters out of an INFO reply (`key:value` lines).
    pub fn parse(info: &str) -> Result<Counters> {
        let fields: HashMap<&str, &str> = info
            .lines()
            .filter_map(|l| l.trim_end().split_once(':'))
            .collect();
        let number = |key: &str| -> Result<f64> {
            fields
                .get(key)
                .with_context(|| format!("INFO has no {key}"))?
                .parse::<f64>()
                .with_context(|| format!("INFO {key}"))
        };
        // `cmdstat_publish:calls=12,usec=34,…`; absent until the first call.
        let calls: BTreeMap<String, u64> = fields
            .iter()
            .filter_map(|(key, value)| {
                let command = key.strip_prefix("cmdstat_")?;
                let n = value.split(',').find_map(|kv| kv.strip_prefix("calls="))?;
                Some((command.to_owned(), n.parse().ok()?))
            })
            .collect();
        let publishes = ["publish", "spublish"]
            .iter()
            .filter_map(|c| calls.get(*c))
            .sum();
        Ok(Counters {
            net_input_bytes: number("total_net_input_bytes")? as u64,
            net_output_bytes: number("total_net_output_bytes")? as u64,
            cpu_secs: number("used_cpu_user")? + number("used_cpu_sys")?,
            publishes,
            commands: number("total_commands_processed")? as u64,
            calls,
        })
    }

    /// What happened between `self` and the `later` reading.
    pub fn since(&self, later: &Counters) -> Counters {
        Counters {
            net_input_bytes: later.net_input_bytes.saturating_sub(self.net_input_bytes),
            net_output_bytes: later.net_output_bytes.saturating_sub(self.net_output_bytes),
            cpu_secs: (later.cpu_secs - self.cpu_secs).max(0.0),
            publishes: later.publishes.saturating_sub(self.publishes),
            commands: later.commands.saturating_sub(self.commands),
            calls: later
                .calls
                .iter()
                .map(|(c, n)| {
                    (
                        c.clone(),
                        n - self.calls.get(c).copied().unwrap_or(0).min(*n),
                    )
                })
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }

    /// The report line for a run of `messages` messages.
    pub fn line(&self, messages: u64) -> String {
        let per_message = |n: f64| {
            if messages == 0 {
                "n/a".to_owned()
            } else {
                format!("{:.1}", n / messages as f64)
            }
        };
        let per_1000_publishes = if self.publishes == 0 {
            "n/a".to_owned()
        } else {
            format!("{:.4}", self.cpu_secs * 1000.0 / self.publishes as f64)
        };
        let mix: Vec<String> = self
            .calls
            .iter()
            .map(|(c, n)| format!("{c} {}", per_message(*n as f64)))
            .collect();
        format!(
            "redis: {} bytes in, {} bytes out = {} bytes in + {} bytes out per message; {} publishes = {} per message; {} commands = {} per message ({}); redis CPU {:.2} s = {per_1000_publishes} CPU-s per 1,000 publishes ({messages} messages)",
            self.net_input_bytes,
            self.net_output_bytes,
            per_message(self.net_input_bytes as f64),
            per_message(self.net_output_bytes as f64),
            self.publishes,
            per_message(self.publishes as f64),
            self.commands,
            per_message(self.commands as f64),
            mix.join(", "),
            self.cpu_secs,
        )
    }
}

/// `host:port` and the password of a `redis://[[user]:password@]host[:port][/db]` URL.
pub fn address(url: &str) -> Result<(String, Option<String>)> {
    let rest = url
        .strip_prefix("redis://")
        .with_context(|| format!("--redis-url {url}: expected redis://HOST:PORT/"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let (password, host) = match authority.rsplit_once('@') {
        Some((auth, host)) => {
            let password = auth.split_once(':').map_or(auth, |(_, p)| p);
            (Some(password.to_owned()).filter(|p| !p.is_empty()), host)
        }
        None => (None, authority),
    };
    if host.is_empty() {
        bail!("--redis-url {url}: no host");
    }
    let host = if host.contains(':') && !host.ends_with(']') {
        host.to_owned()
    } else {
        format!("{host}:6379")
    };
    Ok((host, password))
}

/// Sends one command and returns its reply as text (simple, error or bulk string).
async fn command(conn: &mut BufReader<TcpStream>, args: &[&str]) -> Result<String> {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request += &format!("${}\r\n{arg}\r\n", arg.len());
    }
    conn.get_mut().write_all(request.as_bytes()).await?;
    let mut head = String::new();
    conn.read_line(&mut head).await?;
    let head = head.trim_end();
    match head.split_at_checked(1) {
        Some(("+", text)) => Ok(text.to_owned()),
        Some(("-", error)) => bail!("redis {}: {error}", args[0]),
        Some(("$", len)) => {
            let len: usize = len.parse().context("bulk length")?;
            let mut body = vec![0; len + 2];
            conn.read_exact(&mut body).await?;
            body.truncate(len);
            Ok(String::from_utf8_lossy(&body).into_owned())
        }
        _ => bail!("redis {}: unexpected reply {head:?}", args[0]),
    }
}

/// Reads the counters once.
pub async fn read(url: &str) -> Result<Counters> {
    let (host, password) = address(url)?;
    let stream = TcpStream::connect(&host)
        .await
        .with_context(|| format!("connect to Redis at {host}"))?;
    let mut conn = BufReader::new(stream);
    if let Some(password) = password {
        command(&mut conn, &["AUTH", &password]).await?;
    }
    let info = command(&mut conn, &["INFO", "stats", "cpu", "commandstats"]).await?;
    Counters::parse(&info)
}

/// Redis's counters from the start of a measurement, when `--redis-url` is given.
pub struct RedisMeter {
    url: Option<String>,
    start: Option<Counters>,
}

impl RedisMeter {
    pub async fn start(url: Option<&str>) -> Result<Self> {
        let start = match url {
            Some(url) => Some(read(url).await?),
            None => None,
        };
        Ok(Self {
            url: url.map(str::to_owned),
            start,
        })
    }

    /// Prints the `redis:` line for `messages` messages sent since the start.
    pub async fn report(&self, messages: u64, problems: &mut Problems) {
        let (Some(url), Some(start)) = (&self.url, &self.start) else {
            return;
        };
        match read(url).await {
            Ok(now) => println!("{}", start.since(&now).line(messages)),
            Err(err) => {
                let problem = format!("redis: counters unavailable at the end: {err:#}");
                println!("{problem}");
                problems.add(problem);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BEFORE: &str = "# Stats\r\ntotal_connections_received:4\r\ntotal_commands_processed:100\r\ntotal_net_input_bytes:1000\r\ntotal_net_output_bytes:5000\r\n\r\n# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:2.250000\r\n\r\n# Commandstats\r\ncmdstat_info:calls=1,usec=20,usec_per_call=20.00,rejected_calls=0,failed_calls=0\r\n";
    const AFTER: &str = "# Stats\r\ntotal_commands_processed:4100\r\ntotal_net_input_bytes:801000\r\ntotal_net_output_bytes:405000\r\n# CPU\r\nused_cpu_sys:1.900000\r\nused_cpu_user:2.450000\r\n# Commandstats\r\ncmdstat_publish:calls=2000,usec=3000,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\ncmdstat_incr:calls=1000,usec=900\r\n";

    #[test]
    fn a_run_costs_the_difference_between_two_readings() {
        let before = Counters::parse(BEFORE).unwrap();
        assert_eq!(before.publishes, 0, "no publish yet: no cmdstat line");
        let run = before.since(&Counters::parse(AFTER).unwrap());
        assert_eq!(
            (run.net_input_bytes, run.net_output_bytes),
            (800_000, 400_000)
        );
        assert_eq!((run.publishes, run.commands), (2000, 4000));
        assert!((run.cpu_secs - 0.6).abs() < 1e-9);
        assert_eq!(
            run.line(1000),
            "redis: 800000 bytes in, 400000 bytes out = 800.0 bytes in + 400.0 bytes out per message; 2000 publishes = 2.0 per message; 4000 commands = 4.0 per message (incr 1.0, publish 2.0); redis CPU 0.60 s = 0.3000 CPU-s per 1,000 publishes (1000 messages)"
        );
    }

    #[test]
    fn a_reading_without_its_counters_is_an_error() {
        assert!(Counters::parse("# Stats\r\ntotal_net_input_bytes:1\r\n").is_err());
    }

    #[test]
    fn redis_urls_give_an_address_and_a_password() {
        assert_eq!(
            address("redis://127.0.0.1:56379/").unwrap(),
            ("127.0.0.1:56379".into(), None)
        );
        assert_eq!(
            address("redis://:secret@localhost/0").unwrap(),
            ("localhost:6379".into(), Some("secret".into()))
        );
        assert!(address("redis+unix:///run/redis.sock").is_err());
        assert!(address("redis:///").is_err());
    }
}
