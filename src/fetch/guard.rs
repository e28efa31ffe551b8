//! The address guard: which URLs and addresses the preview fetcher may reach.
//!
//! Pure: it decides from a parsed URL and the addresses a resolver gave, and never resolves or
//! connects itself, so every address class is tested here without any traffic. The fetcher
//! connects only to addresses this guard accepted (see `fetch::transport`).
//!
//! Addresses are refused by class (RFC 6890 and the IANA special-purpose registries), not by a
//! list of "bad" hosts: only globally routed unicast space is fetched. An IPv6 address carrying
//! an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is judged by what it would reach, and
//! the embedding kinds a public service never needs are refused outright.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use omegachat_contract::config::IpNet;
use url::{Host, Url};

/// Why an address may not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// 0.0.0.0/8, `::`: "this host" — connecting to it reaches the machine itself.
    Unspecified,
    /// 127.0.0.0/8, `::1`.
    Loopback,
    /// RFC 1918: 10/8, 172.16/12, 192.168/16.
    Private,
    /// 100.64.0.0/10, carrier-grade NAT: the provider's side of the network.
    SharedCgnat,
    /// 169.254.0.0/16 (cloud metadata at 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 224.0.0.0/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 198.18.0.0/15 and 2001:2::/48: benchmarking networks.
    Benchmarking,
    /// 192.0.0.0/24, 192.88.99.0/24, 240.0.0.0/4, and IPv6 outside 2000::/3 or in 2001::/23:
    /// protocol assignments and space that is not (or no longer) ordinary unicast.
    Reserved,
    /// fc00::/7 (in practice fd00::/8): IPv6's private networks; fec0::/10, their predecessor.
    UniqueLocal,
    /// ::ffff:0:0/96 and ::/96: an IPv4 address written as IPv6, which some stacks reach as IPv4.
    Ipv4InIpv6,
    /// 64:ff9b::/96 and 64:ff9b:1::/48: a NAT64 gateway would forward to any IPv4 address,
    /// private ones included.
    Nat64,
    /// 2002::/16 whose embedded IPv4 address is itself refused.
    SixToFour,
}

impl fmt::Display for AddressClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressClass::Unspecified => "an unspecified address",
            AddressClass::Loopback => "a loopback address",
            AddressClass::Private => "a private address",
            AddressClass::SharedCgnat => "a carrier-grade NAT address",
            AddressClass::LinkLocal => "a link-local address",
            AddressClass::Multicast => "a multicast address",
            AddressClass::Broadcast => "the broadcast address",
            AddressClass::Documentation => "a documentation address",
            AddressClass::Benchmarking => "a benchmarking address",
            AddressClass::Reserved => "a reserved address",
            AddressClass::UniqueLocal => "a unique local IPv6 address",
            AddressClass::Ipv4InIpv6 => "an IPv4 address written as IPv6",
            AddressClass::Nat64 => "a NAT64 address",
            AddressClass::SixToFour => "a 6to4 address embedding a refused IPv4 address",
        })
    }
}

/// Why a URL may not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not `http` or `https`.
    Scheme(String),
    /// The URL carries a user name or password: they would be sent to the site.
    Credentials,
    /// No host to connect to.
    NoHost,
    /// The host is (or resolves to) an address of a refused class.
    Address { addr: IpAddr, class: AddressClass },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Scheme(s) => write!(f, "only http and https links are previewed, not {s}:"),
            Refusal::Credentials => {
                f.write_str("links carrying a user name or password are not previewed")
            }
            Refusal::NoHost => f.write_str("the link names no host"),
            // The address is not echoed: a user probing the network learns nothing but the class.
            Refusal::Address { class, .. } => {
                write!(f, "the link's host is {class}, which is never fetched")
            }
        }
    }
}

/// Where a checked URL leads before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The URL names an address (in whatever notation); it has been checked.
    Address(IpAddr),
    /// The URL names a host to resolve; check every address it resolves to with
    /// [`AddressGuard::check_all`].
    Name(String),
}

/// The rules, with the networks configuration admits despite their class.
#[derive(Debug, Clone, Default)]
pub struct AddressGuard {
    allow: Vec<IpNet>,
}

