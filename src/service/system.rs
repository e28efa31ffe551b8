//! The daemon as its administrators see it, whatever the state of its schema: health, status,
//! schema migrations, backups and the audit trail, and the [`Services`] themselves, which start
//! once the schema is current.
//!
//! Built at start-up from the configuration and the database alone, so that the admin socket can
//! inspect and migrate a daemon that does not serve yet. Only the admin edge calls it, so its
//! errors carry the details an administrator needs (a store's own message, a migration's).

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omegachat_contract::Config;
use tokio::sync::Mutex;

use super::nodes::Nodes;
use super::{ServiceError, Services};
use crate::store::audit::AuditRecord;
use crate::store::database::{BackupError, Database, MigrationState};
use crate::store::scylla::MessagesCluster;
use crate::store::{DatabaseHealth, Stores};

/// A backend slower than this is reported as degraded.
const SLOW_BACKEND: Duration = Duration::from_secs(1);
/// A backend that does not answer a ping within this is reported as down.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Audit entries listed when the administrator does not say, and at most.
const AUDIT_DEFAULT: u32 = 50;
const AUDIT_MAX: u32 = 1000;

/// Counts the rooms the real-time edge has in use on this node. The edge implements it, so this
/// layer needs no Socket.IO.
#[async_trait]
pub trait RoomCount: Send + Sync {
    async fn rooms(&self) -> usize;
}

/// What a start attempt found.
pub enum Started<'a> {
    /// The services run (they already did, or were just built).
    Serving(&'a Services),
    /// The schema is behind by this many migrations: nothing was built.
    MigrationsPending(usize),
}

/// Overall verdict of a health check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The database answers quickly and the services run.
    Healthy,
    /// Serving is impaired: pending migrations, services not started, a slow database.
    Degraded,
    /// The database does not answer.
    Down,
}

/// The outcome of a health check.
#[derive(Debug, Clone)]
pub struct HealthCheck {
    pub verdict: Verdict,
    /// `sqlite` or `postgres`.
    pub engine: &'static str,
    /// The database's round trip, or why there was none.
    pub ping: Result<Duration, String>,
    /// Migrations known to this binary and not applied (0 when the database did not answer).
    pub pending_migrations: usize,
    /// Whether the services run (and so the public API serves).
    pub serving: bool,
    /// The other backends (Redis when scaled out): a slow or unreachable one degrades.
    pub backends: Vec<BackendCheck>,
}

/// One backend besides the database, as a health check found it.
#[derive(Debug, Clone)]
pub struct BackendCheck {
    pub role: &'static str,
    pub engine: &'static str,
    pub ping: Result<Duration, String>,
    /// More about its state (the messages cluster's connected nodes).
    pub detail: Option<String>,
}

/// Load and throughput on this node.
#[derive(Debug, Clone)]
pub struct Status {
    pub uptime: Duration,
    pub engine: &'static str,
    pub sockets: usize,
    pub users_online: usize,
    pub rooms: usize,
    pub messages_per_sec: f64,
    pub messages_since_start: u64,
    /// Every live node of the chat (none while not serving).
    pub nodes: Option<Nodes>,
}

/// The schema migrations of one storage engine (the main database, the messages cluster).
#[derive(Debug, Clone)]
pub struct Migrations {
    pub engine: &'static str,
    pub applied: Vec<MigrationState>,
    pub pending: Vec<MigrationState>,
}

/// The services once running, with the stores they were built on.
struct Running {
    services: Services,
    stores: Stores,
}

pub struct SystemService {
    config: Config,
    database: Database,
    /// The cluster holding messages when `messages.url` names one; its schema is migrated and
    /// reported beside the database's, and the services start once both are current.
    messages: Option<MessagesCluster>,
    started_at: Instant,
    running: OnceLock<Running>,
    /// Held while the services are built, so that start-up and a `migrate up` build them once.
    starting: Mutex<()>,
    /// `chat.sends_per_user_per_minute` as last loaded (start-up or SIGHUP): services built after
    /// a reload (once pending migrations are applied) start from it, not from `config`.
    send_limit: AtomicU32,
    rooms: OnceLock<Arc<dyn RoomCount>>,
    /// The public listener's address once bound, for the node's card.
    public_address: OnceLock<std::net::SocketAddr>,
}

impl SystemService {
    pub fn new(config: Config, database: Database, messages: Option<MessagesCluster>) -> Self {
        Self {
            send_limit: AtomicU32::new(config.chat.sends_per_user_per_minute),
            config,
            database,
            messages,
            started_at: Instant::now(),
            running: OnceLock::new(),
            starting: Mutex::new(()),
            rooms: OnceLock::new(),
            public_address: OnceLock::new(),
        }
    }

