//! `MessageStore::history`: pages ordered by the TimeUUID's time (not by when a message reached
//! the store), backwards from the newest or from a cursor, forwards after a cursor.

use omegachatd::domain::{ConversationId, HistoryPage, Message, MessageId, UserId};
use omegachatd::store::UserStore;
use omegachatd::store::chat::{ConversationStore, MessageStore};
use uuid::{Timestamp, Uuid};

use super::{ascending_ids, contents, person, text};
use HistoryPage::{After, Before, Latest};

pub async fn suite(
    users: &dyn UserStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
) {
    let (a, b, c) = (
        person(users, "ha").await.id,
        person(users, "hb").await.id,
        person(users, "hc").await.id,
    );
    let mut direct = Vec::new();
    for (x, y) in [(a, b), (a, c), (b, c)] {
        let id = ConversationId::direct(x, y);
        conversations.ensure_direct(id, x, y).await.unwrap();
        direct.push(id);
    }
    let [id, other, ties] = direct[..] else {
        unreachable!()
    };

    // Minted in order m0..m6 (and two cursors around them), stored shuffled.
    let ids = ascending_ids(9);
    let (before_all, after_all) = (ids[0], ids[8]);
    let minted = &ids[1..8];
    for n in [3, 0, 6, 1, 5, 2, 4] {
        let mut message = text(id, if n % 2 == 0 { a } else { b }, &format!("m{n}"));
        message.message_id = minted[n];
        messages.append(message).await.unwrap();
    }
    messages.append(text(other, a, "elsewhere")).await.unwrap();

    pages_walk_back_from_the_newest(messages, id, minted).await;
    pages_walk_forward_after_a_cursor(messages, id, minted).await;
    a_cursor_need_not_be_a_stored_message(messages, id, before_all, after_all).await;
    each_conversation_pages_through_its_own_messages_only(messages, other).await;
    messages_minted_in_the_same_tick_are_neither_skipped_nor_repeated(messages, ties, b, c).await;
}

async fn page(
    messages: &dyn MessageStore,
    id: ConversationId,
    which: HistoryPage,
    limit: u32,
) -> Vec<Message> {
    messages.history(id, which, limit).await.unwrap()
}

async fn pages_walk_back_from_the_newest(
    messages: &dyn MessageStore,
    id: ConversationId,
    minted: &[MessageId],
) {
    let newest = page(messages, id, Latest, 3).await;
    assert_eq!(contents(&newest), ["m6", "m5", "m4"], "newest first");
    let older = page(messages, id, Before(newest[2].message_id), 3).await;
    assert_eq!(contents(&older), ["m3", "m2", "m1"]);
    let oldest = page(messages, id, Before(older[2].message_id), 3).await;
    assert_eq!(contents(&oldest), ["m0"], "a short last page");
    assert!(page(messages, id, Before(minted[0]), 3).await.is_empty());

    let all = page(messages, id, Latest, 100).await;
    assert_eq!(contents(&all), ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]);
    let ids: Vec<MessageId> = all.iter().rev().map(|m| m.message_id).collect();
    assert_eq!(ids, minted, "each message under the id it was sent with");
}

async fn pages_walk_forward_after_a_cursor(
    messages: &dyn MessageStore,
    id: ConversationId,
    minted: &[MessageId],
) {
    let next = page(messages, id, After(minted[0]), 3).await;
    assert_eq!(contents(&next), ["m1", "m2", "m3"], "oldest first");
    let then = page(messages, id, After(next[2].message_id), 3).await;
    assert_eq!(contents(&then), ["m4", "m5", "m6"]);
    assert!(
        page(messages, id, After(then[2].message_id), 3)
            .await
            .is_empty(),
        "caught up"
    );
    let one = page(messages, id, After(minted[2]), 1).await;
    assert_eq!(contents(&one), ["m3"], "the limit is the page size");
}

async fn a_cursor_need_not_be_a_stored_message(
    messages: &dyn MessageStore,
    id: ConversationId,
    before_all: MessageId,
    after_all: MessageId,
) {
    let from_start = page(messages, id, After(before_all), 100).await;
    assert_eq!(
        contents(&from_start),
        ["m0", "m1", "m2", "m3", "m4", "m5", "m6"]
    );
    let from_end = page(messages, id, Before(after_all), 2).await;
    assert_eq!(contents(&from_end), ["m6", "m5"]);
    assert!(page(messages, id, After(after_all), 100).await.is_empty());
    assert!(page(messages, id, Before(before_all), 100).await.is_empty());
}

async fn each_conversation_pages_through_its_own_messages_only(
    messages: &dyn MessageStore,
    other: ConversationId,
) {
    let theirs = page(messages, other, Latest, 100).await;
    assert_eq!(contents(&theirs), ["elsewhere"]);
    let nobody = ConversationId::random();
    assert!(page(messages, nobody, Latest, 100).await.is_empty());
}

/// Two daemons of the scaled-out profile may mint ids in the same 100 ns tick (their clock
/// sequence or node differ): cursor paging must still see each message exactly once.
async fn messages_minted_in_the_same_tick_are_neither_skipped_nor_repeated(
    messages: &dyn MessageStore,
    id: ConversationId,
    a: UserId,
    b: UserId,
) {
    let [origin, prior, at, later] = ascending_ids(4)[..] else {
        unreachable!()
    };
    let tick = u64::try_from(at.ticks()).expect("a time after 1582");
    let same_tick = [
        (7, [0x01, 1, 1, 1, 1, 1]),
        (3, [0x03, 2, 2, 2, 2, 2]),
        (5, [0x01, 1, 1, 1, 1, 1]),
    ]
    .map(|(counter, node)| {
        MessageId(Uuid::new_v1(
            Timestamp::from_gregorian_time(tick, counter),
            &node,
        ))
    });
    assert!(same_tick.iter().all(|m| m.ticks() == at.ticks()));

    let mut stored = vec![prior, later];
    stored.extend(same_tick);
    for (n, message_id) in stored.iter().enumerate() {
        let mut message = text(id, if n % 2 == 0 { a } else { b }, &format!("t{n}"));
        message.message_id = *message_id;
        messages.append(message).await.unwrap();
    }

    let mut backwards = Vec::new();
    let mut cursor = Latest;
    loop {
        let step = page(messages, id, cursor, 1).await;
        let Some(message) = step.first() else { break };
        assert!(
            backwards.len() < stored.len(),
            "a page repeated: {backwards:?}"
        );
        backwards.push(message.message_id);
        cursor = Before(message.message_id);
    }
    let mut forwards = Vec::new();
    let mut cursor = After(origin);
    loop {
        let step = page(messages, id, cursor, 1).await;
        let Some(message) = step.first() else { break };
        assert!(
            forwards.len() < stored.len(),
            "a page repeated: {forwards:?}"
        );
        forwards.push(message.message_id);
        cursor = After(message.message_id);
    }

    assert_eq!(backwards.len(), stored.len(), "none skipped going back");
    assert_eq!((backwards[0], backwards[4]), (later, prior));
    let mut reversed = backwards.clone();
    reversed.reverse();
    assert_eq!(forwards, reversed, "both directions agree on one order");
    let whole = page(messages, id, Latest, 100).await;
    let whole: Vec<MessageId> = whole.iter().map(|m| m.message_id).collect();
    assert_eq!(whole, backwards, "paging one by one matches one big page");
}
