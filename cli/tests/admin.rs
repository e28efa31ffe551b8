//! omegactl against a real omegachatd: every command, its `--json` answer, exit statuses, and
//! what the change does to users of the public API and the real-time socket.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use support::{Daemon, run, run_with_stdin};
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "correct horse battery";

#[test]
fn health_and_status_report_a_serving_daemon() {
    let daemon = Daemon::start();
    let health = daemon.json(&["health"]);
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["serving"], true);
    assert_eq!(health["pending_migrations"], 0);
    assert_eq!(health["backends"][0]["engine"], "sqlite");
    assert_eq!(health["backends"][0]["reachable"], true);
    let human = run(daemon.omegactl(&["health"]));
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(human.stdout.contains("healthy"), "{}", human.stdout);

    daemon.create_user("ann", PASSWORD);
    let token = daemon.login("ann", PASSWORD);
    let (status, _) = daemon.call(
        "POST",
        "/api/conversations/direct",
        Some(&token),
        Some(json!({ "user_id": daemon.json(&["user", "show", "ann"])["id"].as_str().unwrap().parse::<i64>().unwrap() })),
    );
    // A conversation with oneself is refused or allowed depending on policy; either way it answers.
    assert!(status < 500);
    let status = daemon.json(&["status"]);
    assert_eq!(status["engine"], "sqlite");
    assert!(status["uptime_secs"].as_u64().is_some());
    assert_eq!(status["sockets"], 0);
}

#[test]
fn user_lifecycle_and_its_effect_on_sessions() {
    let daemon = Daemon::start();
    let created = daemon.create_user("alice", PASSWORD);
    assert_eq!(created["username"], "alice");
    assert_eq!(created["disabled"], false);
    daemon.create_user("bob", PASSWORD);

    let list = daemon.json(&["user", "list", "--limit", "1"]);
    assert_eq!(list["users"].as_array().unwrap().len(), 1);
    assert_eq!(list["users"][0]["username"], "alice");
    let cursor = list["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let page2 = daemon.json(&["user", "list", "--limit", "1", "--cursor", &cursor]);
    assert_eq!(page2["users"][0]["username"], "bob");
    let filtered = daemon.json(&["user", "list", "--prefix", "bo"]);
    assert_eq!(filtered["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        daemon.json(&["user", "show", "alice"])["email"],
        "alice@example.org"
    );

    // logout: the old token stops working, a new login works.
    let token = daemon.login("alice", PASSWORD);
    assert_eq!(
        daemon.call("GET", "/api/users/me", Some(&token), None).0,
        200
    );
    daemon.json(&["user", "logout", "alice"]);
    assert_eq!(
        daemon.call("GET", "/api/users/me", Some(&token), None).0,
        401
    );
    let token = daemon.login("alice", PASSWORD);

    // disable: the token dies, login is refused; enable lets them back in.
    let disabled = daemon.json(&["user", "disable", "alice"]);
    assert_eq!(disabled["user"]["disabled"], true);
    assert_eq!(
        daemon.call("GET", "/api/users/me", Some(&token), None).0,
        401
    );
    let (status, _) = daemon.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"login": "alice", "password": PASSWORD})),
    );
    assert_eq!(status, 403);
    assert_eq!(
        daemon.json(&["user", "list", "--disabled"])["users"][0]["username"],
        "alice"
    );
    daemon.json(&["user", "enable", "alice"]);
    daemon.login("alice", PASSWORD);

    // passwd: the new password works, the old one does not.
    let mut cmd = daemon.omegactl(&["--json", "user", "passwd", "alice", "--password-stdin"]);
    let out = run_with_stdin(
        cmd.stdin(std::process::Stdio::piped()),
        "a brand new secret\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    daemon.login("alice", "a brand new secret");
    let (status, _) = daemon.call(
        "POST",
        "/api/auth/login",
        None,
        Some(json!({"login": "alice", "password": PASSWORD})),
    );
    assert_eq!(status, 401);

    // delete: without a terminal it needs --yes; afterwards the account is gone.
    let refused = run(daemon.omegactl(&["user", "delete", "alice"]));
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    let deleted = daemon.json(&["--yes", "user", "delete", "alice"]);
    assert_eq!(deleted["user"]["username"], "alice");
    let gone = run(daemon.omegactl(&["user", "show", "alice"]));
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("not found"), "{}", gone.stderr);
    let remaining = daemon.json(&["user", "list"]);
    assert_eq!(
        remaining["users"].as_array().unwrap().len(),
        1,
        "{remaining}"
    );
    // The e-mail address is free again.
    daemon.create_user("alice", PASSWORD);

    // Errors: a bad password is the daemon's validation message, exit 1.
    let mut cmd = daemon.omegactl(&[
        "user",
        "create",
        "carol",
        "--email",
        "c@example.org",
        "--password-stdin",
    ]);
    let out = run_with_stdin(cmd.stdin(std::process::Stdio::piped()), "short\n");
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("password"), "{}", out.stderr);

    // Every change above is in the audit log, newest first, with the caller's uid.
    let audit = daemon.json(&["audit", "--limit", "100"]);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"POST /v1/users"));
    for expected in [
        "POST /v1/users/alice/logout",
        "POST /v1/users/alice/disable",
        "POST /v1/users/alice/enable",
        "PUT /v1/users/alice/password",
        "DELETE /v1/users/alice",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let uid = nix_uid();
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["uid"] == uid)
    );
    assert_eq!(
        audit["entries"][0]["outcome"], "password_too_short",
        "{}",
        audit["entries"][0]
    );
}

