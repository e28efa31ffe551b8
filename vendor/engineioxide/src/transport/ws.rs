//! The ws transport module is responsible for handling websocket connections
//! The only public function is [`new_req`] which is used to upgrade a http request to a websocket connection
//!
//! Other functions are used internally to handle the websocket connection through tasks and channels
//! and to handle upgrade from polling to ws

use std::sync::{Arc, OnceLock};

use futures_util::{
    SinkExt, StreamExt, TryStreamExt,
    stream::{SplitSink, SplitStream},
};
use http::{HeaderValue, Request, Response, StatusCode, request::Parts};
use smallvec::smallvec;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::{
    WebSocketStream,
    tungstenite::{
        self, Message,
        error::{CapacityError, ProtocolError},
        handshake::derive_accept_key,
        protocol::{CloseFrame, Role, WebSocketConfig, frame::coding::CloseCode},
    },
};
use tokio_util::future::FutureExt as _;

use engineioxide_core::{Packet, ProtocolVersion, Sid, Str, TransportType};

use crate::{
    DisconnectReason, Socket, body::ResponseBody, config::EngineIoConfig, engine::EngineIo,
    errors::Error, handler::EngineIoHandler, queue::Queued, socket::InternalRx,
    transport::make_open_packet,
};

use super::budget::{BudgetExceeded, PreConnectBudget};

/// The upgraded connection, on its pre-CONNECT byte budget.
type Budgeted<S> = PreConnectBudget<S>;

/// Create a response for websocket upgrade
fn ws_response<B>(ws_key: &HeaderValue) -> Response<ResponseBody<B>> {
    let derived = derive_accept_key(ws_key.as_bytes());
    let sec = derived.parse::<HeaderValue>().unwrap();
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(http::header::UPGRADE, HeaderValue::from_static("websocket"))
        .header(
            http::header::CONNECTION,
            HeaderValue::from_static("Upgrade"),
        )
        .header(http::header::SEC_WEBSOCKET_ACCEPT, sec)
        .body(ResponseBody::empty_response())
        .unwrap() // we are only using constants
}

/// Upgrade a websocket request to create a websocket connection.
///
/// If a sid is provided in the query it means that is is upgraded from an existing HTTP polling request.
/// In this case the http polling request is closed and the SID is kept for the websocket
pub fn new_req<R: Send + 'static, B, H: EngineIoHandler>(
    engine: Arc<EngineIo<H>>,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req: Request<R>,
) -> Result<Response<ResponseBody<B>>, Error> {
    let (parts, body) = req.into_parts();
    let req = Request::from_parts(parts.clone(), body);

    let ws_key = parts
        .headers
        .get("Sec-WebSocket-Key")
        .ok_or(Error::InvalidWebSocketKey)?
        .clone();

    // OmegaChat patch: the opening (the upgrade, the handshake, the request it came with) runs
    // in a task of its own, which ends once the connection is open and hands it to a smaller
    // task that reads it for the rest of its life. Upstream's single task was sized for the
    // opening, and held the request twice over: 3,040 bytes per idle socket, against under 1 KiB.
    tokio::spawn(async move {
        let conn = match hyper::upgrade::on(req).await {
            Ok(conn) => hyper_util::rt::TokioIo::new(conn),
            Err(_e) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("ws upgrade error: {}", _e);
                return;
            }
        };
        match open(&engine, conn, protocol, sid, parts).await {
            Ok((socket, tx, rx)) => {
                tokio::spawn(serve(engine, socket, tx, rx));
            }
            Err(Error::MultipleWebsocketRequests) => {}
            Err(_e) => {
                #[cfg(feature = "tracing")]
                tracing::debug!(?sid, "ws closed with error: {_e}");
                if let Some(sid) = sid {
                    engine.close_session(sid, DisconnectReason::TransportError);
                }
            }
        }
    });

    Ok(ws_response(&ws_key))
}

/// The halves of an opened connection's WebSocket.
type Sink<S> = SplitSink<WebSocketStream<Budgeted<S>>, Message>;
type Stream<S> = SplitStream<WebSocketStream<Budgeted<S>>>;

