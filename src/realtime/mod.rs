//! The real-time edge: Socket.IO v5 at `/socket.io/` (WebSocket and long-polling), so stock
//! `socket.io-client` and `python-socketio` connect unchanged.
//!
//! Each socket joins a room per user (`user:<id>`): every event for a user reaches all their
//! tabs and devices whether or not they joined a conversation room. Events come from the bus
//! ([`delivery`]); client requests go to the services ([`events`]).

mod ack;
mod connect;
mod delivery;
mod events;
pub mod origin;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use omegachat_contract::config::RealtimeConfig;
use socketioxide::SocketIo;
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use tokio::task::JoinHandle;

use crate::app::AppState;
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
    pub app: AppState,
    pub typing: Arc<TypingTimers>,
    pub typing_timeout: Duration,
}

/// The mounted endpoint: the tower layer, a handle for shutdown, and the delivery task.
pub struct Realtime {
    pub layer: SocketIoLayer,
    pub io: SocketIo,
    pub delivery: JoinHandle<()>,
}

/// Builds the Socket.IO endpoint over the application's services and starts delivering events.
pub fn build(app: AppState, config: &RealtimeConfig) -> Realtime {
    let state = RealtimeState {
        app: app.clone(),
        typing: Arc::new(TypingTimers::default()),
        typing_timeout: Duration::from_millis(config.typing_timeout_ms),
    };
    let max_message = config.max_message_bytes;
    let (layer, io) = SocketIo::builder()
        .ping_interval(Duration::from_millis(config.ping_interval_ms))
        .ping_timeout(Duration::from_millis(config.ping_timeout_ms))
        .connect_timeout(Duration::from_secs(10))
        // Polling bodies and WebSocket messages are bounded alike.
        .max_payload(max_message as u64)
        .ws_max_message_size(max_message)
        .ws_max_frame_size(max_message)
        // Small per-socket buffers keep memory per idle connection low (see BENCHMARKS.md).
        .ws_read_buffer_size(4 * 1024)
        .max_buffer_size(1024)
        .with_state(state)
        .build_layer();
    io.ns("/", connect::on_connect.with(connect::authenticate));
    let delivery = tokio::spawn(delivery::run(
        io.clone(),
        app.bus.subscribe(),
        Duration::from_millis(config.typing_timeout_ms),
    ));
    Realtime {
        layer,
        io,
        delivery,
    }
}
