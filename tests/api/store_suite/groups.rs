//! `GroupStore`: a group and its conversation move together; membership is participation.

use omegachatd::domain::{ConversationKind, Group, GroupRole, HistoryPage, UserId};
use omegachatd::store::chat::{ConversationStore, GroupStore, MessageStore, NewGroup};
use omegachatd::store::{StoreError, UserStore};

use super::{person, sorted, text};

pub async fn suite(
    users: &dyn UserStore,
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
) {
    let mut ids = Vec::new();
    for name in ["gowner", "gm1", "gm2", "gnew", "gout"] {
        ids.push(person(users, name).await.id);
    }
    let [owner, m1, m2, newcomer, outsider] = ids[..] else {
        unreachable!()
    };
    let group = a_group_is_born_with_its_conversation_and_members(
        groups,
        conversations,
        [owner, m1, m2, outsider],
    )
    .await;
    a_failed_creation_leaves_nothing_half_made(groups, conversations, owner, m1).await;
    membership_changes_follow_into_the_conversation(groups, conversations, &group, newcomer).await;
    let story = (&group, m1, outsider);
    a_newcomer_does_not_inherit_the_backlog_as_unread(groups, conversations, messages, story).await;
    a_users_groups_are_listed_by_name(groups, m2).await;
    an_update_renames_the_conversation_too(groups, conversations, &group, owner).await;
    deleting_a_group_takes_its_conversation_and_messages(groups, conversations, messages, owner)
        .await;
}

fn draft(name: &str) -> NewGroup {
    NewGroup {
        name: name.to_owned(),
        description: Some(format!("about {name}")),
        avatar_url: Some(format!("https://example.org/{name}.png")),
    }
}

async fn a_group_is_born_with_its_conversation_and_members(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    [owner, m1, m2, outsider]: [UserId; 4],
) -> Group {
    // The owner and repeats among the members are skipped.
    let group = groups
        .create(draft("climbers"), owner, &[m1, owner, m1, m2])
        .await
        .unwrap();
    assert_eq!(
        (group.name.as_str(), group.created_by),
        ("climbers", Some(owner))
    );
    assert_eq!(group.description.as_deref(), Some("about climbers"));
    assert_eq!(
        group.avatar_url.as_deref(),
        Some("https://example.org/climbers.png")
    );
    assert_eq!(groups.get(group.id).await.unwrap(), Some(group.clone()));
    assert_eq!(
        groups.by_conversation(group.conversation_id).await.unwrap(),
        Some(group.clone())
    );
    assert_eq!(groups.get(group.id + 1_000).await.unwrap(), None);

    let members = groups.members(group.id).await.unwrap();
    let roles: Vec<(UserId, GroupRole)> = members.iter().map(|m| (m.user_id, m.role)).collect();
    assert_eq!(
        sorted(roles),
        sorted(vec![
            (owner, GroupRole::Owner),
            (m1, GroupRole::Member),
            (m2, GroupRole::Member)
        ])
    );
    assert_eq!(
        groups.member(group.id, m1).await.unwrap().map(|m| m.role),
        Some(GroupRole::Member)
    );
    assert_eq!(groups.member(group.id, outsider).await.unwrap(), None);

    let conversation = conversations
        .get(group.conversation_id)
        .await
        .unwrap()
        .expect("the group's conversation exists");
    assert_eq!(conversation.kind, ConversationKind::Group);
    assert_eq!(conversation.name.as_deref(), Some("climbers"));
    assert_eq!(conversation.avatar_url, group.avatar_url);
    assert_eq!(
        sorted(
            conversations
                .participants(group.conversation_id)
                .await
                .unwrap()
        ),
        sorted(vec![owner, m1, m2])
    );
    let summary = conversations
        .summary(m2, group.conversation_id)
        .await
        .unwrap()
        .expect("members see the conversation");
    assert_eq!((summary.group_id, summary.peer_id), (Some(group.id), None));
    group
}

async fn a_failed_creation_leaves_nothing_half_made(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    owner: UserId,
    m1: UserId,
) {
    let before = groups.list_for_user(owner).await.unwrap();
    let listed_before = conversations.summaries(owner, false).await.unwrap().len();
    // The last membership cannot be written (no such account), after the others were.
    let failed = groups
        .create(draft("ghosts"), owner, &[m1, UserId(9_999_999)])
        .await;
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(groups.list_for_user(owner).await.unwrap(), before);
    assert!(
        !groups
            .list_for_user(m1)
            .await
            .unwrap()
            .iter()
            .any(|g| g.name == "ghosts")
    );
    assert_eq!(
        conversations.summaries(owner, false).await.unwrap().len(),
        listed_before,
        "no conversation of a group that does not exist"
    );
}