/// Handle a websocket connection upgrade
///
/// Sends an open packet if it is not an upgrade from a polling request
///
/// Read packets from the websocket and handle them, it will block until the connection is closed
pub async fn on_init<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (socket, tx, rx) = Box::pin(open(&engine, conn, protocol, sid, req_data)).await?;
    serve(engine, socket, tx, rx).await;
    Ok(())
}

/// Opens the session (or takes over a polling one) and splits the WebSocket.
async fn open<H: EngineIoHandler, S>(
    engine: &Arc<EngineIo<H>>,
    conn: S,
    protocol: ProtocolVersion,
    sid: Option<Sid>,
    req_data: Parts,
) -> Result<(Arc<Socket<H::Data>>, Sink<S>, Stream<S>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(engine.config.ws_read_buffer_size)
        .max_message_size(Some(engine.config.ws_max_message_size))
        .max_frame_size(Some(engine.config.ws_max_frame_size));

    // OmegaChat patch: the input is on a byte budget until the peer's Socket.IO CONNECT.
    let max_bytes = engine.config.pre_connect_max_bytes;
    let ws_init = move |lifted| {
        let conn = PreConnectBudget::new(conn, max_bytes, lifted);
        WebSocketStream::from_raw_socket(conn, Role::Server, Some(ws_config))
    };
    let opened = async {
        Ok::<_, Error>(if let Some(sid) = sid {
            match engine.get_socket(sid) {
                None => return Err(Error::UnknownSessionID(sid)),
                Some(socket) if socket.is_ws() => return Err(Error::MultipleWebsocketRequests),
                Some(socket) => {
                    let mut ws = ws_init(socket.connect_sent.clone()).await;

                    let upgrade_fut = upgrade_handshake::<H, Budgeted<S>>(&socket, &mut ws);
                    match tokio::time::timeout(engine.config.upgrade_timeout, upgrade_fut)
                        .with_cancellation_token(&socket.cancellation_token)
                        .await
                    {
                        Some(Ok(res)) => res?,
                        Some(Err(_)) => {
                            #[cfg(feature = "tracing")]
                            tracing::debug!(?sid, "ws upgrade timed out, closing session");
                            engine.close_session(socket.id, DisconnectReason::TransportError);
                            return Err(Error::Upgrade);
                        }
                        None => {
                            #[cfg(feature = "tracing")]
                            tracing::debug!(?sid, "socket is being closed");
                            return Err(Error::Upgrade);
                        }
                    }
                    (socket, ws)
                }
            }
        } else {
            let socket = engine.create_session(protocol, TransportType::Websocket, req_data, false);

            #[cfg(feature = "tracing")]
            tracing::debug!("new websocket connection");

            let mut ws = ws_init(socket.connect_sent.clone()).await;
            init_handshake(socket.id, &mut ws, &engine.config).await?;
            socket
                .clone()
                .spawn_heartbeat(engine.config.ping_interval, engine.config.ping_timeout);
            (socket, ws)
        })
    };
    let (socket, ws) = opened.await?;
    let (tx, rx) = ws.split();
    Ok((socket, tx, rx))
}

/// Runs an opened connection until it closes: a writer task forwards the session's packets to
/// the WebSocket while this future reads it.
async fn serve<H: EngineIoHandler, S>(
    engine: Arc<EngineIo<H>>,
    socket: Arc<Socket<H::Data>>,
    tx: Sink<S>,
    mut rx: Stream<S>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // OmegaChat patch: the reader decides how the connection ends (1009 for an oversized
    // message, RFC 6455 §7.4.1) but the writer task owns the sink, so the code is handed over.
    let close_frame = Arc::new(OnceLock::new());

    // Pipe between websocket and internal socket channel.
    let writer = tokio::spawn(forward_to_socket::<H, Budgeted<S>>(
        socket.clone(),
        tx,
        close_frame.clone(),
    ));

    // pipe between internal socket channel and websocket
    let outcome = forward_to_handler(&engine, &mut rx, &socket)
        .with_cancellation_token(&socket.cancellation_token)
        .await;
    match outcome {
        Some(Err(ref e)) => {
            let owed = owed_close_frame(e);
            let linger = owed.is_some();
            if let Some(frame) = owed {
                close_frame.set(frame).ok();
            }
            let reason =
                Option::<DisconnectReason>::from(e).unwrap_or(DisconnectReason::TransportError);

            #[cfg(feature = "tracing")]
            tracing::debug!("error when handling packet: {:?}", e);
            engine.close_session(socket.id, reason);
            if linger {
                // Boxed, like the writer's grace below: once per connection, at its end.
                Box::pin(linger_after_close(writer, rx)).await;
                return;
            }
        }
        Some(Ok(())) => {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = %socket.id, "ws transport was closed");
            engine.close_session(socket.id, DisconnectReason::TransportClose);
        }
        None => {
            #[cfg(feature = "tracing")]
            tracing::debug!(sid = %socket.id, "socket is closing");
        }
    }
    stop_writer(writer).await;
}

