//! Rules and authorization. Services know nothing of HTTP or sockets and nothing of which engine
//! stores their data: edges call them, they call stores.

pub mod accounts;
pub mod admin;
pub mod audience;
pub mod conversations;
pub mod error;
pub mod groups;
pub mod login_throttle;
pub mod passwords;
pub mod presence;
pub mod social;
pub mod stats;
pub mod tokens;

pub use accounts::{AccountService, LoginOutcome, ProfileChanges, Registration};
pub use error::{ServiceError, TokenRejection};
