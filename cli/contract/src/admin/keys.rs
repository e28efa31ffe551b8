//! Requests about the keys that sign access tokens.

use serde::{Deserialize, Serialize};

use super::route::fill;
use super::{AdminRequest, KeyChange, KeyList, Method, NoBody, RequestError, RouteParams};

/// `GET /v1/keys`: the token-signing keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListKeys;

impl AdminRequest for ListKeys {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/keys";
    type Body = NoBody;
    type Response = KeyList;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(_: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ListKeys)
    }
}

/// `POST /v1/keys/rotate`: a new active key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RotateKeys {
    /// Retire every older key at once instead of leaving it verify-only.
    #[serde(default)]
    pub retire_old: bool,
}

impl AdminRequest for RotateKeys {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/keys/rotate";
    type Body = RotateKeys;
    type Response = KeyChange;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&RotateKeys> {
        Some(self)
    }
    fn from_parts(_: &RouteParams, body: Option<RotateKeys>) -> Result<Self, RequestError> {
        body.ok_or(RequestError::MissingBody)
    }
}

/// `POST /v1/keys/{kid}/retire`: the tokens a verify-only key signed stop working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetireKey {
    pub kid: String,
}

impl AdminRequest for RetireKey {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/keys/{kid}/retire";
    type Body = NoBody;
    type Response = KeyChange;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("kid", &self.kid)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(RetireKey {
            kid: params.segment("kid")?,
        })
    }
}
