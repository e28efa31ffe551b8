//! Who may use the admin socket: one daemon per socket, the admin group, foreign uids refused.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::nix_uid;
use crate::support::{Daemon, run};

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
