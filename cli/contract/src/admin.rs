//! The admin protocol: JSON over HTTP/1.1 on the daemon's Unix socket.
//!
//! Routes (all under `/v1`, bodies and answers are the types below; errors are
//! `{"error":{"code","message"}}` with an HTTP status, as on the public API):
//!
//! | method and path                          | body              | answer             |
//! |------------------------------------------|-------------------|--------------------|
//! | `GET /v1/health`                         |                   | [`HealthReport`]   |
//! | `GET /v1/status`                         |                   | [`StatusReport`]   |
//! | `GET /v1/migrations`                     |                   | [`MigrationReport`]|
//! | `POST /v1/migrations/apply`              |                   | [`MigrationReport`]|
//! | `GET /v1/users?prefix=&limit=&cursor=&disabled=` |           | [`UserList`]       |
//! | `POST /v1/users`                         | [`CreateUser`]    | [`AdminUser`]      |
//! | `GET /v1/users/{user}`                   |                   | [`AdminUser`]      |
//! | `POST /v1/users/{user}/disable`          |                   | [`Revocation`]     |
//! | `POST /v1/users/{user}/enable`           |                   | [`AdminUser`]      |
//! | `POST /v1/users/{user}/logout`           |                   | [`Revocation`]     |
//! | `PUT /v1/users/{user}/password`          | [`SetPassword`]   | [`Revocation`]     |
//! | `DELETE /v1/users/{user}`                |                   | [`Revocation`]     |
//! | `GET /v1/groups?prefix=&limit=&cursor=`  |                   | [`GroupList`]      |
//! | `POST /v1/groups`                        | [`CreateGroup`]   | [`AdminGroup`]     |
//! | `GET /v1/groups/{group}`                 |                   | [`AdminGroup`]     |
//! | `POST /v1/groups/{group}/members`        | [`AddMember`]     | [`AdminGroup`]     |
//! | `DELETE /v1/groups/{group}/members/{user}` |                 | [`AdminGroup`]     |
//! | `PUT /v1/groups/{group}/members/{user}/role` | [`SetRole`]   | [`AdminGroup`]     |
//! | `DELETE /v1/groups/{group}`              |                   | [`Deleted`]        |
//! | `GET /v1/keys`                           |                   | [`KeyList`]        |
//! | `POST /v1/keys/rotate`                   | [`RotateKeys`]    | [`KeyChange`]      |
//! | `POST /v1/keys/{kid}/retire`             |                   | [`KeyChange`]      |
//! | `GET /v1/audit?limit=`                   |                   | [`AuditLog`]       |
//! | `POST /v1/backup`                        | [`BackupRequest`] | [`BackupOutcome`]  |
//!
//! `{user}` is a username or a user id; `{group}` is a group id.

use serde::{Deserialize, Serialize};

/// Overall verdict of `GET /v1/health`; `omegactl health` exits 0, 1 or 2 accordingly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Every backend answers and the schema is current.
    Healthy,
    /// Serving, but something needs attention (pending migrations, a slow backend).
    Degraded,
    /// A backend the daemon needs does not answer.
    Down,
}

/// One storage or messaging backend as seen from the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendHealth {
    /// What it is for: `database`, later `messages`, `fanout`.
    pub role: String,
    /// Which engine: `sqlite`, `postgres`, `redis`, `scylla`.
    pub engine: String,
    pub reachable: bool,
    /// Round trip of a trivial query, when it answered.
    pub latency_ms: Option<f64>,
    /// Why it did not answer.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    pub version: String,
    pub backends: Vec<BackendHealth>,
    /// Migrations known to this binary and not yet applied (0 when current).
    pub pending_migrations: usize,
    /// Whether the public API is serving (false while migrations wait for `omegactl migrate up`).
    pub serving: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    pub version: String,
    pub uptime_secs: u64,
    /// Storage engine of accounts and messages.
    pub engine: String,
    /// Open Socket.IO connections on this node.
    pub sockets: usize,
    /// Distinct users with at least one open connection on this node.
    pub users_online: usize,
    /// Socket.IO rooms in use on this node.
    pub rooms: usize,
    /// Messages stored per second, averaged over the last minute.
    pub messages_per_sec: f64,
    /// Messages stored since the daemon started.
    pub messages_since_start: u64,
}

/// One schema migration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
    /// When it was applied (RFC 3339); `None` while pending.
    pub applied_at: Option<String>,
}

/// The migrations of one engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineMigrations {
    /// `sqlite`, `postgres` (and `scylla` once messages can live there).
    pub engine: String,
    pub applied: Vec<MigrationInfo>,
    pub pending: Vec<MigrationInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MigrationReport {
    pub engines: Vec<EngineMigrations>,
}

/// An account as administrators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub disabled: bool,
    pub created_at: String,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetPassword {
    pub password: String,
}

/// The outcome of an action that ends a user's sessions (disable, logout, new password, delete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    pub user: AdminUser,
    /// Live connections of the user on this node that were closed before the daemon answered
    /// (it waits up to 2 s for them).
    pub sockets_disconnected: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminGroupMember {
    pub user_id: String,
    pub username: String,
    /// `owner`, `admin` or `member`.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub conversation_id: String,
    pub created_at: String,
    pub members: Vec<AdminGroupMember>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupList {
    pub groups: Vec<AdminGroup>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateGroup {
    pub name: String,
    pub description: Option<String>,
    /// Username or id of the owner.
    pub owner: String,
    /// Usernames or ids of the other members.
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddMember {
    /// Username or id.
    pub user: String,
    /// `member` (default) or `admin`.
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetRole {
    /// `member`, `admin` or `owner` (hands ownership over).
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deleted {
    pub id: String,
}

/// A token-signing key (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    /// `active` (signs new tokens), `verify_only` (still accepted) or `retired` (rejected).
    pub state: String,
    pub created_at: String,
    pub age_secs: u64,
    /// Unexpired tokens signed with this key: the sessions retiring it would log out.
    pub live_sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotateKeys {
    /// Retire every older key at once instead of leaving it verify-only.
    #[serde(default)]
    pub retire_old: bool,
}

/// The outcome of `rotate` or `retire`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyChange {
    /// The new active key (`rotate` only).
    pub new_kid: Option<String>,
    pub retired: Vec<String>,
    /// Unexpired tokens that stopped working.
    pub sessions_logged_out: u64,
    pub keys: Vec<KeyInfo>,
}

/// One admin action, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    /// The peer's uid (from SO_PEERCRED) and, when the system knows it, its user name.
    pub uid: u32,
    pub user: Option<String>,
    /// `METHOD /path` of the request.
    pub action: String,
    /// HTTP status of the answer.
    pub status: u16,
    /// `ok`, or the error code.
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRequest {
    /// Absolute path of the file to write, as seen by the daemon; must not exist yet.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupOutcome {
    pub path: String,
    pub bytes: u64,
}

/// The error body shared with the public API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}
