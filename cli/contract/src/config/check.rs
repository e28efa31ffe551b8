//! The configuration's consistency check: values that parse but cannot work.

use super::{Config, DatabaseEngine, MessagesEngine, ReplicationClass};

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
        if self.server.worker_threads > 1024 {
            return fail(
                "server.worker_threads",
                "must be at most 1024 (0: one fewer than the cores)",
            );
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
        self.validate_messages()?;
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
        self.preview.validate()?;
        Ok(())
    }
}

impl Config {
    /// `[messages]`: only checked in full when a cluster is configured, since the other keys are
    /// ignored without one.
    fn validate_messages(&self) -> Result<(), (String, String)> {
        let fail = |key: &str, msg: String| Err((key.to_owned(), msg));
        let messages = &self.messages;
        match messages.engine() {
            Err(msg) => return fail("messages.url", msg),
            Ok(MessagesEngine::MainDatabase) => return Ok(()),
            Ok(MessagesEngine::Scylla(_)) => {}
        }
        // Accounts and groups stay in the main database, and every node must see the same ones.
        if !matches!(self.database.engine(), Ok(DatabaseEngine::Postgres(_))) {
            return fail(
                "messages.url",
                "a ScyllaDB cluster needs accounts and groups in PostgreSQL: set database.url to postgres://…, or leave messages.url empty".into(),
            );
        }
        if !(1..=15).contains(&messages.replication_factor) {
            return fail(
                "messages.replication_factor",
                "must be between 1 and 15".into(),
            );
        }
        let no_quotes = |name: &str| !name.is_empty() && !name.contains(['\'', '"']);
        if !messages.local_datacenter.is_empty() && !no_quotes(&messages.local_datacenter) {
            return fail(
                "messages.local_datacenter",
                "must be a datacenter name as nodetool status shows it, without quotes".into(),
            );
        }
        match messages.replication_class {
            ReplicationClass::SimpleStrategy if !messages.datacenters.is_empty() => {
                return fail(
                    "messages.datacenters",
                    "applies to NetworkTopologyStrategy only: remove it, or set replication_class = \"NetworkTopologyStrategy\"".into(),
                );
            }
            ReplicationClass::SimpleStrategy => {}
            ReplicationClass::NetworkTopologyStrategy => {
                if messages.datacenters.is_empty() && messages.local_datacenter.is_empty() {
                    return fail(
                        "messages.local_datacenter",
                        "NetworkTopologyStrategy needs a datacenter: set local_datacenter (as nodetool status names it), or list datacenters = { dc1 = 3 }".into(),
                    );
                }
                if let Some((name, copies)) = messages
                    .datacenters
                    .iter()
                    .find(|(name, copies)| !no_quotes(name) || !(1..=15).contains(*copies))
                {
                    return fail(
                        "messages.datacenters",
                        format!(
                            "{name:?} = {copies}: each datacenter needs a plain name and 1 to 15 copies"
                        ),
                    );
                }
                if !messages.local_datacenter.is_empty()
                    && !messages.datacenters.is_empty()
                    && !messages
                        .datacenters
                        .contains_key(&messages.local_datacenter)
                {
                    return fail(
                        "messages.local_datacenter",
                        format!(
                            "{:?} is not among messages.datacenters: the local datacenter must hold copies",
                            messages.local_datacenter
                        ),
                    );
                }
            }
        }
        // LOCAL_ levels count the copies of the datacenter the driver calls local.
        if messages.consistency.is_local()
            && messages.local_datacenter.is_empty()
            && messages.replication_class == ReplicationClass::NetworkTopologyStrategy
        {
            return fail(
                "messages.local_datacenter",
                format!("{} needs the local datacenter's name", messages.consistency),
            );
        }
        for (key, ms) in [
            ("messages.connect_timeout_ms", messages.connect_timeout_ms),
            ("messages.request_timeout_ms", messages.request_timeout_ms),
        ] {
            if !(100..=600_000).contains(&ms) {
                return fail(key, "must be between 100 and 600000 (10 minutes)".into());
            }
        }
        if !(1..=365).contains(&messages.bucket_days) {
            return fail("messages.bucket_days", "must be between 1 and 365".into());
        }
        Ok(())
    }
}
