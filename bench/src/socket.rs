//! One Socket.IO connection over WebSocket (Engine.IO 4), as browsers end up on: handshake with
//! the access token, ping answers, acks by id, `receive_message` callbacks.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

type Acks = Arc<Mutex<HashMap<u64, oneshot::Sender<Value>>>>;

/// One Socket.IO connection (WebSocket transport, as browsers end up on).
pub struct Conn {
    outgoing: mpsc::UnboundedSender<Message>,
    acks: Acks,
    next_ack: AtomicU64,
}

/// Called with each `receive_message` payload a connection gets.
pub type OnMessage = Arc<dyn Fn(&Value) + Send + Sync>;

impl Conn {
    pub async fn open(url: &str, token: &str, on_message: Option<OnMessage>) -> Result<Conn> {
        let ws_url = format!(
            "{}/socket.io/?EIO=4&transport=websocket",
            url.replace("http://", "ws://")
        );
        let (ws, _) = tokio_tungstenite::connect_async(ws_url)
            .await
            .context("websocket connect")?;
        let (mut sink, mut stream) = ws.split();
        let open = next_text(&mut stream).await?;
        if !open.starts_with('0') {
            bail!("expected open packet, got {open}");
        }
        sink.send(Message::text(format!("40{}", json!({"token": token}))))
            .await?;
        let reply = loop {
            let packet = next_text(&mut stream).await?;
            if packet != "2" {
                break packet;
            }
            sink.send(Message::text("3")).await?;
        };
        if !reply.starts_with("40") {
            bail!("connect refused: {reply}");
        }
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Message>();
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        });
        let acks: Acks = Arc::default();
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
                    if let Some(tx) = reader_acks.lock().await.remove(&id) {
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
        });
        Ok(Conn {
            outgoing,
            acks,
            next_ack: AtomicU64::new(1),
        })
    }

    pub async fn call(&self, event: &str, data: Value) -> Result<Value> {
        let id = self.next_ack.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.acks.lock().await.insert(id, tx);
        self.outgoing
            .send(Message::text(format!("42{id}{}", json!([event, data]))))
            .map_err(|_| anyhow!("closed"))?;
        let ack = tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .context("ack timeout")??;
        if ack["ok"] != true {
            bail!("{event} refused: {ack}");
        }
        Ok(ack)
    }
}

async fn next_text<S>(stream: &mut S) -> Result<String>
where
    S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(30), stream.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Ok(text.to_string()),
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => return Err(e.into()),
            Ok(None) => bail!("connection closed"),
            Err(_) => bail!("timed out"),
        }
    }
}
