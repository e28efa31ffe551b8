//! The real-time endpoint against clients that break the rules: Engine.IO timing, binary
//! packets, oversized input before authenticating, malformed frames, oversized requests, and
//! what a shutdown does to the requests in progress.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Engine, TestApp, history, spawn_app, spawn_app_with};

const SOON: Duration = Duration::from_secs(5);

/// A WebSocket spoken byte by byte, for frames no well-behaved client library would send.
struct RawWs {
    stream: TcpStream,
    pending: Vec<u8>,
}

/// A frame from the server: opcode and payload.
#[derive(Debug)]
struct Frame {
    opcode: u8,
    payload: Vec<u8>,
}

impl Frame {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }

    /// The close code of a close frame (`None` for a close frame without one).
    fn close_code(&self) -> Option<u16> {
        assert_eq!(self.opcode, 8, "expected a close frame, got {self:?}");
        (self.payload.len() >= 2).then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

impl RawWs {
    async fn connect(app: &TestApp) -> RawWs {
        let addr = app.base.trim_start_matches("http://");
        RawWs::upgrade(TcpStream::connect(addr).await.unwrap()).await
    }

    /// Connects with a small receive buffer, so a client that stops reading backs the server
    /// up after little data.
    async fn connect_with_small_window(app: &TestApp) -> RawWs {
        let addr = app.base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        RawWs::upgrade(socket.connect(addr).await.unwrap()).await
    }

    async fn upgrade(mut stream: TcpStream) -> RawWs {
        stream
            .write_all(
                b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: test\r\n\
                  Upgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            )
            .await
            .unwrap();
        let mut ws = RawWs {
            stream,
            pending: Vec::new(),
        };
        let head_end = loop {
            if let Some(end) = ws.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            ws.fill().await.expect("upgrade response");
        };
        let head = String::from_utf8_lossy(&ws.pending[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        ws.pending.drain(..head_end);
        ws
    }

    async fn fill(&mut self) -> Option<()> {
        let mut buf = [0u8; 8192];
        let n = tokio::time::timeout(SOON, self.stream.read(&mut buf))
            .await
            .expect("the server answers")
            .ok()?;
        (n > 0).then(|| self.pending.extend_from_slice(&buf[..n]))
    }

    /// The next frame, or `None` once the server closed the TCP connection.
    async fn frame(&mut self) -> Option<Frame> {
        loop {
            if self.pending.len() >= 2 {
                let (len, offset) = match self.pending[1] & 0x7f {
                    126 if self.pending.len() >= 4 => (
                        u16::from_be_bytes([self.pending[2], self.pending[3]]) as usize,
                        4,
                    ),
                    126 | 127 => (usize::MAX, 0),
                    n => (n as usize, 2),
                };
                if len != usize::MAX && self.pending.len() >= offset + len {
                    let frame = Frame {
                        opcode: self.pending[0] & 0x0f,
                        payload: self.pending[offset..offset + len].to_vec(),
                    };
                    self.pending.drain(..offset + len);
                    return Some(frame);
                }
            }
            self.fill().await?;
        }
    }

    /// The next frame that is not an Engine.IO ping.
    async fn next_non_ping(&mut self) -> Option<Frame> {
        loop {
            let frame = self.frame().await?;
            if !(frame.opcode == 1 && frame.payload == b"2") {
                return Some(frame);
            }
        }
    }

    /// Sends one frame, masked (as clients must) unless `masked` is false.
    async fn send(&mut self, opcode: u8, payload: &[u8], masked: bool) {
        let mut frame = vec![0x80 | opcode];
        let mask_bit = if masked { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => frame.push(mask_bit | n as u8),
            n if n <= u16::MAX as usize => {
                frame.push(mask_bit | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(mask_bit | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let key = [0x12, 0x34, 0x56, 0x78];
        if masked {
            frame.extend_from_slice(&key);
            frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        } else {
            frame.extend_from_slice(payload);
        }
        // The server may close mid-write (that is what some of these tests expect).
        let _ = self.stream.write_all(&frame).await;
    }

    /// Reads the Engine.IO open packet, and authenticates with `token` when given.
    async fn open(&mut self, token: Option<&str>) {
        let open = self.frame().await.expect("open packet");
        assert!(open.text().starts_with('0'), "{open:?}");
        if let Some(token) = token {
            self.send(
                1,
                format!("40{}", json!({ "token": token })).as_bytes(),
                true,
            )
            .await;
            let reply = self.next_non_ping().await.expect("CONNECT reply");
            assert!(reply.text().starts_with("40"), "{reply:?}");
        }
    }

    /// The server's close frame, skipping whatever came before it.
    async fn close_code(&mut self) -> Option<u16> {
        loop {
            let frame = self
                .frame()
                .await
                .expect("a close frame before the connection ends");
            if frame.opcode == 8 {
                return frame.close_code();
            }
        }
    }
}

#[tokio::test]
async fn the_first_ping_comes_after_ping_interval_not_at_once() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.realtime.ping_interval_ms = 1_000;
        c.realtime.ping_timeout_ms = 5_000;
    })
    .await;
    let mut ws = RawWs::connect(&app).await;
    let opened = Instant::now();
    ws.open(None).await;
    let ping = ws.frame().await.expect("a ping");
    assert_eq!(ping.text(), "2");
    let after = opened.elapsed();
    assert!(
        after >= Duration::from_millis(900),
        "the first ping came {after:?} after the open packet, not after pingInterval (1 s)"
    );
}

/// Whether this process (the daemon under test runs in it) still holds, as an open file, its
/// end of the TCP connection from `client_port` to `server_port` (/proc/net/tcp: a closed or
/// orphaned socket has no inode).
fn daemon_holds_connection(server_port: u16, client_port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/self/net/tcp").unwrap();
    table.lines().skip(1).any(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next().unwrap(), 16).unwrap();
        port(fields[1]) == server_port && port(fields[2]) == client_port && fields[9] != "0"
    })
}

/// A client that stops reading but keeps its TCP connection (a frozen tab) holds its window
/// shut, and the daemon's writer for it blocked: once its heartbeat has closed the session, the
/// daemon lets go of the connection and of what was queued for it after a grace of a few
/// seconds (the engine's `WRITER_GRACE`), rather than for as long as the client stays: until
/// then the engine could not even tell the daemon that the session had ended (its departure
/// waits for the writer), so the user stayed online and in every room.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_loses_its_connection_after_its_heartbeat() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        // Long enough for bob to fill every buffer before the heartbeat ends the session.
        c.realtime.ping_interval_ms = 3_000;
        c.realtime.ping_timeout_ms = 1_000;
    })
    .await;
    let (ann, bob) = (app.signed_up("ann").await, app.signed_up("bob").await);
    let conversation = app.direct(&bob, &ann).await;
    let mut frozen = RawWs::connect_with_small_window(&app).await;
    frozen.open(Some(&ann.token)).await;
    let server_port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let client_port = frozen.stream.local_addr().unwrap().port();
    assert!(
        daemon_holds_connection(server_port, client_port),
        "the daemon's end of the connection is found"
    );

    // ann's tab reads nothing from here on; bob sends her far more than the buffers hold.
    let bob_socket = app.socket(&bob).await;
    let big = "m".repeat(15 * 1024);
    for i in 0..500 {
        let ack = bob_socket
            .call(
                "send_message",
                json!({"conversation_id": conversation, "content": format!("{i} {big}")}),
            )
            .await;
        assert_eq!(ack["ok"], true, "{ack}");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while daemon_holds_connection(server_port, client_port) {
        assert!(
            Instant::now() < deadline,
            "the daemon still holds the connection of a client that stopped reading 20 s ago"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And the session is over for the rest of the daemon too: ann's departure is recorded.
    let deadline = Instant::now() + SOON;
    loop {
        let seen = bob_socket
            .call("get_presence", json!({"user_ids": [ann.id]}))
            .await;
        if seen["users"][0]["online"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "ann still online: {seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The client is not gone: only the daemon let go.
    drop(frozen);
    bob_socket.close();
}

#[tokio::test]
async fn binary_attachments_are_refused_before_any_is_buffered() {
    let app = spawn_app(Engine::Sqlite).await;
    let ann = app.signed_up("ann").await;
    let mut ws = RawWs::connect(&app).await;
    ws.open(Some(&ann.token)).await;
    // Announces ten attachments: refused at the header, before a single attachment arrives.
    let placeholders: Vec<Value> = (0..10)
        .map(|n| json!({"_placeholder": true, "num": n}))
        .collect();
    let mut event = vec![json!("send_message")];
    event.extend(placeholders);
    ws.send(1, format!("4510-{}", Value::Array(event)).as_bytes(), true)
        .await;
    loop {
        match ws.frame().await {
            None => break,
            Some(frame) if frame.opcode == 8 => break,
            Some(frame) => assert!(
                frame.opcode == 1 && !frame.text().starts_with("43"),
                "no ack, the connection closes: {frame:?}"
            ),
        }
    }
}

#[tokio::test]
async fn before_connect_a_client_may_send_a_few_kib_only() {
    let app = spawn_app(Engine::Sqlite).await;
    // Over WebSocket: a 64 KiB message before the CONNECT closes with 1009, unread.
    let mut ws = RawWs::connect(&app).await;
    ws.open(None).await;
    ws.send(
        1,
        format!("42{}", json!(["x", "y".repeat(64 * 1024)])).as_bytes(),
        true,
    )
    .await;
    assert_eq!(ws.close_code().await, Some(1009));

    // Over long-polling: a POST body past the budget is refused.
    let handshake = app
        .http
        .get(app.url("/socket.io/?EIO=4&transport=polling"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let open: Value = serde_json::from_str(handshake.trim_start_matches('0')).unwrap();
    let sid = open["sid"].as_str().unwrap();
    let status = app
        .http
        .post(app.url(&format!("/socket.io/?EIO=4&transport=polling&sid={sid}")))
        .body(format!("42{}", json!(["x", "y".repeat(64 * 1024)])))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        status.is_client_error(),
        "a 64 KiB body before CONNECT got {status}"
    );

    // The same message after authenticating is fine (the limit is realtime.max_message_bytes).
    let ann = app.signed_up("ann").await;
    let mut ws = RawWs::connect(&app).await;
    ws.open(Some(&ann.token)).await;
    ws.send(
        1,
        format!(
            "421{}",
            json!(["get_presence", {"user_ids": [ann.id], "pad": "y".repeat(64 * 1024)}])
        )
        .as_bytes(),
        true,
    )
    .await;
    let ack = ws.next_non_ping().await.expect("an ack");
    assert!(ack.text().starts_with("431[{\"ok\":true"), "{ack:?}");
}

#[tokio::test]
async fn malformed_frames_close_with_the_rfc_6455_codes() {
    let app = spawn_app(Engine::Sqlite).await;
    let ann = app.signed_up("ann").await;

    let mut ws = RawWs::connect(&app).await;
    ws.open(Some(&ann.token)).await;
    ws.send(1, b"42[\"typing\",{}]", false).await;
    assert_eq!(ws.close_code().await, Some(1002), "unmasked client frame");

    let mut ws = RawWs::connect(&app).await;
    ws.open(Some(&ann.token)).await;
    ws.send(1, b"42[\"\xff\xfe\"]", true).await;
    assert_eq!(
        ws.close_code().await,
        Some(1007),
        "text frame that is not UTF-8"
    );
}

#[tokio::test]
async fn a_presence_lookup_over_the_limit_is_refused_not_truncated() {
    let app = spawn_app(Engine::Sqlite).await;
    let ann = app.signed_up("ann").await;
    let socket = app.socket(&ann).await;
    let ids: Vec<i64> = (1..=201).collect();
    let ack = socket
        .call("get_presence", json!({ "user_ids": ids }))
        .await;
    assert_eq!(ack["ok"], false);
    assert_eq!(ack["error"]["code"], "invalid_payload");
    assert!(
        ack["error"]["message"].as_str().unwrap().contains("200"),
        "{ack}"
    );
    let ack = socket
        .call(
            "get_presence",
            json!({ "user_ids": (1..=200).collect::<Vec<i64>>() }),
        )
        .await;
    assert_eq!(ack["ok"], true, "{ack}");
}

// Several threads, so that the daemon handles sends while the test is still emitting them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_in_progress_at_shutdown_are_stored_and_acknowledged() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.chat.sends_per_user_per_minute = 100_000;
    })
    .await;
    let (ann, ben) = (app.signed_up("ann").await, app.signed_up("ben").await);
    let conv = app.direct(&ann, &ben).await;
    let socket = std::sync::Arc::new(app.socket(&ann).await);
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    let sends = 100;
    for i in 0..sends {
        let (socket, conv, answers) = (socket.clone(), conv.clone(), answers.clone());
        tokio::spawn(async move {
            let payload = json!({"conversation_id": conv, "client_msg_id": format!("m{i}"), "content": format!("message {i}")});
            // `call` panics when no ack comes within its wait: the task then sends nothing.
            let ack = socket.call("send_message", payload).await;
            let _ = answers.send(ack);
        });
    }
    drop(answers);
    // The first ack means the daemon is busy with the others: stop it now.
    let first = answered.recv().await.expect("a first ack");
    let mut app = app;
    app.begin_shutdown();
    let (mut acked, mut refused) = (Vec::new(), 0);
    let mut unanswered = sends;
    let mut next = Some(first);
    while let Some(ack) = next {
        unanswered -= 1;
        match (ack["ok"].as_bool(), ack["error"]["code"].as_str()) {
            (Some(true), _) => acked.push(ack["message"]["content"].as_str().unwrap().to_owned()),
            (Some(false), Some("shutting_down")) => refused += 1,
            _ => panic!("a send failed instead of being stored or refused for the shutdown: {ack}"),
        }
        next = answered.recv().await;
    }
    assert!(
        !acked.is_empty(),
        "sends that had arrived were stored ({refused} refused, {unanswered} unanswered)"
    );
    let app = app.restart().await;
    let mut stored: Vec<String> = history(&app, &ann, &conv, "?limit=100")
        .await
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_owned())
        .collect();
    stored.sort();
    acked.sort();
    // A message stored without its ack is a send that was in progress when the socket closed.
    assert_eq!(
        stored, acked,
        "exactly the acknowledged messages are stored ({refused} refused, {unanswered} never reached the server)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_records_when_connected_users_were_last_seen() {
    let app = spawn_app(Engine::Sqlite).await;
    let ann = app.signed_up("ann").await;
    let _socket = app.socket(&ann).await;
    // Seconds resolution in storage: the disconnect must be recorded after this instant.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let connected_until = chrono::Utc::now() - chrono::Duration::milliseconds(100);
    let app = app.restart().await;
    let user = app
        .stores
        .users
        .find_by_id(omegachatd::domain::UserId(ann.id))
        .await
        .unwrap()
        .unwrap();
    let last_seen = user.last_seen.expect("last seen recorded");
    assert!(
        last_seen >= connected_until,
        "the socket's disconnect at shutdown was recorded ({last_seen}), not lost to a closed database"
    );
}

#[tokio::test]
async fn a_malformed_id_is_described_alike_over_rest_and_the_socket() {
    let app = spawn_app(Engine::Sqlite).await;
    let ann = app.signed_up("ann").await;
    let (status, rest) = crate::helpers::error_of(
        app.get_authed("/api/conversations/not-a-uuid/messages", &ann.token)
            .await,
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    let socket = app.socket(&ann).await;
    let ack = socket
        .call(
            "send_message",
            json!({"conversation_id": "not-a-uuid", "client_msg_id": "x", "content": "hi"}),
        )
        .await;
    assert_eq!(ack["ok"], false);
    assert_eq!(
        ack["error"], rest,
        "one parser, one error shape for both edges"
    );
    assert_eq!(rest["field"], "conversation_id");
    assert_eq!(rest["code"], "invalid_id");
}
