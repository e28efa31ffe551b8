//! Building the daemon from its configuration, and running it until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use omegachat_contract::Config;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::admin::{self, AdminListener};
use crate::bus::{EventBus, LocalBus};
use crate::realtime::{self, Realtime, origin::AllowedOrigins};
use crate::server;
use crate::service::AccountService;
use crate::service::admin::{AdminDeps, AdminService};
use crate::service::audience::AudienceCache;
use crate::service::conversations::{ConversationService, ConversationStores};
use crate::service::groups::GroupService;
use crate::service::login_throttle::LoginThrottle;
use crate::service::passwords::Passwords;
use crate::service::presence::PresenceService;
use crate::service::social::SocialService;
use crate::service::tokens::Tokens;
use crate::store::counters::{MemoryCounters, WindowCounters};
use crate::store::database::Database;
use crate::store::presence::MemoryPresence;
use crate::store::{self, DatabaseHealth, Stores};

/// Events that may queue for the real-time edge before the slowest subscriber misses some.
const BUS_CAPACITY: usize = 65_536;

/// What every request handler shares. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<AccountService>,
    pub social: Arc<SocialService>,
    pub groups: Arc<GroupService>,
    pub conversations: Arc<ConversationService>,
    pub presence: Arc<PresenceService>,
    pub admin: Arc<AdminService>,
    pub bus: Arc<dyn EventBus>,
    pub health: Arc<dyn DatabaseHealth>,
}

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
    #[error(transparent)]
    Admin(#[from] admin::SocketError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error(
        "{0} database migration(s) pending; run `omegactl migrate up` (or set database.auto_migrate = true)"
    )]
    MigrationsPending(usize),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
}

/// The public edge and the services behind it: built once the schema is current.
pub struct Serving {
    pub state: AppState,
    pub stores: Stores,
    pub realtime: Realtime,
    pub router: axum::Router,
}

/// What exists from start-up on, whatever the schema: the configuration and the database. The
/// admin socket works on this alone, so an administrator can inspect and migrate a daemon that
/// is not serving yet.
pub struct Core {
    pub config: Config,
    pub database: Database,
    pub started_at: Instant,
    serving: OnceLock<Serving>,
    starting: Mutex<()>,
    /// `chat.sends_per_user_per_minute` as last loaded (start-up or SIGHUP): services built
    /// after a reload (once pending migrations are applied) start from it, not from `config`.
    send_limit: AtomicU32,
}

impl Core {
    /// The services, once the daemon serves.
    pub fn serving(&self) -> Option<&Serving> {
        self.serving.get()
    }

    /// Builds the services and opens the public API, if the schema is current (idempotent).
    pub async fn start_serving(&self) -> Result<&Serving, StartupError> {
        let _guard = self.starting.lock().await;
        if let Some(serving) = self.serving.get() {
            return Ok(serving);
        }
        let pending = self.database.pending_migrations().await?;
        if pending > 0 {
            return Err(StartupError::MigrationsPending(pending));
        }
        let serving = build_serving(&self.config, self.database.stores()).await?;
        let serving = self.serving.get_or_init(|| serving);
        // A reload that ran while the services were being built stored its value here first.
        serving
            .state
            .conversations
            .set_send_limit(self.send_limit.load(Ordering::Acquire));
        Ok(serving)
    }

    /// Applies a reloaded `chat.sends_per_user_per_minute`, now or when the services start.
    pub fn set_send_limit(&self, per_minute: u32) {
        // Stored before looking at `serving`; `start_serving` reads it after setting `serving`:
        // whichever runs second applies the newest value.
        self.send_limit.store(per_minute, Ordering::Release);
        if let Some(serving) = self.serving.get() {
            serving.state.conversations.set_send_limit(per_minute);
        }
    }
}

async fn build_serving(config: &Config, stores: Stores) -> Result<Serving, StartupError> {
    let passwords =
        Passwords::new(std::thread::available_parallelism().map_or(2, |n| n.get())).await?;
    let tokens = Tokens::new(stores.keys.clone(), stores.grants.clone(), &config.auth).await?;
    let counters: Arc<dyn WindowCounters> = Arc::new(MemoryCounters::default());
    let throttle = LoginThrottle::new(counters.clone(), &config.auth);
    let bus: Arc<dyn EventBus> = Arc::new(LocalBus::new(BUS_CAPACITY));
    let accounts = Arc::new(AccountService::new(
        stores.users.clone(),
        passwords,
        tokens,
        throttle,
        bus.clone(),
    ));
    let audiences = Arc::new(AudienceCache::default());
    let social = SocialService::new(
        stores.users.clone(),
        stores.friendships.clone(),
        audiences.clone(),
        bus.clone(),
    );
    let conversation_stores = ConversationStores {
        users: stores.users.clone(),
        friendships: stores.friendships.clone(),
        groups: stores.groups.clone(),
        conversations: stores.conversations.clone(),
        messages: stores.messages.clone(),
        counters,
        audiences,
    };
    let conversations = Arc::new(ConversationService::new(
        conversation_stores,
        bus.clone(),
        config.chat.clone(),
    ));
    let groups = Arc::new(GroupService::new(
        stores.users.clone(),
        stores.groups.clone(),
        conversations.clone(),
        bus.clone(),
    ));
    let social = Arc::new(social);
    let presence = Arc::new(PresenceService::new(
        Arc::new(MemoryPresence::default()),
        stores.users.clone(),
        social.clone(),
        conversations.clone(),
        bus.clone(),
    ));
    let admin = Arc::new(AdminService::new(AdminDeps {
        accounts: accounts.clone(),
        users: stores.users.clone(),
        keys: stores.keys.clone(),
        grants: stores.grants.clone(),
        account_admin: stores.account_admin.clone(),
        groups: groups.clone(),
        group_store: stores.groups.clone(),
        presence: presence.clone(),
        bus: bus.clone(),
    }));
    let state = AppState {
        accounts,
        social,
        groups,
        conversations,
        presence,
        admin,
        bus,
        health: stores.health.clone(),
    };
    let realtime = realtime::build(state.clone(), &config.realtime);
    let origins = AllowedOrigins(Arc::new(config.realtime.allowed_origins.clone()));
    let router = crate::http::router(state.clone(), config.server.max_body_bytes)
        .layer(realtime.layer.clone())
        .layer(axum::middleware::from_fn_with_state(
            origins,
            realtime::origin::check,
        ));
    Ok(Serving {
        state,
        stores,
        realtime,
        router,
    })
}

