//! SIGHUP (`systemctl reload omegachatd`): re-reads the configuration and applies what can change
//! without a restart — the log level and the per-user send rate limit. Other changed keys are
//! named in a warning: they take effect at the next restart.

use std::path::PathBuf;
use std::sync::Arc;

use omegachat_contract::Config;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::service::system::SystemService;
use crate::telemetry::LogControl;

/// Keys a reload applies.
const RELOADABLE: [&str; 2] = ["log.level", "chat.sends_per_user_per_minute"];

pub struct Reloader {
    system: Arc<SystemService>,
    log: LogControl,
    /// `--config` as given at start; the lookup order is otherwise the same as at start-up.
    explicit_path: Option<PathBuf>,
    current: Mutex<Config>,
}

impl Reloader {
    pub fn new(
        system: Arc<SystemService>,
        log: LogControl,
        explicit_path: Option<PathBuf>,
    ) -> Self {
        let current = Mutex::new(system.config().clone());
        Self {
            system,
            log,
            explicit_path,
            current,
        }
    }

    /// Loads the configuration again and applies it. A file that does not load changes nothing.
    pub async fn reload(&self) {
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        let loaded = match omegachat_contract::load(self.explicit_path.as_deref(), env) {
            Ok(loaded) => loaded,
            Err(e) => {
                tracing::error!(
                    "reload refused, the running configuration is unchanged: invalid configuration: {e}"
                );
                return;
            }
        };
        let new = loaded.config;
        let mut current = self.current.lock().await;
        let changed = changed_keys(&current, &new);
        if changed.is_empty() {
            tracing::info!("configuration reloaded: nothing changed");
            return;
        }
        if new.log.level != current.log.level && !self.log.set_level(new.log.level) {
            tracing::warn!(
                "log.level changed, but RUST_LOG is set and keeps deciding the log level"
            );
        }
        self.system
            .set_send_limit(new.chat.sends_per_user_per_minute);
        let (applied, pending): (Vec<String>, Vec<String>) = changed
            .into_iter()
            .partition(|key| RELOADABLE.contains(&key.as_str()));
        if !pending.is_empty() {
            tracing::warn!(
                keys = %pending.join(", "),
                "these changed keys take effect only after a restart (systemctl restart omegachatd)"
            );
        }
        tracing::info!(applied = %applied.join(", "), "configuration reloaded");
        // Keys that need a restart stay as they run, so a later reload reports them again.
        current.log.level = new.log.level;
        current.chat.sends_per_user_per_minute = new.chat.sends_per_user_per_minute;
    }
}

/// `section.key` of every value that differs.
fn changed_keys(old: &Config, new: &Config) -> Vec<String> {
    let (Ok(Value::Object(old)), Ok(Value::Object(new))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    let mut changed = Vec::new();
    for (section, new_keys) in &new {
        let (Some(Value::Object(old_keys)), Value::Object(new_keys)) = (old.get(section), new_keys)
        else {
            continue;
        };
        for (key, value) in new_keys {
            if old_keys.get(key) != Some(value) {
                changed.push(format!("{section}.{key}"));
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_changed_key() {
        let old = Config::default();
        let mut new = old.clone();
        new.chat.sends_per_user_per_minute = 5;
        new.server.max_body_bytes = 4096;
        assert_eq!(
            changed_keys(&old, &new),
            vec!["chat.sends_per_user_per_minute", "server.max_body_bytes"]
        );
        assert!(changed_keys(&old, &old).is_empty());
    }
}
