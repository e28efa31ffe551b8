//! The signed-in account behind a REST request.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::domain::User;
use crate::edge::error::ApiError;
use crate::server::ConnectionAuth;
use crate::service::{ServiceError, Services, TokenRejection};

/// The account behind the request's `Authorization: Bearer` token.
pub struct CurrentUser(pub User);

impl FromRequestParts<Services> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        services: &Services,
    ) -> Result<Self, Self::Rejection> {
        let missing = || ApiError::from(ServiceError::Unauthenticated(TokenRejection::Missing));
        let header = parts.headers.get(AUTHORIZATION).ok_or_else(missing)?;
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(missing)?;
        let user = services.accounts.authenticate(token).await?;
        if let Some(connection) = parts.extensions.get::<ConnectionAuth>() {
            connection.authenticated();
        }
        Ok(CurrentUser(user))
    }
}
