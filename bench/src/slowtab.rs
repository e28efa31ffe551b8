//! A slow consumer: a Socket.IO connection that completes its handshake and then never reads
//! again (no pings answered), on a small TCP receive buffer so that backpressure reaches the
//! server after a few KiB. And what the kernel says about it meanwhile (/proc/net/tcp: the
//! queues on both ends, whether the server has closed), since the client itself sees nothing
//! until it reads.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use crate::procfs::url_port;
use crate::socket::{handshake, ws_url};

/// TCP state ESTABLISHED in /proc/net/tcp.
pub const TCP_ESTABLISHED: u8 = 0x01;

/// A connection that stopped reading after its handshake.
pub struct SlowTab {
    /// The pair whose receiving user this is a second tab of.
    pub lane: usize,
    ws: WebSocketStream<TcpStream>,
    pub local_port: u16,
    pub server_port: u16,
    /// SO_RCVBUF as the kernel reports it after setting (Linux doubles the value asked for).
    pub rcvbuf: usize,
    pub opened: Instant,
}

/// One connection's line in /proc/net/tcp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TcpEntry {
    pub state: u8,
    /// Bytes written and not yet acknowledged by the peer (the send queue).
    pub tx_queue: u64,
    /// Bytes received and not yet read by the application (the receive queue).
    pub rx_queue: u64,
}

/// The entry of the connection from `local_port` to `remote_port` in one /proc/net/tcp table
/// (addresses are not compared: every connection here is on loopback).
pub fn tcp_entry(table: &str, local_port: u16, remote_port: u16) -> Option<TcpEntry> {
    let port = |field: &str| u16::from_str_radix(field.rsplit_once(':')?.1, 16).ok();
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if port(f.get(1)?)? != local_port || port(f.get(2)?)? != remote_port {
            return None;
        }
        let (tx, rx) = f.get(4)?.split_once(':')?;
        Some(TcpEntry {
            state: u8::from_str_radix(f.get(3)?, 16).ok()?,
            tx_queue: u64::from_str_radix(tx, 16).ok()?,
            rx_queue: u64::from_str_radix(rx, 16).ok()?,
        })
    })
}

/// The IPv4 and IPv6 tables together, as read now.
pub fn tcp_tables() -> String {
    let mut text = String::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        text += &std::fs::read_to_string(table).unwrap_or_default();
    }
    text
}

/// One Engine.IO/Socket.IO text frame, as a slow tab counts it.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Ping,
    /// A `receive_message`, with the index of this run's `client_msg_id` (`<tag><index>`).
    Message(Option<usize>),
    OtherEvent,
    /// Engine.IO close packet (`1`).
    EngineClose,
    /// Socket.IO DISCONNECT (`41`).
    Disconnect,
    Other,
}

pub fn classify(text: &str, tag: char) -> Frame {
    if text == "2" {
        return Frame::Ping;
    }
    if text == "1" {
        return Frame::EngineClose;
    }
    if text.starts_with("41") {
        return Frame::Disconnect;
    }
    if let Some(rest) = text.strip_prefix("42[\"receive_message\",") {
        let payload: serde_json::Value =
            serde_json::from_str(rest.strip_suffix(']').unwrap_or(rest)).unwrap_or_default();
        let index = payload["client_msg_id"]
            .as_str()
            .and_then(|c| c.strip_prefix(tag))
            .and_then(|n| n.parse().ok());
        return Frame::Message(index);
    }
    if text.starts_with("42") {
        return Frame::OtherEvent;
    }
    Frame::Other
}

/// How reading a slow tab to the end ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// A WebSocket close frame, with its code.
    CloseFrame(Option<u16>),
    /// The TCP connection ended without a close frame.
    Eof,
    Error(String),
    /// Nothing more came for the quiet period: the server still holds it open.
    StillOpen,
}

