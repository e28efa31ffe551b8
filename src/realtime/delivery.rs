//! Bus → sockets: each event goes to the user rooms of its recipients, so every tab and device
//! of every recipient gets it once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use socketioxide::operators::BroadcastOperators;
use socketioxide::{BroadcastError, SocketError, SocketIo};
use tokio::sync::broadcast::{self, error::RecvError};

use super::connect::Session;
use super::revocations::RecentRevocations;
use super::{conversation_room, user_room};
use crate::bus::{Envelope, Event, ResyncReason, RevocationReason};
use crate::domain::{FriendshipStatus, UserId};
use crate::edge::wire::MessageView;
use crate::service::accounts::AccountService;

/// Delivers until the bus closes.
pub async fn run(
    io: SocketIo,
    mut events: broadcast::Receiver<Arc<Envelope>>,
    typing_timeout: Duration,
    accounts: Arc<AccountService>,
    revocations: Arc<RecentRevocations>,
) {
    let typing_ms = typing_timeout.as_millis() as u64;
    let mut undelivered = Undelivered::default();
    loop {
        match events.recv().await {
            Ok(envelope) => {
                // Written down before any socket is looked for: a socket still in its handshake
                // finds it there once delivery can reach it.
                match (&envelope.event, envelope.recipients.is_empty()) {
                    (Event::SessionsRevoked { reason }, _) => {
                        revocations.users_revoked(&envelope.recipients, *reason)
                    }
                    (Event::KeyRetired { kid }, _) => revocations.key_retired(kid),
                    (Event::Resync { .. }, true) => revocations.may_have_missed_some(),
                    _ => {}
                }
                deliver(&io, &envelope, typing_ms, &mut undelivered).await;
                if let (Event::Resync { .. }, true) =
                    (&envelope.event, envelope.recipients.is_empty())
                {
                    tokio::spawn(end_revoked_sessions(io.clone(), accounts.clone()));
                }
            }
            Err(RecvError::Lagged(missed)) => {
                // Everything missed is stored: every socket here is told to catch up.
                tracing::warn!(
                    missed,
                    "real-time delivery fell behind; some live events were skipped, and every socket on this node is told to catch up"
                );
                revocations.may_have_missed_some();
                let resync = Envelope {
                    recipients: Vec::new(),
                    event: Event::Resync {
                        reason: ResyncReason::DeliveryLagged,
                    },
                };
                deliver(&io, &resync, typing_ms, &mut undelivered).await;
                tokio::spawn(end_revoked_sessions(io.clone(), accounts.clone()));
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// What a socket is sent: messages are serialised as they are (the busiest events: no `Value`
/// tree in between), the rest as JSON objects.
#[derive(Serialize)]
#[serde(untagged)]
#[expect(
    clippy::large_enum_variant,
    reason = "one lives on the stack per event; boxing would add an allocation to every message"
)]
enum Payload {
    Message(MessageView),
    Object(Value),
}

impl From<Value> for Payload {
    fn from(object: Value) -> Self {
        Self::Object(object)
    }
}

/// The Socket.IO event name and payload for a bus event; `None` for events meant for the
/// nodes' caches, not for sockets.
/// `typing_ms` is how long a `typing` start lasts unless renewed, so receivers expire it alike.
fn render(event: &Event, typing_ms: u64) -> Option<(&'static str, Payload)> {
    let message = |m| Payload::Message(MessageView::from(m));
    Some(match event {
        Event::MessageCreated(m) => ("receive_message", message(m)),
        Event::MessageEdited(m) => ("message_edited", message(m)),
        Event::MessageDeleted(m) => ("message_deleted", message(m)),
        Event::MessagesRead {
            conversation_id,
            user_id,
            message_id,
        } => (
            "messages_read",
            json!({ "conversation_id": conversation_id.to_string(), "user_id": user_id.0, "message_id": message_id.to_string() }).into(),
        ),
        Event::ConversationUpdated {
            conversation_id,
            reason,
        } => (
            "conversation_updated",
            json!({ "conversation_id": conversation_id.to_string(), "reason": reason.as_str() }).into(),
        ),
        Event::ConversationRemoved { conversation_id } => (
            "conversation_updated",
            json!({ "conversation_id": conversation_id.to_string(), "reason": "removed", "removed": true }).into(),
        ),
        Event::FriendshipUpdated {
            other_id, status, ..
        } => (
            "friendship_updated",
            json!({ "user_id": other_id.0, "status": status.map(FriendshipStatus::as_str) }).into(),
        ),
        Event::Typing {
            conversation_id,
            user_id,
            typing,
        } => (
            "typing",
            json!({ "conversation_id": conversation_id.to_string(), "user_id": user_id.0, "typing": typing,
                    "expires_in_ms": if *typing { typing_ms } else { 0 } }).into(),
        ),
        Event::SessionsRevoked { reason } => {
            ("session_revoked", json!({ "reason": reason.as_str() }).into())
        }
        Event::KeyRetired { .. } => (
            "session_revoked",
            json!({ "reason": RevocationReason::SigningKeyRetired.as_str() }).into(),
        ),
        Event::Presence {
            user_id,
            online,
            last_seen,
        } => (
            "presence",
            json!({ "user_id": user_id.0, "online": online, "last_seen": last_seen }).into(),
        ),
        Event::Resync { reason } => ("resync", json!({ "reason": reason.as_str() }).into()),
        Event::AudienceChanged { .. } | Event::KeysChanged => return None,
    })
}

async fn deliver(
    io: &SocketIo,
    envelope: &Envelope,
    typing_ms: u64,
    undelivered: &mut Undelivered,
) {
    // Gone once the endpoint closed at shutdown: nobody is left to deliver to.
    let Some(io) = io.of("/") else {
        return;
    };
    let io = &io;
    if let Event::KeyRetired { kid } = &envelope.event {
        return end_sessions_signed_by(io, kid, &envelope.event).await;
    }
    if let (Event::Resync { .. }, true) = (&envelope.event, envelope.recipients.is_empty()) {
        if let Some((name, payload)) = render(&envelope.event, typing_ms)
            && let Err(e) = io.clone().emit(name, &payload).await
        {
            undelivered.report(name, &e, Instant::now());
        }
        return;
    }
    let rooms: Vec<String> = envelope.recipients.iter().map(|u| user_room(*u)).collect();
    if let Event::ConversationRemoved { conversation_id } = &envelope.event {
        // A removed member's sockets stop hearing the conversation room too.
        for socket in io.clone().to(rooms.clone()).sockets() {
            socket.leave(conversation_room(*conversation_id));
        }
    }
    let Some((name, payload)) = render(&envelope.event, typing_ms) else {
        return;
    };
    // The room names are copied only when a second operation needs them: a message to a group
    // of 1,000 is 1,000 names.
    let revoked = matches!(envelope.event, Event::SessionsRevoked { .. });
    let again = revoked.then(|| rooms.clone());
    if let Err(e) = io.clone().to(rooms).emit(name, &payload).await {
        undelivered.report(name, &e, Instant::now());
    }
    if let Some(rooms) = again {
        // The token they connected with no longer works: the socket must not outlive it.
        if let Err(e) = io.clone().to(rooms).disconnect().await {
            tracing::warn!(error = %e, "could not close the sockets of a revoked session");
        }
    }
}

/// Sockets per check when re-validating every session of this node.
const SESSIONS_PER_CHECK: usize = 500;

/// Closes, telling it why, every local socket whose session was revoked while this node may
/// have missed the revocation (the events that close sockets went through Redis while its
/// subscriptions were down, or were among those its delivery skipped).
async fn end_revoked_sessions(io: SocketIo, accounts: Arc<AccountService>) {
    let Some(io) = io.of("/") else {
        return;
    };
    let sockets: Vec<_> = io
        .sockets()
        .into_iter()
        .filter_map(|socket| {
            let session = socket.extensions.get::<Arc<Session>>()?;
            Some((
                socket,
                session.user.id,
                session.user.token_version,
                session.kid.clone(),
            ))
        })
        .collect();
    let mut ended = 0usize;
    for chunk in sockets.chunks(SESSIONS_PER_CHECK) {
        let sessions: Vec<(UserId, i64, &str)> = chunk
            .iter()
            .map(|(_, user, version, kid)| (*user, *version, kid.as_str()))
            .collect();
        let verdicts = match accounts.ended_sessions(&sessions).await {
            Ok(verdicts) => verdicts,
            Err(e) => {
                tracing::warn!(error = %e, "could not re-check this node's sessions after missing events; revoked ones stay open until they reconnect");
                return;
            }
        };
        for ((socket, ..), verdict) in chunk.iter().zip(verdicts) {
            if let Some(reason) = verdict {
                socket
                    .emit("session_revoked", &json!({ "reason": reason.as_str() }))
                    .ok();
                socket.clone().disconnect().ok();
                ended += 1;
            }
        }
    }
    tracing::info!(
        checked = sockets.len(),
        ended,
        "re-checked this node's sessions after it may have missed revocations"
    );
}

/// Closes every local socket whose token was signed by `kid`, telling it why first.
async fn end_sessions_signed_by(io: &BroadcastOperators, kid: &str, event: &Event) {
    let Some((name, payload)) = render(event, 0) else {
        return;
    };
    let mut closed = 0usize;
    for socket in io.clone().sockets() {
        let signed_by_kid = socket
            .extensions
            .get::<Arc<Session>>()
            .is_some_and(|session| session.kid == kid);
        if signed_by_kid {
            socket.emit(name, &payload).ok();
            socket.disconnect().ok();
            closed += 1;
        }
    }
    tracing::info!(
        kid,
        sockets = closed,
        "closed the sockets of a retired signing key"
    );
}

/// Reports events that some sockets could not take. A socket that closed while an event was on
/// its way (a tab closed, the daemon stopping) is routine: the event is stored and the client
/// catches up through history. A full queue is not: that client stopped reading, misses live
/// events until its heartbeat closes it (at the next ping, which finds no room either, or when
/// the pong does not come: within `realtime.ping_interval_ms` + `ping_timeout_ms`), and catches
/// up when it reconnects. Every event until then fails for it again, so the warning is written
/// once per [`Undelivered::EVERY`], with a count.
#[derive(Default)]
struct Undelivered {
    last_warning: Option<Instant>,
    skipped: u64,
}

impl Undelivered {
    const EVERY: Duration = Duration::from_secs(10);

    fn report(&mut self, event: &str, error: &BroadcastError, now: Instant) {
        let all_closed = matches!(error, BroadcastError::Socket(errors)
            if errors.iter().all(|e| matches!(e, SocketError::Closed)));
        if all_closed {
            tracing::debug!(event, error = %error, "an event met sockets that had just closed");
            return;
        }
        if let Some(skipped) = self.due(now) {
            tracing::warn!(
                event,
                error = %error,
                similar_since_last_warning = skipped,
                "could not deliver an event to some sockets: a client that stopped reading fills its queue (1,024 events) and misses live events until its heartbeat closes it; it catches up when it reconnects"
            );
        }
    }

    /// Whether a warning is due at `now`; if so, how many were skipped since the last one.
    fn due(&mut self, now: Instant) -> Option<u64> {
        match self.last_warning {
            Some(last) if now.duration_since(last) < Self::EVERY => {
                self.skipped += 1;
                None
            }
            _ => {
                self.last_warning = Some(now);
                Some(std::mem::take(&mut self.skipped))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_is_warned_about_once_per_interval_with_a_count() {
        let mut undelivered = Undelivered::default();
        let start = Instant::now();
        assert_eq!(undelivered.due(start), Some(0), "the first one is written");
        for i in 1..=1_000 {
            let now = start + Duration::from_millis(i);
            assert_eq!(undelivered.due(now), None, "within the interval: counted");
        }
        let later = start + Undelivered::EVERY;
        assert_eq!(undelivered.due(later), Some(1_000));
        assert_eq!(undelivered.due(later + Duration::from_millis(1)), None);
        assert_eq!(
            undelivered.due(later + Undelivered::EVERY),
            Some(1),
            "the count starts again after each warning"
        );
    }
}
