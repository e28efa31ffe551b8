//! The chat stores on PostgreSQL: one struct over the pool; its trait implementations live one
//! file per concern (`friendships.rs`, `groups.rs`, `conversations.rs`, `messages.rs`), each the
//! twin of the same file under `sqlite/`: keep them in step, method for method.

use sqlx::PgPool;

/// The chat stores over one pool.
#[derive(Clone)]
pub(super) struct PgChatStore {
    pub(super) pool: PgPool,
}

impl PgChatStore {
    pub(super) fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}
