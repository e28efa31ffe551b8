//! The store contract suite: what every storage engine must answer, asked through the traits only.
//!
//! Each concern is one `suite` function taking trait objects (`users::suite(&dyn UserStore)`,
//! …), in the manner of Garage's `test_suite(db)`: an engine joins by opening its stores and
//! calling them. SQLite and PostgreSQL run here on a fresh database per concern, opened directly
//! (no daemon, so no signing key or other start-up rows get in the way); the ScyllaDB stores call
//! the same functions in `scylla.rs` when a node is named. Counters run on `MemoryCounters` and on `RedisCounters` against the
//! test Redis (under a key prefix of their own); presence on `MemoryPresence` and on one
//! `RedisPresence` node, and `presence_nodes` tells what several nodes sharing Redis see.
//!
//! Stories within a concern share one database, so each uses its own names. The daemon-level
//! stories elsewhere in `tests/api` stay: they check what the services make of these answers.

mod administration;
mod conversations;
mod counters;
mod friendships;
mod groups;
mod history;
mod keys;
mod messages;
mod presence;
mod presence_nodes;
mod scylla;
mod users;

use std::collections::BTreeMap;

use chrono::{DateTime, Timelike, Utc};
use omegachatd::domain::{ConversationId, Message, MessageId, MessageType, NewUser, User, UserId};
use omegachatd::store::database::Database;
use omegachatd::store::{Stores, UserStore};

use crate::helpers::{Engine, fresh_postgres_database};
use crate::on_every_engine;

on_every_engine!(
    user_store,
    key_store,
    friendship_store,
    group_store,
    conversation_store,
    message_store,
    message_history,
    administration_stores,
    migration_report,
);

async fn user_store(engine: Engine) {
    let db = open(engine).await;
    users::suite(db.stores.users.as_ref()).await;
}

async fn key_store(engine: Engine) {
    let db = open(engine).await;
    keys::suite(db.stores.keys.as_ref()).await;
}

async fn friendship_store(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    friendships::suite(s.users.as_ref(), s.friendships.as_ref()).await;
}