async fn membership_changes_follow_into_the_conversation(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    group: &Group,
    newcomer: UserId,
) {
    let (id, conversation) = (group.id, group.conversation_id);
    let joined = groups
        .add_member(id, newcomer, GroupRole::Member)
        .await
        .unwrap();
    assert_eq!((joined.user_id, joined.role), (newcomer, GroupRole::Member));
    let members = groups.members(id).await.unwrap();
    assert_eq!(
        members.last().map(|m| m.user_id),
        Some(newcomer),
        "oldest first"
    );
    assert!(members.windows(2).all(|w| w[0].joined_at <= w[1].joined_at));
    assert!(
        conversations
            .participants(conversation)
            .await
            .unwrap()
            .contains(&newcomer)
    );
    let twice = groups.add_member(id, newcomer, GroupRole::Admin).await;
    assert!(
        matches!(twice, Err(StoreError::Conflict { .. })),
        "{twice:?}"
    );

    let promoted = groups
        .set_role(id, newcomer, GroupRole::Admin)
        .await
        .unwrap();
    assert_eq!(promoted.role, GroupRole::Admin);
    assert_eq!(promoted.joined_at, joined.joined_at, "the same membership");
    assert_eq!(groups.member(id, newcomer).await.unwrap(), Some(promoted));
    let stranger = groups
        .set_role(id, UserId(9_999_999), GroupRole::Admin)
        .await;
    assert!(
        matches!(stranger, Err(StoreError::NotFound)),
        "{stranger:?}"
    );

    assert!(groups.remove_member(id, newcomer).await.unwrap());
    assert!(
        !groups.remove_member(id, newcomer).await.unwrap(),
        "no longer one"
    );
    assert_eq!(groups.member(id, newcomer).await.unwrap(), None);
    assert!(
        !conversations
            .participants(conversation)
            .await
            .unwrap()
            .contains(&newcomer)
    );
    assert_eq!(
        conversations.summary(newcomer, conversation).await.unwrap(),
        None
    );
    assert!(groups.list_for_user(newcomer).await.unwrap().is_empty());
}

async fn a_newcomer_does_not_inherit_the_backlog_as_unread(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    (group, sender, late): (&Group, UserId, UserId),
) {
    let conversation = group.conversation_id;
    for content in ["before you came", "also before"] {
        messages
            .append(text(conversation, sender, content))
            .await
            .unwrap();
    }
    groups
        .add_member(group.id, late, GroupRole::Member)
        .await
        .unwrap();
    let seen = conversations.summary(late, conversation).await.unwrap();
    assert_eq!(
        seen.map(|s| s.unread_count),
        Some(0),
        "history is there to read, not unread"
    );
    messages
        .append(text(conversation, sender, "after you came"))
        .await
        .unwrap();
    let seen = conversations.summary(late, conversation).await.unwrap();
    assert_eq!(seen.map(|s| s.unread_count), Some(1));
}

async fn a_users_groups_are_listed_by_name(groups: &dyn GroupStore, user: UserId) {
    // Lower-case ASCII only: the trait does not say which collation "by name" means.
    for name in ["moss", "alder", "lichen"] {
        groups.create(draft(name), user, &[]).await.unwrap();
    }
    let names: Vec<String> = groups
        .list_for_user(user)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(names, ["alder", "climbers", "lichen", "moss"]);
}

async fn an_update_renames_the_conversation_too(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    group: &Group,
    owner: UserId,
) {
    let renamed = NewGroup {
        name: "boulderers".into(),
        description: None,
        avatar_url: Some("https://example.org/b.png".into()),
    };
    let updated = groups.update(group.id, &renamed).await.unwrap();
    assert_eq!(updated.name, "boulderers");
    assert_eq!(updated.description, None, "every column is written");
    assert_eq!(updated.avatar_url, renamed.avatar_url);
    assert_eq!(
        (updated.conversation_id, updated.created_by),
        (group.conversation_id, group.created_by)
    );
    assert!(updated.updated_at > group.updated_at);
    assert_eq!(groups.get(group.id).await.unwrap(), Some(updated.clone()));

    let conversation = conversations
        .get(group.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(conversation.name.as_deref(), Some("boulderers"));
    assert_eq!(conversation.avatar_url, renamed.avatar_url);
    let summary = conversations
        .summary(owner, group.conversation_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(summary.conversation.name.as_deref(), Some("boulderers"));

    let missing = groups.update(group.id + 1_000, &renamed).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

async fn deleting_a_group_takes_its_conversation_and_messages(
    groups: &dyn GroupStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    owner: UserId,
) {
    let doomed = groups.create(draft("doomed"), owner, &[]).await.unwrap();
    let conversation = doomed.conversation_id;
    let (said, _) = messages
        .append(text(conversation, owner, "soon gone"))
        .await
        .unwrap();

    groups.delete(doomed.id).await.unwrap();
    assert_eq!(groups.get(doomed.id).await.unwrap(), None);
    assert_eq!(groups.by_conversation(conversation).await.unwrap(), None);
    assert!(groups.members(doomed.id).await.unwrap().is_empty());
    assert_eq!(groups.member(doomed.id, owner).await.unwrap(), None);
    assert!(
        !groups
            .list_for_user(owner)
            .await
            .unwrap()
            .iter()
            .any(|g| g.id == doomed.id)
    );
    assert_eq!(conversations.get(conversation).await.unwrap(), None);
    assert!(
        conversations
            .participants(conversation)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        conversations.summary(owner, conversation).await.unwrap(),
        None
    );
    assert_eq!(
        messages.get(conversation, said.message_id).await.unwrap(),
        None
    );
    let history = messages
        .history(conversation, HistoryPage::Latest, 10)
        .await
        .unwrap();
    assert!(history.is_empty(), "every message goes: {history:?}");

    let again = groups.delete(doomed.id).await;
    assert!(matches!(again, Err(StoreError::NotFound)), "{again:?}");
}
