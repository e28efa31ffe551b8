//! `user …`: accounts. Passwords and confirmations are settled before the first request, so a
//! run without a terminal fails fast instead of half-way.

use omegachat_contract::admin::{
    AdminUser, CreateUser, DeleteUser, DisableUser, EnableUser, GetUser, ListUsers, LogoutUser,
    NewPassword, Revocation, SetPassword, UserList,
};

use super::{Context, hint_next_page, next_page_command, plural};
use crate::args::UserCommand;
use crate::error::CliError;
use crate::output::{self, Table};
use crate::prompt::{self, Consent, PasswordInput};

pub async fn run(cmd: UserCommand, ctx: &Context) -> Result<(), CliError> {
    match cmd {
        UserCommand::Create {
            username,
            email,
            display_name,
            password,
        } => {
            let input = PasswordInput::choose(password.password_stdin)?;
            let client = ctx.client()?;
            let request = CreateUser {
                password: input.read(&username)?,
                username,
                email,
                display_name,
            };
            let reply = client.send(&request).await?;
            ctx.show(&reply, |user| {
                format!("created user {}\n\n{}", user.username, render_user(user))
            })
        }
        UserCommand::List { paging, disabled } => {
            let request = ListUsers {
                prefix: paging.prefix.clone(),
                limit: paging.limit,
                cursor: paging.cursor.clone(),
                disabled,
            };
            let reply = ctx.client()?.send(&request).await?;
            ctx.show(&reply, render_list)?;
            let extra: &[&str] = if disabled { &["--disabled"] } else { &[] };
            hint_next_page(ctx, reply.body.next_cursor.as_deref(), |cursor| {
                next_page_command("omegactl user list", &paging, extra, cursor)
            });
            Ok(())
        }
        UserCommand::Show { user } => {
            let reply = ctx.client()?.send(&GetUser { user }).await?;
            ctx.show(&reply, render_user)
        }
        UserCommand::Disable { user } => {
            let reply = ctx.client()?.send(&DisableUser { user }).await?;
            ctx.show(&reply, |r| render_revocation("disabled", r))
        }
        UserCommand::Enable { user } => {
            let reply = ctx.client()?.send(&EnableUser { user }).await?;
            ctx.show(&reply, |user| format!("enabled user {}\n", user.username))
        }
        UserCommand::Passwd { user, password } => {
            let input = PasswordInput::choose(password.password_stdin)?;
            let client = ctx.client()?;
            let request = SetPassword {
                body: NewPassword {
                    password: input.read(&user)?,
                },
                user,
            };
            let reply = client.send(&request).await?;
            ctx.show(&reply, |r| render_revocation("set a new password for", r))
        }
        UserCommand::Delete { user } => {
            let consent = prompt::consent(ctx.global.yes, &format!("delete user {user}"))?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                // Named from the daemon's record, so a typo'd id shows whom it would hit.
                let found = client.send(&GetUser { user: user.clone() }).await?.body;
                prompt::confirm(
                    consent,
                    &format!(
                        "Delete user {} ({})? This cannot be undone",
                        found.username, found.email
                    ),
                )?;
            }
            let reply = client.send(&DeleteUser { user }).await?;
            ctx.show(&reply, |r| render_revocation("deleted", r))
        }
        UserCommand::Logout { user } => {
            let reply = ctx.client()?.send(&LogoutUser { user }).await?;
            ctx.show(&reply, |r| render_revocation("logged out", r))
        }
    }
}

fn render_user(user: &AdminUser) -> String {
    output::fields(&[
        ("id", user.id.to_string()),
        ("username", user.username.clone()),
        ("email", user.email.clone()),
        (
            "display name",
            output::or_dash(user.display_name.as_deref()),
        ),
        ("state", user.state.as_str().to_owned()),
        ("created", user.created_at.clone()),
        ("last seen", output::or_dash(user.last_seen.as_deref())),
    ])
}

fn render_list(list: &UserList) -> String {
    if list.users.is_empty() {
        return "no users\n".to_owned();
    }
    let mut table = Table::new(&[
        "USERNAME",
        "ID",
        "EMAIL",
        "DISPLAY NAME",
        "STATE",
        "CREATED",
        "LAST SEEN",
    ]);
    for user in &list.users {
        table.row(vec![
            user.username.clone(),
            user.id.to_string(),
            user.email.clone(),
            output::or_dash(user.display_name.as_deref()),
            user.state.as_str().to_owned(),
            user.created_at.clone(),
            output::or_dash(user.last_seen.as_deref()),
        ]);
    }
    table.render()
}

/// `disabled alice; 2 live connections closed`.
fn render_revocation(verb: &str, revocation: &Revocation) -> String {
    format!(
        "{verb} {}; {} closed\n",
        revocation.user.username,
        plural(
            revocation.sockets_disconnected as u64,
            "live connection",
            "live connections"
        )
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::AccountState;

    fn alice() -> AdminUser {
        AdminUser {
            id: 1,
            username: "alice".into(),
            email: "alice@example.org".into(),
            display_name: None,
            state: AccountState::Disabled,
            created_at: "2026-01-01T00:00:00Z".into(),
            last_seen: None,
        }
    }

    #[test]
    fn a_user_reads_as_key_value_pairs() {
        let text = render_user(&alice());
        assert!(text.contains("username:     alice\n"), "{text}");
        assert!(text.contains("display name: -\n"), "{text}");
        assert!(text.contains("state:        disabled\n"), "{text}");
    }

    #[test]
    fn revocations_say_how_many_connections_closed() {
        let revocation = Revocation {
            user: alice(),
            sockets_disconnected: 1,
        };
        assert_eq!(
            render_revocation("disabled", &revocation),
            "disabled alice; 1 live connection closed\n"
        );
    }
}
