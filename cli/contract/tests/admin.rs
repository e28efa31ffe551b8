//! The admin protocol's requests: what omegactl writes, the daemon reads back unchanged; every
//! route is distinct and listed in the module documentation; enums are named on the wire as
//! their `as_str` says.

use std::fmt::Debug;

use omegachat_contract::admin::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Sends `request` through what omegactl writes (path, query, JSON body) and what the daemon reads
/// (route parameters, body), and requires the same request back.
fn round_trip<R>(request: R) -> (Method, &'static str)
where
    R: AdminRequest + Debug + PartialEq,
{
    let path = request.path();
    let (path_only, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path.as_str(), None),
    };
    let params = RouteParams::parse(R::ROUTE, path_only, query)
        .unwrap_or_else(|e| panic!("{path} read back as {}: {e}", R::ROUTE));
    let body = request.body().map(|body| {
        let json = serde_json::to_vec(body).unwrap();
        serde_json::from_slice::<R::Body>(&json).unwrap()
    });
    let back = R::from_parts(&params, body).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(back, request, "{path}");
    (R::METHOD, R::ROUTE)
}

/// Awkward names: a slash, a query separator, spaces, a plus and non-ASCII text.
const ODD: &str = "a/b?c&d=e f+g é";

/// One of each request, with values that are awkward to carry.
fn every_request() -> Vec<(Method, &'static str)> {
    vec![
        round_trip(GetHealth),
        round_trip(GetStatus),
        round_trip(ListMigrations),
        round_trip(ApplyMigrations),
        round_trip(ListUsers {
            prefix: Some(ODD.into()),
            limit: Some(20),
            cursor: Some("opaque cursor/1".into()),
            disabled: true,
        }),
        round_trip(CreateUser {
            username: "alice".into(),
            email: "alice@example.org".into(),
            password: "secret".into(),
            display_name: None,
        }),
        round_trip(GetUser { user: ODD.into() }),
        round_trip(DisableUser { user: ODD.into() }),
        round_trip(EnableUser { user: "42".into() }),
        round_trip(LogoutUser { user: ODD.into() }),
        round_trip(SetPassword {
            user: ODD.into(),
            body: NewPassword {
                password: "new".into(),
            },
        }),
        round_trip(DeleteUser { user: ODD.into() }),
        round_trip(ListGroups {
            prefix: Some(ODD.into()),
            limit: None,
            cursor: Some("7".into()),
        }),
        round_trip(CreateGroup {
            name: "Team".into(),
            description: Some("the team".into()),
            owner: "alice".into(),
            members: vec!["bob".into()],
        }),
        round_trip(GetGroup { group: 7 }),
        round_trip(AddMember {
            group: 7,
            body: NewMember {
                user: ODD.into(),
                role: Some(GroupRole::Admin),
            },
        }),
        round_trip(RemoveMember {
            group: 7,
            user: ODD.into(),
        }),
        round_trip(SetRole {
            group: 7,
            user: ODD.into(),
            body: NewRole {
                role: GroupRole::Owner,
            },
        }),
        round_trip(DeleteGroup { group: 7 }),
        round_trip(ListKeys),
        round_trip(RotateKeys { retire_old: true }),
        round_trip(RetireKey { kid: ODD.into() }),
        round_trip(ReadAudit { limit: Some(5) }),
        round_trip(WriteBackup {
            path: "/var/backups/omegachat.db".into(),
        }),
    ]
}

#[test]
fn every_request_reads_back_as_it_was_written() {
    every_request();
    // Absent optional parameters stay absent.
    round_trip(ListUsers::default());
    round_trip(ListGroups::default());
    round_trip(ReadAudit::default());
}

#[test]
fn no_two_requests_share_a_method_and_route() {
    let routes = every_request();
    let mut seen = std::collections::HashSet::new();
    for (method, route) in routes {
        assert!(route.starts_with("/v1/"), "{route}");
        assert!(
            seen.insert((method, route)),
            "{} {route} twice",
            method.as_str()
        );
    }
}

#[test]
fn the_module_documentation_lists_every_route() {
    let doc = include_str!("../src/admin.rs");
    for (method, route) in every_request() {
        let row = format!("`{} {route}", method.as_str());
        assert!(
            doc.contains(&row),
            "{row} missing from the table in admin.rs"
        );
    }
}

#[test]
fn a_request_without_its_body_is_refused() {
    let params = RouteParams::parse(SetPassword::ROUTE, "/v1/users/alice/password", None).unwrap();
    assert_eq!(
        SetPassword::from_parts(&params, None),
        Err(RequestError::MissingBody)
    );
}

#[test]
fn a_group_id_is_a_number() {
    let params = RouteParams::parse(GetGroup::ROUTE, "/v1/groups/team", None).unwrap();
    let err = GetGroup::from_parts(&params, None).unwrap_err();
    assert!(
        matches!(err, RequestError::InvalidSegment { name: "group", .. }),
        "{err:?}"
    );
}

fn wire_name<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn same_name<T: Serialize + DeserializeOwned + PartialEq + Debug + Copy>(value: T, name: &str) {
    assert_eq!(wire_name(value), name);
    assert_eq!(
        serde_json::from_value::<T>(serde_json::Value::from(name)).unwrap(),
        value
    );
}

#[test]
fn enums_are_named_on_the_wire_as_as_str_says() {
    for role in [GroupRole::Member, GroupRole::Admin, GroupRole::Owner] {
        same_name(role, role.as_str());
    }
    for state in [KeyState::Active, KeyState::VerifyOnly, KeyState::Retired] {
        same_name(state, state.as_str());
    }
    for state in [
        AccountState::Active,
        AccountState::Disabled,
        AccountState::Deleted,
    ] {
        same_name(state, state.as_str());
    }
    for status in [
        HealthStatus::Healthy,
        HealthStatus::Degraded,
        HealthStatus::Down,
    ] {
        same_name(status, status.as_str());
    }
}

#[test]
fn ids_in_answers_are_integers() {
    let group: AdminGroup = serde_json::from_str(
        r#"{"id":7,"name":"Team","description":null,"conversation_id":"c","created_at":"t",
            "members":[{"user_id":1,"username":"alice","role":"owner"}]}"#,
    )
    .unwrap();
    assert_eq!(group.id, 7);
    assert_eq!(group.members[0].user_id, 1);
    assert_eq!(group.members[0].role, GroupRole::Owner);
}
