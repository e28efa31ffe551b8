//! The server's CPU time and memory from /proc/<pid>, and checks that the pid given is the
//! server: a wrapper (a shell, `timeout`, `npm start`) or an idle process would otherwise show up
//! as "0 KiB per connection" and "0 CPU-s".

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::report::Problems;

pub fn rss_kib(pid: u32) -> Result<u64> {
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

pub fn cpu_secs(pid: u32) -> Result<f64> {
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

/// A finding about the pid: fine, worth a warning, or making the figures wrong.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Fine,
    Warn(String),
    Fail(String),
}

impl Verdict {
    /// Prints a warning or failure loudly (stderr) and records failures.
    pub fn apply(self, problems: &mut Problems) {
        match self {
            Verdict::Fine => {}
            Verdict::Warn(w) => eprintln!("WARNING: {w}"),
            Verdict::Fail(f) => {
                eprintln!("WARNING: {f}");
                problems.add(f);
            }
        }
    }
}

/// CPU seconds since `start` of the daemons (and of redis-server), when their pids are known.
pub struct CpuMeter {
    daemons: Vec<(u32, Option<f64>)>,
    redis: Option<(u32, Option<f64>)>,
}

impl CpuMeter {
    pub fn start(pids: &[u32], redis_pid: Option<u32>) -> Self {
        let now = |pid: u32| (pid, cpu_secs(pid).ok());
        Self {
            daemons: pids.iter().map(|p| now(*p)).collect(),
            redis: redis_pid.map(now),
        }
    }

    /// Prints `daemon CPU: X s = Y CPU-s per 1,000 <what>` (and `<what> per CPU-s` when
    /// `per_cpu_s`), summed over the daemons with each one's share, and checks they did use CPU
    /// for the work done: `units` of `what`, where `fail_at` units would cost any real server at
    /// least a few 10 ms ticks. Then `redis CPU: …` when redis-server's pid is known.
    pub fn report(
        &self,
        units: u64,
        what: &str,
        per_cpu_s: bool,
        fail_at: u64,
        problems: &mut Problems,
    ) {
        if self.daemons.is_empty() {
            return;
        }
        let mut used = 0.0;
        let mut shares = Vec::new();
        for (pid, start) in &self.daemons {
            let Some(own) = used_since(*pid, *start, "daemon", problems) else {
                return;
            };
            used += own;
            shares.push(format!("pid {pid} {own:.2} s"));
        }
        let mut line = format!("daemon CPU: {used:.2} s = {}", per_1000(used, units, what));
        if per_cpu_s {
            if used > 0.0 {
                line += &format!(" = {:.0} {what} per CPU-s", units as f64 / used);
            } else {
                line += &format!(" = n/a {what} per CPU-s (no CPU time measured)");
            }
        }
        if shares.len() > 1 {
            line += &format!(" (sum of {} daemons: {})", shares.len(), shares.join(", "));
        }
        println!("{line}");
        for (pid, start) in &self.daemons {
            let own = start.and_then(|s| Some(cpu_secs(*pid).ok()? - s));
            // Each node must have worked; a pid of a node that served nothing shows here.
            cpu_verdict(*pid, own.unwrap_or(0.0), units, what, fail_at).apply(problems);
        }
        if let Some((pid, start)) = self.redis {
            if let Some(own) = used_since(pid, start, "redis", problems) {
                println!("redis CPU: {own:.2} s = {}", per_1000(own, units, what));
            }
        }
    }
}

/// CPU seconds `pid` used since `start`; a problem when it cannot be read.
fn used_since(pid: u32, start: Option<f64>, who: &str, problems: &mut Problems) -> Option<f64> {
    match (start, cpu_secs(pid)) {
        (Some(start), Ok(now)) => Some(now - start),
        _ => {
            let problem = format!("{who} CPU: unavailable, pid {pid} could not be read");
            println!("{problem}");
            problems.add(problem);
            None
        }
    }
}

/// `Y CPU-s per 1,000 <what>`.
fn per_1000(used: f64, units: u64, what: &str) -> String {
    if units > 0 {
        format!("{:.3} CPU-s per 1,000 {what}", used * 1000.0 / units as f64)
    } else {
        format!("n/a CPU-s per 1,000 {what} (there were none)")
    }
}

/// Whether `used` CPU seconds is believable for `units` of work.
pub fn cpu_verdict(pid: u32, used: f64, units: u64, what: &str, fail_at: u64) -> Verdict {
    if units == 0 || used > 0.0 {
        Verdict::Fine
    } else if units >= fail_at {
        Verdict::Fail(format!(
            "pid {pid} used no CPU time while the server handled {units} {what}: --pid is not the server"
        ))
    } else {
        Verdict::Warn(format!(
            "pid {pid} used no CPU time for {units} {what} (CPU time comes in 10 ms ticks: too little work to be sure, but check --pid)"
        ))
    }
}

/// Whether an RSS change is believable for `sockets` new connections.
pub fn rss_verdict(pid: u32, before: u64, after: u64, sockets: usize) -> Verdict {
    if sockets == 0 || after > before {
        return Verdict::Fine;
    }
    let what = format!(
        "RSS of pid {pid} did not grow ({before} KiB before, {after} KiB after) with {sockets} sockets held"
    );
    if sockets >= 100 {
        Verdict::Fail(format!("{what}: --pid is not the server"))
    } else {
        Verdict::Warn(format!("{what}: few sockets, but check --pid"))
    }
}

/// What a process looks like from its `comm` and executable name.
#[derive(Debug, PartialEq)]
pub enum Kind {
    Server,
    Wrapper,
    Unknown,
}

pub fn classify(comm: &str, exe_name: &str) -> Kind {
    const SERVERS: &[&str] = &["omegachatd", "node", "nodejs"];
    const WRAPPERS: &[&str] = &[
        "sh",
        "bash",
        "dash",
        "zsh",
        "ksh",
        "fish",
        "busybox",
        "timeout",
        "env",
        "sudo",
        "su",
        "doas",
        "sleep",
        "nohup",
        "setsid",
        "stdbuf",
        "nice",
        "ionice",
        "taskset",
        "chrt",
        "strace",
        "ltrace",
        "time",
        "cargo",
        "make",
        "tmux",
        "screen",
        "script",
        "xargs",
        "watch",
        "flock",
        "tini",
        "dumb-init",
        "systemd-run",
        "perf",
        "valgrind",
        "npm",
        "npx",
        "yarn",
        "pnpm",
        "omegachat-load",
    ];
    let wrapper = |name: &str| {
        WRAPPERS.contains(&name)
            || ["npm ", "npx ", "yarn ", "pnpm "]
                .iter()
                .any(|p| name.starts_with(p))
    };
    // npm runs on node but renames itself: the name decides over the executable.
    if wrapper(comm) || (wrapper(exe_name) && !SERVERS.contains(&comm)) {
        Kind::Wrapper
    } else if SERVERS.contains(&comm) || SERVERS.contains(&exe_name) {
        Kind::Server
    } else {
        Kind::Unknown
    }
}

/// Inodes of the sockets listening on `port` in one /proc/net/tcp{,6} table.
pub fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let local_port = u16::from_str_radix(f.get(1)?.rsplit_once(':')?.1, 16).ok()?;
            (local_port == port && *f.get(3)? == "0A").then(|| f.get(9)?.parse().ok())?
        })
        .collect()
}