/// OmegaChat patch: how long a closed session's writer may go on flushing what is queued and
/// sending the close frame. A client that stopped reading but keeps its TCP connection (a
/// frozen tab) holds the window shut: without a limit the writer, its queued packets and the
/// connection would stay for as long as the client does.
const WRITER_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits for the writer of a closed session for at most [`WRITER_GRACE`], then drops it (and
/// with it the connection); gives back the sink if the writer finished in time.
async fn stop_writer<S>(
    mut writer: tokio::task::JoinHandle<Option<SplitSink<WebSocketStream<S>, Message>>>,
) -> Option<SplitSink<WebSocketStream<S>, Message>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Boxed: the timer is needed once per connection, at its end, and must not grow the
    // connection task that every idle socket keeps.
    match Box::pin(tokio::time::timeout(WRITER_GRACE, &mut writer)).await {
        Ok(done) => done.ok().flatten(),
        Err(_) => {
            #[cfg(feature = "tracing")]
            tracing::debug!("the writer of a closed session did not finish in time; dropping it");
            writer.abort();
            None
        }
    }
}

/// Forwards all packets received from a websocket to a EngineIo [`Socket`]
async fn forward_to_handler<H: EngineIoHandler, S>(
    engine: &Arc<EngineIo<H>>,
    rx: &mut SplitStream<WebSocketStream<S>>,
    socket: &Arc<Socket<H::Data>>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    while let Some(msg) = rx.try_next().await? {
        match msg {
            Message::Text(msg) => match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
                Packet::Close => {
                    #[cfg(feature = "tracing")]
                    tracing::debug!("[sid={}] closing session", socket.id);
                    engine.close_session(socket.id, DisconnectReason::TransportClose);
                    break;
                }
                Packet::Pong | Packet::Ping => {
                    // A permit already stored means that the client is already known to be alive.
                    socket.heartbeat.notify_one();
                    Ok::<(), Error>(())
                }
                Packet::Message(msg) => {
                    socket.note_incoming_message(&msg);
                    engine.handler.on_message(msg, socket.clone());
                    Ok(())
                }
                p => return Err(Error::BadPacket(p)),
            },
            Message::Binary(mut data) => {
                if socket.protocol == ProtocolVersion::V3 && !data.is_empty() {
                    // The first byte is the message type, which we don't need.
                    data = data.split_off(1);
                }
                engine.handler.on_binary(data, socket.clone());
                Ok(())
            }
            Message::Close(_) => {
                #[cfg(feature = "tracing")]
                tracing::debug!("websocket closed, closing session");
                engine.close_session(socket.id, DisconnectReason::TransportClose);
                break;
            }
            _ => {
                #[cfg(feature = "tracing")]
                tracing::debug!(sid = ?socket.id, "unexpected ws message");
                Ok(())
            }
        }?
    }
    Ok(())
}

