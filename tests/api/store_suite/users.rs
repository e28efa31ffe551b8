//! `UserStore`: accounts, their unique fields, search, and the columns that revoke tokens.

use chrono::Utc;
use omegachatd::domain::{NewUser, ProfileUpdate, User, UserId};
use omegachatd::store::{StoreError, UserStore};

use super::person;

pub async fn suite(users: &dyn UserStore) {
    an_account_is_found_by_id_by_login_and_in_batches(users).await;
    usernames_emails_and_phone_numbers_are_each_unique(users).await;
    search_pages_through_enabled_accounts_by_prefix(users).await;
    a_search_prefix_is_taken_literally(users).await;
    a_profile_update_writes_every_editable_column(users).await;
    a_new_password_revokes_tokens_only_when_asked(users).await;
    a_disabled_account_is_found_but_never_searched(users).await;
    changing_an_account_that_does_not_exist_is_not_found(users).await;
}

fn registration(username: &str, email: &str) -> NewUser {
    NewUser {
        username: username.to_owned(),
        email: email.to_owned(),
        password_hash: "$argon2id$v=19$stub".into(),
        phone_number: None,
        display_name: None,
    }
}

async fn named(users: &dyn UserStore, username: &str, display_name: &str) -> User {
    users
        .create(NewUser {
            display_name: Some(display_name.to_owned()),
            ..registration(username, &format!("{username}@example.org"))
        })
        .await
        .unwrap_or_else(|e| panic!("creating {username}: {e}"))
}

fn usernames(users: &[User]) -> Vec<&str> {
    users.iter().map(|u| u.username.as_str()).collect()
}

async fn an_account_is_found_by_id_by_login_and_in_batches(users: &dyn UserStore) {
    let fia = users
        .create(NewUser {
            phone_number: Some("+46700000001".into()),
            display_name: Some("Fia".into()),
            ..registration("fia", "Fia.Berg@Example.org")
        })
        .await
        .unwrap();
    assert_eq!(fia.username, "fia");
    assert_eq!(
        fia.email, "Fia.Berg@Example.org",
        "the e-mail is kept as typed"
    );
    assert_eq!(fia.password_hash, "$argon2id$v=19$stub");
    assert_eq!(fia.phone_number.as_deref(), Some("+46700000001"));
    assert_eq!(fia.display_name.as_deref(), Some("Fia"));
    assert_eq!(
        (fia.status.clone(), fia.profile_picture_url.clone()),
        (None, None)
    );
    assert_eq!((fia.last_seen, fia.disabled_at), (None, None));
    assert_eq!(fia.token_version, 0);

    assert_eq!(users.find_by_id(fia.id).await.unwrap(), Some(fia.clone()));
    assert_eq!(
        users.find_by_id(UserId(fia.id.0 + 1_000)).await.unwrap(),
        None
    );
    for login in ["fia", "FIA", "fia.berg@example.org", "FIA.BERG@EXAMPLE.ORG"] {
        let found = users.find_by_login(login).await.unwrap();
        assert_eq!(found.as_ref().map(|u| u.id), Some(fia.id), "login {login}");
    }
    assert_eq!(users.find_by_login("fia.berg").await.unwrap(), None);

    let gus = person(users, "gus").await;
    let missing = UserId(gus.id.0 + 1_000);
    let batch = users
        .find_many(&[gus.id, missing, fia.id, gus.id])
        .await
        .unwrap();
    assert_eq!(
        batch,
        vec![fia.clone(), gus.clone()],
        "existing accounts, once each, in id order"
    );
    assert!(users.find_many(&[]).await.unwrap().is_empty());

    let before = Utc::now();
    users.touch_last_seen(gus.id).await.unwrap();
    let seen = users.find_by_id(gus.id).await.unwrap().unwrap().last_seen;
    let seen = seen.expect("a sign-in time is recorded");
    // Engines keep microseconds or less: allow the cut.
    assert!(seen >= before - chrono::Duration::milliseconds(1) && seen <= Utc::now());
}

