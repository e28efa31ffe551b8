//! Access tokens: HS256 JWTs whose header `kid` names the signing key.
//!
//! Several keys live at once (see [`SigningKeyState`]): new tokens are signed with the one active
//! key, and any key not retired verifies. Keys are in the database so every node shares them;
//! each node caches them and reloads when it meets an unknown `kid` or its copy is stale, so a key
//! rotated or retired on one node takes effect on the others within `KEY_CACHE_MAX_AGE`.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use omegachat_contract::config::AuthConfig;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use tokio::time::Instant;

use super::{ServiceError, TokenRejection};
use crate::domain::{SigningKey, SigningKeyState, User, UserId};
use crate::store::{GrantStore, KeyStore};

/// The only algorithm accepted: a token naming any other (`none`, RS256 with an HMAC key…) fails.
const ALGORITHM: Algorithm = Algorithm::HS256;
const KEY_CACHE_MAX_AGE: Duration = Duration::from_secs(30);
/// A flood of made-up `kid`s must not become a flood of database reads.
const MIN_RELOAD_INTERVAL: Duration = Duration::from_secs(2);
const CLOCK_LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    /// The account's `token_version` at issue time.
    ver: i64,
    jti: String,
}

/// A freshly signed token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in_secs: u64,
}

/// What a valid signature vouches for; the account itself is checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: UserId,
    pub token_version: i64,
    /// The key that signed it: retiring that key ends this session.
    pub kid: String,
}

struct KeyCache {
    keys: Vec<SigningKey>,
    loaded_at: Instant,
}

/// Signs and verifies access tokens.
pub struct Tokens {
    store: Arc<dyn KeyStore>,
    /// Where each issued token is remembered, so retiring a key can say whom it logs out.
    grants: Arc<dyn GrantStore>,
    cache: RwLock<KeyCache>,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl Tokens {
    /// Loads the keys, creating the first active key on a new database.
    pub async fn new(
        store: Arc<dyn KeyStore>,
        grants: Arc<dyn GrantStore>,
        config: &AuthConfig,
    ) -> Result<Self, ServiceError> {
        let mut keys = store.list().await?;
        if !keys.iter().any(|k| k.state == SigningKeyState::Active) {
            store.insert_if_no_active(&generate_key()).await?;
            keys = store.list().await?;
        }
        Ok(Self {
            store,
            grants,
            cache: RwLock::new(KeyCache {
                keys,
                loaded_at: Instant::now(),
            }),
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            ttl: Duration::from_secs(config.access_token_ttl_secs),
        })
    }

    /// Signs a token for `user` with the active key.
    pub async fn issue(&self, user: &User) -> Result<IssuedToken, ServiceError> {
        self.refresh_if_older_than(KEY_CACHE_MAX_AGE).await?;
        let (kid, secret) = {
            let cache = self.cache.read().await;
            let key = cache
                .keys
                .iter()
                .find(|k| k.state == SigningKeyState::Active)
                .ok_or_else(|| ServiceError::Internal("no active signing key".into()))?;
            (key.kid.clone(), key.secret.clone())
        };
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs() as i64,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            ver: user.token_version,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(kid.clone());
        let access_token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret))
                .map_err(|e| ServiceError::Internal(format!("signing a token failed: {e}")))?;
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
        self.grants
            .record_grant(&claims.jti, &kid, user.id, expires_at)
            .await?;
        Ok(IssuedToken {
            access_token,
            expires_in_secs: self.ttl.as_secs(),
        })
    }

    /// Checks signature, algorithm and claims; says precisely why a token is refused.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, ServiceError> {
        let reject = |r| ServiceError::Unauthenticated(r);
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| reject(TokenRejection::Malformed))?;
        if header.alg != ALGORITHM {
            return Err(reject(TokenRejection::Malformed));
        }
        let kid = header.kid.ok_or(reject(TokenRejection::UnknownKey))?;
        self.refresh_if_older_than(KEY_CACHE_MAX_AGE).await?;
        let secret = match self.verifying_secret(&kid).await {
            Some(secret) => secret,
            None => {
                self.refresh_if_older_than(MIN_RELOAD_INTERVAL).await?;
                self.verifying_secret(&kid)
                    .await
                    .ok_or(reject(TokenRejection::UnknownKey))?
            }
        };
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = CLOCK_LEEWAY_SECS;
        let data =
            jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&secret), &validation)
                .map_err(|e| match e.kind() {
                    ErrorKind::ExpiredSignature => reject(TokenRejection::Expired),
                    ErrorKind::InvalidSignature => reject(TokenRejection::BadSignature),
                    _ => reject(TokenRejection::Malformed),
                })?;
        let user_id = UserId::parse(&data.claims.sub).ok_or(reject(TokenRejection::Malformed))?;
        Ok(VerifiedToken {
            user_id,
            token_version: data.claims.ver,
            kid,
        })
    }

    async fn verifying_secret(&self, kid: &str) -> Option<Vec<u8>> {
        let cache = self.cache.read().await;
        cache
            .keys
            .iter()
            .find(|k| k.kid == kid && k.state != SigningKeyState::Retired)
            .map(|k| k.secret.clone())
    }

    /// Whether tokens signed by `kid` still verify (the key exists and is not retired), as of
    /// the keys last read.
    pub async fn accepts_key(&self, kid: &str) -> bool {
        self.verifying_secret(kid).await.is_some()
    }

    /// Re-reads the keys now: after a rotation or retirement on this node, it takes effect at once.
    pub async fn reload(&self) -> Result<(), ServiceError> {
        self.refresh_if_older_than(Duration::ZERO).await
    }

    async fn refresh_if_older_than(&self, age: Duration) -> Result<(), ServiceError> {
        if self.cache.read().await.loaded_at.elapsed() < age {
            return Ok(());
        }
        let mut cache = self.cache.write().await;
        // Another request may have reloaded while this one waited for the lock.
        if cache.loaded_at.elapsed() >= age {
            cache.keys = self.store.list().await?;
            cache.loaded_at = Instant::now();
        }
        Ok(())
    }
}

/// A new random 256-bit HMAC key, named by a random `kid`.
pub fn generate_key() -> SigningKey {
    let mut secret = vec![0u8; 32];
    OsRng.fill_bytes(&mut secret);
    SigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
        secret,
        state: SigningKeyState::Active,
        created_at: Utc::now(),
    }
}
