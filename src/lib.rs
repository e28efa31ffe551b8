//! omegachatd: the OmegaChat daemon as a library, so tests can build and run it in-process.
//!
//! Requests flow one way: edge ([`http`]) → [`service`] → [`store`]; [`domain`] types travel
//! between them.

pub mod admin;
pub mod app;
pub mod bus;
pub mod cli;
pub mod domain;
pub mod http;
pub mod realtime;
pub mod reload;
pub mod server;
pub mod service;
pub mod store;
pub mod systemd;
pub mod telemetry;
pub mod wire;

pub use app::{AppState, Application, StartupError};
