//! Groups managed on their owner's authority, and online backups.

use crate::PASSWORD;
use crate::support::{Daemon, run};

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
    // Ids are integers, as on the public API.
    let group_id = group["id"].as_i64().expect("an integer group id");
    let id = group_id.to_string();
    assert!(group["members"][0]["user_id"].is_i64(), "{group}");
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
            .any(|g| g["id"] == group_id)
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
