//! Finding the daemon's admin socket, and describing who may use it when the kernel says we may not.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User};
use omegachat_contract::config::SYSTEMD_ADMIN_SOCKET;
use omegachat_contract::load::CONFIG_PATH_VAR;
use omegachat_contract::{Config, load};

use crate::error::CliError;

/// Environment variable naming the socket, for hosts with several daemons or odd layouts.
pub const SOCKET_VAR: &str = "OMEGACHAT_ADMIN_SOCKET";

/// The socket path, first match wins: `--socket`; `$OMEGACHAT_ADMIN_SOCKET`; `admin.socket` from
/// the configuration; the systemd unit's socket when present; `admin.sock` in the data directory.
///
/// `env` is the process environment (passed in so tests can supply their own);
/// `systemd_socket_present` is asked only when the earlier sources say nothing.
pub fn resolve(
    explicit: Option<&Path>,
    config_path: Option<&Path>,
    env: &[(String, String)],
    systemd_socket_present: impl FnOnce() -> bool,
) -> Result<PathBuf, CliError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = env_value(env, SOCKET_VAR) {
        return Ok(PathBuf::from(path));
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
        return Ok(config.admin.socket);
    }
    if systemd_socket_present() {
        return Ok(PathBuf::from(SYSTEMD_ADMIN_SOCKET));
    }
    // The daemon would use $RUNTIME_DIRECTORY, which only systemd gives it; that case is the one
    // above, so here the data directory is what is left.
    Ok(config.admin.socket_path(&config.database, None))
}

/// Whether systemd's socket is there; a path we may not even look at counts as present, so that a
/// permission error names it rather than a data-directory socket that was never used.
pub fn systemd_socket_present() -> bool {
    !matches!(Path::new(SYSTEMD_ADMIN_SOCKET).try_exists(), Ok(false))
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

    fn never_asked() -> bool {
        panic!("the systemd socket should not be looked for")
    }

    #[test]
    fn the_socket_flag_beats_everything() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let path = resolve(
            Some(Path::new("/flag.sock")),
            Some(file.path()),
            &env(&[(SOCKET_VAR, "/env.sock")]),
            never_asked,
        )
        .unwrap();
        assert_eq!(path, Path::new("/flag.sock"));
    }

    #[test]
    fn the_environment_beats_the_configuration() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let path = resolve(
            None,
            Some(file.path()),
            &env(&[(SOCKET_VAR, "/env.sock")]),
            never_asked,
        )
        .unwrap();
        assert_eq!(path, Path::new("/env.sock"));
    }

    #[test]
    fn an_empty_environment_variable_is_ignored() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let path = resolve(
            None,
            Some(file.path()),
            &env(&[(SOCKET_VAR, "")]),
            never_asked,
        )
        .unwrap();
        assert_eq!(path, Path::new("/from/config.sock"));
    }

    #[test]
    fn admin_socket_in_the_configuration_beats_the_systemd_default() {
        let file = config_file("[admin]\nsocket = \"/from/config.sock\"\n");
        let path = resolve(None, Some(file.path()), &[], never_asked).unwrap();
        assert_eq!(path, Path::new("/from/config.sock"));
    }

    #[test]
    fn a_per_key_environment_override_counts_as_configuration() {
        let file = config_file("");
        let path = resolve(
            None,
            Some(file.path()),
            &env(&[("OMEGACHAT_ADMIN__SOCKET", "/override.sock")]),
            never_asked,
        )
        .unwrap();
        assert_eq!(path, Path::new("/override.sock"));
    }

    #[test]
    fn a_configuration_named_by_the_environment_must_load() {
        let path = resolve(
            None,
            None,
            &env(&[("OMEGACHAT_CONFIG", "/nonexistent/omegachat.toml")]),
            never_asked,
        );
        assert!(matches!(path, Err(CliError::Config(_))));
    }

    #[test]
    fn the_systemd_socket_is_used_when_present_and_nothing_else_is_set() {
        let file = config_file("[database]\ndata_dir = \"/var/lib/omegachat\"\n");
        let path = resolve(None, Some(file.path()), &[], || true).unwrap();
        assert_eq!(path, Path::new(SYSTEMD_ADMIN_SOCKET));
    }

    #[test]
    fn otherwise_the_socket_is_in_the_data_directory() {
        let file = config_file("[database]\ndata_dir = \"/var/lib/omegachat\"\n");
        let path = resolve(None, Some(file.path()), &[], || false).unwrap();
        assert_eq!(path, Path::new("/var/lib/omegachat/admin.sock"));
    }

    #[test]
    fn a_named_configuration_that_is_invalid_is_an_error_naming_the_key() {
        let file = config_file("[admin]\nsokcet = \"/typo.sock\"\n");
        let err = resolve(None, Some(file.path()), &[], never_asked).unwrap_err();
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
