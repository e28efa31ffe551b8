//! `completions SHELL`: completion scripts generated from the same clap definition as `--help`.

use clap::CommandFactory;
use clap_complete::Shell;

use serde_json::json;

use super::Context;
use crate::args::{Args, CompletionShell};
use crate::error::CliError;
use crate::output;

/// Prints the script; with `--json`, wrapped as `{"shell", "script"}` like every other answer.
pub fn run(shell: CompletionShell, ctx: &Context) -> Result<(), CliError> {
    let name = match shell {
        CompletionShell::Bash => "bash",
        CompletionShell::Zsh => "zsh",
        CompletionShell::Fish => "fish",
    };
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "omegactl", &mut script);
    let script = String::from_utf8_lossy(&script);
    if ctx.global.json {
        output::emit(&output::json(&json!({ "shell": name, "script": script }))?)
    } else {
        output::emit(&script)
    }
}
