//! What a socket's internal channel carries. OmegaChat patch (issue 14, see `vendor/README.md`).
//!
//! - **8 bytes a slot.** tokio's bounded channel allocates its slots 32 at a time when it is
//!   created, and a `PacketBuf` is about 180 bytes, so every idle socket held ~6 KiB of empty
//!   slots. A slot is one pointer instead.
//! - **A broadcast is queued once.** Socket.IO serialises a broadcast once and hands the same
//!   buffer to every recipient's socket, one after the other. Each socket used to get its own
//!   boxed packet and each writer built its own Engine.IO text (`4` and the payload: a new
//!   allocation and a copy of the whole message per recipient). Now the recipients share one
//!   [`Queued`], and the first WebSocket writer to send it builds the text for all of them.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use engineioxide_core::{Packet, PacketBuf, Str};
use smallvec::smallvec;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// Packets for one socket, possibly shared with other sockets.
#[derive(Clone, Debug)]
pub(crate) struct Queued(Arc<Outgoing>);

#[derive(Clone, Debug)]
struct Outgoing {
    packets: PacketBuf,
    /// The WebSocket text of a lone message packet, built once for all the sockets sharing it.
    text: OnceLock<Utf8Bytes>,
}

impl Queued {
    pub(crate) fn new(packets: PacketBuf) -> Self {
        Self(Arc::new(Outgoing {
            packets,
            text: OnceLock::new(),
        }))
    }

    /// A message packet, shared with the last sockets this thread queued the same payload to.
    pub(crate) fn message(payload: Str) -> Self {
        if payload.len() > MAX_SHARED {
            return Self::new(smallvec![Packet::Message(payload)]);
        }
        LAST.with_borrow_mut(|last| {
            if let Some((seen, queued)) = last.as_ref()
                && seen.as_bytes().as_ptr() == payload.as_bytes().as_ptr()
                && seen.len() == payload.len()
            {
                return queued.clone();
            }
            let queued = Self::new(smallvec![Packet::Message(payload.clone())]);
            *last = Some((payload, queued.clone()));
            queued
        })
    }

    /// The WebSocket text when this is one message packet (`4` then the payload); built by the
    /// first socket that sends it.
    pub(crate) fn message_text(&self) -> Option<Utf8Bytes> {
        let [Packet::Message(payload)] = self.0.packets.as_slice() else {
            return None;
        };
        let text = self.0.text.get_or_init(|| {
            let mut text = String::with_capacity(payload.len() + 1);
            text.push('4');
            text.push_str(payload);
            Utf8Bytes::from(text)
        });
        Some(text.clone())
    }

    /// The packets, owned: taken when nobody else shares them, cloned otherwise (a packet's
    /// payload is a reference-counted buffer, so a clone copies no message).
    pub(crate) fn into_packets(self) -> PacketBuf {
        Arc::unwrap_or_clone(self.0).packets
    }
}

/// Payloads above this are not kept: the cache must not hold a large message alive until the
/// thread's next message.
const MAX_SHARED: usize = 64 * 1024;

thread_local! {
    /// The payload this thread queued last and what it queued. Holding the payload keeps its
    /// buffer alive, so no other buffer can take its address while it is here: the same address
    /// and length mean a clone of the same bytes.
    static LAST: RefCell<Option<(Str, Queued)>> = const { RefCell::new(None) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_of_one_payload_share_one_queued_message_and_its_text() {
        let payload = Str::from(String::from("2[\"receive_message\",{}]"));
        let first = Queued::message(payload.clone());
        let second = Queued::message(payload.clone());
        assert!(Arc::ptr_eq(&first.0, &second.0), "one allocation for both");
        let text = first.message_text().unwrap();
        assert_eq!(text.as_str(), "42[\"receive_message\",{}]");
        assert_eq!(
            second.message_text().unwrap().as_str().as_ptr(),
            text.as_str().as_ptr(),
            "one text for both"
        );
        assert_eq!(
            second.into_packets().as_slice(),
            [Packet::Message(payload.clone())]
        );

        let same_text = Queued::message(Str::from(String::from("2[\"receive_message\",{}]")));
        assert!(!Arc::ptr_eq(&first.0, &same_text.0), "another buffer");
        let after = Queued::message(payload);
        assert!(
            !Arc::ptr_eq(&first.0, &after.0),
            "only the last payload is kept"
        );

        let large = Str::from("x".repeat(MAX_SHARED + 1));
        assert!(!Arc::ptr_eq(
            &Queued::message(large.clone()).0,
            &Queued::message(large).0
        ));
    }

    #[test]
    fn only_a_lone_message_has_a_text() {
        assert!(
            Queued::new(smallvec![Packet::Ping])
                .message_text()
                .is_none()
        );
        let two = Queued::new(smallvec![
            Packet::Message(Str::from("2[\"a\"]")),
            Packet::Binary(bytes::Bytes::from_static(b"x")),
        ]);
        assert!(two.message_text().is_none());
        assert_eq!(two.into_packets().len(), 2);
    }
}