    /// The configuration the daemon started with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The services, once they run.
    pub fn serving(&self) -> Option<&Services> {
        self.running.get().map(|r| &r.services)
    }

    /// The services, or a refusal telling the administrator why there are none yet.
    pub fn services(&self) -> Result<&Services, ServiceError> {
        self.serving().ok_or_else(not_serving)
    }

    /// The stores the services run on, for in-process callers (tests).
    pub fn stores(&self) -> Option<&Stores> {
        self.running.get().map(|r| &r.stores)
    }

    /// Builds the services if the schema is current (idempotent).
    pub async fn start(&self) -> Result<Started<'_>, ServiceError> {
        let _guard = self.starting.lock().await;
        if let Some(services) = self.serving() {
            return Ok(Started::Serving(services));
        }
        let pending = self.pending_migrations().await?;
        if pending > 0 {
            return Ok(Started::MigrationsPending(pending));
        }
        let stores = match &self.messages {
            Some(cluster) => cluster.stores_over(self.database.stores()).await?,
            None => self.database.stores(),
        };
        let services = Services::build(&self.config, &stores).await?;
        let running = self.running.get_or_init(|| Running { services, stores });
        // A reload that ran while the services were being built stored its value here first.
        running
            .services
            .conversations
            .set_send_limit(self.send_limit.load(Ordering::Acquire));
        if let Some(address) = self.public_address.get() {
            running.services.nodes.set_address(*address);
        }
        Ok(Started::Serving(&running.services))
    }

    /// Applies a reloaded `chat.sends_per_user_per_minute`, now or when the services start.
    pub fn set_send_limit(&self, per_minute: u32) {
        // Stored before looking at `running`; `start` reads it after setting `running`: whichever
        // runs second applies the newest value.
        self.send_limit.store(per_minute, Ordering::Release);
        if let Some(services) = self.serving() {
            services.conversations.set_send_limit(per_minute);
        }
    }

    /// Records the public listener's address, for the node's card now or once serving.
    pub fn set_public_address(&self, address: std::net::SocketAddr) {
        let _ = self.public_address.set(address);
        if let Some(services) = self.serving() {
            services.nodes.set_address(address);
        }
    }

    /// Lets the status report count the real-time edge's rooms (once it exists).
    pub fn attach_rooms(&self, rooms: Arc<dyn RoomCount>) {
        let _ = self.rooms.set(rooms);
    }

    /// Pings the database and checks the schema.
    pub async fn health(&self) -> HealthCheck {
        let ping = match tokio::time::timeout(PING_TIMEOUT, self.database.ping()).await {
            Ok(Ok(latency)) => Ok(latency),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
        };
        let pending_migrations = match ping {
            Ok(_) => self.pending_migrations().await.unwrap_or(0),
            Err(_) => 0,
        };
        let serving = self.serving().is_some();
        let mut backends = Vec::new();
        // One at a time: there is one (Redis), and each ping is bounded.
        for backend in self.serving().map_or(&[][..], |s| &s.backends[..]) {
            backends.push(BackendCheck {
                role: backend.role(),
                engine: backend.engine(),
                ping: backend.ping().await,
                detail: backend.detail(),
            });
        }
        // Without Redis a node still serves its own sockets, so the chat is impaired, not down.
        let backends_impaired = backends.iter().any(|b| {
            b.ping
                .as_ref()
                .map_or(true, |latency| *latency > SLOW_BACKEND)
        });
        let verdict = match &ping {
            Err(_) => Verdict::Down,
            Ok(latency)
                if pending_migrations > 0
                    || !serving
                    || *latency > SLOW_BACKEND
                    || backends_impaired =>
            {
                Verdict::Degraded
            }
            Ok(_) => Verdict::Healthy,
        };
        HealthCheck {
            verdict,
            engine: self.database.engine(),
            ping,
            pending_migrations,
            serving,
            backends,
        }
    }

    /// Connections, rooms and message throughput on this node (zeros while not serving).
    pub async fn status(&self) -> Status {
        let (users_online, sockets, messages_per_sec, messages_since_start, nodes) =
            match self.serving() {
                Some(services) => {
                    let (users, sockets) = services.presence.totals();
                    let stats = services.conversations.stats();
                    let nodes = services.nodes.live().await;
                    (
                        users,
                        sockets,
                        stats.per_second(),
                        stats.total(),
                        Some(nodes),
                    )
                }
                None => (0, 0, 0.0, 0, None),
            };
        let rooms = match self.rooms.get() {
            Some(rooms) => rooms.rooms().await,
            None => 0,
        };
        Status {
            uptime: self.started_at.elapsed(),
            engine: self.database.engine(),
            sockets,
            users_online,
            rooms,
            messages_per_sec,
            messages_since_start,
            nodes,
        }
    }

    /// Known migrations not applied yet, over every engine.
    async fn pending_migrations(&self) -> Result<usize, crate::store::StoreError> {
        let mut pending = self.database.pending_migrations().await?;
        if let Some(cluster) = &self.messages {
            pending += cluster.pending_migrations().await?;
        }
        Ok(pending)
    }

    /// Applied and pending migrations of each engine: the database, then the messages cluster.
    pub async fn migrations(&self) -> Result<Vec<Migrations>, ServiceError> {
        let split = |engine, all: Vec<MigrationState>| {
            let (applied, pending) = all.into_iter().partition(|m| m.applied_at.is_some());
            Migrations {
                engine,
                applied,
                pending,
            }
        };
        let all = self
            .database
            .migrations()
            .await
            .map_err(|e| ServiceError::NotReady {
                code: "database_unavailable",
                message: format!("the database did not answer: {e}"),
            })?;
        let mut engines = vec![split(self.database.engine(), all)];
        if let Some(cluster) = &self.messages {
            let all = cluster
                .migrations()
                .await
                .map_err(|e| ServiceError::NotReady {
                    code: "messages_cluster_unavailable",
                    message: format!("the messages cluster did not answer: {e}"),
                })?;
            engines.push(split(crate::store::scylla::cluster::ENGINE, all));
        }
        Ok(engines)
    }

    /// Applies what is pending and, if the daemon was waiting for that, starts the services.
    pub async fn migrate(&self) -> Result<Vec<Migrations>, ServiceError> {
        self.database
            .migrate()
            .await
            .map_err(|e| ServiceError::Failed {
                code: "migration_failed",
                message: format!(
                    "{e}; the database is unchanged past the last successful migration"
                ),
            })?;
        if let Some(cluster) = &self.messages {
            cluster.migrate().await.map_err(|e| ServiceError::Failed {
                code: "migration_failed",
                message: format!(
                    "{e}; the keyspace is unchanged past the last recorded migration (its statements are safe to run again)"
                ),
            })?;
        }
        match self.start().await {
            Ok(Started::Serving(_)) => tracing::info!("schema is current; serving the public API"),
            Ok(Started::MigrationsPending(n)) => {
                return Err(ServiceError::conflict(
                    "migrations_pending",
                    format!("{n} migration(s) still pending after migrating"),
                ));
            }
            Err(e) => {
                tracing::error!(error = %e.detail(), "cannot start serving after migrating");
                return Err(ServiceError::Failed {
                    code: "start_failed",
                    message: format!("migrated, but the services could not start: {}", e.detail()),
                });
            }
        }
        self.migrations().await
    }

    /// Writes an online copy of the embedded database to `target`; returns its size in bytes.
    pub async fn backup(&self, target: &Path) -> Result<u64, ServiceError> {
        match self.database.backup(target).await {
            Ok(bytes) => {
                tracing::info!(path = %target.display(), bytes, "database backed up");
                Ok(bytes)
            }
            Err(e @ BackupError::Unsupported) => {
                Err(ServiceError::conflict("unsupported", e.to_string()))
            }
            Err(e @ BackupError::Target(_)) => {
                Err(ServiceError::invalid("path", "invalid_path", e.to_string()))
            }
            Err(BackupError::Store(e)) => Err(ServiceError::Failed {
                code: "backup_failed",
                message: format!("cannot write the backup: {e}"),
            }),
        }
    }

    /// The newest admin actions first: `limit` of them (a default when `None`, capped).
    pub async fn audit(&self, limit: Option<u32>) -> Result<Vec<AuditRecord>, ServiceError> {
        let limit = limit.unwrap_or(AUDIT_DEFAULT).clamp(1, AUDIT_MAX);
        let stores = self.stores().ok_or_else(not_serving)?;
        Ok(stores.audit.recent_audit(limit).await?)
    }

    /// Appends an admin action to the audit trail. The trail is a table, which exists once the
    /// schema is current; before that the caller's log line is the only record.
    pub async fn record_audit(&self, record: &AuditRecord) -> Result<(), ServiceError> {
        match self.stores() {
            Some(stores) => Ok(stores.audit.record_audit(record).await?),
            None => Ok(()),
        }
    }
}

fn not_serving() -> ServiceError {
    ServiceError::NotReady {
        code: "migrations_pending",
        message: "the database schema is behind this omegachatd: run `omegactl migrate up` first"
            .into(),
    }
}
