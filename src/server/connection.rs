//! One accepted connection: HTTP/1.1 with upgrades, watched for silence and slowness.
//!
//! hyper's own header timeout starts when it begins reading a request head, which on a
//! kept-alive connection is right after the previous response: it cannot tell an idle
//! connection from a slow one. So the connection is timed here, as Go's `http.Server` does:
//! before the first request the client has `request_header_timeout` to send complete headers;
//! between requests it may stay silent for `idle_timeout`, and from the first byte of the next
//! request it has `request_header_timeout` again. A request in progress (a long poll included)
//! is never timed out here; an upgraded WebSocket is left to the Engine.IO heartbeat.
//!
//! Each request's client address is found here, once (`crate::edge::client_addr`): behind a load
//! balancer the TCP peer is the balancer, and one of its connections may carry several clients'
//! requests in turn, so the connection's own log lines name the client of its latest request.

use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, broadcast, mpsc};
use tokio::time::Instant;
use tower::ServiceExt;

use super::Limits;
use crate::edge::client_addr::{ClientAddr, TrustedProxies};

/// `first_byte_ms` when no byte of the next request has arrived.
const NO_BYTE: u64 = u64::MAX;

/// A connection being served (moved into its task).
pub(super) struct Connection {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub router: axum::Router,
    pub limits: Arc<Limits>,
    pub trusted_proxies: TrustedProxies,
    pub connection_permit: OwnedSemaphorePermit,
    pub unauthenticated_permit: OwnedSemaphorePermit,
    pub close: broadcast::Receiver<()>,
    pub _done: mpsc::Sender<()>,
}

/// What the watchdog knows about a connection; shared with its I/O, its requests and the
/// edges that authenticate them.
struct Activity {
    started: Instant,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    /// Milliseconds after `started` when the connection last became idle.
    idle_since_ms: AtomicU64,
    /// Milliseconds after `started` when the first byte arrived since it became idle.
    first_byte_ms: AtomicU64,
    /// Wakes the watchdog when its deadline may have moved.
    changed: Notify,
    /// Held until the connection shows a valid token; counts against
    /// `server.max_unauthenticated_connections`.
    unauthenticated: Mutex<Option<OwnedSemaphorePermit>>,
    /// The client of the latest request (the peer until one arrives), for the log lines.
    client: Mutex<IpAddr>,
}

impl Activity {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// When the connection is due to be closed if nothing changes; `None` while a request runs.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let ms = |ms: u64| self.started + std::time::Duration::from_millis(ms);
        let first_byte = self.first_byte_ms.load(Ordering::Acquire);
        if self.requests.load(Ordering::Acquire) == 0 {
            return Some(self.started + limits.request_header_timeout);
        }
        Some(if first_byte == NO_BYTE {
            ms(self.idle_since_ms.load(Ordering::Acquire)) + limits.idle_timeout
        } else {
            ms(first_byte) + limits.request_header_timeout
        })
    }

    fn bytes_arrived(&self) {
        if self.in_flight.load(Ordering::Relaxed) == 0
            && self.first_byte_ms.load(Ordering::Relaxed) == NO_BYTE
        {
            self.first_byte_ms.store(self.now_ms(), Ordering::Release);
            self.changed.notify_one();
        }
    }

    fn client(&self) -> IpAddr {
        *self
            .client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn request_started(self: &Arc<Self>, client: ClientAddr) -> RequestGuard {
        *self
            .client
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = client.0;
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }
}

/// Marks a request finished when its response body is done (or dropped).
struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        let activity = &self.0;
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            activity.first_byte_ms.store(NO_BYTE, Ordering::Release);
            activity
                .idle_since_ms
                .store(activity.now_ms(), Ordering::Release);
            activity.changed.notify_one();
        }
    }
}

/// Put in every request's extensions: an edge that has verified a token on this connection
/// says so, and the connection stops counting as unauthenticated.
#[derive(Clone)]
pub struct ConnectionAuth(Arc<Activity>);

impl ConnectionAuth {
    /// A valid token was shown on this connection.
    pub fn authenticated(&self) {
        if let Ok(mut permit) = self.0.unauthenticated.lock() {
            permit.take();
        }
    }
}

impl Connection {
    pub(super) async fn serve(self) {
        let Connection {
            stream,
            peer,
            router,
            limits,
            trusted_proxies,
            connection_permit,
            unauthenticated_permit,
            mut close,
            _done,
        } = self;
        let activity = Arc::new(Activity {
            started: Instant::now(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            idle_since_ms: AtomicU64::new(0),
            first_byte_ms: AtomicU64::new(NO_BYTE),
            changed: Notify::new(),
            unauthenticated: Mutex::new(Some(unauthenticated_permit)),
            client: Mutex::new(peer.ip().to_canonical()),
        });
        // The slots are released when the socket closes, which for an upgraded WebSocket is
        // long after this task ends: they live in the I/O, not here.
        let io = TokioIo::new(TrackedIo {
            stream,
            activity: activity.clone(),
            _slots: (connection_permit, _done),
        });
        let service = {
            let activity = activity.clone();
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                let client = trusted_proxies.client_of(peer, request.headers());
                let guard = activity.request_started(client);
                let extensions = request.extensions_mut();
                extensions.insert(ConnectInfo(peer));
                extensions.insert(client);
                extensions.insert(ConnectionAuth(activity.clone()));
                let router = router.clone();
                async move {
                    let response = match router.oneshot(request.map(Body::new)).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    Ok::<_, std::convert::Infallible>(response.map(|body| {
                        Body::new(TrackedBody {
                            inner: body,
                            _guard: guard,
                        })
                    }))
                }
            })
        };
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(io, service)
            .with_upgrades();
        tokio::pin!(conn);
        let mut closing = false;
        loop {
            let deadline = activity.deadline(&limits);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, client = %activity.client(), error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = activity.changed.notified() => {}
                () = sleep_until(deadline) => {
                    if activity.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                        tracing::debug!(%peer, client = %activity.client(), "closing a silent, idle or too slow connection");
                        return;
                    }
                }
                _ = close.recv(), if !closing => {
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// The TCP stream, noting when bytes arrive and holding the connection's slots until it closes.
struct TrackedIo {
    stream: TcpStream,
    activity: Arc<Activity>,
    _slots: (OwnedSemaphorePermit, mpsc::Sender<()>),
}

impl AsyncRead for TrackedIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_arrived();
        }
        poll
    }
}

impl AsyncWrite for TrackedIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// A response body that marks its request finished when it is done or dropped.
struct TrackedBody {
    inner: Body,
    _guard: RequestGuard,
}

impl http_body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