/// Socket inodes among the open files of `pid`; none when they cannot be read.
fn socket_inodes(pid: u32) -> Option<HashSet<u64>> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(
        dir.flatten()
            .filter_map(|e| std::fs::read_link(e.path()).ok())
            .filter_map(|t| {
                let t = t.to_string_lossy().into_owned();
                t.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
            })
            .collect(),
    )
}

/// The port of an http(s) URL.
pub fn url_port(url: &str) -> Option<u16> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    match authority.rsplit_once(':') {
        Some((_, port)) if !port.ends_with(']') => port.parse().ok(),
        _ => Some(if scheme == "https" { 443 } else { 80 }),
    }
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map_or_else(|_| "?".into(), |c| c.trim().to_owned())
}

/// Whether `pid` is redis-server: an error when there is no such process.
pub fn check_redis_pid(pid: u32, problems: &mut Problems) -> Result<()> {
    if !PathBuf::from(format!("/proc/{pid}")).exists() {
        bail!("--redis-pid {pid}: no such process");
    }
    let comm = comm(pid);
    if comm.starts_with("redis-server") {
        eprintln!("redis: pid {pid} is `{comm}`");
    } else {
        Verdict::Fail(format!("--redis-pid {pid} is `{comm}`, not redis-server")).apply(problems);
    }
    Ok(())
}

/// Who `pid` is, among the servers at `urls`: an error when there is no such process;
/// otherwise a verdict, printed.
pub fn check_pid(pid: u32, urls: &[String], problems: &mut Problems) -> Result<()> {
    if !PathBuf::from(format!("/proc/{pid}")).exists() {
        bail!("--pid {pid}: no such process");
    }
    let comm = comm(pid);
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let exe_name = exe
        .as_ref()
        .and_then(|e| e.file_name())
        .map_or_else(String::new, |n| {
            n.to_string_lossy()
                .trim_end_matches(" (deleted)")
                .to_owned()
        });
    let shown = format!(
        "pid {pid} is `{comm}` ({})",
        exe.as_ref()
            .map_or_else(|| "exe unreadable".into(), |e| e.display().to_string())
    );
    // The node this pid serves, if any; otherwise the first URL's port says who does.
    let ports: Vec<u16> = urls.iter().filter_map(|u| url_port(u)).collect();
    let found = ports
        .iter()
        .map(|p| (Some(*p), listener(pid, *p)))
        .find(|(_, (holds, _))| *holds == Some(true));
    let (port, (holds, owner)) = found.unwrap_or_else(|| match ports.first() {
        Some(p) => (Some(*p), listener(pid, *p)),
        None => (None, (None, None)),
    });
    let owner = owner.map_or_else(String::new, |(p, c)| {
        format!("; pid {p} (`{c}`) does: pass --pid {p}")
    });
    let port = port.unwrap_or_default();
    let verdict = if pid == std::process::id() {
        Verdict::Fail(format!("{shown}: that is omegachat-load itself"))
    } else {
        match (holds, classify(&comm, &exe_name)) {
            (Some(true), _) => Verdict::Fine,
            (Some(false), _) => Verdict::Fail(format!(
                "{shown} and does not hold the socket listening on port {port}{owner}; its CPU and RSS are not the server's"
            )),
            (None, Kind::Wrapper) => Verdict::Fail(format!(
                "{shown}: a shell or wrapper, not the server (its CPU and RSS are not the server's)"
            )),
            (None, Kind::Unknown) => Verdict::Warn(format!(
                "{shown}: neither omegachatd nor node, and whether it serves port {port} could not be checked"
            )),
            (None, Kind::Server) => Verdict::Fine,
        }
    };
    if verdict == Verdict::Fine {
        let serves = if holds == Some(true) {
            format!(", listening on port {port}")
        } else {
            String::new()
        };
        eprintln!("daemon: {shown}{serves}");
    }
    verdict.apply(problems);
    Ok(())
}

