//! The connection limits of the public listener, and the open-files limit they need.

use std::time::Duration;

use omegachat_contract::config::ServerConfig;

/// Descriptors kept for what is not a client connection: the database pool, the admin socket,
/// log files, the SQLite WAL and journal, DNS.
const RESERVED_DESCRIPTORS: usize = 256;

/// How many connections the listener holds, and how long it waits for slow ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub max_unauthenticated_connections: usize,
    pub request_header_timeout: Duration,
    pub idle_timeout: Duration,
}

impl From<&ServerConfig> for Limits {
    fn from(config: &ServerConfig) -> Self {
        Self {
            max_connections: config.max_connections,
            max_unauthenticated_connections: config.max_unauthenticated_connections,
            request_header_timeout: Duration::from_millis(config.request_header_timeout_ms),
            idle_timeout: Duration::from_millis(config.idle_timeout_ms),
        }
    }
}

/// Raises the soft open-files limit as far as the hard limit allows for `limits`, and lowers
/// `max_connections` (with a warning naming both settings) if the result is still too small:
/// past it, accepting fails with EMFILE and the daemon could not even open its database.
pub fn raise_open_files_limit(limits: &mut Limits) {
    let wanted = limits.max_connections.saturating_add(RESERVED_DESCRIPTORS) as u64;
    let available = match open_files_limit(wanted) {
        Ok(available) => available,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the open-files limit; keeping server.max_connections as configured");
            return;
        }
    };
    if available >= wanted {
        return;
    }
    let allowed = (available as usize)
        .saturating_sub(RESERVED_DESCRIPTORS)
        .max(1);
    let message = format!(
        "server.max_connections ({}) is more than the open-files limit ({available}) allows: serving at most {allowed} connections; raise LimitNOFILE (systemd) or the hard `ulimit -n`, or lower server.max_connections",
        limits.max_connections
    );
    // A value the administrator chose deserves a warning; the default adapts quietly.
    if limits.max_connections == ServerConfig::default().max_connections {
        tracing::info!("{message}");
    } else {
        tracing::warn!("{message}");
    }
    limits.max_connections = allowed;
    limits.max_unauthenticated_connections = limits.max_unauthenticated_connections.min(allowed);
}

/// Sets the soft RLIMIT_NOFILE to `wanted` (or to the hard limit, if lower); returns the result.
fn open_files_limit(wanted: u64) -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur >= wanted {
            return Ok(limit.rlim_cur);
        }
        let raised = libc::rlimit {
            rlim_cur: wanted.min(limit.rlim_max),
            rlim_max: limit.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) != 0 {
            return Ok(limit.rlim_cur);
        }
        Ok(raised.rlim_cur)
    }
}
