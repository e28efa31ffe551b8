//! The typed `omegachat.toml`: every key, its type, its default and its documentation.
//!
//! These types are the single source of truth: the shipped sample `omegachat.toml` is generated
//! from their doc comments and `Config::default()` (`cli/contract/tests/sample.rs`), and the
//! omegachat.toml(5) man page from that sample, so neither can drift from the code. A section's
//! doc comment starts with its `[name]`; the lines after it introduce the section in the sample.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub use ipnet::IpNet;
use serde::{Deserialize, Serialize};

mod check;
mod messages;
mod preview;

pub use messages::{
    Consistency, MessagesConfig, MessagesEngine, ReplicationClass, ScyllaTarget, SerialConsistency,
};
pub use preview::PreviewConfig;

/// The whole daemon configuration, loaded once at start-up. What follows is also the
/// header of the generated sample `omegachat.toml`:
///
/// omegachat.toml — configuration of omegachatd.
///
/// Every key is listed below, commented out, with its built-in default: uncomment a line to change it.
/// omegachatd looks for this file in order at: --config PATH, $OMEGACHAT_CONFIG, ./omegachat.toml,
/// /etc/omegachat/omegachat.toml; without one it runs on the defaults.
/// Any key can also be set from the environment as OMEGACHAT_<SECTION>__<KEY>, e.g.
///   OMEGACHAT_SERVER__LISTEN=0.0.0.0:8080  OMEGACHAT_LOG__FORMAT=json
/// An unknown key, a wrong type or an impossible value stops the daemon (exit status 2) with a message
/// naming the key; `omegachatd --check-config` checks a file without starting.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The public listener: REST API, real-time endpoint, web app.
    pub server: ServerConfig,
    /// Where accounts (and, on the embedded profile, everything else) are stored.
    pub database: DatabaseConfig,
    /// Where messages and conversations are stored, when not in the main database.
    pub messages: MessagesConfig,
    /// Tokens, password policy and login throttling.
    pub auth: AuthConfig,
    /// Conversations and messages.
    pub chat: ChatConfig,
    /// The Socket.IO endpoint.
    pub realtime: RealtimeConfig,
    /// Diagnostics written by the daemon.
    pub log: LogConfig,
    /// The local socket `omegactl` talks to.
    pub admin: AdminConfig,
    /// Redis, which lets several nodes serve one chat.
    pub redis: RedisConfig,
    /// Link previews: what the daemon fetches for a link posted in a message.
    pub preview: PreviewConfig,
}

