//! `user …`: accounts. Passwords and confirmations are settled before the first request, so a
//! run without a terminal fails fast instead of half-way.

use omegachat_contract::admin::{AdminUser, CreateUser, Revocation, SetPassword, UserList};

use super::{Context, hint_next_page, next_page_command, paging_query, plural};
use crate::args::UserCommand;
use crate::client::{encode, with_query};
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
            let reply = client
                .post::<_, AdminUser>("/v1/users", Some(&request))
                .await?;
            ctx.show(&reply, |user| {
                format!("created user {}\n\n{}", user.username, render_user(user))
            })
        }
        UserCommand::List { paging, disabled } => {
            let mut query = paging_query(&paging);
            query.push(("disabled", disabled.then(|| "true".to_owned())));
            let reply = ctx
                .client()?
                .get::<UserList>(&with_query("/v1/users", &query))
                .await?;
            ctx.show(&reply, render_list)?;
            let extra: &[&str] = if disabled { &["--disabled"] } else { &[] };
            hint_next_page(ctx, reply.body.next_cursor.as_deref(), |cursor| {
                next_page_command("omegactl user list", &paging, extra, cursor)
            });
            Ok(())
        }
        UserCommand::Show { user } => {
            let reply = ctx.client()?.get::<AdminUser>(&user_path(&user)).await?;
            ctx.show(&reply, render_user)
        }
        UserCommand::Disable { user } => {
            let path = format!("{}/disable", user_path(&user));
            let reply = ctx.client()?.post::<(), Revocation>(&path, None).await?;
            ctx.show(&reply, |r| render_revocation("disabled", r))
        }
        UserCommand::Enable { user } => {
            let path = format!("{}/enable", user_path(&user));
            let reply = ctx.client()?.post::<(), AdminUser>(&path, None).await?;
            ctx.show(&reply, |user| format!("enabled user {}\n", user.username))
        }
        UserCommand::Passwd { user, password } => {
            let input = PasswordInput::choose(password.password_stdin)?;
            let client = ctx.client()?;
            let request = SetPassword {
                password: input.read(&user)?,
            };
            let path = format!("{}/password", user_path(&user));
            let reply = client.put::<_, Revocation>(&path, &request).await?;
            ctx.show(&reply, |r| render_revocation("set a new password for", r))
        }
        UserCommand::Delete { user } => {
            let consent = prompt::consent(ctx.global.yes, &format!("delete user {user}"))?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                // Named from the daemon's record, so a typo'd id shows whom it would hit.
                let found = client.get::<AdminUser>(&user_path(&user)).await?.body;
                prompt::confirm(
                    consent,
                    &format!(
                        "Delete user {} ({})? This cannot be undone",
                        found.username, found.email
                    ),
                )?;
            }
            let reply = client.delete::<Revocation>(&user_path(&user)).await?;
            ctx.show(&reply, |r| render_revocation("deleted", r))
        }
        UserCommand::Logout { user } => {
            let path = format!("{}/logout", user_path(&user));
            let reply = ctx.client()?.post::<(), Revocation>(&path, None).await?;
            ctx.show(&reply, |r| render_revocation("logged out", r))
        }
    }
}

fn user_path(user: &str) -> String {
    format!("/v1/users/{}", encode(user))
}

fn state(user: &AdminUser) -> String {
    if user.disabled { "disabled" } else { "active" }.to_owned()
}

fn render_user(user: &AdminUser) -> String {
    output::fields(&[
        ("id", user.id.clone()),
        ("username", user.username.clone()),
        ("email", user.email.clone()),
        (
            "display name",
            output::or_dash(user.display_name.as_deref()),
        ),
        ("state", state(user)),
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
            user.id.clone(),
            user.email.clone(),
            output::or_dash(user.display_name.as_deref()),
            state(user),
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

    fn alice() -> AdminUser {
        AdminUser {
            id: "u-1".into(),
            username: "alice".into(),
            email: "alice@example.org".into(),
            display_name: None,
            disabled: true,
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

    #[test]
    fn user_names_are_encoded_in_paths() {
        assert_eq!(user_path("a b/c"), "/v1/users/a%20b%2Fc");
    }
}
