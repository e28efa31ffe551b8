//! Shared set-up for the end-to-end tests: running the built `omegactl`, and a stand-in daemon on
//! a Unix socket that answers canned JSON and records what it was sent.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// `omegactl ARGS` run from `cwd` with no terminal on stdin and none of the caller's OMEGACHAT_*
/// variables, so the host's configuration cannot leak into a test.
pub fn omegactl(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omegactl"));
    cmd.args(args).current_dir(cwd).stdin(Stdio::null());
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

/// One request as the stand-in daemon received it.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// `METHOD /path?query`
    pub line: String,
    pub host: Option<String>,
    pub body: Option<serde_json::Value>,
}

type Answers = HashMap<String, (u16, serde_json::Value)>;

/// A daemon stand-in: answers `METHOD /path?query` with canned JSON, 404 otherwise.
pub struct FakeDaemon {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeDaemon {
    pub fn start(answers: &[(&str, u16, serde_json::Value)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("admin.sock");
        let answers: Arc<Answers> = Arc::new(
            answers
                .iter()
                .map(|(line, status, body)| (line.to_string(), (*status, body.clone())))
                .collect(),
        );
        let received = Arc::new(Mutex::new(Vec::new()));
        let std_listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let log = received.clone();
        // The thread lives as long as the test process; each test has its own socket.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::UnixListener::from_std(std_listener).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    let (answers, log) = (answers.clone(), log.clone());
                    let service = hyper::service::service_fn(move |req| {
                        answer(req, answers.clone(), log.clone())
                    });
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        FakeDaemon {
            dir,
            socket,
            received,
        }
    }

    /// The requests so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
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
}

async fn answer(
    req: Request<Incoming>,
    answers: Arc<Answers>,
    log: Arc<Mutex<Vec<Received>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let line = format!("{} {}", req.method(), req.uri());
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let bytes = req.into_body().collect().await.unwrap().to_bytes();
    let body = (!bytes.is_empty()).then(|| serde_json::from_slice(&bytes).expect("a JSON body"));
    log.lock().unwrap().push(Received {
        line: line.clone(),
        host,
        body,
    });
    let (status, json) = answers.get(&line).cloned().unwrap_or_else(|| {
        (
            404,
            serde_json::json!({"error": {"code": "not_found", "message": format!("no route {line}")}}),
        )
    });
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(json.to_string())))
        .unwrap())
}
