//! Who the client is behind a load balancer: the TCP peer, or the address a trusted proxy put in
//! `X-Forwarded-For` (`server.trusted_proxies`).
//!
//! The header is a list each proxy appends its own peer to, so only its right end is written by
//! proxies we trust; anything further left may have been sent by the client itself. Hence: trust
//! the header only when the peer is a listed proxy, read it from the right, step over entries that
//! are themselves listed proxies (a chain of them), and take the first one that is not. An entry
//! that is not an address means the chain cannot be read: the peer is used, as if there were no
//! header, rather than guessing.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use omegachat_contract::config::IpNet;

use super::error::ApiError;

const FORWARDED_FOR: &str = "x-forwarded-for";

/// The networks of `server.trusted_proxies` (empty: no proxy is trusted).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Trusts proxies in `networks`.
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks.into())
    }

    fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client_of(&self, peer: SocketAddr, headers: &HeaderMap) -> ClientAddr {
        // A listener on [::] sees IPv4 clients as ::ffff:a.b.c.d; the lists are written in IPv4.
        let peer = peer.ip().to_canonical();
        if !self.contains(peer) {
            return ClientAddr(peer);
        }
        // Several headers are one list, in order (RFC 9110 §5.3).
        let mut entries = Vec::new();
        for value in headers.get_all(FORWARDED_FOR) {
            match value.to_str() {
                Ok(text) => entries.extend(text.split(',').map(parse_entry)),
                Err(_) => entries.push(None),
            }
        }
        let mut leftmost = None;
        for entry in entries.into_iter().rev() {
            let Some(address) = entry else {
                return ClientAddr(peer);
            };
            if !self.contains(address) {
                return ClientAddr(address);
            }
            leftmost = Some(address);
        }
        // No header, or only proxies in it: the request began inside the trusted network, at
        // its leftmost hop.
        ClientAddr(leftmost.unwrap_or(peer))
    }
}

/// One `X-Forwarded-For` entry: an address, as HAProxy and nginx write it. (Ports and the
/// `Forwarded` header's quoted forms are not written by the proxies the docs show.)
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .trim()
        .parse::<IpAddr>()
        .ok()
        .map(|a| a.to_canonical())
}

/// The client's address, as the edges see it: what login throttling counts and logs name.
/// Found once per request by the listener (`crate::server`) and put in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .ok_or_else(|| {
                // Only a router served by something other than `crate::server` lacks it.
                tracing::error!("a request reached a handler without its client address");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal server error",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    fn client(trusted: &TrustedProxies, peer: &str, forwarded_for: &[&str]) -> String {
        let mut headers = HeaderMap::new();
        for value in forwarded_for {
            headers.append(FORWARDED_FOR, value.parse().unwrap());
        }
        let peer = SocketAddr::new(peer.parse().unwrap(), 40_000);
        trusted.client_of(peer, &headers).to_string()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let none = TrustedProxies::default();
        assert_eq!(
            client(&none, "203.0.113.9", &["198.51.100.1"]),
            "203.0.113.9"
        );
    }

    #[test]
    fn a_peer_that_is_not_listed_cannot_name_the_client() {
        let lb = proxies(&["10.0.0.5/32"]);
        assert_eq!(client(&lb, "203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
    }

    #[test]
    fn a_listed_proxy_names_the_client() {
        let lb = proxies(&["10.0.0.5/32"]);
        assert_eq!(client(&lb, "10.0.0.5", &["198.51.100.1"]), "198.51.100.1");
        assert_eq!(
            client(&lb, "10.0.0.5", &[]),
            "10.0.0.5",
            "no header: the peer"
        );
    }

    #[test]
    fn what_the_client_wrote_left_of_the_proxy_is_not_believed() {
        let lb = proxies(&["10.0.0.5/32"]);
        // The client sent "X-Forwarded-For: 1.2.3.4"; HAProxy appended its real address.
        assert_eq!(
            client(&lb, "10.0.0.5", &["1.2.3.4, 198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(
            client(&lb, "10.0.0.5", &["1.2.3.4", "198.51.100.1"]),
            "198.51.100.1",
            "several headers are one list"
        );
    }

    #[test]
    fn a_chain_of_listed_proxies_is_stepped_over() {
        let chain = proxies(&["10.0.0.0/24", "fd00::/64"]);
        assert_eq!(
            client(
                &chain,
                "10.0.0.5",
                &["1.2.3.4, 198.51.100.1, fd00::7, 10.0.0.9"]
            ),
            "198.51.100.1"
        );
        assert_eq!(
            client(&chain, "10.0.0.5", &["10.0.0.8, 10.0.0.9"]),
            "10.0.0.8",
            "only proxies: the leftmost began it"
        );
    }

    #[test]
    fn a_malformed_header_falls_back_to_the_peer() {
        let lb = proxies(&["10.0.0.5/32"]);
        for bad in [
            "unknown",
            "198.51.100.1, ",
            "198.51.100.1:4000",
            "1.2.3.4, not-an-ip",
        ] {
            assert_eq!(client(&lb, "10.0.0.5", &[bad]), "10.0.0.5", "{bad:?}");
        }
    }

    #[test]
    fn ipv4_mapped_peers_and_entries_match_ipv4_lists() {
        let lb = proxies(&["10.0.0.5/32"]);
        assert_eq!(
            client(&lb, "::ffff:10.0.0.5", &["::ffff:198.51.100.1"]),
            "198.51.100.1"
        );
        assert_eq!(client(&lb, "::ffff:203.0.113.9", &[]), "203.0.113.9");
    }
}