/// `[server]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port of the public listener (REST API under /api, /healthz, /readyz).
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes (at least 1024); larger bodies are refused with 413.
    pub max_body_bytes: usize,
    /// After SIGTERM/SIGINT the daemon stops accepting connections and lets in-flight requests finish
    /// for at most this many milliseconds (at most 600000) before it exits anyway.
    pub shutdown_grace_ms: u64,
    /// Most TCP connections open at once (sockets, browsers' keep-alive connections, API clients).
    /// When it is reached, new connections wait in the kernel's listen backlog until one closes, and
    /// a warning says so. The daemon raises its open-files limit as far as the hard limit allows and
    /// lowers this value, with a warning, if the limit is still too small (the shipped unit sets
    /// LimitNOFILE=65536).
    pub max_connections: usize,
    /// Most connections open at once on which no valid token has been shown yet (in an API request or
    /// a socket handshake); beyond it new connections wait in the backlog. Together with the timeouts
    /// below, this keeps silent or half-open connections from starving everyone else.
    pub max_unauthenticated_connections: usize,
    /// A client must send a request's complete headers within this many milliseconds: from the moment
    /// it connects, or from the first byte of a later request on a kept-alive connection. Slower
    /// clients (and connections that never send a byte) are closed.
    pub request_header_timeout_ms: u64,
    /// A kept-alive connection with no request in progress is closed after this many milliseconds.
    /// (Sockets are kept alive by their own heartbeat: see realtime.ping_interval_ms.)
    pub idle_timeout_ms: u64,
    /// Load balancers or reverse proxies in front of this daemon, as addresses ("10.0.0.5") or
    /// networks ("10.0.0.0/24"). A request arriving from one of them names its client in the
    /// X-Forwarded-For header it carries (HAProxy's `option forwardfor`, as in deploy/haproxy.cfg):
    /// login throttling and the logs then use that address. The header is read from the right, past
    /// entries that are themselves listed proxies; from any other peer it is ignored. Empty: the TCP
    /// peer is the client. List only proxies that set the header themselves, or clients could choose
    /// their own address. Behind a load balancer that is not listed, every user shares its address and
    /// auth.max_failed_logins_per_address failures lock everyone out.
    pub trusted_proxies: Vec<String>,
    /// Threads that run the API and the sockets. 0: as many as the machine has cores, but one fewer
    /// (and at least one) on the embedded database, whose writes run on a thread of their own: on
    /// a small machine a runtime thread per core competes with that writer, and on the 2-core
    /// machine of BENCHMARKS.md one runtime thread costs less CPU per message than two, with the
    /// same throughput. Needs a restart.
    pub worker_threads: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_body_bytes: 1024 * 1024,
            shutdown_grace_ms: 10_000,
            max_connections: 50_000,
            max_unauthenticated_connections: 2_048,
            request_header_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            trusted_proxies: Vec::new(),
            worker_threads: 0,
        }
    }
}

impl ServerConfig {
    /// `trusted_proxies` as networks (a bare address is a network of one), or the first entry that
    /// is neither an address nor a network, with what is wrong with it.
    pub fn trusted_proxy_networks(&self) -> Result<Vec<IpNet>, String> {
        self.trusted_proxies
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        format!(
                            "{entry:?} is neither an IP address (\"10.0.0.5\", \"::1\") nor a network (\"10.0.0.0/24\", \"fd00::/64\")"
                        )
                    })
            })
            .collect()
    }
}

/// `[database]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Directory for the daemon's own files; created (mode 0700) if missing. Holds the embedded
    /// SQLite database when `url` is empty.
    pub data_dir: PathBuf,
    /// Which database to use:
    ///   ""                                     embedded SQLite file <data_dir>/omegachat.db (no server needed)
    ///   "sqlite:///var/lib/omegachat/chat.db"  SQLite file at that path
    ///   "postgres://USER:PASSWORD@HOST:5432/DATABASE"  a PostgreSQL server (migrations: see auto_migrate)
    pub url: String,
    /// Upper bound on pooled database connections (at least 1).
    pub max_connections: u32,
    /// How long a request waits for a free pooled connection before failing, in milliseconds.
    pub acquire_timeout_ms: u64,
    /// Apply pending schema migrations when the daemon starts: true, false, or "auto" (yes for SQLite,
    /// no for PostgreSQL). When migrations are pending and not applied, the public API answers 503 and
    /// `omegactl migrate status | up` (over the admin socket, which keeps working) shows and applies them.
    /// The same rule covers the messages cluster's cql/ migrations when messages.url names one.
    pub auto_migrate: AutoMigrate,
}

/// `database.auto_migrate`: `true`, `false`, or `"auto"` (yes on SQLite, no on PostgreSQL, where a
/// schema change is something an administrator schedules with `omegactl migrate up`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AutoMigrate {
    #[default]
    Auto,
    Always,
    Never,
}

impl AutoMigrate {
    /// Whether to migrate at start-up on `engine`.
    pub fn applies_to(self, engine: &DatabaseEngine) -> bool {
        match self {
            AutoMigrate::Always => true,
            AutoMigrate::Never => false,
            AutoMigrate::Auto => matches!(engine, DatabaseEngine::Sqlite(_)),
        }
    }
}

