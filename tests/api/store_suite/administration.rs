//! What administrators read and change: `AuditStore` (the trail), `GrantStore` (sessions per
//! signing key), `AccountAdminStore` (listing, revoking, deleting accounts) and
//! `GroupStore::list_all`.

use chrono::{Duration, Utc};
use omegachatd::domain::{FriendshipStatus, UserId};
use omegachatd::service::tokens::generate_key;
use omegachatd::store::accounts::{AccountAdminStore, AccountFilter, Tombstone};
use omegachatd::store::audit::{AuditRecord, AuditStore};
use omegachatd::store::chat::{FriendshipStore, GroupStore, NewGroup};
use omegachatd::store::{GrantStore, KeyStore, StoreError, UserStore};

use super::{person, truncate};

/// The stores these stories use.
pub struct Administration<'a> {
    pub users: &'a dyn UserStore,
    pub keys: &'a dyn KeyStore,
    pub grants: &'a dyn GrantStore,
    pub audit: &'a dyn AuditStore,
    pub accounts: &'a dyn AccountAdminStore,
    pub friendships: &'a dyn FriendshipStore,
    pub groups: &'a dyn GroupStore,
}

pub async fn suite(s: Administration<'_>) {
    the_audit_trail_reads_back_newest_first(s.audit).await;
    live_sessions_count_unexpired_grants_per_key(&s).await;
    accounts_are_listed_by_username_with_filters(&s).await;
    revoking_tokens_bumps_the_version_and_forgets_grants(&s).await;
    a_deleted_account_keeps_its_row_but_nothing_that_identifies_anyone(&s).await;
    every_group_is_listed_by_id_with_a_name_prefix(&s).await;
}

async fn the_audit_trail_reads_back_newest_first(audit: &dyn AuditStore) {
    let at = truncate(Utc::now());
    let record = |action: &str, username: Option<&str>| AuditRecord {
        at,
        uid: 1000,
        username: username.map(str::to_owned),
        action: action.to_owned(),
        status: 200,
        outcome: "ok".into(),
    };
    let (first, second, third) = (
        record("user.create", Some("alice")),
        record("user.disable", None),
        record("keys.rotate", Some("root")),
    );
    for r in [&first, &second, &third] {
        audit.record_audit(r).await.unwrap();
    }
    let mut read = audit.recent_audit(2).await.unwrap();
    for r in &mut read {
        r.at = truncate(r.at);
    }
    assert_eq!(read, vec![third, second], "the newest two, newest first");
}

async fn live_sessions_count_unexpired_grants_per_key(s: &Administration<'_>) {
    let holder = person(s.users, "granted").await.id;
    let (first, second) = (generate_key(), generate_key());
    assert!(s.keys.insert_if_no_active(&first).await.unwrap());
    s.keys.rotate_keys(&second, false).await.unwrap();
    let now = Utc::now();
    let later = now + Duration::hours(1);
    for (jti, kid) in [("g1", &first.kid), ("g2", &first.kid), ("g3", &second.kid)] {
        s.grants
            .record_grant(jti, kid, holder, later)
            .await
            .unwrap();
    }
    let counts = |mut v: Vec<(String, u64)>| {
        v.sort();
        v
    };
    let mut expected = vec![(first.kid.clone(), 2), (second.kid.clone(), 1)];
    expected.sort();
    assert_eq!(counts(s.grants.live_sessions(now).await.unwrap()), expected);
    assert!(
        s.grants
            .live_sessions(later + Duration::seconds(1))
            .await
            .unwrap()
            .is_empty(),
        "a grant past its expiry is no live session"
    );
}

async fn accounts_are_listed_by_username_with_filters(s: &Administration<'_>) {
    for name in ["list_a", "list_b", "list_c", "list_d"] {
        person(s.users, name).await;
    }
    let b = s.users.find_by_login("list_b").await.unwrap().unwrap();
    s.users.set_disabled(b.id, true).await.unwrap();
    let d = s.users.find_by_login("list_d").await.unwrap().unwrap();
    s.accounts
        .delete_account(d.id, &Tombstone::for_user(d.id))
        .await
        .unwrap();

    let names = |page: &omegachatd::store::Page<omegachatd::domain::User>| {
        page.items
            .iter()
            .map(|u| u.username.clone())
            .collect::<Vec<_>>()
    };
    let prefix = AccountFilter {
        prefix: Some("LIST_".into()),
        disabled_only: false,
    };
    let first = s.accounts.list_accounts(&prefix, 2, None).await.unwrap();
    assert_eq!(names(&first), ["list_a", "list_b"], "disabled ones too");
    let cursor = first.next_cursor.as_deref();
    assert_eq!(cursor, Some("list_b"));
    let rest = s.accounts.list_accounts(&prefix, 2, cursor).await.unwrap();
    assert_eq!(names(&rest), ["list_c"], "deleted accounts are not listed");
    assert_eq!(rest.next_cursor, None);

    let disabled = AccountFilter {
        prefix: None,
        disabled_only: true,
    };
    let page = s.accounts.list_accounts(&disabled, 50, None).await.unwrap();
    assert_eq!(names(&page), ["list_b"]);
}

