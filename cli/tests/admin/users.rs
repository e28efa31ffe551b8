//! Accounts: the lifecycle, the audit trail, and live sockets closed when a session ends.

use std::time::Duration;

use serde_json::json;

use crate::support::{Daemon, run, run_with_stdin};
use crate::{PASSWORD, closed_by_server, live_socket, nix_uid};

#[test]
fn user_lifecycle_and_its_effect_on_sessions() {
    let daemon = Daemon::start();
    let created = daemon.create_user("alice", PASSWORD);
    assert_eq!(created["username"], "alice");
    assert_eq!(created["state"], "active");
    assert!(created["id"].is_i64(), "{created}");
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
    assert_eq!(disabled["user"]["state"], "disabled");
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
    assert_eq!(deleted["user"]["state"], "deleted");
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
        // The count reports what happened: by the answer, the daemon holds no socket of theirs.
        assert_eq!(daemon.json(&["status"])["sockets"], 0);
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