/// Forwards all packets waiting to be sent to the websocket
///
/// The websocket stream is flushed only when the internal channel is drained
///
/// OmegaChat patch: one place feeds packets to the sink ([`feed_packets`]) and the lock is
/// taken in a box. Upstream's loop fed the sink from three copies of a macro, each with its own
/// packet iterator and send future in the task's state: 1,536 bytes per idle socket.
async fn forward_to_socket<H: EngineIoHandler, S>(
    socket: Arc<Socket<H::Data>>,
    mut tx: SplitSink<WebSocketStream<S>, Message>,
    close_frame: Arc<OnceLock<CloseFrame>>,
) -> Option<SplitSink<WebSocketStream<S>, Message>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // A polling request that was in progress during the upgrade may still hold the lock.
    let locked = Box::pin(
        socket
            .internal_rx
            .lock()
            .with_cancellation_token(&socket.cancellation_token),
    )
    .await;
    let Some(mut internal_rx) = locked else {
        #[cfg(feature = "tracing")]
        tracing::debug!(sid = %socket.id, "session closed before starting the ws writer");
        return None;
    };
    let InternalRx {
        buffered_rx,
        volatile_rx,
        ..
    } = &mut *internal_rx;

    // Forward buffered packets until the channel is closed or the session is cancelled.
    let mut unflushed = false;
    // OmegaChat patch: before writing, the writer steps aside once, so that tasks already woken
    // can add their packets to the same write. A sender's ack and the delivery of its own
    // message to it are queued by two tasks microseconds apart, and the writer, woken by the
    // first, used to run in between: two system calls (and two wake-ups of the client) per
    // message instead of one.
    let mut stepped_aside = false;
    loop {
        let packets = match buffered_rx.try_recv() {
            Ok(packets) => packets,
            Err(_) if unflushed && !stepped_aside => {
                stepped_aside = true;
                tokio::task::yield_now().await;
                continue;
            }
            Err(_) => {
                stepped_aside = false;
                if unflushed {
                    #[cfg(feature = "tracing")]
                    tracing::trace!(sid = %socket.id, "ws flush");
                    tx.flush().await.ok();
                    unflushed = false;
                }
                tokio::select! {
                    biased;
                    items = buffered_rx.recv() => match items {
                        Some(packets) => packets,
                        None => break,
                    },
                    _ = socket.cancellation_token.cancelled() => break,
                    Ok(()) = volatile_rx.changed() => {
                        let val = volatile_rx.borrow_and_update().clone();
                        match val {
                            Some(packets) => packets,
                            None => continue,
                        }
                    },
                }
            }
        };
        feed_packets(&mut tx, packets, socket.protocol).await;
        unflushed = true;
    }

    #[cfg(feature = "tracing")]
    tracing::trace!(sid = %socket.id, "ws closing flush");

    tx.flush().await.ok();
    if let Some(frame) = close_frame.get() {
        tx.send(Message::Close(Some(frame.clone()))).await.ok();
    }
    tx.close().await.ok();
    Some(tx)
}

/// Feeds a batch of packets to the sink, unflushed.
async fn feed_packets<S>(
    tx: &mut SplitSink<WebSocketStream<S>, Message>,
    packets: Queued,
    protocol: ProtocolVersion,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // OmegaChat patch: a message's text is built once for all the sockets it was queued to.
    if let Some(text) = packets.message_text() {
        if let Err(_e) = tx.feed(Message::Text(text)).await {
            #[cfg(feature = "tracing")]
            tracing::debug!("error sending packet: {}", _e);
        }
        return;
    }
    for item in packets.into_packets() {
        let msg = match item {
            Packet::Binary(bin) | Packet::BinaryV3(bin) => {
                if protocol == ProtocolVersion::V3 {
                    // v3 protocol requires packet type as the first byte.
                    // This requires a new buffer. This is OK as it is only for the V3 protocol.
                    let mut buff = Vec::with_capacity(bin.len() + 1);
                    buff.push(0x04);
                    buff.extend(bin);
                    Message::Binary(buff.into())
                } else {
                    Message::Binary(bin)
                }
            }
            // A Noop Packet maybe sent by the server to upgrade from a polling connection
            // In the case that the packet was not poll in time it will remain in the buffer and therefore
            // it should be discarded here
            Packet::Noop => continue,
            item => {
                let packet: String = item.try_into().unwrap();
                Message::Text(packet.into())
            }
        };
        if let Err(_e) = tx.feed(msg).await {
            #[cfg(feature = "tracing")]
            tracing::debug!("error sending packet: {}", _e);
        }
    }
}