async fn usernames_emails_and_phone_numbers_are_each_unique(users: &dyn UserStore) {
    let hal = users
        .create(NewUser {
            phone_number: Some("+46700000002".into()),
            ..registration("hal", "hal@example.org")
        })
        .await
        .unwrap();

    let taken = users
        .create(registration("hal", "other-hal@example.org"))
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { field: "username" })),
        "{taken:?}"
    );
    let taken = users.create(registration("hal2", "HAL@Example.ORG")).await;
    assert!(
        matches!(taken, Err(StoreError::Conflict { field: "email" })),
        "e-mails are unique case-insensitively: {taken:?}"
    );
    let taken = users
        .create(NewUser {
            phone_number: Some("+46700000002".into()),
            ..registration("hal3", "hal3@example.org")
        })
        .await;
    assert!(
        matches!(
            taken,
            Err(StoreError::Conflict {
                field: "phone_number"
            })
        ),
        "{taken:?}"
    );
    for refused in ["hal2", "hal3"] {
        assert_eq!(users.find_by_login(refused).await.unwrap(), None);
    }

    // Absent phone numbers collide with nothing.
    let ida = person(users, "ida").await;
    let jon = person(users, "jon").await;
    assert_eq!((ida.phone_number, jon.phone_number.clone()), (None, None));

    let mut profile = ProfileUpdate::from_user(&jon);
    profile.phone_number = hal.phone_number.clone();
    let taken = users.update_profile(jon.id, &profile).await;
    assert!(
        matches!(
            taken,
            Err(StoreError::Conflict {
                field: "phone_number"
            })
        ),
        "{taken:?}"
    );
    assert_eq!(users.find_by_id(jon.id).await.unwrap(), Some(jon));
}

