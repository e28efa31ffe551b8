//! The configuration's consistency check: values that parse but cannot work.

use super::{Config, DatabaseEngine};

impl Config {
    /// Checks values that parse but cannot work; the error names the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: &str| Err((key.to_owned(), msg.to_owned()));
        if self.server.max_body_bytes < 1024 {
            return fail("server.max_body_bytes", "must be at least 1024 bytes");
        }
        if self.server.shutdown_grace_ms > 600_000 {
            return fail(
                "server.shutdown_grace_ms",
                "must be at most 600000 (10 minutes)",
            );
        }
        if self.server.max_connections == 0 {
            return fail("server.max_connections", "must be at least 1");
        }
        if self.server.max_unauthenticated_connections == 0
            || self.server.max_unauthenticated_connections > self.server.max_connections
        {
            return fail(
                "server.max_unauthenticated_connections",
                "must be between 1 and server.max_connections",
            );
        }
        for (key, ms) in [
            (
                "server.request_header_timeout_ms",
                self.server.request_header_timeout_ms,
            ),
            ("server.idle_timeout_ms", self.server.idle_timeout_ms),
        ] {
            if !(100..=3_600_000).contains(&ms) {
                return fail(key, "must be between 100 and 3600000 (1 hour)");
            }
        }
        if let Err(msg) = self.server.trusted_proxy_networks() {
            return fail(
                "server.trusted_proxies",
                &format!(
                    "{msg}: list the load balancers' addresses or networks, or leave it empty"
                ),
            );
        }
        if let Err(msg) = self.database.engine() {
            return fail("database.url", &msg);
        }
        if self.database.data_dir.as_os_str().is_empty() {
            return fail("database.data_dir", "must not be empty");
        }
        if self.database.max_connections == 0 {
            return fail("database.max_connections", "must be at least 1");
        }
        if self.database.acquire_timeout_ms == 0 {
            return fail("database.acquire_timeout_ms", "must be at least 1");
        }
        if self.auth.issuer.trim().is_empty() {
            return fail("auth.issuer", "must not be empty");
        }
        if self.auth.audience.trim().is_empty() {
            return fail("auth.audience", "must not be empty");
        }
        if !(60..=30 * 24 * 60 * 60).contains(&self.auth.access_token_ttl_secs) {
            return fail(
                "auth.access_token_ttl_secs",
                "must be between 60 and 2592000 (30 days)",
            );
        }
        if self.auth.max_failed_logins_per_account == 0 {
            return fail("auth.max_failed_logins_per_account", "must be at least 1");
        }
        if self.auth.max_failed_logins_per_address == 0 {
            return fail("auth.max_failed_logins_per_address", "must be at least 1");
        }
        if !(1..=1024 * 1024).contains(&self.chat.max_message_bytes) {
            return fail("chat.max_message_bytes", "must be between 1 and 1048576");
        }
        if self.chat.sends_per_user_per_minute == 0 {
            return fail("chat.sends_per_user_per_minute", "must be at least 1");
        }
        if self.realtime.max_message_bytes < 1024 {
            return fail("realtime.max_message_bytes", "must be at least 1024 bytes");
        }
        if self.realtime.ping_interval_ms < 100 || self.realtime.ping_timeout_ms < 100 {
            return fail(
                "realtime.ping_interval_ms",
                "ping_interval_ms and ping_timeout_ms must be at least 100",
            );
        }
        if self.realtime.typing_timeout_ms == 0 {
            return fail("realtime.typing_timeout_ms", "must be at least 1");
        }
        if self
            .realtime
            .allowed_origins
            .iter()
            .any(|o| o != "*" && !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return fail(
                "realtime.allowed_origins",
                "each entry must be \"*\" or an origin like https://chat.example.org",
            );
        }
        if self.auth.failed_login_window_secs == 0 {
            return fail("auth.failed_login_window_secs", "must be at least 1");
        }
        if self.redis.enabled() {
            let url = self.redis.url.trim();
            if !["redis://", "rediss://", "redis+unix://", "unix://"]
                .iter()
                .any(|scheme| url.starts_with(scheme))
            {
                return fail(
                    "redis.url",
                    "must start with redis://, rediss:// or redis+unix:// (or be empty for a single node)",
                );
            }
            if matches!(self.database.engine(), Ok(DatabaseEngine::Sqlite(_))) {
                return fail(
                    "redis.url",
                    "several nodes need a shared database: set database.url to PostgreSQL, or leave redis.url empty",
                );
            }
        }
        if self.redis.key_prefix.contains(char::is_whitespace) {
            return fail("redis.key_prefix", "must not contain spaces");
        }
        // A heartbeat may wait up to Redis' 2 s response timeout; one slow answer must not cost
        // a live node its lease.
        if !(5_000..=300_000).contains(&self.redis.node_lease_ms) {
            return fail("redis.node_lease_ms", "must be between 5000 and 300000");
        }
        Ok(())
    }
}
