//! Messages on ScyllaDB or Cassandra (issue 12): the parts that need no cluster to be right.
//!
//! Built and tested so far: the embedded `cql/` migrations ([`migrations`], [`statements`]).
//! Not built yet: the session, the prepared statements and the store traits, so nothing here is
//! reachable from the daemon, which refuses to start with `messages.url` set.

pub mod migrations;
pub mod statements;
