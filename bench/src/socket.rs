//! One Socket.IO connection over WebSocket (Engine.IO 4), as browsers end up on: handshake with
//! the access token, ping answers, acks by id, `receive_message` callbacks.
//!
//! Every ack is accounted for: a call ends as acked, refused (`{"ok":false,…}`, with the error
//! code), timed out or closed, and an ack the connection did not expect (a second ack for one id,
//! an ack after its call gave up, an ack for an id never sent) is counted, not dropped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// One Socket.IO connection (WebSocket transport, as browsers end up on).
pub struct Conn {
    outgoing: mpsc::UnboundedSender<Message>,
    acks: Arc<Mutex<AckTable>>,
}

/// Called with each `receive_message` payload a connection gets.
pub type OnMessage = Arc<dyn Fn(&Value) + Send + Sync>;

/// How one call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `{"ok":true,…}`; `duplicate` is the server saying it had this `client_msg_id` already.
    Acked { duplicate: bool },
    /// `{"ok":false,"error":{"code":…}}`: the code (or the whole ack when it has none).
    Refused(String),
    /// No ack within the timeout.
    Timeout,
    /// The connection closed before the ack.
    Closed,
}

impl Outcome {
    fn from_ack(ack: &Value) -> Self {
        if ack["ok"] == true {
            Outcome::Acked {
                duplicate: ack["duplicate"] == true,
            }
        } else {
            let code = ack["error"]["code"].as_str().map(str::to_owned);
            Outcome::Refused(code.unwrap_or_else(|| {
                let mut text = ack.to_string();
                text.truncate(80);
                format!("unrecognised ack {text}")
            }))
        }
    }
}

/// Acks nobody was waiting for, per connection.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct AckAnomalies {
    /// A second ack for an id already answered.
    pub duplicates: u64,
    /// An ack that came after its call had timed out (that call counts as timed out).
    pub late: u64,
    /// An ack for an id this connection never sent.
    pub unknown: u64,
}

impl AckAnomalies {
    pub fn add(&mut self, other: AckAnomalies) {
        self.duplicates += other.duplicates;
        self.late += other.late;
        self.unknown += other.unknown;
    }
}

/// What to do with an incoming ack.
#[derive(Debug)]
enum Disposition<T> {
    Deliver(T),
    Late,
    Duplicate,
    Unknown,
}

/// Ack ids in flight, and what became of the others. Generic over the waiter so it is testable.
#[derive(Debug)]
struct AckTable<T = oneshot::Sender<Value>> {
    pending: HashMap<u64, T>,
    timed_out: HashSet<u64>,
    issued: u64,
    closed: bool,
    anomalies: AckAnomalies,
}

impl<T> Default for AckTable<T> {
    fn default() -> Self {
        Self {
            pending: HashMap::new(),
            timed_out: HashSet::new(),
            issued: 0,
            closed: false,
            anomalies: AckAnomalies::default(),
        }
    }
}

impl<T> AckTable<T> {
    /// A new ack id waited on by `waiter`, or `None` once the connection has closed.
    fn register(&mut self, waiter: T) -> Option<u64> {
        if self.closed {
            return None;
        }
        self.issued += 1;
        self.pending.insert(self.issued, waiter);
        Some(self.issued)
    }

    /// An ack for `id` arrived.
    fn resolve(&mut self, id: u64) -> Disposition<T> {
        if let Some(waiter) = self.pending.remove(&id) {
            Disposition::Deliver(waiter)
        } else if self.timed_out.remove(&id) {
            self.anomalies.late += 1;
            Disposition::Late
        } else if (1..=self.issued).contains(&id) {
            self.anomalies.duplicates += 1;
            Disposition::Duplicate
        } else {
            self.anomalies.unknown += 1;
            Disposition::Unknown
        }
    }

    /// The call for `id` stops waiting; false when its ack was resolved meanwhile.
    fn give_up(&mut self, id: u64) -> bool {
        let was_pending = self.pending.remove(&id).is_some();
        if was_pending {
            self.timed_out.insert(id);
        }
        was_pending
    }

