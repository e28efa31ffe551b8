//! `[messages]`: where messages, conversations and per-user conversation state live.
//!
//! Kept apart from `config.rs` because the ScyllaDB settings (URL grammar, replication,
//! consistency) are a subject of their own. The sample generator (`tests/sample.rs`) reads the
//! doc comments of this file too.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// `[messages]`
/// Messages, conversations and each user's conversation state (read marker, mute, archive, pin).
/// With url empty they live in the main database (database.url), which suits one PostgreSQL server
/// or the embedded file. A ScyllaDB or Cassandra cluster takes them when the chat outgrows that;
/// accounts, groups, friendships and keys stay in PostgreSQL. The other keys apply only to a cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MessagesConfig {
    /// The cluster and keyspace, e.g. "scylla://10.0.0.1:9042,10.0.0.2:9042/omegachat"
    /// ("cassandra://…" is the same): contact points (port 9042 when omitted, IPv6 as [::1]:9042),
    /// then the keyspace (lowercase letters, digits and _, starting with a letter, at most 48).
    /// "scylla://USER:PASSWORD@host/keyspace" with password authentication.
    /// Empty: messages live in the main database. A cluster needs database.url to be PostgreSQL.
    /// The daemon does not start while the cluster cannot be reached (messages never fall back to
    /// the main database). Its schema comes from the cql/ migrations: omegactl migrate up, or
    /// database.auto_migrate. Not yet run against a real cluster: see "Messages on ScyllaDB" in the
    /// README for what was verified.
    pub url: String,
    /// How the keyspace is replicated when the migrations create it: "NetworkTopologyStrategy"
    /// (production; copies per datacenter, see datacenters) or "SimpleStrategy" (one datacenter,
    /// replication_factor copies; for trials). An existing keyspace is never altered: change it
    /// with ALTER KEYSPACE, then run a full repair.
    pub replication_class: ReplicationClass,
    /// Copies of every row (1 to 15): with SimpleStrategy in the cluster, with
    /// NetworkTopologyStrategy in local_datacenter when datacenters is empty.
    pub replication_factor: u32,
    /// NetworkTopologyStrategy only: copies per datacenter, e.g. { dc1 = 3, dc2 = 3 }.
    /// Empty: replication_factor copies in local_datacenter.
    pub datacenters: BTreeMap<String, u32>,
    /// Consistency of every read and write: "LOCAL_QUORUM" (a majority of the local datacenter's
    /// copies; survives one node down with 3 copies), "QUORUM", "LOCAL_ONE", "ONE", "TWO", "THREE"
    /// or "ALL". Below a quorum a message just sent may be missing from the history read after it.
    pub consistency: Consistency,
    /// Consistency of the lightweight transactions that make a resent client_msg_id return the
    /// stored message: "LOCAL_SERIAL" (within the local datacenter) or "SERIAL" (across all).
    pub serial_consistency: SerialConsistency,
    /// The datacenter of this node's ScyllaDB nodes, as the cluster names it (nodetool status):
    /// requests go to its nodes first and LOCAL_ consistency counts its copies. Empty: no preference
    /// (allowed with SimpleStrategy only).
    pub local_datacenter: String,
    /// How long connecting to a node may take, in milliseconds (100 to 600000).
    pub connect_timeout_ms: u64,
    /// How long one request may take before it fails, in milliseconds (100 to 600000).
    pub request_timeout_ms: u64,
    /// Days of a conversation's messages per partition (1 to 365). A busy conversation in one
    /// partition would grow without bound; bucketing by time keeps each partition small, while
    /// a history page over a quiet stretch reads one (often empty) partition per bucket. 10 days is
    /// what Discord chose to keep its busiest channels' partitions under 100 MB. Messages are found
    /// by it: it must not change once the keyspace holds messages.
    pub bucket_days: u32,
}

impl Default for MessagesConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            replication_class: ReplicationClass::NetworkTopologyStrategy,
            replication_factor: 3,
            datacenters: BTreeMap::new(),
            consistency: Consistency::LocalQuorum,
            serial_consistency: SerialConsistency::LocalSerial,
            local_datacenter: String::new(),
            connect_timeout_ms: 5_000,
            request_timeout_ms: 10_000,
            bucket_days: 10,
        }
    }
}

/// `messages.replication_class`: Cassandra's replication strategy class names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReplicationClass {
    SimpleStrategy,
    NetworkTopologyStrategy,
}

/// `messages.consistency`, spelled as in CQL. EACH_QUORUM and ANY are left out: one level serves
/// reads and writes, and neither is a valid read level everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Consistency {
    One,
    Two,
    Three,
    Quorum,
    All,
    LocalOne,
    LocalQuorum,
}

