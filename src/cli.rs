//! omegachatd's command line, shared by the binary and the man page generator (`man/omegachatd.8`).

use std::path::PathBuf;

use clap::Parser;

/// The OmegaChat daemon: REST API, real-time endpoint and web app on one listener.
#[derive(Parser, Debug)]
#[command(
    name = "omegachatd",
    version,
    about,
    after_help = "Configuration: omegachat.toml(5). Administration: omegactl(8), over the admin socket \
                  (admin.socket); while it runs, the daemon records the socket's path for omegactl in \
                  $RUNTIME_DIRECTORY/admin-socket under systemd, else in \
                  $XDG_RUNTIME_DIR/omegachat/admin-socket. Signals: SIGINT/SIGTERM stop gracefully; \
                  SIGHUP re-reads the configuration and applies log.level and \
                  chat.sends_per_user_per_minute. Exit status: 0 after a clean shutdown, 1 when the \
                  daemon fails, 2 for an invalid configuration."
)]
pub struct Args {
    /// Configuration file (default: $OMEGACHAT_CONFIG, ./omegachat.toml, /etc/omegachat/omegachat.toml).
    #[arg(short, long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Validate the configuration and exit: 0 when valid, 2 when not.
    #[arg(long)]
    pub check_config: bool,
}
