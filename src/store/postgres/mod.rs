//! The scaled-out engine for accounts: a PostgreSQL server shared by every omegachatd node.

mod admin;
mod chat;
mod conversations;
mod friendships;
mod groups;
mod keys;
mod messages;
mod users;

use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::config::DatabaseConfig;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::{DatabaseHealth, StoreError, Stores};

/// The schema changes this binary knows, in order.
pub static MIGRATOR: Migrator = sqlx::migrate!("migrations/postgres");

/// Connects to the server; migrations are the caller's decision.
pub async fn connect(config: &DatabaseConfig, url: &str) -> Result<PgPool, StoreError> {
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
    Ok(pool)
}

/// The stores over an up-to-date schema.
pub fn stores(pool: PgPool, health: Arc<dyn DatabaseHealth>) -> Stores {
    let chat = chat::PgChatStore::new(pool.clone());
    Stores {
        users: Arc::new(users::PgUserStore::new(pool.clone())),
        keys: Arc::new(keys::PgKeyStore::new(pool.clone())),
        friendships: Arc::new(chat.clone()),
        groups: Arc::new(chat.clone()),
        conversations: Arc::new(chat.clone()),
        messages: Arc::new(chat),
        admin: Arc::new(admin::PgAdminStore::new(pool.clone())),
        health,
    }
}

/// Versions and times (RFC 3339, UTC) of the applied migrations; none on a database never migrated.
pub async fn applied_migrations(pool: &PgPool) -> Result<Vec<(i64, String)>, StoreError> {
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(pool)
        .await?;
    if !exists {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT version, to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
         FROM _sqlx_migrations WHERE success ORDER BY version",
    )
    .fetch_all(pool)
    .await?)
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
