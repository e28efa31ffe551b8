//! The fetcher's guarding, with a stub resolver and a transport that records instead of
//! connecting: every address class the live tests cannot safely reach (they stay on loopback).

use std::collections::VecDeque;
use std::sync::Mutex;

use super::*;

/// Hands out prepared answers in order (the last one repeats) and counts the questions.
struct StubResolver {
    answers: Mutex<VecDeque<Vec<IpAddr>>>,
    calls: Mutex<Vec<String>>,
}

impl StubResolver {
    fn new(answers: &[&[&str]]) -> Arc<Self> {
        Arc::new(Self {
            answers: Mutex::new(
                answers
                    .iter()
                    .map(|a| a.iter().map(|ip| ip.parse().unwrap()).collect())
                    .collect(),
            ),
            calls: Mutex::new(Vec::new()),
        })
    }
}

#[async_trait]
impl Resolver for StubResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.calls.lock().unwrap().push(host.to_owned());
        let mut answers = self.answers.lock().unwrap();
        Ok(if answers.len() > 1 {
            answers.pop_front().unwrap()
        } else {
            answers.front().cloned().unwrap_or_default()
        })
    }
}

/// Records where each request would have gone; answers from a script (then with a small page).
#[derive(Default)]
struct RecordingTransport {
    connections: Mutex<Vec<(String, Vec<IpAddr>)>>,
    script: Mutex<VecDeque<(u16, Option<&'static str>)>>,
}

struct Static(Option<Bytes>);

#[async_trait]
impl Body for Static {
    async fn chunk(&mut self) -> Result<Option<Bytes>, FetchError> {
        Ok(self.0.take())
    }
}

#[async_trait]
impl Transport for RecordingTransport {
    async fn get(
        &self,
        url: &Url,
        addrs: &[IpAddr],
        _accept: &'static str,
    ) -> Result<Answer, FetchError> {
        self.connections
            .lock()
            .unwrap()
            .push((url.to_string(), addrs.to_vec()));
        let (status, location) = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, None));
        Ok(Answer {
            status,
            location: location.map(str::to_owned),
            content_type: Some("text/html; charset=utf-8".into()),
            content_length: None,
            body: Box::new(Static(Some(Bytes::from_static(b"<title>ok</title>")))),
        })
    }
}

fn fetcher(resolver: Arc<StubResolver>, transport: Arc<RecordingTransport>) -> Fetcher {
    Fetcher::new(
        AddressGuard::default(),
        resolver,
        transport,
        Duration::from_secs(5),
    )
}

async fn fetch(fetcher: &Fetcher, link: &str) -> Result<Fetched, FetchError> {
    fetcher
        .fetch(&Url::parse(link).unwrap(), Wanted::Html, 1024)
        .await
}

#[tokio::test]
async fn a_name_resolving_to_any_refused_class_is_never_connected_to() {
    for answer in [
        &["10.1.2.3"][..],
        &["172.20.0.1"],
        &["192.168.0.10"],
        &["100.100.100.100"],
        &["169.254.169.254"],
        &["127.0.0.1"],
        &["::1"],
        &["fd12:3456::1"],
        &["fe80::1"],
        &["224.0.0.251"],
        &["ff02::fb"],
        &["64:ff9b::a9fe:a9fe"],
        &["64:ff9b:1::a00:1"],
        &["::ffff:10.0.0.1"],
        &["2002:a9fe:a9fe::1"],
        &["0.0.0.0"],
        // One public and one private address: refused, whichever a connection would pick.
        &["93.184.215.14", "10.0.0.5"],
        &["2606:4700::1", "fd00::5"],
    ] {
        let transport = Arc::new(RecordingTransport::default());
        let resolver = StubResolver::new(&[answer]);
        let result = fetch(
            &fetcher(resolver, transport.clone()),
            "https://victim.example/",
        )
        .await;
        assert!(
            matches!(result, Err(FetchError::Blocked(_))),
            "{answer:?}: {result:?}"
        );
        assert!(
            transport.connections.lock().unwrap().is_empty(),
            "{answer:?} was connected to"
        );
    }
}

