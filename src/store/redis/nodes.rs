//! The node directory in Redis.
//!
//! # Keys (under the configured prefix, then `nodes:`)
//! - `nodes:live` — sorted set, node tag → deadline (ms, Redis' clock), as for presence leases.
//! - `nodes:card:{tag}` — the node's card as JSON, expiring with its lease.
//!
//! Announcing is one script (one round trip per heartbeat); listing is one script that also
//! drops run-out entries and counts distinct users across presence's per-node user sets
//! (`presence:node:{tag}`, the node tag being the presence tag), up to [`COUNT_LIMIT`] members.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use crate::store::nodes::{DirectoryError, NodeCard, NodeDirectory, NodeList};

const ANNOUNCE: &str = include_str!("nodes/announce.lua");
const LIST: &str = include_str!("nodes/list.lua");
/// Users online past which the chat's distinct users are not counted (a union of this size
/// takes Redis a few milliseconds).
const COUNT_LIMIT: u64 = 100_000;

pub struct RedisNodes {
    conn: ConnectionManager,
    live: String,
    cards: String,
    presence_sets: String,
    lease: Duration,
}

impl RedisNodes {
    /// A directory under `{prefix}nodes:` whose cards last `lease` unless announced again.
    pub fn new(conn: ConnectionManager, prefix: &str, lease: Duration) -> Self {
        Self {
            conn,
            live: format!("{prefix}nodes:live"),
            cards: format!("{prefix}nodes:card:"),
            presence_sets: format!("{prefix}presence:node:"),
            lease,
        }
    }
}

fn failed(e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError(e.to_string())
}

/// [`super::bounded`]: an administrator's command never waits out Redis' reconnection schedule.
async fn bounded<T>(
    call: impl Future<Output = redis::RedisResult<T>>,
) -> Result<T, DirectoryError> {
    super::bounded(call).await.map_err(DirectoryError)
}

#[async_trait]
impl NodeDirectory for RedisNodes {
    async fn announce(&self, card: &NodeCard) -> Result<(), DirectoryError> {
        let json = serde_json::to_string(card).map_err(failed)?;
        let mut conn = self.conn.clone();
        let script = redis::cmd("EVAL")
            .arg(ANNOUNCE)
            .arg(2)
            .arg(&self.live)
            .arg(format!("{}{}", self.cards, card.id))
            .arg(&card.id)
            .arg(self.lease.as_millis().max(1) as u64)
            .arg(json)
            .to_owned();
        bounded(script.query_async::<()>(&mut conn)).await
    }

    async fn withdraw(&self, id: &str) -> Result<(), DirectoryError> {
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.zrem(&self.live, id)
            .ignore()
            .del(format!("{}{id}", self.cards))
            .ignore();
        bounded(pipe.query_async::<()>(&mut conn)).await
    }

    async fn live(&self) -> Result<NodeList, DirectoryError> {
        let mut conn = self.conn.clone();
        let script = redis::cmd("EVAL")
            .arg(LIST)
            .arg(1)
            .arg(&self.live)
            .arg(&self.cards)
            .arg(&self.presence_sets)
            .arg(COUNT_LIMIT)
            .to_owned();
        let answer: Vec<redis::Value> = bounded(script.query_async(&mut conn)).await?;
        let mut answer = answer.into_iter();
        let users: i64 = match answer.next() {
            Some(value) => redis::from_redis_value(value).map_err(failed)?,
            None => return Err(DirectoryError("an empty answer to the node list".into())),
        };
        let mut nodes = Vec::new();
        for value in answer {
            let json: String = redis::from_redis_value(value).map_err(failed)?;
            match serde_json::from_str::<NodeCard>(&json) {
                Ok(card) => nodes.push(card),
                // A node of another version may announce more or other fields: list the rest.
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a node card this version cannot read")
                }
            }
        }
        Ok(NodeList {
            nodes,
            users_online: u64::try_from(users).ok(),
        })
    }
}