    /// The connection is gone: every waiter is dropped (its call ends as closed).
    fn close(&mut self) {
        self.closed = true;
        self.pending.clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Conn {
    pub async fn open(url: &str, token: &str, on_message: Option<OnMessage>) -> Result<Conn> {
        let (mut ws, _) = tokio_tungstenite::connect_async(ws_url(url))
            .await
            .context("websocket connect")?;
        handshake(&mut ws, token).await?;
        let (mut sink, mut stream) = ws.split();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let acks: Arc<Mutex<AckTable>> = Arc::default();
        let (reader_acks, pong) = (acks.clone(), outgoing.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else { continue };
                let text = text.as_str();
                if text == "2" {
                    let _ = pong.send(Message::text("3"));
                } else if let Some(rest) = text.strip_prefix("43") {
                    let split = rest.find('[').unwrap_or(rest.len());
                    let id: u64 = rest[..split].parse().unwrap_or_default();
                    let args: Value = serde_json::from_str(&rest[split..]).unwrap_or_default();
                    // Sent under the lock, so a call that times out meanwhile sees it either
                    // still pending or already answered.
                    let mut table = lock(&reader_acks);
                    if let Disposition::Deliver(tx) = table.resolve(id) {
                        let _ = tx.send(args[0].clone());
                    }
                } else if let Some(rest) = text.strip_prefix("42[\"receive_message\",") {
                    if let Some(on_message) = &on_message {
                        let payload: Value =
                            serde_json::from_str(&rest[..rest.len() - 1]).unwrap_or_default();
                        on_message(&payload);
                    }
                }
            }
            lock(&reader_acks).close();
        });
        Ok(Conn { outgoing, acks })
    }

    /// Emits `event` with an ack id and waits at most `timeout` for the ack.
    pub async fn call(&self, event: &str, data: Value, timeout: Duration) -> Outcome {
        let (tx, mut rx) = oneshot::channel();
        let Some(id) = lock(&self.acks).register(tx) else {
            return Outcome::Closed;
        };
        let frame = Message::text(format!("42{id}{}", json!([event, data])));
        if self.outgoing.send(frame).is_err() {
            lock(&self.acks).give_up(id);
            return Outcome::Closed;
        }
        match tokio::time::timeout(timeout, &mut rx).await {
            Ok(Ok(ack)) => Outcome::from_ack(&ack),
            Ok(Err(_)) => Outcome::Closed,
            Err(_) => {
                if lock(&self.acks).give_up(id) {
                    return Outcome::Timeout;
                }
                // The ack was handed over just as the timeout fired.
                match rx.try_recv() {
                    Ok(ack) => Outcome::from_ack(&ack),
                    Err(_) => Outcome::Closed,
                }
            }
        }
    }

    /// Whether the connection is still up as far as this client knows: its reader has not seen
    /// the server close it (or an error), so it still answers pings.
    pub fn is_open(&self) -> bool {
        !lock(&self.acks).closed
    }

    /// Acks this connection got that no call was waiting for.
    pub fn ack_anomalies(&self) -> AckAnomalies {
        lock(&self.acks).anomalies
    }
}

/// The WebSocket address of a node's Socket.IO endpoint (Engine.IO 4, WebSocket from the start,
/// as `socket.io-client` with `transports: ["websocket"]`).
pub fn ws_url(url: &str) -> String {
    format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        url.replace("http://", "ws://")
    )
}

/// How a Socket.IO handshake failed, by stage (the churn scenario counts failures by kind).
#[derive(Debug)]
pub enum HandshakeError {
    /// The first packet was not the Engine.IO open packet.
    NoOpenPacket(String),
    /// The server answered the CONNECT with something other than a CONNECT (`44…`: refused).
    Refused(String),
    /// The connection closed during the handshake.
    Closed,
    /// No packet for 30 s.
    TimedOut,
    /// A WebSocket error (reset, protocol violation…).
    WebSocket(tokio_tungstenite::tungstenite::Error),
}

impl HandshakeError {
    /// A short name of the kind, for counting.
    pub fn kind(&self) -> &'static str {
        match self {
            HandshakeError::NoOpenPacket(_) => "no open packet",
            HandshakeError::Refused(_) => "connect refused",
            HandshakeError::Closed => "closed during handshake",
            HandshakeError::TimedOut => "handshake timed out",
            HandshakeError::WebSocket(_) => "websocket error during handshake",
        }
    }
}

impl std::fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HandshakeError::NoOpenPacket(p) => write!(f, "expected open packet, got {p}"),
            HandshakeError::Refused(p) => write!(f, "connect refused: {p}"),
            HandshakeError::Closed => f.write_str("connection closed"),
            HandshakeError::TimedOut => f.write_str("timed out"),
            HandshakeError::WebSocket(e) => write!(f, "websocket: {e}"),
        }
    }
}

impl std::error::Error for HandshakeError {}

impl From<tokio_tungstenite::tungstenite::Error> for HandshakeError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        HandshakeError::WebSocket(e)
    }
}

/// The handshake a browser does on a fresh WebSocket: the Engine.IO open packet, then a
/// Socket.IO CONNECT carrying the access token, answering pings, until the server confirms the
/// CONNECT (`40{"sid":…}`). The socket is connected once this returns.
pub async fn handshake<S>(ws: &mut WebSocketStream<S>, token: &str) -> Result<(), HandshakeError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let open = next_packet(ws).await?;
    if !open.starts_with('0') {
        return Err(HandshakeError::NoOpenPacket(open));
    }
    ws.send(Message::text(format!("40{}", json!({"token": token}))))
        .await?;
    let reply = loop {
        let packet = next_packet(ws).await?;
        if packet != "2" {
            break packet;
        }
        ws.send(Message::text("3")).await?;
    };
    if !reply.starts_with("40") {
        return Err(HandshakeError::Refused(reply));
    }
    Ok(())
}

