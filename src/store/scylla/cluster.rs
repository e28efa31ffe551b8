//! The messages cluster as a whole, like `store::database::Database` for the main database:
//! connecting, its `cql/` migrations (status and apply), and the stores over it once the
//! schema is current.

use std::sync::Arc;

use omegachat_contract::config::{MessagesConfig, ScyllaTarget};
use scylla::client::session::Session;

use super::bucket::Bucketing;
use super::migrations::{embedded, replication};
use super::migrator::{self, CqlMigrationState, SessionSchema};
use super::session::{self, ScyllaHealth};
use super::store::ScyllaStore;
use crate::store::database::MigrationState;
use crate::store::{StoreError, Stores};

/// Engine name in reports (`omegactl migrate status`, health).
pub const ENGINE: &str = "scylla";

/// A connected ScyllaDB or Cassandra cluster holding messages.
#[derive(Clone)]
pub struct MessagesCluster {
    session: Arc<Session>,
    keyspace: String,
    replication: String,
    buckets: Bucketing,
    bucket_days: u32,
}

impl MessagesCluster {
    /// Connects to the cluster `target` names, without touching the schema.
    pub async fn connect(
        config: &MessagesConfig,
        target: &ScyllaTarget,
    ) -> Result<Self, StoreError> {
        let buckets = Bucketing::days(config.bucket_days)
            .ok_or_else(|| StoreError::Setup("messages.bucket_days must be at least 1".into()))?;
        Ok(MessagesCluster {
            session: session::connect(config, target).await?,
            keyspace: target.keyspace.clone(),
            replication: replication(config),
            buckets,
            bucket_days: config.bucket_days,
        })
    }

    fn schema(&self) -> SessionSchema {
        SessionSchema {
            session: self.session.clone(),
        }
    }

    /// Every `cql/` migration this binary knows, applied or pending, in order.
    pub async fn migrations(&self) -> Result<Vec<MigrationState>, StoreError> {
        let known = embedded().map_err(|e| StoreError::Setup(e.to_string()))?;
        let states = migrator::status(&self.schema(), &self.keyspace, &known)
            .await
            .map_err(|e| StoreError::Cluster(e.to_string()))?;
        Ok(states.into_iter().map(state).collect())
    }

    /// How many known migrations are not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        Ok(self
            .migrations()
            .await?
            .iter()
            .filter(|m| m.applied_at.is_none())
            .count())
    }

    /// Applies every pending migration, waiting for schema agreement after each statement.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let known = embedded().map_err(|e| StoreError::Setup(e.to_string()))?;
        migrator::apply(
            &self.schema(),
            &self.keyspace,
            &self.replication,
            self.bucket_days,
            &known,
        )
        .await
        .map_err(|e| StoreError::Cluster(e.to_string()))?;
        Ok(())
    }

    /// `main`'s stores with conversations and messages on this cluster, and the cluster's
    /// health among the backends; only meaningful once the schema is current.
    /// Refuses a keyspace made with another `messages.bucket_days`, also without migrating.
    pub async fn stores_over(&self, main: Stores) -> Result<Stores, StoreError> {
        migrator::check_bucket_days(&self.schema(), &self.keyspace, self.bucket_days)
            .await
            .map_err(|e| StoreError::Cluster(e.to_string()))?;
        let store = ScyllaStore::open(
            self.session.clone(),
            &self.keyspace,
            self.buckets,
            main.groups.clone(),
        )
        .await?;
        let mut backends = main.backends.clone();
        backends.push(Arc::new(ScyllaHealth::new(self.session.clone())));
        Ok(Stores {
            groups: Arc::new(super::groups::ScyllaGroups::new(
                main.groups.clone(),
                store.clone(),
            )),
            conversations: Arc::new(store.clone()),
            messages: Arc::new(store),
            backends,
            ..main
        })
    }
}

fn state(m: CqlMigrationState) -> MigrationState {
    MigrationState {
        version: i64::from(m.version),
        description: m.description,
        applied_at: m.applied_at,
    }
}
