//! Telling omegactl where the admin socket is: the socket's absolute path, written to the record
//! file `omegachat_contract::runtime` names, so omegactl finds this daemon from any directory.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use omegachat_contract::runtime::parse_record;

/// A written record, removed when dropped (the daemon stops, or fails to start after binding).
#[derive(Debug)]
pub struct SocketRecord {
    file: PathBuf,
    socket: PathBuf,
}

impl SocketRecord {
    /// Records `socket` in `file`, creating its directory (0700) if needed. Written to a temporary
    /// name and renamed, so omegactl never reads half a path.
    pub fn write(file: &Path, socket: &Path) -> std::io::Result<Self> {
        let socket = std::path::absolute(socket)?;
        if let Some(dir) = file.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let partial = file.with_extension(format!("{}.partial", std::process::id()));
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            // Readable by those who may enter the directory: under the systemd unit, the admin
            // group's members.
            .mode(0o644)
            .open(&partial)?;
        writeln!(out, "{}", socket.display())?;
        std::fs::rename(&partial, file)?;
        Ok(Self {
            file: file.to_owned(),
            socket,
        })
    }

    /// The record file.
    pub fn file(&self) -> &Path {
        &self.file
    }
}

impl Drop for SocketRecord {
    fn drop(&mut self) {
        // A daemon started later with another socket may have recorded its own since: that
        // record is left alone.
        let ours = std::fs::read_to_string(&self.file)
            .ok()
            .and_then(|text| parse_record(&text))
            .is_some_and(|recorded| recorded == self.socket);
        if ours {
            let _ = std::fs::remove_file(&self.file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_names_the_socket_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("runtime/omegachat/admin-socket");
        let record = SocketRecord::write(&file, &dir.path().join("data/admin.sock")).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            parse_record(&text),
            Some(dir.path().join("data/admin.sock"))
        );
        drop(record);
        assert!(!file.exists());
    }

    #[test]
    fn a_record_replaced_by_another_daemon_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin-socket");
        let first = SocketRecord::write(&file, Path::new("/first.sock")).unwrap();
        let second = SocketRecord::write(&file, Path::new("/second.sock")).unwrap();
        drop(first);
        assert_eq!(
            parse_record(&std::fs::read_to_string(&file).unwrap()),
            Some(PathBuf::from("/second.sock"))
        );
        drop(second);
        assert!(!file.exists());
    }
}
