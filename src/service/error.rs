//! The service layer's one error type; each edge maps it to its own answers in one match.

use std::time::Duration;

use crate::domain::FieldError;
use crate::store::StoreError;

/// Why a token was refused; said to the client so it knows whether to log in again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRejection {
    /// No token was presented.
    Missing,
    /// Not a well-formed JWT, a forbidden algorithm, or wrong claims.
    Malformed,
    /// The signature does not match the key named by `kid`.
    BadSignature,
    /// The `kid` names no key that may verify (never issued, or retired).
    UnknownKey,
    /// Past `exp`.
    Expired,
    /// Issued before the account's password changed, its sessions were revoked, or it was disabled.
    Revoked,
}

impl TokenRejection {
    /// Sentence shown to the client.
    pub fn message(self) -> &'static str {
        match self {
            TokenRejection::Missing => {
                "authentication required: send `Authorization: Bearer <access_token>`"
            }
            TokenRejection::Malformed => "the access token is malformed",
            TokenRejection::BadSignature => "the access token's signature is invalid",
            TokenRejection::UnknownKey => {
                "the access token was signed with an unknown or retired key"
            }
            TokenRejection::Expired => "the access token has expired: log in again",
            TokenRejection::Revoked => "the access token has been revoked: log in again",
        }
    }
}

/// Everything a service call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field of the request is unacceptable.
    #[error("{}", .0.message)]
    InvalidField(FieldError),
    /// A unique value (username, e-mail, phone number) belongs to another account.
    #[error("{field} is already taken")]
    Conflict { field: &'static str },
    /// Unknown login or wrong password: deliberately indistinguishable.
    #[error("invalid login or password")]
    InvalidCredentials,
    /// The account has been disabled by an administrator.
    #[error("this account has been disabled")]
    AccountDisabled,
    /// The request carries no acceptable token.
    #[error("{}", .0.message())]
    Unauthenticated(TokenRejection),
    /// The caller may see the thing but not do this to it (role too low, blocked…).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The request contradicts the current state (already friends, owner must hand over first…).
    #[error("{message}")]
    StateConflict { code: &'static str, message: String },
    /// The thing asked for does not exist (or the caller may not know it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Too many of `what` (sends, link previews); try again after the given time.
    #[error("{what}: try again in {} seconds", retry_after.as_secs().max(1))]
    RateLimited {
        what: &'static str,
        retry_after: Duration,
    },
    /// Too many attempts; try again after the given time.
    #[error("too many attempts: try again in {} seconds", retry_after.as_secs().max(1))]
    Throttled { retry_after: Duration },
    /// A site fetched on the caller's behalf (a link preview) failed or answered something
    /// unusable; `code` says which (`upstream_error`, `not_html`, `too_large`).
    #[error("{message}")]
    Upstream { code: &'static str, message: String },
    /// A site fetched on the caller's behalf did not answer in time.
    #[error("{0}")]
    UpstreamTimeout(String),
    /// A dependency (database) is unreachable or failing: the request may succeed later.
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] StoreError),
    /// The daemon cannot do this yet or right now (schema behind, database silent); the message
    /// says what to do and reaches the caller as it is.
    #[error("{message}")]
    NotReady { code: &'static str, message: String },
    /// An operation an administrator asked for failed (a migration, a backup); the message says
    /// why and reaches the caller as it is, so only services behind the admin socket use it.
    #[error("{message}")]
    Failed { code: &'static str, message: String },
    /// A bug or an invariant broken: logged in full, reported to the client without detail.
    #[error("internal error")]
    Internal(String),
}

impl ServiceError {
    /// The message with its cause, for logs and for administrators (never for a public client).
    pub fn detail(&self) -> String {
        match std::error::Error::source(self) {
            Some(source) => format!("{self}: {source}"),
            None => self.to_string(),
        }
    }

    /// A 403-style refusal.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A 409-style refusal.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::StateConflict {
            code,
            message: message.into(),
        }
    }

    /// A 400-style refusal of one field.
    pub fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError::InvalidField(FieldError {
            field,
            code,
            message: message.into(),
        })
    }
}

impl From<FieldError> for ServiceError {
    fn from(err: FieldError) -> Self {
        ServiceError::InvalidField(err)
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { field } => ServiceError::Conflict { field },
            StoreError::NotFound => ServiceError::NotFound("record"),
            StoreError::Backend(_)
            | StoreError::Embedded(_)
            | StoreError::Cluster(_)
            | StoreError::Migration(_)
            | StoreError::Setup(_) => ServiceError::Unavailable(err),
        }
    }
}
