//! `omegactl`: the sysadmin's tool for a running omegachatd. Its commands arrive with the admin
//! socket; for now it reports its version.

use clap::Parser;

/// Administer a running omegachatd over its admin socket.
#[derive(Parser)]
#[command(version, about)]
struct Args {}

fn main() {
    Args::parse();
    eprintln!("omegactl: no commands yet; see `omegactl --help`");
    std::process::exit(2);
}
