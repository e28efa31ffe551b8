//! Accounts and the keys that sign their tokens, as stored.

use std::fmt;

use chrono::{DateTime, Utc};

/// Numeric account id (the seed's `users.id SERIAL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

impl UserId {
    /// Parses an id from a URL path segment or a token subject.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.parse::<i64>().ok().filter(|id| *id > 0).map(UserId)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A stored account, including what only the service may see (hash, token version).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    /// Lower-case, unique.
    pub username: String,
    /// As typed at registration; unique case-insensitively.
    pub email: String,
    /// PHC string (argon2id) or a legacy bcrypt hash awaiting upgrade on next login.
    pub password_hash: String,
    pub phone_number: Option<String>,
    pub display_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub status: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while an administrator has disabled the account: no login, no token accepted.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Copied into every token; bumping it (password change, logout-everywhere) revokes them all.
    pub token_version: i64,
}

/// A validated registration, ready to store.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub phone_number: Option<String>,
    pub display_name: Option<String>,
}

/// The profile columns a user may edit, with their new values (all written together).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub status: Option<String>,
    pub profile_picture_url: Option<String>,
    pub phone_number: Option<String>,
}

impl ProfileUpdate {
    /// The profile as it stands, to apply a partial change on top of.
    pub fn from_user(user: &User) -> Self {
        Self {
            display_name: user.display_name.clone(),
            status: user.status.clone(),
            profile_picture_url: user.profile_picture_url.clone(),
            phone_number: user.phone_number.clone(),
        }
    }
}

/// Lifecycle of a token-signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKeyState {
    /// Signs new tokens (exactly one key at a time) and verifies.
    Active,
    /// Replaced by a newer key; still verifies tokens it signed until they expire.
    VerifyOnly,
    /// Verifies nothing: every token it signed is rejected.
    Retired,
}

impl SigningKeyState {
    /// Name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningKeyState::Active => "active",
            SigningKeyState::VerifyOnly => "verify_only",
            SigningKeyState::Retired => "retired",
        }
    }

    /// Inverse of [`SigningKeyState::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(SigningKeyState::Active),
            "verify_only" => Some(SigningKeyState::VerifyOnly),
            "retired" => Some(SigningKeyState::Retired),
            _ => None,
        }
    }
}

/// An HMAC key for access tokens, identified in each token header by `kid`.
#[derive(Clone, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    pub secret: Vec<u8>,
    pub state: SigningKeyState,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for SigningKey {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}