/// How long an oversized message's sender gets to read the close frame.
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// After a capacity error the rest of the oversized message is still arriving; closing the TCP
/// socket with unread input makes the kernel answer with a reset, which can destroy the close
/// frame before the client reads it. So the raw input is read and discarded until the client
/// closes (or `LINGER` passes) — RFC 6455's closing handshake, done at the byte level because
/// the frame parser cannot resynchronise after the error.
async fn linger_after_close<S>(
    writer: tokio::task::JoinHandle<Option<SplitSink<WebSocketStream<S>, Message>>>,
    rx: SplitStream<WebSocketStream<S>>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use tokio::io::AsyncReadExt;
    let Some(tx) = stop_writer(writer).await else {
        return;
    };
    let Ok(mut ws) = rx.reunite(tx) else {
        return;
    };
    let raw = ws.get_mut();
    let mut buf = vec![0u8; 16 * 1024];
    let drain = async {
        while let Ok(n) = raw.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(LINGER, drain).await.ok();
}

/// The close frame owed to a peer whose input broke the rules (RFC 6455 §7.4.1): 1009 for a
/// frame or message over the configured limits (or input past the pre-CONNECT budget), 1002 for
/// a protocol violation such as an unmasked client frame, 1007 for a text message that is not
/// UTF-8.
fn owed_close_frame(err: &Error) -> Option<CloseFrame> {
    let Error::WsTransport(err) = err else {
        return None;
    };
    let (code, reason) = match &**err {
        tungstenite::Error::Capacity(CapacityError::MessageTooLong { max_size, .. }) => (
            CloseCode::Size,
            format!("message larger than {max_size} bytes"),
        ),
        tungstenite::Error::Capacity(_) => (CloseCode::Size, "frame too large".to_owned()),
        tungstenite::Error::Io(io) => match io
            .get_ref()
            .and_then(|e| e.downcast_ref::<BudgetExceeded>())
        {
            Some(budget) => (CloseCode::Size, budget.to_string()),
            None => return None,
        },
        // A peer that vanished (or already closed) is owed nothing: there is no one to read it.
        tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => return None,
        tungstenite::Error::Protocol(e) => (CloseCode::Protocol, e.to_string()),
        tungstenite::Error::Utf8(_) => (
            CloseCode::Invalid,
            "text message is not valid UTF-8".to_owned(),
        ),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
}
/// Send a Engine.IO [`OpenPacket`] to initiate a websocket connection
async fn init_handshake<S>(
    sid: Sid,
    ws: &mut WebSocketStream<S>,
    config: &EngineIoConfig,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let packet = Packet::Open(make_open_packet(TransportType::Websocket, sid, config));
    let packet: String = packet.into();
    ws.send(Message::Text(packet.into())).await?;
    Ok(())
}

/// Upgrade a session from a polling request to a websocket request.
///
/// Before upgrading the session the server should send a NOOP packet to any pending polling request.
///
/// ## Handshake :
/// ```text
/// CLIENT                                                 SERVER
///│                                                      │
///│   GET /engine.io/?EIO=4&transport=websocket&sid=...  │
///│ ───────────────────────────────────────────────────► │
///│  ◄─────────────────────────────────────────────────┘ │
///│            HTTP 101 (WebSocket handshake)            │
///│                                                      │
///│            -----  WebSocket frames -----             │
///│  ─────────────────────────────────────────────────►  │
///│                         2probe                       │ (ping packet)
///│  ◄─────────────────────────────────────────────────  │
///│                         3probe                       │ (pong packet)
///│  ─────────────────────────────────────────────────►  │
///│                         5                            │ (upgrade packet)
///│                                                      │
///│            -----  WebSocket frames -----             │
/// ```
#[cfg_attr(
    feature = "tracing",
    tracing::instrument(level = "trace", skip(socket, ws))
)]
async fn upgrade_handshake<H: EngineIoHandler, S>(
    socket: &Arc<Socket<H::Data>>,
    ws: &mut WebSocketStream<S>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    #[cfg(feature = "tracing")]
    tracing::debug!("starting websocket connection upgrade");

    // The socket is upgrading, from now on all polling
    // request will return a `Packet::Noop`
    socket.start_upgrade();

    // We send a last Noop request to close a potential waiting polling request.
    socket
        .internal_tx
        .send(Queued::new(smallvec![Packet::Noop]))
        .await
        .map_err(|_| Error::Upgrade)?;

    // wait for any current polling connection to finish by waiting for the socket to be unlocked
    // All other polling connection will be immediately closed with a NOOP packet.
    let _lock = socket.internal_rx.lock().await;

    // Fetch the next packet from the ws stream, it should be a PingUpgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        _ => Err(Error::Upgrade)?,
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::PingUpgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("received first ping upgrade");
            // Respond with a PongUpgrade packet
            ws.send(Message::Text(String::from(Packet::PongUpgrade).into()))
                .await?;
        }
        p => Err(Error::BadPacket(p))?,
    };

    // Fetch the next packet from the ws stream, it should be an Upgrade packet
    let msg = match ws.next().await {
        Some(Ok(Message::Text(d))) => d,
        Some(Ok(Message::Close(_))) => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws stream closed before upgrade");
            Err(Error::Upgrade)?
        }
        _ => {
            #[cfg(feature = "tracing")]
            tracing::debug!("unexpected ws message before upgrade");
            Err(Error::Upgrade)?
        }
    };
    match Packet::parse(socket.protocol, ws_bytes_to_str(msg))? {
        Packet::Upgrade => {
            #[cfg(feature = "tracing")]
            tracing::debug!("ws upgraded successfully")
        }
        p => Err(Error::BadPacket(p))?,
    };

    socket.upgrade_to_websocket();
    Ok(())
}

