//! `omegactl`: the sysadmin's tool for a running omegachatd, speaking the admin protocol of
//! `omegachat_contract::admin` over the daemon's Unix socket.
//!
//! The binary is a thin shell around [`run`]; [`args`] is public so the man page test can render
//! the same definition that parses the command line.

pub mod args;
mod client;
mod commands;
mod error;
mod output;
mod prompt;
mod socket;
mod unit;

use std::process::ExitCode;

pub use error::CliError;

/// Runs the parsed command line; failures are printed to stderr as one `omegactl: …` line.
pub fn run(args: args::Args) -> ExitCode {
    let ctx = commands::Context::new(args.global);
    // One request at a time, so one thread is plenty.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(commands::run(args.command, &ctx)),
        Err(err) => Err(CliError::Io(format!("cannot start the I/O runtime: {err}"))),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("omegactl: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
