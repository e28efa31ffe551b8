//! Finding the daemon's admin socket, saying where the path came from, and describing who may use
//! it when the kernel says we may not.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User};
use omegachat_contract::config::SYSTEMD_ADMIN_SOCKET;
use omegachat_contract::load::CONFIG_PATH_VAR;
use omegachat_contract::runtime::{RuntimeDirs, parse_record};
use omegachat_contract::{Config, load};

use crate::error::CliError;

/// Environment variable naming the socket, for hosts with several daemons or odd layouts.
pub const SOCKET_VAR: &str = "OMEGACHAT_ADMIN_SOCKET";

/// Where the socket path came from, so a failure can say why omegactl looked there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketSource {
    /// `--socket`.
    Flag,
    /// `$OMEGACHAT_ADMIN_SOCKET`.
    Environment,
    /// `admin.socket` in the configuration.
    Config,
    /// The record a running daemon wrote (this file).
    Record(PathBuf),
    /// The shipped systemd unit's socket.
    SystemdUnit,
    /// `admin.sock` in `database.data_dir`: what is left when nothing else names a socket.
    /// `user_record` is the user's record omegactl looked for (`None`: no `$XDG_RUNTIME_DIR`).
    DataDir { user_record: Option<PathBuf> },
}

impl SocketSource {
    /// Why omegactl looked there, for error messages (empty when the operator said so).
    pub fn describe(&self) -> String {
        match self {
            SocketSource::Flag => String::new(),
            SocketSource::Environment => format!(" (from ${SOCKET_VAR})"),
            SocketSource::Config => " (admin.socket in the configuration)".into(),
            SocketSource::Record(file) => {
                format!(" (recorded by omegachatd in {})", file.display())
            }
            SocketSource::SystemdUnit => " (the systemd unit's socket)".into(),
            SocketSource::DataDir {
                user_record: Some(record),
            } => format!(
                " (the default, admin.sock in database.data_dir: no running omegachatd recorded its socket in {})",
                record.display()
            ),
            SocketSource::DataDir { user_record: None } => {
                " (the default, admin.sock in database.data_dir: $XDG_RUNTIME_DIR is not set, so no running omegachatd's record could be looked for)".into()
            }
        }
    }
}

/// The socket omegactl will connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub origin: SocketSource,
}

/// What [`resolve`] asks of the machine, passed in so tests can answer for it.
pub trait Host {
    /// The text of `file`, when it exists and may be read.
    fn read(&self, file: &Path) -> Option<String>;
    /// Whether `path` exists; a path we may not even look at counts as present, so that a
    /// permission error names it rather than a socket further down the list.
    fn exists(&self, path: &Path) -> bool;
}

/// The real file system.
pub struct LocalHost;

impl Host for LocalHost {
    fn read(&self, file: &Path) -> Option<String> {
        fs::read_to_string(file).ok()
    }

    fn exists(&self, path: &Path) -> bool {
        !matches!(path.try_exists(), Ok(false))
    }
}

/// The socket path, first match wins: `--socket`; `$OMEGACHAT_ADMIN_SOCKET`; `admin.socket` from
/// the configuration; the socket a running daemon recorded for this user
/// (`$XDG_RUNTIME_DIR/omegachat/admin-socket`), then for the system unit
/// (`/run/omegachat/admin-socket`), when that socket exists; the systemd unit's socket when
/// present; `admin.sock` in the data directory.
///
/// `env` is the process environment (passed in so tests can supply their own).
pub fn resolve(
    explicit: Option<&Path>,
    config_path: Option<&Path>,
    env: &[(String, String)],
    host: &impl Host,
) -> Result<Located, CliError> {
    let found = |path: PathBuf, origin| Ok(Located { path, origin });
    if let Some(path) = explicit {
        return found(path.to_path_buf(), SocketSource::Flag);
    }
    if let Some(path) = env_value(env, SOCKET_VAR) {
        return found(PathBuf::from(path), SocketSource::Environment);
    }
    // A configuration the operator named must load; one merely found in a default place may be
    // unreadable to a group member who is still allowed on the socket (the file holds database
    // credentials and is often 0640 root), so then the built-in defaults stand in for it.
    let named = config_path.is_some() || env_value(env, CONFIG_PATH_VAR).is_some();
    let config = match load(config_path, env.iter().cloned()) {
        Ok(loaded) => loaded.config,
        Err(err) if named => return Err(CliError::Config(err)),
        Err(_) => Config::default(),
    };
    if !config.admin.socket.as_os_str().is_empty() {
        return found(config.admin.socket, SocketSource::Config);
    }
    // A record whose socket is gone was left by a daemon that did not stop cleanly.
    let dirs = RuntimeDirs::from_env(env.iter().map(|(k, v)| (k, v)));
    for record in dirs.records_to_read() {
        let socket = host.read(&record).and_then(|text| parse_record(&text));
        if let Some(socket) = socket.filter(|s| host.exists(s)) {
            return found(socket, SocketSource::Record(record));
        }
    }
    if host.exists(Path::new(SYSTEMD_ADMIN_SOCKET)) {
        return found(
            PathBuf::from(SYSTEMD_ADMIN_SOCKET),
            SocketSource::SystemdUnit,
        );
    }
    // The daemon would use $RUNTIME_DIRECTORY, which only systemd gives it; that case is the one
    // above, so here the data directory is what is left.
    found(
        config.admin.socket_path(&config.database, None),
        SocketSource::DataDir {
            user_record: dirs.user_record(),
        },
    )
}