/// A bound, ready-to-run daemon. Tests build one on port 0 and read [`Application::local_addr`].
pub struct Application {
    listener: TcpListener,
    admin: AdminListener,
    core: Arc<Core>,
}

impl Application {
    /// Connects to the database (migrating it when `database.auto_migrate` says so), prepares
    /// the services when the schema is current, and binds the public listener and admin socket.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let database = Database::connect(&config.database).await?;
        let engine = config.database.engine().map_err(store::StoreError::Setup)?;
        if config.database.auto_migrate.applies_to(&engine) {
            database.migrate().await?;
        }
        let admin_path = config.admin.socket_path(
            &config.database,
            std::env::var("RUNTIME_DIRECTORY").ok().as_deref(),
        );
        let admin = admin::bind(&admin_path, &config.admin.group)?;
        let core = Arc::new(Core {
            send_limit: AtomicU32::new(config.chat.sends_per_user_per_minute),
            config,
            database,
            started_at: Instant::now(),
            serving: OnceLock::new(),
            starting: Mutex::new(()),
        });
        match core.start_serving().await {
            Ok(_) => {}
            Err(StartupError::MigrationsPending(n)) => tracing::warn!(
                pending = n,
                socket = %admin_path.display(),
                "the database schema is behind this omegachatd: the public API answers 503 until an administrator runs `omegactl migrate up`"
            ),
            Err(other) => return Err(other),
        }
        let addr = core.config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            listener,
            admin,
            core,
        })
    }

    /// The address actually bound (the real port when `server.listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.core.config.server.listen)
    }

    /// What a configuration reload needs to reach the running services.
    pub fn core(&self) -> Arc<Core> {
        self.core.clone()
    }

    /// Path of the admin socket.
    pub fn admin_socket(&self) -> &std::path::Path {
        self.admin.path()
    }

    /// The services, for in-process callers (tests); `None` while migrations are pending.
    pub fn state(&self) -> Option<&AppState> {
        self.core.serving().map(|s| &s.state)
    }

    /// The opened stores, for in-process callers (tests); `None` while migrations are pending.
    pub fn stores(&self) -> Option<&Stores> {
        self.core.serving().map(|s| &s.stores)
    }

    /// Serves until `shutdown` completes, then stops in order, within `server.shutdown_grace_ms`:
    /// stop accepting connections; let the socket requests in progress be stored and
    /// acknowledged, then close the sockets; let the HTTP requests in progress finish; and only
    /// then close the stores, so nothing that had arrived fails on a closed database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let core = self.core;
        let grace = Duration::from_millis(core.config.server.shutdown_grace_ms);
        let local_addr = self
            .listener
            .local_addr()
            .unwrap_or(core.config.server.listen);
        let mut limits = server::Limits::from(&core.config.server);
        server::raise_open_files_limit(&mut limits);
        let mut public = server::Server::start(self.listener, gate(core.clone()), limits);
        tracing::info!("listening on http://{local_addr}");
        let admin_task = tokio::spawn(admin::serve(self.admin, core.clone()));
        crate::systemd::ready();
        let watchdog = crate::systemd::spawn_watchdog(Arc::new(core.database.clone()));

        shutdown.await;
        let deadline = tokio::time::Instant::now() + grace;
        tracing::info!("shutting down: no longer accepting connections");
        crate::systemd::stopping();
        public.stop_accepting().await;
        if let Some(serving) = core.serving() {
            serving.realtime.shut_down(deadline).await;
        }
        if !public.shutdown(deadline).await {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "requests still running after server.shutdown_grace_ms; exiting anyway"
            );
        }
        admin_task.abort();
        if let Some(serving) = core.serving() {
            serving.realtime.delivery.abort();
        }
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        DatabaseHealth::close(&core.database).await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The public router: the real one once serving, otherwise a 503 that tells the administrator
/// what to run.
fn gate(core: Arc<Core>) -> axum::Router {
    use axum::response::IntoResponse;
    axum::Router::new().fallback(move |request: axum::extract::Request| {
        let core = core.clone();
        async move {
            match core.serving() {
                Some(serving) => {
                    use tower::ServiceExt;
                    match serving.router.clone().oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
                None => crate::http::error::ApiError::new(
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "migrations_pending",
                    "this server is waiting for its database schema to be upgraded: an administrator must run `omegactl migrate up`",
                )
                .into_response(),
            }
        }
    })
}
