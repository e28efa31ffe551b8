//! Running the real `omegachatd` binary as a child process, as a sysadmin would, and reading
//! its JSON log: shared by the stories that need a process of its own (signals, exit status,
//! stderr), not an in-process daemon.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// `omegachatd` with no configuration and no runtime directories from the test's environment, run
/// in `dir` (a developer's `$XDG_RUNTIME_DIR` would get the test daemon's admin socket record,
/// replacing that of a daemon they run themselves).
pub(crate) fn daemon(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omegachatd"));
    // stdout is not inherited: a daemon left running by a failed test must not hold the test
    // runner's output pipe open (a `cargo test | tee` would wait for it forever).
    cmd.current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("RUNTIME_DIRECTORY")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OMEGACHAT_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The daemon's JSON log, read as it is written: every line is checked to be JSON (a panic's
/// report is not), and a reader thread keeps draining it so the daemon never writes to a closed
/// pipe.
pub(crate) struct DaemonLog {
    lines: std::sync::mpsc::Receiver<Result<Value, String>>,
    seen: Vec<Value>,
}

impl DaemonLog {
    /// Starts reading `child`'s stderr.
    pub(crate) fn of(child: &mut Child) -> DaemonLog {
        let stderr = child.stderr.take().expect("stderr piped");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let entry = serde_json::from_str::<Value>(&line)
                    .map_err(|e| format!("log line is not JSON ({e}): {line}"));
                if tx.send(entry).is_err() {
                    return;
                }
            }
        });
        DaemonLog {
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (10 s at most) for the entry whose message starts with `prefix`.
    pub(crate) fn wait_for(&mut self, prefix: &str) -> Value {
        loop {
            let entry = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| {
                    panic!("no log line starting with {prefix:?} in {:#?}", self.seen)
                })
                .unwrap_or_else(|e| panic!("{e}"));
            self.seen.push(entry.clone());
            if entry["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(prefix))
            {
                return entry;
            }
        }
    }

    /// The whole log, once the daemon has exited (its stderr closed).
    pub(crate) fn all(mut self) -> Vec<Value> {
        for entry in self.lines.iter() {
            self.seen.push(entry.unwrap_or_else(|e| panic!("{e}")));
        }
        self.seen
    }
}

/// Starts reading the daemon's log and waits until it says where it listens.
pub(crate) fn wait_for_listening(child: &mut Child) -> (String, DaemonLog) {
    let mut log = DaemonLog::of(child);
    let listening = log.wait_for("listening on ");
    let url = listening["fields"]["message"]
        .as_str()
        .unwrap()
        .trim_start_matches("listening on ")
        .to_owned();
    (url, log)
}

/// `POST url` with a JSON body (and a bearer token); asserts success, returns the JSON answer.
pub(crate) async fn post(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let mut request = http.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("JSON body")
}

/// Registers and logs in `name` on a daemon at `url`; its id and access token.
pub(crate) async fn account(http: &reqwest::Client, url: &str, name: &str) -> (i64, String) {
    let password = "a long enough password";
    let me = post(
        http,
        &format!("{url}/api/auth/register"),
        None,
        json!({"username": name, "email": format!("{name}@example.org"), "password": password}),
    )
    .await;
    let login = post(
        http,
        &format!("{url}/api/auth/login"),
        None,
        json!({"login": name, "password": password}),
    )
    .await;
    (
        me["id"].as_i64().unwrap(),
        login["access_token"].as_str().unwrap().to_owned(),
    )
}

pub(crate) fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

pub(crate) fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the daemon did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
