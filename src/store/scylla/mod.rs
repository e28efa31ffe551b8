//! Messages on ScyllaDB or Cassandra (issue 12): the parts that need no cluster to be right.
//!
//! Built and tested so far: the embedded `cql/` migrations ([`migrations`], [`statements`]),
//! time buckets ([`bucket`]), TimeUUID readings ([`timeuuid`]), the walk of a history page
//! across buckets ([`walk`]) and the `messages` row mapping ([`rows`]). Not built yet: the
//! session, the prepared statements and the store traits on top of these, so nothing here is
//! reachable from the daemon, which refuses to start with `messages.url` set. docs/scylla.md
//! has the data model, the queries each endpoint will make and what remains.

pub mod bucket;
pub mod migrations;
pub mod rows;
pub mod statements;
pub mod timeuuid;
pub mod walk;
