//! What omegactl does without a daemon: checking configuration files, completion scripts, and
//! failing fast (never blocking) when the daemon is missing or a prompt is impossible.

mod support;

use support::{omegactl, run};

#[test]
fn a_valid_configuration_passes_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("omegachat.toml");
    std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:9000\"\n").unwrap();
    let out = run(omegactl(
        dir.path(),
        &["config", "check", file.to_str().unwrap()],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!("configuration OK ({})\n", file.display())
    );
}

#[test]
fn an_unknown_key_fails_the_check_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("omegachat.toml");
    std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:9000\"\nlistne = 1\n").unwrap();
    let out = run(omegactl(
        dir.path(),
        &["config", "check", file.to_str().unwrap()],
    ));
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("omegactl: "), "{}", out.stderr);
    assert!(out.stderr.contains("listne"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn the_check_reports_as_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("omegachat.toml");
    std::fs::write(&file, "[auth]\naccess_token_ttl_secs = 1\n").unwrap();
    let out = run(omegactl(
        dir.path(),
        &["--json", "config", "check", file.to_str().unwrap()],
    ));
    assert_eq!(out.code, 2);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["error"]["key"], "auth.access_token_ttl_secs");
}

#[test]
fn the_check_finds_the_file_as_the_daemon_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("omegachat.toml"), "").unwrap();
    let mut cmd = omegactl(dir.path(), &["config", "check"]);
    cmd.env("OMEGACHAT_CHAT__DM_POLICY", "nobody");
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("OMEGACHAT_CHAT__DM_POLICY"),
        "{}",
        out.stderr
    );
}

#[test]
fn bash_completions_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(omegactl(dir.path(), &["completions", "bash"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("omegactl"), "{}", out.stdout);
    assert!(out.stdout.contains("retire-old"));
}

#[test]
fn a_daemon_that_is_not_running_is_one_line_naming_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nobody-home.sock");
    let out = run(omegactl(
        dir.path(),
        &["--socket", socket.to_str().unwrap(), "status"],
    ));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!(
            "omegactl: cannot reach omegachatd at {}: ",
            socket.display()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--socket PATH"), "{}", out.stderr);
}

/// Whether systemd manages omegachatd on the machine running the tests (as omegactl checks it:
/// systemd is the init system and the unit is installed); the advice differs.
fn systemd_unit_installed() -> bool {
    std::path::Path::new("/run/systemd/system").is_dir()
        && [
            "/etc/systemd/system",
            "/run/systemd/system",
            "/usr/local/lib/systemd/system",
            "/usr/lib/systemd/system",
            "/lib/systemd/system",
        ]
        .iter()
        .any(|dir| {
            std::path::Path::new(dir)
                .join("omegachatd.service")
                .exists()
        })
}

/// With no daemon anywhere, omegactl says where it looked (the data directory under the current
/// one), why there (no daemon's record), and how to start one: `systemctl` only where a unit
/// exists.
#[test]
fn with_no_daemon_anywhere_the_hint_says_how_to_start_one() {
    if std::path::Path::new("/run/omegachat").exists() {
        eprintln!("skipped: this machine runs the system unit's daemon (/run/omegachat exists)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let runtime = tempfile::tempdir().unwrap();
    let mut cmd = omegactl(dir.path(), &["health"]);
    cmd.env("XDG_RUNTIME_DIR", runtime.path());
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    let record = runtime.path().join("omegachat/admin-socket");
    assert!(
        out.stderr.starts_with(&format!(
            "omegactl: cannot reach omegachatd at data/admin.sock (the default, admin.sock in database.data_dir: no running omegachatd recorded its socket in {}): no such socket — ",
            record.display()
        )),
        "{}",
        out.stderr
    );
    if systemd_unit_installed() {
        assert!(out.stderr.contains("systemctl"), "{}", out.stderr);
    } else {
        assert!(!out.stderr.contains("systemctl"), "{}", out.stderr);
        assert!(
            out.stderr.contains("Start it with `omegachatd`"),
            "{}",
            out.stderr
        );
    }
    assert!(out.stderr.contains("--socket PATH"), "{}", out.stderr);
}

#[test]
fn a_stale_socket_file_is_unreachable_too() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    let out = run(omegactl(
        dir.path(),
        &["--socket", socket.to_str().unwrap(), "health"],
    ));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("connection refused"), "{}", out.stderr);
}

#[test]
fn the_environment_variable_names_the_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("from-env.sock");
    let mut cmd = omegactl(dir.path(), &["status"]);
    cmd.env("OMEGACHAT_ADMIN_SOCKET", &socket);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(socket.to_str().unwrap()),
        "{}",
        out.stderr
    );
}

/// The prompt is settled before the daemon is contacted, so a script without --yes learns what to
/// pass even when the daemon is down, and nothing is half-done.
#[test]
fn deleting_without_a_terminal_or_yes_fails_at_once_with_the_hint() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nobody-home.sock");
    let out = run(omegactl(
        dir.path(),
        &["--socket", socket.to_str().unwrap(), "user", "delete", "x"],
    ));
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "omegactl: refusing to delete user x without confirmation: stdin is not a terminal; pass --yes to confirm\n"
    );
}

#[test]
fn a_password_without_a_terminal_needs_password_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("nobody-home.sock");
    let out = run(omegactl(
        dir.path(),
        &[
            "--socket",
            socket.to_str().unwrap(),
            "user",
            "create",
            "alice",
            "--email",
            "alice@example.org",
        ],
    ));
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("--password-stdin"), "{}", out.stderr);
}
