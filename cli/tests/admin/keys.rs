//! Signing keys: rotation keeps old tokens, retirement rejects them and closes their sockets.

use std::time::Duration;

use serde_json::json;

use crate::support::{Daemon, run};
use crate::{PASSWORD, closed_by_server, live_socket};

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
