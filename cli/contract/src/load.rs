//! Finding, reading and overriding the configuration file.
//!
//! Order: `--config PATH`, `$OMEGACHAT_CONFIG`, `./omegachat.toml`, `/etc/omegachat/omegachat.toml`,
//! built-in defaults; then `OMEGACHAT_<SECTION>__<KEY>` environment variables override single keys;
//! then [`Config::validate`] rejects values that parse but cannot work.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::IntoDeserializer;

use crate::config::Config;

/// Environment variable naming the configuration file.
pub const CONFIG_PATH_VAR: &str = "OMEGACHAT_CONFIG";
/// Prefix of per-key environment overrides (`OMEGACHAT_SERVER__LISTEN=…`).
pub const ENV_PREFIX: &str = "OMEGACHAT_";
/// Files tried, in order, when neither `--config` nor `$OMEGACHAT_CONFIG` names one.
pub const DEFAULT_PATHS: [&str; 2] = ["omegachat.toml", "/etc/omegachat/omegachat.toml"];

/// A configuration together with where it came from, for the start-up log.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file read, or `None` when only defaults (and environment) apply.
    pub path: Option<PathBuf>,
}

/// Why a configuration was refused: where, which key, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File path or environment variable the bad value came from.
    pub origin: String,
    /// 1-based line in the file, where the parser knows it.
    pub line: Option<usize>,
    /// Dotted key (`server.listen`), where known.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Loads the configuration the daemon would use, reading overrides from `env`.
///
/// `env` is passed in (rather than read here) so tests can supply their own environment.
pub fn load<I>(explicit: Option<&Path>, env: I) -> Result<LoadedConfig, ConfigError>
where
    I: IntoIterator<Item = (String, String)>,
{
    let env: Vec<(String, String)> = env.into_iter().collect();
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => match env.iter().find(|(k, _)| k == CONFIG_PATH_VAR) {
            Some((_, v)) if !v.is_empty() => Some(PathBuf::from(v)),
            _ => DEFAULT_PATHS
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file()),
        },
    };
    let mut table = match &path {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                origin: path.display().to_string(),
                line: None,
                key: None,
                message: format!("cannot read the configuration file: {e}"),
            })?;
            parse_file(&path.display().to_string(), &text)?
        }
        None => toml::Table::new(),
    };
    apply_env_overrides(&mut table, &env)?;
    let config = from_table(table).map_err(|(key, message)| ConfigError {
        origin: path
            .as_ref()
            .map_or("configuration".into(), |p| p.display().to_string()),
        line: None,
        key,
        message,
    })?;
    config.validate().map_err(|(key, message)| ConfigError {
        origin: path
            .as_ref()
            .map_or("configuration".into(), |p| p.display().to_string()),
        line: None,
        key: Some(key),
        message,
    })?;
    Ok(LoadedConfig { config, path })
}

/// Parses file text, checking every key and type so errors carry the file line.
pub fn parse_file(origin: &str, text: &str) -> Result<toml::Table, ConfigError> {
    let line_of = |err: &toml::de::Error| err.span().map(|span| line_at(text, span.start));
    let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError {
        origin: origin.to_owned(),
        line: line_of(&e),
        key: None,
        message: e.message().to_owned(),
    })?;
    if let Err((key, message)) = from_table(table.clone()) {
        // Deserialising the text again (not the table) gives the span of the offending value.
        let line = toml::from_str::<Config>(text)
            .err()
            .as_ref()
            .and_then(line_of);
        return Err(ConfigError {
            origin: origin.to_owned(),
            line,
            key,
            message,
        });
    }
    Ok(table)
}

fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Deserialises a table into `Config`, reporting the dotted path of the first bad key.
fn from_table(table: toml::Table) -> Result<Config, (Option<String>, String)> {
    serde_path_to_error::deserialize(toml::Value::Table(table).into_deserializer()).map_err(|e| {
        let path = e.path().to_string();
        let key = (path != ".").then_some(path);
        (key, e.into_inner().to_string())
    })
}

/// Applies `OMEGACHAT_<SECTION>__<KEY>` variables; each is checked on its own so an error names it.
fn apply_env_overrides(
    table: &mut toml::Table,
    env: &[(String, String)],
) -> Result<(), ConfigError> {
    for (name, raw) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if !rest.contains("__") {
            continue; // OMEGACHAT_CONFIG and unrelated variables
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        let err = |message: String| ConfigError {
            origin: format!("environment variable {name}"),
            line: None,
            key: Some(path.join(".")),
            message,
        };
        if path.len() != 2 || path.iter().any(String::is_empty) {
            return Err(err(
                "expected OMEGACHAT_<SECTION>__<KEY>, e.g. OMEGACHAT_SERVER__LISTEN".into(),
            ));
        }
        // A value is read as TOML when it parses as one (numbers, booleans), else as a plain string,
        // so `OMEGACHAT_AUTH__ISSUER=123` still works for a string key.
        let candidates = [parse_env_value(raw), Some(toml::Value::String(raw.clone()))];
        let mut last_error = String::new();
        let mut accepted = None;
        for value in candidates.into_iter().flatten() {
            let single = single_key_table(&path, value.clone());
            match from_table(single) {
                Ok(_) => {
                    accepted = Some(value);
                    break;
                }
                Err((_, message)) if last_error.is_empty() => last_error = message,
                Err(_) => {}
            }
        }
        let value = accepted.ok_or_else(|| err(last_error))?;
        let section = table
            .entry(path[0].clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match section {
            toml::Value::Table(section) => {
                section.insert(path[1].clone(), value);
            }
            _ => return Err(err(format!("`{}` is not a section", path[0]))),
        }
    }
    Ok(())
}

fn parse_env_value(raw: &str) -> Option<toml::Value> {
    let doc: toml::Table = toml::from_str(&format!("v = {raw}")).ok()?;
    doc.get("v").cloned()
}

fn single_key_table(path: &[String], value: toml::Value) -> toml::Table {
    let mut inner = toml::Table::new();
    inner.insert(path[1].clone(), value);
    let mut outer = toml::Table::new();
    outer.insert(path[0].clone(), toml::Value::Table(inner));
    outer
}
