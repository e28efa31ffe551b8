//! Token-signing keys: `KeyStore` (first key, listing, rotation, retirement). Exactly one key is
//! active at any time.

use omegachatd::domain::{SigningKey, SigningKeyState};
use omegachatd::service::tokens::generate_key;
use omegachatd::store::{KeyStore, StoreError};

use super::sorted;

pub async fn suite(keys: &dyn KeyStore) {
    // Runs first: it needs a store that has never held a key.
    nodes_racing_at_first_start_store_exactly_one_key(keys).await;
    a_rotation_keeps_old_keys_verifying_until_retired(keys).await;
}

/// (kid, state), newest first, as `list` promises.
async fn states(keys: &dyn KeyStore) -> Vec<(String, SigningKeyState)> {
    let listed = keys.list().await.unwrap();
    let active = listed
        .iter()
        .filter(|k| k.state == SigningKeyState::Active)
        .count();
    assert_eq!(active, 1, "exactly one active key in {listed:?}");
    listed.into_iter().map(|k| (k.kid, k.state)).collect()
}

async fn nodes_racing_at_first_start_store_exactly_one_key(keys: &dyn KeyStore) {
    assert!(
        keys.list().await.unwrap().is_empty(),
        "a fresh store holds no key"
    );
    let (one, two) = (generate_key(), generate_key());
    let (stored_one, stored_two) = tokio::join!(
        keys.insert_if_no_active(&one),
        keys.insert_if_no_active(&two)
    );
    let (stored_one, stored_two) = (stored_one.unwrap(), stored_two.unwrap());
    assert!(
        stored_one ^ stored_two,
        "exactly one wins: {stored_one} {stored_two}"
    );

    let winner: &SigningKey = if stored_one { &one } else { &two };
    let listed = keys.list().await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].kid, winner.kid);
    assert_eq!(
        listed[0].secret, winner.secret,
        "the secret is kept byte for byte"
    );
    assert_eq!(listed[0].state, SigningKeyState::Active);

    let late = generate_key();
    assert!(!keys.insert_if_no_active(&late).await.unwrap());
    assert_eq!(
        keys.list().await.unwrap().len(),
        1,
        "a refused key is not stored"
    );
}

async fn a_rotation_keeps_old_keys_verifying_until_retired(keys: &dyn KeyStore) {
    let first = keys.list().await.unwrap().remove(0).kid;

    let second = generate_key();
    let retired = keys.rotate_keys(&second, false).await.unwrap();
    assert!(retired.is_empty(), "{retired:?}");
    assert_eq!(
        states(keys).await,
        [
            (second.kid.clone(), SigningKeyState::Active),
            (first.clone(), SigningKeyState::VerifyOnly),
        ]
    );

    keys.retire_key(&first).await.unwrap();
    let again = keys.retire_key(&first).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
    let unknown = keys.retire_key("no-such-kid").await;
    assert!(matches!(unknown, Err(StoreError::NotFound)), "{unknown:?}");
    // Only a verify-only key can be retired; the signing key must be rotated away first.
    let active = keys.retire_key(&second.kid).await;
    assert!(active.is_err(), "{active:?}");

    let third = generate_key();
    keys.rotate_keys(&third, false).await.unwrap();
    assert!(
        !keys.insert_if_no_active(&generate_key()).await.unwrap(),
        "a rotated-in key is the active one"
    );
    let fourth = generate_key();
    let retired = keys.rotate_keys(&fourth, true).await.unwrap();
    assert_eq!(
        sorted(retired),
        sorted(vec![second.kid.clone(), third.kid.clone()]),
        "the active and every verify-only key"
    );
    assert_eq!(
        states(keys).await,
        [
            (fourth.kid.clone(), SigningKeyState::Active),
            (third.kid.clone(), SigningKeyState::Retired),
            (second.kid.clone(), SigningKeyState::Retired),
            (first, SigningKeyState::Retired),
        ]
    );
}
