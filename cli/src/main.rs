//! `omegactl`: administer a running omegachatd over its admin socket. See omegactl(8).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    omegactl::run(omegactl::args::Args::parse())
}
