//! Who is on the other end of the admin socket (SO_PEERCRED) and whether they may be served.

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use nix::unistd::{Gid, Uid, User, getgrouplist};
use tokio::net::UnixListener;

/// The connecting process's credentials, as the kernel reports them.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl Connected<IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, UnixListener>) -> Self {
        match stream.io().peer_cred() {
            Ok(cred) => Peer {
                uid: Some(cred.uid()),
                gid: Some(cred.gid()),
            },
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the admin socket peer's credentials");
                Peer {
                    uid: None,
                    gid: None,
                }
            }
        }
    }
}

/// Who may use the admin socket: root, the daemon's own user, members of the admin group.
#[derive(Debug, Clone, Copy)]
pub struct AccessPolicy {
    pub daemon_uid: u32,
    pub admin_gid: Option<Gid>,
}

impl AccessPolicy {
    pub fn allows(&self, peer: &Peer) -> bool {
        let Some(uid) = peer.uid else {
            return false;
        };
        if uid == 0 || uid == self.daemon_uid {
            return true;
        }
        let Some(admin_gid) = self.admin_gid else {
            return false;
        };
        if peer.gid == Some(admin_gid.as_raw()) {
            return true;
        }
        // Supplementary groups are not in SO_PEERCRED: ask the group database.
        match User::from_uid(Uid::from_raw(uid)) {
            Ok(Some(user)) => std::ffi::CString::new(user.name)
                .ok()
                .and_then(|name| getgrouplist(&name, user.gid).ok())
                .is_some_and(|groups| groups.contains(&admin_gid)),
            _ => false,
        }
    }

    /// Who may connect, for refusal messages.
    pub fn describe(&self) -> String {
        let users = match self.daemon_uid {
            0 => "root".to_owned(),
            uid => format!(
                "root, {}",
                user_name(uid).unwrap_or_else(|| format!("uid {uid}"))
            ),
        };
        match self
            .admin_gid
            .and_then(|gid| nix::unistd::Group::from_gid(gid).ok().flatten())
        {
            Some(group) => format!("{users} and members of group {}", group.name),
            None => format!("{users} (set admin.group to let a group in)"),
        }
    }
}

/// The login name of `uid`, when the system knows one.
pub fn user_name(uid: u32) -> Option<String> {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
}
