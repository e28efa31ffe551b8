//! omegactl finds a running daemon from any directory: the daemon records its admin socket in the
//! user's runtime directory, and omegactl reads the record when nothing more explicit names one.

use omegachat_contract::Config;
use omegachat_contract::runtime::RuntimeDirs;

use crate::support::{Daemon, omegactl, run};

#[test]
fn omegactl_run_from_another_directory_finds_the_daemon_through_its_record() {
    let runtime = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap();
    config.database.data_dir = dir.path().join("data");
    let dirs = RuntimeDirs {
        systemd: None,
        user: Some(runtime.path().to_owned()),
    };
    let daemon = Daemon::start_in(dir, config, &dirs);
    let record = runtime.path().join("omegachat/admin-socket");
    assert_eq!(
        std::fs::read_to_string(&record).unwrap(),
        format!("{}\n", daemon.socket.display())
    );

    // Somewhere else entirely, with no --socket and no configuration.
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = omegactl(elsewhere.path(), &["--json", "health"]);
    cmd.env("XDG_RUNTIME_DIR", runtime.path());
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let health: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(health["status"], "healthy");

    // A stopped daemon takes its record with it; omegactl then says where it looked and why.
    drop(daemon);
    assert!(!record.exists(), "the record outlived the daemon");
    let mut cmd = omegactl(elsewhere.path(), &["status"]);
    cmd.env("XDG_RUNTIME_DIR", runtime.path());
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(&format!(
            "no running omegachatd recorded its socket in {}",
            record.display()
        )),
        "{}",
        out.stderr
    );
}