fn nix_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// Connects a Socket.IO client (Engine.IO v4 over WebSocket) authenticated with `token`.
async fn live_socket(
    base: &str,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with('0'), "{open:?}");
    ws.send(Message::text(format!("40{}", json!({ "token": token }))))
        .await
        .unwrap();
    loop {
        let packet = ws.next().await.unwrap().unwrap();
        match packet.to_text().unwrap() {
            // A ping may come first; answering keeps the session alive.
            "2" => ws.send(Message::text("3")).await.unwrap(),
            text if text.starts_with("40") => return ws,
            other => panic!("unexpected packet before the connect ack: {other}"),
        }
    }
}

/// Waits for the server to end the Socket.IO session (`41`, a close frame or the end of the stream)
/// and returns the events it sent first.
async fn closed_by_server(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return seen,
            Some(Ok(Message::Text(text))) if text.as_str() == "41" => return seen,
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                ws.send(Message::text("3")).await.unwrap();
            }
            Some(Ok(Message::Text(text))) => seen.push(text.to_string()),
            Some(Ok(_)) => {}
        }
    }
}

#[test]
fn disable_and_logout_drop_live_sockets_within_a_second() {
    let daemon = Daemon::start();
    daemon.create_user("dora", PASSWORD);
    daemon.create_user("eve", PASSWORD);
    for (user, command) in [("dora", "disable"), ("eve", "logout")] {
        let token = daemon.login(user, PASSWORD);
        let mut ws = daemon.rt.block_on(live_socket(&daemon.base, &token));
        let revoked = daemon.json(&["user", command, user]);
        assert_eq!(revoked["sockets_disconnected"], 1, "{revoked}");
        let events = daemon
            .rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(1), closed_by_server(&mut ws)).await
            })
            .unwrap_or_else(|_| {
                panic!("{user}'s socket was still open a second after `user {command}`")
            });
        assert!(
            events.iter().any(|e| e.contains("session_revoked")),
            "{user} was not told why: {events:?}"
        );
    }
}

