//! Requests about accounts.

use serde::{Deserialize, Serialize};

use super::route::{fill, with_query};
use super::{
    AdminRequest, AdminUser, Method, NoBody, RequestError, Revocation, RouteParams, UserList,
};

/// `GET /v1/users`: accounts ordered by username, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListUsers {
    /// Only usernames starting with this.
    pub prefix: Option<String>,
    /// Page size (the daemon's default when `None`).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Only disabled accounts.
    pub disabled: bool,
}

impl AdminRequest for ListUsers {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/users";
    type Body = NoBody;
    type Response = UserList;

    fn path(&self) -> String {
        with_query(
            Self::ROUTE.to_owned(),
            &[
                ("prefix", self.prefix.clone()),
                ("limit", self.limit.map(|n| n.to_string())),
                ("cursor", self.cursor.clone()),
                ("disabled", self.disabled.then(|| "true".to_owned())),
            ],
        )
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ListUsers {
            prefix: params.query("prefix")?,
            limit: params.query("limit")?,
            cursor: params.query("cursor")?,
            disabled: params.query("disabled")?.unwrap_or(false),
        })
    }
}

/// `POST /v1/users`: a new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
}

impl AdminRequest for CreateUser {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/users";
    const SUCCESS_STATUS: u16 = 201;
    type Body = CreateUser;
    type Response = AdminUser;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&CreateUser> {
        Some(self)
    }
    fn from_parts(_: &RouteParams, body: Option<CreateUser>) -> Result<Self, RequestError> {
        body.ok_or(RequestError::MissingBody)
    }
}

/// `GET /v1/users/{user}`: one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetUser {
    /// Username, e-mail address or user id.
    pub user: String,
}

impl AdminRequest for GetUser {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/users/{user}";
    type Body = NoBody;
    type Response = AdminUser;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(GetUser {
            user: params.segment("user")?,
        })
    }
}

/// `POST /v1/users/{user}/disable`: no login, sessions end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisableUser {
    /// Username, e-mail address or user id.
    pub user: String,
}

impl AdminRequest for DisableUser {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/users/{user}/disable";
    type Body = NoBody;
    type Response = Revocation;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(DisableUser {
            user: params.segment("user")?,
        })
    }
}

/// `POST /v1/users/{user}/enable`: a disabled account may sign in again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnableUser {
    /// Username, e-mail address or user id.
    pub user: String,
}

impl AdminRequest for EnableUser {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/users/{user}/enable";
    type Body = NoBody;
    type Response = AdminUser;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(EnableUser {
            user: params.segment("user")?,
        })
    }
}

/// `POST /v1/users/{user}/logout`: every session of the account ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutUser {
    /// Username, e-mail address or user id.
    pub user: String,
}

impl AdminRequest for LogoutUser {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/users/{user}/logout";
    type Body = NoBody;
    type Response = Revocation;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(LogoutUser {
            user: params.segment("user")?,
        })
    }
}

/// The body of [`SetPassword`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPassword {
    pub password: String,
}

/// `PUT /v1/users/{user}/password`: a new password; the account's sessions end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPassword {
    /// Username, e-mail address or user id.
    pub user: String,
    pub body: NewPassword,
}

impl AdminRequest for SetPassword {
    const METHOD: Method = Method::Put;
    const ROUTE: &'static str = "/v1/users/{user}/password";
    type Body = NewPassword;
    type Response = Revocation;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NewPassword> {
        Some(&self.body)
    }
    fn from_parts(params: &RouteParams, body: Option<NewPassword>) -> Result<Self, RequestError> {
        Ok(SetPassword {
            user: params.segment("user")?,
            body: body.ok_or(RequestError::MissingBody)?,
        })
    }
}

/// `DELETE /v1/users/{user}`: the account is anonymised for good; its messages stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteUser {
    /// Username, e-mail address or user id.
    pub user: String,
}

impl AdminRequest for DeleteUser {
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/v1/users/{user}";
    type Body = NoBody;
    type Response = Revocation;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(DeleteUser {
            user: params.segment("user")?,
        })
    }
}
