//! The public listener under hostile or careless clients: Nagle off, silent, slow and idle
//! connections closed, and caps on how many connections (and unauthenticated ones) are held.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Engine, TestApp, spawn_app, spawn_app_with};

/// How long a test waits for something the server must do "soon".
const SOON: Duration = Duration::from_secs(5);

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Waits until the server closes `stream` (EOF or reset); panics after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {within:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return,
            Ok(Ok(_)) => {}
        }
    }
}

/// One `GET path` on `stream` (kept alive); the whole response head and body as text.
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(SOON, stream.read(&mut buf))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "connection closed before the response");
        response.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&response);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if body.len() >= length {
                return text.into_owned();
            }
        }
    }
}

/// The server's end of the connection whose client end is `client`, found among this test
/// process's own descriptors (the daemon runs in-process), and whether it has TCP_NODELAY.
fn server_side_nodelay(server: SocketAddr, client: SocketAddr) -> bool {
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if sockname(fd, libc::getsockname) != Some(server)
            || sockname(fd, libc::getpeername) != Some(client)
        {
            continue;
        }
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a plain getsockopt on a descriptor this process owns, into a c_int.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_NODELAY,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "getsockopt(TCP_NODELAY)");
        return value != 0;
    }
    panic!("the server's end of {client} was not found among this process's descriptors");
}

type NameFn =
    unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int;

fn sockname(fd: i32, call: NameFn) -> Option<SocketAddr> {
    // SAFETY: the kernel writes at most `len` bytes of a sockaddr into the zeroed storage.
    unsafe {
        let mut storage: libc::sockaddr_in = std::mem::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        if call(
            fd,
            (&mut storage as *mut libc::sockaddr_in).cast(),
            &mut len,
        ) != 0
            || storage.sin_family != libc::AF_INET as libc::sa_family_t
        {
            return None;
        }
        let ip = std::net::Ipv4Addr::from(u32::from_be(storage.sin_addr.s_addr));
        Some(SocketAddr::from((ip, u16::from_be(storage.sin_port))))
    }
}

#[tokio::test]
async fn accepted_connections_have_nagle_turned_off() {
    let app = spawn_app(Engine::Sqlite).await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    // Served at least once, so the connection is surely accepted and set up.
    assert!(
        get_on(&mut stream, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let server: SocketAddr = addr(&app).parse().unwrap();
    assert!(
        server_side_nodelay(server, stream.local_addr().unwrap()),
        "small writes (socket acks, events) would wait for the client's delayed ACK"
    );
}

#[tokio::test]
async fn silent_slow_and_idle_connections_are_closed() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.server.request_header_timeout_ms = 300;
        c.server.idle_timeout_ms = 1_500;
    })
    .await;
    let addr = addr(&app);

    // Never sends a byte.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    // Starts a request and never finishes its headers (a half-sent WebSocket upgrade).
    let mut half_upgrade = TcpStream::connect(&addr).await.unwrap();
    half_upgrade
        .write_all(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\n")
        .await
        .unwrap();
    // Slowloris: a header byte every 100 ms, forever.
    let mut slowloris = TcpStream::connect(&addr).await.unwrap();
    let trickle = tokio::spawn(async move {
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 200].iter())
        {
            if slowloris.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    });
    closed_within(&mut silent, SOON).await;
    closed_within(&mut half_upgrade, SOON).await;
    assert!(
        tokio::time::timeout(SOON, trickle)
            .await
            .expect("closed in time")
            .unwrap(),
        "the slowloris connection was closed while it trickled"
    );

    // A kept-alive connection may rest between requests for less than idle_timeout_ms (longer
    // than the header timeout), then is closed.
    let mut kept = TcpStream::connect(&addr).await.unwrap();
    assert!(
        get_on(&mut kept, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        get_on(&mut kept, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    closed_within(&mut kept, SOON).await;
}

/// Whether `GET /healthz` on a new connection is answered within `within`.
async fn healthz_answers_within(addr: &str, within: Duration) -> Option<TcpStream> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    match tokio::time::timeout(within, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => {
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
            None
        }
        Ok(_) => panic!("connection closed without an answer"),
        Err(_) => Some(stream),
    }
}

#[tokio::test]
async fn unauthenticated_connections_are_capped_and_authenticated_ones_do_not_count() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.server.max_connections = 100;
        c.server.max_unauthenticated_connections = 3;
        c.server.idle_timeout_ms = 300;
    })
    .await;
    let addr = addr(&app);
    let ann = app.signed_up("ann").await;
    // The test client's kept-alive connection (sign-up and login) goes idle and is closed.
    tokio::time::sleep(Duration::from_millis(800)).await;

    // Sockets that authenticated, and a connection that showed a valid token over REST, free
    // their unauthenticated slot.
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(app.socket(&ann).await);
    }
    let mut authed = TcpStream::connect(&addr).await.unwrap();
    authed
        .write_all(
            format!(
                "GET /api/users/me HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\r\n",
                ann.token
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(SOON, authed.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        healthz_answers_within(&addr, SOON).await.is_none(),
        "4 authenticated connections leave the 3 unauthenticated slots free"
    );

    // Three silent connections fill the unauthenticated slots: the next client waits…
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let waiting = healthz_answers_within(&addr, Duration::from_millis(700))
        .await
        .expect("a fourth unauthenticated connection is not served while 3 are open");
    // …and is served as soon as one of them goes.
    drop(silent.pop());
    let mut waiting = waiting;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(SOON, waiting.read(&mut buf))
        .await
        .expect("served once a slot frees")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[tokio::test]
async fn connections_beyond_max_connections_wait_for_a_free_slot() {
    let app = spawn_app_with(Engine::Sqlite, |c| {
        c.server.max_connections = 2;
        c.server.max_unauthenticated_connections = 2;
        c.server.idle_timeout_ms = 300;
    })
    .await;
    let addr = addr(&app);
    let ann = app.signed_up("ann").await;
    // The test client's kept-alive connection (sign-up and login) goes idle and is closed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let first = app.socket(&ann).await;
    let _second = app.socket(&ann).await;
    let waiting = healthz_answers_within(&addr, Duration::from_millis(700))
        .await
        .expect("a third connection is not served while 2 are open");
    first.close();
    let mut waiting = waiting;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(SOON, waiting.read(&mut buf))
        .await
        .expect("served once a socket closed")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The sockets still work.
    let presence = _second
        .call("get_presence", json!({"user_ids": [ann.id]}))
        .await;
    assert_eq!(presence["ok"], true);
}

#[tokio::test]
async fn reaching_a_connection_limit_is_logged_naming_the_setting() {
    use crate::process::{daemon, terminate, wait_for_listening, wait_with_timeout};
    let dir = tempfile::tempdir().unwrap();
    let mut child = daemon(dir.path())
        .env("OMEGACHAT_SERVER__LISTEN", "127.0.0.1:0")
        .env("OMEGACHAT_LOG__FORMAT", "json")
        .env("OMEGACHAT_SERVER__MAX_UNAUTHENTICATED_CONNECTIONS", "2")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("omegachatd starts");
    let (url, log) = wait_for_listening(&mut child);
    let addr = url.trim_start_matches("http://").to_owned();
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&child);
    let status = tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, SOON * 3))
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let log = log.all();
    let warning = log
        .iter()
        .find(|entry| {
            entry["level"] == "WARN"
                && entry["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("server.max_unauthenticated_connections = 2"))
        })
        .unwrap_or_else(|| panic!("no warning naming the limit in {log:#?}"));
    assert!(
        warning["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("raise server.max_unauthenticated_connections"),
        "{warning}"
    );
}
