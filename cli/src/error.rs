//! Every way a command can fail, and the exit status each one maps to. `main` prints the message
//! as one line, `omegactl: <message>`, so each variant's text is written to stand alone.

use std::path::PathBuf;

use omegachat_contract::ConfigError;

use crate::socket::SocketSource;
use crate::unit::UnitState;

/// Exit status of a command that did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit status when the daemon refused or a confirmation was declined (and `health`: degraded).
pub const EXIT_FAILED: u8 = 1;
/// Exit status for usage errors, bad configuration, an unreachable or forbidden daemon (and
/// `health`: down). clap also exits 2 on a bad command line.
pub const EXIT_USAGE: u8 = 2;

/// A command's failure, typed so the exit status is decided in one place ([`CliError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or the terminal cannot give what the command needs.
    #[error("{0}")]
    Usage(String),

    /// The configuration could not be loaded or is invalid.
    #[error("{}", one_line(&.0.to_string()))]
    Config(#[from] ConfigError),

    /// Nothing accepts connections at the socket path; the advice depends on whether systemd
    /// manages omegachatd here.
    #[error(
        "cannot reach omegachatd at {}{}: {reason} — {}",
        path.display(),
        origin.describe(),
        unit.advice()
    )]
    Unreachable {
        path: PathBuf,
        /// Why omegactl looked there (named `origin`: thiserror takes a `source` for the cause).
        origin: SocketSource,
        reason: String,
        unit: UnitState,
    },

    /// The kernel refused the connection (EACCES): the socket's mode or its directory keeps us out.
    #[error(
        "permission denied on {} ({ownership}): the admin socket may be used by root, the daemon's user and members of the group set in admin.group; run omegactl as one of them (e.g. with sudo)",
        path.display()
    )]
    PermissionDenied { path: PathBuf, ownership: String },

    /// The daemon refused our uid (SO_PEERCRED check), answering 403.
    #[error("{message} ({code})")]
    Forbidden { code: String, message: String },

    /// The daemon answered the request with an error.
    #[error("{message} ({code})")]
    Daemon {
        status: u16,
        code: String,
        message: String,
    },

    /// The connection broke mid-request, or the answer was not what the protocol promises
    /// (most likely omegactl and omegachatd are different versions).
    #[error("{0}")]
    Protocol(String),

    /// `health` could not get a verdict from a daemon that is running: it counts as down.
    #[error("{0}")]
    Down(Box<CliError>),

    /// The operator answered no to a confirmation.
    #[error("aborted; nothing was changed")]
    Declined,

    /// Reading stdin or a prompt failed.
    #[error("{0}")]
    Io(String),
}

impl CliError {
    /// The process exit status for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Config(_)
            | CliError::Unreachable { .. }
            | CliError::PermissionDenied { .. }
            | CliError::Forbidden { .. }
            | CliError::Down(_) => EXIT_USAGE,
            CliError::Daemon { .. }
            | CliError::Protocol(_)
            | CliError::Declined
            | CliError::Io(_) => EXIT_FAILED,
        }
    }
}

/// Joins a multi-line message (the TOML parser adds "\nin `section`") so every failure is one line.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable(origin: SocketSource, unit: UnitState) -> String {
        CliError::Unreachable {
            path: "/run/omegachat/admin.sock".into(),
            origin,
            reason: "no such socket".into(),
            unit,
        }
        .to_string()
    }

    #[test]
    fn an_unreachable_daemon_is_one_line_naming_the_path() {
        let text = unreachable(SocketSource::Flag, UnitState::Inactive);
        assert!(!text.contains('\n'));
        assert!(
            text.starts_with(
                "cannot reach omegachatd at /run/omegachat/admin.sock: no such socket — "
            ),
            "{text}"
        );
        let err = CliError::Unreachable {
            path: "/x.sock".into(),
            origin: SocketSource::Flag,
            reason: "no such socket".into(),
            unit: UnitState::Absent,
        };
        assert_eq!(err.exit_code(), EXIT_USAGE);
    }

    #[test]
    fn systemctl_is_suggested_only_where_systemd_manages_omegachatd() {
        let stopped = unreachable(SocketSource::SystemdUnit, UnitState::Inactive);
        assert!(stopped.contains("systemctl start omegachatd"), "{stopped}");
        assert!(stopped.contains("(the systemd unit's socket)"), "{stopped}");
        let elsewhere = unreachable(SocketSource::Flag, UnitState::Active);
        assert!(
            elsewhere.contains("is running but does not answer"),
            "{elsewhere}"
        );
        assert!(!elsewhere.contains("systemctl start"), "{elsewhere}");
        let by_hand = unreachable(
            SocketSource::DataDir {
                user_record: Some("/run/user/1000/omegachat/admin-socket".into()),
            },
            UnitState::Absent,
        );
        assert!(!by_hand.contains("systemctl"), "{by_hand}");
        assert!(by_hand.contains("Start it with `omegachatd`"), "{by_hand}");
        assert!(by_hand.contains("--socket PATH"), "{by_hand}");
        assert!(
            by_hand.contains(
                "no running omegachatd recorded its socket in /run/user/1000/omegachat/admin-socket"
            ),
            "{by_hand}"
        );
    }

    #[test]
    fn daemon_errors_exit_1_but_a_refused_uid_exits_2() {
        let refused = CliError::Daemon {
            status: 404,
            code: "user_not_found".into(),
            message: "no user alice".into(),
        };
        assert_eq!(refused.to_string(), "no user alice (user_not_found)");
        assert_eq!(refused.exit_code(), EXIT_FAILED);
        let forbidden = CliError::Forbidden {
            code: "forbidden".into(),
            message: "uid 1000 may not use the admin socket".into(),
        };
        assert_eq!(forbidden.exit_code(), EXIT_USAGE);
    }
}
