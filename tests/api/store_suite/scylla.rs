//! The message stores on ScyllaDB: the same stories as the SQL engines, run when
//! `OMEGACHAT_TEST_SCYLLA_URL` names a node (e.g. `scylla://127.0.0.1:9042/omegachat_test`).
//!
//! No ScyllaDB or Cassandra server can be installed on the build machines, so these have never
//! run there: without the variable each returns at once, and `.ci/test` prints
//! "ScyllaDB store tests skipped: OMEGACHAT_TEST_SCYLLA_URL not set" so that the skip is seen.
//! Accounts and groups live in a fresh PostgreSQL database, as in production; each test gets a
//! keyspace of its own (the URL's keyspace name is replaced), created by the `cql/` migrator.

use omegachat_contract::config::{MessagesConfig, MessagesEngine, ReplicationClass};
use omegachatd::store::Stores;
use omegachatd::store::database::Database;
use omegachatd::store::scylla::MessagesCluster;

use crate::helpers::fresh_postgres_database;

/// The stores with messages on the test node, or `None` (the test is skipped) without one.
async fn open() -> Option<(Stores, tempfile::TempDir)> {
    let Ok(url) = std::env::var("OMEGACHAT_TEST_SCYLLA_URL") else {
        eprintln!("ScyllaDB store test skipped: OMEGACHAT_TEST_SCYLLA_URL not set");
        return None;
    };
    let keyspace = format!(
        "omegachat_t{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let config = MessagesConfig {
        url,
        replication_class: ReplicationClass::SimpleStrategy,
        replication_factor: 1,
        ..MessagesConfig::default()
    };
    let Ok(MessagesEngine::Scylla(mut target)) = config.engine() else {
        panic!("OMEGACHAT_TEST_SCYLLA_URL must read scylla://HOST:9042/KEYSPACE");
    };
    target.keyspace = keyspace;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut database_config = omegachat_contract::Config::default().database;
    database_config.data_dir = dir.path().join("data");
    database_config.url = fresh_postgres_database().await;
    let database = Database::connect(&database_config)
        .await
        .expect("database opens");
    database.migrate().await.expect("schema migrates");
    let cluster = MessagesCluster::connect(&config, &target)
        .await
        .expect("the test node answers");
    cluster.migrate().await.expect("cql/ migrations apply");
    assert_eq!(cluster.pending_migrations().await.unwrap(), 0);
    cluster
        .migrate()
        .await
        .expect("migrating again changes nothing");
    let stores = cluster
        .stores_over(database.stores())
        .await
        .expect("statements prepare");
    Some((stores, dir))
}

#[tokio::test]
async fn message_store() {
    let Some((s, _dir)) = open().await else {
        return;
    };
    super::messages::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

#[tokio::test]
async fn message_history() {
    let Some((s, _dir)) = open().await else {
        return;
    };
    super::history::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

#[tokio::test]
async fn conversation_store() {
    let Some((s, _dir)) = open().await else {
        return;
    };
    super::conversations::suite(
        s.users.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
        s.groups.as_ref(),
    )
    .await;
}

#[tokio::test]
async fn group_store() {
    let Some((s, _dir)) = open().await else {
        return;
    };
    super::groups::suite(
        s.users.as_ref(),
        s.groups.as_ref(),
        s.conversations.as_ref(),
        s.messages.as_ref(),
    )
    .await;
}

#[tokio::test]
async fn the_cluster_reports_its_health() {
    let Some((s, _dir)) = open().await else {
        return;
    };
    let [health] = &s.backends[..] else {
        panic!("one backend: the messages cluster");
    };
    assert_eq!((health.role(), health.engine()), ("messages", "scylla"));
    health.ping().await.expect("the node answers a ping");
}
