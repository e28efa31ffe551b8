//! The admin protocol: JSON over HTTP/1.1 on the daemon's Unix socket.
//!
//! Every request is a type implementing [`AdminRequest`], which names its method, its route and
//! the type of its answer, and writes (for omegactl) and reads back (for the daemon) its own
//! path parameters, query and body. omegactl sends every request through one generic call and
//! the daemon builds its router from the same types, with each handler taking the request type
//! and returning its `Response`: the two sides cannot disagree on where a request goes or what
//! comes back. (Garage's admin API v2 shares its request types between daemon and CLI the same
//! way.)
//!
//! | request             | method and path                               | body          | answer             |
//! |---------------------|-----------------------------------------------|---------------|--------------------|
//! | [`GetHealth`]       | `GET /v1/health`                              |               | [`HealthReport`]   |
//! | [`GetStatus`]       | `GET /v1/status`                              |               | [`StatusReport`]   |
//! | [`ListMigrations`]  | `GET /v1/migrations`                          |               | [`MigrationReport`]|
//! | [`ApplyMigrations`] | `POST /v1/migrations/apply`                   |               | [`MigrationReport`]|
//! | [`ListUsers`]       | `GET /v1/users?prefix=&limit=&cursor=&disabled=` |            | [`UserList`]       |
//! | [`CreateUser`]      | `POST /v1/users` (201)                        | [`CreateUser`]| [`AdminUser`]      |
//! | [`GetUser`]         | `GET /v1/users/{user}`                        |               | [`AdminUser`]      |
//! | [`DisableUser`]     | `POST /v1/users/{user}/disable`               |               | [`Revocation`]     |
//! | [`EnableUser`]      | `POST /v1/users/{user}/enable`                |               | [`AdminUser`]      |
//! | [`LogoutUser`]      | `POST /v1/users/{user}/logout`                |               | [`Revocation`]     |
//! | [`SetPassword`]     | `PUT /v1/users/{user}/password`               | [`NewPassword`]| [`Revocation`]    |
//! | [`DeleteUser`]      | `DELETE /v1/users/{user}`                     |               | [`Revocation`]     |
//! | [`ListGroups`]      | `GET /v1/groups?prefix=&limit=&cursor=`       |               | [`GroupList`]      |
//! | [`CreateGroup`]     | `POST /v1/groups` (201)                       | [`CreateGroup`]| [`AdminGroup`]    |
//! | [`GetGroup`]        | `GET /v1/groups/{group}`                      |               | [`AdminGroup`]     |
//! | [`AddMember`]       | `POST /v1/groups/{group}/members`             | [`NewMember`] | [`AdminGroup`]     |
//! | [`RemoveMember`]    | `DELETE /v1/groups/{group}/members/{user}`    |               | [`AdminGroup`]     |
//! | [`SetRole`]         | `PUT /v1/groups/{group}/members/{user}/role`  | [`NewRole`]   | [`AdminGroup`]     |
//! | [`DeleteGroup`]     | `DELETE /v1/groups/{group}`                   |               | [`Deleted`]        |
//! | [`ListKeys`]        | `GET /v1/keys`                                |               | [`KeyList`]        |
//! | [`RotateKeys`]      | `POST /v1/keys/rotate`                        | [`RotateKeys`]| [`KeyChange`]      |
//! | [`RetireKey`]       | `POST /v1/keys/{kid}/retire`                  |               | [`KeyChange`]      |
//! | [`ReadAudit`]       | `GET /v1/audit?limit=`                        |               | [`AuditLog`]       |
//! | [`WriteBackup`]     | `POST /v1/backup`                             | [`WriteBackup`]| [`BackupOutcome`] |
//!
//! `{user}` is a username, an e-mail address or a user id; `{group}` is a group id; `{kid}` a key
//! id. Path parameters and query values are percent-encoded. User and group ids in answers are
//! integers, as on the public API; conversation ids are UUID strings; list cursors are opaque
//! strings. Errors are `{"error":{"code","message","field"?}}` with an HTTP status, as on the
//! public API ([`ErrorBody`]).

// Requests by area, each with its route and how it is written and read back; then the answers.
mod answers;
mod groups;
mod keys;
mod route;
mod system;
mod users;

pub use answers::*;
pub use groups::*;
pub use keys::*;
pub use route::{Method, NoBody, RequestError, RouteParams, encode};
pub use system::*;
pub use users::*;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One admin request: where it goes, what it carries and what it is answered with.
pub trait AdminRequest: Sized {
    /// The HTTP method.
    const METHOD: Method;
    /// The path the daemon's router matches: literal segments and `{name}` parameters.
    const ROUTE: &'static str;
    /// The HTTP status of a successful answer: 201 for requests that create something.
    const SUCCESS_STATUS: u16 = 200;
    /// The JSON body: the request itself when it is all body, a `…Body` type when it also has
    /// path parameters, [`NoBody`] when it has none.
    type Body: Serialize + DeserializeOwned;
    /// The answer on success.
    type Response: Serialize + DeserializeOwned;

    /// The path to request: the route with its parameters filled in, then the query.
    fn path(&self) -> String;
    /// The body to send, when the request has one.
    fn body(&self) -> Option<&Self::Body>;
    /// The request again from what the daemon received: the inverse of [`AdminRequest::path`]
    /// and [`AdminRequest::body`].
    fn from_parts(params: &RouteParams, body: Option<Self::Body>) -> Result<Self, RequestError>;
}
