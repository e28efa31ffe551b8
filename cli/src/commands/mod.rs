//! One module per command group. Each turns its arguments into a contract request, decides up
//! front whether it will need a prompt (so a non-interactive run fails before touching the daemon),
//! and renders the answer for people; `--json` prints the daemon's own JSON instead.

mod audit;
mod backup;
mod completions;
mod config;
mod group;
mod health;
mod keys;
mod migrate;
mod user;

use crate::args::{Command, GlobalArgs, Paging};
use crate::client::{AdminClient, Reply};
use crate::error::{CliError, EXIT_OK};
use crate::output;
use crate::socket;

/// What every command may need: the global flags and a way to reach the daemon.
pub struct Context {
    pub global: GlobalArgs,
}

impl Context {
    /// A context for one run with these global flags.
    pub fn new(global: GlobalArgs) -> Self {
        Self { global }
    }

    /// A client for the socket found as `socket::resolve` describes; only daemon commands ask.
    pub fn client(&self) -> Result<AdminClient, CliError> {
        let located = socket::resolve(
            self.global.socket.as_deref(),
            self.global.config.as_deref(),
            &socket::process_env(),
            &socket::LocalHost,
        )?;
        Ok(AdminClient::new(located))
    }

    /// Prints the answer: the daemon's JSON with `--json`, else `human`'s rendering.
    pub fn show<T>(
        &self,
        reply: &Reply<T>,
        human: impl FnOnce(&T) -> String,
    ) -> Result<(), CliError> {
        if self.global.json {
            output::emit(&output::pretty_json(&reply.raw)?)
        } else {
            output::emit(&human(&reply.body))
        }
    }
}

/// Runs one command; the result is the exit status (`health` has three successful ones).
pub async fn run(command: Command, ctx: &Context) -> Result<u8, CliError> {
    match command {
        Command::Health => health::health(ctx).await,
        Command::Status => health::status(ctx).await.map(|()| EXIT_OK),
        Command::Migrate(cmd) => migrate::run(cmd, ctx).await.map(|()| EXIT_OK),
        Command::User(cmd) => user::run(cmd, ctx).await.map(|()| EXIT_OK),
        Command::Group(cmd) => group::run(cmd, ctx).await.map(|()| EXIT_OK),
        Command::Keys(cmd) => keys::run(cmd, ctx).await.map(|()| EXIT_OK),
        Command::Audit { limit } => audit::run(limit, ctx).await.map(|()| EXIT_OK),
        Command::Backup { path } => backup::run(&path, ctx).await.map(|()| EXIT_OK),
        Command::Config(cmd) => config::run(cmd, ctx),
        Command::Completions { shell } => completions::run(shell, ctx).map(|()| EXIT_OK),
    }
}

/// The command line that fetches the next page, for the hint after a list.
fn next_page_command(base: &str, paging: &Paging, extra: &[&str], cursor: &str) -> String {
    let mut words: Vec<String> = base.split(' ').map(str::to_owned).collect();
    if let Some(prefix) = &paging.prefix {
        words.extend(["--prefix".to_owned(), prefix.clone()]);
    }
    if let Some(limit) = paging.limit {
        words.extend(["--limit".to_owned(), limit.to_string()]);
    }
    words.extend(extra.iter().map(|w| w.to_string()));
    words.extend(["--cursor".to_owned(), cursor.to_owned()]);
    shell_words::join(words)
}

/// Tells, on stderr so a pipe reading the table does not see it, how to get the next page.
fn hint_next_page(ctx: &Context, next: Option<&str>, command: impl FnOnce(&str) -> String) {
    if let (false, Some(cursor)) = (ctx.global.json, next) {
        eprintln!("more: {}", command(cursor));
    }
}

/// `1 session` / `3 sessions`.
fn plural(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_hint_repeats_the_filters_and_quotes_the_cursor() {
        let paging = Paging {
            prefix: Some("al".into()),
            limit: Some(50),
            cursor: Some("old".into()),
        };
        assert_eq!(
            next_page_command("omegactl user list", &paging, &["--disabled"], "abc def"),
            "omegactl user list --prefix al --limit 50 --disabled --cursor 'abc def'"
        );
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(plural(1, "session", "sessions"), "1 session");
        assert_eq!(plural(0, "session", "sessions"), "0 sessions");
    }
}
