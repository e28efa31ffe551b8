//! Redis for the scaled-out profile: shared counters and presence (and, in `bus::redis`, the
//! events between nodes), so that several nodes behave as one chat.
//!
//! Every key starts with the configured prefix (`redis.key_prefix`), so several chats, or
//! tests, can share one Redis.

pub mod counters;
pub mod nodes;
pub mod presence;
pub mod previews;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::IntoConnectionInfo;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Why Redis could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RedisSetupError {
    #[error(
        "redis.url {url:?} is not a Redis URL: {source} (expected redis://host:port/ or redis+unix:///path/redis.sock)"
    )]
    Url {
        url: String,
        source: redis::RedisError,
    },
    #[error(
        "cannot connect to Redis at {url}: {source} (is redis-server running and reachable? check redis.url)"
    )]
    Connect {
        url: String,
        source: redis::RedisError,
    },
    #[error("cannot start the thread that talks to Redis for the event bus: {0}")]
    Thread(std::io::Error),
}

/// A client for `url` speaking RESP3, which carries pub/sub messages as pushes on an ordinary
/// connection: what lets `ConnectionManager` reconnect and resubscribe by itself.
pub fn client(url: &str) -> Result<redis::Client, RedisSetupError> {
    let bad_url = |source| RedisSetupError::Url {
        url: url.to_owned(),
        source,
    };
    let info = url.into_connection_info().map_err(bad_url)?;
    let settings = info
        .redis_settings()
        .clone()
        .set_protocol(redis::ProtocolVersion::RESP3);
    redis::Client::open(info.set_redis_settings(settings)).map_err(bad_url)
}

/// Reconnection and timeouts shared by every connection to Redis: a call fails within about
/// two seconds while Redis is away, and the connection comes back on its own when it returns.
pub fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)))
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(2))
}

/// Connects a self-healing, multiplexed connection to `url`.
pub async fn connect(url: &str) -> Result<ConnectionManager, RedisSetupError> {
    connect_with(url, manager_config()).await
}

/// Connects with `config` (the bus adds its push handler).
pub async fn connect_with(
    url: &str,
    config: ConnectionManagerConfig,
) -> Result<ConnectionManager, RedisSetupError> {
    ConnectionManager::new_with_config(client(url)?, config)
        .await
        .map_err(|source| RedisSetupError::Connect {
            url: url.to_owned(),
            source,
        })
}

/// Runs `call`, waiting for Redis at most [`presence::ANSWER_WAIT`]: while Redis is away a call
/// would otherwise wait for the connection's whole reconnection schedule, seconds on end. The
/// error says what happened, for logs and reports.
pub async fn bounded<T>(call: impl Future<Output = redis::RedisResult<T>>) -> Result<T, String> {
    match tokio::time::timeout(presence::ANSWER_WAIT, call).await {
        Ok(answer) => answer.map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "no answer from Redis within {} ms",
            presence::ANSWER_WAIT.as_millis()
        )),
    }
}

/// A bounded `PING` (allowed on a subscribed RESP3 connection too) and its round trip.
pub async fn ping(conn: &mut ConnectionManager) -> Result<Duration, String> {
    let started = Instant::now();
    let ping = redis::cmd("PING");
    bounded(ping.query_async::<redis::Value>(conn)).await?;
    Ok(started.elapsed())
}

/// Redis as the health checks see it: a `PING` on the shared connection.
pub struct RedisHealth(pub ConnectionManager);

#[async_trait]
impl crate::store::BackendHealth for RedisHealth {
    fn role(&self) -> &'static str {
        "fanout"
    }

    fn engine(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<Duration, String> {
        ping(&mut self.0.clone()).await
    }
}
