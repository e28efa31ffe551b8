//! `group …`: groups and their members.

use omegachat_contract::admin::{AddMember, AdminGroup, CreateGroup, Deleted, GroupList, SetRole};

use super::{Context, hint_next_page, next_page_command, paging_query, plural};
use crate::args::{GroupCommand, GroupRole, MemberRole};
use crate::client::{AdminClient, encode, with_query};
use crate::error::CliError;
use crate::output::{self, Table};
use crate::prompt::{self, Consent};

pub async fn run(cmd: GroupCommand, ctx: &Context) -> Result<(), CliError> {
    match cmd {
        GroupCommand::Create {
            name,
            owner,
            members,
            description,
        } => {
            let request = CreateGroup {
                name,
                description,
                owner,
                members,
            };
            let reply = ctx
                .client()?
                .post::<_, AdminGroup>("/v1/groups", Some(&request))
                .await?;
            ctx.show(&reply, |group| {
                format!("created group {}\n\n{}", group.name, render_group(group))
            })
        }
        GroupCommand::List { paging } => {
            let path = with_query("/v1/groups", &paging_query(&paging));
            let reply = ctx.client()?.get::<GroupList>(&path).await?;
            ctx.show(&reply, render_list)?;
            hint_next_page(ctx, reply.body.next_cursor.as_deref(), |cursor| {
                next_page_command("omegactl group list", &paging, &[], cursor)
            });
            Ok(())
        }
        GroupCommand::Show { group_id } => {
            let reply = ctx
                .client()?
                .get::<AdminGroup>(&group_path(&group_id))
                .await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Add {
            group_id,
            user,
            role,
        } => {
            let request = AddMember {
                user,
                role: Some(member_role(role).to_owned()),
            };
            let path = format!("{}/members", group_path(&group_id));
            let reply = ctx
                .client()?
                .post::<_, AdminGroup>(&path, Some(&request))
                .await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Remove { group_id, user } => {
            let consent = prompt::consent(
                ctx.global.yes,
                &format!("remove {user} from group {group_id}"),
            )?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                let group = fetch(&client, &group_id).await?;
                prompt::confirm(
                    consent,
                    &format!("Remove {user} from group {} ({})?", group.name, group.id),
                )?;
            }
            let path = format!("{}/members/{}", group_path(&group_id), encode(&user));
            let reply = client.delete::<AdminGroup>(&path).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Role {
            group_id,
            user,
            role,
        } => {
            let request = SetRole {
                role: group_role(role).to_owned(),
            };
            let path = format!("{}/members/{}/role", group_path(&group_id), encode(&user));
            let reply = ctx.client()?.put::<_, AdminGroup>(&path, &request).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Delete { group_id } => {
            let consent = prompt::consent(ctx.global.yes, &format!("delete group {group_id}"))?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                let group = fetch(&client, &group_id).await?;
                prompt::confirm(
                    consent,
                    &format!(
                        "Delete group {} ({}, {})? This cannot be undone",
                        group.name,
                        group.id,
                        plural(group.members.len() as u64, "member", "members")
                    ),
                )?;
            }
            let reply = client.delete::<Deleted>(&group_path(&group_id)).await?;
            ctx.show(&reply, |deleted| format!("deleted group {}\n", deleted.id))
        }
    }
}

async fn fetch(client: &AdminClient, group_id: &str) -> Result<AdminGroup, CliError> {
    Ok(client.get::<AdminGroup>(&group_path(group_id)).await?.body)
}

fn group_path(group_id: &str) -> String {
    format!("/v1/groups/{}", encode(group_id))
}

/// The protocol's spelling of the roles (`AddMember::role`, `SetRole::role`).
fn member_role(role: MemberRole) -> &'static str {
    match role {
        MemberRole::Member => "member",
        MemberRole::Admin => "admin",
    }
}

fn group_role(role: GroupRole) -> &'static str {
    match role {
        GroupRole::Member => "member",
        GroupRole::Admin => "admin",
        GroupRole::Owner => "owner",
    }
}

fn owner(group: &AdminGroup) -> String {
    let owner = group.members.iter().find(|m| m.role == "owner");
    output::or_dash(owner.map(|m| m.username.as_str()))
}

fn render_group(group: &AdminGroup) -> String {
    let mut out = output::fields(&[
        ("id", group.id.clone()),
        ("name", group.name.clone()),
        ("description", output::or_dash(group.description.as_deref())),
        ("conversation", group.conversation_id.clone()),
        ("created", group.created_at.clone()),
        ("members", group.members.len().to_string()),
    ]);
    let mut table = Table::new(&["USERNAME", "ROLE", "USER ID"]);
    for member in &group.members {
        table.row(vec![
            member.username.clone(),
            member.role.clone(),
            member.user_id.clone(),
        ]);
    }
    if !table.is_empty() {
        out.push('\n');
        out.push_str(&table.render());
    }
    out
}

fn render_list(list: &GroupList) -> String {
    if list.groups.is_empty() {
        return "no groups\n".to_owned();
    }
    let mut table = Table::new(&["ID", "NAME", "MEMBERS", "OWNER", "CREATED"]);
    for group in &list.groups {
        table.row(vec![
            group.id.clone(),
            group.name.clone(),
            group.members.len().to_string(),
            owner(group),
            group.created_at.clone(),
        ]);
    }
    table.render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::AdminGroupMember;

    fn team() -> AdminGroup {
        AdminGroup {
            id: "g-1".into(),
            name: "Team".into(),
            description: None,
            conversation_id: "c-1".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            members: vec![
                AdminGroupMember {
                    user_id: "u-1".into(),
                    username: "alice".into(),
                    role: "owner".into(),
                },
                AdminGroupMember {
                    user_id: "u-2".into(),
                    username: "bob".into(),
                    role: "member".into(),
                },
            ],
        }
    }

    #[test]
    fn a_group_lists_its_members_under_its_fields() {
        let text = render_group(&team());
        assert!(text.contains("members:      2\n"), "{text}");
        assert!(
            text.ends_with(
                "USERNAME  ROLE    USER ID\nalice     owner   u-1\nbob       member  u-2\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_list_names_each_owner() {
        let list = GroupList {
            groups: vec![team()],
            next_cursor: None,
        };
        assert_eq!(
            render_list(&list),
            "ID   NAME  MEMBERS  OWNER  CREATED\ng-1  Team  2        alice  2026-01-01T00:00:00Z\n"
        );
    }
}