#[test]
fn rotated_keys_keep_old_tokens_and_retired_keys_reject_them() {
    let daemon = Daemon::start();
    daemon.create_user("fred", PASSWORD);
    let old_token = daemon.login("fred", PASSWORD);
    let first = daemon.json(&["keys", "list"]);
    let old_kid = first["keys"][0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(first["keys"][0]["state"], "active");
    assert_eq!(first["keys"][0]["live_sessions"], 1);

    let rotated = daemon.json(&["keys", "rotate"]);
    let new_kid = rotated["new_kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    assert_eq!(rotated["sessions_logged_out"], 0);
    // The old token still verifies; new logins are signed by the new key.
    assert_eq!(
        daemon
            .call("GET", "/api/users/me", Some(&old_token), None)
            .0,
        200
    );
    let new_token = daemon.login("fred", PASSWORD);
    let keys = daemon.json(&["keys", "list"]);
    let state_of = |kid: &str| {
        keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid)
            .unwrap()
            .clone()
    };
    assert_eq!(state_of(&old_kid)["state"], "verify_only");
    assert_eq!(state_of(&new_kid)["state"], "active");
    assert_eq!(state_of(&new_kid)["live_sessions"], 1);

    // The active key cannot be retired; a verify-only key can, and its tokens die at once.
    let refused = run(daemon.omegactl(&["--yes", "keys", "retire", &new_kid]));
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("active_key"), "{}", refused.stderr);
    let no_tty = run(daemon.omegactl(&["keys", "retire", &old_kid]));
    assert_eq!(no_tty.code, 2, "{}", no_tty.stderr);
    let mut old_socket = daemon.rt.block_on(live_socket(&daemon.base, &old_token));
    let mut new_socket = daemon.rt.block_on(live_socket(&daemon.base, &new_token));
    let retired = daemon.json(&["--yes", "keys", "retire", &old_kid]);
    assert_eq!(retired["retired"], json!([old_kid]));
    assert_eq!(retired["sessions_logged_out"], 1);
    // The socket that authenticated with the retired key is closed; the other one stays.
    let events = daemon
        .rt
        .block_on(async {
            tokio::time::timeout(Duration::from_secs(1), closed_by_server(&mut old_socket)).await
        })
        .expect("the socket of a retired key was still open a second later");
    assert!(
        events.iter().any(|e| e.contains("signing_key_retired")),
        "{events:?}"
    );
    let still_open = daemon.rt.block_on(async {
        tokio::time::timeout(
            Duration::from_millis(300),
            closed_by_server(&mut new_socket),
        )
        .await
    });
    assert!(still_open.is_err(), "a socket of the active key was closed");
    assert_eq!(
        daemon
            .call("GET", "/api/users/me", Some(&old_token), None)
            .0,
        401
    );
    assert_eq!(
        daemon
            .call("GET", "/api/users/me", Some(&new_token), None)
            .0,
        200
    );

    // rotate --retire-old ends every session at once.
    let all = daemon.json(&["--yes", "keys", "rotate", "--retire-old"]);
    assert_eq!(all["retired"], json!([new_kid]));
    assert_eq!(all["sessions_logged_out"], 1);
    assert_eq!(
        daemon
            .call("GET", "/api/users/me", Some(&new_token), None)
            .0,
        401
    );
    daemon.login("fred", PASSWORD);
}

