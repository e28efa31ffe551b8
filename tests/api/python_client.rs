//! The stock `python-socketio` client (Debian's python3-socketio, tests/python) against a real
//! daemon: the issue promises it connects unchanged, over WebSocket and long-polling.

use std::path::Path;

use crate::helpers::{Engine, spawn_app};

/// Debian's interpreter, which sees the python3-socketio package (a pyenv or venv one may not).
const PYTHON: &str = "/usr/bin/python3";

#[tokio::test]
async fn the_python_socketio_client_chats_through_the_daemon() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/chat_client.py");
    let app = spawn_app(Engine::Sqlite).await;
    let output = tokio::process::Command::new(PYTHON)
        .arg(&script)
        .env("OMEGACHAT_URL", &app.base)
        .output()
        .await
        .expect(
            "python3 runs (apt-get install python3-socketio python3-websocket python3-requests)",
        );
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "python-socketio client failed:\n{report}"
    );
    for line in [
        "ok: chat over websocket",
        "ok: chat over polling",
        "ok: a bad token is refused with a reason",
    ] {
        assert!(report.contains(line), "missing `{line}` in:\n{report}");
    }
}
