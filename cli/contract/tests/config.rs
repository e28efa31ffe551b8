//! The configuration file as a sysadmin meets it: the shipped sample, mistakes, overrides.

use std::path::{Path, PathBuf};

use omegachat_contract::config::{Consistency, MessagesEngine, SerialConsistency};
use omegachat_contract::{Config, DatabaseEngine, LogFormat, load};

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../omegachat.toml")
}

fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("omegachat.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn no_env() -> Vec<(String, String)> {
    Vec::new()
}

#[test]
fn the_shipped_sample_loads_as_the_defaults() {
    let loaded = load(Some(&sample_path()), no_env()).expect("shipped omegachat.toml must load");
    assert_eq!(loaded.config, Config::default());
}

/// Uncommenting every `# key = value` line of the sample must give exactly the built-in defaults,
/// and every key the daemon knows must be documented there.
#[test]
fn the_sample_documents_every_key_with_its_true_default() {
    let text = std::fs::read_to_string(sample_path()).unwrap();
    let uncommented: String = text
        .lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest) if looks_like_assignment(rest) => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let loaded =
        load(Some(&write(&dir, &uncommented)), no_env()).expect("uncommented sample loads");
    assert_eq!(
        loaded.config,
        Config::default(),
        "a documented default differs from the real one"
    );

    let documented: toml::Table = toml::from_str(&uncommented).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    for (section, keys) in &defaults {
        let keys = keys.as_table().unwrap();
        for key in keys.keys() {
            let present = documented.get(section).and_then(|s| s.get(key)).is_some();
            assert!(
                present,
                "key `{section}.{key}` is not documented in omegachat.toml"
            );
        }
    }
}

fn looks_like_assignment(line: &str) -> bool {
    let mut parts = line.splitn(2, " = ");
    let key = parts.next().unwrap_or_default();
    parts.next().is_some()
        && !key.is_empty()
        && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

#[test]
fn an_unknown_key_is_refused_with_its_name_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[server]\nlisten = \"127.0.0.1:9000\"\nlissten = \"x\"\n",
    );
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    assert!(err.to_string().contains("lissten"), "{err}");
}

#[test]
fn an_unknown_section_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[servre]\nlisten = \"127.0.0.1:9000\"\n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert!(err.to_string().contains("servre"), "{err}");
}

#[test]
fn a_wrong_type_names_the_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[auth]\nissuer = \"x\"\naccess_token_ttl_secs = \"one day\"\n",
    );
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("auth.access_token_ttl_secs"),
        "{err}"
    );
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn a_syntax_error_gives_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[server]\n\nlisten = \n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
}

#[test]
fn an_impossible_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[database]\nmax_connections = 0\n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(
        err.key.as_deref(),
        Some("database.max_connections"),
        "{err}"
    );

    let path = write(&dir, "[database]\nurl = \"mysql://db/chat\"\n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("database.url"), "{err}");
    assert!(err.message.contains("mysql"), "{err}");
}

#[test]
fn preview_allow_networks_admit_listed_networks_and_never_a_wildcard() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Config::default().preview.allow_networks.is_empty());
    let path = write(
        &dir,
        "[preview]\nallow_networks = [\"10.20.0.0/16\", \"127.0.0.2\", \"fd00:1::/64\"]\n",
    );
    let config = load(Some(&path), no_env()).unwrap().config;
    let networks: Vec<String> = config
        .preview
        .allowed_networks()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(networks, ["10.20.0.0/16", "127.0.0.2/32", "fd00:1::/64"]);

    for wildcard in ["0.0.0.0/0", "::/0", "0.0.0.0/1", "128.0.0.0/4", "2000::/3"] {
        let path = write(
            &dir,
            &format!("[preview]\nallow_networks = [\"10.0.0.0/8\", \"{wildcard}\"]\n"),
        );
        let err = load(Some(&path), no_env()).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("preview.allow_networks"), "{err}");
        assert!(err.message.contains(wildcard), "{err}");
    }
    let path = write(&dir, "[preview]\nallow_networks = [\"intranet\"]\n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("preview.allow_networks"), "{err}");

    let path = write(&dir, "[preview]\ntimeout_ms = 0\n");
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("preview.timeout_ms"), "{err}");
}

