//! `ConversationStore`: direct conversations, each participant's view (flags, read marker,
//! unread count, last message) and the conversation list built from those views.

use omegachatd::domain::{
    ConversationFlags, ConversationId, ConversationKind, ConversationSummary, Message, UserId,
};
use omegachatd::store::chat::{ConversationStore, GroupStore, MessageStore, NewGroup};
use omegachatd::store::{StoreError, UserStore};

use super::{person, sorted, text};

pub async fn suite(
    users: &dyn UserStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    groups: &dyn GroupStore,
) {
    let mut ids = Vec::new();
    for name in ["ca", "cb", "cc", "cd", "ce", "cf", "cg", "ch", "ci"] {
        ids.push(person(users, name).await.id);
    }
    let [a, b, c, d, e, f, g, h, loner] = ids[..] else {
        unreachable!()
    };
    a_direct_conversation_is_made_once_whoever_asks(conversations, a, b).await;
    direct_peers_are_the_other_side_of_direct_conversations_only(conversations, groups, [a, b, c])
        .await;
    assert!(conversations.direct_peers(loner).await.unwrap().is_empty());
    unread_counts_what_others_wrote_after_the_read_marker(conversations, messages, [a, b, loner])
        .await;
    the_list_puts_pinned_first_then_recent_and_hides_the_archived(
        conversations,
        messages,
        [h, e, f, g],
    )
    .await;
    the_last_message_is_the_newest_by_id_not_the_latest_stored(conversations, messages, c, d).await;
}

async fn direct(conversations: &dyn ConversationStore, a: UserId, b: UserId) -> ConversationId {
    let id = ConversationId::direct(a, b);
    conversations.ensure_direct(id, a, b).await.unwrap();
    id
}

