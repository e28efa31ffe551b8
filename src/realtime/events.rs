//! Client → server events. Every event with an ack callback gets `{"ok": true, …}` or
//! `{"ok": false, "error": {…}}`; a malformed payload or an unknown event is answered, never fatal.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use socketioxide::adapter::LocalAdapter;
use socketioxide::extract::{AckSender, Event, Extension, SocketRef, State, TryData};
use socketioxide::handler::{FromMessageParts, MessageHandler};
use socketioxide::socket::Socket;

use std::sync::Arc;

use super::connect::Session;
use super::drain::Drain;
use super::{RealtimeState, ack, conversation_room};
use crate::domain::UserId;
use crate::edge::ids;
use crate::edge::wire::{ConversationView, MessageDraft, MessageView};
use crate::service::ServiceError;

/// Registers the event handlers on a newly connected socket: one fallback handler that picks
/// the event's handler by name. Eight `socket.on` entries gave every socket a handler map of
/// 0.7 KiB, kept for as long as it stays connected (BENCHMARKS.md, memory per idle connection).
pub fn register(socket: &SocketRef) {
    socket.on_fallback(ByName);
}

/// Calls the handler of an event by the event's name, as socketioxide's own map would have;
/// each handler extracts its arguments (and answers bad ones) as a registered handler does.
#[derive(Clone, Copy)]
struct ByName;

impl MessageHandler<LocalAdapter, ByName> for ByName {
    fn call(
        &self,
        s: Arc<Socket<LocalAdapter>>,
        mut v: socketioxide::handler::Value,
        ack_id: Option<i64>,
    ) {
        // socketioxide read the name before calling a fallback, so this cannot fail.
        let Ok(Event(event)) = Event::from_message_parts(&s, &mut v, &ack_id) else {
            return;
        };
        match event.as_str() {
            "join_room" => MessageHandler::call(&join_room, s, v, ack_id),
            "leave_room" => MessageHandler::call(&leave_room, s, v, ack_id),
            "send_message" => MessageHandler::call(&send_message, s, v, ack_id),
            "edit_message" => MessageHandler::call(&edit_message, s, v, ack_id),
            "delete_message" => MessageHandler::call(&delete_message, s, v, ack_id),
            "typing" => MessageHandler::call(&typing, s, v, ack_id),
            "mark_read" => MessageHandler::call(&mark_read, s, v, ack_id),
            "get_presence" => MessageHandler::call(&get_presence, s, v, ack_id),
            _ => MessageHandler::call(&unknown_event, s, v, ack_id),
        }
    }
}

/// Answers a malformed payload with `invalid_payload`; otherwise runs `work` on it and answers
/// with its result. Once the daemon is shutting down, new requests are refused instead.
async fn respond<T, E, F, Fut, R>(drain: Arc<Drain>, ack: AckSender, payload: Result<T, E>, work: F)
where
    E: std::fmt::Display,
    F: FnOnce(T) -> Fut,
    Fut: Future<Output = Result<R, ServiceError>>,
    R: Serialize,
{
    let Some(_in_flight) = drain.enter() else {
        return ack::fail(
            ack,
            "shutting_down",
            "the server is restarting: send this again once reconnected (a resent client_msg_id is stored once)",
        );
    };
    let payload = match payload {
        Ok(payload) => payload,
        Err(e) => return ack::fail(ack, "invalid_payload", &format!("malformed payload: {e}")),
    };
    match work(payload).await {
        Ok(fields) => ack::ok(ack, fields),
        Err(e) => ack::service_error(ack, e),
    }
}

#[derive(Deserialize)]
struct RoomPayload {
    conversation_id: String,
}

/// `join_room {conversation_id}`: participants only; the room hears `user_joined`.
async fn join_room(
    socket: SocketRef,
    TryData(p): TryData<RoomPayload>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let id = ids::conversation_id("conversation_id", &p.conversation_id)?;
        state
            .services
            .conversations
            .require_participant(me.user.id, id)
            .await?;
        let room = conversation_room(id);
        socket.join(room.clone());
        let joined = json!({ "conversation_id": id.to_string(), "user_id": me.user.id.0 });
        let _ = socket.to(room).emit("user_joined", &joined).await;
        Ok(json!({ "conversation_id": id.to_string() }))
    })
    .await;
}

/// `leave_room {conversation_id}`: the room hears `user_left`.
async fn leave_room(
    socket: SocketRef,
    TryData(p): TryData<RoomPayload>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let id = ids::conversation_id("conversation_id", &p.conversation_id)?;
        let room = conversation_room(id);
        socket.leave(room.clone());
        let left = json!({ "conversation_id": id.to_string(), "user_id": me.user.id.0 });
        let _ = socket.to(room).emit("user_left", &left).await;
        Ok(json!({ "conversation_id": id.to_string() }))
    })
    .await;
}

