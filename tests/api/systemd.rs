//! The systemd unit shipped in systemd/ and the daemon's side of `Type=notify`.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The shipped unit with ExecStart pointing at the binary under test (verify checks it exists).
fn unit_under_test(dir: &Path) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd/omegachatd.service");
    let text = std::fs::read_to_string(shipped).expect("systemd/omegachatd.service");
    let text = text.replace(
        "ExecStart=/usr/bin/omegachatd",
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_omegachatd")),
    );
    let path = dir.join("omegachatd.service");
    std::fs::write(&path, text).unwrap();
    path
}

fn systemd_analyze(args: &[&str]) -> std::process::Output {
    Command::new("systemd-analyze")
        .args(args)
        .output()
        .expect("systemd-analyze runs (Debian: apt-get install systemd; .ci/run installs it)")
}

#[test]
fn the_shipped_unit_verifies_cleanly_and_rates_ok_for_exposure() {
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_under_test(dir.path());
    let unit = unit.to_str().unwrap();
    // --man=no: the man pages named in Documentation= are not installed on a build machine.
    let verify = systemd_analyze(&["verify", "--man=no", unit]);
    let complaints = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && complaints.trim().is_empty(),
        "systemd-analyze verify: {complaints}"
    );

    let security = systemd_analyze(&["security", "--offline=true", "--threshold=20", unit]);
    let report = String::from_utf8_lossy(&security.stdout);
    assert!(security.status.success(), "exposure above 2.0:\n{report}");
    let level: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for omegachatd.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(level <= 2.0, "exposure {level} (target 2.0 or lower)");
}

#[test]
fn the_daemon_tells_systemd_it_is_ready_alive_and_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_omegachatd"))
        .current_dir(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "200000")
        .env_remove("WATCHDOG_PID")
        .stderr(Stdio::null())
        .spawn()
        .expect("omegachatd starts");
    let mut seen = Vec::new();
    let wait_for = |wanted: &str, seen: &mut Vec<String>| {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut buf = [0u8; 512];
        while Instant::now() < deadline {
            if let Ok(n) = socket.recv(&mut buf) {
                let message = String::from_utf8_lossy(&buf[..n]).to_string();
                seen.push(message.clone());
                if message.lines().any(|l| l == wanted) {
                    return;
                }
            }
        }
        panic!("no {wanted} from the daemon; got {seen:?}");
    };
    wait_for("READY=1", &mut seen);
    wait_for("WATCHDOG=1", &mut seen);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    wait_for("STOPPING=1", &mut seen);
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status:?}");
}
