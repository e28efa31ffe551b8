//! SIGHUP while the daemon waits for `omegactl migrate up`: what the reload applied is what the
//! services start with once the schema is current.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::process::{account, daemon, post, terminate, wait_for_listening, wait_with_timeout};

/// `POST path` on the admin socket; the status code.
async fn admin_post(socket: &std::path::Path, path: &str) -> u16 {
    let mut stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    stream
        .write_all(
            format!("POST {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

#[tokio::test]
async fn a_send_limit_reloaded_while_migrations_are_pending_is_the_one_the_services_start_with() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("omegachat.toml");
    let write_config = |limit: u32| {
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\n[database]\nauto_migrate = false\n[log]\nformat = \"json\"\n[chat]\nsends_per_user_per_minute = {limit}\n"
            ),
        )
        .unwrap();
    };
    write_config(1);
    let mut child = daemon(dir.path())
        .arg("--config")
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .expect("daemon starts");
    let (base, mut log) = wait_for_listening(&mut child);

    write_config(3);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    log.wait_for("configuration reloaded");
    let socket = dir.path().join("data/admin.sock");
    assert_eq!(admin_post(&socket, "/v1/migrations/apply").await, 200);

    let http = reqwest::Client::new();
    let (_, rita) = account(&http, &base, "rita").await;
    let (sam, _) = account(&http, &base, "sam").await;
    let conversation = post(
        &http,
        &format!("{base}/api/conversations/direct"),
        Some(&rita),
        json!({"user_id": sam}),
    )
    .await;
    let path = format!(
        "{base}/api/conversations/{}/messages",
        conversation["conversation_id"].as_str().unwrap()
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let status = http
            .post(&path)
            .bearer_auth(&rita)
            .json(&json!({"content": "hello"}))
            .send()
            .await
            .unwrap()
            .status();
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::CREATED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "the reloaded limit (3 a minute) applies, not the one the daemon started with (1)"
    );
    terminate(&child);
    assert!(wait_with_timeout(&mut child, Duration::from_secs(15)).success());
}
