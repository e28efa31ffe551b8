//! Requests about groups and their members.

use serde::{Deserialize, Serialize};

use super::route::{fill, with_query};
use super::{
    AdminGroup, AdminRequest, Deleted, GroupList, GroupRole, Method, NoBody, RequestError,
    RouteParams,
};

/// `GET /v1/groups`: every group ordered by id, a page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListGroups {
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Page size (the daemon's default when `None`).
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl AdminRequest for ListGroups {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/groups";
    type Body = NoBody;
    type Response = GroupList;

    fn path(&self) -> String {
        with_query(
            Self::ROUTE.to_owned(),
            &[
                ("prefix", self.prefix.clone()),
                ("limit", self.limit.map(|n| n.to_string())),
                ("cursor", self.cursor.clone()),
            ],
        )
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(ListGroups {
            prefix: params.query("prefix")?,
            limit: params.query("limit")?,
            cursor: params.query("cursor")?,
        })
    }
}

/// `POST /v1/groups`: a new group with its owner and members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGroup {
    pub name: String,
    pub description: Option<String>,
    /// Username or id of the owner.
    pub owner: String,
    /// Usernames or ids of the other members.
    #[serde(default)]
    pub members: Vec<String>,
}

impl AdminRequest for CreateGroup {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/groups";
    const SUCCESS_STATUS: u16 = 201;
    type Body = CreateGroup;
    type Response = AdminGroup;

    fn path(&self) -> String {
        Self::ROUTE.to_owned()
    }
    fn body(&self) -> Option<&CreateGroup> {
        Some(self)
    }
    fn from_parts(_: &RouteParams, body: Option<CreateGroup>) -> Result<Self, RequestError> {
        body.ok_or(RequestError::MissingBody)
    }
}

/// `GET /v1/groups/{group}`: a group and its members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetGroup {
    pub group: i64,
}

impl AdminRequest for GetGroup {
    const METHOD: Method = Method::Get;
    const ROUTE: &'static str = "/v1/groups/{group}";
    type Body = NoBody;
    type Response = AdminGroup;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("group", &self.group.to_string())])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(GetGroup {
            group: params.segment("group")?,
        })
    }
}

/// The body of [`AddMember`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    /// Username or id.
    pub user: String,
    /// [`GroupRole::Member`] when absent; only the owner role cannot be given this way.
    pub role: Option<GroupRole>,
}

/// `POST /v1/groups/{group}/members`: a user joins the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddMember {
    pub group: i64,
    pub body: NewMember,
}

impl AdminRequest for AddMember {
    const METHOD: Method = Method::Post;
    const ROUTE: &'static str = "/v1/groups/{group}/members";
    type Body = NewMember;
    type Response = AdminGroup;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("group", &self.group.to_string())])
    }
    fn body(&self) -> Option<&NewMember> {
        Some(&self.body)
    }
    fn from_parts(params: &RouteParams, body: Option<NewMember>) -> Result<Self, RequestError> {
        Ok(AddMember {
            group: params.segment("group")?,
            body: body.ok_or(RequestError::MissingBody)?,
        })
    }
}

/// `DELETE /v1/groups/{group}/members/{user}`: a member leaves; removing the owner hands
/// ownership over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveMember {
    pub group: i64,
    /// Username or id.
    pub user: String,
}

impl AdminRequest for RemoveMember {
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/v1/groups/{group}/members/{user}";
    type Body = NoBody;
    type Response = AdminGroup;

    fn path(&self) -> String {
        let group = self.group.to_string();
        fill(Self::ROUTE, &[("group", &group), ("user", &self.user)])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(RemoveMember {
            group: params.segment("group")?,
            user: params.segment("user")?,
        })
    }
}

/// The body of [`SetRole`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRole {
    /// [`GroupRole::Owner`] hands ownership over.
    pub role: GroupRole,
}

/// `PUT /v1/groups/{group}/members/{user}/role`: a member's new role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRole {
    pub group: i64,
    /// Username or id.
    pub user: String,
    pub body: NewRole,
}

impl AdminRequest for SetRole {
    const METHOD: Method = Method::Put;
    const ROUTE: &'static str = "/v1/groups/{group}/members/{user}/role";
    type Body = NewRole;
    type Response = AdminGroup;

    fn path(&self) -> String {
        let group = self.group.to_string();
        fill(Self::ROUTE, &[("group", &group), ("user", &self.user)])
    }
    fn body(&self) -> Option<&NewRole> {
        Some(&self.body)
    }
    fn from_parts(params: &RouteParams, body: Option<NewRole>) -> Result<Self, RequestError> {
        Ok(SetRole {
            group: params.segment("group")?,
            user: params.segment("user")?,
            body: body.ok_or(RequestError::MissingBody)?,
        })
    }
}

/// `DELETE /v1/groups/{group}`: the group and its conversation, for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteGroup {
    pub group: i64,
}

impl AdminRequest for DeleteGroup {
    const METHOD: Method = Method::Delete;
    const ROUTE: &'static str = "/v1/groups/{group}";
    type Body = NoBody;
    type Response = Deleted;

    fn path(&self) -> String {
        fill(Self::ROUTE, &[("group", &self.group.to_string())])
    }
    fn body(&self) -> Option<&NoBody> {
        None
    }
    fn from_parts(params: &RouteParams, _: Option<NoBody>) -> Result<Self, RequestError> {
        Ok(DeleteGroup {
            group: params.segment("group")?,
        })
    }
}
