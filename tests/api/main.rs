//! Integration tests: the real daemon, in-process on port 0, spoken to over HTTP.
//! One test binary (faster to link); stories grouped by capability.

mod helpers;

mod accounts;
mod chat;
mod daemon;
mod profiles;
mod throttling;
mod tokens;
