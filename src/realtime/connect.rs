//! Authenticating a socket, and what happens when one connects and disconnects.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use socketioxide::extract::{Extension, SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;

use super::revocations::{Mark, SinceMark};
use super::{RealtimeState, events, user_room};
use crate::bus::RevocationReason;
use crate::domain::{User, UserId};
use crate::server::ConnectionAuth;
use crate::service::{ServiceError, TokenRejection};

/// How long a handshake waits for its user's events to reach this node (scaled out: Redis
/// confirming the subscription to the user's channel) before it goes on without: if Redis is
/// that slow or away, this node re-checks every session it holds once its subscriptions are back.
const WATCH_BOUND: Duration = Duration::from_secs(1);

/// What an authenticated socket is: set once by [`authenticate`], as one shared extension, so
/// that a handler's `Extension<Arc<Session>>` costs a reference count rather than a copy of the
/// user, and an idle socket keeps one small extension map.
#[derive(Debug)]
pub struct Session {
    pub user: User,
    /// The key that signed the token the socket authenticated with.
    pub kid: String,
    /// Where the log of recent revocations stood when the socket's session was checked.
    mark: Mark,
    /// Whether the socket's departure (presence, typing) has been handled: by its disconnect
    /// handler, or by the shutdown, which closes transports in a way that runs no disconnect
    /// handler.
    departed: AtomicBool,
}

/// The handshake `auth` payload: `io(url, { auth: { token } })`.
#[derive(Debug, Deserialize)]
pub struct AuthPayload {
    token: Option<String>,
}

/// Why a socket was refused; its text reaches the client as the `connect_error` message.
#[derive(Debug)]
pub struct ConnectRefusal(String);

impl fmt::Display for ConnectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Connect middleware: the token in the handshake must be a valid access token.
pub async fn authenticate(
    socket: SocketRef,
    TryData(auth): TryData<AuthPayload>,
    State(state): State<RealtimeState>,
) -> Result<(), ConnectRefusal> {
    let token = auth
        .ok()
        .and_then(|a| a.token)
        .filter(|t| !t.trim().is_empty());
    let Some(token) = token else {
        return Err(ConnectRefusal(
            TokenRejection::Missing.socket_message().into(),
        ));
    };
    let accounts = &state.services.accounts;
    let refuse = |e: ServiceError| match e {
        ServiceError::Unauthenticated(rejection) => {
            ConnectRefusal(rejection.socket_message().into())
        }
        other => {
            tracing::error!(error = %other, "socket authentication failed");
            ConnectRefusal("the server could not check your token: try again shortly".into())
        }
    };
    let verified = accounts.verify_token(token.trim()).await.map_err(refuse)?;
    // Order matters: first make sure this node hears of any revocation of the user from now on
    // (the mark, the user's events reaching this node), then ask the stores whether one already
    // happened. A revocation is stored before it is published, so each one is either seen by
    // the check or heard of afterwards (see `revocations`).
    let mark = state.revocations.mark();
    let user_id = verified.user_id;
    if !state
        .services
        .bus
        .watch(user_id)
        .live_within(WATCH_BOUND)
        .await
    {
        tracing::debug!(%user_id, "the user's events do not reach this node yet; it re-checks its sessions once they do");
    }
    let user = match accounts.session_user(&verified).await {
        Ok(user) => user,
        Err(e) => {
            state.services.bus.unwatch(user_id);
            return Err(refuse(e));
        }
    };
    // The connection this socket arrived on stops counting as unauthenticated.
    if let Some(connection) = socket.req_parts().extensions.get::<ConnectionAuth>() {
        connection.authenticated();
    }
    // Everything a connected socket needs is set up here, before socketioxide sends the connect
    // ack: it runs the connect handler as a separate task after the ack, and a client that sends
    // at once (resending its pending messages after a restart) would otherwise meet a socket
    // without handlers and lose those events.
    socket.join(user_room(user.id));
    events::register(&socket);
    socket.on_disconnect(on_disconnect);
    // Counted before the ack too, so a disconnect can never be counted before its connect.
    if let Err(e) = state.services.presence.socket_opened(user.id).await {
        tracing::warn!(user_id = %user.id, error = %e, "could not announce presence");
    }
    // Balanced by `depart`: shutdown waits for that work.
    socket.extensions.insert(Arc::new(Session {
        user,
        kid: verified.kid,
        mark,
        departed: AtomicBool::new(false),
    }));
    state.drain.socket_opened();
    Ok(())
}

impl TokenRejection {
    /// The `connect_error` message for a refused handshake.
    fn socket_message(self) -> &'static str {
        match self {
            TokenRejection::Missing => {
                "authentication required: pass { auth: { token: <access_token> } }"
            }
            other => other.message(),
        }
    }
}

/// A socket passed authentication (and was fully set up by [`authenticate`]), and delivery can
/// reach it now: a revocation delivered while it could not ends it here.
pub async fn on_connect(
    socket: SocketRef,
    Extension(session): Extension<Arc<Session>>,
    State(state): State<RealtimeState>,
) {
    let Session {
        user, kid, mark, ..
    } = &*session;
    tracing::debug!(user_id = %user.id, sid = %socket.id, "socket connected");
    let ended = match state.revocations.since(*mark, user.id, kid) {
        SinceMark::Untouched => None,
        SinceMark::Ended(reason) => Some(reason),
        SinceMark::Unknown => session_ended(&state, user, kid).await,
    };
    if let Some(reason) = ended {
        tracing::info!(user_id = %user.id, reason = reason.as_str(), "closing a socket whose session ended during its handshake");
        socket
            .emit(
                "session_revoked",
                &serde_json::json!({ "reason": reason.as_str() }),
            )
            .ok();
        socket.disconnect().ok();
    }
}

/// Asks the stores whether this session ended (this node may have missed the revocation).
async fn session_ended(state: &RealtimeState, user: &User, kid: &str) -> Option<RevocationReason> {
    let session = [(user.id, user.token_version, kid)];
    match state.services.accounts.ended_sessions(&session).await {
        Ok(verdicts) => verdicts.into_iter().next().flatten(),
        Err(e) => {
            tracing::warn!(user_id = %user.id, error = %e, "could not re-check a new socket's session; it stays open");
            None
        }
    }
}

async fn on_disconnect(
    socket: SocketRef,
    reason: DisconnectReason,
    State(state): State<RealtimeState>,
) {
    tracing::debug!(sid = %socket.id, ?reason, "socket disconnected");
    depart(&state, &socket).await;
}

/// Records that an authenticated socket went away, once whoever notices first.
pub(super) async fn depart(state: &RealtimeState, socket: &SocketRef) {
    let Some(session) = socket.extensions.get::<Arc<Session>>() else {
        return;
    };
    if session.departed.swap(true, Ordering::AcqRel) {
        return;
    }
    went_away(state, session.user.id).await;
    state.drain.socket_done();
}

/// Presence and typing bookkeeping for a socket of `user` that went away.
async fn went_away(state: &RealtimeState, user: UserId) {
    // Scaled out, this node stops listening for the user's events with their last socket here.
    state.services.bus.unwatch(user);
    match state.services.presence.socket_closed(user).await {
        Ok(true) => {
            for conversation in state.typing.conversations_of(user) {
                if state.typing.stopped(user, conversation, None) {
                    let _ = state
                        .services
                        .conversations
                        .typing(user, conversation, false)
                        .await;
                }
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(user_id = %user, error = %e, "could not record going offline"),
    }
}
