//! The public listener: accepts TCP connections and serves HTTP/1.1 (and WebSocket upgrades) on
//! them, with the limits that keep silent, half-open or slow connections from taking the daemon
//! down, and an orderly shutdown.
//!
//! Shaped after tokio's mini-redis: semaphores cap the connections (all of them, and those not
//! yet authenticated) and the accept loop waits for a permit *before* accepting, so excess
//! clients queue in the kernel's backlog instead of costing descriptors and memory; a broadcast
//! tells every connection to finish; a channel that closes when the last connection task drops
//! its sender tells the server that all are gone.

mod connection;
mod limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::edge::client_addr::TrustedProxies;

pub use connection::ConnectionAuth;
pub use limits::{Limits, raise_open_files_limit};

/// How long the accept loop pauses after an accept error (out of descriptors, say) so that it
/// does not spin; connections closing meanwhile free what it needs.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Warnings about a reached limit repeat at most this often.
const LIMIT_WARNING_INTERVAL: Duration = Duration::from_secs(10);

/// A listener being served; [`Server::shutdown`] ends it.
pub struct Server {
    stop_accepting: Option<oneshot::Sender<()>>,
    accept_loop: Option<JoinHandle<()>>,
    /// Tells every connection to finish its in-flight request and close.
    close_connections: broadcast::Sender<()>,
    /// Closed once every connection task has ended (each holds a sender).
    all_closed: mpsc::Receiver<()>,
}

impl Server {
    /// Starts accepting connections on `listener` and serving `router` on them; requests from
    /// `trusted_proxies` may name their client in X-Forwarded-For.
    pub fn start(
        listener: TcpListener,
        router: axum::Router,
        limits: Limits,
        trusted_proxies: TrustedProxies,
    ) -> Self {
        let (stop_tx, stop_rx) = oneshot::channel();
        let (close_tx, _) = broadcast::channel(1);
        let (done_tx, done_rx) = mpsc::channel(1);
        let accept = AcceptLoop {
            listener,
            router,
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            unauthenticated: Arc::new(Semaphore::new(limits.max_unauthenticated_connections)),
            limits: Arc::new(limits),
            trusted_proxies,
            close: close_tx.clone(),
            done: done_tx,
        };
        Self {
            stop_accepting: Some(stop_tx),
            accept_loop: Some(tokio::spawn(accept.run(stop_rx))),
            close_connections: close_tx,
            all_closed: done_rx,
        }
    }

    /// Stops accepting: the listening socket is closed once this returns.
    pub async fn stop_accepting(&mut self) {
        if let Some(stop) = self.stop_accepting.take() {
            let _ = stop.send(());
        }
        if let Some(accept_loop) = self.accept_loop.take() {
            let _ = accept_loop.await;
        }
    }

    /// Stops accepting, lets every connection finish the request it is serving, then closes it;
    /// returns `false` if some were still open at `deadline`.
    pub async fn shutdown(mut self, deadline: Instant) -> bool {
        self.stop_accepting().await;
        // An error only means no connection is left to hear it.
        let _ = self.close_connections.send(());
        tokio::time::timeout_at(deadline, self.all_closed.recv())
            .await
            .is_ok()
    }
}

struct AcceptLoop {
    listener: TcpListener,
    router: axum::Router,
    connections: Arc<Semaphore>,
    unauthenticated: Arc<Semaphore>,
    limits: Arc<Limits>,
    trusted_proxies: TrustedProxies,
    close: broadcast::Sender<()>,
    done: mpsc::Sender<()>,
}

impl AcceptLoop {
    async fn run(self, mut stop: oneshot::Receiver<()>) {
        let mut warned_at: Option<Instant> = None;
        loop {
            let permits = tokio::select! {
                permits = self.permits(&mut warned_at) => permits,
                _ = &mut stop => return,
            };
            let Some((connection, unauthenticated)) = permits else {
                return;
            };
            let (stream, peer) = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "could not accept a connection; retrying shortly (if this says too many open files, raise LimitNOFILE or lower server.max_connections)");
                        tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                        continue;
                    }
                },
                _ = &mut stop => return,
            };
            self.spawn_connection(stream, peer, connection, unauthenticated);
        }
    }

    /// Waits for a free connection slot and a free unauthenticated slot, warning (at most every
    /// [`LIMIT_WARNING_INTERVAL`]) when a limit makes it wait. `None` if the semaphores closed.
    async fn permits(
        &self,
        warned_at: &mut Option<Instant>,
    ) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let connection = Self::slot(
            &self.connections,
            warned_at,
            "server.max_connections",
            self.limits.max_connections,
        )
        .await?;
        let unauthenticated = Self::slot(
            &self.unauthenticated,
            warned_at,
            "server.max_unauthenticated_connections",
            self.limits.max_unauthenticated_connections,
        )
        .await?;
        Some((connection, unauthenticated))
    }

    /// A permit of `slots`, at once or after a warning naming `key`.
    async fn slot(
        slots: &Arc<Semaphore>,
        warned_at: &mut Option<Instant>,
        key: &str,
        limit: usize,
    ) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        warn_limit(warned_at, key, limit);
        slots.clone().acquire_owned().await.ok()
    }

    fn spawn_connection(
        &self,
        stream: tokio::net::TcpStream,
        peer: SocketAddr,
        connection: OwnedSemaphorePermit,
        unauthenticated: OwnedSemaphorePermit,
    ) {
        // Without it a small write that follows an unacknowledged one waits for the peer's
        // delayed ACK (up to 40 ms on Linux): every socket ack and event is such a write.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        let task = connection::Connection {
            stream,
            peer,
            router: self.router.clone(),
            limits: self.limits.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            connection_permit: connection,
            unauthenticated_permit: unauthenticated,
            close: self.close.subscribe(),
            _done: self.done.clone(),
        };
        tokio::spawn(task.serve());
    }
}

fn warn_limit(warned_at: &mut Option<Instant>, key: &str, limit: usize) {
    let now = Instant::now();
    if warned_at.is_some_and(|at| now - at < LIMIT_WARNING_INTERVAL) {
        return;
    }
    *warned_at = Some(now);
    tracing::warn!(
        limit,
        "connection limit reached ({key} = {limit}): new connections wait in the listen backlog until others close; raise {key} if this is legitimate load"
    );
}