#[tokio::test]
async fn a_public_name_is_connected_to_exactly_the_checked_addresses() {
    let transport = Arc::new(RecordingTransport::default());
    let resolver =
        StubResolver::new(&[&["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]]);
    let fetched = fetch(
        &fetcher(resolver.clone(), transport.clone()),
        "https://example.org/x",
    )
    .await
    .unwrap();
    assert_eq!(&fetched.body[..], b"<title>ok</title>");
    let connections = transport.connections.lock().unwrap();
    assert_eq!(connections.len(), 1);
    assert_eq!(
        connections[0].1,
        [
            "93.184.215.14".parse::<IpAddr>().unwrap(),
            "2606:2800:21f:cb07:6820:80da:af6b:8b2c".parse().unwrap()
        ]
    );
    assert_eq!(*resolver.calls.lock().unwrap(), ["example.org"]);
}

#[tokio::test]
async fn rebinding_between_two_resolutions_gains_nothing() {
    // A rebinding name answers a public address first, then loopback. The first answer is the one
    // checked and connected to: nothing asks the resolver again for that hop.
    let transport = Arc::new(RecordingTransport::default());
    let resolver = StubResolver::new(&[&["93.184.215.14"], &["127.0.0.1"]]);
    let f = fetcher(resolver.clone(), transport.clone());
    fetch(&f, "http://rebind.example/").await.unwrap();
    assert_eq!(resolver.calls.lock().unwrap().len(), 1);
    assert_eq!(
        transport.connections.lock().unwrap()[0].1,
        ["93.184.215.14".parse::<IpAddr>().unwrap()]
    );

    // A redirect back to the same name is a new hop: resolved again, and checked again.
    let transport = Arc::new(RecordingTransport::default());
    transport
        .script
        .lock()
        .unwrap()
        .push_back((302, Some("/again")));
    let resolver = StubResolver::new(&[&["93.184.215.14"], &["127.0.0.1"]]);
    let result = fetch(
        &fetcher(resolver, transport.clone()),
        "http://rebind.example/",
    )
    .await;
    assert!(matches!(result, Err(FetchError::Blocked(_))), "{result:?}");
    assert_eq!(transport.connections.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_is_not_followed() {
    for target in [
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0x7f.1/",
        "file:///etc/passwd",
    ] {
        let transport = Arc::new(RecordingTransport::default());
        transport
            .script
            .lock()
            .unwrap()
            .push_back((301, Some(target)));
        let resolver = StubResolver::new(&[&["93.184.215.14"]]);
        let result = fetch(
            &fetcher(resolver, transport.clone()),
            "https://example.org/",
        )
        .await;
        assert!(
            matches!(
                result,
                Err(FetchError::Blocked(_) | FetchError::InvalidUrl(_))
            ),
            "{target}: {result:?}"
        );
        assert_eq!(transport.connections.lock().unwrap().len(), 1, "{target}");
    }
}

#[tokio::test]
async fn literal_addresses_are_checked_without_resolving() {
    let transport = Arc::new(RecordingTransport::default());
    let resolver = StubResolver::new(&[&["93.184.215.14"]]);
    let f = fetcher(resolver.clone(), transport.clone());
    for link in [
        "http://10.0.0.1/",
        "http://[fd00::1]/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
    ] {
        assert!(
            matches!(fetch(&f, link).await, Err(FetchError::Blocked(_))),
            "{link}"
        );
    }
    fetch(&f, "http://93.184.215.14/").await.unwrap();
    assert!(resolver.calls.lock().unwrap().is_empty());
    assert_eq!(transport.connections.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn redirects_stop_after_three() {
    for (redirects, ok) in [(3, true), (4, false)] {
        let transport = Arc::new(RecordingTransport::default());
        for _ in 0..redirects {
            transport
                .script
                .lock()
                .unwrap()
                .push_back((302, Some("/next")));
        }
        let resolver = StubResolver::new(&[&["93.184.215.14"]]);
        let result = fetch(
            &fetcher(resolver, transport.clone()),
            "https://example.org/",
        )
        .await;
        assert_eq!(result.is_ok(), ok, "{redirects} redirects: {result:?}");
        assert_eq!(
            transport.connections.lock().unwrap().len(),
            4.min(redirects + 1)
        );
    }
}
