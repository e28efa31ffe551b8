//! Row shapes shared by the SQL engines; they never leave the store.

use chrono::{DateTime, Utc};

use crate::domain::{SigningKey, SigningKeyState, User, UserId};

use super::StoreError;

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    phone_number: Option<String>,
    display_name: Option<String>,
    profile_picture_url: Option<String>,
    status: Option<String>,
    last_seen: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
    token_version: i64,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId(row.id),
            username: row.username,
            email: row.email,
            password_hash: row.password_hash,
            phone_number: row.phone_number,
            display_name: row.display_name,
            profile_picture_url: row.profile_picture_url,
            status: row.status,
            last_seen: row.last_seen,
            created_at: row.created_at,
            updated_at: row.updated_at,
            disabled_at: row.disabled_at,
            token_version: row.token_version,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct SigningKeyRow {
    kid: String,
    secret: Vec<u8>,
    state: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;

    fn try_from(row: SigningKeyRow) -> Result<Self, StoreError> {
        let state = SigningKeyState::parse(&row.state).ok_or_else(|| {
            StoreError::Setup(format!(
                "signing key {} has unknown state `{}`",
                row.kid, row.state
            ))
        })?;
        Ok(SigningKey {
            kid: row.kid,
            secret: row.secret,
            state,
            created_at: row.created_at,
        })
    }
}

/// Turns a search result fetched with one extra row into a page and its cursor.
pub(super) fn into_page(mut rows: Vec<UserRow>, limit: u32) -> super::Page<User> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let items: Vec<User> = rows.into_iter().map(User::from).collect();
    let next_cursor = if more {
        items.last().map(|u| u.username.clone())
    } else {
        None
    };
    super::Page { items, next_cursor }
}
