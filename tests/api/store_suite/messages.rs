//! `MessageStore`: what is stored, idempotent resends by `client_msg_id`, edits and soft
//! deletes. Paging lives in `history.rs`.

use std::collections::BTreeMap;

use omegachatd::domain::{ConversationId, HistoryPage, Message, MessageId, MessageType, UserId};
use omegachatd::store::chat::{ConversationStore, MessageStore};
use omegachatd::store::{StoreError, UserStore};

use super::{contents, person, text, to_millis};

pub async fn suite(
    users: &dyn UserStore,
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
) {
    let (a, b, c) = (
        person(users, "ma").await.id,
        person(users, "mb").await.id,
        person(users, "mc").await.id,
    );
    let ab = ConversationId::direct(a, b);
    conversations.ensure_direct(ab, a, b).await.unwrap();
    let ac = ConversationId::direct(a, c);
    conversations.ensure_direct(ac, a, c).await.unwrap();

    a_message_is_kept_as_sent(conversations, messages, ab, a, b).await;
    a_resend_with_the_same_client_id_stores_nothing_new(messages, ab, ac, a, b).await;
    racing_resends_store_one_message(messages, ac, c).await;
    a_resend_after_a_delete_answers_with_what_is_left(messages, ab, b).await;
    a_second_message_under_a_stored_id_is_refused(messages, ab, a).await;
    an_edit_replaces_the_content_and_says_when(messages, ab, a).await;
    a_soft_delete_forgets_the_content_but_keeps_the_place(messages, ac, a, c).await;
}

fn with_client_id(mut message: Message, client_msg_id: &str) -> Message {
    message.client_msg_id = Some(client_msg_id.to_owned());
    message
}

/// Messages of a conversation, oldest first.
async fn everything(messages: &dyn MessageStore, id: ConversationId) -> Vec<Message> {
    let mut all = messages
        .history(id, HistoryPage::Latest, 100)
        .await
        .unwrap();
    all.reverse();
    all
}

async fn a_message_is_kept_as_sent(
    conversations: &dyn ConversationStore,
    messages: &dyn MessageStore,
    ab: ConversationId,
    a: UserId,
    b: UserId,
) {
    let sent = Message {
        recipient_id: Some(b),
        media_urls: vec!["https://example.org/cat.png".into()],
        message_type: MessageType::Image,
        metadata: BTreeMap::from([("width".to_owned(), "640".to_owned())]),
        ..with_client_id(text(ab, a, "a cat"), "kept-1")
    };
    let (stored, created) = messages.append(sent.clone()).await.unwrap();
    assert!(created);
    assert_eq!(to_millis(&stored), to_millis(&sent), "every field kept");
    assert_eq!(
        messages.get(ab, sent.message_id).await.unwrap(),
        Some(stored.clone())
    );
    let elsewhere = ConversationId::random();
    assert_eq!(
        messages.get(elsewhere, sent.message_id).await.unwrap(),
        None,
        "a message is found in its own conversation only"
    );
    assert_eq!(messages.get(ab, MessageId::now()).await.unwrap(), None);
    let conversation = conversations.get(ab).await.unwrap().unwrap();
    assert_eq!(conversation.last_message_id, Some(sent.message_id));
}

