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
use super::passwords::Passwords;
use super::presence::PresenceService;
use super::social::SocialService;
use super::tokens::Tokens;
use crate::bus::redis::RedisBus;
use crate::bus::{EventBus, LocalBus};
use crate::store::counters::{MemoryCounters, WindowCounters};
use crate::store::presence::MemoryPresence;
use crate::store::redis::RedisSetupError;
use crate::store::redis::counters::RedisCounters;
use crate::store::{DatabaseHealth, Stores};

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
    pub bus: Arc<dyn EventBus>,
    pub health: Arc<dyn DatabaseHealth>,
}

impl Services {
    /// Builds every service over `stores` (whose schema must be current).
    pub async fn build(config: &Config, stores: &Stores) -> Result<Self, ServiceError> {
        let passwords =
            Passwords::new(std::thread::available_parallelism().map_or(2, |n| n.get())).await?;
        let tokens = Tokens::new(stores.keys.clone(), stores.grants.clone(), &config.auth).await?;
        let (bus, counters) = shared_state(config).await?;
        let throttle = LoginThrottle::new(counters.clone(), &config.auth);
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
        Ok(Services {
            accounts,
            social,
            groups,
            conversations,
            presence,
            admin,
            bus,
            health: stores.health.clone(),
        })
    }
}

/// The bus and the throttling counters: in-process on a single node; through Redis when
/// `redis.url` is set, so every node sees every node's events and counts.
async fn shared_state(
    config: &Config,
) -> Result<(Arc<dyn EventBus>, Arc<dyn WindowCounters>), ServiceError> {
    if !config.redis.enabled() {
        return Ok((
            Arc::new(LocalBus::new(BUS_CAPACITY)),
            Arc::new(MemoryCounters::default()),
        ));
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
    Ok((bus, Arc::new(RedisCounters::new(conn, prefix))))
}
