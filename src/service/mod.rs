//! Rules and authorization. Services know nothing of HTTP or sockets and nothing of which engine
//! stores their data: edges call them, they call stores. [`Services`] bundles them for the public
//! edges; [`system::SystemService`] exists from start-up on, starts them once the schema is
//! current, and answers the admin edge's questions about the daemon itself.

pub mod accounts;
pub mod admin;
pub mod audience;
mod bundle;
pub mod cluster;
pub mod conversations;
pub mod error;
pub mod groups;
pub mod login_throttle;
pub mod nodes;
pub mod passwords;
pub mod presence;
pub mod preview;
pub mod social;
pub mod stats;
pub mod system;
pub mod tokens;

pub use accounts::{AccountService, LoginOutcome, ProfileChanges, Registration};
pub use bundle::Services;
pub use error::{ServiceError, TokenRejection};
