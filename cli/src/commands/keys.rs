//! `keys …`: the keys that sign access tokens. Retiring a key logs out every session it signed,
//! so both ways of retiring one say how many before they act.

use omegachat_contract::admin::{KeyChange, KeyInfo, KeyState, ListKeys, RetireKey, RotateKeys};

use super::{Context, plural};
use crate::args::KeysCommand;
use crate::client::AdminClient;
use crate::error::CliError;
use crate::output::{self, Table};
use crate::prompt::{self, Consent};

pub async fn run(cmd: KeysCommand, ctx: &Context) -> Result<(), CliError> {
    match cmd {
        KeysCommand::List => {
            let reply = ctx.client()?.send(&ListKeys).await?;
            ctx.show(&reply, |list| render_keys(&list.keys))
        }
        KeysCommand::Rotate { retire_old } => {
            // Only retiring logs anyone out; a plain rotation leaves old keys verifying.
            let consent = if retire_old {
                Some(prompt::consent(ctx.global.yes, "retire the old keys")?)
            } else {
                None
            };
            let client = ctx.client()?;
            if consent == Some(Consent::Ask) {
                let keys = list(&client).await?;
                let live: Vec<&KeyInfo> = keys
                    .iter()
                    .filter(|k| k.state != KeyState::Retired)
                    .collect();
                let sessions = live.iter().map(|k| k.live_sessions).sum::<u64>();
                prompt::confirm(
                    Consent::Ask,
                    &format!(
                        "Rotating with --retire-old retires {} and logs out {}. Continue?",
                        plural(live.len() as u64, "key", "keys"),
                        plural(sessions, "session", "sessions")
                    ),
                )?;
            }
            let reply = client.send(&RotateKeys { retire_old }).await?;
            ctx.show(&reply, render_change)
        }
        KeysCommand::Retire { kid } => {
            let consent = prompt::consent(ctx.global.yes, &format!("retire key {kid}"))?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                let keys = list(&client).await?;
                // An unknown kid is left for the daemon to refuse, with its own message.
                let sessions = keys
                    .iter()
                    .find(|k| k.kid == kid)
                    .map_or(0, |k| k.live_sessions);
                prompt::confirm(
                    consent,
                    &format!(
                        "Retiring key {kid} logs out {}. Continue?",
                        plural(sessions, "session", "sessions")
                    ),
                )?;
            }
            let reply = client.send(&RetireKey { kid }).await?;
            ctx.show(&reply, render_change)
        }
    }
}

async fn list(client: &AdminClient) -> Result<Vec<KeyInfo>, CliError> {
    Ok(client.send(&ListKeys).await?.body.keys)
}

fn render_keys(keys: &[KeyInfo]) -> String {
    let mut table = Table::new(&["KID", "STATE", "CREATED", "AGE", "LIVE SESSIONS"]);
    for key in keys {
        table.row(vec![
            key.kid.clone(),
            key.state.as_str().to_owned(),
            key.created_at.clone(),
            output::duration(key.age_secs),
            key.live_sessions.to_string(),
        ]);
    }
    table.render()
}

fn render_change(change: &KeyChange) -> String {
    let mut pairs = Vec::new();
    if let Some(kid) = &change.new_kid {
        pairs.push(("new active key", kid.clone()));
    }
    let retired = if change.retired.is_empty() {
        "none".to_owned()
    } else {
        change.retired.join(", ")
    };
    pairs.push(("retired", retired));
    pairs.push((
        "sessions logged out",
        change.sessions_logged_out.to_string(),
    ));
    format!("{}\n{}", output::fields(&pairs), render_keys(&change.keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_change_says_what_was_retired_and_who_was_logged_out() {
        let change = KeyChange {
            new_kid: Some("k2".into()),
            retired: vec!["k1".into()],
            sessions_logged_out: 3,
            keys: vec![
                KeyInfo {
                    kid: "k2".into(),
                    state: KeyState::Active,
                    created_at: "2026-02-01T00:00:00Z".into(),
                    age_secs: 5,
                    live_sessions: 0,
                },
                KeyInfo {
                    kid: "k1".into(),
                    state: KeyState::Retired,
                    created_at: "2026-01-01T00:00:00Z".into(),
                    age_secs: 2_678_400,
                    live_sessions: 0,
                },
            ],
        };
        assert_eq!(
            render_change(&change),
            "new active key:      k2\n\
             retired:             k1\n\
             sessions logged out: 3\n\
             \n\
             KID  STATE    CREATED               AGE     LIVE SESSIONS\n\
             k2   active   2026-02-01T00:00:00Z  5s      0\n\
             k1   retired  2026-01-01T00:00:00Z  31d 0h  0\n"
        );
    }
}
