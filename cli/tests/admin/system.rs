//! Health, status, migrations on a fresh PostgreSQL database, and the protocol as plain HTTP.

use serde_json::json;

use crate::PASSWORD;
use crate::support::{Daemon, run};

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
        Some(json!({ "user_id": daemon.json(&["user", "show", "ann"])["id"].as_i64().unwrap() })),
    );
    // A conversation with oneself is refused or allowed depending on policy; either way it answers.
    assert!(status < 500);
    let status = daemon.json(&["status"]);
    assert_eq!(status["engine"], "sqlite");
    assert!(status["uptime_secs"].as_u64().is_some());
    assert_eq!(status["sockets"], 0);
}

#[test]
fn migrate_status_and_up_on_a_fresh_postgres_database() {
    let url = crate::support::fresh_postgres_database();
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
    assert_eq!(engine["pending"].as_array().unwrap().len(), 4);
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
        4
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

/// What `curl --unix-socket` meets: the contract's routes, with its errors for what omegactl
/// would never send.
#[test]
fn the_admin_protocol_answers_plain_http_clients() {
    let daemon = Daemon::start();
    daemon.create_user("nora", PASSWORD);
    let (status, user) = daemon.admin_raw("GET", "/v1/users/nora", None);
    assert_eq!(status, 200, "{user}");
    assert!(user["id"].is_i64(), "{user}");
    assert_eq!(user["state"], "active");
    // A POST without a body where none is needed; a body where one is.
    assert_eq!(
        daemon.admin_raw("POST", "/v1/users/nora/logout", None).0,
        200
    );
    let (status, rotated) =
        daemon.admin_raw("POST", "/v1/keys/rotate", Some(r#"{"retire_old":false}"#));
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(rotated["keys"][0]["state"], "active");

    let (status, error) = daemon.admin_raw("GET", "/v1/groups/team", None);
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["code"], "invalid_id");
    assert_eq!(error["error"]["field"], "group");
    let (status, error) = daemon.admin_raw("GET", "/v1/users?limit=many", None);
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["code"], "invalid_query");
    let (status, error) = daemon.admin_raw("POST", "/v1/users", None);
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["code"], "missing_body");
    let (status, error) = daemon.admin_raw(
        "PUT",
        "/v1/groups/1/members/nora/role",
        Some(r#"{"role":"boss"}"#),
    );
    assert_eq!(status, 422, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("owner"),
        "{error}"
    );
    let (status, error) = daemon.admin_raw("GET", "/v1/nothing", None);
    assert_eq!(status, 404, "{error}");
}

/// Two nodes on one PostgreSQL database and one Redis: `omegactl status` on either lists both,
/// with this node marked and the chat's totals; `health` reports Redis.
#[test]
fn status_lists_every_live_node_of_a_scaled_out_chat() {
    let redis = std::env::var("OMEGACHAT_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("OMEGACHAT_TEST_REDIS_URL is not set: run the suite with .ci/test (which starts a throwaway Redis server)")
    });
    let prefix = format!("omegactl-status-{}:", std::process::id());
    let url = crate::support::fresh_postgres_database();
    let node = |url: &str| {
        let (url, redis, prefix) = (url.to_owned(), redis.clone(), prefix.clone());
        Daemon::start_with(move |c| {
            c.database.url = url;
            c.database.auto_migrate = omegachat_contract::AutoMigrate::Always;
            c.redis.url = redis;
            c.redis.key_prefix = prefix;
            c.redis.node_lease_ms = 300_000;
        })
    };
    let (a, b) = (node(&url), node(&url));
    a.create_user("ann", PASSWORD);

    // Each node announces itself at its heartbeat (at most a second apart).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Each node lists itself whether or not Redis has its card yet: both must list two.
    let status = loop {
        let status = a.json(&["status"]);
        let listed = |s: &serde_json::Value| s["nodes"].as_array().map_or(0, Vec::len);
        if listed(&status) == 2 && listed(&b.json(&["status"])) == 2 {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node B never appeared: {status}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let nodes = status["nodes"].as_array().unwrap();
    let addresses: Vec<&str> = nodes
        .iter()
        .map(|n| n["address"].as_str().unwrap())
        .collect();
    for daemon in [&a, &b] {
        let address = daemon.base.trim_start_matches("http://");
        assert!(addresses.contains(&address), "{address} not in {status}");
    }
    let this: Vec<bool> = nodes
        .iter()
        .map(|n| n["this_node"].as_bool().unwrap())
        .collect();
    assert_eq!(this.iter().filter(|t| **t).count(), 1, "{status}");
    assert_ne!(nodes[0]["id"], nodes[1]["id"]);
    assert_eq!(status["totals"]["nodes"], 2);
    assert_eq!(status["totals"]["users_online"], 0);
    assert!(status.get("nodes_error").is_none(), "{status}");
    let human = run(b.omegactl(&["status"]));
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.contains("total: 2 node(s)"),
        "{}",
        human.stdout
    );

    let health = a.json(&["health"]);
    assert_eq!(health["status"], "healthy", "{health}");
    let fanout = &health["backends"][1];
    assert_eq!(fanout["role"], "fanout");
    assert_eq!(fanout["engine"], "redis");
    assert_eq!(fanout["reachable"], true);
    assert!(fanout["latency_ms"].as_f64().is_some(), "{health}");

    // A node that stops leaves the list at once, not when its lease (an hour here) runs out.
    drop(b);
    let status = a.json(&["status"]);
    assert_eq!(status["totals"]["nodes"], 1, "{status}");
    assert_eq!(status["nodes"][0]["this_node"], true);
}