#[test]
fn trusted_proxies_take_addresses_and_networks_and_name_a_bad_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[server]\ntrusted_proxies = [\"10.0.0.5\", \"192.168.1.0/24\", \"::1\", \"fd00::/64\"]\n",
    );
    let config = load(Some(&path), no_env()).unwrap().config;
    let networks: Vec<String> = config
        .server
        .trusted_proxy_networks()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        networks,
        ["10.0.0.5/32", "192.168.1.0/24", "::1/128", "fd00::/64"]
    );

    let path = write(
        &dir,
        "[server]\ntrusted_proxies = [\"10.0.0.5\", \"haproxy.internal\"]\n",
    );
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("server.trusted_proxies"), "{err}");
    assert!(err.message.contains("haproxy.internal"), "{err}");

    // From the environment, as a TOML array.
    let env = vec![(
        "OMEGACHAT_SERVER__TRUSTED_PROXIES".to_owned(),
        r#"["127.0.0.1"]"#.to_owned(),
    )];
    let config = load(Some(&sample_path()), env).unwrap().config;
    assert_eq!(config.server.trusted_proxies, ["127.0.0.1"]);
}

#[test]
fn a_missing_explicit_file_is_an_error_naming_it() {
    let err = load(Some(Path::new("/nonexistent/omegachat.toml")), no_env()).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/omegachat.toml"),
        "{err}"
    );
}

#[test]
fn omegachat_config_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[log]\nformat = \"json\"\n");
    let env = vec![("OMEGACHAT_CONFIG".to_owned(), path.display().to_string())];
    let loaded = load(None, env).unwrap();
    assert_eq!(loaded.config.log.format, LogFormat::Json);
    assert_eq!(loaded.path, Some(path));
}

#[test]
fn environment_overrides_single_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "[server]\nlisten = \"127.0.0.1:9000\"\n");
    let env = vec![
        (
            "OMEGACHAT_SERVER__LISTEN".to_owned(),
            "0.0.0.0:7000".to_owned(),
        ),
        ("OMEGACHAT_AUTH__ISSUER".to_owned(), "123".to_owned()),
        (
            "OMEGACHAT_DATABASE__MAX_CONNECTIONS".to_owned(),
            "3".to_owned(),
        ),
        (
            "OMEGACHAT_DATABASE__URL".to_owned(),
            "postgres://u@localhost/chat".to_owned(),
        ),
        ("UNRELATED__VAR".to_owned(), "x".to_owned()),
    ];
    let config = load(Some(&path), env).unwrap().config;
    assert_eq!(config.server.listen.to_string(), "0.0.0.0:7000");
    assert_eq!(config.auth.issuer, "123");
    assert_eq!(config.database.max_connections, 3);
    assert_eq!(
        config.database.engine(),
        Ok(DatabaseEngine::Postgres(
            "postgres://u@localhost/chat".into()
        ))
    );
}

