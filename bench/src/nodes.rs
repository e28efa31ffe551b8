//! Several daemons serving one chat (the scaled-out profile): which node each client connects to.
//!
//! Sockets are dealt to the nodes in turn, so a run loads every node alike. For the latency
//! scenario the two ends of a conversation can be put on different nodes (`--cross-node`), so
//! every delivery has to cross the bus between them; by default both ends share a node, as on a
//! single daemon.

use anyhow::{Result, bail};

/// The base URLs of the nodes, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct Nodes {
    urls: Vec<String>,
}

impl Nodes {
    /// Checks the `--url` values: at least one, each http(s), none given twice (two entries for
    /// one node would make a "cross-node" pair that never crosses anything).
    pub fn parse(raw: &[String]) -> Result<Nodes> {
        let mut urls: Vec<String> = Vec::new();
        for url in raw {
            let url = url.trim().trim_end_matches('/');
            if url.is_empty() {
                bail!("--url: an empty URL (check for a stray comma)");
            }
            if !url.starts_with("http://") && !url.starts_with("https://") {
                bail!("--url {url}: expected http://HOST:PORT or https://HOST:PORT");
            }
            if urls.iter().any(|u| u == url) {
                bail!("--url {url} is given twice: each node once");
            }
            urls.push(url.to_owned());
        }
        if urls.is_empty() {
            bail!("--url: at least one node is needed");
        }
        Ok(Nodes { urls })
    }

    pub fn len(&self) -> usize {
        self.urls.len()
    }

    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// Where REST set-up goes (accounts, conversations): the database is shared, so any node
    /// would do.
    pub fn first(&self) -> &str {
        &self.urls[0]
    }

    /// The node of the `i`th client: dealt in turn.
    pub fn for_client(&self, i: usize) -> &str {
        &self.urls[i % self.urls.len()]
    }

    /// The nodes of the sender and of the receiver of conversation pair `i`.
    pub fn for_pair(&self, i: usize, placement: Placement) -> (&str, &str) {
        let (sender, receiver) = placement.pair(i, self.len());
        (&self.urls[sender], &self.urls[receiver])
    }
}

/// Where the two ends of a one-to-one conversation connect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// Both ends on one node (pairs dealt over the nodes in turn): no delivery crosses the bus.
    SameNode,
    /// The sender of pair `i` on node `i`, its receiver on the next node: every delivery crosses
    /// the bus.
    CrossNode,
}

impl Placement {
    /// `--cross-node` with the number of nodes given; it needs two.
    pub fn choose(cross_node: bool, nodes: usize) -> Result<Placement> {
        match (cross_node, nodes) {
            (false, _) => Ok(Placement::SameNode),
            (true, 0 | 1) => {
                bail!(
                    "--cross-node needs at least two nodes (repeat --url, or separate with commas)"
                )
            }
            (true, _) => Ok(Placement::CrossNode),
        }
    }

    /// Node indexes (sender, receiver) of pair `i` among `nodes`.
    pub fn pair(self, i: usize, nodes: usize) -> (usize, usize) {
        let sender = i % nodes;
        match self {
            Placement::SameNode => (sender, sender),
            Placement::CrossNode => (sender, (sender + 1) % nodes),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Placement::SameNode => "both ends of each pair on one node",
            Placement::CrossNode => "sender and receiver of each pair on different nodes",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &[&str]) -> Vec<String> {
        list.iter().map(|u| (*u).to_owned()).collect()
    }

    #[test]
    fn one_url_works_as_it_always_did() {
        let nodes = Nodes::parse(&urls(&["http://127.0.0.1:18090/"])).unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes.first(), "http://127.0.0.1:18090");
        assert_eq!(nodes.for_client(7), "http://127.0.0.1:18090");
        assert_eq!(
            nodes.for_pair(3, Placement::SameNode),
            ("http://127.0.0.1:18090", "http://127.0.0.1:18090")
        );
    }

    #[test]
    fn clients_are_dealt_to_the_nodes_in_turn() {
        let nodes = Nodes::parse(&urls(&["http://a:1", "http://b:2", "http://c:3"])).unwrap();
        let dealt: Vec<&str> = (0..6).map(|i| nodes.for_client(i)).collect();
        assert_eq!(
            dealt,
            [
                "http://a:1",
                "http://b:2",
                "http://c:3",
                "http://a:1",
                "http://b:2",
                "http://c:3"
            ]
        );
    }

    #[test]
    fn cross_node_pairs_never_share_a_node_and_load_every_node_alike() {
        for n in 2..5 {
            let mut sends = vec![0; n];
            let mut receives = vec![0; n];
            for i in 0..(n * 10) {
                let (s, r) = Placement::CrossNode.pair(i, n);
                assert_ne!(s, r, "pair {i} of {n} nodes");
                sends[s] += 1;
                receives[r] += 1;
            }
            assert_eq!(sends, vec![10; n]);
            assert_eq!(receives, vec![10; n]);
        }
        let nodes = Nodes::parse(&urls(&["http://a:1", "http://b:2"])).unwrap();
        assert_eq!(
            nodes.for_pair(1, Placement::CrossNode),
            ("http://b:2", "http://a:1")
        );
    }

    #[test]
    fn same_node_pairs_keep_both_ends_together() {
        for i in 0..10 {
            let (s, r) = Placement::SameNode.pair(i, 3);
            assert_eq!((s, r), (i % 3, i % 3));
        }
    }

    #[test]
    fn cross_node_needs_two_nodes() {
        assert!(Placement::choose(true, 1).is_err());
        assert_eq!(Placement::choose(true, 2).unwrap(), Placement::CrossNode);
        assert_eq!(Placement::choose(false, 1).unwrap(), Placement::SameNode);
    }

    #[test]
    fn bad_url_lists_are_refused_with_the_reason() {
        let err = |list: &[&str]| Nodes::parse(&urls(list)).unwrap_err().to_string();
        assert!(err(&[]).contains("at least one"));
        assert!(err(&["http://a:1", ""]).contains("empty"));
        assert!(err(&["a:1"]).contains("expected http://"));
        assert!(err(&["http://a:1", "http://a:1/"]).contains("twice"));
    }
}
