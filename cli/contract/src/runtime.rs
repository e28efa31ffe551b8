//! Where a running daemon tells omegactl which admin socket it listens on.
//!
//! omegactl run from another directory than the daemon's cannot derive the socket from the
//! configuration when that names a relative data directory, or when it cannot read the file. So
//! a daemon writes the absolute path of its socket into a small record file in a runtime
//! directory both can compute: systemd's `RuntimeDirectory` for the shipped unit
//! (`/run/omegachat/admin-socket`), else the user's `$XDG_RUNTIME_DIR/omegachat/admin-socket`.
//! The file holds the path and a newline, and goes away when the daemon stops.

use std::path::{Path, PathBuf};

/// Name of the record file.
pub const RECORD_FILE: &str = "admin-socket";
/// The runtime directory of the shipped systemd unit (`RuntimeDirectory=omegachat`).
pub const SYSTEM_RUNTIME_DIR: &str = "/run/omegachat";

/// The runtime directories a process was given by its environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeDirs {
    /// `$RUNTIME_DIRECTORY`: set by systemd for a unit with `RuntimeDirectory=` (several
    /// directories are separated by `:`; the first is the daemon's).
    pub systemd: Option<PathBuf>,
    /// `$XDG_RUNTIME_DIR`: the user's own runtime directory (`/run/user/UID` under a login
    /// session).
    pub user: Option<PathBuf>,
}

impl RuntimeDirs {
    /// Reads `RUNTIME_DIRECTORY` and `XDG_RUNTIME_DIR` from `env`; empty values count as unset.
    pub fn from_env<K: AsRef<str>, V: AsRef<str>>(env: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut dirs = RuntimeDirs::default();
        for (key, value) in env {
            let value = value.as_ref();
            match key.as_ref() {
                "RUNTIME_DIRECTORY" => {
                    dirs.systemd = value
                        .split(':')
                        .next()
                        .filter(|d| !d.is_empty())
                        .map(PathBuf::from)
                }
                "XDG_RUNTIME_DIR" if !value.is_empty() => dirs.user = Some(PathBuf::from(value)),
                _ => {}
            }
        }
        dirs
    }

    /// Where a daemon with these directories records its socket: in its systemd runtime
    /// directory when it has one, else in the user's; `None` when it has neither.
    pub fn record_to_write(&self) -> Option<PathBuf> {
        match &self.systemd {
            Some(dir) => Some(dir.join(RECORD_FILE)),
            None => self.user_record(),
        }
    }

    /// The record of a daemon this user started by hand: `$XDG_RUNTIME_DIR/omegachat/admin-socket`.
    pub fn user_record(&self) -> Option<PathBuf> {
        let dir = self.user.as_ref()?;
        Some(dir.join("omegachat").join(RECORD_FILE))
    }

    /// The records omegactl reads, in order: the user's own daemon's, then the system unit's.
    pub fn records_to_read(&self) -> Vec<PathBuf> {
        let mut records: Vec<PathBuf> = self.user_record().into_iter().collect();
        records.push(Path::new(SYSTEM_RUNTIME_DIR).join(RECORD_FILE));
        records
    }
}

/// The socket path a record file holds, if it holds one (an absolute path on its first line).
pub fn parse_record(text: &str) -> Option<PathBuf> {
    let line = text.lines().next()?.trim();
    let path = Path::new(line);
    path.is_absolute().then(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_systemd_daemon_records_in_its_runtime_directory_a_user_daemon_in_the_users() {
        let system = RuntimeDirs::from_env([
            ("RUNTIME_DIRECTORY", "/run/omegachat:/run/other"),
            ("XDG_RUNTIME_DIR", "/run/user/0"),
        ]);
        assert_eq!(
            system.record_to_write(),
            Some(PathBuf::from("/run/omegachat/admin-socket"))
        );
        let user = RuntimeDirs::from_env([("XDG_RUNTIME_DIR", "/run/user/1000")]);
        assert_eq!(
            user.record_to_write(),
            Some(PathBuf::from("/run/user/1000/omegachat/admin-socket"))
        );
        assert_eq!(
            RuntimeDirs::from_env([("XDG_RUNTIME_DIR", "")]).record_to_write(),
            None
        );
    }

    #[test]
    fn omegactl_reads_the_users_record_before_the_system_units() {
        let dirs = RuntimeDirs::from_env([("XDG_RUNTIME_DIR", "/run/user/1000")]);
        assert_eq!(
            dirs.records_to_read(),
            vec![
                PathBuf::from("/run/user/1000/omegachat/admin-socket"),
                PathBuf::from("/run/omegachat/admin-socket"),
            ]
        );
        assert_eq!(
            RuntimeDirs::default().records_to_read(),
            vec![PathBuf::from("/run/omegachat/admin-socket")]
        );
    }

    #[test]
    fn a_record_holds_an_absolute_path() {
        assert_eq!(
            parse_record("/srv/chat/data/admin.sock\n"),
            Some(PathBuf::from("/srv/chat/data/admin.sock"))
        );
        assert_eq!(parse_record("data/admin.sock\n"), None);
        assert_eq!(parse_record(""), None);
    }
}
