//! The daemon as a sysadmin meets it: first start, probes, logs, bad config, shutdown.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Engine, error_of, spawn_app, spawn_app_with};
use crate::process::{daemon, terminate, wait_for_listening, wait_with_timeout};

#[tokio::test]
async fn a_fresh_machine_runs_the_daemon_with_no_config_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = daemon(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("OMEGACHAT_LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("omegachatd starts");
    let (url, log_reader) = wait_for_listening(&mut child);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let ready: Value = reqwest::get(format!("{url}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"]["engine"], "sqlite");
    let data = dir.path().join("data");
    assert!(
        data.join("omegachat.db").is_file(),
        "the embedded database is created in ./data"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700,
        "data dir is private"
    );

    terminate(&child);
    let status =
        tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, Duration::from_secs(15)))
            .await
            .unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    log_reader.all();
}

/// Thread names of a running process, from /proc.
fn thread_names(pid: u32) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|task| {
            let comm = task.unwrap().path().join("comm");
            std::fs::read_to_string(comm).unwrap().trim().to_owned()
        })
        .collect()
}

/// `server.worker_threads` sets the runtime's threads; message appends have a thread of their
/// own on the embedded database (issue 14: what one message costs depends on both).
#[tokio::test]
async fn the_daemon_runs_the_configured_runtime_threads_and_one_sqlite_writer() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = daemon(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("OMEGACHAT_SERVER__WORKER_THREADS", "3")
        .env("OMEGACHAT_LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("omegachatd starts");
    let (_url, log_reader) = wait_for_listening(&mut child);
    let names = thread_names(child.id());
    let count = |name: &str| names.iter().filter(|n| *n == name).count();
    assert_eq!(count("tokio-rt-worker"), 3, "{names:?}");
    assert_eq!(count("sqlite-writer"), 1, "{names:?}");
    terminate(&child);
    let status =
        tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, Duration::from_secs(15)))
            .await
            .unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    log_reader.all();
}

