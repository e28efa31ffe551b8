//! The services as one bundle: what every public request handler is given, built once the
//! schema is current.

use std::sync::Arc;

use omegachat_contract::Config;

use super::ServiceError;
use super::accounts::AccountService;
use super::admin::{AdminDeps, AdminService};
use super::audience::AudienceCache;
use super::conversations::{ConversationService, ConversationStores};
use super::groups::GroupService;
use super::login_throttle::LoginThrottle;
use super::nodes::NodeService;
use super::passwords::Passwords;
use super::presence::PresenceService;
use super::preview::PreviewService;
use super::social::SocialService;
use super::tokens::Tokens;
use crate::bus::redis::RedisBus;
use crate::bus::{EventBus, LocalBus};
use crate::store::counters::{MemoryCounters, WindowCounters};
use crate::store::nodes::NodeDirectory;
use crate::store::presence::{MemoryPresence, PresenceStore};
use crate::store::previews::{MemoryPreviews, PreviewStore};
use crate::store::redis::counters::RedisCounters;
use crate::store::redis::nodes::RedisNodes;
use crate::store::redis::presence::RedisPresence;
use crate::store::redis::previews::RedisPreviews;
use crate::store::redis::{RedisHealth, RedisSetupError};
use crate::store::{BackendHealth, DatabaseHealth, Stores};

/// Events that may queue for the real-time edge before the slowest subscriber misses some.
const BUS_CAPACITY: usize = 65_536;

/// Every service, wired to the stores and the bus. Cloning is cheap (reference counts).
#[derive(Clone)]
pub struct Services {
    pub accounts: Arc<AccountService>,
    pub social: Arc<SocialService>,
    pub groups: Arc<GroupService>,
    pub conversations: Arc<ConversationService>,
    pub presence: Arc<PresenceService>,
    pub admin: Arc<AdminService>,
    pub nodes: Arc<NodeService>,
    pub preview: Arc<PreviewService>,
    pub bus: Arc<dyn EventBus>,
    pub health: Arc<dyn DatabaseHealth>,
    /// The backends besides the database (Redis when scaled out).
    pub backends: Vec<Arc<dyn BackendHealth>>,
}

