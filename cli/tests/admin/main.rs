//! omegactl against a real omegachatd: every command, its `--json` answer, exit statuses, and
//! what the change does to users of the public API and the real-time socket.

#[path = "../support/mod.rs"]
mod support;

mod access;
mod data;
mod keys;
mod locate;
mod prompts;
mod system;
mod users;

use std::os::unix::fs::MetadataExt;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

pub const PASSWORD: &str = "correct horse battery";

pub fn nix_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// Connects a Socket.IO client (Engine.IO v4 over WebSocket) authenticated with `token`.
pub async fn live_socket(
    base: &str,
    token: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        base.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let open = ws.next().await.unwrap().unwrap();
    assert!(open.to_text().unwrap().starts_with('0'), "{open:?}");
    ws.send(Message::text(format!("40{}", json!({ "token": token }))))
        .await
        .unwrap();
    loop {
        let packet = ws.next().await.unwrap().unwrap();
        match packet.to_text().unwrap() {
            // A ping may come first; answering keeps the session alive.
            "2" => ws.send(Message::text("3")).await.unwrap(),
            text if text.starts_with("40") => return ws,
            other => panic!("unexpected packet before the connect ack: {other}"),
        }
    }
}

/// Waits for the server to end the Socket.IO session (`41`, a close frame or the end of the stream)
/// and returns the events it sent first.
pub async fn closed_by_server(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match ws.next().await {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return seen,
            Some(Ok(Message::Text(text))) if text.as_str() == "41" => return seen,
            Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                ws.send(Message::text("3")).await.unwrap();
            }
            Some(Ok(Message::Text(text))) => seen.push(text.to_string()),
            Some(Ok(_)) => {}
        }
    }
}
