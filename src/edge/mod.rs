//! What the edges share, so that no edge borrows from another: the error answer and the one
//! mapping of service errors to it, the extractors whose rejections answer in that shape, id
//! parsing, the JSON views of chat-domain types, and who the client is behind a load balancer. The edges themselves are [`crate::http`]
//! (REST), [`crate::realtime`] (Socket.IO) and [`crate::admin`] (the admin socket).

pub mod client_addr;
pub mod error;
pub mod extract;
pub mod ids;
pub mod wire;
