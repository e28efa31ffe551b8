//! omegachatd: the OmegaChat daemon as a library, so tests can build and run it in-process.
//!
//! Requests flow one way: an edge ([`http`], [`realtime`], [`admin`]) → [`service`] → [`store`],
//! [`bus`] and [`fetch`] (outbound HTTP for link previews); [`domain`] types travel between them.
//! The edges share [`edge`] and never import one another; [`app`] only builds and runs them.

pub mod admin;
pub mod app;
pub mod bus;
pub mod cli;
pub mod domain;
pub mod edge;
pub mod fetch;
pub mod http;
pub mod realtime;
pub mod reload;
pub mod server;
pub mod service;
pub mod store;
pub mod systemd;
pub mod telemetry;

pub use app::{Application, StartupError};
pub use service::Services;