impl End {
    pub fn describe(&self) -> String {
        match self {
            End::CloseFrame(Some(code)) => format!("closed by the server (close frame {code})"),
            End::CloseFrame(None) => "closed by the server (close frame without a code)".into(),
            End::Eof => "closed by the server (TCP closed without a close frame)".into(),
            End::Error(e) => format!("ended with an error: {e}"),
            End::StillOpen => "still open (nothing more came)".into(),
        }
    }
}

/// What a slow tab had received, read at the end.
#[derive(Debug, Default)]
pub struct Drained {
    /// Indices of this run's messages, in the order they came.
    pub messages: Vec<usize>,
    pub other_events: u64,
    pub pings: u64,
    pub engine_close: bool,
    pub disconnect: bool,
    pub bytes: u64,
    pub end: Option<End>,
}

impl SlowTab {
    /// Connects to the node at `url` with SO_RCVBUF `rcvbuf` (set before connecting, so the
    /// window offered in the handshake is small) and completes the Socket.IO handshake.
    pub async fn open(url: &str, token: &str, lane: usize, rcvbuf: u32) -> Result<SlowTab> {
        let Some(authority) = url.strip_prefix("http://") else {
            bail!("slow tabs connect over plain http:// only, not {url}");
        };
        let authority = authority.split('/').next().unwrap_or(authority);
        let server_port = url_port(url).context("port")?;
        let addr = tokio::net::lookup_host(authority)
            .await?
            .next()
            .context("address")?;
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_recv_buffer_size(rcvbuf)?;
        let rcvbuf = socket.recv_buffer_size()? as usize;
        let stream = socket.connect(addr).await.context("slow tab connect")?;
        let local_port = stream.local_addr()?.port();
        let (mut ws, _) = tokio_tungstenite::client_async(ws_url(url), stream)
            .await
            .context("slow tab websocket upgrade")?;
        handshake(&mut ws, token).await?;
        Ok(SlowTab {
            lane,
            ws,
            local_port,
            server_port,
            rcvbuf,
            opened: Instant::now(),
        })
    }

    /// This connection's entry and the server's end of it in `table`.
    pub fn entries(&self, table: &str) -> (Option<TcpEntry>, Option<TcpEntry>) {
        (
            tcp_entry(table, self.local_port, self.server_port),
            tcp_entry(table, self.server_port, self.local_port),
        )
    }

