//! The admin edge: JSON over HTTP/1.1 on a local Unix socket, for `omegactl`.
//!
//! Only root, the daemon's own user and members of `admin.group` are served (checked with
//! SO_PEERCRED on every connection, beneath the socket file's own permissions); every refused
//! connection and every change is written to the audit log. Routes, bodies and answers are the
//! `omegachat_contract::admin` request types, which the router is built from ([`routes`]).

mod audit;
mod groups;
mod keys;
mod peer;
mod record;
mod routes;
mod socket;
mod system;
mod users;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use tokio::net::UnixListener;

use crate::edge::error::ApiError;
use crate::service::system::SystemService;
use peer::AccessPolicy;
pub use peer::Peer;
use record::SocketRecord;
use routes::AdminRoutes;
pub use socket::SocketError;

/// The bound admin socket, not yet serving.
pub struct AdminListener {
    listener: UnixListener,
    path: PathBuf,
    policy: AccessPolicy,
    /// Where omegactl finds the socket; removed when the listener goes away.
    record: Option<SocketRecord>,
}

impl AdminListener {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Creates the socket (see [`socket::bind`]), resolves who may use it, and records its path in
/// `record` (see `omegachat_contract::runtime`) for omegactl.
pub fn bind(path: &Path, group: &str, record: Option<&Path>) -> Result<AdminListener, SocketError> {
    let admin_gid = socket::resolve_group(group)?;
    let listener = socket::bind(path, admin_gid)?;
    tracing::info!(socket = %path.display(), "admin socket ready");
    // Without the record omegactl still finds the socket through --socket or the configuration.
    let record = record.and_then(|file| match SocketRecord::write(file, path) {
        Ok(record) => {
            tracing::debug!(record = %record.file().display(), "admin socket recorded for omegactl");
            Some(record)
        }
        Err(e) => {
            tracing::warn!(record = %file.display(), error = %e, "cannot record the admin socket for omegactl: pass it with --socket");
            None
        }
    });
    Ok(AdminListener {
        listener,
        path: path.to_owned(),
        policy: AccessPolicy {
            daemon_uid: nix::unistd::getuid().as_raw(),
            admin_gid,
        },
        record,
    })
}

/// What admin handlers share: the system service (and through it, once they run, the other
/// services), and who may connect.
#[derive(Clone)]
pub struct AdminState {
    pub system: Arc<SystemService>,
    pub policy: AccessPolicy,
}

/// Serves the admin socket until the task is aborted; removes the socket file when it ends.
pub async fn serve(admin: AdminListener, system: Arc<SystemService>) {
    let state = AdminState {
        system,
        policy: admin.policy,
    };
    let app = router(state.clone())
        .layer(axum::middleware::from_fn_with_state(state, audit::guard))
        .into_make_service_with_connect_info::<Peer>();
    let _cleanup = RemoveOnDrop(admin.path.clone());
    // Dropped with the task: the record goes before (or with) the socket it names.
    let _record = admin.record;
    if let Err(e) = axum::serve(admin.listener, app).await {
        tracing::error!(socket = %admin.path.display(), error = %e, "the admin socket stopped");
    }
}

/// Removes the socket file when the server stops (or its task is aborted at shutdown).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Every admin route: each handler's request type says where it is mounted.
fn router(state: AdminState) -> Router {
    AdminRoutes::new()
        .add(system::health)
        .add(system::status)
        .add(system::migrations)
        .add(system::migrate)
        .add(system::audit)
        .add(system::backup)
        .add(users::list)
        .add(users::create)
        .add(users::show)
        .add(users::disable)
        .add(users::enable)
        .add(users::logout)
        .add(users::set_password)
        .add(users::delete)
        .add(groups::list)
        .add(groups::create)
        .add(groups::show)
        .add(groups::add_member)
        .add(groups::remove_member)
        .add(groups::set_role)
        .add(groups::delete)
        .add(keys::list)
        .add(keys::rotate)
        .add(keys::retire)
        .into_router()
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such admin route (see omegachat_contract::admin for the list)",
            )
        })
        .with_state(state)
}

/// RFC 3339 text for the admin protocol.
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