/// How `auto_migrate` is written in TOML: a boolean or the word "auto".
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum AutoMigrateRepr {
    Bool(bool),
    Word(AutoWord),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AutoWord {
    Auto,
}

impl Serialize for AutoMigrate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AutoMigrate::Auto => AutoMigrateRepr::Word(AutoWord::Auto),
            AutoMigrate::Always => AutoMigrateRepr::Bool(true),
            AutoMigrate::Never => AutoMigrateRepr::Bool(false),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AutoMigrate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match AutoMigrateRepr::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom("expected true, false or \"auto\""))?
        {
            AutoMigrateRepr::Word(AutoWord::Auto) => Ok(AutoMigrate::Auto),
            AutoMigrateRepr::Bool(true) => Ok(AutoMigrate::Always),
            AutoMigrateRepr::Bool(false) => Ok(AutoMigrate::Never),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            url: String::new(),
            max_connections: 10,
            acquire_timeout_ms: 5_000,
            auto_migrate: AutoMigrate::Auto,
        }
    }
}

/// The storage engine a `database.url` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseEngine {
    /// Embedded SQLite file at this path.
    Sqlite(PathBuf),
    /// A PostgreSQL server at this URL.
    Postgres(String),
}

impl DatabaseConfig {
    /// Which engine the configuration selects; `validate` has already rejected unknown schemes.
    pub fn engine(&self) -> Result<DatabaseEngine, String> {
        let url = self.url.trim();
        if url.is_empty() {
            return Ok(DatabaseEngine::Sqlite(self.data_dir.join("omegachat.db")));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "`sqlite://` needs a file path, e.g. sqlite:///var/lib/omegachat/omegachat.db"
                        .into(),
                );
            }
            return Ok(DatabaseEngine::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseEngine::Postgres(url.to_owned()));
        }
        Err(format!(
            "unsupported database `{}`: use an empty value (embedded SQLite), sqlite://PATH or postgres://…",
            url.split(':').next().unwrap_or(url)
        ))
    }
}

/// `[auth]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// `iss` claim written into and required from every access token.
    pub issuer: String,
    /// `aud` claim written into and required from every access token.
    pub audience: String,
    /// Lifetime of an access token, in seconds (60 to 2592000).
    pub access_token_ttl_secs: u64,
    /// Failed logins allowed per account within the window; further attempts get 429 until it ends.
    pub max_failed_logins_per_account: u32,
    /// Failed logins allowed per client address within the window.
    pub max_failed_logins_per_address: u32,
    /// Length of the window in which failed logins are counted, in seconds.
    pub failed_login_window_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "omegachat".into(),
            audience: "omegachat".into(),
            access_token_ttl_secs: 24 * 60 * 60,
            max_failed_logins_per_account: 5,
            max_failed_logins_per_address: 50,
            failed_login_window_secs: 15 * 60,
        }
    }
}

/// `[chat]`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChatConfig {
    /// Who may open a direct conversation: "anyone" (any signed-in user, unless one blocked the other)
    /// or "friends" (accepted friends only).
    pub dm_policy: DmPolicy,
    /// Largest message content accepted, in bytes of UTF-8 (1 to 1048576); longer messages are refused.
    pub max_message_bytes: usize,
    /// Messages one user may send per minute, over REST and the real-time socket together; beyond it
    /// sends are refused with `rate_limited`.
    pub sends_per_user_per_minute: u32,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            dm_policy: DmPolicy::Anyone,
            max_message_bytes: 16 * 1024,
            sends_per_user_per_minute: 600,
        }
    }
}

/// Direct-message policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmPolicy {
    /// Any signed-in user may message any other (unless one blocked the other).
    #[default]
    Anyone,
    /// Only accepted friends may message each other.
    Friends,
}

