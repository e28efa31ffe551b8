//! What a node does when another node changed something it caches (scaled-out profile).
//!
//! Services publish node-wide events on the bus when shared state changes under a cache
//! (`Event::AudienceChanged`, `Event::KeysChanged`); this listener applies them here, so every
//! node's caches follow within one bus round trip rather than when their entries expire. On a
//! single node the bus never carries these events and the listener idles.

use std::sync::{Arc, Weak};

use tokio::sync::broadcast::error::RecvError;

use super::accounts::AccountService;
use super::audience::AudienceCache;
use crate::bus::{Event, EventBus};

/// Applies other nodes' cache invalidations until the bus closes.
pub fn spawn_listener(
    bus: &Arc<dyn EventBus>,
    audiences: Weak<AudienceCache>,
    accounts: Weak<AccountService>,
) {
    // Weak references: both hold the bus, whose closing is what ends this loop.
    let mut events = bus.subscribe();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(envelope) => match &envelope.event {
                    Event::AudienceChanged { conversation_id } => {
                        let Some(audiences) = audiences.upgrade() else {
                            return;
                        };
                        audiences.forget_here(*conversation_id)
                    }
                    Event::KeysChanged => {
                        let Some(accounts) = accounts.upgrade() else {
                            return;
                        };
                        if let Err(e) = accounts.tokens().reload().await {
                            tracing::warn!(
                                error = %e.detail(),
                                "cannot re-read the signing keys another node changed; they \
                                 apply here once the key cache is stale"
                            );
                        }
                    }
                    _ => {}
                },
                // Missed invalidations: forget every audience; keys reload when stale anyway.
                Err(RecvError::Lagged(_)) => match audiences.upgrade() {
                    Some(audiences) => audiences.forget_everything(),
                    None => return,
                },
                Err(RecvError::Closed) => return,
            }
        }
    });
}
