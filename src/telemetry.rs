//! Log output: human-readable on a terminal, JSON lines when asked (for journald/log shippers).

use std::io::IsTerminal;

use omegachat_contract::config::{LogConfig, LogFormat, LogLevel};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, fmt, reload};

/// Changes the level of a running daemon's log (on SIGHUP).
pub struct LogControl {
    handle: reload::Handle<EnvFilter, Registry>,
    /// `RUST_LOG` was set at start: it keeps winning over `log.level`.
    pinned_by_env: bool,
}

impl LogControl {
    /// Applies a new `log.level`; false when `RUST_LOG` pins the filter instead.
    pub fn set_level(&self, level: LogLevel) -> bool {
        if self.pinned_by_env {
            return false;
        }
        if let Err(e) = self.handle.reload(EnvFilter::new(level.to_string())) {
            tracing::error!(error = %e, "cannot change the log level");
            return false;
        }
        true
    }
}

/// Installs the global subscriber. `RUST_LOG`, when set, wins over `log.level`.
pub fn init(config: &LogConfig) -> LogControl {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|d| !d.trim().is_empty());
    let filter = match &from_env {
        Some(directives) => EnvFilter::new(directives),
        None => EnvFilter::new(config.level.to_string()),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let layer = fmt::layer()
        .with_writer(std::io::stderr)
        // On a failed write the subscriber would report it with eprintln!, which panics when
        // stderr itself is gone (a closed pipe, a restarted journald): logs may be lost, the
        // daemon must not be.
        .log_internal_errors(false);
    let registry = tracing_subscriber::registry().with(filter);
    match config.format {
        LogFormat::Json => registry
            .with(layer.json().with_current_span(true).with_span_list(false))
            .init(),
        LogFormat::Text => registry.with(layer.with_ansi(false)).init(),
        LogFormat::Auto => registry
            .with(layer.with_ansi(std::io::stderr().is_terminal()))
            .init(),
    }
    LogControl {
        handle,
        pinned_by_env: from_env.is_some(),
    }
}
