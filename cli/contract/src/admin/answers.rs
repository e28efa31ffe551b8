//! What the daemon answers: reports, accounts, groups, keys, the audit log, and the error body.

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

impl HealthStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Down => "down",
        }
    }
}

/// One storage or messaging backend as seen from the daemon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendHealth {
    /// What it is for: `database`, `messages`, `fanout`.
    pub role: String,
    /// Which engine: `sqlite`, `postgres`, `redis`, `scylla`.
    pub engine: String,
    pub reachable: bool,
    /// Round trip of a trivial query, when it answered.
    pub latency_ms: Option<f64>,
    /// Why it did not answer.
    pub error: Option<String>,
    /// More about its state, e.g. `3/3 nodes connected` for the messages cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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
    /// Every live node of the chat, this one included (only this one on a single node).
    #[serde(default)]
    pub nodes: Vec<NodeStatus>,
    /// The whole chat: the sum over `nodes`, and its distinct users online.
    #[serde(default)]
    pub totals: ChatTotals,
    /// Why `nodes` lists only this node although the chat may have more (Redis did not answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes_error: Option<String>,
}

/// One live node as it last announced itself (every heartbeat, at most a second or so old).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeStatus {
    /// Random per process: a restarted node is a new node.
    pub id: String,
    /// The machine's host name.
    pub host: String,
    /// The public listener's address as bound (`server.listen`).
    pub address: String,
    pub version: String,
    /// Seconds since this node started serving.
    pub uptime_secs: u64,
    pub sockets: u64,
    /// Distinct users with a socket on this node.
    pub users_online: u64,
    pub messages_per_sec: f64,
    /// Whether this is the node that answered.
    pub this_node: bool,
}

/// Figures for the whole chat.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatTotals {
    pub nodes: usize,
    pub sockets: u64,
    /// Distinct users online anywhere (a user on two nodes counts once); `None` when there were
    /// too many to count in one step.
    pub users_online: Option<u64>,
    pub messages_per_sec: f64,
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

/// Whether an account may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// Can sign in; its tokens are accepted.
    Active,
    /// Disabled by an administrator: no login, no token accepted, until enabled again.
    Disabled,
    /// Deleted (only in the answer to the deletion): the record is anonymised for good.
    Deleted,
}

impl AccountState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Active => "active",
            AccountState::Disabled => "disabled",
            AccountState::Deleted => "deleted",
        }
    }
}

/// An account as administrators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUser {
    /// The user id, as on the public API.
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub state: AccountState,
    pub created_at: String,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserList {
    pub users: Vec<AdminUser>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The outcome of an action that ends a user's sessions (disable, logout, new password, delete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    pub user: AdminUser,
    /// Live connections of the user on this node that were closed before the daemon answered
    /// (it waits up to 2 s for them).
    pub sockets_disconnected: usize,
}

/// What a member may do in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRole {
    Member,
    /// Adds and removes members, moderates messages.
    Admin,
    /// One per group; appoints admins. Setting it hands ownership over (the old owner becomes an
    /// admin).
    Owner,
}

impl GroupRole {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupRole::Member => "member",
            GroupRole::Admin => "admin",
            GroupRole::Owner => "owner",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminGroupMember {
    pub user_id: i64,
    pub username: String,
    pub role: GroupRole,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminGroup {
    /// The group id, as on the public API.
    pub id: i64,
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
pub struct Deleted {
    pub id: i64,
}

/// Where a token-signing key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Signs new tokens (one key at a time).
    Active,
    /// Replaced by a newer key; the tokens it signed are still accepted until they expire.
    VerifyOnly,
    /// The tokens it signed are rejected.
    Retired,
}

impl KeyState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::VerifyOnly => "verify_only",
            KeyState::Retired => "retired",
        }
    }
}

/// A token-signing key (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    pub state: KeyState,
    pub created_at: String,
    pub age_secs: u64,
    /// Unexpired tokens signed with this key: the sessions retiring it would log out.
    pub live_sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyList {
    pub keys: Vec<KeyInfo>,
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
    /// The request field the error is about, when it is about one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
