//! The migrator's bookkeeping against a recording stand-in for the four calls it makes.

use std::sync::Mutex;

use super::super::migrations::{embedded, parse_all};
use super::*;

/// Remembers every call in order; `applied` and the stored bucket size are what a cluster
/// would answer; `fail_on` makes the statement containing that text fail.
#[derive(Default)]
struct Recording {
    calls: Mutex<Vec<String>>,
    applied: Mutex<Vec<AppliedCql>>,
    bucket_days: Mutex<Option<String>>,
    fail_on: Option<&'static str>,
}

impl Recording {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl CqlSchema for Recording {
    async fn applied(&self, _keyspace: &str) -> Result<Vec<AppliedCql>, ScyllaError> {
        Ok(self.applied.lock().unwrap().clone())
    }

    async fn run(&self, statement: &str) -> Result<(), ScyllaError> {
        self.calls.lock().unwrap().push(format!("run {statement}"));
        match self.fail_on {
            Some(text) if statement.contains(text) => {
                Err(ScyllaError::request("running", "unavailable"))
            }
            _ => Ok(()),
        }
    }

    async fn await_schema_agreement(&self) -> Result<(), ScyllaError> {
        self.calls.lock().unwrap().push("agree".into());
        Ok(())
    }

    async fn record(&self, _keyspace: &str, migration: &CqlMigration) -> Result<(), ScyllaError> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("record {}", migration.version));
        self.applied.lock().unwrap().push(AppliedCql {
            version: migration.version,
            description: migration.description.clone(),
            applied_at: Utc::now(),
        });
        Ok(())
    }

    async fn claim_bucket_days(&self, _keyspace: &str, days: u32) -> Result<String, ScyllaError> {
        let mut stored = self.bucket_days.lock().unwrap();
        Ok(stored.get_or_insert_with(|| days.to_string()).clone())
    }
}

fn two_migrations() -> Vec<CqlMigration> {
    parse_all([
        (
            "0001_keyspace.cql".to_owned(),
            "CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replication};\n\
             CREATE TABLE IF NOT EXISTS ${keyspace}.a (x int PRIMARY KEY);"
                .to_owned(),
        ),
        (
            "0002_b.cql".to_owned(),
            "CREATE TABLE IF NOT EXISTS ${keyspace}.b (y int PRIMARY KEY);".to_owned(),
        ),
    ])
    .unwrap()
}

#[tokio::test]
async fn each_statement_waits_for_agreement_and_each_migration_is_recorded_after_its_statements() {
    let schema = Recording::default();
    let done = apply(
        &schema,
        "chat",
        "{'class': 'SimpleStrategy'}",
        10,
        &two_migrations(),
    )
    .await
    .unwrap();
    assert_eq!(done, [1, 2]);
    assert_eq!(
        schema.calls(),
        [
            "run CREATE KEYSPACE IF NOT EXISTS chat WITH replication = {'class': 'SimpleStrategy'}",
            "agree",
            "run CREATE TABLE IF NOT EXISTS chat.a (x int PRIMARY KEY)",
            "agree",
            "record 1",
            "run CREATE TABLE IF NOT EXISTS chat.b (y int PRIMARY KEY)",
            "agree",
            "record 2",
        ]
    );
}

#[tokio::test]
async fn applied_migrations_are_not_run_again_and_status_shows_them() {
    let schema = Recording::default();
    let migrations = two_migrations();
    apply(&schema, "chat", "{}", 10, &migrations[..1])
        .await
        .unwrap();
    let states = status(&schema, "chat", &migrations).await.unwrap();
    assert!(
        states[0]
            .applied_at
            .as_deref()
            .is_some_and(|at| at.ends_with('Z'))
    );
    assert_eq!(states[1].applied_at, None);
    assert_eq!(states[1].description, "b");

    schema.calls.lock().unwrap().clear();
    assert_eq!(
        apply(&schema, "chat", "{}", 10, &migrations).await.unwrap(),
        [2]
    );
    assert!(schema.calls().iter().all(|call| !call.contains("chat.a")));
    assert!(
        apply(&schema, "chat", "{}", 10, &migrations)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_failed_statement_records_nothing_and_names_its_migration() {
    let schema = Recording {
        fail_on: Some("chat.b"),
        ..Recording::default()
    };
    let err = apply(&schema, "chat", "{}", 10, &two_migrations())
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("cql/ migration 2 (b):"),
        "{err}"
    );
    assert!(schema.calls().contains(&"record 1".to_owned()));
    assert!(!schema.calls().contains(&"record 2".to_owned()));
}

#[tokio::test]
async fn a_keyspace_from_a_newer_binary_or_another_bucket_size_is_refused() {
    let schema = Recording::default();
    schema.applied.lock().unwrap().push(AppliedCql {
        version: 9,
        description: "future".into(),
        applied_at: Utc::now(),
    });
    let err = apply(&schema, "chat", "{}", 10, &two_migrations())
        .await
        .unwrap_err();
    assert!(
        matches!(err, MigratorError::Unknown { version: 9 }),
        "{err}"
    );
    assert!(schema.calls().is_empty(), "nothing ran");

    let schema = Recording::default();
    *schema.bucket_days.lock().unwrap() = Some("7".into());
    let err = apply(&schema, "chat", "{}", 10, &two_migrations())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bucket_days = 7"), "{err}");
}

#[tokio::test]
async fn the_shipped_migrations_apply_in_order_with_the_keyspace_filled_in() {
    let schema = Recording::default();
    let known = embedded().unwrap();
    let done = apply(
        &schema,
        "omegachat",
        "{'class': 'SimpleStrategy', 'replication_factor': 1}",
        10,
        &known,
    )
    .await
    .unwrap();
    assert_eq!(done, (1..=known.len() as u32).collect::<Vec<_>>());
    let calls = schema.calls();
    assert!(
        calls[0].starts_with("run CREATE KEYSPACE IF NOT EXISTS omegachat"),
        "{}",
        calls[0]
    );
    assert!(calls.iter().all(|call| !call.contains("${")), "{calls:?}");
    let runs = calls.iter().filter(|c| c.starts_with("run ")).count();
    let agreements = calls.iter().filter(|c| *c == "agree").count();
    assert_eq!(runs, agreements);
}
