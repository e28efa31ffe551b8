//! The scaled-out engine: a PostgreSQL server shared by every omegachatd node.

use std::time::Duration;

use omegachat_contract::config::DatabaseConfig;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPoolOptions, PgQueryResult};
use sqlx::{PgPool, Postgres};

use super::engine::SqlEngine;
use crate::store::StoreError;

impl SqlEngine for Postgres {
    const NAME: &'static str = "postgres";
    const BEGIN_WRITE: &'static str = "BEGIN";
    const JSON_INTEGERS_1: &'static str = "SELECT jsonb_array_elements_text($1::jsonb)::bigint";
    // `to_regclass` is NULL for a table that does not exist (on the search path).
    const MIGRATIONS_TABLE_COUNT: &'static str = "SELECT count(to_regclass('_sqlx_migrations'))";

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}

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