impl AddressGuard {
    /// A guard admitting public addresses and those in `allow` (`preview.allow_networks`, already
    /// validated to hold no wildcard).
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    /// Checks scheme, credentials and, for a URL naming an address, the address.
    pub fn check_url(&self, url: &Url) -> Result<Destination, Refusal> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(Refusal::Scheme(other.to_owned())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refusal::Credentials);
        }
        // The WHATWG parser has already turned `127.1`, `0x7f.1`, `0177.0.0.1` and `2130706433`
        // into `Host::Ipv4`, exactly as a browser or the connector would read them.
        match url.host() {
            None => Err(Refusal::NoHost),
            Some(Host::Ipv4(v4)) => self.check(IpAddr::V4(v4)).map(Destination::Address),
            Some(Host::Ipv6(v6)) => self.check(IpAddr::V6(v6)).map(Destination::Address),
            Some(Host::Domain("")) => Err(Refusal::NoHost),
            Some(Host::Domain(name)) => Ok(Destination::Name(name.to_owned())),
        }
    }

    /// Accepts `addr` if it is public or in an allowed network.
    pub fn check(&self, addr: IpAddr) -> Result<IpAddr, Refusal> {
        if self.allow.iter().any(|net| net.contains(&addr)) {
            return Ok(addr);
        }
        match classify(addr) {
            None => Ok(addr),
            Some(class) => Err(Refusal::Address { addr, class }),
        }
    }

    /// Accepts a resolution only if every address is acceptable: with one good and one bad
    /// address, which one a connection would use is not ours to choose.
    pub fn check_all(&self, addrs: &[IpAddr]) -> Result<(), Refusal> {
        if addrs.is_empty() {
            return Err(Refusal::NoHost);
        }
        addrs
            .iter()
            .try_for_each(|addr| self.check(*addr).map(drop))
    }
}

/// The class of a non-public address; `None` for a globally routed unicast one.
pub fn classify(addr: IpAddr) -> Option<AddressClass> {
    match addr {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(addr: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(addr) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(addr: Ipv6Addr, net: [u16; 8], len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(addr) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// IPv4 special-purpose blocks, most specific first where they nest.
const V4_CLASSES: &[([u8; 4], u32, AddressClass)] = &[
    ([0, 0, 0, 0], 8, AddressClass::Unspecified),
    ([10, 0, 0, 0], 8, AddressClass::Private),
    ([100, 64, 0, 0], 10, AddressClass::SharedCgnat),
    ([127, 0, 0, 0], 8, AddressClass::Loopback),
    ([169, 254, 0, 0], 16, AddressClass::LinkLocal),
    ([172, 16, 0, 0], 12, AddressClass::Private),
    ([192, 0, 0, 0], 24, AddressClass::Reserved),
    ([192, 0, 2, 0], 24, AddressClass::Documentation),
    ([192, 88, 99, 0], 24, AddressClass::Reserved),
    ([192, 168, 0, 0], 16, AddressClass::Private),
    ([198, 18, 0, 0], 15, AddressClass::Benchmarking),
    ([198, 51, 100, 0], 24, AddressClass::Documentation),
    ([203, 0, 113, 0], 24, AddressClass::Documentation),
    ([224, 0, 0, 0], 4, AddressClass::Multicast),
    ([255, 255, 255, 255], 32, AddressClass::Broadcast),
    ([240, 0, 0, 0], 4, AddressClass::Reserved),
];

fn classify_v4(addr: Ipv4Addr) -> Option<AddressClass> {
    V4_CLASSES
        .iter()
        .find(|(net, len, _)| in_v4(addr, *net, *len))
        .map(|(_, _, class)| *class)
}

/// IPv6 blocks checked before the "only 2000::/3" rule, most specific first.
const V6_CLASSES: &[([u16; 8], u32, AddressClass)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128, AddressClass::Unspecified),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128, AddressClass::Loopback),
    ([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, AddressClass::Ipv4InIpv6),
    ([0, 0, 0, 0, 0, 0, 0, 0], 96, AddressClass::Ipv4InIpv6),
    ([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, AddressClass::Nat64),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, AddressClass::Nat64),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, AddressClass::UniqueLocal),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, AddressClass::LinkLocal),
    ([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, AddressClass::UniqueLocal),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, AddressClass::Multicast),
    (
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        AddressClass::Documentation,
    ),
    (
        [0x3fff, 0, 0, 0, 0, 0, 0, 0],
        20,
        AddressClass::Documentation,
    ),
    (
        [0x2001, 2, 0, 0, 0, 0, 0, 0],
        48,
        AddressClass::Benchmarking,
    ),
    // Teredo (2001::/32), ORCHID and the other IETF protocol assignments.
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, AddressClass::Reserved),
];

fn classify_v6(addr: Ipv6Addr) -> Option<AddressClass> {
    if let Some((_, _, class)) = V6_CLASSES
        .iter()
        .find(|(net, len, _)| in_v6(addr, *net, *len))
    {
        return Some(*class);
    }
    // Global unicast is 2000::/3; everything else is unassigned or special.
    if !in_v6(addr, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return Some(AddressClass::Reserved);
    }
    if in_v6(addr, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let s = addr.segments();
        let embedded = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return classify_v4(embedded).map(|_| AddressClass::SixToFour);
    }
    None
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
