//! `config check`: validates a configuration as the daemon would load it, without a daemon.

use std::path::PathBuf;

use omegachat_contract::{ConfigError, load};
use serde::Serialize;

use super::Context;
use crate::args::ConfigCommand;
use crate::error::{CliError, EXIT_OK, EXIT_USAGE};
use crate::output;
use crate::socket::process_env;

pub fn run(cmd: ConfigCommand, ctx: &Context) -> Result<u8, CliError> {
    let ConfigCommand::Check { path } = cmd;
    // `config check PATH` names the file; otherwise the global --config, then the daemon's lookup.
    let explicit = path.or_else(|| ctx.global.config.clone());
    let result = load(explicit.as_deref(), process_env());
    if ctx.global.json {
        let (report, code) = match &result {
            Ok(loaded) => (json_report(loaded.path.as_ref(), None), EXIT_OK),
            Err(err) => (json_report(explicit.as_ref(), Some(err)), EXIT_USAGE),
        };
        output::emit(&output::json(&report)?)?;
        return Ok(code);
    }
    let loaded = result?;
    let source = match &loaded.path {
        Some(path) => path.display().to_string(),
        None => "no file found: built-in defaults and environment".to_owned(),
    };
    output::emit(&format!("configuration OK ({source})\n"))?;
    Ok(EXIT_OK)
}

/// What `config check --json` prints.
#[derive(Debug, Serialize)]
struct Report {
    ok: bool,
    path: Option<String>,
    error: Option<ReportedError>,
}

/// A [`ConfigError`] in parts, so a script can point at the key; `text` is the one-line message.
#[derive(Debug, Serialize)]
struct ReportedError {
    origin: String,
    line: Option<usize>,
    key: Option<String>,
    message: String,
    text: String,
}

fn json_report(path: Option<&PathBuf>, error: Option<&ConfigError>) -> Report {
    Report {
        ok: error.is_none(),
        path: path.map(|p| p.display().to_string()),
        error: error.map(|e| ReportedError {
            origin: e.origin.clone(),
            line: e.line,
            key: e.key.clone(),
            message: e.message.clone(),
            text: CliError::Config(e.clone()).to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_report_names_the_bad_key() {
        let err = ConfigError {
            origin: "/etc/omegachat/omegachat.toml".into(),
            line: Some(3),
            key: Some("server.listen".into()),
            message: "invalid socket address".into(),
        };
        let path = PathBuf::from("/etc/omegachat/omegachat.toml");
        let report = serde_json::to_value(json_report(Some(&path), Some(&err))).unwrap();
        assert_eq!(report["ok"], false);
        assert_eq!(report["error"]["key"], "server.listen");
        assert_eq!(report["error"]["line"], 3);
        let ok = serde_json::to_value(json_report(Some(&path), None)).unwrap();
        assert_eq!(ok["ok"], true);
        assert!(ok["error"].is_null());
    }
}
