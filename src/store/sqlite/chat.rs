//! The chat stores on SQLite: one struct over the pool; its trait implementations live one file
//! per concern (`friendships.rs`, `groups.rs`, `conversations.rs`, `messages.rs`), each the twin of
//! the same file under `postgres/` (placeholders `?n` instead of `$n`): keep them in step, method
//! for method. Differences: appends go through the group-commit writer (`group_commit.rs`), since
//! SQLite has a single writer and an fsync per commit; and write transactions start with
//! `BEGIN IMMEDIATE`, because a deferred transaction that reads first fails at once (SQLITE_BUSY,
//! no retry) if another connection wrote in between.

use sqlx::SqlitePool;

use super::group_commit::MessageWriter;

/// The chat stores over one pool.
#[derive(Clone)]
pub(super) struct SqliteChatStore {
    pub(super) pool: SqlitePool,
    pub(super) writer: MessageWriter,
}

impl SqliteChatStore {
    pub(super) fn new(pool: SqlitePool) -> Self {
        Self {
            writer: MessageWriter::start(pool.clone()),
            pool,
        }
    }
}
