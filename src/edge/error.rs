//! The error answer of every edge: status + `{"error":{"code","message","field"?}}` over REST and
//! on the admin socket, the same code, message and field in a Socket.IO error ack.
//!
//! Service errors map to it in one exhaustive match, so a new error kind cannot slip through with
//! a default status, and a client sees the same codes whichever edge it uses. Internal details
//! are logged in full and never sent to the client.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::{ServiceError, TokenRejection};

/// The `code` of an error response, for middleware that records outcomes (the admin audit).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// An error as the client receives it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<&'static str>,
    retry_after_secs: Option<u64>,
    bearer_challenge: bool,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
            bearer_challenge: false,
        }
    }

    /// Names the request field the error is about.
    pub fn with_field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than the {limit}-byte limit"),
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::InvalidField(f) => {
                ApiError::new(StatusCode::BAD_REQUEST, f.code, f.message).with_field(f.field)
            }
            ServiceError::Conflict { field } => ApiError::new(
                StatusCode::CONFLICT,
                "already_taken",
                format!("this {field} is already taken"),
            )
            .with_field(field),
            ServiceError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "invalid login or password",
            ),
            ServiceError::AccountDisabled => ApiError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                "this account has been disabled by an administrator",
            ),
            ServiceError::Unauthenticated(rejection) => {
                let code = match rejection {
                    TokenRejection::Missing => "authentication_required",
                    TokenRejection::Expired => "token_expired",
                    TokenRejection::Revoked => "token_revoked",
                    TokenRejection::Malformed
                    | TokenRejection::BadSignature
                    | TokenRejection::UnknownKey => "invalid_token",
                };
                let mut e = ApiError::new(StatusCode::UNAUTHORIZED, code, rejection.message());
                e.bearer_challenge = true;
                e
            }
            ServiceError::Forbidden { code, message } => {
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            ServiceError::StateConflict { code, message } => {
                ApiError::new(StatusCode::CONFLICT, code, message)
            }
            ServiceError::NotFound(what) => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            ServiceError::RateLimited { what, retry_after } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("{what}: try again in {secs} seconds"),
                );
                e.retry_after_secs = Some(secs);
                e
            }
            ServiceError::Throttled { retry_after } => {
                let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                let mut e = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    format!("too many failed attempts: try again in {secs} seconds"),
                );
                e.retry_after_secs = Some(secs);
                e
            }
            ServiceError::Upstream { code, message } => {
                ApiError::new(StatusCode::BAD_GATEWAY, code, message)
            }
            ServiceError::UpstreamTimeout(message) => {
                ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timeout", message)
            }
            ServiceError::Unavailable(source) => {
                tracing::error!(error = %source, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is temporarily unavailable: try again shortly",
                )
            }
            ServiceError::NotReady { code, message } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
            }
            ServiceError::Failed { code, message } => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, code, message)
            }
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal server error",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorCode(self.code));
        let headers = response.headers_mut();
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.bearer_challenge {
            let challenge = format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                self.code
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}
