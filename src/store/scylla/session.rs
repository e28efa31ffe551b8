//! The driver session for `[messages]`: how the configuration becomes a `SessionBuilder`, the
//! one error type of this engine, and the session's health for `/readyz` and `omegactl health`.
//!
//! [`builder`] does no I/O, so the mapping from configuration to driver settings is unit-tested
//! (`session_tests.rs`) by reading back the builder's public `config`; [`connect`] is the only
//! part that needs a node, and has never run against one on the build machines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omegachat_contract::config::{
    Consistency as ConfiguredConsistency, MessagesConfig, ScyllaTarget,
    SerialConsistency as ConfiguredSerial,
};
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::{Consistency, SerialConsistency};

use crate::store::{BackendHealth, StoreError};

/// What went wrong talking to the cluster; every driver error becomes one of these, with the
/// driver's text, so services see one engine error whatever the driver call was.
#[derive(Debug, thiserror::Error)]
pub enum ScyllaError {
    #[error(
        "cannot connect to the messages cluster {nodes:?}: {reason} (check messages.url and that the nodes are up)"
    )]
    Connect { nodes: Vec<String>, reason: String },
    #[error("messages cluster: {what}: {reason}")]
    Request { what: &'static str, reason: String },
    #[error("messages cluster: unexpected {what}")]
    Answer { what: String },
}

impl ScyllaError {
    /// A failed request (prepare, execute, schema agreement, result decoding) doing `what`.
    pub fn request(what: &'static str, err: impl std::fmt::Display) -> Self {
        ScyllaError::Request {
            what,
            reason: err.to_string(),
        }
    }
}

impl From<ScyllaError> for StoreError {
    fn from(err: ScyllaError) -> Self {
        StoreError::Cluster(err.to_string())
    }
}

/// The driver's consistency level for `messages.consistency`.
pub fn consistency(level: ConfiguredConsistency) -> Consistency {
    match level {
        ConfiguredConsistency::One => Consistency::One,
        ConfiguredConsistency::Two => Consistency::Two,
        ConfiguredConsistency::Three => Consistency::Three,
        ConfiguredConsistency::Quorum => Consistency::Quorum,
        ConfiguredConsistency::All => Consistency::All,
        ConfiguredConsistency::LocalOne => Consistency::LocalOne,
        ConfiguredConsistency::LocalQuorum => Consistency::LocalQuorum,
    }
}

/// The driver's serial consistency for `messages.serial_consistency`.
pub fn serial_consistency(level: ConfiguredSerial) -> SerialConsistency {
    match level {
        ConfiguredSerial::Serial => SerialConsistency::Serial,
        ConfiguredSerial::LocalSerial => SerialConsistency::LocalSerial,
    }
}

/// The session `config` and `target` describe, not yet connected.
///
/// - Load balancing: token-aware (a request goes to a replica of its partition, which needs
///   every statement prepared so the driver knows the partition key) and, with
///   `local_datacenter`, datacenter-aware without failover: a LOCAL_ level must be answered by
///   the local datacenter, so sending requests to a remote one would only add latency.
/// - Consistency and serial consistency apply to every statement through the default profile.
/// - The keyspace is not `USE`d here: the migrator connects before the keyspace exists, and
///   every statement names its keyspace itself.
pub fn builder(config: &MessagesConfig, target: &ScyllaTarget) -> SessionBuilder {
    let mut policy = DefaultPolicy::builder()
        .token_aware(true)
        .permit_dc_failover(false);
    if !config.local_datacenter.is_empty() {
        policy = policy.prefer_datacenter(config.local_datacenter.clone());
    }
    let profile = ExecutionProfile::builder()
        .consistency(consistency(config.consistency))
        .serial_consistency(Some(serial_consistency(config.serial_consistency)))
        .request_timeout(Some(Duration::from_millis(config.request_timeout_ms)))
        .load_balancing_policy(policy.build())
        .build();
    let mut builder = SessionBuilder::new()
        .known_nodes(&target.nodes)
        .connection_timeout(Duration::from_millis(config.connect_timeout_ms))
        // Schema agreement is awaited explicitly by the migrator, after each statement.
        .auto_await_schema_agreement(false)
        .default_execution_profile_handle(profile.into_handle());
    if !config.local_datacenter.is_empty() {
        builder = builder.prefer_datacenter(config.local_datacenter.clone());
    }
    if let Some((user, password)) = &target.credentials {
        builder = builder.user(user, password);
    }
    builder
}

/// Connects to the cluster `target` names.
pub async fn connect(
    config: &MessagesConfig,
    target: &ScyllaTarget,
) -> Result<Arc<Session>, ScyllaError> {
    builder(config, target)
        .build()
        .await
        .map(Arc::new)
        .map_err(|err| ScyllaError::Connect {
            nodes: target.nodes.clone(),
            reason: err.to_string(),
        })
}

/// The cluster session as a backend of the daemon: reachable nodes and a round trip's latency.
pub struct ScyllaHealth {
    session: Arc<Session>,
}

impl ScyllaHealth {
    pub fn new(session: Arc<Session>) -> Self {
        ScyllaHealth { session }
    }

    /// (connected, known) nodes.
    fn nodes(&self) -> (usize, usize) {
        let state = self.session.get_cluster_state();
        let nodes = state.get_nodes_info();
        let connected = nodes.iter().filter(|node| node.is_connected()).count();
        (connected, nodes.len())
    }
}

/// `connected` of `known` nodes, as health reports show them.
pub fn nodes_summary(connected: usize, known: usize) -> String {
    format!("{connected}/{known} nodes connected")
}

#[async_trait]
impl BackendHealth for ScyllaHealth {
    fn role(&self) -> &'static str {
        "messages"
    }

    fn engine(&self) -> &'static str {
        "scylla"
    }

    /// A read of `system.local` on the node the policy picks; fails when no node is connected,
    /// naming how many the driver knows.
    async fn ping(&self) -> Result<Duration, String> {
        let (connected, known) = self.nodes();
        if connected == 0 {
            return Err(nodes_summary(0, known));
        }
        let started = Instant::now();
        self.session
            .query_unpaged(
                "SELECT release_version FROM system.local WHERE key = 'local'",
                (),
            )
            .await
            .map_err(|err| format!("{}: {err}", nodes_summary(connected, known)))?;
        Ok(started.elapsed())
    }

    /// Nodes with a connection of the nodes the driver knows (from the cluster's metadata).
    fn detail(&self) -> Option<String> {
        let (connected, known) = self.nodes();
        Some(nodes_summary(connected, known))
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
