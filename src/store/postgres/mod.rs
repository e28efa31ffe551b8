//! The scaled-out engine for accounts: a PostgreSQL server shared by every omegachatd node.

mod chat;
mod conversations;
mod friendships;
mod groups;
mod keys;
mod messages;
mod users;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use omegachat_contract::config::DatabaseConfig;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use super::{DatabaseHealth, StoreError, Stores};

/// Connects to the server and applies pending migrations.
pub async fn open(config: &DatabaseConfig, url: &str) -> Result<Stores, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect(url)
        .await
        .map_err(|e| {
            StoreError::Setup(format!(
                "cannot connect to PostgreSQL at {}: {e}",
                redact(url)
            ))
        })?;
    // Several nodes may start at once: sqlx takes an advisory lock so only one migrates.
    sqlx::migrate!("migrations/postgres").run(&pool).await?;
    let chat = chat::PgChatStore::new(pool.clone());
    Ok(Stores {
        users: Arc::new(users::PgUserStore::new(pool.clone())),
        keys: Arc::new(keys::PgKeyStore::new(pool.clone())),
        friendships: Arc::new(chat.clone()),
        groups: Arc::new(chat.clone()),
        conversations: Arc::new(chat.clone()),
        messages: Arc::new(chat),
        health: Arc::new(PgHealth { pool }),
    })
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}@{}", &url[..scheme_end + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

struct PgHealth {
    pool: PgPool,
}

#[async_trait]
impl DatabaseHealth for PgHealth {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(started.elapsed())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn urls_lose_their_password_in_messages() {
        assert_eq!(
            super::redact("postgres://chat:s3cret@db:5432/chat"),
            "postgres://chat@db:5432/chat"
        );
        assert_eq!(super::redact("postgres://db/chat"), "postgres://db/chat");
    }
}
