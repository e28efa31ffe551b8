//! Authenticating a socket, and what happens when one connects and disconnects.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Deserialize;
use socketioxide::extract::{Extension, SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;

use super::{RealtimeState, events, user_room};
use crate::domain::{User, UserId};
use crate::server::ConnectionAuth;
use crate::service::{ServiceError, TokenRejection};

/// Whether a socket's departure (presence, typing) has been handled: by its disconnect handler,
/// or by the shutdown, which closes transports in a way that runs no disconnect handler.
#[derive(Debug, Clone, Default)]
pub struct Departure(Arc<AtomicBool>);

/// The key that signed the token a socket authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyId(pub String);

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
    match state
        .services
        .accounts
        .authenticate_session(token.trim())
        .await
    {
        Ok((user, kid)) => {
            // The connection this socket arrived on stops counting as unauthenticated.
            if let Some(connection) = socket.req_parts().extensions.get::<ConnectionAuth>() {
                connection.authenticated();
            }
            // Everything a connected socket needs is set up here, before socketioxide sends the
            // connect ack: it runs the connect handler as a separate task after the ack, and a
            // client that sends at once (resending its pending messages after a restart) would
            // otherwise meet a socket without handlers and lose those events.
            socket.join(user_room(user.id));
            events::register(&socket);
            socket.on_disconnect(on_disconnect);
            // Counted before the ack too, so a disconnect can never be counted before its connect.
            if let Err(e) = state.services.presence.socket_opened(user.id).await {
                tracing::warn!(user_id = %user.id, error = %e, "could not announce presence");
            }
            socket.extensions.insert(user);
            socket.extensions.insert(SigningKeyId(kid));
            // Balanced by `depart`: shutdown waits for that work.
            socket.extensions.insert(Departure::default());
            state.drain.socket_opened();
            Ok(())
        }
        Err(ServiceError::Unauthenticated(rejection)) => {
            Err(ConnectRefusal(rejection.socket_message().into()))
        }
        Err(other) => {
            tracing::error!(error = %other, "socket authentication failed");
            Err(ConnectRefusal(
                "the server could not check your token: try again shortly".into(),
            ))
        }
    }
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

/// A socket passed authentication (and was fully set up by [`authenticate`]).
pub async fn on_connect(socket: SocketRef, Extension(user): Extension<User>) {
    tracing::debug!(user_id = %user.id, sid = %socket.id, "socket connected");
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
    let (Some(user), Some(departure)) = (
        socket.extensions.get::<User>(),
        socket.extensions.get::<Departure>(),
    ) else {
        return;
    };
    if departure.0.swap(true, Ordering::AcqRel) {
        return;
    }
    went_away(state, user.id).await;
    state.drain.socket_done();
}

/// Presence and typing bookkeeping for a socket of `user` that went away.
async fn went_away(state: &RealtimeState, user: UserId) {
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
