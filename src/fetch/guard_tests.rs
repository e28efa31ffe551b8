//! The guard, class by class and notation by notation. No traffic: these are pure checks.

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn refused_as(addr: &str) -> AddressClass {
    let addr: IpAddr = addr.parse().unwrap();
    match AddressGuard::default().check(addr) {
        Err(Refusal::Address { class, .. }) => class,
        other => panic!("{addr} should be refused, got {other:?}"),
    }
}

#[test]
fn every_non_public_ipv4_class_is_refused() {
    use AddressClass::*;
    let cases = [
        ("0.0.0.0", Unspecified),
        ("0.1.2.3", Unspecified),
        ("127.0.0.1", Loopback),
        ("127.255.255.254", Loopback),
        ("10.0.0.1", Private),
        ("10.255.255.255", Private),
        ("172.16.0.1", Private),
        ("172.31.255.255", Private),
        ("192.168.1.1", Private),
        ("100.64.0.1", SharedCgnat),
        ("100.127.255.255", SharedCgnat),
        ("169.254.169.254", LinkLocal),
        ("169.254.0.1", LinkLocal),
        ("224.0.0.1", Multicast),
        ("239.255.255.250", Multicast),
        ("255.255.255.255", Broadcast),
        ("192.0.2.1", Documentation),
        ("198.51.100.7", Documentation),
        ("203.0.113.9", Documentation),
        ("198.18.0.1", Benchmarking),
        ("198.19.255.255", Benchmarking),
        ("192.0.0.170", Reserved),
        ("192.88.99.1", Reserved),
        ("240.0.0.1", Reserved),
        ("250.1.2.3", Reserved),
    ];
    for (addr, class) in cases {
        assert_eq!(refused_as(addr), class, "{addr}");
    }
}

#[test]
fn every_non_public_ipv6_class_is_refused() {
    use AddressClass::*;
    let cases = [
        ("::", Unspecified),
        ("::1", Loopback),
        ("::ffff:127.0.0.1", Ipv4InIpv6),
        ("::ffff:8.8.8.8", Ipv4InIpv6),
        ("::127.0.0.1", Ipv4InIpv6),
        ("::10.0.0.1", Ipv4InIpv6),
        ("64:ff9b::7f00:1", Nat64),
        ("64:ff9b::a9fe:a9fe", Nat64),
        ("64:ff9b::808:808", Nat64),
        ("64:ff9b:1::a00:1", Nat64),
        ("fd00::1", UniqueLocal),
        ("fc00::1", UniqueLocal),
        ("fdff:ffff::1", UniqueLocal),
        ("fec0::1", UniqueLocal),
        ("fe80::1", LinkLocal),
        ("febf::1", LinkLocal),
        ("ff02::1", Multicast),
        ("ff05::1:3", Multicast),
        ("2001:db8::1", Documentation),
        ("3fff::1", Documentation),
        ("2001:2::1", Benchmarking),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", Reserved),
        ("2001:10::1", Reserved),
        ("100::1", Reserved),
        ("4000::1", Reserved),
        ("2002:7f00:1::1", SixToFour),
        ("2002:a9fe:a9fe::1", SixToFour),
        ("2002:c0a8:101::1", SixToFour),
        ("2002:a00:1::", SixToFour),
    ];
    for (addr, class) in cases {
        assert_eq!(refused_as(addr), class, "{addr}");
    }
}

#[test]
fn public_addresses_pass() {
    let guard = AddressGuard::default();
    for addr in [
        "1.1.1.1",
        "8.8.8.8",
        "93.184.215.14",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "169.253.255.255",
        "192.0.1.1",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4007:80c::200e",
        "2001:4860:4860::8888",
        "2002:808:808::1",
    ] {
        let addr: IpAddr = addr.parse().unwrap();
        assert_eq!(guard.check(addr), Ok(addr), "{addr}");
    }
}

#[test]
fn loopback_in_any_notation_is_an_address_the_guard_refuses() {
    let guard = AddressGuard::default();
    for (written, meant) in [
        ("http://127.0.0.1/", "127.0.0.1"),
        ("http://127.1/", "127.0.0.1"),
        ("http://2130706433/", "127.0.0.1"),
        ("http://0x7f000001/", "127.0.0.1"),
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://0177.0.0.1/", "127.0.0.1"),
        ("http://0177.1/", "127.0.0.1"),
        ("http://127.000.000.001/", "127.0.0.1"),
        ("http://0/", "0.0.0.0"),
        ("http://0.0.0.0/", "0.0.0.0"),
        ("https://[::1]/", "::1"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
        ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1"),
        ("http://[0:0:0:0:0:0:0:1]:8080/", "::1"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "169.254.169.254",
        ),
        ("http://0xa9fea9fe/", "169.254.169.254"),
        ("http://%31%32%37.0.0.1/", "127.0.0.1"),
        ("http://127。0。0。1/", "127.0.0.1"),
    ] {
        let meant: IpAddr = meant.parse().unwrap();
        match guard.check_url(&url(written)) {
            Err(Refusal::Address { addr, .. }) => assert_eq!(addr, meant, "{written}"),
            other => panic!("{written} should be refused as {meant}, got {other:?}"),
        }
    }
}

#[test]
fn names_are_left_for_resolution_and_other_schemes_and_credentials_refused() {
    let guard = AddressGuard::default();
    assert_eq!(
        guard.check_url(&url("https://Example.ORG/page")),
        Ok(Destination::Name("example.org".into()))
    );
    assert_eq!(
        guard.check_url(&url("http://localhost:6379/")),
        Ok(Destination::Name("localhost".into())),
        "a name is judged by what it resolves to"
    );
    for (link, scheme) in [
        ("file:///etc/passwd", "file"),
        ("gopher://127.0.0.1:6379/_INFO", "gopher"),
        ("ftp://example.org/x", "ftp"),
        ("data:text/html,hi", "data"),
        ("javascript:alert(1)", "javascript"),
    ] {
        assert_eq!(
            guard.check_url(&url(link)),
            Err(Refusal::Scheme(scheme.into())),
            "{link}"
        );
    }
    for link in [
        "http://user:pass@example.org/",
        "http://user@example.org/",
        "http://:pass@example.org/",
    ] {
        assert_eq!(
            guard.check_url(&url(link)),
            Err(Refusal::Credentials),
            "{link}"
        );
    }
}

#[test]
fn a_resolution_is_refused_if_any_address_is() {
    let guard = AddressGuard::default();
    let public: IpAddr = "93.184.215.14".parse().unwrap();
    let private: IpAddr = "10.0.0.5".parse().unwrap();
    assert_eq!(guard.check_all(&[public]), Ok(()));
    assert!(matches!(
        guard.check_all(&[public, private]),
        Err(Refusal::Address { addr, class: AddressClass::Private }) if addr == private
    ));
    assert!(guard.check_all(&[private, public]).is_err());
    assert_eq!(guard.check_all(&[]), Err(Refusal::NoHost));
}

#[test]
fn allowed_networks_admit_what_they_list_and_nothing_else() {
    let guard = AddressGuard::new(vec![
        "127.0.0.2/32".parse().unwrap(),
        "10.20.0.0/16".parse().unwrap(),
    ]);
    for ok in ["127.0.0.2", "10.20.3.4", "8.8.8.8"] {
        assert!(guard.check(ok.parse().unwrap()).is_ok(), "{ok}");
    }
    for refused in [
        "127.0.0.1",
        "10.21.0.1",
        "::1",
        "::ffff:127.0.0.2",
        "169.254.169.254",
    ] {
        assert!(guard.check(refused.parse().unwrap()).is_err(), "{refused}");
    }
}
