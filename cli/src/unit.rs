//! Whether omegachatd is a systemd unit on this machine, and running, so that the advice for an
//! unreachable daemon fits the machine: `systemctl start` only where systemd manages it.

use std::path::Path;
use std::process::{Command, Stdio};

const UNIT: &str = "omegachatd.service";
/// Where system unit files are installed (systemd.unit(5)).
const UNIT_DIRS: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// What systemd knows of omegachatd here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitState {
    /// Not managed by systemd: no unit installed, or systemd is not the init system.
    Absent,
    /// Installed and not running (stopped, failed, or systemctl could not tell).
    Inactive,
    /// Installed and running.
    Active,
}

impl UnitState {
    /// Asks the machine. Only called once a connection failed, so the cost of running
    /// `systemctl` falls on an error path.
    pub fn probe() -> Self {
        // sd_booted(3): systemd is the init system exactly when this directory exists.
        let booted = Path::new("/run/systemd/system").is_dir();
        let installed = UNIT_DIRS
            .iter()
            .any(|dir| Path::new(dir).join(UNIT).exists());
        if !booted || !installed {
            return UnitState::Absent;
        }
        let active = Command::new("systemctl")
            .args(["is-active", "--quiet", UNIT])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if active {
            UnitState::Active
        } else {
            UnitState::Inactive
        }
    }

    /// What to do about an unreachable daemon.
    pub fn advice(self) -> &'static str {
        match self {
            UnitState::Inactive => {
                "is the daemon running? Start it with `systemctl start omegachatd` (`systemctl status omegachatd` says why it stopped), or pass --socket PATH"
            }
            UnitState::Active => {
                "omegachatd.service is running but does not answer on this socket: pass the one it listens on (admin.socket in its configuration) with --socket PATH"
            }
            UnitState::Absent => {
                "is the daemon running? Start it with `omegachatd` (as this user, it records its socket where omegactl looks), or pass --socket PATH"
            }
        }
    }
}
