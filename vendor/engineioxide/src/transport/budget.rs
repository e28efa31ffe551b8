//! OmegaChat patch: a byte budget on a WebSocket's input until the peer sends its Socket.IO
//! CONNECT packet.
//!
//! tungstenite buffers a whole message (up to `ws_max_message_size`) before the server sees any
//! of it, and its limits cannot change once the stream is split into reader and writer. Counting
//! raw input bytes below the frame parser bounds what an unauthenticated peer can make the
//! server hold, whatever the frames look like, and lifts as soon as the CONNECT arrives.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The error a read returns once the budget is spent; the reader maps it to close code 1009.
#[derive(Debug)]
pub(crate) struct BudgetExceeded {
    pub(crate) max_bytes: usize,
}

impl std::fmt::Display for BudgetExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "more than {} bytes sent before the Socket.IO CONNECT packet",
            self.max_bytes
        )
    }
}

impl std::error::Error for BudgetExceeded {}

/// `inner` with at most `max_bytes` of input until `lifted` turns true.
pub(crate) struct PreConnectBudget<S> {
    inner: S,
    read: usize,
    max_bytes: usize,
    lifted: Arc<AtomicBool>,
    /// Once over budget, reads pass through again: the closing handshake drains the input.
    spent: bool,
}

impl<S> PreConnectBudget<S> {
    pub(crate) fn new(inner: S, max_bytes: usize, lifted: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            read: 0,
            max_bytes,
            lifted,
            spent: false,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for PreConnectBudget<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.spent || this.lifted.load(Ordering::Acquire) {
            return poll;
        }
        if let Poll::Ready(Ok(())) = poll {
            this.read += buf.filled().len() - before;
            if this.read > this.max_bytes {
                this.spent = true;
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    BudgetExceeded {
                        max_bytes: this.max_bytes,
                    },
                )));
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PreConnectBudget<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn input_past_the_budget_is_refused_until_lifted() {
        let (mut client, server) = tokio::io::duplex(64);
        let lifted = Arc::new(AtomicBool::new(false));
        let mut budget = PreConnectBudget::new(server, 8, lifted.clone());
        client.write_all(b"12345678").await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(budget.read(&mut buf).await.unwrap(), 8);
        client.write_all(b"9").await.unwrap();
        let err = budget.read(&mut buf).await.unwrap_err();
        assert!(err.get_ref().unwrap().is::<BudgetExceeded>());
    }

    #[tokio::test]
    async fn a_lifted_budget_counts_nothing() {
        let (mut client, server) = tokio::io::duplex(64);
        let lifted = Arc::new(AtomicBool::new(false));
        let mut budget = PreConnectBudget::new(server, 4, lifted.clone());
        lifted.store(true, Ordering::Release);
        client.write_all(b"0123456789").await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(budget.read(&mut buf).await.unwrap(), 10);
    }
}
