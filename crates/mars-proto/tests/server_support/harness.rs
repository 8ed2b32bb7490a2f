//! An in-process network for one MARS server engine: calls are accepted, leaves are added at
//! once, and what the engine sends is (optionally) decoded. Used by the property, scale and
//! benchmark binaries.
#![allow(dead_code)]

use std::collections::HashSet;

use bytes::Bytes;
use mars_proto::mars::server::{MarsServer, ServerConfig};
use mars_proto::{AtmUser, Instant, VcEvent, VcId, VcRequest};
use mars_wire::mars::{Flags, GroupPair, Join, MarsBody, MarsMessage, Request};
use mars_wire::{AtmAddr, AtmAddress, ProtoAddr, Protocol};

/// An NSAP address numbered `n` (distinct for every `n < 2^32`).
pub fn nsap(n: u32) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[15..19].copy_from_slice(&n.to_be_bytes());
    AtmAddress::new(AtmAddr::nsap(o))
}

/// The IPv4 group 224.0.0.0 + `v`.
pub fn g4(v: u32) -> ProtoAddr {
    ProtoAddr::v4_u32(0xE000_0000u32.wrapping_add(v))
}

/// The IPv6 group ff0e:: + `v`.
pub fn g6(v: u32) -> ProtoAddr {
    let mut o = [0u8; 16];
    o[0] = 0xff;
    o[1] = 0x0e;
    o[12..16].copy_from_slice(&v.to_be_bytes());
    ProtoAddr::from_slice(&o).unwrap_or_default()
}

/// The engine and its surroundings.
pub struct Harness {
    pub s: MarsServer,
    pub now: Instant,
    /// Decode and keep what the engine sends (off for scale runs).
    pub capture: bool,
    called: HashSet<u32>,
    /// Every SDU sent since the last [`Harness::take`]: (VC, message).
    pub sent: Vec<(VcId, MarsMessage)>,
    /// SDUs sent, all time.
    pub sdus: u64,
}

impl Harness {
    pub fn new(cfg: ServerConfig) -> Self {
        Harness {
            s: MarsServer::new(cfg, Instant::ZERO),
            now: Instant::ZERO,
            capture: true,
            called: HashSet::new(),
            sent: Vec::new(),
            sdus: 0,
        }
    }

    /// A MARS at `nsap(0)` serving `protocols`.
    pub fn with_protocols(protocols: Vec<Protocol>) -> Self {
        let mut cfg = ServerConfig::new(nsap(0));
        cfg.protocols = protocols;
        cfg.max_vcs = usize::MAX;
        Harness::new(cfg)
    }

    /// The VC node `n` talks to the MARS on (called on first use).
    pub fn vc(&mut self, n: u32) -> VcId {
        let vc = VcId::incoming(u64::from(n));
        if self.called.insert(n) {
            self.event(VcEvent::IncomingCall {
                vc,
                from: nsap(n),
                multipoint: false,
            });
        }
        vc
    }

    /// Deliver an event and run the network until the engine is quiet.
    pub fn event(&mut self, e: VcEvent) {
        self.s.handle_vc_event(self.now, e);
        self.pump();
    }

    fn pump(&mut self) {
        while let Some(r) = self.s.poll_request() {
            match r {
                VcRequest::AddParty { vc, party, .. } => {
                    self.s
                        .handle_vc_event(self.now, VcEvent::PartyAdded { vc, party });
                }
                VcRequest::Send { vc, sdu } => {
                    self.sdus += 1;
                    if self.capture {
                        let m =
                            MarsMessage::decode_sdu(&sdu).expect("the MARS sends valid messages");
                        self.sent.push((vc, m));
                    }
                }
                _ => {}
            }
        }
        while self.s.poll_event().is_some() {}
    }

    /// Take what was sent.
    pub fn take(&mut self) -> Vec<(VcId, MarsMessage)> {
        std::mem::take(&mut self.sent)
    }

    /// Node `n` sends `body` for protocol `pro`.
    pub fn send(&mut self, n: u32, pro: Protocol, body: MarsBody) {
        let vc = self.vc(n);
        let sdu = MarsMessage::new(pro, body).encode_sdu().expect("encodes");
        self.event(VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        });
    }

    pub fn register(&mut self, n: u32, pro: Protocol) {
        let j = Join::new(
            nsap(n),
            ProtoAddr::NULL,
            Flags(0).with_register(true),
            vec![],
        );
        self.send(n, pro, MarsBody::Join(j));
    }

    pub fn deregister(&mut self, n: u32, pro: Protocol) {
        let j = Join::new(
            nsap(n),
            ProtoAddr::NULL,
            Flags(0).with_register(true),
            vec![],
        );
        self.send(n, pro, MarsBody::Leave(j));
    }

    pub fn join(&mut self, n: u32, pro: Protocol, min: ProtoAddr, max: ProtoAddr, leave: bool) {
        let flags = Flags(0).with_layer3grp(min == max);
        let j = Join::new(
            nsap(n),
            ProtoAddr::NULL,
            flags,
            vec![GroupPair::new(min, max)],
        );
        let body = if leave {
            MarsBody::Leave(j)
        } else {
            MarsBody::Join(j)
        };
        self.send(n, pro, body);
    }

    pub fn request(&mut self, n: u32, pro: Protocol, g: ProtoAddr) {
        let r = Request::new(nsap(n), ProtoAddr::NULL, g);
        self.send(n, pro, MarsBody::Request(r));
    }
}
