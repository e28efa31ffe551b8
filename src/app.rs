//! Building the daemon from its configuration, and running it until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use omegachat_contract::Config;
use omegachat_contract::runtime::RuntimeDirs;
use tokio::net::TcpListener;

use crate::admin::{self, AdminListener};
use crate::edge::client_addr::TrustedProxies;
use crate::realtime::{self, Realtime, origin::AllowedOrigins};
use crate::server;
use crate::service::Services;
use crate::service::system::{Started, SystemService};
use crate::store::database::Database;
use crate::store::{self, DatabaseHealth, Stores};

/// Why the daemon could not start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(
        "cannot listen on {addr}: {source} (is another omegachatd or program using it? change server.listen)"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid server.trusted_proxies: {0}")]
    TrustedProxies(String),
    #[error(transparent)]
    Admin(#[from] admin::SocketError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot start the services: {}", .0.detail())]
    Service(#[from] crate::service::ServiceError),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
}

/// The public edges over the services: the Socket.IO endpoint and the router it is mounted in.
struct PublicApi {
    realtime: Realtime,
    router: axum::Router,
}

/// What the running daemon holds: the system service (and through it the services, once the
/// schema is current) and the public edges built over them.
struct Daemon {
    system: Arc<SystemService>,
    public: OnceLock<PublicApi>,
}

impl Daemon {
    /// The public edges, built the first time they are needed once the services run: at start-up
    /// when the schema is current, otherwise at the first public request after
    /// `omegactl migrate up` started the services.
    fn public(&self) -> Option<&PublicApi> {
        let services = self.system.serving()?;
        Some(self.public.get_or_init(|| {
            let public = build_public(self.system.config(), services);
            self.system.attach_rooms(Arc::new(public.realtime.rooms()));
            public
        }))
    }
}

fn build_public(config: &Config, services: &Services) -> PublicApi {
    let realtime = realtime::build(services.clone(), &config.realtime);
    let origins = AllowedOrigins(Arc::new(config.realtime.allowed_origins.clone()));
    let router = crate::http::router(services.clone(), config.server.max_body_bytes)
        .layer(realtime.layer.clone())
        .layer(axum::middleware::from_fn(realtime::detach::detach))
        .layer(axum::middleware::from_fn_with_state(
            origins,
            realtime::origin::check,
        ));
    PublicApi { realtime, router }
}

/// A bound, ready-to-run daemon. Tests build one on port 0 and read [`Application::local_addr`].
pub struct Application {
    listener: TcpListener,
    trusted_proxies: TrustedProxies,
    admin: AdminListener,
    database: Database,
    daemon: Arc<Daemon>,
}

impl Application {
    /// [`Application::build_in`] with no runtime directories: the admin socket where the
    /// configuration puts it, and no record of it (what tests and embedders want).
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        Self::build_in(config, &RuntimeDirs::default()).await
    }

    /// Connects to the database (migrating it when `database.auto_migrate` says so), starts the
    /// services when the schema is current, and binds the public listener and admin socket.
    /// `dirs` are the runtime directories the process was given (`main` passes its
    /// environment's): the admin socket goes into systemd's by default, and its path is recorded
    /// for omegactl in systemd's or the user's.
    pub async fn build_in(config: Config, dirs: &RuntimeDirs) -> Result<Self, StartupError> {
        let trusted_proxies = TrustedProxies::new(
            config
                .server
                .trusted_proxy_networks()
                .map_err(StartupError::TrustedProxies)?,
        );
        let database = Database::connect(&config.database).await?;
        // Where messages live is decided here, once: a cluster that cannot be reached stops the
        // start rather than letting messages go to the main database, which other nodes
        // configured the same way would not share.
        let messages = store::connect_messages(&config.messages).await?;
        if messages.is_some() {
            // Said at every start, not hidden in a document: see README, "Messages on ScyllaDB".
            tracing::warn!(
                "messages.url is set: messages live on ScyllaDB/Cassandra through a store that \
                 OmegaChat's own test suite has never run against a cluster; before trusting it \
                 with real messages, run the store suite against yours \
                 (OMEGACHAT_TEST_SCYLLA_URL=scylla://host:9042/keyspace .ci/test)"
            );
        }
        let engine = config.database.engine().map_err(store::StoreError::Setup)?;
        // One rule for both schemas: a cluster needs PostgreSQL, where "auto" means no.
        if config.database.auto_migrate.applies_to(&engine) {
            database.migrate().await?;
            if let Some(cluster) = &messages {
                cluster.migrate().await?;
            }
        }
        let admin_path = config
            .admin
            .socket_path(&config.database, dirs.systemd.as_deref());
        let record = dirs.record_to_write();
        if record.is_none() {
            tracing::info!(
                socket = %admin_path.display(),
                "no $XDG_RUNTIME_DIR (or systemd runtime directory) to record the admin socket in: from other directories, omegactl needs --socket or admin.socket"
            );
        }
        let admin = admin::bind(&admin_path, &config.admin.group, record.as_deref())?;
        let addr = config.server.listen;
        let system = Arc::new(SystemService::new(config, database.clone(), messages));
        match system.start().await? {
            Started::Serving(_) => {}
            Started::MigrationsPending(n) => tracing::warn!(
                pending = n,
                socket = %admin_path.display(),
                "the database schema is behind this omegachatd: the public API answers 503 until an administrator runs `omegactl migrate up`"
            ),
        }
        let daemon = Arc::new(Daemon {
            system,
            public: OnceLock::new(),
        });
        // Built now rather than at the first request, so the first client waits for nothing.
        daemon.public();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        daemon
            .system
            .set_public_address(listener.local_addr().unwrap_or(addr));
        Ok(Self {
            listener,
            trusted_proxies,
            admin,
            database,
            daemon,
        })
    }

    /// The address actually bound (the real port when `server.listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.daemon.system.config().server.listen)
    }

    /// What a configuration reload needs to reach the running services.
    pub fn system(&self) -> Arc<SystemService> {
        self.daemon.system.clone()
    }

    /// Path of the admin socket.
    pub fn admin_socket(&self) -> &std::path::Path {
        self.admin.path()
    }

    /// The services, for in-process callers (tests); `None` while migrations are pending.
    pub fn services(&self) -> Option<&Services> {
        self.daemon.system.serving()
    }

    /// The opened stores, for in-process callers (tests); `None` while migrations are pending.
    pub fn stores(&self) -> Option<&Stores> {
        self.daemon.system.stores()
    }

    /// Serves until `shutdown` completes, then stops in order, within `server.shutdown_grace_ms`:
    /// stop accepting connections; let the socket requests in progress be stored and
    /// acknowledged, then close the sockets; let the HTTP requests in progress finish; and only
    /// then close the stores, so nothing that had arrived fails on a closed database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let daemon = self.daemon;
        let config = daemon.system.config();
        let grace = Duration::from_millis(config.server.shutdown_grace_ms);
        let local_addr = self.listener.local_addr().unwrap_or(config.server.listen);
        let mut limits = server::Limits::from(&config.server);
        server::raise_open_files_limit(&mut limits);
        let gated = daemon.clone();
        let router = crate::http::gate(move || gated.public().map(|p| p.router.clone()));
        let mut public = server::Server::start(self.listener, router, limits, self.trusted_proxies);
        tracing::info!("listening on http://{local_addr}");
        let admin_task = tokio::spawn(admin::serve(self.admin, daemon.system.clone()));
        crate::systemd::ready();
        let watchdog = crate::systemd::spawn_watchdog(Arc::new(self.database.clone()));

        shutdown.await;
        let deadline = tokio::time::Instant::now() + grace;
        tracing::info!("shutting down: no longer accepting connections");
        crate::systemd::stopping();
        public.stop_accepting().await;
        if let Some(services) = daemon.system.serving() {
            // Off `omegactl status` at once rather than when its lease runs out.
            services.nodes.withdraw().await;
        }
        // Only edges that were built have sockets to close.
        if let Some(api) = daemon.public.get() {
            api.realtime.shut_down(deadline).await;
        }
        if !public.shutdown(deadline).await {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "requests still running after server.shutdown_grace_ms; exiting anyway"
            );
        }
        admin_task.abort();
        if let Some(api) = daemon.public.get() {
            api.realtime.delivery.abort();
        }
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        DatabaseHealth::close(&self.database).await;
        tracing::info!("stopped");
        Ok(())
    }
}