async fn revoking_tokens_bumps_the_version_and_forgets_grants(s: &Administration<'_>) {
    let user = person(s.users, "revoked").await;
    let kid = s.keys.list().await.unwrap().remove(0).kid;
    let now = Utc::now();
    let later = now + Duration::hours(1);
    let before = sessions_of(s, &kid, now).await;
    s.grants
        .record_grant("revoked-1", &kid, user.id, later)
        .await
        .unwrap();
    assert_eq!(sessions_of(s, &kid, now).await, before + 1);

    let revoked = s.accounts.revoke_tokens(user.id).await.unwrap();
    assert_eq!(revoked.token_version, user.token_version + 1);
    assert_eq!(sessions_of(s, &kid, now).await, before);
    let unknown = s.accounts.revoke_tokens(UserId(i64::MAX)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
}

async fn a_deleted_account_keeps_its_row_but_nothing_that_identifies_anyone(
    s: &Administration<'_>,
) {
    let gone = person(s.users, "leaving").await;
    let friend = person(s.users, "stayer").await.id;
    s.friendships
        .put(gone.id, friend, FriendshipStatus::Accepted)
        .await
        .unwrap();

    let tombstone = Tombstone::for_user(gone.id);
    let deleted = s
        .accounts
        .delete_account(gone.id, &tombstone)
        .await
        .unwrap();
    assert_eq!(
        (deleted.username.as_str(), deleted.email.as_str()),
        (tombstone.username.as_str(), tombstone.email.as_str())
    );
    assert_eq!(deleted.password_hash, "!", "no password matches");
    assert!(deleted.disabled_at.is_some());
    assert_eq!(deleted.token_version, gone.token_version + 1);
    assert_eq!(
        s.users.find_by_id(gone.id).await.unwrap().map(|u| u.id),
        Some(gone.id),
        "the row stays so messages keep a sender"
    );
    assert!(s.friendships.list_for(friend).await.unwrap().is_empty());
    let unknown = s
        .accounts
        .delete_account(UserId(i64::MAX), &Tombstone::for_user(UserId(i64::MAX)))
        .await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
}

async fn every_group_is_listed_by_id_with_a_name_prefix(s: &Administration<'_>) {
    let owner = person(s.users, "groupowner").await.id;
    let mut ids = Vec::new();
    for name in ["Hikers", "hill walkers", "Painters"] {
        let group = NewGroup {
            name: name.into(),
            description: None,
            avatar_url: None,
        };
        ids.push(s.groups.create(group, owner, &[]).await.unwrap().id);
    }
    let (all, next) = s.groups.list_all(None, 50, None).await.unwrap();
    assert_eq!(all.iter().map(|g| g.id).collect::<Vec<_>>(), ids);
    assert_eq!(next, None);

    let (first, next) = s.groups.list_all(Some("H"), 1, None).await.unwrap();
    assert_eq!(first.iter().map(|g| g.id).collect::<Vec<_>>(), [ids[0]]);
    assert_eq!(next, Some(ids[0]), "the cursor is the last id");
    let (rest, next) = s.groups.list_all(Some("h"), 5, next).await.unwrap();
    assert_eq!(rest.iter().map(|g| g.id).collect::<Vec<_>>(), [ids[1]]);
    assert_eq!(next, None);
    let (none, _) = s.groups.list_all(Some("h_"), 5, None).await.unwrap();
    assert!(none.is_empty(), "`_` is no wildcard");
}

async fn sessions_of(s: &Administration<'_>, kid: &str, now: chrono::DateTime<Utc>) -> u64 {
    let live = s.grants.live_sessions(now).await.unwrap();
    live.into_iter()
        .find(|(k, _)| k == kid)
        .map_or(0, |(_, n)| n)
}
