//! Writing a request's path and query, and reading them back on the daemon's side, so that both
//! directions live next to each other and a test can check that one undoes the other.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::{Deserialize, Deserializer, Serialize};

/// The HTTP methods the admin protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    /// The method as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// The body of a request that has none: nothing is sent, and whatever arrives is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct NoBody;

impl<'de> Deserialize<'de> for NoBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer).map(|_| NoBody)
    }
}

/// Why the daemon could not read a request back from what it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// The path does not have the route's shape (the router chose the wrong request type).
    WrongRoute { route: &'static str, path: String },
    /// A path parameter (`{name}`) does not parse as what the request needs.
    InvalidSegment {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// A query value does not parse as what the request needs.
    InvalidQuery {
        name: &'static str,
        value: String,
        reason: String,
    },
    /// The request needs a JSON body and none came.
    MissingBody,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::WrongRoute { route, path } => {
                write!(f, "{path} does not match the route {route}")
            }
            RequestError::InvalidSegment {
                name,
                value,
                reason,
            } => write!(f, "`{value}` is not a valid {name}: {reason}"),
            RequestError::InvalidQuery {
                name,
                value,
                reason,
            } => write!(f, "invalid {name}={value} in the query: {reason}"),
            RequestError::MissingBody => f.write_str(
                "this request needs a JSON body (sent with `Content-Type: application/json`)",
            ),
        }
    }
}

impl std::error::Error for RequestError {}

/// Characters kept as they are in a path segment or query value: RFC 3986's unreserved set.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path segment or query value (usernames, ids, cursors) so that `/`, `?`,
/// `&` and spaces in it cannot change the request's shape.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, UNRESERVED).to_string()
}

/// `route` with each `{name}` replaced by its encoded value from `values`.
pub(crate) fn fill(route: &str, values: &[(&str, &str)]) -> String {
    route
        .split('/')
        .map(|segment| match parameter_name(segment) {
            Some(name) => values
                .iter()
                .find(|(n, _)| *n == name)
                .map_or_else(|| segment.to_owned(), |(_, value)| encode(value)),
            None => segment.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `path?k=v&…` with the pairs whose value is set, encoded.
pub(crate) fn with_query(path: String, pairs: &[(&str, Option<String>)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// `name` for a `{name}` route segment.
fn parameter_name(segment: &str) -> Option<&str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// The parameters of one request as the daemon received it: the values of the route's `{name}`
/// segments and the query's pairs, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteParams {
    segments: Vec<(String, String)>,
    query: Vec<(String, String)>,
}

impl RouteParams {
    /// Reads `path` (without its query) against `route`, and the raw `query` string.
    pub fn parse(
        route: &'static str,
        path: &str,
        query: Option<&str>,
    ) -> Result<Self, RequestError> {
        let wrong = || RequestError::WrongRoute {
            route,
            path: path.to_owned(),
        };
        let (pattern, actual): (Vec<&str>, Vec<&str>) =
            (route.split('/').collect(), path.split('/').collect());
        if pattern.len() != actual.len() {
            return Err(wrong());
        }
        let mut segments = Vec::new();
        for (expected, value) in pattern.into_iter().zip(actual) {
            match parameter_name(expected) {
                Some(name) => segments.push((name.to_owned(), decode(value).ok_or_else(wrong)?)),
                None if expected == value => {}
                None => return Err(wrong()),
            }
        }
        let mut pairs = Vec::new();
        for pair in query
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            // Forms (and curl users) write a space as `+`; `encode` never emits one.
            let (key, value) = (key.replace('+', " "), value.replace('+', " "));
            let invalid = || RequestError::InvalidQuery {
                name: "query",
                value: pair.to_owned(),
                reason: "not valid percent-encoded UTF-8".into(),
            };
            pairs.push((
                decode(&key).ok_or_else(invalid)?,
                decode(&value).ok_or_else(invalid)?,
            ));
        }
        Ok(Self {
            segments,
            query: pairs,
        })
    }

    /// The value of the route's `{name}` segment.
    pub fn segment<T>(&self, name: &'static str) -> Result<T, RequestError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let value = self
            .segments
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        value
            .parse()
            .map_err(|err: T::Err| RequestError::InvalidSegment {
                name,
                value: value.to_owned(),
                reason: err.to_string(),
            })
    }

    /// The query's `name` value, if it has one (the last, when repeated); an empty value counts
    /// as absent, as an HTML form sends an empty field.
    pub fn query<T>(&self, name: &'static str) -> Result<Option<T>, RequestError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let Some(value) = self
            .query
            .iter()
            .rev()
            .find(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| v)
        else {
            return Ok(None);
        };
        value
            .parse()
            .map(Some)
            .map_err(|err: T::Err| RequestError::InvalidQuery {
                name,
                value: value.clone(),
                reason: err.to_string(),
            })
    }
}

fn decode(raw: &str) -> Option<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_input_is_percent_encoded_in_paths_and_queries() {
        assert_eq!(encode("alice.b_c-d~"), "alice.b_c-d~");
        assert_eq!(encode("a/b?c&d"), "a%2Fb%3Fc%26d");
        assert_eq!(
            with_query(
                "/v1/users".into(),
                &[("prefix", Some("al ice".into())), ("limit", None)]
            ),
            "/v1/users?prefix=al%20ice"
        );
        assert_eq!(
            with_query("/v1/users".into(), &[("limit", None)]),
            "/v1/users"
        );
        assert_eq!(
            fill(
                "/v1/groups/{group}/members/{user}",
                &[("group", "7"), ("user", "a b")]
            ),
            "/v1/groups/7/members/a%20b"
        );
    }

    #[test]
    fn parameters_are_read_back_decoded() {
        let params = RouteParams::parse(
            "/v1/groups/{group}/members/{user}",
            "/v1/groups/7/members/a%2Fb",
            Some("limit=5&prefix=al+ice&prefix=&x"),
        )
        .unwrap();
        assert_eq!(params.segment::<i64>("group").unwrap(), 7);
        assert_eq!(params.segment::<String>("user").unwrap(), "a/b");
        assert_eq!(params.query::<u32>("limit").unwrap(), Some(5));
        assert_eq!(
            params.query::<String>("prefix").unwrap(),
            Some("al ice".into())
        );
        assert_eq!(params.query::<String>("cursor").unwrap(), None);
    }

    #[test]
    fn a_value_that_does_not_parse_names_the_parameter() {
        let params =
            RouteParams::parse("/v1/groups/{group}", "/v1/groups/abc", Some("limit=x")).unwrap();
        let err = params.segment::<i64>("group").unwrap_err();
        assert!(matches!(
            err,
            RequestError::InvalidSegment { name: "group", .. }
        ));
        assert!(
            err.to_string().starts_with("`abc` is not a valid group"),
            "{err}"
        );
        let err = params.query::<u32>("limit").unwrap_err();
        assert!(matches!(
            err,
            RequestError::InvalidQuery { name: "limit", .. }
        ));
    }

    #[test]
    fn a_path_of_another_shape_is_refused() {
        for path in ["/v1/groups", "/v1/groups/1/extra", "/v1/users/1"] {
            assert!(
                matches!(
                    RouteParams::parse("/v1/groups/{group}", path, None),
                    Err(RequestError::WrongRoute { .. })
                ),
                "{path}"
            );
        }
    }
}
