//! JSON shapes of users as clients see them; stored fields (hash, token version) never appear.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::User;

/// Another user, as anyone signed in may see them.
#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub status: Option<String>,
    pub last_seen: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            profile_picture_url: user.profile_picture_url.clone(),
            status: user.status.clone(),
            last_seen: user.last_seen,
            created_at: user.created_at,
        }
    }
}

/// The signed-in user's own account: the public view plus private contact details.
#[derive(Debug, Serialize)]
pub struct MeView {
    #[serde(flatten)]
    pub public: UserView,
    pub email: String,
    pub phone_number: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<&User> for MeView {
    fn from(user: &User) -> Self {
        Self {
            public: UserView::from(user),
            email: user.email.clone(),
            phone_number: user.phone_number.clone(),
            updated_at: user.updated_at,
        }
    }
}

/// For PATCH bodies: a missing key is `None` (leave alone), `null` is `Some(None)` (clear).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