#[derive(Deserialize)]
struct SendPayload {
    conversation_id: String,
    #[serde(flatten)]
    draft: MessageDraft,
}

/// `send_message {conversation_id, client_msg_id, content, …}`: acknowledged only once the message
/// is durably stored; a resend of a `client_msg_id` acks the stored message with `duplicate: true`.
async fn send_message(
    TryData(p): TryData<SendPayload>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let id = ids::conversation_id("conversation_id", &p.conversation_id)?;
        let (message, created) = state
            .services
            .conversations
            .send(&me.user, id, p.draft.into())
            .await?;
        Ok(Sent {
            message: MessageView::from(&message),
            duplicate: !created,
        })
    })
    .await;
}

/// `send_message`'s answer, serialised as it is (the busiest ack: no `Value` tree in between).
#[derive(Serialize)]
struct Sent {
    message: MessageView,
    duplicate: bool,
}

#[derive(Deserialize)]
struct EditPayload {
    conversation_id: String,
    message_id: String,
    content: String,
}

/// `edit_message {conversation_id, message_id, content}` (sender only).
async fn edit_message(
    TryData(p): TryData<EditPayload>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let (id, message) = (
            ids::conversation_id("conversation_id", &p.conversation_id)?,
            ids::message_id("message_id", &p.message_id)?,
        );
        let edited = state
            .services
            .conversations
            .edit(&me.user, id, message, p.content)
            .await?;
        Ok(json!({ "message": MessageView::from(&edited) }))
    })
    .await;
}

#[derive(Deserialize)]
struct MessageRef {
    conversation_id: String,
    message_id: String,
}

/// `delete_message {conversation_id, message_id}` (sender, or group owner/admin).
async fn delete_message(
    TryData(p): TryData<MessageRef>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let (id, message) = (
            ids::conversation_id("conversation_id", &p.conversation_id)?,
            ids::message_id("message_id", &p.message_id)?,
        );
        let deleted = state
            .services
            .conversations
            .delete(&me.user, id, message)
            .await?;
        Ok(json!({ "message": MessageView::from(&deleted) }))
    })
    .await;
}

/// `mark_read {conversation_id, message_id}`: advances the read marker; others get `messages_read`.
async fn mark_read(
    TryData(p): TryData<MessageRef>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let (id, message) = (
            ids::conversation_id("conversation_id", &p.conversation_id)?,
            ids::message_id("message_id", &p.message_id)?,
        );
        let summary = state
            .services
            .conversations
            .mark_read(&me.user, id, message)
            .await?;
        Ok(json!({ "conversation": ConversationView::from(&summary) }))
    })
    .await;
}

#[derive(Deserialize)]
struct TypingPayload {
    conversation_id: String,
    #[serde(default = "yes")]
    typing: bool,
}

fn yes() -> bool {
    true
}

/// `typing {conversation_id, typing}`: relayed to the other participants; a start expires by
/// itself after `realtime.typing_timeout_ms` unless renewed.
async fn typing(
    TryData(p): TryData<TypingPayload>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let id = ids::conversation_id("conversation_id", &p.conversation_id)?;
        if !p.typing {
            if state.typing.stopped(me.user.id, id, None) {
                state
                    .services
                    .conversations
                    .typing(me.user.id, id, false)
                    .await?;
            }
            return Ok(json!({}));
        }
        state
            .services
            .conversations
            .require_participant(me.user.id, id)
            .await?;
        let generation = state.typing.started(me.user.id, id);
        state
            .services
            .conversations
            .typing(me.user.id, id, true)
            .await?;
        let timeout = state.typing_timeout;
        let timer_state = state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            if timer_state.typing.stopped(me.user.id, id, Some(generation)) {
                let _ = timer_state
                    .services
                    .conversations
                    .typing(me.user.id, id, false)
                    .await;
            }
        });
        Ok(json!({ "expires_in_ms": timeout.as_millis() as u64 }))
    })
    .await;
}

#[derive(Deserialize)]
struct PresenceQuery {
    user_ids: Vec<i64>,
}

/// `get_presence {user_ids}` → `{users: [{user_id, online, last_seen}]}` (at most 200).
async fn get_presence(
    TryData(p): TryData<PresenceQuery>,
    ack: AckSender,
    Extension(me): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    respond(state.drain.clone(), ack, p, |p| async move {
        let ids: Vec<UserId> = p.user_ids.into_iter().map(UserId).collect();
        let states = state.services.presence.lookup(me.user.id, &ids).await?;
        let users: Vec<Value> = states
            .iter()
            .map(
                |s| json!({ "user_id": s.user_id.0, "online": s.online, "last_seen": s.last_seen }),
            )
            .collect();
        Ok(json!({ "users": users }))
    })
    .await;
}

async fn unknown_event(Event(event): Event, ack: AckSender) {
    ack::fail(ack, "unknown_event", &format!("unknown event `{event}`"));
}
