//! SIGTERM while clients are busy: what had arrived is stored and acknowledged, the rest is
//! refused with a reason the client can act on, and an orderly stop logs no error.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::process::{account, daemon, post, terminate, wait_for_listening, wait_with_timeout};
use crate::socket_client::SocketClient;

struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_burst_of_sends_loses_nothing_and_logs_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = daemon(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("OMEGACHAT_LOG__FORMAT", "json")
        .env("OMEGACHAT_CHAT__SENDS_PER_USER_PER_MINUTE", "100000")
        .stderr(Stdio::piped())
        .spawn()
        .expect("omegachatd starts");
    let (url, log) = wait_for_listening(&mut child);
    // Stops the daemon if an assertion fails before it is told to.
    let guard = KillOnDrop(child.id());
    let http = reqwest::Client::new();
    let (_, ann) = account(&http, &url, "ann").await;
    let (ben_id, _) = account(&http, &url, "ben").await;
    let conv = post(
        &http,
        &format!("{url}/api/conversations/direct"),
        Some(&ann),
        json!({"user_id": ben_id}),
    )
    .await["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let socket = Arc::new(SocketClient::connect(&url, Some(&ann)).await.unwrap());

    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..200 {
        let (socket, conv, answers) = (socket.clone(), conv.clone(), answers.clone());
        tokio::spawn(async move {
            let payload = json!({"conversation_id": conv, "client_msg_id": format!("m{i}"), "content": format!("message {i}")});
            let _ = answers.send(socket.call("send_message", payload).await);
        });
    }
    drop(answers);
    let first = answered.recv().await.expect("a first ack");
    terminate(&child);
    let mut outcomes = vec![first];
    while let Some(ack) = answered.recv().await {
        outcomes.push(ack);
    }
    let status =
        tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, Duration::from_secs(15)))
            .await
            .unwrap();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    std::mem::forget(guard);

    // Sent before the signal, so they reached the daemon: each is stored and acknowledged, or
    // refused with `shutting_down` (and sent again by the client after reconnecting).
    assert_eq!(
        outcomes.len(),
        200,
        "every send got an answer before the socket closed"
    );
    for ack in &outcomes {
        let refused = ack["error"]["code"] == "shutting_down";
        assert!(
            ack["ok"] == true || refused,
            "a send failed instead of being stored or refused for the shutdown: {ack}"
        );
    }
    // Every line is JSON (a panic's report is not, and fails the join), and from the signal on
    // nothing is an error or a warning.
    let log = log.all();
    let complaints: Vec<&Value> = log
        .iter()
        .skip_while(|entry| entry["fields"]["message"] != "received SIGTERM")
        .filter(|entry| matches!(entry["level"].as_str(), Some("ERROR") | Some("WARN")))
        .collect();
    assert!(
        log.iter()
            .any(|entry| entry["fields"]["message"] == "stopped"),
        "the daemon says it stopped"
    );
    assert!(
        complaints.is_empty(),
        "an orderly shutdown logs no error or warning: {complaints:#?}"
    );
}
