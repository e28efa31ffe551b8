//! The stock npm `socket.io-client` (tests/node) against a real daemon on each engine.

use std::path::Path;

use crate::helpers::{Engine, spawn_app};
use crate::on_every_engine;

on_every_engine!(the_npm_socket_io_client_chats_through_the_daemon);

async fn the_npm_socket_io_client_chats_through_the_daemon(engine: Engine) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        dir.join("node_modules/socket.io-client").is_dir(),
        "tests/node has no node_modules: run `npm ci --prefix tests/node` (.ci/test does)"
    );
    let app = spawn_app(engine).await;
    let output = tokio::process::Command::new("node")
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg("chat.test.mjs")
        .current_dir(&dir)
        .env("OMEGACHAT_URL", &app.base)
        .output()
        .await
        .expect("node runs (install Node.js 18 or newer)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "node tests failed:\n{report}");
    assert!(
        report.contains("pass 4") && report.contains("fail 0"),
        "unexpected node report:\n{report}"
    );
}
