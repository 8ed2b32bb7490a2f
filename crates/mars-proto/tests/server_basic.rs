//! Direct tests of the MARS server engine: registration, join, resolution, MCS, hole punching.

use bytes::Bytes;
use mars_proto::mars::server::{MarsServer, ServerConfig, ServerEvent};
use mars_proto::{AtmUser, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, Request};
use mars_wire::{AtmAddr, AtmAddress, Csn, ProtoAddr, Protocol};

fn nsap(n: u8) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[19] = n;
    AtmAddress::new(AtmAddr::nsap(o))
}

fn g(v: u32) -> ProtoAddr {
    ProtoAddr::v4_u32(0xE000_0000 + v)
}

struct H {
    s: MarsServer,
    now: Instant,
}

impl H {
    fn new() -> Self {
        let now = Instant::ZERO;
        H {
            s: MarsServer::new(ServerConfig::new(nsap(200)), now),
            now,
        }
    }
    fn ev(&mut self, e: VcEvent) -> Vec<VcRequest> {
        self.s.handle_vc_event(self.now, e);
        std::iter::from_fn(|| self.s.poll_request()).collect()
    }
    fn call(&mut self, client: u8) -> VcId {
        let vc = VcId::incoming(u64::from(client));
        let out = self.ev(VcEvent::IncomingCall {
            vc,
            from: nsap(client),
            multipoint: false,
        });
        assert_eq!(out, vec![VcRequest::Accept { vc }]);
        vc
    }
    fn send(&mut self, vc: VcId, body: MarsBody) -> Vec<VcRequest> {
        let sdu = MarsMessage::new(Protocol::IPV4, body).encode_sdu().unwrap();
        self.ev(VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        })
    }
}

fn sent(reqs: &[VcRequest]) -> Vec<(VcId, MarsMessage)> {
    reqs.iter()
        .filter_map(|r| match r {
            VcRequest::Send { vc, sdu } => Some((*vc, MarsMessage::decode_sdu(sdu).unwrap())),
            _ => None,
        })
        .collect()
}

fn register(h: &mut H, client: u8) -> (VcId, u16) {
    let vc = h.call(client);
    let j = Join::new(
        nsap(client),
        ProtoAddr::NULL,
        Flags(0).with_register(true),
        vec![],
    );
    let out = h.send(vc, MarsBody::Join(j));
    let party = out
        .iter()
        .find_map(|r| match r {
            VcRequest::AddParty { party, .. } => Some(*party),
            _ => None,
        })
        .expect("add party");
    let ccvc = out
        .iter()
        .find_map(|r| match r {
            VcRequest::AddParty { vc, .. } => Some(*vc),
            _ => None,
        })
        .unwrap();
    let out = h.ev(VcEvent::PartyAdded { vc: ccvc, party });
    let s = sent(&out);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, vc, "registration answered privately");
    let MarsBody::Join(j) = &s[0].1.body else {
        panic!()
    };
    assert!(j.flags.copy() && j.flags.register());
    assert_ne!(j.cmi, 0);
    (vc, j.cmi)
}

#[test]
fn register_join_request() {
    let mut h = H::new();
    let (a, cmi_a) = register(&mut h, 1);
    let (b, cmi_b) = register(&mut h, 2);
    assert_ne!(cmi_a, cmi_b);
    let j = Join::new(
        nsap(1),
        ProtoAddr::NULL,
        Flags(0).with_layer3grp(true),
        vec![GroupPair::single(g(1))],
    );
    let out = sent(&h.send(a, MarsBody::Join(j.clone())));
    assert_eq!(out.len(), 1);
    assert_ne!(out[0].0, a, "a new join goes out on ClusterControlVC");
    let ccvc = out[0].0;
    let MarsBody::Join(cj) = &out[0].1.body else {
        panic!()
    };
    assert!(cj.flags.copy());
    let first_csn = cj.msn;
    // Duplicate: private, same CSN + 1 (CSN increments after each CCVC transmission).
    let out = sent(&h.send(a, MarsBody::Join(j)));
    assert_eq!(out[0].0, a);
    assert_eq!(out[0].1.body.msn(), Some(Csn(first_csn.0 + 1)));
    // Request from b: one MULTI listing a.
    let out = sent(&h.send(
        b,
        MarsBody::Request(Request::new(nsap(2), ProtoAddr::NULL, g(1))),
    ));
    let MarsBody::Multi(m) = &out[0].1.body else {
        panic!("{out:?}")
    };
    assert_eq!(m.targets, vec![nsap(1)]);
    assert!(m.seqxy.last());
    // Request for an empty group: NAK.
    let out = sent(&h.send(
        b,
        MarsBody::Request(Request::new(nsap(2), ProtoAddr::NULL, g(9))),
    ));
    assert!(matches!(out[0].1.body, MarsBody::Nak(_)));
    let _ = ccvc;
    assert!(h.s.poll_event().is_some());
}

#[test]
fn unregistered_join_is_ignored() {
    let mut h = H::new();
    let vc = h.call(7);
    let j = Join::new(
        nsap(7),
        ProtoAddr::NULL,
        Flags(0),
        vec![GroupPair::single(g(1))],
    );
    assert!(sent(&h.send(vc, MarsBody::Join(j))).is_empty());
    let mut saw = false;
    while let Some(e) = h.s.poll_event() {
        saw |= matches!(e, ServerEvent::Discarded { .. });
    }
    assert!(saw);
    let _ = PartyId(0);
}