/// `messages.serial_consistency`, spelled as in CQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SerialConsistency {
    Serial,
    LocalSerial,
}

/// Where messages live, as `messages.url` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessagesEngine {
    /// In the main database, beside accounts.
    MainDatabase,
    /// In a ScyllaDB or Cassandra cluster.
    Scylla(ScyllaTarget),
}

/// A parsed `scylla://` URL.
#[derive(Clone, PartialEq, Eq)]
pub struct ScyllaTarget {
    /// Contact points as `host:port` (IPv6 hosts in brackets); the driver discovers the others.
    pub nodes: Vec<String>,
    pub keyspace: String,
    /// User name and password for PasswordAuthenticator, percent-decoded.
    pub credentials: Option<(String, String)>,
}

/// Never prints the password (the target ends up in logs and error messages).
impl fmt::Debug for ScyllaTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScyllaTarget")
            .field("nodes", &self.nodes)
            .field("keyspace", &self.keyspace)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

/// CQL's native protocol port.
const DEFAULT_PORT: u16 = 9042;
/// Cassandra and ScyllaDB refuse keyspace names longer than this.
const MAX_KEYSPACE_LEN: usize = 48;

impl MessagesConfig {
    /// Which engine `url` selects, or what is wrong with it and how to write it.
    pub fn engine(&self) -> Result<MessagesEngine, String> {
        let url = self.url.trim();
        if url.is_empty() {
            return Ok(MessagesEngine::MainDatabase);
        }
        let rest = ["scylla://", "cassandra://"]
            .iter()
            .find_map(|scheme| url.strip_prefix(scheme))
            .ok_or("must start with scylla:// (or cassandra://), e.g. scylla://10.0.0.1:9042/omegachat, or be empty")?;
        if rest.contains(['?', '#']) {
            return Err("takes no query or fragment: hosts and keyspace only".into());
        }
        let (authority, keyspace) = rest.split_once('/').ok_or(
            "names no keyspace: add it as the path, e.g. scylla://10.0.0.1:9042/omegachat",
        )?;
        let (credentials, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (Some(credentials(userinfo)?), hosts),
            None => (None, authority),
        };
        let nodes = hosts
            .split(',')
            .map(node_address)
            .collect::<Result<Vec<_>, _>>()?;
        check_keyspace(keyspace)?;
        Ok(MessagesEngine::Scylla(ScyllaTarget {
            nodes,
            keyspace: keyspace.to_owned(),
            credentials,
        }))
    }
}

fn credentials(userinfo: &str) -> Result<(String, String), String> {
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| "user name and password must be UTF-8 once %-decoded".to_owned())
    };
    match userinfo.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok((decode(user)?, decode(password)?)),
        _ => Err("credentials must read USER:PASSWORD@ (percent-encode : @ / in them)".into()),
    }
}

/// `host` or `host:port` (`[v6]` or `[v6]:port`) as `host:port`.
fn node_address(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let (host, port) = if let Some(v6) = raw.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("host {raw:?}: an IPv6 address needs its closing ]"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| format!("host {raw:?}: expected [address]:port"))?,
            ),
        };
        (format!("[{host}]"), port)
    } else {
        match raw.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (raw.to_owned(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(
            "lists an empty host: separate contact points with commas, e.g. scylla://h1:9042,h2:9042/omegachat".into(),
        );
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|port| *port != 0)
            .ok_or_else(|| format!("host {raw:?}: the port must be a number from 1 to 65535"))?,
    };
    Ok(format!("{host}:{port}"))
}

/// The keyspace is spliced into CQL as an unquoted identifier, so only names that need no quoting
/// (and that CQL does not fold to another case) are accepted.
fn check_keyspace(name: &str) -> Result<(), String> {
    let valid = name.len() <= MAX_KEYSPACE_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(format!(
            "keyspace {name:?}: use lowercase letters, digits and _, starting with a letter, at most {MAX_KEYSPACE_LEN} characters"
        ));
    }
    if name == "system" || name.starts_with("system_") {
        return Err(format!(
            "keyspace {name:?} belongs to the cluster itself: choose another, e.g. omegachat"
        ));
    }
    Ok(())
}

impl fmt::Display for Consistency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Consistency::One => "ONE",
            Consistency::Two => "TWO",
            Consistency::Three => "THREE",
            Consistency::Quorum => "QUORUM",
            Consistency::All => "ALL",
            Consistency::LocalOne => "LOCAL_ONE",
            Consistency::LocalQuorum => "LOCAL_QUORUM",
        })
    }
}

impl Consistency {
    /// Whether the level counts copies in the local datacenter only.
    pub fn is_local(self) -> bool {
        matches!(self, Consistency::LocalOne | Consistency::LocalQuorum)
    }
}
