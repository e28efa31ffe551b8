//! `/api/preview…`: link previews and the image proxy behind them.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::current_user::CurrentUser;
use crate::domain::Preview;
use crate::edge::error::ApiError;
use crate::edge::extract::{ApiJson, ApiQuery};
use crate::service::Services;

#[derive(Deserialize)]
pub struct PreviewRequest {
    url: String,
}

#[derive(Serialize)]
pub struct PreviewView {
    url: String,
    final_url: String,
    title: Option<String>,
    description: Option<String>,
    site_name: Option<String>,
    image: Option<PreviewImageView>,
    fetched_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
pub struct PreviewImageView {
    /// A path on this server (the image proxy), never the remote URL.
    url: String,
    width: Option<u32>,
    height: Option<u32>,
}

impl From<Preview> for PreviewView {
    fn from(p: Preview) -> Self {
        Self {
            url: p.url,
            final_url: p.final_url,
            title: p.title,
            description: p.description,
            site_name: p.site_name,
            image: p.image.map(|i| PreviewImageView {
                url: i.proxy_path,
                width: i.width,
                height: i.height,
            }),
            fetched_at: p.fetched_at,
        }
    }
}

/// `POST /api/preview` `{url}`: the link's title, description, site and image.
pub async fn preview(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<Json<PreviewView>, ApiError> {
    let preview = state.preview.preview(me.id, &body.url).await?;
    Ok(Json(preview.into()))
}

#[derive(Deserialize)]
pub struct ImageQuery {
    url: String,
    sig: String,
}

/// What an image response may do if opened as a document: nothing.
const IMAGE_CSP: &str = "default-src 'none'; sandbox";

/// `GET /api/preview/image?url=…&sig=…`: a preview's image, fetched under the same guard.
///
/// Unauthenticated, because `<img>` sends no bearer token; the signature is what limits it to
/// images this server's previews named.
pub async fn image(
    State(state): State<Services>,
    ApiQuery(query): ApiQuery<ImageQuery>,
) -> Result<Response, ApiError> {
    let image = state.preview.image(&query.url, &query.sig).await?;
    let content_type = HeaderValue::from_str(&image.content_type)
        .map_err(|_| ApiError::from(crate::service::ServiceError::Internal("image type".into())))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(IMAGE_CSP),
            ),
        ],
        image.bytes,
    )
        .into_response())
}
