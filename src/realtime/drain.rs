//! Finishing the socket requests in progress before the daemon stops.
//!
//! Event handlers run as tasks of their own, which the HTTP server does not wait for: without
//! this, a SIGTERM closed the database under `send_message`s that had arrived and they failed.
//! On shutdown the edge stops taking new requests (they are refused with `shutting_down`, so the
//! client resends after reconnecting, idempotently by `client_msg_id`), waits for those running
//! to be stored and acknowledged, and only then are the sockets and the stores closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;
use tokio::time::Instant;

/// Counts the socket requests in progress, and refuses new ones once shutdown began.
#[derive(Default)]
pub struct Drain {
    draining: AtomicBool,
    in_flight: AtomicUsize,
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
            return None;
        }
        Some(guard)
    }

    /// Refuses new requests and waits until those in progress are done; `false` if some were
    /// still running at `deadline`.
    pub async fn finish(&self, deadline: Instant) -> bool {
        self.draining.store(true, Ordering::Release);
        loop {
            let idle = self.idle.notified();
            if self.in_flight.load(Ordering::Acquire) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight.load(Ordering::Acquire) == 0;
            }
        }
    }

    /// Requests in progress.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
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
    async fn finish_gives_up_at_the_deadline() {
        let drain = Arc::new(Drain::default());
        let _stuck = drain.enter().unwrap();
        assert!(!drain.finish(Instant::now() + Duration::from_secs(1)).await);
    }
}