async fn search_pages_through_enabled_accounts_by_prefix(users: &dyn UserStore) {
    for name in ["kxc", "kxa", "kxe", "kxb", "kxd"] {
        person(users, name).await;
    }
    named(users, "zed1", "Kxylo").await;
    named(users, "lkx", "Lkx").await;
    let hidden = person(users, "kxf").await;
    users.set_disabled(hidden.id, true).await.unwrap();

    let all = users.search("kx", 10, None).await.unwrap();
    assert_eq!(
        usernames(&all.items),
        ["kxa", "kxb", "kxc", "kxd", "kxe", "zed1"],
        "by username or display name, ordered by username"
    );
    assert_eq!(all.next_cursor, None);

    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = users.search("KX", 2, cursor.as_deref()).await.unwrap();
        assert!(page.items.len() <= 2, "a page holds at most the limit");
        assert!(pages.len() < 3, "paging does not end: {pages:?}");
        pages.push(usernames(&page.items).join(","));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        pages,
        ["kxa,kxb", "kxc,kxd", "kxe,zed1"],
        "a full last page says there is no next one"
    );

    let after = users.search("kx", 10, Some("kxb")).await.unwrap();
    assert_eq!(usernames(&after.items), ["kxc", "kxd", "kxe", "zed1"]);
    let by_display = users.search("kXy", 10, None).await.unwrap();
    assert_eq!(usernames(&by_display.items), ["zed1"]);
    assert!(
        users
            .search("nomatch", 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn a_search_prefix_is_taken_literally(users: &dyn UserStore) {
    person(users, "m_n1").await;
    person(users, "mxn2").await;
    named(users, "pct1", "100% Mo").await;

    let underscore = users.search("m_", 10, None).await.unwrap();
    assert_eq!(usernames(&underscore.items), ["m_n1"], "`_` is no wildcard");
    let percent = users.search("100%", 10, None).await.unwrap();
    assert_eq!(usernames(&percent.items), ["pct1"]);
    let wildcard = users.search("1%", 10, None).await.unwrap();
    assert!(wildcard.items.is_empty(), "`%` is no wildcard");
    let backslash = users.search("m\\", 10, None).await.unwrap();
    assert!(backslash.items.is_empty(), "`\\` is no escape");
}

async fn a_profile_update_writes_every_editable_column(users: &dyn UserStore) {
    let nia = person(users, "nia").await;
    let full = ProfileUpdate {
        display_name: Some("Nia N".into()),
        status: Some("climbing".into()),
        profile_picture_url: Some("https://example.org/nia.png".into()),
        phone_number: Some("+46700000003".into()),
    };
    let updated = users.update_profile(nia.id, &full).await.unwrap();
    assert_eq!(ProfileUpdate::from_user(&updated), full);
    assert_eq!(
        (&updated.username, &updated.email),
        (&nia.username, &nia.email)
    );
    assert!(updated.updated_at > nia.updated_at, "updated_at moves");
    assert_eq!(users.find_by_id(nia.id).await.unwrap(), Some(updated));

    let empty = ProfileUpdate {
        display_name: None,
        status: None,
        profile_picture_url: None,
        phone_number: None,
    };
    let cleared = users.update_profile(nia.id, &empty).await.unwrap();
    assert_eq!(
        ProfileUpdate::from_user(&cleared),
        empty,
        "absent means cleared"
    );
}

async fn a_new_password_revokes_tokens_only_when_asked(users: &dyn UserStore) {
    let oli = person(users, "oli").await;
    let kept = users
        .set_password_hash(oli.id, "hash-2", false)
        .await
        .unwrap();
    assert_eq!(kept.password_hash, "hash-2");
    assert_eq!(kept.token_version, oli.token_version, "tokens keep working");

    let revoked = users
        .set_password_hash(oli.id, "hash-3", true)
        .await
        .unwrap();
    assert_eq!(revoked.password_hash, "hash-3");
    assert_eq!(revoked.token_version, oli.token_version + 1);
    let again = users
        .set_password_hash(oli.id, "hash-4", true)
        .await
        .unwrap();
    assert_eq!(again.token_version, oli.token_version + 2);
    assert_eq!(users.find_by_id(oli.id).await.unwrap(), Some(again));
}

async fn a_disabled_account_is_found_but_never_searched(users: &dyn UserStore) {
    let pam = person(users, "pamx").await;
    let disabled = users.set_disabled(pam.id, true).await.unwrap();
    assert!(disabled.disabled_at.is_some());
    assert_eq!(
        disabled.token_version,
        pam.token_version + 1,
        "disabling revokes every token"
    );
    let by_id = users.find_by_id(pam.id).await.unwrap();
    assert_eq!(by_id.as_ref(), Some(&disabled));
    let by_login = users.find_by_login("pamx@example.org").await.unwrap();
    assert_eq!(by_login.map(|u| u.id), Some(pam.id));
    assert_eq!(
        users.find_many(&[pam.id]).await.unwrap(),
        vec![disabled.clone()]
    );
    assert!(
        users
            .search("pamx", 10, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let enabled = users.set_disabled(pam.id, false).await.unwrap();
    assert_eq!(enabled.disabled_at, None);
    assert!(
        enabled.token_version >= disabled.token_version,
        "re-enabling never revives revoked tokens"
    );
    let found = users.search("pamx", 10, None).await.unwrap();
    assert_eq!(usernames(&found.items), ["pamx"]);
}

async fn changing_an_account_that_does_not_exist_is_not_found(users: &dyn UserStore) {
    let ghost = UserId(9_999_999);
    let profile = ProfileUpdate {
        display_name: Some("Ghost".into()),
        status: None,
        profile_picture_url: None,
        phone_number: None,
    };
    let updated = users.update_profile(ghost, &profile).await;
    assert!(matches!(updated, Err(StoreError::NotFound)), "{updated:?}");
    let password = users.set_password_hash(ghost, "h", true).await;
    assert!(
        matches!(password, Err(StoreError::NotFound)),
        "{password:?}"
    );
    let disabled = users.set_disabled(ghost, true).await;
    assert!(
        matches!(disabled, Err(StoreError::NotFound)),
        "{disabled:?}"
    );
}

/// "Case-insensitive" in the trait's words, for the letters people's names and addresses hold.
/// Every check runs before the verdict, so a failure lists all that differ.
pub async fn case_is_folded_beyond_ascii(users: &dyn UserStore) {
    let ela = users
        .create(NewUser {
            display_name: Some("Élodie".into()),
            ..registration("ela", "Zoë@example.org")
        })
        .await
        .unwrap();
    let mut wrong = Vec::new();
    for prefix in ["Élo", "élo", "ÉLO"] {
        let found = users.search(prefix, 10, None).await.unwrap();
        if usernames(&found.items) != ["ela"] {
            wrong.push(format!(
                "search {prefix:?} found {:?}",
                usernames(&found.items)
            ));
        }
    }
    for login in ["zoë@example.org", "ZOË@EXAMPLE.ORG"] {
        let found = users.find_by_login(login).await.unwrap();
        if found.map(|u| u.id) != Some(ela.id) {
            wrong.push(format!("login {login:?} found nobody"));
        }
    }
    for (username, email) in [("zoe2", "zoë@example.org"), ("zoe3", "ZOË@example.org")] {
        let taken = users.create(registration(username, email)).await;
        if !matches!(taken, Err(StoreError::Conflict { field: "email" })) {
            wrong.push(format!("a second account with {email:?}: {taken:?}"));
        }
    }
    assert!(wrong.is_empty(), "not case-insensitive: {wrong:#?}");
}
