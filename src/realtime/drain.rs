//! Finishing the socket requests in progress before the daemon stops.
//!
//! Event handlers run as tasks of their own, which the HTTP server does not wait for: without
//! this, a SIGTERM closed the database under `send_message`s that had arrived and they failed.
//! On shutdown the edge stops taking new requests (they are refused with `shutting_down`, so the
//! client resends after reconnecting, idempotently by `client_msg_id`), waits for those running
//! to be stored and acknowledged, then closes the sockets and waits for their disconnect work
//! (presence, last seen) before the stores are closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Counts the socket requests in progress, and refuses new ones once shutdown began.
#[derive(Default)]
pub struct Drain {
    draining: AtomicBool,
    in_flight: AtomicUsize,
    /// Authenticated sockets whose disconnect handling has not finished.
    sockets: AtomicUsize,
    /// Requests refused since shutdown began: while they keep coming, clients are still
    /// sending, and closing now would leave what is on the wire unanswered.
    refused: AtomicUsize,
    idle: Notify,
}

/// A request in progress; finished when dropped.
pub struct InFlight(Arc<Drain>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Drain {
    /// Registers a request, unless shutdown began (`None`: refuse it).
    pub fn enter(self: &Arc<Self>) -> Option<InFlight> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let guard = InFlight(self.clone());
        // Checked after counting, so `finish` cannot miss a request that got past this check.
        if self.draining.load(Ordering::Acquire) {
            self.refused.fetch_add(1, Ordering::AcqRel);
            return None;
        }
        Some(guard)
    }

    /// Refuses new requests and waits until those in progress are done; `false` if some were
    /// still running at `deadline`.
    pub async fn finish(&self, deadline: Instant) -> bool {
        self.draining.store(true, Ordering::Release);
        self.until_zero(&self.in_flight, deadline).await
    }

    /// After [`finish`](Self::finish): waits until no request has been refused for `quiet`
    /// (bounded by `deadline`), so that what clients sent before they saw the refusals is
    /// answered too, not cut off by closing the sockets.
    pub async fn quiet_for(&self, quiet: std::time::Duration, deadline: Instant) {
        loop {
            let seen = self.refused.load(Ordering::Acquire);
            let until = (Instant::now() + quiet).min(deadline);
            tokio::time::sleep_until(until).await;
            if self.refused.load(Ordering::Acquire) == seen || until >= deadline {
                return;
            }
        }
    }

    /// Waits until `counter` is zero; `false` if it was not by `deadline`.
    async fn until_zero(&self, counter: &AtomicUsize, deadline: Instant) -> bool {
        loop {
            let idle = self.idle.notified();
            if counter.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return counter.load(Ordering::Acquire) == 0;
            }
        }
    }

    /// Requests in progress.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// A socket authenticated; [`socket_done`](Self::socket_done) must follow once its
    /// disconnect has been handled.
    pub fn socket_opened(&self) {
        self.sockets.fetch_add(1, Ordering::AcqRel);
    }

    /// A socket's disconnect has been handled (presence updated, peers told).
    pub fn socket_done(&self) {
        if self.sockets.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Waits until every socket's disconnect has been handled; `false` if some were still
    /// pending at `deadline`. (socketioxide runs disconnect handlers as tasks of their own.)
    pub async fn sockets_closed(&self, deadline: Instant) -> bool {
        self.until_zero(&self.sockets, deadline).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn finish_waits_for_requests_in_progress_and_refuses_new_ones() {
        let drain = Arc::new(Drain::default());
        let running = drain.enter().expect("accepted before shutdown");
        let finished = tokio::spawn({
            let drain = drain.clone();
            async move { drain.finish(Instant::now() + Duration::from_secs(10)).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(drain.enter().is_none(), "refused once shutdown began");
        assert!(
            !finished.is_finished(),
            "still waiting for the running request"
        );
        drop(running);
        assert!(finished.await.unwrap());
        assert_eq!(drain.in_flight(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn sockets_closed_waits_for_every_disconnect_to_be_handled() {
        let drain = Arc::new(Drain::default());
        drain.socket_opened();
        drain.socket_opened();
        let waiting = tokio::spawn({
            let drain = drain.clone();
            async move {
                drain
                    .sockets_closed(Instant::now() + Duration::from_secs(10))
                    .await
            }
        });
        drain.socket_done();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!waiting.is_finished(), "one disconnect still being handled");
        drain.socket_done();
        assert!(waiting.await.unwrap());
    }

    #[tokio::test(start_paused = true)]
    async fn quiet_for_waits_while_refusals_keep_coming() {
        let drain = Arc::new(Drain::default());
        let start = Instant::now();
        assert!(drain.finish(start + Duration::from_secs(10)).await);
        let refusing = tokio::spawn({
            let drain = drain.clone();
            async move {
                for _ in 0..5 {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    assert!(drain.enter().is_none());
                }
            }
        });
        drain
            .quiet_for(Duration::from_millis(50), start + Duration::from_secs(10))
            .await;
        refusing.await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(150 + 50),
            "waited for the refusals to stop, then for the quiet period"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn finish_gives_up_at_the_deadline() {
        let drain = Arc::new(Drain::default());
        let _stuck = drain.enter().unwrap();
        assert!(!drain.finish(Instant::now() + Duration::from_secs(1)).await);
    }
}