#[test]
fn a_bad_config_stops_start_up_with_status_2_naming_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("omegachat.toml"), "[server]\nlisten = 5\n").unwrap();
    let out = daemon(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("server.listen") && stderr.contains("line 2"),
        "{stderr}"
    );

    let out = daemon(dir.path()).arg("--check-config").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "--check-config refuses it too");

    std::fs::write(dir.path().join("good.toml"), "[log]\nlevel = \"debug\"\n").unwrap();
    let out = daemon(dir.path())
        .args(["--check-config", "--config", "good.toml"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("good.toml"));

    let out = daemon(dir.path())
        .env("OMEGACHAT_SERVER__SHUTDOWN_GRACE_MS", "soon")
        .arg("--check-config")
        .arg("--config")
        .arg("good.toml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("OMEGACHAT_SERVER__SHUTDOWN_GRACE_MS"));
}

/// Messages never fall back to the main database: a cluster that cannot be reached stops the
/// start, naming it (runs without a node: the port is closed).
#[tokio::test]
async fn a_daemon_whose_messages_cluster_is_unreachable_refuses_to_start_naming_it() {
    let mut config = omegachat_contract::Config::default();
    config.database.url = crate::helpers::fresh_postgres_database().await;
    config.messages.url = "scylla://127.0.0.1:1/omegachat".into();
    config.messages.local_datacenter = "dc1".into();
    config.messages.connect_timeout_ms = 500;
    config.validate().expect("a valid scaled-out configuration");
    let Err(err) = omegachatd::Application::build(config).await else {
        panic!("started without its messages cluster");
    };
    let message = err.to_string();
    assert!(
        message.contains("messages cluster") && message.contains("127.0.0.1:1"),
        "{message}"
    );
}

#[tokio::test]
async fn probes_unknown_routes_and_request_ids_answer_as_documented() {
    let app = spawn_app(Engine::Sqlite).await;
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        health.headers().contains_key("x-request-id"),
        "every response carries a request id"
    );
    let echoed = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");

    // Clients learn the limits they must respect without a token.
    let server: Value = app
        .http
        .get(app.url("/api/server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(server["limits"]["max_message_bytes"], 16 * 1024);
    assert_eq!(server["limits"]["sends_per_user_per_minute"], 600);
    assert_eq!(server["features"]["link_previews"], true);
    assert_eq!(server["version"], env!("CARGO_PKG_VERSION"));

    let (status, error) = error_of(app.http.get(app.url("/api/nope")).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, error) = error_of(
        app.http
            .delete(app.url("/api/auth/login"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );

    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.stores.health.close().await;
    let (status, error) = error_of(app.http.get(app.url("/readyz")).send().await.unwrap()).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready"))
    );
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "alive though not ready"
    );
}

/// Sends a login request's head and part of its body, leaving it in flight. The head asks for
/// `100 Continue`, which the server sends when the handler starts reading the body: once it has
/// arrived the request is in flight, not a connection that might still be idle.
async fn half_sent_login(addr: &str) -> (TcpStream, String) {
    let body = r#"{"login":"nobody","password":"whatever-pass"}"#.to_owned();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/auth/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let interim = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut got = vec![0u8; interim.len()];
    stream.read_exact(&mut got).await.unwrap();
    assert_eq!(got, interim, "{}", String::from_utf8_lossy(&got));
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    (stream, body[10..].to_owned())
}

#[tokio::test]
async fn shutdown_stops_accepting_but_finishes_requests_in_flight() {
    let mut app = spawn_app(Engine::Sqlite).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (mut stream, rest) = half_sent_login(&addr).await;

    app.begin_shutdown();
    let mut refused = false;
    for _ in 0..100 {
        if TcpStream::connect(&addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "new connections are refused once shutdown begins");

    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "the in-flight request got its answer: {response}"
    );
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("daemon exits after in-flight requests");
}

#[tokio::test]
async fn shutdown_gives_up_on_requests_that_outlast_the_grace_period() {
    let mut app = spawn_app_with(Engine::Sqlite, |c| c.server.shutdown_grace_ms = 300).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (_stream, _never_sent) = half_sent_login(&addr).await;
    app.begin_shutdown();
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the grace period bounds shutdown");
}

#[tokio::test]
async fn the_daemon_survives_losing_its_log_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = daemon(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("OMEGACHAT_LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .expect("omegachatd starts");
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("a log line").expect("readable");
        let entry: Value = serde_json::from_str(&line).unwrap();
        if let Some(url) = entry["fields"]["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("listening on "))
        {
            break url.to_owned();
        }
    };
    // The reader of the daemon's log goes away (a log collector restarting, a closed pipe).
    drop(lines);
    for _ in 0..3 {
        let response = reqwest::get(format!("{url}/healthz"))
            .await
            .expect("the daemon still answers");
        assert_eq!(response.status(), StatusCode::OK);
    }
    terminate(&child);
    let status =
        tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, Duration::from_secs(15)))
            .await
            .unwrap();
    assert!(status.success(), "exit status: {status:?}");
}

/// `systemctl reload` sends SIGHUP: the send rate limit changes without a restart, and a broken
/// file is refused while the daemon keeps running on what it had.
#[tokio::test]
async fn sighup_reloads_the_send_rate_limit_and_refuses_a_broken_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("omegachat.toml");
    let write_config = |limit: &str| {
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[log]\nformat = \"json\"\n[chat]\nsends_per_user_per_minute = {limit}\n"
            ),
        )
        .unwrap();
    };
    write_config("2");
    let mut child = daemon(dir.path())
        .arg("--config")
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .expect("daemon starts");
    let (base, mut log) = wait_for_listening(&mut child);
    let http = reqwest::Client::new();
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for name in ["rita", "sam"] {
        let password = "reload-test-password";
        let created: Value = http
            .post(format!("{base}/api/auth/register"))
            .json(&serde_json::json!({"username": name, "email": format!("{name}@example.org"), "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(created["id"].as_i64().unwrap());
        let login: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&serde_json::json!({"login": name, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(login["access_token"].as_str().unwrap().to_owned());
    }
    let conversation: Value = http
        .post(format!("{base}/api/conversations/direct"))
        .bearer_auth(&tokens[0])
        .json(&serde_json::json!({"user_id": ids[1]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path = format!(
        "{base}/api/conversations/{}/messages",
        conversation["conversation_id"].as_str().unwrap()
    );
    let send = || async {
        http.post(&path)
            .bearer_auth(&tokens[0])
            .json(&serde_json::json!({"content": "hello"}))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(send().await, StatusCode::CREATED);
    assert_eq!(send().await, StatusCode::CREATED);
    assert_eq!(send().await, StatusCode::TOO_MANY_REQUESTS);

    let pid = child.id().to_string();
    let hangup = || {
        let status = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
        assert!(status.success());
    };
    // A broken file changes nothing and stops nothing.
    std::fs::write(&config, "[chat]\nsends_per_user_per_minute = \"many\"\n").unwrap();
    hangup();
    log.wait_for("reload refused");
    assert_eq!(send().await, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon exited on a bad reload"
    );

    write_config("100");
    hangup();
    log.wait_for("configuration reloaded");
    assert_eq!(
        send().await,
        StatusCode::CREATED,
        "the reloaded limit applies"
    );
    terminate(&child);
    assert!(wait_with_timeout(&mut child, Duration::from_secs(15)).success());
}
