//! Relationship rows.

use async_trait::async_trait;
use chrono::Utc;

use super::SqlStore;
use super::engine::SqlEngine;
use super::query::query;
use super::rows::FriendshipRow;
use crate::domain::{Friendship, FriendshipStatus, UserId};
use crate::store::StoreError;
use crate::store::chat::FriendshipStore;

#[async_trait]
impl<DB: SqlEngine> FriendshipStore for SqlStore<DB> {
    /// The a→b row and the b→a row, each if present.
    async fn between(
        &self,
        a: UserId,
        b: UserId,
    ) -> Result<(Option<Friendship>, Option<Friendship>), StoreError> {
        let rows: Vec<FriendshipRow> = query(
            "SELECT * FROM friendships
             WHERE (requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1)",
        )
        .bind(a.0)
        .bind(b.0)
        .fetch_all(&self.pool)
        .await?;
        let mut forward = None;
        let mut backward = None;
        for row in rows {
            let friendship = Friendship::try_from(row)?;
            if friendship.requester_id == a {
                forward = Some(friendship);
            } else {
                backward = Some(friendship);
            }
        }
        Ok((forward, backward))
    }

    /// Creates or replaces the requester→addressee row.
    async fn put(
        &self,
        requester: UserId,
        addressee: UserId,
        status: FriendshipStatus,
    ) -> Result<Friendship, StoreError> {
        let row: FriendshipRow = query(
            "INSERT INTO friendships (requester_id, addressee_id, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (requester_id, addressee_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at
             RETURNING *",
        )
        .bind(requester.0)
        .bind(addressee.0)
        .bind(status.as_str())
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await?;
        row.try_into()
    }

    /// Deletes the requester→addressee row; whether one existed.
    async fn delete(&self, requester: UserId, addressee: UserId) -> Result<bool, StoreError> {
        let done = query("DELETE FROM friendships WHERE requester_id = $1 AND addressee_id = $2")
            .bind(requester.0)
            .bind(addressee.0)
            .execute(&self.pool)
            .await?;
        Ok(done > 0)
    }

    /// Every row naming `user` on either side.
    async fn list_for(&self, user: UserId) -> Result<Vec<Friendship>, StoreError> {
        let rows: Vec<FriendshipRow> = query(
            "SELECT * FROM friendships WHERE requester_id = $1 OR addressee_id = $1 ORDER BY updated_at DESC, id DESC",
        )
        .bind(user.0)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(Friendship::try_from).collect()
    }
}
