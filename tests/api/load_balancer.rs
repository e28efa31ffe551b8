//! Node loss behind the real load balancer: two `omegachatd` processes on one PostgreSQL database
//! and one Redis, behind HAProxy running the shipped deploy/haproxy.cfg as it is, with stock
//! socket.io-client clients (tests/node/lb-failover.mjs). The node holding the clients is
//! killed with SIGKILL; the clients reconnect through HAProxy to the survivor and send again what
//! was not acknowledged; REST then shows every message stored exactly once.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{ChildStdin, ChildStdout};

use crate::helpers::{fresh_postgres_database, test_redis};
use crate::process::{DaemonLog, account, daemon, post, wait_for_listening};

/// Longest wait for any one step; only reached when something is broken.
const STEP: Duration = Duration::from_secs(60);

/// A daemon process, killed when the test ends however it ends.
struct Node {
    child: Child,
    url: String,
    _log: DaemonLog,
    _dir: tempfile::TempDir,
}

impl Node {
    /// `omegachatd` on a loopback port of its own, on the shared database and Redis, trusting
    /// the load balancer (which reaches it from 127.0.0.1) to name its clients.
    fn start(database_url: &str, (redis_url, prefix): (&str, &str)) -> Node {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = daemon(dir.path())
            .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
            .env("OMEGACHAT_SERVER__TRUSTED_PROXIES", r#"["127.0.0.1"]"#)
            .env("OMEGACHAT_DATABASE__URL", database_url)
            .env("OMEGACHAT_DATABASE__AUTO_MIGRATE", "true")
            .env("OMEGACHAT_REDIS__URL", redis_url)
            .env("OMEGACHAT_REDIS__KEY_PREFIX", prefix)
            .env("OMEGACHAT_LOG__FORMAT", "json")
            .stderr(Stdio::piped())
            .spawn()
            .expect("omegachatd starts");
        let (url, log) = wait_for_listening(&mut child);
        Node {
            child,
            url,
            _log: log,
            _dir: dir,
        }
    }

    fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal}");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy running deploy/haproxy.cfg, its addresses given through the variables the file reads.
struct Haproxy {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Haproxy {
    fn start(nodes: [&Node; 2]) -> Haproxy {
        let binary = haproxy_binary();
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/haproxy.cfg");
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("haproxy.log");
        let output = std::fs::File::create(&log).expect("log file");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new(binary)
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .env("OMEGACHAT_LB_BIND", format!("127.0.0.1:{port}"))
            .env("OMEGACHAT_NODE1", nodes[0].address())
            .env("OMEGACHAT_NODE2", nodes[1].address())
            .env("OMEGACHAT_LB_LOG", "stderr")
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("log file"))
            .stderr(output)
            .spawn()
            .expect("haproxy starts");
        Haproxy {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// The end of what HAProxy logged (requests, health checks, servers going down), for
    /// failure messages.
    fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// The node that answers `/readyz` for this machine's address, once HAProxy answers at all.
    async fn node_serving_us(&mut self, http: &reqwest::Client) -> String {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("haproxy exited ({status}):\n{}", self.log());
            }
            if let Ok(response) = http.get(format!("{}/readyz", self.url)).send().await {
                if response.status().is_success() {
                    let node = response
                        .headers()
                        .get("x-omegachat-node")
                        .map(|v| v.to_str().expect("a node name").to_owned());
                    return node.unwrap_or_else(|| {
                        panic!("deploy/haproxy.cfg names no node in X-Omegachat-Node")
                    });
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "HAProxy never served /readyz:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's `haproxy` (in /usr/sbin, which is not on every user's PATH). Missing, the test fails
/// rather than skip: a load-balancer story that silently did not run would prove nothing.
fn haproxy_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join("haproxy"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("HAProxy is missing: apt-get install haproxy (.ci/run does)"))
}

/// The Node clients, spoken to over their stdin and stdout.
struct Clients {
    child: tokio::process::Child,
    stdin: ChildStdin,
    events: Lines<BufReader<ChildStdout>>,
}

impl Clients {
    fn start(lb: &str, clients: &Value, conversation: &str) -> Clients {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
        assert!(
            dir.join("node_modules/socket.io-client").is_dir(),
            "tests/node has no node_modules: run `npm ci --prefix tests/node` (.ci/test does)"
        );
        let mut child = tokio::process::Command::new("node")
            .arg("lb-failover.mjs")
            .current_dir(&dir)
            .env("OMEGACHAT_URL", lb)
            .env("OMEGACHAT_CLIENTS", clients.to_string())
            .env("OMEGACHAT_CONVERSATION", conversation)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (install Node.js 18 or newer)");
        let stdin = child.stdin.take().expect("stdin piped");
        let events = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
        Clients {
            child,
            stdin,
            events,
        }
    }

    /// Waits for the clients to report `event`; returns the report.
    async fn next(&mut self, event: &str, haproxy: &Haproxy) -> Value {
        let line = tokio::time::timeout(STEP, self.events.next_line())
            .await
            .unwrap_or_else(|_| panic!("no {event:?} from the clients:\n{}", haproxy.log()))
            .expect("reading the clients' output")
            .unwrap_or_else(|| panic!("the clients exited before {event:?}"));
        let report: Value = serde_json::from_str(&line).expect("the clients print JSON lines");
        assert_eq!(report["event"], event, "{report}\n{}", haproxy.log());
        report
    }

    async fn tell(&mut self, command: &str) {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .expect("the clients read their commands");
    }
}

/// Every message of `conversation` over REST, newest first, page by page.
async fn all_messages(
    http: &reqwest::Client,
    lb: &str,
    token: &str,
    conversation: &str,
) -> Vec<Value> {
    let mut messages: Vec<Value> = Vec::new();
    loop {
        let before = messages
            .last()
            .map(|m| format!("&before={}", m["message_id"].as_str().unwrap()))
            .unwrap_or_default();
        let url = format!("{lb}/api/conversations/{conversation}/messages?limit=100{before}");
        let response = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        let page: Vec<Value> = response.json().await.expect("a JSON page");
        let last_page = page.len() < 100;
        messages.extend(page);
        if last_page {
            return messages;
        }
    }
}

#[tokio::test]
async fn clients_of_a_killed_node_reconnect_through_haproxy_and_nothing_acknowledged_is_lost_or_doubled()
 {
    let database_url = fresh_postgres_database().await;
    let (redis_url, prefix) = test_redis();
    let first = Node::start(&database_url, (&redis_url, &prefix));
    let second = Node::start(&database_url, (&redis_url, &prefix));
    let mut nodes = HashMap::from([("node1", first), ("node2", second)]);
    let mut haproxy = Haproxy::start([&nodes["node1"], &nodes["node2"]]);
    let http = reqwest::Client::new();
    let lb = haproxy.url.clone();
    // HAProxy picks the node from the client's address: every client of this test (all on
    // 127.0.0.1) lands on the node that answers this request.
    let doomed = haproxy.node_serving_us(&http).await;

    let (_, ann_token) = account(&http, &lb, "ann").await;
    let (ben, ben_token) = account(&http, &lb, "ben").await;
    let (cat, cat_token) = account(&http, &lb, "cat").await;
    let group = post(
        &http,
        &format!("{lb}/api/groups"),
        Some(&ann_token),
        json!({"name": "Failover", "member_ids": [ben, cat]}),
    )
    .await;
    let conversation = group["conversation_id"].as_str().unwrap().to_owned();
    // One client per transport: WebSocket only, polling upgraded to WebSocket, and polling only
    // (a series of HTTP requests that all have to reach the node holding its session).
    let specs = json!([
        {"name": "ann", "token": ann_token, "transports": ["websocket"]},
        {"name": "ben", "token": ben_token, "transports": ["polling", "websocket"]},
        {"name": "cat", "token": cat_token, "transports": ["polling"]},
    ]);
    let mut clients = Clients::start(&lb, &specs, &conversation);
    clients.next("acked", &haproxy).await;

    // Stopped first, so the next messages reach a node that cannot answer them; then killed.
    let node = nodes.remove(doomed.as_str()).expect("a node of ours");
    node.signal("-STOP");
    clients.tell("frozen").await;
    clients.next("sent", &haproxy).await;
    drop(node);
    clients.tell("killed").await;
    let done = clients.next("done", &haproxy).await;
    let status = tokio::time::timeout(STEP, clients.child.wait()).await;
    assert!(
        matches!(status, Ok(Ok(s)) if s.success()),
        "the clients failed: {status:?}"
    );

    let survivor = haproxy.node_serving_us(&http).await;
    assert_ne!(
        survivor, doomed,
        "HAProxy still sends us to the killed node"
    );
    let report = &done["clients"];
    for name in ["ann", "ben", "cat"] {
        let client = &report[name];
        assert!(
            client["reconnects"].as_u64().unwrap() >= 1,
            "{name} was not on the killed node: {client}"
        );
        assert_eq!(client["refused"], json!([]), "{name}: {client}");
        for i in 0..3 {
            let id = format!("{name}-in-flight-{i}");
            assert!(
                client["unacked_at_disconnect"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(id)),
                "{id} was acknowledged by a stopped node? {client}"
            );
            assert!(
                client["emits"][&id].as_u64().unwrap() >= 2,
                "{id} was not sent again after reconnecting: {client}"
            );
        }
    }
    assert_eq!(report["cat"]["transport"], "polling", "{report}");
    assert_eq!(report["ann"]["transport"], "websocket", "{report}");

    // Over REST, through the load balancer (so on the survivor): every message sent is stored
    // once, as the message its ack named.
    let stored = all_messages(&http, &lb, &ben_token, &conversation).await;
    let mut by_client_id: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for message in &stored {
        if let Some(id) = message["client_msg_id"].as_str() {
            by_client_id.entry(id.to_owned()).or_default().push(message);
        }
    }
    let mut expected = 0;
    for name in ["ann", "ben", "cat"] {
        let client = &report[name];
        for id in client["sent"].as_array().unwrap() {
            let id = id.as_str().unwrap();
            expected += 1;
            let copies = by_client_id.get(id).map_or(0, Vec::len);
            assert_eq!(copies, 1, "{id} is stored {copies} times");
            assert_eq!(
                by_client_id[id][0]["message_id"], client["acks"][id],
                "{id}: the ack named another message than the one stored"
            );
        }
    }
    assert_eq!(expected, 3 * (5 + 3 + 3));
    assert_eq!(
        by_client_id.len(),
        expected,
        "stored messages nobody sent: {:?}",
        by_client_id.keys()
    );
}
