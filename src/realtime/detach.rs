//! Socket.IO requests are cut loose from hyper's read buffer before a session keeps them.
//!
//! hyper parses a request's URI and header values as slices of its 8 KiB per-connection read
//! buffer, and a Socket.IO session keeps its handshake request for its whole life. The patched
//! engineioxide copies the URI and headers it keeps (vendor/README.md); axum's `OriginalUri`
//! extension, a second handle on the URI, would still hold the whole buffer: 8 KiB per idle
//! connection (BENCHMARKS.md, memory per connection).

use axum::extract::{OriginalUri, Request};
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware for `/socket.io/`: replaces the `OriginalUri` extension by a copy of its own.
pub async fn detach(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/socket.io")
        && let Some(OriginalUri(uri)) = req.extensions_mut().remove::<OriginalUri>()
    {
        let copy = Uri::try_from(uri.to_string()).unwrap_or(uri);
        req.extensions_mut().insert(OriginalUri(copy));
    }
    next.run(req).await
}
