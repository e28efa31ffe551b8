//! Group commit for message appends, used where the engine asks for it (SQLite).
//!
//! With `synchronous = FULL` every commit waits for an fsync, so one transaction per message caps
//! a disk at a few thousand acknowledged sends per second, and SQLite serialises writers anyway.
//! One writer task takes every append waiting in its queue, writes them all in one transaction and
//! commits once: the same durability (nothing is acknowledged before its commit), with the fsync
//! shared by the whole batch. There is no artificial delay: a batch is whatever queued while the
//! previous commit was running, so a lone message is written at once.

use sqlx::Pool;
use tokio::sync::{mpsc, oneshot};

use super::appends::{write, write_one};
use super::engine::SqlEngine;
use crate::domain::Message;
use crate::store::StoreError;

/// Appends taken into one transaction at most.
const MAX_BATCH: usize = 512;
/// Appends that may wait for the writer before senders wait for room (backpressure).
const QUEUE: usize = 16 * 1024;

type Reply = oneshot::Sender<Result<(Message, bool), StoreError>>;

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub(super) struct MessageWriter {
    queue: mpsc::Sender<(Message, Reply)>,
}

impl MessageWriter {
    /// Starts the writer task on `pool`; it ends when every handle is dropped.
    pub(super) fn start<DB: SqlEngine>(pool: Pool<DB>) -> Self {
        let (queue, pending) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, pending));
        Self { queue }
    }

    /// Stores `message` (see `MessageStore::append`) and answers once it is committed.
    pub(super) async fn append(&self, message: Message) -> Result<(Message, bool), StoreError> {
        let (reply, answer) = oneshot::channel();
        let gone = || StoreError::Setup("the message writer has stopped".into());
        self.queue
            .send((message, reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run<DB: SqlEngine>(pool: Pool<DB>, mut pending: mpsc::Receiver<(Message, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let messages: Vec<Message> = batch.iter().map(|(m, _)| m.clone()).collect();
        match write(&pool, &messages).await {
            Ok(results) => {
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    let _ = reply.send(Ok(result));
                }
            }
            // One bad message must not fail its neighbours: retry each on its own.
            Err(_) => {
                for (message, reply) in batch.drain(..) {
                    let _ = reply.send(write_one(&pool, &message).await);
                }
            }
        }
    }
}