/// The process environment as UTF-8 pairs; other variables cannot name config keys and are skipped
/// (`std::env::vars` would panic on them).
pub fn process_env() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

fn env_value<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Owner, group and mode of the socket (or of its directory when the socket itself cannot be
/// examined), so a refused operator sees which group to join.
pub fn describe_ownership(path: &Path) -> String {
    if let Ok(meta) = fs::metadata(path) {
        return format!("socket {}", ownership(&meta));
    }
    match path.parent().map(fs::metadata) {
        Some(Ok(meta)) => format!("its directory {}", ownership(&meta)),
        _ => "its owner cannot be read".to_owned(),
    }
}

fn ownership(meta: &fs::Metadata) -> String {
    format!(
        "owned by {}:{}, mode {:04o}",
        user_name(meta.uid()),
        group_name(meta.gid()),
        meta.mode() & 0o7777
    )
}

/// The account name for `uid`, or the number when the system has no name for it.
pub fn user_name(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(user)) => user.name,
        _ => uid.to_string(),
    }
}

/// The group name for `gid`, or the number when the system has no name for it.
pub fn group_name(gid: u32) -> String {
    match Group::from_gid(Gid::from_raw(gid)) {
        Ok(Some(group)) => group.name,
        _ => gid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    /// A machine with these files (path → text) and these other existing paths.
    #[derive(Default)]
    struct FakeHost {
        files: HashMap<PathBuf, String>,
        present: Vec<PathBuf>,
    }

    impl FakeHost {
        fn with_file(mut self, path: &str, text: &str) -> Self {
            self.files.insert(path.into(), text.into());
            self
        }
        fn with(mut self, path: &str) -> Self {
            self.present.push(path.into());
            self
        }
    }

    impl Host for FakeHost {
        fn read(&self, file: &Path) -> Option<String> {
            self.files.get(file).cloned()
        }
        fn exists(&self, path: &Path) -> bool {
            self.files.contains_key(path) || self.present.iter().any(|p| p == path)
        }
    }

    /// For lookups that must be settled before the machine is asked anything.
    struct Untouched;

    impl Host for Untouched {
        fn read(&self, file: &Path) -> Option<String> {
            panic!("{} should not be read", file.display())
        }
        fn exists(&self, path: &Path) -> bool {
            panic!("{} should not be looked for", path.display())
        }
    }

    #[test]
    fn the_socket_flag_beats_everything() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let located = resolve(
            Some(Path::new("/flag.sock")),
            Some(file.path()),
            &env(&[(SOCKET_VAR, "/env.sock")]),
            &Untouched,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/flag.sock"));
        assert_eq!(located.origin, SocketSource::Flag);
    }

    #[test]
    fn the_environment_beats_the_configuration() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[(SOCKET_VAR, "/env.sock")]),
            &Untouched,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/env.sock"));
    }

    #[test]
    fn an_empty_environment_variable_is_ignored() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[(SOCKET_VAR, "")]),
            &Untouched,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/from/config.sock"));
    }

    #[test]
    fn admin_socket_in_the_configuration_beats_a_daemons_record() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]),
            &Untouched,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/from/config.sock"));
        assert_eq!(located.origin, SocketSource::Config);
    }

    #[test]
    fn a_per_key_environment_override_counts_as_configuration() {
        let file = config_file("");
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[("OMEGACHAT_ADMIN__SOCKET", "/override.sock")]),
            &Untouched,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/override.sock"));
    }

    #[test]
    fn a_configuration_named_by_the_environment_must_load() {
        let located = resolve(
            None,
            None,
            &env(&[("OMEGACHAT_CONFIG", "/nonexistent/omegachat.toml")]),
            &Untouched,
        );
        assert!(matches!(located, Err(CliError::Config(_))));
    }

    #[test]
    fn the_socket_a_running_daemon_recorded_for_this_user_comes_next() {
        let file = config_file("");
        let host = FakeHost::default()
            .with_file(
                "/run/user/1000/omegachat/admin-socket",
                "/home/ann/chat/data/admin.sock\n",
            )
            .with("/home/ann/chat/data/admin.sock")
            .with_file("/run/omegachat/admin-socket", "/run/omegachat/admin.sock\n")
            .with(SYSTEMD_ADMIN_SOCKET);
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]),
            &host,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/home/ann/chat/data/admin.sock"));
        assert_eq!(
            located.origin,
            SocketSource::Record("/run/user/1000/omegachat/admin-socket".into())
        );
    }

    #[test]
    fn a_record_whose_socket_is_gone_is_passed_over() {
        let file = config_file("[database]\ndata_dir = \"/var/lib/omegachat\"\n");
        let host = FakeHost::default().with_file(
            "/run/user/1000/omegachat/admin-socket",
            "/home/ann/chat/data/admin.sock\n",
        );
        let located = resolve(
            None,
            Some(file.path()),
            &env(&[("XDG_RUNTIME_DIR", "/run/user/1000")]),
            &host,
        )
        .unwrap();
        assert_eq!(located.path, Path::new("/var/lib/omegachat/admin.sock"));
        assert_eq!(
            located.origin,
            SocketSource::DataDir {
                user_record: Some("/run/user/1000/omegachat/admin-socket".into())
            }
        );
    }

    #[test]
    fn the_system_units_record_is_read_without_a_user_runtime_directory() {
        let file = config_file("");
        let host = FakeHost::default()
            .with_file("/run/omegachat/admin-socket", "/srv/omegachat/admin.sock\n")
            .with("/srv/omegachat/admin.sock");
        let located = resolve(None, Some(file.path()), &[], &host).unwrap();
        assert_eq!(located.path, Path::new("/srv/omegachat/admin.sock"));
    }

    #[test]
    fn the_systemd_socket_is_used_when_present_and_nothing_else_is_set() {
        let file = config_file("[database]\ndata_dir = \"/var/lib/omegachat\"\n");
        let host = FakeHost::default().with(SYSTEMD_ADMIN_SOCKET);
        let located = resolve(None, Some(file.path()), &[], &host).unwrap();
        assert_eq!(located.path, Path::new(SYSTEMD_ADMIN_SOCKET));
        assert_eq!(located.origin, SocketSource::SystemdUnit);
    }

    #[test]
    fn otherwise_the_socket_is_in_the_data_directory() {
        let file = config_file("[database]\ndata_dir = \"/var/lib/omegachat\"\n");
        let located = resolve(None, Some(file.path()), &[], &FakeHost::default()).unwrap();
        assert_eq!(located.path, Path::new("/var/lib/omegachat/admin.sock"));
        assert_eq!(located.origin, SocketSource::DataDir { user_record: None });
    }

    #[test]
    fn a_named_configuration_that_is_invalid_is_an_error_naming_the_key() {
        let file = config_file("[admin]\nsokcet = \"/typo.sock\"\n");
        let err = resolve(None, Some(file.path()), &[], &Untouched).unwrap_err();
        assert!(err.to_string().contains("sokcet"), "{err}");
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
    }

    #[test]
    fn ownership_names_the_owner_and_group() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin.sock");
        std::fs::write(&file, "").unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        let text = describe_ownership(&file);
        assert!(text.starts_with("socket owned by "), "{text}");
        assert!(text.contains(&format!(
            "{}:{}",
            user_name(meta.uid()),
            group_name(meta.gid())
        )));
        // A missing socket falls back to describing its directory.
        let text = describe_ownership(&dir.path().join("missing.sock"));
        assert!(text.starts_with("its directory owned by "), "{text}");
    }
}