#[test]
fn a_bad_environment_override_names_the_variable() {
    let env = vec![(
        "OMEGACHAT_SERVER__MAX_BODY_BYTES".to_owned(),
        "lots".to_owned(),
    )];
    let err = load(Some(&sample_path()), env).unwrap_err();
    assert!(
        err.origin.contains("OMEGACHAT_SERVER__MAX_BODY_BYTES"),
        "{err}"
    );

    let env = vec![("OMEGACHAT_SERVER__NOPE".to_owned(), "1".to_owned())];
    let err = load(Some(&sample_path()), env).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn the_default_database_is_the_embedded_file_in_the_data_dir() {
    let config = Config::default();
    assert_eq!(
        config.database.engine(),
        Ok(DatabaseEngine::Sqlite(PathBuf::from("data/omegachat.db")))
    );
}

/// A config on PostgreSQL with `[messages]` lines added: the shape a scaled-out node is given.
fn scaled_out(
    dir: &tempfile::TempDir,
    messages: &str,
) -> Result<Config, omegachat_contract::ConfigError> {
    let text = format!("[database]\nurl = \"postgres://chat@db/chat\"\n\n[messages]\n{messages}\n");
    load(Some(&write(dir, &text)), no_env()).map(|loaded| loaded.config)
}

#[test]
fn messages_stay_in_the_main_database_unless_a_cluster_is_named() {
    assert_eq!(
        Config::default().messages.engine(),
        Ok(MessagesEngine::MainDatabase)
    );
    // The cluster-only keys are not checked without a cluster: the defaults name no datacenter.
    let dir = tempfile::tempdir().unwrap();
    let config = scaled_out(&dir, "bucket_days = 0").unwrap();
    assert_eq!(config.messages.engine(), Ok(MessagesEngine::MainDatabase));
}

#[test]
fn a_cluster_url_gives_contact_points_with_ports_and_the_keyspace() {
    let dir = tempfile::tempdir().unwrap();
    let config = scaled_out(
        &dir,
        "url = \"scylla://10.0.0.1:9142, db2,[fd00::7]:9043,[::1]/omegachat_eu\"\nlocal_datacenter = \"eu1\"",
    )
    .unwrap();
    let Ok(MessagesEngine::Scylla(target)) = config.messages.engine() else {
        panic!("a scylla:// url selects the cluster");
    };
    assert_eq!(
        target.nodes,
        ["10.0.0.1:9142", "db2:9042", "[fd00::7]:9043", "[::1]:9042"]
    );
    assert_eq!(target.keyspace, "omegachat_eu");
    assert_eq!(target.credentials, None);
    assert_eq!(config.messages.consistency, Consistency::LocalQuorum);
    assert_eq!(
        config.messages.serial_consistency,
        SerialConsistency::LocalSerial
    );
}

#[test]
fn cluster_credentials_are_percent_decoded_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let config = scaled_out(
        &dir,
        "url = \"cassandra://chat:p%40ss%3Aword@h1/omegachat\"\nlocal_datacenter = \"dc1\"",
    )
    .unwrap();
    let Ok(MessagesEngine::Scylla(target)) = config.messages.engine() else {
        panic!("a cassandra:// url selects the cluster");
    };
    assert_eq!(
        target.credentials,
        Some(("chat".to_owned(), "p@ss:word".to_owned()))
    );
    let printed = format!("{target:?}");
    assert!(!printed.contains("p@ss"), "{printed}");
    assert!(printed.contains("chat"), "{printed}");
}

#[test]
fn a_bad_cluster_url_names_the_key_and_says_how_to_write_it() {
    let dir = tempfile::tempdir().unwrap();
    for (url, expected) in [
        ("cql://h1/omegachat", "scylla://"),
        ("scylla://h1:9042", "names no keyspace"),
        ("scylla://h1:9042/", "keyspace \"\""),
        ("scylla://h1/OmegaChat", "lowercase"),
        ("scylla://h1/1chat", "starting with a letter"),
        ("scylla://h1/chat-eu", "lowercase letters, digits and _"),
        ("scylla://h1/system_auth", "belongs to the cluster"),
        ("scylla://h1,,h2/omegachat", "empty host"),
        ("scylla://h1:99999/omegachat", "1 to 65535"),
        ("scylla://h1:0/omegachat", "1 to 65535"),
        ("scylla://[::1/omegachat", "closing ]"),
        ("scylla://h1/omegachat?ssl=true", "no query"),
        ("scylla://:secret@h1/omegachat", "USER:PASSWORD@"),
    ] {
        let err = scaled_out(
            &dir,
            &format!("url = \"{url}\"\nlocal_datacenter = \"dc1\""),
        )
        .unwrap_err();
        assert_eq!(err.key.as_deref(), Some("messages.url"), "{url}: {err}");
        assert!(err.message.contains(expected), "{url}: {err}");
    }
    let long = "k".repeat(49);
    let err = scaled_out(
        &dir,
        &format!("url = \"scylla://h1/{long}\"\nlocal_datacenter = \"dc1\""),
    )
    .unwrap_err();
    assert!(err.message.contains("at most 48"), "{err}");
}

#[test]
fn a_cluster_needs_postgresql_for_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "[messages]\nurl = \"scylla://h1/omegachat\"\nlocal_datacenter = \"dc1\"\n",
    );
    let err = load(Some(&path), no_env()).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("messages.url"), "{err}");
    assert!(err.message.contains("database.url"), "{err}");
    assert!(err.message.contains("postgres://"), "{err}");
}

