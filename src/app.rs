//! Building the daemon from its configuration, and running it until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::Config;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::bus::{EventBus, LocalBus};
use crate::realtime::{self, Realtime, origin::AllowedOrigins};
use crate::service::AccountService;
use crate::service::audience::AudienceCache;
use crate::service::conversations::{ConversationService, ConversationStores};
use crate::service::groups::GroupService;
use crate::service::login_throttle::LoginThrottle;
use crate::service::passwords::Passwords;
use crate::service::presence::PresenceService;
use crate::service::social::SocialService;
use crate::service::tokens::Tokens;
use crate::store::counters::{MemoryCounters, WindowCounters};
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
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Service(#[from] crate::service::ServiceError),
    #[error("the server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
}

/// A bound, ready-to-run daemon. Tests build one on port 0 and read [`Application::local_addr`].
pub struct Application {
    listener: TcpListener,
    state: AppState,
    stores: Stores,
    realtime: Realtime,
    config: Config,
}

impl Application {
    /// Opens the database (migrating it), prepares services and binds the public listener.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let stores = store::open(&config.database).await?;
        let passwords =
            Passwords::new(std::thread::available_parallelism().map_or(2, |n| n.get())).await?;
        let tokens = Tokens::new(stores.keys.clone(), &config.auth).await?;
        let counters: Arc<dyn WindowCounters> = Arc::new(MemoryCounters::default());
        let throttle = LoginThrottle::new(counters.clone(), &config.auth);
        let accounts = AccountService::new(stores.users.clone(), passwords, tokens, throttle);
        let bus: Arc<dyn EventBus> = Arc::new(LocalBus::new(BUS_CAPACITY));
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
        let groups = GroupService::new(
            stores.users.clone(),
            stores.groups.clone(),
            conversations.clone(),
            bus.clone(),
        );
        let social = Arc::new(social);
        let presence = PresenceService::new(
            Arc::new(MemoryPresence::default()),
            stores.users.clone(),
            social.clone(),
            conversations.clone(),
            bus.clone(),
        );
        let state = AppState {
            accounts: Arc::new(accounts),
            social,
            groups: Arc::new(groups),
            conversations,
            presence: Arc::new(presence),
            bus,
            health: stores.health.clone(),
        };
        let addr = config.server.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let realtime = realtime::build(state.clone(), &config.realtime);
        Ok(Self {
            listener,
            state,
            stores,
            realtime,
            config,
        })
    }

    /// The address actually bound (the real port when `server.listen` asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.config.server.listen)
    }

    /// The services, for in-process callers (the admin edge, tests).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The opened stores, for in-process callers that manage data directly (tests, backups).
    pub fn stores(&self) -> &Stores {
        &self.stores
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests finish
    /// for at most `server.shutdown_grace_ms`, and closes the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let grace = Duration::from_millis(self.config.server.shutdown_grace_ms);
        let local_addr = self.local_addr();
        let origins = AllowedOrigins(Arc::new(self.config.realtime.allowed_origins.clone()));
        let router = crate::http::router(self.state.clone(), self.config.server.max_body_bytes)
            .layer(self.realtime.layer)
            .layer(axum::middleware::from_fn_with_state(
                origins,
                realtime::origin::check,
            ));
        let stopping = Arc::new(Notify::new());
        let io = self.realtime.io.clone();
        let stop_signal = {
            let stopping = stopping.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down: no longer accepting connections");
                crate::systemd::stopping();
                // Upgraded WebSockets are no longer HTTP requests the server waits for: close them.
                io.close().await;
                // notify_one stores a permit, so the grace timer starts even if it is not yet waiting.
                stopping.notify_one();
            }
        };
        tracing::info!("listening on http://{local_addr}");
        crate::systemd::ready();
        let watchdog = crate::systemd::spawn_watchdog(self.stores.health.clone());
        let server = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop_signal);
        let outcome = tokio::select! {
            result = server.into_future() => result.map_err(StartupError::Serve),
            () = async { stopping.notified().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(grace_ms = grace.as_millis() as u64, "requests still running after the grace period; exiting anyway");
                Ok(())
            }
        };
        self.realtime.delivery.abort();
        if let Some(watchdog) = watchdog {
            watchdog.abort();
        }
        self.stores.health.close().await;
        tracing::info!("stopped");
        outcome
    }
}
