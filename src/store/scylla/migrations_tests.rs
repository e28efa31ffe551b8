//! The `cql/` folder as a developer adding a migration meets it.

use omegachat_contract::config::{MessagesConfig, ReplicationClass};

use super::*;

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, text)| (name.to_string(), text.to_string()))
        .collect()
}

#[test]
fn the_shipped_migrations_parse_in_order_from_version_1() {
    let migrations = embedded().expect("cql/ holds valid migrations");
    let versions: Vec<u32> = migrations.iter().map(|m| m.version).collect();
    let expected: Vec<u32> = (1..=migrations.len() as u32).collect();
    assert_eq!(versions, expected);
    assert_eq!(migrations[0].description, "keyspace");
    assert!(
        migrations[0].statements[0].starts_with("CREATE KEYSPACE IF NOT EXISTS ${keyspace}"),
        "the keyspace comes first: {:?}",
        migrations[0].statements[0]
    );
}

/// CQL has no transactional DDL: a migration interrupted halfway is run again from the start,
/// so each of its statements must be harmless the second time.
#[test]
fn every_shipped_statement_can_be_repeated() {
    for migration in embedded().unwrap() {
        for statement in &migration.statements {
            let upper = statement.to_ascii_uppercase();
            if upper.starts_with("CREATE") {
                assert!(
                    upper.contains("IF NOT EXISTS"),
                    "migration {} repeats badly: {statement}",
                    migration.version
                );
            }
            assert!(
                !upper.contains("ALLOW FILTERING"),
                "migration {}: {statement}",
                migration.version
            );
        }
    }
}

/// Every table the migrations create lives in the configured keyspace, never in whatever
/// keyspace a session happens to use.
#[test]
fn every_shipped_table_is_qualified_with_the_keyspace() {
    for migration in embedded().unwrap() {
        for statement in &migration.statements {
            if statement.to_ascii_uppercase().starts_with("CREATE TABLE") {
                assert!(
                    statement.contains("${keyspace}."),
                    "unqualified table: {statement}"
                );
            }
        }
    }
}

#[test]
fn files_are_ordered_by_number_not_by_name() {
    let parsed = parse_all(files(&[
        ("10_ten.cql", "SELECT 10;"),
        ("2_two.cql", "SELECT 2;"),
        ("0001_one.cql", "SELECT 1;"),
        ("3_three.cql", "SELECT 3;"),
        ("4_four.cql", "SELECT 4;"),
        ("5_five.cql", "SELECT 5;"),
        ("6_six.cql", "SELECT 6;"),
        ("7_seven.cql", "SELECT 7;"),
        ("8_eight.cql", "SELECT 8;"),
        ("9_nine.cql", "SELECT 9;"),
    ]))
    .unwrap();
    let order: Vec<(u32, &str)> = parsed
        .iter()
        .map(|m| (m.version, m.statements[0].as_str()))
        .collect();
    assert_eq!(order[0], (1, "SELECT 1"));
    assert_eq!(order[1], (2, "SELECT 2"));
    assert_eq!(order[9], (10, "SELECT 10"));
}

#[test]
fn a_gap_is_refused_naming_the_missing_version() {
    let err = parse_all(files(&[
        ("0001_a.cql", "SELECT 1;"),
        ("0003_c.cql", "SELECT 3;"),
    ]))
    .unwrap_err();
    assert_eq!(
        err,
        MigrationError::Gap {
            missing: 2,
            file: "0003_c.cql".into()
        }
    );
    let err = parse_all(files(&[("0002_b.cql", "SELECT 2;")])).unwrap_err();
    assert!(
        matches!(err, MigrationError::Gap { missing: 1, .. }),
        "{err}"
    );
}

#[test]
fn two_files_with_one_version_are_refused_naming_both() {
    let err = parse_all(files(&[
        ("0001_a.cql", "SELECT 1;"),
        ("0002_reactions.cql", "SELECT 2;"),
        ("02_pins.cql", "SELECT 2;"),
    ]))
    .unwrap_err();
    assert_eq!(
        err,
        MigrationError::Duplicate {
            version: 2,
            first: "0002_reactions.cql".into(),
            second: "02_pins.cql".into()
        }
    );
    assert!(err.to_string().contains("renumber"), "{err}");
}

#[test]
fn names_that_are_not_migrations_are_refused() {
    for name in [
        "README.md",
        "0004.cql",
        "reactions.cql",
        "x004_reactions.cql",
        "0004_Reactions.cql",
        "0004_reactions.sql",
        "0004-reactions.cql",
    ] {
        let err = parse_all(files(&[(name, "SELECT 1;")])).unwrap_err();
        assert_eq!(err, MigrationError::BadName { file: name.into() }, "{name}");
    }
    let parsed = parse_all(files(&[("0001_add_reactions_v2.cql", "SELECT 1;")])).unwrap();
    assert_eq!(parsed[0].description, "add reactions v2");
}

#[test]
fn empty_files_unclosed_strings_and_unknown_placeholders_are_refused() {
    let err = parse_all(files(&[("0001_a.cql", "-- nothing yet\n")])).unwrap_err();
    assert_eq!(
        err,
        MigrationError::Empty {
            file: "0001_a.cql".into()
        }
    );

    let err = parse_all(files(&[("0001_a.cql", "INSERT INTO t (a) VALUES ('x);")])).unwrap_err();
    assert!(matches!(err, MigrationError::Split { .. }), "{err}");
    assert!(err.to_string().contains("line 1"), "{err}");

    let err = parse_all(files(&[(
        "0001_a.cql",
        "CREATE TABLE IF NOT EXISTS ${keyspace}.t (a int PRIMARY KEY) WITH comment = '${owner}';",
    )]))
    .unwrap_err();
    assert_eq!(
        err,
        MigrationError::UnknownPlaceholder {
            file: "0001_a.cql".into(),
            name: "owner".into()
        }
    );
}

#[test]
fn placeholders_are_filled_in_with_the_keyspace_and_replication() {
    let statement = "CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${replication}";
    assert_eq!(
        render(
            statement,
            "chat_eu",
            "{'class': 'SimpleStrategy', 'replication_factor': 1}"
        ),
        "CREATE KEYSPACE IF NOT EXISTS chat_eu WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"
    );
}

#[test]
fn replication_follows_the_configured_strategy() {
    let mut config = MessagesConfig {
        replication_class: ReplicationClass::SimpleStrategy,
        replication_factor: 2,
        ..MessagesConfig::default()
    };
    assert_eq!(
        replication(&config),
        "{'class': 'SimpleStrategy', 'replication_factor': 2}"
    );

    config.replication_class = ReplicationClass::NetworkTopologyStrategy;
    config.local_datacenter = "eu-west".into();
    assert_eq!(
        replication(&config),
        "{'class': 'NetworkTopologyStrategy', 'eu-west': 2}",
        "without datacenters, replication_factor copies in the local one"
    );

    config.datacenters = [("us".to_owned(), 3), ("eu".to_owned(), 5)].into();
    assert_eq!(
        replication(&config),
        "{'class': 'NetworkTopologyStrategy', 'eu': 5, 'us': 3}"
    );

    config.datacenters = [("it's".to_owned(), 3)].into();
    assert_eq!(
        replication(&config),
        "{'class': 'NetworkTopologyStrategy', 'it''s': 3}",
        "a quote cannot end the string early"
    );
}