async fn next_packet<S>(stream: &mut S) -> Result<String, HandshakeError>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => return Err(HandshakeError::Closed),
            Err(_) => return Err(HandshakeError::TimedOut),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_ack_for_one_id_is_a_duplicate() {
        let mut table = AckTable::<&str>::default();
        let id = table.register("first").unwrap();
        assert!(matches!(table.resolve(id), Disposition::Deliver("first")));
        assert!(matches!(table.resolve(id), Disposition::Duplicate));
        assert!(matches!(table.resolve(id), Disposition::Duplicate));
        assert_eq!(table.anomalies.duplicates, 2);
    }

    #[test]
    fn an_ack_after_the_timeout_is_late_once_then_duplicate() {
        let mut table = AckTable::<()>::default();
        let id = table.register(()).unwrap();
        assert!(table.give_up(id));
        assert!(matches!(table.resolve(id), Disposition::Late));
        assert!(matches!(table.resolve(id), Disposition::Duplicate));
        assert_eq!(
            table.anomalies,
            AckAnomalies {
                duplicates: 1,
                late: 1,
                unknown: 0
            }
        );
    }

    #[test]
    fn an_ack_for_an_id_never_sent_is_unknown() {
        let mut table = AckTable::<()>::default();
        table.register(()).unwrap();
        assert!(matches!(table.resolve(7), Disposition::Unknown));
        assert!(matches!(table.resolve(0), Disposition::Unknown));
        assert_eq!(table.anomalies.unknown, 2);
    }

    #[test]
    fn giving_up_on_an_answered_id_reports_the_race() {
        let mut table = AckTable::<()>::default();
        let id = table.register(()).unwrap();
        assert!(matches!(table.resolve(id), Disposition::Deliver(())));
        assert!(!table.give_up(id));
    }

    #[test]
    fn a_closed_table_drops_waiters_and_refuses_new_ids() {
        let mut table = AckTable::<()>::default();
        table.register(()).unwrap();
        table.close();
        assert!(table.pending.is_empty());
        assert_eq!(table.register(()), None);
    }

    /// A fake server on one end of an in-memory pipe: sends `script` (answering nothing) and
    /// returns the text frames the client sent.
    async fn fake_server(
        script: &'static [&'static str],
        token: &str,
    ) -> (Result<(), HandshakeError>, Vec<String>) {
        use tokio_tungstenite::tungstenite::protocol::Role;
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let mut server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
        let server = tokio::spawn(async move {
            let mut got = Vec::new();
            for packet in script {
                server.send(Message::text(*packet)).await.unwrap();
                if *packet == "2" || packet.starts_with('0') {
                    if let Some(Ok(Message::Text(t))) = server.next().await {
                        got.push(t.to_string());
                    }
                }
            }
            got
        });
        let result = handshake(&mut client, token).await;
        (result, server.await.unwrap())
    }

    #[tokio::test]
    async fn the_handshake_sends_the_token_answers_pings_and_waits_for_the_connect() {
        let (result, sent) =
            fake_server(&["0{\"sid\":\"a\"}", "2", "40{\"sid\":\"b\"}"], "tok").await;
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(sent, ["40{\"token\":\"tok\"}", "3"]);
    }

    #[tokio::test]
    async fn a_refused_connect_and_a_missing_open_packet_are_told_apart() {
        let (result, _) = fake_server(&["0{}", "44{\"message\":\"invalid token\"}"], "x").await;
        let e = result.unwrap_err();
        assert_eq!(e.kind(), "connect refused");
        assert!(e.to_string().contains("invalid token"), "{e}");
        let (result, _) = fake_server(&["40{}"], "x").await;
        assert_eq!(result.unwrap_err().kind(), "no open packet");
    }

    #[test]
    fn acks_are_classified() {
        let ok = json!({"ok": true, "message": {}, "duplicate": false});
        assert_eq!(Outcome::from_ack(&ok), Outcome::Acked { duplicate: false });
        let dup = json!({"ok": true, "duplicate": true});
        assert_eq!(Outcome::from_ack(&dup), Outcome::Acked { duplicate: true });
        let refused =
            json!({"ok": false, "error": {"code": "rate_limited", "message": "slow down"}});
        assert_eq!(
            Outcome::from_ack(&refused),
            Outcome::Refused("rate_limited".into())
        );
        assert!(
            matches!(Outcome::from_ack(&Value::Null), Outcome::Refused(s) if s.starts_with("unrecognised ack"))
        );
    }
}