#[test]
fn replication_settings_are_checked_against_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = "url = \"scylla://h1/omegachat\"";
    for (lines, key, expected) in [
        ("", "messages.local_datacenter", "set local_datacenter"),
        (
            "datacenters = { dc1 = 3, dc2 = 3 }",
            "messages.local_datacenter",
            "LOCAL_QUORUM needs",
        ),
        (
            "datacenters = { dc1 = 3 }\nlocal_datacenter = \"dc9\"",
            "messages.local_datacenter",
            "not among",
        ),
        (
            "datacenters = { dc1 = 0 }\nlocal_datacenter = \"dc1\"",
            "messages.datacenters",
            "1 to 15",
        ),
        (
            "datacenters = { \"dc'1\" = 3 }\nlocal_datacenter = \"dc'1\"",
            "messages.local_datacenter",
            "without quotes",
        ),
        (
            "replication_class = \"SimpleStrategy\"\ndatacenters = { dc1 = 3 }",
            "messages.datacenters",
            "NetworkTopologyStrategy only",
        ),
        (
            "replication_class = \"SimpleStrategy\"\nreplication_factor = 0",
            "messages.replication_factor",
            "between 1 and 15",
        ),
        (
            "local_datacenter = \"dc1\"\nbucket_days = 0",
            "messages.bucket_days",
            "between 1 and 365",
        ),
        (
            "local_datacenter = \"dc1\"\nrequest_timeout_ms = 50",
            "messages.request_timeout_ms",
            "between 100",
        ),
        (
            "local_datacenter = \"dc1\"\nconnect_timeout_ms = 600001",
            "messages.connect_timeout_ms",
            "600000",
        ),
    ] {
        let err = scaled_out(&dir, &format!("{cluster}\n{lines}")).unwrap_err();
        assert_eq!(err.key.as_deref(), Some(key), "{lines}: {err}");
        assert!(err.message.contains(expected), "{lines}: {err}");
    }

    // What does work: one datacenter by name, several with their factors, or SimpleStrategy.
    for lines in [
        "local_datacenter = \"dc1\"",
        "datacenters = { dc1 = 3, dc2 = 2 }\nlocal_datacenter = \"dc2\"",
        "datacenters = { dc1 = 3, dc2 = 2 }\nconsistency = \"QUORUM\"",
        "replication_class = \"SimpleStrategy\"\nreplication_factor = 1",
    ] {
        scaled_out(&dir, &format!("{cluster}\n{lines}")).unwrap_or_else(|e| panic!("{lines}: {e}"));
    }
}

#[test]
fn consistency_levels_are_spelled_as_in_cql() {
    let dir = tempfile::tempdir().unwrap();
    let config = scaled_out(
        &dir,
        "url = \"scylla://h1/omegachat\"\nlocal_datacenter = \"dc1\"\nconsistency = \"LOCAL_ONE\"\nserial_consistency = \"SERIAL\"",
    )
    .unwrap();
    assert_eq!(config.messages.consistency, Consistency::LocalOne);
    assert_eq!(
        config.messages.serial_consistency,
        SerialConsistency::Serial
    );

    let err = scaled_out(&dir, "consistency = \"local_quorum\"").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("messages.consistency"), "{err}");
    let err = scaled_out(&dir, "consistency = \"ANY\"").unwrap_err();
    assert_eq!(err.key.as_deref(), Some("messages.consistency"), "{err}");
}

#[test]
fn the_cluster_can_be_named_from_the_environment() {
    let env = vec![
        (
            "OMEGACHAT_DATABASE__URL".to_owned(),
            "postgres://chat@db/chat".to_owned(),
        ),
        (
            "OMEGACHAT_MESSAGES__URL".to_owned(),
            "scylla://h1,h2/omegachat".to_owned(),
        ),
        (
            "OMEGACHAT_MESSAGES__DATACENTERS".to_owned(),
            "{ eu = 3, us = 3 }".to_owned(),
        ),
        (
            "OMEGACHAT_MESSAGES__LOCAL_DATACENTER".to_owned(),
            "eu".to_owned(),
        ),
    ];
    let config = load(Some(&sample_path()), env).unwrap().config;
    assert_eq!(config.messages.datacenters.get("us"), Some(&3));
    assert!(matches!(
        config.messages.engine(),
        Ok(MessagesEngine::Scylla(_))
    ));
}
