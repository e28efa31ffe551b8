//! Talking to systemd when omegachatd runs as a `Type=notify` service (systemd/omegachatd.service);
//! without `NOTIFY_SOCKET` in the environment every call here does nothing.

use std::sync::Arc;
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::task::JoinHandle;

use crate::store::DatabaseHealth;

fn notify(state: NotifyState<'_>, what: &str) {
    if let Err(e) = sd_notify::notify(&[state]) {
        tracing::warn!(error = %e, "could not tell systemd {what}");
    }
}

/// The listener is bound and the database migrated and reachable: systemd may start dependants.
pub fn ready() {
    notify(NotifyState::Ready, "the daemon is ready");
}

/// A configuration reload (SIGHUP) has begun; [`ready`] follows when it is done.
pub fn reloading() {
    notify(NotifyState::Reloading, "the daemon is reloading");
}

/// Shutdown has begun: systemd shows the unit as deactivating rather than failed.
pub fn stopping() {
    notify(NotifyState::Stopping, "the daemon is stopping");
}

/// With `WatchdogSec=` set, pings systemd at half the interval for as long as the database answers,
/// so a daemon whose database connection has hung is restarted rather than left half-alive.
pub fn spawn_watchdog(health: Arc<dyn DatabaseHealth>) -> Option<JoinHandle<()>> {
    let interval = sd_notify::watchdog_enabled()? / 2;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            match tokio::time::timeout(interval.max(Duration::from_millis(100)), health.ping())
                .await
            {
                Ok(Ok(_)) => notify(NotifyState::Watchdog, "the daemon is alive"),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "database check failed; withholding the watchdog ping")
                }
                Err(_) => tracing::warn!("database check timed out; withholding the watchdog ping"),
            }
        }
    }))
}