async fn a_resend_with_the_same_client_id_stores_nothing_new(
    messages: &dyn MessageStore,
    ab: ConversationId,
    ac: ConversationId,
    a: UserId,
    b: UserId,
) {
    let before = everything(messages, ab).await.len();
    let (first, created) = messages
        .append(with_client_id(text(ab, a, "once"), "resend-1"))
        .await
        .unwrap();
    assert!(created);
    // The resend carries a new id and even new content: the client id alone decides.
    let (answer, created) = messages
        .append(with_client_id(text(ab, a, "once, again"), "resend-1"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(answer, first, "the stored message, as stored");
    assert_eq!(everything(messages, ab).await.len(), before + 1);
    let newest = messages.history(ab, HistoryPage::Latest, 1).await.unwrap();
    assert_eq!(
        newest.first(),
        Some(&first),
        "the resend did not become the newest"
    );

    let (theirs, created) = messages
        .append(with_client_id(text(ab, b, "mine too"), "resend-1"))
        .await
        .unwrap();
    assert!(created, "client ids are per sender");
    assert_ne!(theirs.message_id, first.message_id);

    for _ in 0..2 {
        let (_, created) = messages.append(text(ab, a, "no id")).await.unwrap();
        assert!(created, "without a client id nothing is a resend");
    }
    assert_eq!(everything(messages, ab).await.len(), before + 4);

    // The key is (sender, client id), whatever the conversation.
    let (answer, created) = messages
        .append(with_client_id(text(ac, a, "elsewhere"), "resend-1"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(answer, first);
    assert!(everything(messages, ac).await.is_empty());
}

async fn racing_resends_store_one_message(
    messages: &dyn MessageStore,
    ac: ConversationId,
    c: UserId,
) {
    let before = everything(messages, ac).await.len();
    let (one, two) = tokio::join!(
        messages.append(with_client_id(text(ac, c, "race"), "race-1")),
        messages.append(with_client_id(text(ac, c, "race"), "race-1")),
    );
    let ((one, one_created), (two, two_created)) = (one.unwrap(), two.unwrap());
    assert!(one_created ^ two_created, "exactly one is stored");
    assert_eq!(one, two, "both answer with the stored one");
    assert_eq!(everything(messages, ac).await.len(), before + 1);
}

async fn a_resend_after_a_delete_answers_with_what_is_left(
    messages: &dyn MessageStore,
    ab: ConversationId,
    b: UserId,
) {
    let (sent, _) = messages
        .append(with_client_id(text(ab, b, "regret"), "gone-1"))
        .await
        .unwrap();
    messages.delete(ab, sent.message_id).await.unwrap();
    let (answer, created) = messages
        .append(with_client_id(text(ab, b, "regret"), "gone-1"))
        .await
        .unwrap();
    assert!(!created, "a delete does not free the client id");
    assert_eq!(answer.message_id, sent.message_id);
    assert!(answer.deleted && answer.content.is_empty(), "{answer:?}");
}

/// Not a resend (no client id), yet a TimeUUID already stored: a bug upstream, never an
/// overwrite. Which error is left open: SQLite answers `NotFound`, PostgreSQL `Conflict`.
async fn a_second_message_under_a_stored_id_is_refused(
    messages: &dyn MessageStore,
    ab: ConversationId,
    a: UserId,
) {
    let (first, _) = messages.append(text(ab, a, "original")).await.unwrap();
    let mut clash = text(ab, a, "impostor");
    clash.message_id = first.message_id;
    let refused = messages.append(clash).await;
    assert!(refused.is_err(), "{refused:?}");
    let kept = messages.get(ab, first.message_id).await.unwrap();
    assert_eq!(kept, Some(first));
}

async fn an_edit_replaces_the_content_and_says_when(
    messages: &dyn MessageStore,
    ab: ConversationId,
    a: UserId,
) {
    let (sent, _) = messages
        .append(with_client_id(text(ab, a, "teh"), "edit-1"))
        .await
        .unwrap();
    let edited = messages.edit(ab, sent.message_id, "the").await.unwrap();
    let when = edited.edited_timestamp.expect("an edit says when");
    assert!(
        when >= to_millis(&sent).timestamp,
        "{when} after {}",
        sent.timestamp
    );
    let expected = Message {
        content: "the".into(),
        edited: true,
        edited_timestamp: Some(when),
        ..sent.clone()
    };
    assert_eq!(edited, expected, "nothing else changes");
    assert_eq!(
        messages.get(ab, sent.message_id).await.unwrap(),
        Some(edited.clone())
    );
    let latest = messages.history(ab, HistoryPage::Latest, 1).await.unwrap();
    assert_eq!(latest.first(), Some(&edited), "history shows the edit");

    let twice = messages.edit(ab, sent.message_id, "the.").await.unwrap();
    assert!(twice.edited_timestamp >= edited.edited_timestamp);
    assert_eq!(twice.content, "the.");

    let missing = messages.edit(ab, MessageId::now(), "x").await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    let elsewhere = messages
        .edit(ConversationId::random(), sent.message_id, "x")
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound)),
        "{elsewhere:?}"
    );
    let kept = messages.get(ab, sent.message_id).await.unwrap().unwrap();
    assert_eq!(kept.content, "the.", "a failed edit changes nothing");

    // Metadata changes alone (a dismissed link preview): no edit mark, nothing else moves.
    let metadata =
        std::collections::BTreeMap::from([("link_preview".to_owned(), "dismissed".to_owned())]);
    let marked = messages
        .set_metadata(ab, sent.message_id, &metadata)
        .await
        .unwrap();
    assert_eq!(marked, Message { metadata, ..kept });
    assert_eq!(
        messages.get(ab, sent.message_id).await.unwrap(),
        Some(marked)
    );
    let missing = messages
        .set_metadata(ab, MessageId::now(), &Default::default())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

async fn a_soft_delete_forgets_the_content_but_keeps_the_place(
    messages: &dyn MessageStore,
    ac: ConversationId,
    a: UserId,
    c: UserId,
) {
    messages.append(text(ac, c, "before")).await.unwrap();
    let doomed = Message {
        media_urls: vec!["https://example.org/f.pdf".into()],
        message_type: MessageType::File,
        metadata: BTreeMap::from([("name".to_owned(), "f.pdf".to_owned())]),
        ..with_client_id(text(ac, a, "secret"), "delete-1")
    };
    let (sent, _) = messages.append(doomed).await.unwrap();
    messages.append(text(ac, c, "after")).await.unwrap();

    let deleted = messages.delete(ac, sent.message_id).await.unwrap();
    let expected = Message {
        content: String::new(),
        media_urls: Vec::new(),
        metadata: BTreeMap::new(),
        deleted: true,
        ..sent.clone()
    };
    assert_eq!(
        deleted, expected,
        "id, sender, time, type and client id stay"
    );
    assert_eq!(
        messages.get(ac, sent.message_id).await.unwrap(),
        Some(deleted.clone())
    );

    let tail = messages.history(ac, HistoryPage::Latest, 3).await.unwrap();
    assert_eq!(
        contents(&tail),
        ["after", "", "before"],
        "history keeps its shape"
    );
    assert_eq!(tail[1], deleted);

    let missing = messages.delete(ac, MessageId::now()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}