/// `[realtime]`
///
/// The Socket.IO endpoint at /socket.io/ (WebSocket and HTTP long-polling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RealtimeConfig {
    /// Browser origins allowed to connect besides the daemon's own address, e.g.
    /// `["https://chat.example.org"]`; `["*"]` allows any. Clients that send no Origin header
    /// (non-browser clients) are always allowed; a disallowed origin gets 403.
    pub allowed_origins: Vec<String>,
    /// Largest WebSocket message or frame accepted, in bytes (at least 1024); a larger one closes the
    /// connection. Message content is limited separately by chat.max_message_bytes.
    pub max_message_bytes: usize,
    /// How often each socket is pinged, in milliseconds (at least 100). The first ping comes this
    /// long after the handshake.
    pub ping_interval_ms: u64,
    /// How long a socket may stay silent after a ping before it is dropped as dead, in milliseconds
    /// (at least 100).
    pub ping_timeout_ms: u64,
    /// How long a `typing` indicator lasts without being renewed, in milliseconds.
    pub typing_timeout_ms: u64,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            allowed_origins: Vec::new(),
            max_message_bytes: 1024 * 1024,
            ping_interval_ms: 25_000,
            ping_timeout_ms: 20_000,
            typing_timeout_ms: 5_000,
        }
    }
}

/// `[admin]`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// The local Unix socket omegactl talks to (JSON over HTTP/1.1). Empty: admin.sock in systemd's
    /// RuntimeDirectory (/run/omegachat/admin.sock with the shipped unit), otherwise in data_dir.
    /// The daemon refuses to start if another daemon answers on it; a stale file from a crash is replaced.
    pub socket: PathBuf,
    /// A system group whose members may use the socket besides root and the daemon's own user: the
    /// socket becomes mode 0660 with that group. Empty: mode 0600, root and the daemon's user only.
    pub group: String,
}

/// Where systemd's `RuntimeDirectory=omegachat` puts the socket.
pub const SYSTEMD_ADMIN_SOCKET: &str = "/run/omegachat/admin.sock";

impl AdminConfig {
    /// The socket path: `socket` when set; else `admin.sock` in the runtime directory systemd
    /// gave the daemon (`RuntimeDirs::systemd`), if any; else `admin.sock` in the data directory.
    pub fn socket_path(&self, database: &DatabaseConfig, runtime_dir: Option<&Path>) -> PathBuf {
        if !self.socket.as_os_str().is_empty() {
            return self.socket.clone();
        }
        match runtime_dir {
            Some(dir) => dir.join("admin.sock"),
            None => database.data_dir.join("admin.sock"),
        }
    }
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Least severe level written: "error", "warn", "info", "debug" or "trace".
    /// RUST_LOG, when set, overrides it (e.g. RUST_LOG=omegachatd=debug,tower_http=info).
    pub level: LogLevel,
    /// "auto" (human-readable, coloured on a terminal), "text" or "json" (one JSON object per line).
    pub format: LogFormat,
}

/// Severity threshold for log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        })
    }
}

/// Shape of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Auto,
    Text,
    Json,
}

/// `[redis]`
/// Several omegachatd nodes serve one chat when they share the database (PostgreSQL) and a Redis:
/// events reach sockets on every node, presence and throttling counters are shared, and admin
/// actions act on every node. Leave url empty on a single node: everything stays in-process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// Redis 7 to share through, e.g. "redis://127.0.0.1:6379/" or "redis+unix:///run/redis/redis.sock";
    /// "redis://:PASSWORD@host:6379/0" with a password. Empty: a single node, nothing shared.
    pub url: String,
    /// Prefix of every key and channel the daemon uses, so several chats can share one Redis.
    pub key_prefix: String,
    /// How long a node's presence lease lasts without renewal, in milliseconds (5000..=300000). A node
    /// renews it every second; the users of one that dies go offline at most this long (plus a second)
    /// after its last renewal.
    pub node_lease_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            key_prefix: "omegachat:".into(),
            node_lease_ms: 15_000,
        }
    }
}

impl RedisConfig {
    /// Whether the daemon shares through Redis (the scaled-out profile).
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }
}
