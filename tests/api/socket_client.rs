//! A Socket.IO v5 client over one WebSocket (Engine.IO v4), small enough to read, for tests that
//! need the wire itself: acks by id, oversized frames, a client that stops answering pings.
//! The npm `socket.io-client` drives the daemon too (`tests/node`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// How long a test waits for an ack or an event before failing.
pub const WAIT: Duration = Duration::from_secs(5);

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// What the reader saw besides events and acks.
#[derive(Debug)]
pub enum Closed {
    /// The server closed the WebSocket (with its close code, if it sent a close frame).
    ByServer(#[allow(dead_code)] Option<u16>),
}

pub struct SocketClient {
    outgoing: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedReceiver<(String, Value)>,
    stash: VecDeque<(String, Value)>,
    acks: Acks,
    next_ack: AtomicU64,
    answer_pings: Arc<AtomicBool>,
    closed: Arc<Mutex<Option<Closed>>>,
}

impl std::fmt::Debug for SocketClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SocketClient")
    }
}

impl SocketClient {
    /// Connects and authenticates; `Err` carries the `connect_error` message.
    pub async fn connect(base: &str, token: Option<&str>) -> Result<SocketClient, String> {
        let url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            base.replace("http://", "ws://")
        );
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| format!("websocket: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        // Engine.IO open packet.
        let open = next_text(&mut stream).await?;
        assert!(open.starts_with('0'), "expected an open packet, got {open}");
        let auth = match token {
            Some(token) => json!({ "token": token }),
            None => json!({}),
        };
        sink.send(Message::text(format!("40{auth}")))
            .await
            .map_err(|e| e.to_string())?;
        let reply = loop {
            let packet = next_text(&mut stream).await?;
            if packet != "2" {
                break packet;
            }
            sink.send(Message::text("3"))
                .await
                .map_err(|e| e.to_string())?;
        };
        if let Some(error) = reply.strip_prefix("44") {
            let error: Value = serde_json::from_str(error).unwrap_or_default();
            return Err(error["message"]
                .as_str()
                .unwrap_or(error.to_string().as_str())
                .to_owned());
        }
        assert!(
            reply.starts_with("40"),
            "expected a CONNECT reply, got {reply}"
        );

        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let (events_tx, events) = mpsc::unbounded_channel();
        let acks: Acks = Arc::default();
        let answer_pings = Arc::new(AtomicBool::new(true));
        let closed = Arc::new(Mutex::new(None));
        let reader = Reader {
            outgoing: outgoing.clone(),
            events: events_tx,
            acks: acks.clone(),
            answer_pings: answer_pings.clone(),
            closed: closed.clone(),
        };
        tokio::spawn(reader.run(stream));
        Ok(SocketClient {
            outgoing,
            events,
            stash: VecDeque::new(),
            acks,
            next_ack: AtomicU64::new(1),
            answer_pings,
            closed,
        })
    }

    /// Sends a raw text frame (malformed packets, oversized frames).
    pub fn send_raw(&self, text: String) {
        let _ = self.outgoing.send(Message::text(text));
    }

    /// Emits an event and waits for its ack (the first ack argument).
    pub async fn call(&self, event: &str, data: Value) -> Value {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().await.insert(id, tx);
        let _ = self
            .outgoing
            .send(Message::text(format!("42{id}{}", json!([event, data]))));
        tokio::time::timeout(WAIT, rx)
            .await
            .unwrap_or_else(|_| panic!("no ack for {event}"))
            .expect("ack")
    }

    /// The next event called `name` (others are kept for later calls).
    pub async fn next(&mut self, name: &str) -> Value {
        if let Some(pos) = self.stash.iter().position(|(n, _)| n == name) {
            return self.stash.remove(pos).expect("present").1;
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (event, data) = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("no `{name}` event within {WAIT:?}; saw {:?}", self.stash)
                })
                .unwrap_or_else(|| panic!("connection closed while waiting for `{name}`"));
            if event == name {
                return data;
            }
            self.stash.push_back((event, data));
        }
    }

    /// Asserts no event called `name` arrives within `within`.
    pub async fn none(&mut self, name: &str, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some((event, data))) =
            tokio::time::timeout_at(deadline, self.events.recv()).await
        {
            assert_ne!(event, name, "unexpected `{name}`: {data}");
            self.stash.push_back((event, data));
        }
        assert!(
            !self.stash.iter().any(|(n, _)| n == name),
            "unexpected `{name}` in {:?}",
            self.stash
        );
    }

    /// Stops answering pings, like a peer whose network vanished.
    pub fn go_silent(&self) {
        self.answer_pings.store(false, Ordering::Relaxed);
    }

    /// Waits until the server closes the connection.
    pub async fn closed_by_server(&self, within: Duration) -> Closed {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(closed) = self.closed.lock().await.take() {
                return closed;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server did not close the connection within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Closes the socket (Socket.IO disconnect, then the WebSocket).
    pub fn close(self) {
        let _ = self.outgoing.send(Message::text("41"));
        let _ = self.outgoing.send(Message::Close(None));
    }
}

async fn next_text<S>(stream: &mut S) -> Result<String, String>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(WAIT, stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => return Err("connection closed".into()),
            Err(_) => return Err("timed out".into()),
        }
    }
}

struct Reader {
    outgoing: mpsc::UnboundedSender<Message>,
    events: mpsc::UnboundedSender<(String, Value)>,
    acks: Acks,
    answer_pings: Arc<AtomicBool>,
    closed: Arc<Mutex<Option<Closed>>>,
}

impl Reader {
    async fn run<S>(self, mut stream: S)
    where
        S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
    {
        let mut close_code = None;
        while let Some(frame) = stream.next().await {
            let text = match frame {
                Ok(Message::Text(text)) => text.to_string(),
                Ok(Message::Close(frame)) => {
                    close_code = frame.map(|f| u16::from(f.code));
                    break;
                }
                Ok(_) => continue,
                Err(_) => break,
            };
            if text == "2" {
                if self.answer_pings.load(Ordering::Relaxed) {
                    let _ = self.outgoing.send(Message::text("3"));
                }
            } else if let Some(rest) = text.strip_prefix("43") {
                let split = rest.find('[').unwrap_or(rest.len());
                let id: u64 = rest[..split].parse().unwrap_or_default();
                let args: Value = serde_json::from_str(&rest[split..]).unwrap_or_default();
                if let Some(tx) = self.acks.lock().await.remove(&id) {
                    let _ = tx.send(args.get(0).cloned().unwrap_or_default());
                }
            } else if let Some(rest) = text.strip_prefix("42") {
                let args: Value =
                    serde_json::from_str(&rest[rest.find('[').unwrap_or(0)..]).unwrap_or_default();
                let name = args[0].as_str().unwrap_or_default().to_owned();
                let _ = self
                    .events
                    .send((name, args.get(1).cloned().unwrap_or_default()));
            } else if text.starts_with("41") {
                break;
            }
        }
        *self.closed.lock().await = Some(Closed::ByServer(close_code));
    }
}
