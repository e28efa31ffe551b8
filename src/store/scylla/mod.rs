//! Messages on ScyllaDB or Cassandra (issue 12).
//!
//! The parts that need no cluster to be right, unit-tested: the embedded `cql/` migrations
//! ([`migrations`], [`statements`]) and the migrator's bookkeeping ([`migrator`]), time buckets
//! ([`bucket`]), TimeUUID readings ([`timeuuid`]), the walk of a history page across buckets
//! ([`walk`]), row mapping ([`rows`]), every statement against the schema ([`queries`]) and the
//! configuration → driver mapping ([`session`]). The store itself ([`store`], `messages.rs`,
//! `conversations.rs`) compiles against the `scylla` driver but has never run against a node on
//! the build machines; docs/scylla.md says what is verified and what is not.

pub mod bucket;
pub mod cluster;
mod conversations;
mod groups;
mod messages;
pub mod migrations;
pub mod migrator;
pub mod queries;
pub mod rows;
pub mod session;
pub mod statements;
pub mod store;
pub mod timeuuid;
pub mod walk;

pub use cluster::MessagesCluster;
pub use session::{ScyllaError, ScyllaHealth};
pub use store::ScyllaStore;
