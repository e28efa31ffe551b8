//! Shared set-up for the tests: running the built `omegactl`, and a real omegachatd (built
//! in-process from its library, on a temporary data directory) for it to talk to.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::time::Duration;

use omegachat_contract::Config;
use omegachat_contract::runtime::RuntimeDirs;
use omegachatd::Application;
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// `omegactl ARGS` run from `cwd` with no terminal on stdin, none of the caller's OMEGACHAT_*
/// variables and no user runtime directory, so neither the host's configuration nor a daemon the
/// developer runs can leak into a test.
pub fn omegactl(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omegactl"));
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .env_remove("XDG_RUNTIME_DIR");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OMEGACHAT_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// What a finished run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }
}

pub fn run(mut cmd: Command) -> Run {
    cmd.output().expect("run omegactl").into()
}

/// A running omegachatd on a temporary data directory, stopped when dropped.
pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub base: String,
    pub rt: Runtime,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), omegachatd::StartupError>>>,
    http: reqwest::Client,
}

impl Daemon {
    /// A daemon on embedded SQLite with `adjust` applied to its configuration.
    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".parse().unwrap();
        config.database.data_dir = dir.path().join("data");
        adjust(&mut config);
        Self::start_config(dir, config)
    }

    pub fn start() -> Daemon {
        Self::start_with(|_| {})
    }

    pub fn start_config(dir: tempfile::TempDir, config: Config) -> Daemon {
        Self::start_in(dir, config, &RuntimeDirs::default())
    }

    /// A daemon given the runtime directories `dirs`, as `omegachatd` takes them from its
    /// environment (where it records its admin socket for omegactl).
    pub fn start_in(dir: tempfile::TempDir, config: Config, dirs: &RuntimeDirs) -> Daemon {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let app = rt
            .block_on(Application::build_in(config, dirs))
            .expect("the daemon starts");
        let base = format!("http://{}", app.local_addr());
        let socket = app.admin_socket().to_owned();
        let (tx, rx) = oneshot::channel::<()>();
        let server = rt.spawn(app.run_until(async move {
            let _ = rx.await;
        }));
        Daemon {
            dir,
            socket,
            base,
            rt,
            shutdown: Some(tx),
            server: Some(server),
            http: reqwest::Client::new(),
        }
    }

    /// `omegactl --socket <this daemon> ARGS`.
    pub fn omegactl(&self, args: &[&str]) -> Command {
        let mut cmd = omegactl(
            self.dir.path(),
            &["--socket", self.socket.to_str().unwrap()],
        );
        cmd.args(args);
        cmd
    }

    /// Runs `omegactl --json ARGS`, requires exit 0 and returns the parsed answer.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut cmd = self.omegactl(&["--json"]);
        cmd.args(args);
        let out = run(cmd);
        assert_eq!(out.code, 0, "omegactl {args:?} failed: {}", out.stderr);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("omegactl {args:?} printed no JSON ({e}): {}", out.stdout))
    }

    /// A public API request; returns the status and the JSON body (Null when there is none).
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.rt.block_on(async {
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = self.http.request(method, format!("{}{path}", self.base));
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("the daemon answers");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        })
    }

    /// Logs in over the public API and returns the access token.
    pub fn login(&self, login: &str, password: &str) -> String {
        let (status, body) = self.call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({ "login": login, "password": password })),
        );
        assert_eq!(status, 200, "login as {login}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// One raw HTTP/1.1 request on the admin socket, as `curl --unix-socket` would send it;
    /// returns the status and the JSON body.
    pub fn admin_raw(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        use std::io::{Read, Write};
        let mut stream = std::os::unix::net::UnixStream::connect(&self.socket).unwrap();
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let json = answer
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str(body).ok())
            .unwrap_or(Value::Null);
        (status, json)
    }

    /// Creates an account through omegactl, the password on stdin.
    pub fn create_user(&self, username: &str, password: &str) -> Value {
        let mut cmd = self.omegactl(&[
            "--json",
            "user",
            "create",
            username,
            "--email",
            &format!("{username}@example.org"),
            "--password-stdin",
        ]);
        let out = run_with_stdin(cmd.stdin(Stdio::piped()), &format!("{password}\n"));
        assert_eq!(out.code, 0, "user create {username}: {}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Let the daemon stop in order (and close its database) before the runtime and the temp
        // dir go away.
        if let Some(server) = self.server.take() {
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(15), server).await });
        }
    }
}

/// Runs `cmd` feeding `input` on its stdin.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Run {
    use std::io::Write;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn omegactl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().expect("omegactl runs").into()
}

/// Creates an empty database on the test PostgreSQL server (`OMEGACHAT_TEST_POSTGRES_URL`, which
/// `.ci/test` starts) and returns its URL. Without the variable the test fails rather than skip.
pub fn fresh_postgres_database() -> String {
    use sqlx::Connection;
    let admin_url = std::env::var("OMEGACHAT_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!("OMEGACHAT_TEST_POSTGRES_URL is not set: run the suite with .ci/test (which starts a throwaway PostgreSQL server)")
    });
    let name = format!(
        "omegactl_test_{}",
        std::process::id() as u64 * 1000 + rand_suffix()
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach the test PostgreSQL server at {admin_url}: {e}")
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
    });
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("the URL names a database");
    format!("{base}/{name}")
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
        % 1000
}
