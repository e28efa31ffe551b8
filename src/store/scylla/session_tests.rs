//! `[messages]` → driver settings, read back from the builder without connecting.

use std::time::Duration;

use omegachat_contract::config::{
    Consistency as ConfiguredConsistency, MessagesConfig, MessagesEngine, ScyllaTarget,
    SerialConsistency as ConfiguredSerial,
};
use scylla::cluster::KnownNode;
use scylla::routing::NodeLocationPreference;
use scylla::statement::{Consistency, SerialConsistency};

use super::*;

fn configured(url: &str) -> (MessagesConfig, ScyllaTarget) {
    let config = MessagesConfig {
        url: url.into(),
        local_datacenter: "dc-east".into(),
        connect_timeout_ms: 1_500,
        request_timeout_ms: 2_500,
        ..MessagesConfig::default()
    };
    let Ok(MessagesEngine::Scylla(target)) = config.engine() else {
        panic!("{url} is a cluster URL");
    };
    (config, target)
}

#[test]
fn the_url_nodes_timeouts_and_credentials_reach_the_driver() {
    let (config, target) = configured("scylla://ops:s%40cret@10.0.0.1,10.0.0.2:9043/omegachat");
    let built = builder(&config, &target).config;
    assert_eq!(
        built.known_nodes,
        [
            KnownNode::Hostname("10.0.0.1:9042".into()),
            KnownNode::Hostname("10.0.0.2:9043".into())
        ]
    );
    assert_eq!(built.connect_timeout, Duration::from_millis(1_500));
    assert!(built.authenticator.is_some(), "password authentication");
    // The migrator waits for agreement itself, after each statement.
    assert!(!built.schema_agreement_automatic_waiting);
    // No keyspace is USEd: the migrator connects before it exists.
    assert_eq!(built.used_keyspace, None);

    let (config, target) = configured("scylla://10.0.0.1/omegachat");
    assert!(builder(&config, &target).config.authenticator.is_none());
}

#[test]
fn every_statement_runs_at_the_configured_consistency_with_the_request_timeout() {
    let (config, target) = configured("scylla://10.0.0.1/omegachat");
    let profile = builder(&config, &target)
        .config
        .default_execution_profile_handle
        .to_profile();
    assert_eq!(profile.get_consistency(), Consistency::LocalQuorum);
    assert_eq!(
        profile.get_serial_consistency(),
        Some(SerialConsistency::LocalSerial)
    );
    assert_eq!(
        profile.get_request_timeout(),
        Some(Duration::from_millis(2_500))
    );

    let global = MessagesConfig {
        consistency: ConfiguredConsistency::Quorum,
        serial_consistency: ConfiguredSerial::Serial,
        ..config
    };
    let profile = builder(&global, &target)
        .config
        .default_execution_profile_handle
        .to_profile();
    assert_eq!(profile.get_consistency(), Consistency::Quorum);
    assert_eq!(
        profile.get_serial_consistency(),
        Some(SerialConsistency::Serial)
    );
}

#[test]
fn requests_are_token_aware_and_stay_in_the_local_datacenter() {
    let (config, target) = configured("scylla://10.0.0.1/omegachat");
    let built = builder(&config, &target).config;
    assert!(matches!(
        &built.node_location_preference,
        NodeLocationPreference::Datacenter(dc) if dc == "dc-east"
    ));
    let policy = format!(
        "{:?}",
        built
            .default_execution_profile_handle
            .to_profile()
            .get_load_balancing_policy()
    );
    assert!(policy.contains("is_token_aware: true"), "{policy}");
    assert!(policy.contains("permit_dc_failover: false"), "{policy}");
    assert!(policy.contains("dc-east"), "{policy}");

    let anywhere = MessagesConfig {
        local_datacenter: String::new(),
        ..config
    };
    let built = builder(&anywhere, &target).config;
    assert!(matches!(
        built.node_location_preference,
        NodeLocationPreference::Any
    ));
}

#[test]
fn every_configured_level_has_its_driver_level() {
    let levels = [
        (ConfiguredConsistency::One, Consistency::One),
        (ConfiguredConsistency::Two, Consistency::Two),
        (ConfiguredConsistency::Three, Consistency::Three),
        (ConfiguredConsistency::Quorum, Consistency::Quorum),
        (ConfiguredConsistency::All, Consistency::All),
        (ConfiguredConsistency::LocalOne, Consistency::LocalOne),
        (ConfiguredConsistency::LocalQuorum, Consistency::LocalQuorum),
    ];
    for (configured, driver) in levels {
        assert_eq!(consistency(configured), driver);
    }
}

#[test]
fn a_store_error_names_the_cluster() {
    let err: StoreError = ScyllaError::request("reading history", "timed out").into();
    assert_eq!(
        err.to_string(),
        "messages cluster error: messages cluster: reading history: timed out"
    );
    assert_eq!(nodes_summary(2, 3), "2/3 nodes connected");
}