#[test]
fn groups_are_managed_on_the_owners_authority() {
    let daemon = Daemon::start();
    for name in ["gina", "hank", "ivan"] {
        daemon.create_user(name, PASSWORD);
    }
    let group = daemon.json(&[
        "group",
        "create",
        "ops",
        "--owner",
        "gina",
        "--member",
        "hank",
        "--description",
        "on call",
    ]);
    let id = group["id"].as_str().unwrap().to_owned();
    assert_eq!(group["members"].as_array().unwrap().len(), 2);
    let added = daemon.json(&["group", "add", &id, "ivan", "--role", "admin"]);
    assert!(
        added["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["username"] == "ivan" && m["role"] == "admin")
    );
    let promoted = daemon.json(&["group", "role", &id, "hank", "owner"]);
    let role_of = |g: &serde_json::Value, name: &str| {
        g["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["username"] == name)
            .unwrap()["role"]
            .clone()
    };
    assert_eq!(role_of(&promoted, "hank"), "owner");
    assert_eq!(role_of(&promoted, "gina"), "admin");
    let removed = daemon.json(&["--yes", "group", "remove", &id, "ivan"]);
    assert_eq!(removed["members"].as_array().unwrap().len(), 2);
    assert!(
        daemon.json(&["group", "list"])["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == id)
    );

    // The members see it: hank (now owner) lists the group and reads the story in its history.
    let token = daemon.login("hank", PASSWORD);
    let (status, history) = daemon.call(
        "GET",
        &format!(
            "/api/conversations/{}/messages",
            group["conversation_id"].as_str().unwrap()
        ),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{history}");
    assert!(history.to_string().contains("removed"), "{history}");

    let refused = run(daemon.omegactl(&["group", "delete", &id]));
    assert_eq!(refused.code, 2);
    daemon.json(&["--yes", "group", "delete", &id]);
    let gone = run(daemon.omegactl(&["group", "show", &id]));
    assert_eq!(gone.code, 1, "{}", gone.stderr);
}

#[test]
fn backup_writes_a_consistent_copy_of_the_embedded_database() {
    let daemon = Daemon::start();
    daemon.create_user("jill", PASSWORD);
    let target = daemon.dir.path().join("backup.db");
    let outcome = daemon.json(&["backup", target.to_str().unwrap()]);
    assert!(outcome["bytes"].as_u64().unwrap() > 0);
    let header = std::fs::read(&target).unwrap();
    assert!(header.starts_with(b"SQLite format 3\0"));
    // The copy is a working database: a daemon started on it knows jill.
    let restored = Daemon::start_with(|config| {
        config.database.url = format!("sqlite://{}", target.display());
    });
    assert_eq!(restored.json(&["user", "show", "jill"])["username"], "jill");
    // An existing file is never overwritten.
    let again = run(daemon.omegactl(&["backup", target.to_str().unwrap()]));
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn a_second_daemon_on_the_same_socket_refuses_and_a_stale_socket_is_replaced() {
    let daemon = Daemon::start();
    let mut config = omegachat_contract::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.database.data_dir = daemon.dir.path().join("other");
    config.admin.socket = daemon.socket.clone();
    let err = match daemon.rt.block_on(omegachatd::Application::build(config)) {
        Ok(_) => panic!("a second daemon started on a live admin socket"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("already answering"), "{err}");
    assert!(
        daemon.socket.exists(),
        "the live socket must not be removed"
    );
    assert_eq!(daemon.json(&["health"])["status"], "healthy");

    // A socket file nobody listens on (left by a crash) is taken over.
    let dir = tempfile::tempdir().unwrap();
    let stale = dir.path().join("admin.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let fresh = Daemon::start_with(|config| config.admin.socket = stale.clone());
    assert_eq!(fresh.json(&["health"])["status"], "healthy");
    let mode = std::fs::metadata(&stale).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_configured_admin_group_gets_a_0660_socket() {
    let daemon = Daemon::start_with(|config| config.admin.group = "nogroup".into());
    let meta = std::fs::metadata(&daemon.socket).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o660);
    let nogroup = std::process::Command::new("getent")
        .args(["group", "nogroup"])
        .output()
        .unwrap();
    let gid: u32 = String::from_utf8(nogroup.stdout)
        .unwrap()
        .split(':')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(meta.gid(), gid);

    let unknown = tempfile::tempdir().unwrap();
    let mut config = omegachat_contract::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.database.data_dir = unknown.path().join("data");
    config.admin.group = "no-such-group-here".into();
    let err = match daemon.rt.block_on(omegachatd::Application::build(config)) {
        Ok(_) => panic!("started with an unknown admin group"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("no-such-group-here"), "{err}");
}

/// Runs omegactl as `nobody` (setpriv), which needs root; CI runs the suite as root.
#[test]
fn a_foreign_uid_is_refused_by_the_socket_and_by_the_daemon() {
    if nix_uid() != 0 {
        eprintln!("skipped: switching to `nobody` needs root (CI runs the suite as root)");
        return;
    }
    let daemon = Daemon::start();
    let binary = env!("CARGO_BIN_EXE_omegactl");
    let as_nobody = |args: &[&str]| {
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            binary,
        ])
        .args(["--socket", daemon.socket.to_str().unwrap()])
        .args(args)
        .current_dir("/")
        .stdin(std::process::Stdio::null());
        run(cmd)
    };
    // The file's permissions stop nobody first: one line saying who may use it.
    let denied = as_nobody(&["health"]);
    assert_eq!(denied.code, 2, "{} {}", denied.stdout, denied.stderr);
    assert!(
        denied.stderr.contains("ermission denied"),
        "{}",
        denied.stderr
    );
    assert_eq!(denied.stderr.trim().lines().count(), 1, "{}", denied.stderr);

    // Even when the file lets them in, SO_PEERCRED does not.
    let data_dir = daemon.socket.parent().unwrap();
    for path in [daemon.dir.path(), data_dir] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o711)).unwrap();
    }
    std::fs::set_permissions(&daemon.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let refused = as_nobody(&["--json", "user", "list"]);
    assert_eq!(refused.code, 2, "{} {}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("uid 65534 may not administer"),
        "{}",
        refused.stderr
    );
    let audit = daemon.json(&["audit"]);
    let last = &audit["entries"][0];
    assert_eq!(last["uid"], 65534);
    assert_eq!(last["outcome"], "not_allowed");
    assert_eq!(last["action"], "GET /v1/users");
}

#[test]
fn prompts_run_on_a_terminal_with_hidden_password_input() {
    use expectrl::{Eof, Session};
    let daemon = Daemon::start();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_omegactl"));
    cmd.args(["--socket", daemon.socket.to_str().unwrap()])
        .args(["user", "create", "kate", "--email", "kate@example.org"]);
    let mut pty = Session::spawn(cmd).expect("spawn omegactl on a pseudo-terminal");
    pty.set_expect_timeout(Some(Duration::from_secs(20)));
    pty.expect("New password for kate").unwrap();
    pty.send_line("first try of a secret").unwrap();
    pty.expect("Repeat it").unwrap();
    pty.send_line("a different secret").unwrap();
    pty.expect("The passwords differ").unwrap();
    pty.expect("New password for kate").unwrap();
    pty.send_line(PASSWORD).unwrap();
    pty.expect("Repeat it").unwrap();
    pty.send_line(PASSWORD).unwrap();
    let done = pty.expect("created user kate").unwrap();
    // Hidden input: the terminal never echoed what was typed.
    let shown = String::from_utf8_lossy(done.before()).to_string();
    assert!(
        !shown.contains(PASSWORD),
        "the password was echoed: {shown}"
    );
    pty.expect(Eof).unwrap();
    daemon.login("kate", PASSWORD);

    // Confirmation names the user; answering no changes nothing.
    for (answer, kept) in [("n", true), ("y", false)] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_omegactl"));
        cmd.args([
            "--socket",
            daemon.socket.to_str().unwrap(),
            "user",
            "delete",
            "kate",
        ]);
        let mut pty = Session::spawn(cmd).unwrap();
        pty.set_expect_timeout(Some(Duration::from_secs(20)));
        pty.expect("Delete user kate (kate@example.org)?").unwrap();
        pty.send(answer).unwrap();
        pty.expect(Eof).unwrap();
        let exists = run(daemon.omegactl(&["user", "show", "kate"])).code == 0;
        assert_eq!(exists, kept, "after answering {answer}");
    }
}

#[test]
fn migrate_status_and_up_on_a_fresh_postgres_database() {
    let url = support::fresh_postgres_database();
    let dir = tempfile::tempdir().unwrap();
    let mut config = omegachat_contract::Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.database.data_dir = dir.path().join("data");
    config.database.url = url;
    // auto_migrate stays "auto": no migrations at start on PostgreSQL.
    let daemon = Daemon::start_config(dir, config);

    let status = daemon.json(&["migrate", "status"]);
    let engine = &status["engines"][0];
    assert_eq!(engine["engine"], "postgres");
    assert_eq!(engine["applied"], json!([]));
    assert_eq!(engine["pending"].as_array().unwrap().len(), 3);
    let health = run(daemon.omegactl(&["--json", "health"]));
    assert_eq!(
        health.code, 1,
        "pending migrations make the daemon degraded"
    );
    let health: serde_json::Value = serde_json::from_str(&health.stdout).unwrap();
    assert_eq!(health["status"], "degraded");
    assert_eq!(health["serving"], false);
    // The public API says what to do; the admin socket keeps working.
    let (code, body) = daemon.call("GET", "/api/users/me", None, None);
    assert_eq!(code, 503);
    assert_eq!(body["error"]["code"], "migrations_pending");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("omegactl migrate up")
    );
    let users = run(daemon.omegactl(&["user", "list"]));
    assert_eq!(users.code, 1);
    assert!(users.stderr.contains("migrate up"), "{}", users.stderr);

    let migrated = daemon.json(&["migrate", "up"]);
    assert_eq!(migrated["engines"][0]["pending"], json!([]));
    assert_eq!(
        migrated["engines"][0]["applied"].as_array().unwrap().len(),
        3
    );
    assert!(
        migrated["engines"][0]["applied"][0]["applied_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(daemon.json(&["health"])["status"], "healthy");
    // Serving now: the API answers as usual.
    assert_eq!(daemon.call("GET", "/api/users/me", None, None).0, 401);
    daemon.create_user("liam", PASSWORD);
    daemon.login("liam", PASSWORD);
    let audit = daemon.json(&["audit"]);
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "POST /v1/migrations/apply")
    );
}