fn ws_bytes_to_str(bytes: tungstenite::Utf8Bytes) -> Str {
    // SAFETY: the bytes are guaranteed to be valid UTF-8 by the tungstenite parser
    unsafe { Str::from_bytes_unchecked(bytes.into()) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use futures_util::StreamExt;
    use http::Request;
    use tokio::io::DuplexStream;

    use super::*;

    const TIMEOUT: Duration = Duration::from_secs(1);

    #[derive(Debug)]
    struct StubHandler;
    impl EngineIoHandler for StubHandler {
        type Data = ();
        fn on_connect(self: Arc<Self>, _: Arc<Socket<()>>) {}
        fn on_disconnect(&self, _: Arc<Socket<()>>, _: DisconnectReason) {}
        fn on_message(self: &Arc<Self>, _: Str, _: Arc<Socket<()>>) {}
        fn on_binary(self: &Arc<Self>, _: Bytes, _: Arc<Socket<()>>) {}
    }

    fn socket() -> Arc<Socket<()>> {
        Arc::new(Socket::new(
            ProtocolVersion::V4,
            TransportType::Websocket,
            &EngineIoConfig::default(),
            Request::<()>::default().into_parts().0,
            Box::new(|_, _| ()),
            false,
        ))
    }

    async fn ws_pair() -> (WebSocketStream<DuplexStream>, WebSocketStream<DuplexStream>) {
        let (server, client) = tokio::io::duplex(1024);
        (
            WebSocketStream::from_raw_socket(server, Role::Server, None).await,
            WebSocketStream::from_raw_socket(client, Role::Client, None).await,
        )
    }

    /// A polling request can still hold the lock at the end of an upgrade.
    #[tokio::test]
    async fn writer_waits_for_the_lock_of_a_polling_request() {
        let socket = socket();
        let (server, mut client) = ws_pair().await;
        let (tx, _rx) = server.split();

        let polling = socket.internal_rx.lock().await;
        let writer = tokio::spawn(forward_to_socket::<StubHandler, _>(
            socket.clone(),
            tx,
            Arc::new(OnceLock::new()),
        ));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!writer.is_finished(), "the writer should wait for the lock");

        drop(polling);
        socket.emit(Str::from("hello")).unwrap();
        let msg = tokio::time::timeout(TIMEOUT, client.next())
            .await
            .expect("the writer should send the packet")
            .unwrap()
            .unwrap();
        assert_eq!(msg, Message::text("4hello"));
    }

    #[tokio::test]
    async fn writer_waiting_for_the_lock_stops_with_the_session() {
        let socket = socket();
        let (server, _client) = ws_pair().await;
        let (tx, _rx) = server.split();

        let _polling = socket.internal_rx.lock().await;
        let writer = tokio::spawn(forward_to_socket::<StubHandler, _>(
            socket.clone(),
            tx,
            Arc::new(OnceLock::new()),
        ));
        tokio::time::sleep(Duration::from_millis(20)).await;

        socket.cancellation_token.cancel();
        tokio::time::timeout(TIMEOUT, writer)
            .await
            .expect("the writer should stop")
            .unwrap();
    }
}
