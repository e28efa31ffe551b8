//! `group …`: groups and their members.

use omegachat_contract::admin::{
    self, AddMember, AdminGroup, CreateGroup, DeleteGroup, GetGroup, GroupList, ListGroups,
    NewMember, NewRole, RemoveMember, SetRole,
};

use super::{Context, hint_next_page, next_page_command, plural};
use crate::args::{GroupCommand, GroupRole, MemberRole};
use crate::client::AdminClient;
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
            let reply = ctx.client()?.send(&request).await?;
            ctx.show(&reply, |group| {
                format!("created group {}\n\n{}", group.name, render_group(group))
            })
        }
        GroupCommand::List { paging } => {
            let request = ListGroups {
                prefix: paging.prefix.clone(),
                limit: paging.limit,
                cursor: paging.cursor.clone(),
            };
            let reply = ctx.client()?.send(&request).await?;
            ctx.show(&reply, render_list)?;
            hint_next_page(ctx, reply.body.next_cursor.as_deref(), |cursor| {
                next_page_command("omegactl group list", &paging, &[], cursor)
            });
            Ok(())
        }
        GroupCommand::Show { group_id } => {
            let reply = ctx.client()?.send(&GetGroup { group: group_id }).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Add {
            group_id,
            user,
            role,
        } => {
            let request = AddMember {
                group: group_id,
                body: NewMember {
                    user,
                    role: Some(role.into()),
                },
            };
            let reply = ctx.client()?.send(&request).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Remove { group_id, user } => {
            let consent = prompt::consent(
                ctx.global.yes,
                &format!("remove {user} from group {group_id}"),
            )?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                let group = fetch(&client, group_id).await?;
                prompt::confirm(
                    consent,
                    &format!("Remove {user} from group {} ({})?", group.name, group.id),
                )?;
            }
            let request = RemoveMember {
                group: group_id,
                user,
            };
            let reply = client.send(&request).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Role {
            group_id,
            user,
            role,
        } => {
            let request = SetRole {
                group: group_id,
                user,
                body: NewRole { role: role.into() },
            };
            let reply = ctx.client()?.send(&request).await?;
            ctx.show(&reply, render_group)
        }
        GroupCommand::Delete { group_id } => {
            let consent = prompt::consent(ctx.global.yes, &format!("delete group {group_id}"))?;
            let client = ctx.client()?;
            if consent == Consent::Ask {
                let group = fetch(&client, group_id).await?;
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
            let reply = client.send(&DeleteGroup { group: group_id }).await?;
            ctx.show(&reply, |deleted| format!("deleted group {}\n", deleted.id))
        }
    }
}

async fn fetch(client: &AdminClient, group: i64) -> Result<AdminGroup, CliError> {
    Ok(client.send(&GetGroup { group }).await?.body)
}

impl From<MemberRole> for admin::GroupRole {
    fn from(role: MemberRole) -> Self {
        match role {
            MemberRole::Member => admin::GroupRole::Member,
            MemberRole::Admin => admin::GroupRole::Admin,
        }
    }
}

impl From<GroupRole> for admin::GroupRole {
    fn from(role: GroupRole) -> Self {
        match role {
            GroupRole::Member => admin::GroupRole::Member,
            GroupRole::Admin => admin::GroupRole::Admin,
            GroupRole::Owner => admin::GroupRole::Owner,
        }
    }
}

fn owner(group: &AdminGroup) -> String {
    let owner = group
        .members
        .iter()
        .find(|m| m.role == admin::GroupRole::Owner);
    output::or_dash(owner.map(|m| m.username.as_str()))
}

fn render_group(group: &AdminGroup) -> String {
    let mut out = output::fields(&[
        ("id", group.id.to_string()),
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
            member.role.as_str().to_owned(),
            member.user_id.to_string(),
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
            group.id.to_string(),
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
            id: 7,
            name: "Team".into(),
            description: None,
            conversation_id: "c-1".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            members: vec![
                AdminGroupMember {
                    user_id: 1,
                    username: "alice".into(),
                    role: admin::GroupRole::Owner,
                },
                AdminGroupMember {
                    user_id: 2,
                    username: "bob".into(),
                    role: admin::GroupRole::Member,
                },
            ],
        }
    }

    #[test]
    fn a_group_lists_its_members_under_its_fields() {
        let text = render_group(&team());
        assert!(text.contains("members:      2\n"), "{text}");
        assert!(
            text.ends_with("USERNAME  ROLE    USER ID\nalice     owner   1\nbob       member  2\n"),
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
            "ID  NAME  MEMBERS  OWNER  CREATED\n7   Team  2        alice  2026-01-01T00:00:00Z\n"
        );
    }
}