    /// Reads everything the server sent (answering nothing) until it closes, until `quiet`
    /// passes without a frame, or for `cap` at most.
    pub async fn drain(mut self, tag: char, quiet: Duration, cap: Duration) -> Drained {
        let mut d = Drained::default();
        let deadline = tokio::time::Instant::now() + cap;
        while d.end.is_none() {
            let wait = (tokio::time::Instant::now() + quiet).min(deadline);
            let frame = match tokio::time::timeout_at(wait, self.ws.next()).await {
                Err(_) => {
                    d.end = Some(End::StillOpen);
                    continue;
                }
                Ok(frame) => frame,
            };
            match frame {
                Some(Ok(Message::Text(text))) => {
                    d.bytes += text.len() as u64;
                    match classify(text.as_str(), tag) {
                        Frame::Ping => d.pings += 1,
                        Frame::Message(Some(i)) => d.messages.push(i),
                        Frame::Message(None) | Frame::OtherEvent | Frame::Other => {
                            d.other_events += 1
                        }
                        Frame::EngineClose => d.engine_close = true,
                        Frame::Disconnect => d.disconnect = true,
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    d.end = Some(End::CloseFrame(frame.map(|f| u16::from(f.code))));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => d.end = Some(End::Error(e.to_string())),
                None => d.end = Some(End::Eof),
            }
        }
        d
    }
}

/// A slow tab's deliveries against what its user was due.
#[derive(Debug, PartialEq)]
pub struct Coverage {
    pub due: usize,
    /// Distinct due messages received.
    pub got: usize,
    /// Whether what came is exactly the first `got` due messages, in order.
    pub prefix: bool,
    /// The last due message received and the first one missing, by index.
    pub last_got: Option<usize>,
    pub first_missing: Option<usize>,
}

/// `received` (indices in arrival order) against the acked sends to pair `lane` of `pairs`
/// (message `n` goes to pair `n % pairs`).
pub fn coverage(received: &[usize], acked: &[bool], lane: usize, pairs: usize) -> Coverage {
    let due: Vec<usize> = (lane..acked.len())
        .step_by(pairs.max(1))
        .filter(|n| acked[*n])
        .collect();
    let mut seen = std::collections::HashSet::new();
    let distinct: Vec<usize> = received
        .iter()
        .copied()
        .filter(|n| n % pairs.max(1) == lane && acked.get(*n) == Some(&true) && seen.insert(*n))
        .collect();
    let got = distinct.len();
    // Sends are concurrent: two messages a few ms apart may be stored, and so arrive, swapped.
    let mut sorted = distinct.clone();
    sorted.sort_unstable();
    Coverage {
        due: due.len(),
        got,
        prefix: sorted == due[..got],
        last_got: distinct.iter().max().copied(),
        first_missing: due.iter().find(|n| !seen.contains(n)).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:469A 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:469A 0100007F:B2C4 01 0001F400:00000000 01:00000010 00000000     0        0 2 1 0 20 4 30 10 -1
   2: 0100007F:B2C4 0100007F:469A 01 00000000:00002000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
   3: 0100007F:469A 0100007F:B2C5 08 00000000:00000000 00:00000000 00000000     0        0 4 1 0 20 4 30 10 -1
";

    #[test]
    fn both_ends_of_a_loopback_connection_are_found_with_their_queues() {
        let server = tcp_entry(TABLE, 0x469A, 0xB2C4).unwrap();
        assert_eq!(
            server,
            TcpEntry {
                state: TCP_ESTABLISHED,
                tx_queue: 128_000,
                rx_queue: 0
            }
        );
        let client = tcp_entry(TABLE, 0xB2C4, 0x469A).unwrap();
        assert_eq!((client.tx_queue, client.rx_queue), (0, 8192));
        assert_eq!(tcp_entry(TABLE, 0x469A, 0xB2C5).unwrap().state, 0x08);
        assert_eq!(tcp_entry(TABLE, 0xB2C4, 0x0001), None);
    }

    #[test]
    fn frames_are_told_apart() {
        let m = r#"42["receive_message",{"message_id":"x","client_msg_id":"l42","content":"a]"}]"#;
        assert_eq!(classify(m, 'l'), Frame::Message(Some(42)));
        assert_eq!(classify(m, 'f'), Frame::Message(None));
        assert_eq!(classify("2", 'l'), Frame::Ping);
        assert_eq!(classify("1", 'l'), Frame::EngineClose);
        assert_eq!(classify("41", 'l'), Frame::Disconnect);
        assert_eq!(classify(r#"42["presence",{}]"#, 'l'), Frame::OtherEvent);
        assert_eq!(classify("3", 'l'), Frame::Other);
    }

    #[test]
    fn a_tab_that_filled_up_got_a_prefix_of_its_due_messages() {
        // 3 pairs, 12 messages: pair 1 is due 1, 4, 7, 10; send 7 failed.
        let mut acked = vec![true; 12];
        acked[7] = false;
        let c = coverage(&[4, 1, 4, 2], &acked, 1, 3);
        assert_eq!(
            c,
            Coverage {
                due: 3,
                got: 2,
                prefix: true,
                last_got: Some(4),
                first_missing: Some(10)
            }
        );
        // A hole in the middle is not a prefix.
        let c = coverage(&[1, 10], &acked, 1, 3);
        assert!(!c.prefix);
        assert_eq!((c.got, c.first_missing), (2, Some(4)));
        let all = coverage(&[1, 4, 10], &acked, 1, 3);
        assert!(all.prefix && all.first_missing.is_none() && all.got == all.due);
    }
}
