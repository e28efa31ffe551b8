//! omegactl against a stand-in daemon: the requests it sends, and how answers and errors reach
//! the operator and the exit status.

mod support;

use std::io::Write;
use std::process::Stdio;

use serde_json::json;
use support::{FakeDaemon, run};

fn alice() -> serde_json::Value {
    json!({
        "id": "u-1", "username": "alice", "email": "alice@example.org", "display_name": null,
        "disabled": false, "created_at": "2026-01-01T00:00:00Z", "last_seen": null
    })
}

fn health(status: &str) -> serde_json::Value {
    json!({
        "status": status, "version": "0.1.0", "pending_migrations": 0, "serving": true,
        "backends": [{"role": "database", "engine": "sqlite", "reachable": true, "latency_ms": 0.5, "error": null}]
    })
}

#[test]
fn health_exits_with_the_verdict() {
    for (status, code) in [("healthy", 0), ("degraded", 1), ("down", 2)] {
        let daemon = FakeDaemon::start(&[("GET /v1/health", 200, health(status))]);
        let out = run(daemon.omegactl(&["health"]));
        assert_eq!(out.code, code, "{status}: {}", out.stderr);
        assert!(
            out.stdout
                .contains(&format!("status:             {status}\n"))
        );
        assert!(
            out.stdout.contains("database  sqlite  yes        0.50 ms"),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn json_prints_the_daemons_answer() {
    let daemon = FakeDaemon::start(&[("GET /v1/health", 200, health("healthy"))]);
    let out = run(daemon.omegactl(&["--json", "health"]));
    assert_eq!(out.code, 0);
    let printed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(printed, health("healthy"));
    let sent = daemon.received();
    assert_eq!(sent[0].host.as_deref(), Some("localhost"));
}

#[test]
fn a_daemon_error_is_printed_with_its_code_and_exits_1() {
    let daemon = FakeDaemon::start(&[(
        "GET /v1/users/bob",
        404,
        json!({"error": {"code": "user_not_found", "message": "no user bob"}}),
    )]);
    let out = run(daemon.omegactl(&["user", "show", "bob"]));
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "omegactl: no user bob (user_not_found)\n");
}

#[test]
fn a_refused_uid_exits_2_with_the_daemons_message() {
    let daemon = FakeDaemon::start(&[(
        "GET /v1/status",
        403,
        json!({"error": {"code": "forbidden", "message": "uid 1000 is not allowed on the admin socket"}}),
    )]);
    let out = run(daemon.omegactl(&["status"]));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "omegactl: uid 1000 is not allowed on the admin socket (forbidden)\n"
    );
}

#[test]
fn deleting_with_yes_sends_only_the_delete() {
    let daemon = FakeDaemon::start(&[(
        "DELETE /v1/users/alice",
        200,
        json!({"user": alice(), "sockets_disconnected": 2}),
    )]);
    let out = run(daemon.omegactl(&["user", "delete", "alice", "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "deleted alice; 2 live connections closed\n");
    let lines: Vec<String> = daemon.received().into_iter().map(|r| r.line).collect();
    assert_eq!(lines, ["DELETE /v1/users/alice"]);
}

#[test]
fn a_piped_password_creates_the_user() {
    let daemon = FakeDaemon::start(&[("POST /v1/users", 200, alice())]);
    let mut child = daemon
        .omegactl(&[
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.org",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let out: support::Run = child.wait_with_output().unwrap().into();
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("created user alice\n"));
    let sent = daemon.received();
    assert_eq!(
        sent[0].body,
        Some(json!({
            "username": "alice", "email": "alice@example.org",
            "password": "correct horse", "display_name": null
        }))
    );
}

#[test]
fn listing_users_passes_the_filters_and_hints_at_the_next_page() {
    let daemon = FakeDaemon::start(&[(
        "GET /v1/users?prefix=al&limit=1&disabled=true",
        200,
        json!({"users": [alice()], "next_cursor": "c/2"}),
    )]);
    let out = run(daemon.omegactl(&[
        "user",
        "list",
        "--prefix",
        "al",
        "--limit",
        "1",
        "--disabled",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("USERNAME  ID   EMAIL"),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "more: omegactl user list --prefix al --limit 1 --disabled --cursor c/2\n"
    );
}

#[test]
fn retiring_old_keys_with_yes_asks_the_daemon_to() {
    let daemon = FakeDaemon::start(&[(
        "POST /v1/keys/rotate",
        200,
        json!({"new_kid": "k2", "retired": ["k1"], "sessions_logged_out": 4, "keys": []}),
    )]);
    let out = run(daemon.omegactl(&["keys", "rotate", "--retire-old", "--yes"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("sessions logged out: 4"),
        "{}",
        out.stdout
    );
    assert_eq!(daemon.received()[0].body, Some(json!({"retire_old": true})));
}

#[test]
fn a_relative_backup_path_is_sent_absolute() {
    let daemon = FakeDaemon::start(&[(
        "POST /v1/backup",
        200,
        json!({"path": "/x/b.db", "bytes": 2048}),
    )]);
    let out = run(daemon.omegactl(&["backup", "b.db"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "backup written to /x/b.db (2.0 KiB)\n");
    let sent = daemon.received()[0].body.clone().unwrap();
    let expected = daemon.dir.path().join("b.db");
    assert_eq!(sent["path"], expected.to_str().unwrap());
}

#[test]
fn an_answer_of_the_wrong_shape_exits_1_and_suggests_a_version_mismatch() {
    let daemon = FakeDaemon::start(&[("GET /v1/status", 200, json!({"version": "9.9"}))]);
    let out = run(daemon.omegactl(&["status"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("same version"), "{}", out.stderr);
}

#[test]
fn group_members_are_added_with_their_role() {
    let group = json!({
        "id": "g-1", "name": "Team", "description": null, "conversation_id": "c-1",
        "created_at": "2026-01-01T00:00:00Z",
        "members": [{"user_id": "u-1", "username": "alice", "role": "admin"}]
    });
    let daemon = FakeDaemon::start(&[("POST /v1/groups/g-1/members", 200, group)]);
    let out = run(daemon.omegactl(&["group", "add", "g-1", "alice", "--role", "admin"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        daemon.received()[0].body,
        Some(json!({"user": "alice", "role": "admin"}))
    );
}
