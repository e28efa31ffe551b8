//! The admin router, built from the contract's request types: each handler takes one request type
//! and returns its `Response`, and the route and method it is mounted on are that type's. So a
//! handler answering the wrong type, or a route omegactl calls differently, does not compile.

use std::future::Future;

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::routing::{MethodFilter, on};
use omegachat_contract::admin::{AdminRequest, Method, RequestError, RouteParams};

use super::AdminState;
use crate::edge::error::ApiError;
use crate::edge::extract::ApiJson;

/// The admin routes being assembled.
pub struct AdminRoutes(axum::Router<AdminState>);

impl AdminRoutes {
    pub fn new() -> Self {
        Self(axum::Router::new())
    }

    /// Mounts `handler` on the method and route of the request type it takes.
    pub fn add<R, H, F>(self, handler: H) -> Self
    where
        R: AdminRequest + Send + 'static,
        R::Body: Send,
        R::Response: Send,
        H: Fn(AdminState, R) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<R::Response, ApiError>> + Send + 'static,
    {
        let status = StatusCode::from_u16(R::SUCCESS_STATUS).unwrap_or(StatusCode::OK);
        let endpoint = move |State(state): State<AdminState>, Call(request): Call<R>| {
            let answer = handler(state, request);
            async move { answer.await.map(|answer| (status, Json(answer))) }
        };
        Self(self.0.route(R::ROUTE, on(filter(R::METHOD), endpoint)))
    }

    pub fn into_router(self) -> axum::Router<AdminState> {
        self.0
    }
}

fn filter(method: Method) -> MethodFilter {
    match method {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
        Method::Put => MethodFilter::PUT,
        Method::Delete => MethodFilter::DELETE,
    }
}

/// A request read back from its path, query and body, as the contract's `from_parts` reads it.
pub struct Call<R>(pub R);

impl<R, S> FromRequest<S> for Call<R>
where
    R: AdminRequest + Send,
    R::Body: Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let uri = request.uri().clone();
        let params = RouteParams::parse(R::ROUTE, uri.path(), uri.query()).map_err(rejected)?;
        let body = if has_body(&request) {
            Some(ApiJson::<R::Body>::from_request(request, state).await?.0)
        } else {
            None
        };
        R::from_parts(&params, body).map(Call).map_err(rejected)
    }
}

/// Whether the client sent a body: `curl -X POST` without `-d` sends none, not even a type.
fn has_body(request: &Request) -> bool {
    let headers = request.headers();
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match length {
        Some(length) => length > 0,
        None => {
            headers.contains_key(header::TRANSFER_ENCODING)
                || headers.contains_key(header::CONTENT_TYPE)
        }
    }
}

fn rejected(err: RequestError) -> ApiError {
    let message = err.to_string();
    match err {
        RequestError::WrongRoute { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
        }
        RequestError::InvalidSegment { name, .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_id", message).with_field(name)
        }
        RequestError::InvalidQuery { name, .. } => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message).with_field(name)
        }
        RequestError::MissingBody => {
            ApiError::new(StatusCode::BAD_REQUEST, "missing_body", message)
        }
    }
}