impl Services {
    /// Builds every service over `stores` (whose schema must be current).
    pub async fn build(config: &Config, stores: &Stores) -> Result<Self, ServiceError> {
        let passwords =
            Passwords::new(std::thread::available_parallelism().map_or(2, |n| n.get())).await?;
        let tokens = Tokens::new(stores.keys.clone(), stores.grants.clone(), &config.auth).await?;
        let shared = shared_state(config).await?;
        let (bus, counters, sweep_every) = (shared.bus, shared.counters, shared.sweep_every);
        let throttle = LoginThrottle::new(counters.clone(), &config.auth);
        let preview = Arc::new(PreviewService::new(
            config.preview.clone(),
            preview_fetcher(config)?,
            counters.clone(),
            shared.previews.clone(),
        ));
        let accounts = Arc::new(AccountService::new(
            stores.users.clone(),
            passwords,
            tokens,
            throttle,
            bus.clone(),
        ));
        let audiences = Arc::new(AudienceCache::new(bus.clone()));
        super::cluster::spawn_listener(&bus, Arc::downgrade(&audiences), Arc::downgrade(&accounts));
        let social = Arc::new(SocialService::new(
            stores.users.clone(),
            stores.friendships.clone(),
            audiences.clone(),
            bus.clone(),
        ));
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
        let presence = Arc::new(PresenceService::new(
            shared.presence.clone(),
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
        let nodes = Arc::new(NodeService::new(
            shared.node_id,
            presence.clone(),
            conversations.clone(),
            shared.directory.clone(),
        ));
        if let Some(every) = sweep_every {
            spawn_presence_sweeps(Arc::downgrade(&presence), every);
            super::nodes::spawn_announcements(Arc::downgrade(&nodes), every);
        }
        Ok(Services {
            accounts,
            social,
            groups,
            conversations,
            presence,
            admin,
            nodes,
            preview,
            bus,
            health: stores.health.clone(),
            // The stores' own (the messages cluster), then the shared state's (Redis).
            backends: stores
                .backends
                .iter()
                .cloned()
                .chain(shared.backends)
                .collect(),
        })
    }
}

/// The link-preview fetcher: the system resolver, reqwest pinned to the checked addresses.
fn preview_fetcher(config: &Config) -> Result<crate::fetch::Fetcher, ServiceError> {
    use crate::fetch::{AddressGuard, Fetcher, transport};
    // Validation already refused a bad list; this only keeps a hand-built Config honest.
    let allow = config
        .preview
        .allowed_networks()
        .map_err(|msg| ServiceError::Failed {
            code: "invalid_config",
            message: format!("preview.allow_networks: {msg}"),
        })?;
    Ok(Fetcher::new(
        AddressGuard::new(allow),
        Arc::new(transport::SystemResolver),
        Arc::new(transport::PinnedTransport),
        std::time::Duration::from_millis(config.preview.timeout_ms),
    ))
}

/// What nodes share: in-process on a single node; through Redis when `redis.url` is set, so
/// every node sees every node's events, counts and sockets.
struct Shared {
    bus: Arc<dyn EventBus>,
    counters: Arc<dyn WindowCounters>,
    presence: Arc<dyn PresenceStore>,
    /// Link previews and the key signing their image URLs.
    previews: Arc<dyn PreviewStore>,
    /// How often presence needs `PresenceService::sweep` (reaping dead nodes' users), and
    /// nodes announce themselves.
    sweep_every: Option<std::time::Duration>,
    /// This node's tag (the presence lease's when shared).
    node_id: String,
    directory: Option<Arc<dyn NodeDirectory>>,
    backends: Vec<Arc<dyn BackendHealth>>,
}

async fn shared_state(config: &Config) -> Result<Shared, ServiceError> {
    let preview_ttl = std::time::Duration::from_secs(config.preview.cache_ttl_secs);
    if !config.redis.enabled() {
        return Ok(Shared {
            previews: Arc::new(MemoryPreviews::new(
                preview_ttl,
                config.preview.cache_entries,
            )),
            bus: Arc::new(LocalBus::new(BUS_CAPACITY)),
            counters: Arc::new(MemoryCounters::default()),
            presence: Arc::new(MemoryPresence::default()),
            sweep_every: None,
            node_id: format!("{:016x}", uuid::Uuid::new_v4().as_u64_pair().0),
            directory: None,
            backends: Vec::new(),
        });
    }
    let unreachable = |e: RedisSetupError| ServiceError::Failed {
        code: "redis_unreachable",
        message: e.to_string(),
    };
    let url = config.redis.url.trim();
    let prefix = &config.redis.key_prefix;
    let conn = crate::store::redis::connect(url)
        .await
        .map_err(unreachable)?;
    let bus = RedisBus::connect(url, prefix, BUS_CAPACITY)
        .await
        .map_err(unreachable)?;
    let presence = RedisPresence::start(
        conn.clone(),
        prefix,
        std::time::Duration::from_millis(config.redis.node_lease_ms),
    )
    .await;
    let previews = RedisPreviews::start(
        conn.clone(),
        prefix,
        preview_ttl,
        config.preview.cache_entries,
    )
    .await;
    Ok(Shared {
        bus,
        previews: Arc::new(previews),
        counters: Arc::new(RedisCounters::new(conn.clone(), prefix)),
        sweep_every: Some(presence.heartbeat()),
        node_id: presence.node_tag().to_owned(),
        directory: Some(Arc::new(RedisNodes::new(
            conn.clone(),
            prefix,
            presence.node_lease(),
        ))),
        backends: vec![Arc::new(RedisHealth(conn))],
        presence,
    })
}

/// Announces, at the presence heartbeat's pace, users whose node died (offline) or who were put
/// back after a Redis outage (online); ends with the services.
fn spawn_presence_sweeps(presence: std::sync::Weak<PresenceService>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let Some(presence) = presence.upgrade() else {
                return;
            };
            presence.sweep().await;
        }
    });
}
