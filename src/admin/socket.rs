//! Creating the admin socket file safely: a checked parent directory, no clobbering a live
//! daemon's socket, a stale one from a crash replaced, and permissions set before anyone connects.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, chown};
use tokio::net::UnixListener;

/// Why the admin socket could not be opened; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    #[error(
        "another omegachatd is already answering on the admin socket {0}: stop it first, or give this one its own admin.socket"
    )]
    InUse(PathBuf),
    #[error("cannot create the admin socket directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the admin socket directory {0} is writable by other users, who could replace the socket: make it owned by the daemon's user and not world-writable (chmod o-w)"
    )]
    UnsafeDir(PathBuf),
    #[error("cannot remove the stale admin socket {path}: {source}")]
    Stale {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on the admin socket {path}: {source}")]
    Bind {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "admin.group = \"{0}\" is not a group on this system: create it (groupadd) or clear admin.group"
    )]
    UnknownGroup(String),
    #[error("cannot set the permissions of the admin socket {path}: {source}")]
    Permissions {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The admin group, resolved once at start-up.
pub fn resolve_group(name: &str) -> Result<Option<Gid>, SocketError> {
    if name.trim().is_empty() {
        return Ok(None);
    }
    match Group::from_name(name.trim()) {
        Ok(Some(group)) => Ok(Some(group.gid)),
        _ => Err(SocketError::UnknownGroup(name.to_owned())),
    }
}

/// Binds the socket at `path`: mode 0600, or 0660 owned by `group` when one is configured.
pub fn bind(path: &Path, group: Option<Gid>) -> Result<UnixListener, SocketError> {
    prepare_dir(path)?;
    if path.exists() {
        // Someone answering means a live daemon: never take its socket away.
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(SocketError::InUse(path.to_owned()));
        }
        tracing::warn!(socket = %path.display(), "replacing a stale admin socket (left by a daemon that did not stop cleanly)");
        std::fs::remove_file(path).map_err(|source| SocketError::Stale {
            path: path.to_owned(),
            source,
        })?;
    }
    // Not under a temporary umask: the umask is per process, and threads creating files meanwhile
    // (or children spawned meanwhile) would inherit it. Until the chmod below the socket has the
    // process's default mode, which grants no write (= connect) permission beyond the usual umask,
    // sits in a 0750 directory, and is refused by the SO_PEERCRED check anyway.
    let listener = UnixListener::bind(path).map_err(|source| SocketError::Bind {
        path: path.to_owned(),
        source,
    })?;
    let permissions = |source| SocketError::Permissions {
        path: path.to_owned(),
        source,
    };
    let mode = if group.is_some() { 0o660 } else { 0o600 };
    if let Some(gid) = group {
        chown(path, None, Some(gid)).map_err(|e| permissions(e.into()))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(permissions)?;
    Ok(listener)
}

/// Creates the parent directory (0750) if missing and refuses one that others may write to.
fn prepare_dir(path: &Path) -> Result<(), SocketError> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o750)
            .create(dir)
            .map_err(|source| SocketError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
    }
    let meta = std::fs::metadata(dir).map_err(|source| SocketError::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    // World-writable without the sticky bit lets anyone swap the socket for their own.
    let world_writable = meta.mode() & 0o002 != 0 && meta.mode() & 0o1000 == 0;
    if world_writable {
        return Err(SocketError::UnsafeDir(dir.to_owned()));
    }
    Ok(())
}
