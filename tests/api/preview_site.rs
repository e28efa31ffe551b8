//! A small website on a loopback address for the link-preview stories, and a trap: a listener
//! that counts the connections it accepts, to prove a refused address was never contacted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The address the site listens on: loopback, but not 127.0.0.1, so that a test configuration
/// can admit the site (`allow_networks = ["127.0.0.2/32"]`) and still refuse 127.0.0.1.
pub const SITE_IP: &str = "127.0.0.2";

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// The test site: its base URL and how many requests it served.
pub struct Site {
    pub base: String,
    pub requests: Arc<AtomicUsize>,
}

/// Starts the site; `redirect_target` is where `/to-trap` redirects.
pub async fn start_site(redirect_target: Option<String>) -> Site {
    let listener = TcpListener::bind((SITE_IP, 0))
        .await
        .expect("bind 127.0.0.2");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let site_base = base.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let base = site_base.clone();
            let trap = redirect_target.clone();
            tokio::spawn(async move {
                let _ = serve(stream, &base, trap.as_deref()).await;
            });
        }
    });
    Site { base, requests }
}

impl Site {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

async fn read_path(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    Ok(head.split_whitespace().nth(1).unwrap_or("/").to_owned())
}

async fn answer(
    stream: &mut TcpStream,
    status: &str,
    headers: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await
}

async fn html(stream: &mut TcpStream, body: &str) -> std::io::Result<()> {
    answer(
        stream,
        "200 OK",
        "Content-Type: text/html; charset=utf-8\r\n",
        body.as_bytes(),
    )
    .await
}

async fn serve(mut stream: TcpStream, base: &str, trap: Option<&str>) -> std::io::Result<()> {
    let path = read_path(&mut stream).await?;
    match path.as_str() {
        "/og" => {
            html(
                &mut stream,
                r#"<!doctype html><html><head><title>Plain title</title>
                <meta property="og:title" content="An OpenGraph title">
                <meta property="og:description" content="What the page is about">
                <meta property="og:site_name" content="Test Site">
                <meta property="og:image" content="/img.png">
                <meta property="og:image:width" content="1">
                <meta property="og:image:height" content="1">
                </head><body>hello</body></html>"#,
            )
            .await
        }
        "/title" => {
            html(
                &mut stream,
                "<html><head><title>Only a title</title></head></html>",
            )
            .await
        }
        "/articles/2024/relative" => {
            html(
                &mut stream,
                r#"<title>Relative</title><meta name="twitter:image" content="../pics/pic.png">"#,
            )
            .await
        }
        "/img.png" | "/articles/pics/pic.png" => {
            answer(&mut stream, "200 OK", "Content-Type: image/png\r\n", PNG).await
        }
        "/svg-card" => {
            html(
                &mut stream,
                r#"<title>SVG</title><meta property="og:image" content="/pic.svg">"#,
            )
            .await
        }
        "/pic.svg" => {
            answer(
                &mut stream,
                "200 OK",
                "Content-Type: image/svg+xml\r\n",
                b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            )
            .await
        }
        "/cp1251" => {
            // "Привет" in windows-1251, declared only by the page itself.
            let body = b"<meta charset=\"windows-1251\"><title>\xcf\xf0\xe8\xe2\xe5\xf2</title>";
            answer(&mut stream, "200 OK", "Content-Type: text/html\r\n", body).await
        }
        "/json" => {
            answer(
                &mut stream,
                "200 OK",
                "Content-Type: application/json\r\n",
                b"{\"title\":\"no\"}",
            )
            .await
        }
        "/big" => {
            // The title comes first; a description only after 1.5 MiB, past the 1 MiB cap.
            let mut body = String::from("<html><head><title>Big page</title></head><body>");
            body.push_str(&"<p>padding</p>".repeat(1536 * 1024 / 14));
            body.push_str(r#"<meta name="description" content="after the cap">"#);
            body.push_str(&"x".repeat(2 * 1024 * 1024 - body.len()));
            html(&mut stream, &body).await
        }
        "/deep" => {
            let body = format!(
                "<title>Deep</title>{}{}",
                "<div>".repeat(100_000),
                "</div>".repeat(100_000)
            );
            html(&mut stream, &body).await
        }
        "/drip" => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html>")
                .await?;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                stream.write_all(b" ").await?;
            }
        }
        "/to-trap" => {
            let location = trap.unwrap_or("http://127.0.0.1/");
            answer(
                &mut stream,
                "302 Found",
                &format!("Location: {location}\r\n"),
                b"",
            )
            .await
        }
        p if p.starts_with("/r/") => {
            // /r/N redirects N times (alternating relative and absolute) before the page.
            let n: u32 = p[3..].parse().unwrap_or(0);
            if n == 0 {
                return html(&mut stream, "<title>Arrived</title>").await;
            }
            let location = if n % 2 == 0 {
                format!("/r/{}", n - 1)
            } else {
                format!("{base}/r/{}", n - 1)
            };
            answer(
                &mut stream,
                "302 Found",
                &format!("Location: {location}\r\n"),
                b"",
            )
            .await
        }
        _ => answer(&mut stream, "404 Not Found", "", b"").await,
    }
}

/// A listener on 127.0.0.1 (and ::1, where the machine has IPv6) on one port, counting accepted
/// connections: every live SSRF story ends by asserting it is still zero.
pub struct Trap {
    pub port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Trap {
    pub async fn start() -> Trap {
        let v4 = TcpListener::bind("127.0.0.1:0").await.expect("bind trap");
        let port = v4.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let mut listeners = vec![v4];
        if let Ok(v6) = TcpListener::bind(SocketAddr::from(([0, 0, 0, 0, 0, 0, 0, 1], port))).await
        {
            listeners.push(v6);
        }
        for listener in listeners {
            let accepted = accepted.clone();
            tokio::spawn(async move {
                while listener.accept().await.is_ok() {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        Trap { port, accepted }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}
