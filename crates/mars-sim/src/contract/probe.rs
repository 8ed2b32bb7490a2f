//! Small helpers the contract cases share: expecting events, expecting silence, setting up
//! calls.

use bytes::Bytes;
use mars_proto::{PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;

use super::{Bounds, ContractNet};
use crate::test_address;

/// A network under test, with its bounds.
pub(crate) struct Probe<'n, N: ContractNet> {
    pub(crate) net: &'n mut N,
    pub(crate) b: Bounds,
}

/// An endpoint under test and its address.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node<E> {
    pub(crate) ep: E,
    pub(crate) addr: AtmAddress,
}

/// The payload of test SDU number `i`.
pub(crate) fn sdu(i: u32) -> Bytes {
    Bytes::from(format!("contract sdu {i:06}"))
}

/// The number of a test SDU, if it is one.
pub(crate) fn sdu_number(b: &[u8]) -> Option<u32> {
    std::str::from_utf8(b)
        .ok()?
        .strip_prefix("contract sdu ")?
        .parse()
        .ok()
}

impl<'n, N: ContractNet> Probe<'n, N> {
    pub(crate) fn new(net: &'n mut N, b: &Bounds) -> Self {
        Probe { net, b: *b }
    }

    /// Add endpoint number `n` with [`test_address`]`(n)`.
    pub(crate) fn node(&mut self, n: u64) -> Node<N::Ep> {
        let addr = test_address(n);
        Node {
            ep: self.net.add_endpoint(addr),
            addr,
        }
    }

    pub(crate) fn req(&mut self, at: Node<N::Ep>, req: VcRequest) {
        self.net.request(at.ep, req);
    }

    /// The next event at `at`, which must come within [`Bounds::event`].
    pub(crate) fn expect(&mut self, at: Node<N::Ep>, what: &str) -> VcEvent {
        self.expect_within(at, self.b.event, what)
    }

    pub(crate) fn expect_within(
        &mut self,
        at: Node<N::Ep>,
        within: std::time::Duration,
        what: &str,
    ) -> VcEvent {
        match self.net.next_event(at.ep, within) {
            Some(ev) => ev,
            None => panic!(
                "{:?}: expected {what} within {within:?}, got nothing",
                at.ep
            ),
        }
    }

    /// Exactly `want` must be the next event at `at`.
    pub(crate) fn expect_eq(&mut self, at: Node<N::Ep>, want: VcEvent) {
        let got = self.expect(at, &format!("{want:?}"));
        assert_eq!(got, want, "{:?}: wrong event", at.ep);
    }

    /// Nothing may happen at `at` for [`Bounds::quiet`].
    pub(crate) fn quiet(&mut self, at: Node<N::Ep>, why: &str) {
        if let Some(ev) = self.net.next_event(at.ep, self.b.quiet) {
            panic!("{:?}: expected no event ({why}), got {ev:?}", at.ep);
        }
    }

    /// The next event at `at` must be an incoming call from `from`; returns its id.
    pub(crate) fn expect_incoming(
        &mut self,
        at: Node<N::Ep>,
        from: Node<N::Ep>,
        multipoint: bool,
    ) -> VcId {
        match self.expect(at, "IncomingCall") {
            VcEvent::IncomingCall {
                vc,
                from: f,
                multipoint: m,
            } => {
                assert_eq!(f, from.addr, "IncomingCall names the calling party");
                assert_eq!(m, multipoint, "IncomingCall says whether it is multipoint");
                assert!(vc.is_incoming(), "the network chooses incoming ids: {vc}");
                vc
            }
            other => panic!("{:?}: expected IncomingCall, got {other:?}", at.ep),
        }
    }

    /// Set up a point-to-point call from `a` (naming it `vc`) to `b`; returns `b`'s id.
    pub(crate) fn call(&mut self, a: Node<N::Ep>, vc: VcId, b: Node<N::Ep>) -> VcId {
        self.req(a, VcRequest::Connect { vc, to: b.addr });
        let bvc = self.expect_incoming(b, a, false);
        self.req(b, VcRequest::Accept { vc: bvc });
        self.expect_eq(a, VcEvent::Connected { vc });
        bvc
    }

    /// Open multipoint VC `vc` at `root` and add each leaf as party 1, 2, …; returns the
    /// leaves' ids for it.
    pub(crate) fn tree(
        &mut self,
        root: Node<N::Ep>,
        vc: VcId,
        leaves: &[Node<N::Ep>],
    ) -> Vec<VcId> {
        self.req(root, VcRequest::OpenMultipoint { vc });
        let mut ids = Vec::new();
        for (i, &leaf) in leaves.iter().enumerate() {
            let party = PartyId(i as u32 + 1);
            self.add_party(root, vc, party, leaf);
            ids.push(self.accept_party(root, vc, party, leaf));
        }
        ids
    }

    pub(crate) fn add_party(
        &mut self,
        root: Node<N::Ep>,
        vc: VcId,
        party: PartyId,
        leaf: Node<N::Ep>,
    ) {
        self.req(
            root,
            VcRequest::AddParty {
                vc,
                party,
                to: leaf.addr,
            },
        );
    }

    /// The leaf accepts the pending add of `party`, and the root hears `PartyAdded`.
    pub(crate) fn accept_party(
        &mut self,
        root: Node<N::Ep>,
        vc: VcId,
        party: PartyId,
        leaf: Node<N::Ep>,
    ) -> VcId {
        let lvc = self.expect_incoming(leaf, root, true);
        self.req(leaf, VcRequest::Accept { vc: lvc });
        self.expect_eq(root, VcEvent::PartyAdded { vc, party });
        lvc
    }

    pub(crate) fn send(&mut self, at: Node<N::Ep>, vc: VcId, i: u32) {
        self.req(at, VcRequest::Send { vc, sdu: sdu(i) });
    }

    /// The next event at `at` must be test SDU `i` on `vc`.
    pub(crate) fn expect_sdu(&mut self, at: Node<N::Ep>, vc: VcId, i: u32) {
        self.expect_eq(at, VcEvent::Received { vc, sdu: sdu(i) });
    }
}
