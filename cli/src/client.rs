//! The admin protocol's client side: one HTTP/1.1 request per connection over the Unix socket.
//!
//! Every request goes through [`AdminClient::send`]: the request type says where it goes and what
//! comes back (see `omegachat_contract::admin`), so no command writes a route or picks an answer
//! type of its own. A fresh connection per request keeps this simple and costs nothing on a local
//! socket; a command that needs two requests (look up, then act) simply connects twice.

use std::io;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use omegachat_contract::admin::{self, AdminRequest, ErrorBody};
use serde::de::DeserializeOwned;
use tokio::net::UnixStream;

use crate::error::CliError;
use crate::socket::{Located, describe_ownership};
use crate::unit::UnitState;

/// A successful answer: the typed body, and the JSON as the daemon sent it for `--json`.
#[derive(Debug)]
pub struct Reply<T> {
    pub body: T,
    pub raw: Vec<u8>,
}

/// Talks to one daemon through its admin socket.
#[derive(Debug, Clone)]
pub struct AdminClient {
    socket: Located,
}

impl AdminClient {
    /// A client for the socket found at `socket`; nothing is connected until a request is sent.
    pub fn new(socket: Located) -> Self {
        Self { socket }
    }

    /// Sends `request` and returns its answer, typed as the request says.
    pub async fn send<R: AdminRequest>(&self, request: &R) -> Result<Reply<R::Response>, CliError> {
        let method = match R::METHOD {
            admin::Method::Get => Method::GET,
            admin::Method::Post => Method::POST,
            admin::Method::Put => Method::PUT,
            admin::Method::Delete => Method::DELETE,
        };
        let body = request.body().map(to_json).transpose()?;
        self.exchange(method, &request.path(), body).await
    }

    async fn exchange<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Reply<T>, CliError> {
        let what = format!("{method} {path}");
        let stream = UnixStream::connect(&self.socket.path)
            .await
            .map_err(|err| connect_error(&self.socket, err, UnitState::probe))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|err| broken(&what, err))?;
        // The connection future does the actual reading and writing; it ends when the answer has
        // been read and `sender` is dropped.
        let driver = tokio::spawn(connection);

        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, "localhost")
            .header(USER_AGENT, concat!("omegactl/", env!("CARGO_PKG_VERSION")))
            .header(ACCEPT, "application/json");
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|err| CliError::Protocol(format!("cannot build {what}: {err}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|err| broken(&what, err))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|err| broken(&what, err))?
            .to_bytes();
        drop(sender);
        driver.abort();
        interpret(&what, status, &bytes)
    }
}

fn to_json<B: serde::Serialize>(body: &B) -> Result<Vec<u8>, CliError> {
    serde_json::to_vec(body)
        .map_err(|err| CliError::Protocol(format!("cannot encode the request: {err}")))
}

/// Maps a failed `connect(2)` to what the operator should do about it; `unit` is asked only
/// when the advice depends on it.
fn connect_error(socket: &Located, err: io::Error, unit: impl FnOnce() -> UnitState) -> CliError {
    let path = &socket.path;
    let reason = match err.kind() {
        io::ErrorKind::PermissionDenied => {
            return CliError::PermissionDenied {
                path: path.to_path_buf(),
                ownership: describe_ownership(path),
            };
        }
        io::ErrorKind::NotFound => "no such socket".to_owned(),
        // A socket file left behind by a daemon that is gone.
        io::ErrorKind::ConnectionRefused => "connection refused".to_owned(),
        _ => err.to_string(),
    };
    CliError::Unreachable {
        path: path.to_path_buf(),
        origin: socket.origin.clone(),
        reason,
        unit: unit(),
    }
}

fn broken(what: &str, err: hyper::Error) -> CliError {
    CliError::Protocol(format!(
        "the connection to omegachatd broke during {what}: {err}"
    ))
}

/// Turns a status and body into the typed answer or the daemon's error.
fn interpret<T: DeserializeOwned>(
    what: &str,
    status: StatusCode,
    bytes: &[u8],
) -> Result<Reply<T>, CliError> {
    if !status.is_success() {
        let (code, message) = match serde_json::from_slice::<ErrorBody>(bytes) {
            Ok(body) => (body.error.code, body.error.message),
            Err(_) => (
                format!("http_{}", status.as_u16()),
                format!("omegachatd answered {what} with {status}"),
            ),
        };
        return Err(if status == StatusCode::FORBIDDEN {
            CliError::Forbidden { code, message }
        } else {
            CliError::Daemon {
                status: status.as_u16(),
                code,
                message,
            }
        });
    }
    let unexpected = |err: serde_json::Error| {
        CliError::Protocol(format!(
            "unexpected answer to {what}: {err} (are omegactl and omegachatd the same version?)"
        ))
    };
    let body = serde_json::from_slice(bytes).map_err(unexpected)?;
    Ok(Reply {
        body,
        raw: bytes.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use omegachat_contract::admin::Deleted;

    #[test]
    fn an_error_body_becomes_the_daemons_code_and_message() {
        let body = br#"{"error":{"code":"user_not_found","message":"no user alice"}}"#;
        let err =
            interpret::<Deleted>("GET /v1/users/alice", StatusCode::NOT_FOUND, body).unwrap_err();
        assert!(matches!(err, CliError::Daemon { status: 404, .. }));
        assert_eq!(err.to_string(), "no user alice (user_not_found)");
    }

    #[test]
    fn a_403_is_an_access_error() {
        let body =
            br#"{"error":{"code":"forbidden","message":"uid 1000 may not administer omegachatd"}}"#;
        let err = interpret::<Deleted>("GET /v1/status", StatusCode::FORBIDDEN, body).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::EXIT_USAGE);
        assert_eq!(
            err.to_string(),
            "uid 1000 may not administer omegachatd (forbidden)"
        );
    }

    #[test]
    fn an_error_without_a_body_still_says_what_failed() {
        let err = interpret::<Deleted>("GET /v1/status", StatusCode::BAD_GATEWAY, b"").unwrap_err();
        assert!(err.to_string().contains("502"), "{err}");
    }

    #[test]
    fn a_success_keeps_the_raw_json_for_json_output() {
        let reply = interpret::<Deleted>(
            "DELETE /v1/groups/7",
            StatusCode::OK,
            br#"{"id":7,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(reply.body.id, 7);
        assert_eq!(reply.raw, br#"{"id":7,"extra":1}"#);
    }

    #[test]
    fn a_missing_socket_is_unreachable() {
        let socket = Located {
            path: "/nope.sock".into(),
            origin: crate::socket::SocketSource::Flag,
        };
        let err = connect_error(&socket, io::Error::from(io::ErrorKind::NotFound), || {
            UnitState::Absent
        });
        assert!(
            err.to_string()
                .starts_with("cannot reach omegachatd at /nope.sock: no such socket")
        );
    }
}