async fn group_store(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    groups::suite(
        s.users.as_ref(),
        s.groups.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

async fn conversation_store(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    conversations::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
        s.groups.as_ref(),
    )
    .await;
}

async fn message_store(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    messages::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

async fn message_history(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    history::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

async fn administration_stores(engine: Engine) {
    let db = open(engine).await;
    let s = &db.stores;
    administration::suite(administration::Administration {
        users: s.users.as_ref(),
        keys: s.keys.as_ref(),
        grants: s.grants.as_ref(),
        audit: s.audit.as_ref(),
        accounts: s.account_admin.as_ref(),
        friendships: s.friendships.as_ref(),
        groups: s.groups.as_ref(),
    })
    .await;
}

/// `omegactl migrate status` shows the same report whichever engine it asks.
async fn migration_report(engine: Engine) {
    let db = open(engine).await;
    let migrations = db.database.migrations().await.unwrap();
    assert_eq!(migrations.len(), 4, "{migrations:?}");
    for m in &migrations {
        let at = m.applied_at.as_deref().expect("applied");
        let parsed = DateTime::parse_from_rfc3339(at).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert!(
            at.ends_with('Z') && at.len() == "2026-01-01T00:00:00Z".len(),
            "{at}"
        );
        assert!(
            (Utc::now() - parsed.to_utc()).num_minutes().abs() < 10,
            "{at}"
        );
    }
    assert_eq!(db.database.pending_migrations().await.unwrap(), 0);
}

/// Case-insensitivity beyond ASCII is its own test: SQLite's `lower()` and `LIKE` fold ASCII only,
/// so this story fails there (a finding, not yet fixed); it stays visible with `--ignored`.
/// PostgreSQL passes where the database's `LC_CTYPE` knows the letters (`C.UTF-8` on the test
/// server); a database created with `LC_CTYPE=C` would fail it as well.
mod user_store_beyond_ascii {
    use crate::helpers::Engine;

    #[tokio::test]
    #[ignore = "finding: SQLite folds case for ASCII only (lower(), LIKE); run with --ignored"]
    async fn sqlite() {
        story(Engine::Sqlite).await
    }

    #[tokio::test]
    async fn postgres() {
        story(Engine::Postgres).await
    }

    async fn story(engine: Engine) {
        let db = super::open(engine).await;
        super::users::case_is_folded_beyond_ascii(db.stores.users.as_ref()).await;
    }
}

mod window_counters {
    use omegachatd::store::counters::MemoryCounters;
    use omegachatd::store::redis::counters::RedisCounters;

    // A paused clock skips the suite's waits; the Redis run waits for real.
    #[tokio::test(start_paused = true)]
    async fn memory() {
        super::counters::suite(&MemoryCounters::default()).await;
    }

    #[tokio::test]
    async fn redis() {
        let (url, prefix) = crate::helpers::test_redis();
        let conn = omegachatd::store::redis::connect(&url).await.unwrap();
        super::counters::suite(&RedisCounters::new(conn, &prefix)).await;
    }
}

mod presence_store {
    use std::time::Duration;

    use omegachatd::store::presence::MemoryPresence;
    use omegachatd::store::redis::presence::RedisPresence;

    #[tokio::test]
    async fn memory() {
        super::presence::suite(&MemoryPresence::default()).await;
    }

    #[tokio::test]
    async fn redis() {
        let (url, prefix) = crate::helpers::test_redis();
        let conn = omegachatd::store::redis::connect(&url).await.unwrap();
        let node = RedisPresence::start(conn, &prefix, Duration::from_secs(10)).await;
        super::presence::suite(node.as_ref()).await;
    }
}

/// One engine's stores over a database nobody else uses.
struct Opened {
    stores: Stores,
    database: Database,
    // The SQLite file lives here; dropped (and deleted) with the stores.
    _dir: tempfile::TempDir,
}

async fn open(engine: Engine) -> Opened {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = omegachat_contract::Config::default().database;
    config.data_dir = dir.path().join("data");
    config.max_connections = 5;
    if engine == Engine::Postgres {
        config.url = fresh_postgres_database().await;
    }
    let database = Database::connect(&config).await.expect("database opens");
    database.migrate().await.expect("schema migrates");
    Opened {
        stores: database.stores(),
        database,
        _dir: dir,
    }
}

/// A new account named `name` (lower-case, as the service stores usernames).
async fn person(users: &dyn UserStore, name: &str) -> User {
    users
        .create(NewUser {
            username: name.to_owned(),
            email: format!("{name}@example.org"),
            password_hash: format!("$argon2id$v=19$stub${name}"),
            phone_number: None,
            display_name: None,
        })
        .await
        .unwrap_or_else(|e| panic!("creating {name}: {e}"))
}

/// A text message as the conversation service builds one for `send`.
fn text(conversation: ConversationId, sender: UserId, content: &str) -> Message {
    Message {
        conversation_id: conversation,
        message_id: MessageId::now(),
        sender_id: sender,
        recipient_id: None,
        content: content.to_owned(),
        media_urls: Vec::new(),
        message_type: MessageType::Text,
        status: "sent".into(),
        timestamp: Utc::now(),
        edited: false,
        edited_timestamp: None,
        deleted: false,
        metadata: BTreeMap::new(),
        client_msg_id: None,
    }
}

/// `count` ids minted in order, each in a later 100 ns tick than the one before: the order
/// history must follow whatever order they are stored in.
fn ascending_ids(count: usize) -> Vec<MessageId> {
    let mut ids: Vec<MessageId> = Vec::with_capacity(count);
    while ids.len() < count {
        let id = MessageId::now();
        if ids.last().is_none_or(|last| id.ticks() > last.ticks()) {
            ids.push(id);
        }
    }
    ids
}

/// The message with its times cut to whole milliseconds: engines keep different precisions
/// (PostgreSQL microseconds, SQLite nanoseconds, ScyllaDB milliseconds), and the contract can
/// promise only the coarsest.
fn to_millis(message: &Message) -> Message {
    let mut kept = message.clone();
    kept.timestamp = truncate(kept.timestamp);
    kept.edited_timestamp = kept.edited_timestamp.map(truncate);
    kept
}

fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = at.nanosecond() / 1_000_000 * 1_000_000;
    at.with_nanosecond(nanos).expect("a valid instant")
}

/// The contents of messages, in order, for readable failures.
fn contents(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}

/// Sorted, for answers whose order the contract leaves open.
fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}
