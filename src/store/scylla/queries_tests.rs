//! Every statement of the store against the schema in `cql/`: whole partition keys, no
//! `ALLOW FILTERING`, bounded reads of `messages`.

use std::collections::BTreeMap;

use super::super::migrations::embedded;
use super::*;

/// Table name → (partition key columns, clustering columns), read from the migrations'
/// `CREATE TABLE` statements, so the rules follow the schema rather than a copy of it.
fn keys_by_table() -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut tables = BTreeMap::new();
    for migration in embedded().unwrap() {
        for statement in &migration.statements {
            let Some(rest) = statement.strip_prefix("CREATE TABLE IF NOT EXISTS ${keyspace}.")
            else {
                continue;
            };
            let name = rest.split_whitespace().next().unwrap().to_owned();
            tables.insert(name, primary_key(rest));
        }
    }
    tables
}

/// `PRIMARY KEY ((a, b), c)`, `PRIMARY KEY (a, c)` or `a type PRIMARY KEY`.
fn primary_key(table: &str) -> (Vec<String>, Vec<String>) {
    let words = |text: &str| -> Vec<String> {
        text.split(',')
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty())
            .collect()
    };
    if let Some((_, key)) = table.split_once("PRIMARY KEY (") {
        if let Some(inner) = key.strip_prefix('(') {
            let (partition, rest) = inner.split_once(')').unwrap();
            let clustering = rest.split_once(')').unwrap().0;
            return (words(partition), words(clustering));
        }
        let key = key.split_once(')').unwrap().0;
        let mut columns = words(key);
        let partition = columns.remove(0);
        return (vec![partition], columns);
    }
    let line = table
        .lines()
        .find(|line| line.contains("PRIMARY KEY"))
        .unwrap();
    (
        vec![line.split_whitespace().next().unwrap().to_owned()],
        vec![],
    )
}

/// What is wrong with `statement` under the rules, if anything.
fn breaks_rules(
    statement: &str,
    tables: &BTreeMap<String, (Vec<String>, Vec<String>)>,
) -> Option<String> {
    let upper = statement.to_uppercase();
    if upper.contains("ALLOW FILTERING") {
        return Some("uses ALLOW FILTERING".into());
    }
    let table = [
        "FROM ${keyspace}.",
        "INTO ${keyspace}.",
        "UPDATE ${keyspace}.",
    ]
    .iter()
    .find_map(|marker| statement.split_once(marker))
    .map(|(_, rest)| {
        rest.split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    })?;
    let Some((partition, clustering)) = tables.get(&table) else {
        return Some(format!("names table {table}, which no migration creates"));
    };
    if upper.starts_with("INSERT") {
        let columns = statement.split_once('(')?.1.split_once(')')?.0;
        let named: Vec<&str> = columns.split(',').map(str::trim).collect();
        return partition
            .iter()
            .chain(clustering)
            .find(|key| !named.contains(&key.as_str()))
            .map(|key| format!("inserts into {table} without its key column {key}"));
    }
    let Some((_, condition)) = statement.split_once(" WHERE ") else {
        return Some(format!("reads or writes {table} without a WHERE clause"));
    };
    if let Some(key) = partition
        .iter()
        .find(|key| !condition.contains(&format!("{key} = ?")))
    {
        return Some(format!(
            "does not name {table}'s partition key column {key} with ="
        ));
    }
    if upper.contains(" IN (") {
        return Some("reads several partitions with IN".into());
    }
    // A read of `messages` is bounded by a LIMIT, or by naming one row (its whole primary key).
    let one_row = clustering
        .iter()
        .all(|key| condition.contains(&format!("{key} = ?")));
    if upper.starts_with("SELECT") && table == "messages" && !one_row && !upper.contains(" LIMIT ?")
    {
        return Some("reads messages without a LIMIT".into());
    }
    None
}

#[test]
fn every_statement_names_its_whole_partition_key_and_never_filters() {
    let tables = keys_by_table();
    assert_eq!(
        tables["messages"],
        (
            vec!["conversation_id".to_owned(), "bucket".to_owned()],
            vec!["message_id".to_owned()]
        )
    );
    assert_eq!(tables["conversations"].0, ["conversation_id"]);
    assert_eq!(
        tables["messages_by_client_id"].0,
        ["sender_id", "client_msg_id"]
    );
    for statement in ALL {
        assert_eq!(breaks_rules(statement, &tables), None, "{statement}");
    }
}

#[test]
fn the_rules_catch_what_they_are_meant_to() {
    let tables = keys_by_table();
    let bad = [
        (
            "SELECT message_id FROM ${keyspace}.messages WHERE conversation_id = ? LIMIT ?",
            "partition key column bucket",
        ),
        (
            "SELECT message_id FROM ${keyspace}.messages WHERE conversation_id = ? AND bucket = ?",
            "without a LIMIT",
        ),
        (
            "SELECT * FROM ${keyspace}.user_conversations WHERE muted = true ALLOW FILTERING",
            "ALLOW FILTERING",
        ),
        ("SELECT * FROM ${keyspace}.conversations", "without a WHERE"),
        (
            "SELECT * FROM ${keyspace}.messages WHERE conversation_id = ? AND bucket IN (1, 2) LIMIT ?",
            "partition key column bucket",
        ),
        (
            "INSERT INTO ${keyspace}.messages (conversation_id, message_id) VALUES (?, ?)",
            "key column bucket",
        ),
        (
            "SELECT * FROM ${keyspace}.reactions WHERE id = ?",
            "no migration",
        ),
    ];
    for (statement, expected) in bad {
        let found = breaks_rules(statement, &tables).unwrap_or_default();
        assert!(found.contains(expected), "{statement}: {found:?}");
    }
}

#[test]
fn every_statement_is_listed_once() {
    let mut sorted = ALL.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ALL.len());
    for statement in ALL {
        assert!(statement.contains("${keyspace}."), "{statement}");
        assert!(
            !render(statement, "omegachat", "").contains('$'),
            "{statement}"
        );
    }
}
