//! The real-time edge: Socket.IO v5 at `/socket.io/` (WebSocket and long-polling), so stock
//! `socket.io-client` and `python-socketio` connect unchanged.
//!
//! Each socket joins a room per user (`user:<id>`): every event for a user reaches all their
//! tabs and devices whether or not they joined a conversation room. Events come from the bus
//! ([`delivery`]); client requests go to the services ([`events`]).

mod ack;
mod connect;
mod delivery;
pub mod detach;
pub mod drain;
mod events;
pub mod origin;
mod revocations;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::config::RealtimeConfig;
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::{ParserConfig, SocketIo, SocketIoBuilder};
use tokio::task::JoinHandle;

use crate::service::Services;
use crate::service::system::RoomCount;
use typing::TypingTimers;

/// The room every socket of one user joins.
pub fn user_room(user: crate::domain::UserId) -> String {
    format!("user:{user}")
}

/// The room of sockets that `join_room`ed a conversation.
pub fn conversation_room(id: crate::domain::ConversationId) -> String {
    format!("conversation:{id}")
}

/// What the real-time handlers share besides the services.
#[derive(Clone)]
pub struct RealtimeState {
    pub services: Services,
    pub typing: Arc<TypingTimers>,
    pub typing_timeout: Duration,
    pub drain: Arc<drain::Drain>,
    /// What delivery revoked lately, for sockets still in their handshake.
    pub revocations: Arc<revocations::RecentRevocations>,
}

/// The mounted endpoint: the tower layer, a handle for shutdown, and the delivery task.
pub struct Realtime {
    pub layer: SocketIoLayer,
    pub io: SocketIo,
    pub delivery: JoinHandle<()>,
    pub drain: Arc<drain::Drain>,
    state: RealtimeState,
}

/// Counts this node's Socket.IO rooms for the status report.
pub struct Rooms(SocketIo);

#[async_trait::async_trait]
impl RoomCount for Rooms {
    async fn rooms(&self) -> usize {
        self.0.rooms().await.map_or(0, |rooms| rooms.len())
    }
}

/// At shutdown, how long no request may have arrived before the sockets are closed.
const QUIET_BEFORE_CLOSE: Duration = Duration::from_millis(50);

/// Departures recorded concurrently at shutdown (each a few database statements).
const DEPARTURES_AT_ONCE: usize = 16;

impl Realtime {
    /// What counts this endpoint's rooms.
    pub fn rooms(&self) -> Rooms {
        Rooms(self.io.clone())
    }

    /// Shutdown: refuses new socket requests, lets those in progress finish (stored and
    /// acknowledged) until `deadline`, then closes every socket and waits for their disconnect
    /// handling (presence, last seen), which needs the stores.
    pub async fn shut_down(&self, deadline: tokio::time::Instant) {
        if !self.drain.finish(deadline).await {
            tracing::warn!(
                in_flight = self.drain.in_flight(),
                "socket requests still running after server.shutdown_grace_ms; closing the sockets anyway"
            );
        }
        self.drain.quiet_for(QUIET_BEFORE_CLOSE, deadline).await;
        let sockets = self.io.sockets();
        self.io.close().await;
        // Closing the server's transports runs no disconnect handler (socketioxide forgets its
        // namespaces first): their departures are recorded here, a few at a time.
        let mut departing = tokio::task::JoinSet::new();
        for socket in sockets {
            while departing.len() >= DEPARTURES_AT_ONCE {
                departing.join_next().await;
            }
            let state = self.state.clone();
            departing.spawn(async move { connect::depart(&state, &socket).await });
        }
        let _ = tokio::time::timeout_at(deadline, departing.join_all()).await;
        if !self.drain.sockets_closed(deadline).await {
            tracing::warn!(
                "sockets still being disconnected after server.shutdown_grace_ms; stopping anyway"
            );
        }
    }
}

/// The Socket.IO/Engine.IO settings of the real-time endpoint: heartbeat, size limits, buffers
/// and what the parser accepts. The protocol conformance tests build their reference server from
/// the same settings, so what they check is what the daemon runs. Before its Socket.IO CONNECT
/// (which carries a token of a few hundred bytes) a connection may send 8 KiB in all: the
/// patched engine's `pre_connect_max_bytes`, which socketioxide's builder leaves at its default.
pub fn engine_settings(config: &RealtimeConfig) -> SocketIoBuilder {
    let max_message = config.max_message_bytes;
    // OmegaChat has no binary events: a packet announcing attachments is refused before a byte
    // of them is buffered (a client could otherwise park attachments of up to 10 MB per socket).
    let parser = ParserConfig::common()
        .max_incoming_binaries(0)
        .max_incoming_binary_buf_size(0);
    SocketIo::builder()
        .ping_interval(Duration::from_millis(config.ping_interval_ms))
        .ping_timeout(Duration::from_millis(config.ping_timeout_ms))
        .connect_timeout(Duration::from_secs(10))
        .with_parser(parser)
        // Polling bodies and WebSocket messages are bounded alike.
        .max_payload(max_message as u64)
        .ws_max_message_size(max_message)
        .ws_max_frame_size(max_message)
        // Small per-socket buffers keep memory per idle connection low (BENCHMARKS.md): the read
        // buffer is allocated up front and kept while a socket idles; chat messages are mostly
        // well under 1 KiB, and a larger one only takes more reads, never more than the limit.
        .ws_read_buffer_size(1024)
        .max_buffer_size(1024)
}

/// Builds the Socket.IO endpoint over the application's services and starts delivering events.
pub fn build(services: Services, config: &RealtimeConfig) -> Realtime {
    let state = RealtimeState {
        services: services.clone(),
        typing: Arc::new(TypingTimers::default()),
        typing_timeout: Duration::from_millis(config.typing_timeout_ms),
        drain: Arc::new(drain::Drain::default()),
        revocations: Arc::new(revocations::RecentRevocations::default()),
    };
    let drain = state.drain.clone();
    let (layer, io) = engine_settings(config)
        .with_state(state.clone())
        .build_layer();
    io.ns("/", connect::on_connect.with(connect::authenticate));
    let delivery = tokio::spawn(delivery::run(
        io.clone(),
        services.bus.subscribe(),
        Duration::from_millis(config.typing_timeout_ms),
        services.accounts.clone(),
        state.revocations.clone(),
    ));
    Realtime {
        layer,
        io,
        delivery,
        drain,
        state,
    }
}