/// Whether `pid` holds the listening socket of `port` (as seen in its own network namespace),
/// and, when it does not, who does. Unknown when nothing listens there or fds are unreadable.
fn listener(pid: u32, port: u16) -> (Option<bool>, Option<(u32, String)>) {
    let mut inodes = HashSet::new();
    for table in ["tcp", "tcp6"] {
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) {
            inodes.extend(listening_inodes(&text, port));
        }
    }
    if inodes.is_empty() {
        return (None, None);
    }
    let Some(own) = socket_inodes(pid) else {
        return (None, None);
    };
    if !own.is_disjoint(&inodes) {
        return (Some(true), None);
    }
    let owner = std::fs::read_dir("/proc").ok().and_then(|dir| {
        dir.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|p| socket_inodes(*p).is_some_and(|s| !s.is_disjoint(&inodes)))
            .map(|p| (p, comm(p)))
    });
    (Some(false), owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_wrappers_and_others_are_told_apart() {
        assert_eq!(classify("omegachatd", "omegachatd"), Kind::Server);
        assert_eq!(classify("node", "node"), Kind::Server);
        assert_eq!(classify("bash", "bash"), Kind::Wrapper);
        assert_eq!(classify("timeout", "timeout"), Kind::Wrapper);
        assert_eq!(classify("sleep", "sleep"), Kind::Wrapper);
        // npm is node under another name.
        assert_eq!(classify("npm start", "node"), Kind::Wrapper);
        assert_eq!(classify("npm", "node"), Kind::Wrapper);
        assert_eq!(classify("postgres", "postgres"), Kind::Unknown);
    }

    #[test]
    fn listening_sockets_are_found_by_port() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:469A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:469A 0100007F:B2C4 01 00000000:00000000 00:00000000 00000000     0        0 123457 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0
";
        assert_eq!(listening_inodes(table, 18074), vec![123456]);
        assert_eq!(listening_inodes(table, 22), vec![999]);
        assert!(listening_inodes(table, 80).is_empty());
    }

    #[test]
    fn url_ports() {
        assert_eq!(url_port("http://127.0.0.1:18080"), Some(18080));
        assert_eq!(url_port("http://localhost/"), Some(80));
        assert_eq!(url_port("https://chat.example"), Some(443));
        assert_eq!(url_port("http://[::1]:9000/x"), Some(9000));
        assert_eq!(url_port("http://[::1]"), Some(80));
    }

    #[test]
    fn no_cpu_for_real_work_fails_and_for_a_little_warns() {
        assert_eq!(cpu_verdict(1, 0.0, 0, "acked sends", 2500), Verdict::Fine);
        assert_eq!(
            cpu_verdict(1, 0.01, 5000, "acked sends", 2500),
            Verdict::Fine
        );
        assert!(matches!(
            cpu_verdict(1, 0.0, 5000, "acked sends", 2500),
            Verdict::Fail(_)
        ));
        assert!(matches!(
            cpu_verdict(1, 0.0, 10, "acked sends", 2500),
            Verdict::Warn(_)
        ));
    }

    #[test]
    fn unchanged_rss_with_many_sockets_fails() {
        assert_eq!(rss_verdict(1, 1888, 2400, 50), Verdict::Fine);
        assert!(matches!(rss_verdict(1, 1888, 1888, 5000), Verdict::Fail(_)));
        assert!(matches!(rss_verdict(1, 1888, 1800, 5000), Verdict::Fail(_)));
        assert!(matches!(rss_verdict(1, 1888, 1888, 50), Verdict::Warn(_)));
    }

    #[test]
    fn this_process_is_found_and_a_missing_pid_is_an_error() {
        let mut problems = Problems::default();
        assert!(check_pid(u32::MAX - 1, &["http://127.0.0.1:1".into()], &mut problems).is_err());
        check_pid(
            std::process::id(),
            &["http://127.0.0.1:1".into()],
            &mut problems,
        )
        .unwrap();
        assert_eq!(problems.0.len(), 1, "{problems:?}");
    }
}
