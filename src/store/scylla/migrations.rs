//! The CQL schema migrations in `cql/`, embedded in the binary: named, numbered, split into
//! statements and checked when they are read, so a mistake in the folder fails a unit test
//! rather than a migration on a production cluster.
//!
//! A file is `NNNN_what_it_does.cql`; versions start at 1 and have no gaps or repeats (a gap is
//! usually a file lost in a merge, and the migrator records versions, not names). Statements may
//! use two placeholders, filled in from the configuration when the migration runs:
//! `${keyspace}` (the keyspace of `messages.url`) and `${replication}` (a CQL map built from the
//! `messages.replication_*` keys by [`replication`]). Both are substituted as text, also inside
//! strings; the values are validated identifiers, names and numbers.

use std::collections::BTreeMap;

use omegachat_contract::config::{MessagesConfig, ReplicationClass};
use rust_embed::Embed;

use super::statements::{SplitError, split_statements};

/// Every file of `cql/`; [`embedded`] refuses any that is not a migration.
#[derive(Embed)]
#[folder = "cql/"]
struct CqlFiles;

/// One migration, ready to run statement by statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CqlMigration {
    pub version: u32,
    /// From the file name: `0002_messages.cql` is "messages".
    pub description: String,
    /// Statements in file order, placeholders not yet filled in.
    pub statements: Vec<String>,
}

/// Why the migrations cannot be used; names the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "cql/{file}: not a migration name; name it NNNN_what_it_does.cql (e.g. 0004_reactions.cql)"
    )]
    BadName { file: String },
    #[error("cql/{first} and cql/{second} both have version {version}: renumber one")]
    Duplicate {
        version: u32,
        first: String,
        second: String,
    },
    #[error(
        "cql/{file}: version {missing} is missing before it; versions run 1, 2, 3 … without gaps"
    )]
    Gap { missing: u32, file: String },
    #[error("cql/{file}: {source}")]
    Split { file: String, source: SplitError },
    #[error("cql/{file}: has no statement")]
    Empty { file: String },
    #[error(
        "cql/{file}: unknown placeholder ${{{name}}}; only ${{keyspace}} and ${{replication}} are filled in"
    )]
    UnknownPlaceholder { file: String, name: String },
    #[error("cql/{file}: is not UTF-8")]
    NotText { file: String },
}

/// Placeholders a statement may use.
const PLACEHOLDERS: [&str; 2] = ["keyspace", "replication"];

/// The migrations compiled into this binary, in version order.
pub fn embedded() -> Result<Vec<CqlMigration>, MigrationError> {
    let files = CqlFiles::iter().map(|name| {
        let text = CqlFiles::get(&name)
            .map(|file| String::from_utf8(file.data.into_owned()))
            .and_then(Result::ok)
            .ok_or_else(|| MigrationError::NotText {
                file: name.to_string(),
            });
        (name.to_string(), text)
    });
    let mut named = Vec::new();
    for (name, text) in files {
        named.push((name, text?));
    }
    parse_all(named)
}

/// Parses `(file name, text)` pairs into migrations ordered by version, refusing bad names,
/// duplicate versions, gaps, empty files, unclosed strings and unknown placeholders.
pub fn parse_all(
    files: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<CqlMigration>, MigrationError> {
    let mut by_version: BTreeMap<u32, (String, CqlMigration)> = BTreeMap::new();
    for (file, text) in files {
        let (version, description) =
            parse_name(&file).ok_or_else(|| MigrationError::BadName { file: file.clone() })?;
        let statements = split_statements(&text).map_err(|source| MigrationError::Split {
            file: file.clone(),
            source,
        })?;
        if statements.is_empty() {
            return Err(MigrationError::Empty { file });
        }
        if let Some(name) = statements.iter().find_map(|s| unknown_placeholder(s)) {
            return Err(MigrationError::UnknownPlaceholder { file, name });
        }
        let migration = CqlMigration {
            version,
            description,
            statements,
        };
        if let Some((first, _)) = by_version.get(&version) {
            let (first, second) = if *first < file {
                (first.clone(), file)
            } else {
                (file, first.clone())
            };
            return Err(MigrationError::Duplicate {
                version,
                first,
                second,
            });
        }
        by_version.insert(version, (file, migration));
    }
    // In version order, the n-th migration (from 0) must be version n + 1.
    let mut migrations = Vec::with_capacity(by_version.len());
    for (expected, (version, (file, migration))) in (1..).zip(by_version) {
        if version != expected {
            return Err(MigrationError::Gap {
                missing: expected,
                file,
            });
        }
        migrations.push(migration);
    }
    Ok(migrations)
}

/// `0002_messages_by_client.cql` → (2, "messages by client").
fn parse_name(file: &str) -> Option<(u32, String)> {
    let (number, words) = file.strip_suffix(".cql")?.split_once('_')?;
    let numbered = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
    let worded = !words.is_empty()
        && words
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !numbered || !worded {
        return None;
    }
    Some((number.parse().ok()?, words.replace('_', " ")))
}

/// The first `${name}` in `statement` that is not a known placeholder.
fn unknown_placeholder(statement: &str) -> Option<String> {
    statement.match_indices("${").find_map(|(at, _)| {
        let name = statement[at + 2..]
            .split_once('}')
            .map_or(&statement[at + 2..], |(name, _)| name);
        (!PLACEHOLDERS.contains(&name)).then(|| name.to_owned())
    })
}

/// A statement with its placeholders filled in for `keyspace` and `replication`.
pub fn render(statement: &str, keyspace: &str, replication: &str) -> String {
    statement
        .replace("${keyspace}", keyspace)
        .replace("${replication}", replication)
}

/// The keyspace's replication as a CQL map literal, e.g.
/// `{'class': 'NetworkTopologyStrategy', 'dc1': 3}`. Datacenter names were checked for quotes
/// when the configuration loaded; they are escaped here all the same, as CQL strings.
pub fn replication(config: &MessagesConfig) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let mut entries = Vec::new();
    match config.replication_class {
        ReplicationClass::SimpleStrategy => {
            entries.push(("'class'".into(), quote("SimpleStrategy")));
            entries.push((
                "'replication_factor'".into(),
                config.replication_factor.to_string(),
            ));
        }
        ReplicationClass::NetworkTopologyStrategy => {
            entries.push(("'class'".into(), quote("NetworkTopologyStrategy")));
            if config.datacenters.is_empty() {
                entries.push((
                    quote(&config.local_datacenter),
                    config.replication_factor.to_string(),
                ));
            }
            for (datacenter, copies) in &config.datacenters {
                entries.push((quote(datacenter), copies.to_string()));
            }
        }
    }
    let entries: Vec<String> = entries
        .into_iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

#[cfg(test)]
#[path = "migrations_tests.rs"]
mod tests;
