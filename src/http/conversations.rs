//! `/api/conversations…`: the conversation list, direct conversations, flags, read markers and
//! messages (history, send, edit, delete).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::current_user::CurrentUser;
use crate::domain::{ConversationFlags, HistoryPage, UserId};
use crate::edge::error::ApiError;
use crate::edge::extract::{ApiJson, ApiQuery};
use crate::edge::ids;
use crate::edge::wire::{ConversationView, MessageDraft, MessageView};
use crate::service::Services;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    archived: bool,
}

/// `GET /api/conversations?archived=`: pinned first, then by last activity.
pub async fn list(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ConversationView>>, ApiError> {
    let summaries = state.conversations.list(&me, q.archived).await?;
    Ok(Json(summaries.iter().map(ConversationView::from).collect()))
}

#[derive(Deserialize)]
pub struct DirectBody {
    user_id: i64,
}

/// `POST /api/conversations/direct` `{user_id}`: the one direct conversation with that user.
pub async fn open_direct(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    ApiJson(body): ApiJson<DirectBody>,
) -> Result<Json<ConversationView>, ApiError> {
    let summary = state
        .conversations
        .open_direct(&me, UserId(body.user_id))
        .await?;
    Ok(Json(ConversationView::from(&summary)))
}

/// `GET /api/conversations/{id}`
pub async fn get(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationView>, ApiError> {
    let summary = state
        .conversations
        .summary(&me, ids::conversation_id("conversation_id", &id)?)
        .await?;
    Ok(Json(ConversationView::from(&summary)))
}

#[derive(Deserialize)]
pub struct FlagsBody {
    muted: Option<bool>,
    archived: Option<bool>,
    pinned: Option<bool>,
}

/// `PATCH /api/conversations/{id}` `{muted?, archived?, pinned?}`
pub async fn set_flags(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FlagsBody>,
) -> Result<Json<ConversationView>, ApiError> {
    let flags = ConversationFlags {
        muted: body.muted,
        archived: body.archived,
        pinned: body.pinned,
    };
    let summary = state
        .conversations
        .set_flags(&me, ids::conversation_id("conversation_id", &id)?, flags)
        .await?;
    Ok(Json(ConversationView::from(&summary)))
}

#[derive(Deserialize)]
pub struct ReadBody {
    message_id: String,
}

/// `POST /api/conversations/{id}/read` `{message_id}`: advances the read marker.
pub async fn mark_read(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReadBody>,
) -> Result<Json<ConversationView>, ApiError> {
    let summary = state
        .conversations
        .mark_read(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            ids::message_id("message_id", &body.message_id)?,
        )
        .await?;
    Ok(Json(ConversationView::from(&summary)))
}

/// `GET /api/conversations/{id}/read-markers`: every participant's read marker.
pub async fn read_markers(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let markers = state
        .conversations
        .read_markers(&me, ids::conversation_id("conversation_id", &id)?)
        .await?;
    let markers: Vec<serde_json::Value> = markers
        .into_iter()
        .map(|(user, marker)| {
            serde_json::json!({
                "user_id": user.0,
                "last_read_message_id": marker.map(|m| m.to_string()),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "markers": markers })))
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    before: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/conversations/{id}/messages?before=&after=&limit=`: newest first; with `after`,
/// oldest first from just after that message (catching up after a reconnect).
pub async fn history(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<Vec<MessageView>>, ApiError> {
    let page = match (q.before.as_deref(), q.after.as_deref()) {
        (None, None) => HistoryPage::Latest,
        (Some(before), None) => HistoryPage::Before(ids::message_id("before", before)?),
        (None, Some(after)) => HistoryPage::After(ids::message_id("after", after)?),
        (Some(_), Some(_)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                "use either before or after, not both",
            ));
        }
    };
    let messages = state
        .conversations
        .history(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            page,
            q.limit,
        )
        .await?;
    Ok(Json(messages.iter().map(MessageView::from).collect()))
}

/// `POST /api/conversations/{id}/messages`: 201 with the stored message, or 200 with the message
/// already stored under the same `client_msg_id`.
pub async fn send(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MessageDraft>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let (message, created) = state
        .conversations
        .send(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            body.into(),
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(MessageView::from(&message))))
}

#[derive(Deserialize)]
pub struct EditBody {
    content: String,
}

/// `PATCH /api/conversations/{id}/messages/{message_id}` `{content}` (sender only)
pub async fn edit(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path((id, message)): Path<(String, String)>,
    ApiJson(body): ApiJson<EditBody>,
) -> Result<Json<MessageView>, ApiError> {
    let edited = state
        .conversations
        .edit(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            ids::message_id("message_id", &message)?,
            body.content,
        )
        .await?;
    Ok(Json(MessageView::from(&edited)))
}

/// `DELETE /api/conversations/{id}/messages/{message_id}/preview` (sender only): hides the
/// message's link preview for everyone.
pub async fn dismiss_preview(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path((id, message)): Path<(String, String)>,
) -> Result<Json<MessageView>, ApiError> {
    let updated = state
        .conversations
        .dismiss_preview(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            ids::message_id("message_id", &message)?,
        )
        .await?;
    Ok(Json(MessageView::from(&updated)))
}

/// `DELETE /api/conversations/{id}/messages/{message_id}` (sender, or group owner/admin)
pub async fn delete(
    State(state): State<Services>,
    CurrentUser(me): CurrentUser,
    Path((id, message)): Path<(String, String)>,
) -> Result<Json<MessageView>, ApiError> {
    let deleted = state
        .conversations
        .delete(
            &me,
            ids::conversation_id("conversation_id", &id)?,
            ids::message_id("message_id", &message)?,
        )
        .await?;
    Ok(Json(MessageView::from(&deleted)))
}
