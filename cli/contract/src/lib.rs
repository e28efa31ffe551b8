//! What `omegachatd` and `omegactl` agree on, kept free of database drivers and network code so
//! that `omegactl` links none of them: the configuration file format (so `omegactl config check`
//! validates a file exactly as the daemon would), the admin protocol spoken on the Unix socket,
//! and where a running daemon records that socket for omegactl to find.

pub mod admin;
pub mod config;
pub mod load;
pub mod runtime;

pub use config::{AdminConfig, AutoMigrate, Config, DatabaseEngine, DmPolicy, LogFormat, LogLevel};
pub use load::{ConfigError, LoadedConfig, load};