async fn seen_by(
    conversations: &dyn ConversationStore,
    user: UserId,
    id: ConversationId,
) -> ConversationSummary {
    conversations
        .summary(user, id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{user} takes part in {id}"))
}

async fn say(messages: &dyn MessageStore, id: ConversationId, from: UserId, what: &str) -> Message {
    messages.append(text(id, from, what)).await.unwrap().0
}

async fn a_direct_conversation_is_made_once_whoever_asks(
    conversations: &dyn ConversationStore,
    a: UserId,
    b: UserId,
) {
    let id = ConversationId::direct(a, b);
    assert_eq!(conversations.get(id).await.unwrap(), None);
    let made = conversations.ensure_direct(id, a, b).await.unwrap();
    assert_eq!((made.id, made.kind), (id, ConversationKind::Direct));
    assert_eq!((made.name.clone(), made.last_message_id), (None, None));

    let asked_back = ConversationId::direct(b, a);
    let again = conversations.ensure_direct(asked_back, b, a).await.unwrap();
    assert_eq!(again, made, "the same conversation, untouched");
    assert_eq!(conversations.get(id).await.unwrap(), Some(made));
    assert_eq!(
        sorted(conversations.participants(id).await.unwrap()),
        sorted(vec![a, b]),
        "two participants, once each"
    );

    let unknown = ConversationId::random();
    assert_eq!(conversations.get(unknown).await.unwrap(), None);
    assert!(
        conversations
            .participants(unknown)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn direct_peers_are_the_other_side_of_direct_conversations_only(
    conversations: &dyn ConversationStore,
    groups: &dyn GroupStore,
    [a, b, c]: [UserId; 3],
) {
    direct(conversations, a, c).await;
    let group = NewGroup {
        name: "not direct".into(),
        description: None,
        avatar_url: None,
    };
    groups.create(group, c, &[a, b]).await.unwrap();
    assert_eq!(
        sorted(conversations.direct_peers(a).await.unwrap()),
        sorted(vec![b, c])
    );
    assert_eq!(
        conversations.direct_peers(b).await.unwrap(),
        [a],
        "sharing a group makes no direct peer"
    );
}

async fn unread_counts_what_others_wrote_after_the_read_marker(
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    [a, b, outsider]: [UserId; 3],
) {
    let id = direct(conversations, a, b).await;
    let mut from_b = Vec::new();
    for n in 1..=3 {
        from_b.push(say(messages, id, b, &format!("b{n}")).await);
    }
    let from_a = say(messages, id, a, "a1").await;

    let mine = seen_by(conversations, a, id).await;
    assert_eq!((mine.peer_id, mine.group_id), (Some(b), None));
    assert_eq!(mine.last_message.as_ref(), Some(&from_a));
    assert_eq!(mine.conversation.last_message_id, Some(from_a.message_id));
    assert_eq!(mine.unread_count, 3, "one's own messages are never unread");
    assert_eq!(mine.last_read_message_id, None);
    assert_eq!(
        (mine.muted, mine.archived, mine.pinned),
        (false, false, false)
    );
    assert_eq!(seen_by(conversations, b, id).await.unread_count, 1);
    assert_eq!(seen_by(conversations, b, id).await.peer_id, Some(a));

    assert!(
        conversations
            .mark_read(a, id, from_b[1].message_id)
            .await
            .unwrap()
    );
    let mine = seen_by(conversations, a, id).await;
    assert_eq!(
        (mine.unread_count, mine.last_read_message_id),
        (1, Some(from_b[1].message_id))
    );
    let back = conversations.mark_read(a, id, from_b[0].message_id).await;
    assert!(!back.unwrap(), "a read marker never moves backwards");
    let same = conversations.mark_read(a, id, from_b[1].message_id).await;
    assert!(
        !same.unwrap(),
        "marking the same message again moves nothing"
    );
    assert_eq!(
        seen_by(conversations, a, id).await.last_read_message_id,
        Some(from_b[1].message_id)
    );
    assert!(
        conversations
            .mark_read(a, id, from_a.message_id)
            .await
            .unwrap()
    );
    assert_eq!(seen_by(conversations, a, id).await.unread_count, 0);

    say(messages, id, b, "b4").await;
    let b5 = say(messages, id, b, "b5").await;
    messages.delete(id, b5.message_id).await.unwrap();
    assert_eq!(
        seen_by(conversations, a, id).await.unread_count,
        1,
        "a deleted message is not unread"
    );

    let markers = conversations.read_markers(id).await.unwrap();
    assert_eq!(
        markers,
        [(a, Some(from_a.message_id)), (b, None)],
        "by user id; None until something is read"
    );
    assert_eq!(conversations.summary(outsider, id).await.unwrap(), None);
}

/// The conversations of `user`'s list, by peer, in the order given.
async fn listed(
    conversations: &dyn ConversationStore,
    user: UserId,
    archived: bool,
) -> Vec<UserId> {
    let list = conversations.summaries(user, archived).await.unwrap();
    assert!(list.iter().all(|s| s.archived == archived));
    list.into_iter().filter_map(|s| s.peer_id).collect()
}

fn flags(muted: Option<bool>, archived: Option<bool>, pinned: Option<bool>) -> ConversationFlags {
    ConversationFlags {
        muted,
        archived,
        pinned,
    }
}

async fn the_list_puts_pinned_first_then_recent_and_hides_the_archived(
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    [me, x, y, z]: [UserId; 4],
) {
    let mut ids = Vec::new();
    for peer in [x, y, z] {
        let id = direct(conversations, me, peer).await;
        say(messages, id, peer, "hello").await;
        ids.push(id);
    }
    let [with_x, with_y, with_z] = ids[..] else {
        unreachable!()
    };
    assert_eq!(
        listed(conversations, me, false).await,
        [z, y, x],
        "latest first"
    );

    conversations
        .set_flags(me, with_x, flags(None, None, Some(true)))
        .await
        .unwrap();
    assert_eq!(
        listed(conversations, me, false).await,
        [x, z, y],
        "pinned first"
    );
    say(messages, with_y, y, "news").await;
    assert_eq!(listed(conversations, me, false).await, [x, y, z]);

    conversations
        .set_flags(me, with_z, flags(None, Some(true), None))
        .await
        .unwrap();
    assert_eq!(listed(conversations, me, false).await, [x, y]);
    assert_eq!(listed(conversations, me, true).await, [z], "asked for");
    assert_eq!(
        listed(conversations, z, false).await,
        [me],
        "flags are one participant's own"
    );

    // Only the flags present change.
    conversations
        .set_flags(me, with_x, flags(Some(true), None, None))
        .await
        .unwrap();
    let x_view = seen_by(conversations, me, with_x).await;
    assert_eq!(
        (x_view.muted, x_view.archived, x_view.pinned),
        (true, false, true)
    );
    conversations
        .set_flags(me, with_x, flags(None, None, Some(false)))
        .await
        .unwrap();
    let x_view = seen_by(conversations, me, with_x).await;
    assert_eq!((x_view.muted, x_view.pinned), (true, false));
    assert_eq!(listed(conversations, me, false).await, [y, x]);

    let not_mine = conversations
        .set_flags(x, with_y, flags(Some(true), None, None))
        .await;
    assert!(
        matches!(not_mine, Err(StoreError::NotFound)),
        "{not_mine:?}"
    );
}

async fn the_last_message_is_the_newest_by_id_not_the_latest_stored(
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    c: UserId,
    d: UserId,
) {
    let id = direct(conversations, c, d).await;
    // Minted first, stored last: a send that was slow to reach the store.
    let late = text(id, c, "slow");
    let newest = say(messages, id, d, "fast").await;
    messages.append(late).await.unwrap();
    let conversation = conversations.get(id).await.unwrap().unwrap();
    assert_eq!(conversation.last_message_id, Some(newest.message_id));
    let mine = seen_by(conversations, c, id).await;
    assert_eq!(mine.last_message.map(|m| m.content), Some("fast".into()));

    // The list shows the last message as it now is.
    messages.edit(id, newest.message_id, "fast!").await.unwrap();
    let mine = seen_by(conversations, c, id).await;
    assert_eq!(mine.last_message.map(|m| m.content), Some("fast!".into()));
    messages.delete(id, newest.message_id).await.unwrap();
    let last = seen_by(conversations, c, id).await.last_message.unwrap();
    assert!(last.deleted && last.content.is_empty(), "{last:?}");
}
