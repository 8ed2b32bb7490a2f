//! The sans-IO endpoint under virtual time: endpoints wired through an in-test datagram pipe
//! with optional loss, duplication and reordering. No sockets, no sleeps.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{embed_ipv4, Endpoint, EndpointConfig, Underlay};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Faults the pipe applies to every datagram.
#[derive(Clone, Copy, Default)]
struct Faults {
    loss: f64,
    duplicate: f64,
    /// Extra random delay up to this many microseconds (reorders datagrams).
    jitter_us: u64,
}

struct InFlight {
    at: Instant,
    /// Sending order, so that datagrams due at the same instant stay in order.
    order: u64,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Vec<u8>,
}

struct Net {
    eps: Vec<Option<Endpoint>>,
    socks: Vec<SocketAddr>,
    events: Vec<VecDeque<VcEvent>>,
    flight: Vec<InFlight>,
    sent: u64,
    now: Instant,
    rng: StdRng,
    faults: Faults,
}

const LATENCY: Duration = Duration::from_micros(100);

impl Net {
    fn new(n: usize, cfg: EndpointConfig, faults: Faults, seed: u64) -> Self {
        let socks: Vec<SocketAddr> = (0..n)
            .map(|i| format!("127.0.0.1:{}", 20_000 + i).parse().unwrap())
            .collect();
        let underlay = Arc::new(Underlay::new());
        let eps = socks
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let me = underlay.address_for(*s).unwrap();
                Some(Endpoint::new(
                    cfg.clone(),
                    me,
                    underlay.clone(),
                    1000 + i as u32,
                ))
            })
            .collect();
        Net {
            eps,
            socks,
            events: vec![VecDeque::new(); n],
            flight: Vec::new(),
            sent: 0,
            now: Instant::ZERO,
            rng: StdRng::seed_from_u64(seed),
            faults,
        }
    }

    fn addr(&self, i: usize) -> AtmAddress {
        let SocketAddr::V4(v4) = self.socks[i] else {
            unreachable!()
        };
        AtmAddress::new(embed_ipv4(v4))
    }

    fn ep(&mut self, i: usize) -> &mut Endpoint {
        self.eps[i].as_mut().expect("endpoint alive")
    }

    fn request(&mut self, i: usize, r: VcRequest) {
        let now = self.now;
        self.ep(i).handle_request(now, r);
        self.collect(i);
    }

    /// Move an endpoint's outputs into the pipe and its events into its queue.
    fn collect(&mut self, i: usize) {
        let Some(ep) = self.eps[i].as_mut() else {
            return;
        };
        while let Some(ev) = ep.poll_event() {
            self.events[i].push_back(ev);
        }
        let from = self.socks[i];
        let out: Vec<_> = ep.drain_transmits().collect();
        for t in out {
            if self.rng.gen_bool(self.faults.loss) {
                continue;
            }
            let copies = if self.rng.gen_bool(self.faults.duplicate) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let jitter = match self.faults.jitter_us {
                    0 => 0,
                    j => self.rng.gen_range(0..j),
                };
                let at = self.now + LATENCY + Duration::from_micros(jitter);
                self.sent += 1;
                self.flight.push(InFlight {
                    at,
                    order: self.sent,
                    from,
                    to: t.to,
                    bytes: t.to_vec(),
                });
            }
        }
    }

    /// Advance virtual time to `until`, delivering datagrams and firing timeouts in order.
    fn run_until(&mut self, until: Instant) {
        loop {
            let next_dgram = self
                .flight
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| (f.at, f.order))
                .map(|(i, f)| (f.at, i));
            let next_timer = (0..self.eps.len())
                .filter_map(|i| Some((self.eps[i].as_ref()?.poll_timeout()?, i)))
                .min();
            match (next_dgram, next_timer) {
                (Some((t, fi)), tm) if t <= until && tm.is_none_or(|(tt, _)| t <= tt) => {
                    self.now = self.now.max(t);
                    let f = self.flight.swap_remove(fi);
                    if let Some(j) = self.socks.iter().position(|s| *s == f.to) {
                        let now = self.now;
                        if let Some(ep) = self.eps[j].as_mut() {
                            ep.handle_datagram(now, f.from, &f.bytes);
                            self.collect(j);
                        }
                    }
                }
                (_, Some((t, i))) if t <= until => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    self.ep(i).handle_timeout(now);
                    self.collect(i);
                }
                _ => break,
            }
        }
        self.now = self.now.max(until);
    }

    fn settle(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    fn next_event(&mut self, i: usize) -> Option<VcEvent> {
        self.events[i].pop_front()
    }

    fn take_events(&mut self, i: usize) -> Vec<VcEvent> {
        self.events[i].drain(..).collect()
    }

    /// Call from `a` to `b` with the local id `vc`; `b` accepts. Returns `b`'s id.
    fn call(&mut self, a: usize, b: usize, vc: VcId) -> VcId {
        let to = self.addr(b);
        self.request(a, VcRequest::Connect { vc, to });
        self.settle(Duration::from_millis(5));
        let pos = self.events[b]
            .iter()
            .position(|e| matches!(e, VcEvent::IncomingCall { .. }))
            .unwrap_or_else(|| panic!("no incoming call at {b}"));
        let Some(VcEvent::IncomingCall {
            vc: inc,
            from,
            multipoint: false,
        }) = self.events[b].remove(pos)
        else {
            panic!("not a point-to-point call");
        };
        assert_eq!(from, self.addr(a));
        self.request(b, VcRequest::Accept { vc: inc });
        self.settle(Duration::from_millis(5));
        let pos = self.events[a]
            .iter()
            .position(|e| *e == VcEvent::Connected { vc });
        assert!(pos.is_some(), "{vc} not connected at {a}");
        self.events[a].remove(pos.unwrap());
        inc
    }
}

fn sdu(n: u32) -> Bytes {
    let mut v = vec![0xAA, 0xAA, 0x03, 0, 0, 0x5E, 0, 0x01];
    v.extend_from_slice(&n.to_be_bytes());
    Bytes::from(v)
}

fn quick() -> EndpointConfig {
    EndpointConfig {
        retransmit_interval: Duration::from_millis(10),
        keepalive_interval: Duration::from_millis(100),
        ..EndpointConfig::default()
    }
}

#[test]
fn setup_connect_data_release_by_caller() {
    let mut n = Net::new(2, quick(), Faults::default(), 1);
    let vc = VcId::local(7);
    let inc = n.call(0, 1, vc);
    assert!(inc.is_incoming());
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(2),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: inc,
            sdu: sdu(1)
        }]
    );
    assert_eq!(n.take_events(0), [VcEvent::Received { vc, sdu: sdu(2) }]);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Released {
            vc: inc,
            cause: Cause::NORMAL
        }]
    );
    assert_eq!(
        n.take_events(0),
        [],
        "a local release produces no event (guarantee 7)"
    );
    assert_eq!(n.ep(0).leg_count(), 0);
    assert_eq!(n.ep(1).leg_count(), 0);
    // Keepalives stop once no legs remain.
    n.settle(Duration::from_secs(1));
    assert_eq!(
        n.ep(0).poll_timeout().is_some(),
        n.ep(0).tombstone_count() > 0
    );
}

#[test]
fn release_by_callee() {
    let mut n = Net::new(2, quick(), Faults::default(), 2);
    let vc = VcId::local(1);
    let inc = n.call(0, 1, vc);
    n.request(
        1,
        VcRequest::Release {
            vc: inc,
            cause: Cause(31),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause(31)
        }]
    );
    assert_eq!(n.take_events(1), []);
    // The dead handle is ignored and counted (guarantee 8).
    n.request(
        1,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(1),
        },
    );
    assert_eq!(n.ep(1).counters().engine_misuse, 1);
}

#[test]
fn refuse_and_unknown_address() {
    let mut n = Net::new(2, quick(), Faults::default(), 3);
    let vc = VcId::local(1);
    let to = n.addr(1);
    n.request(0, VcRequest::Connect { vc, to });
    n.settle(Duration::from_millis(5));
    let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.next_event(1) else {
        panic!()
    };
    n.request(
        1,
        VcRequest::Refuse {
            vc: inc,
            cause: Cause::CALL_REJECTED,
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::CALL_REJECTED
        }]
    );
    assert_eq!(n.take_events(1), []);

    let nobody: AtmAddress = "14085551212".parse().unwrap();
    n.request(0, VcRequest::Connect { vc, to: nobody });
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::UNALLOCATED_NUMBER
        }]
    );
}

#[test]
fn unanswered_setup_fails_with_cause_18() {
    let cfg = quick();
    let mut n = Net::new(2, cfg.clone(), Faults::default(), 4);
    n.eps[1] = None; // Nobody listens there.
    let vc = VcId::local(3);
    let to = n.addr(1);
    n.request(0, VcRequest::Connect { vc, to });
    let start = n.now;
    n.settle(cfg.request_lifetime() + Duration::from_millis(1));
    assert_eq!(
        n.take_events(0),
        [VcEvent::Released {
            vc,
            cause: Cause::NO_USER_RESPONDING
        }]
    );
    assert!(n.now - start >= cfg.request_lifetime());
    assert_eq!(
        n.ep(0).counters().retransmissions,
        u64::from(cfg.max_transmissions - 1)
    );
}

#[test]
fn multipoint_add_ack_reject_drop_and_leaf_release() {
    let mut n = Net::new(4, quick(), Faults::default(), 5);
    let vc = VcId::local(9);
    n.request(0, VcRequest::OpenMultipoint { vc });
    for (leaf, p) in [(1, 1), (2, 2), (3, 3)] {
        let to = n.addr(leaf);
        n.request(
            0,
            VcRequest::AddParty {
                vc,
                party: PartyId(p),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(5));
    let mut leaf_vc = [VcId(0); 4];
    for (leaf, slot) in leaf_vc.iter_mut().enumerate().skip(1) {
        let Some(VcEvent::IncomingCall {
            vc: inc,
            from,
            multipoint: true,
        }) = n.next_event(leaf)
        else {
            panic!("leaf {leaf} not called");
        };
        assert_eq!(from, n.addr(0));
        *slot = inc;
    }
    n.request(1, VcRequest::Accept { vc: leaf_vc[1] });
    n.request(
        2,
        VcRequest::Refuse {
            vc: leaf_vc[2],
            cause: Cause::CALL_REJECTED,
        },
    );
    // Before its PartyAdded, leaf 3 must not receive this SDU (guarantee 5).
    n.request(0, VcRequest::Send { vc, sdu: sdu(0) });
    n.settle(Duration::from_millis(5));
    n.request(3, VcRequest::Accept { vc: leaf_vc[3] });
    n.settle(Duration::from_millis(5));
    let root = n.take_events(0);
    assert!(root.contains(&VcEvent::PartyAdded {
        vc,
        party: PartyId(1)
    }));
    assert!(root.contains(&VcEvent::PartyDropped {
        vc,
        party: PartyId(2),
        cause: Cause::CALL_REJECTED
    }));
    assert!(root.contains(&VcEvent::PartyAdded {
        vc,
        party: PartyId(3)
    }));
    n.request(0, VcRequest::Send { vc, sdu: sdu(1) });
    n.settle(Duration::from_millis(5));
    // sdu(0) left the root before leaf 1's ADD PARTY ACK arrived: not delivered (guarantee 5).
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: leaf_vc[1],
            sdu: sdu(1)
        }]
    );
    assert_eq!(
        n.take_events(3),
        [VcEvent::Received {
            vc: leaf_vc[3],
            sdu: sdu(1)
        }]
    );

    // The root drops leaf 1; leaf 3 leaves by itself.
    n.request(
        0,
        VcRequest::DropParty {
            vc,
            party: PartyId(1),
            cause: Cause::NORMAL,
        },
    );
    n.request(
        3,
        VcRequest::Release {
            vc: leaf_vc[3],
            cause: Cause(31),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Released {
            vc: leaf_vc[1],
            cause: Cause::NORMAL
        }]
    );
    assert_eq!(
        n.take_events(0),
        [VcEvent::PartyDropped {
            vc,
            party: PartyId(3),
            cause: Cause(31)
        }]
    );
    // No leaves left: the root keeps the VC (contract deviation from UNI 3.1) until released.
    n.request(0, VcRequest::Send { vc, sdu: sdu(2) });
    assert_eq!(n.ep(0).counters().engine_misuse, 0);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(50));
    for i in 0..4 {
        assert_eq!(n.ep(i).leg_count(), 0, "endpoint {i}");
        assert_eq!(n.take_events(i), []);
    }
}

#[test]
fn root_release_reaches_every_leaf() {
    let mut n = Net::new(3, quick(), Faults::default(), 6);
    let vc = VcId::local(1);
    n.request(0, VcRequest::OpenMultipoint { vc });
    for leaf in 1..=2 {
        let to = n.addr(leaf);
        n.request(
            0,
            VcRequest::AddParty {
                vc,
                party: PartyId(leaf as u32),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(5));
    for leaf in 1..=2 {
        let Some(VcEvent::IncomingCall { vc: inc, .. }) = n.next_event(leaf) else {
            panic!()
        };
        n.request(leaf, VcRequest::Accept { vc: inc });
    }
    n.settle(Duration::from_millis(5));
    assert_eq!(n.take_events(0).len(), 2);
    n.request(
        0,
        VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        },
    );
    n.settle(Duration::from_millis(5));
    for leaf in 1..=2 {
        assert!(matches!(
            n.take_events(leaf)[..],
            [VcEvent::Released {
                cause: Cause::NORMAL,
                ..
            }]
        ));
    }
    assert_eq!(n.take_events(0), []);
}

#[test]
fn calls_complete_despite_loss_by_retransmission() {
    let faults = Faults {
        loss: 0.2,
        ..Faults::default()
    };
    let mut n = Net::new(2, quick(), faults, 7);
    let to = n.addr(1);
    for k in 0..50 {
        n.request(
            0,
            VcRequest::Connect {
                vc: VcId::local(k),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(200));
    let incoming: Vec<VcId> = n
        .take_events(1)
        .iter()
        .filter(|e| matches!(e, VcEvent::IncomingCall { .. }))
        .map(|e| e.vc())
        .collect();
    for inc in &incoming {
        n.request(1, VcRequest::Accept { vc: *inc });
    }
    n.settle(Duration::from_millis(500));
    let at_caller = n.take_events(0);
    let connected = at_caller
        .iter()
        .filter(|e| matches!(e, VcEvent::Connected { .. }))
        .count();
    let released = at_caller.len() - connected;
    // Each call ends in exactly one Connected or Released (guarantee 1). At 20% loss each way
    // a call fails only when 8 consecutive SETUP/CALL PROCEEDING round trips fail.
    assert_eq!(connected + released, 50);
    let (c0, c1) = (n.ep(0).counters().clone(), n.ep(1).counters().clone());
    assert!(
        connected >= 45,
        "{connected} connected: {at_caller:?} {c0:?} {c1:?}"
    );
    assert!(n.ep(0).counters().retransmissions > 0);
    assert_eq!(
        incoming.len(),
        50,
        "every SETUP eventually arrived, each acted on once"
    );
}

#[test]
fn duplicated_setup_is_acted_on_once() {
    let faults = Faults {
        duplicate: 1.0,
        jitter_us: 3_000,
        ..Faults::default()
    };
    let mut n = Net::new(2, quick(), faults, 8);
    let to = n.addr(1);
    for k in 0..20 {
        n.request(
            0,
            VcRequest::Connect {
                vc: VcId::local(k),
                to,
            },
        );
    }
    n.settle(Duration::from_millis(20));
    let calls = n.take_events(1);
    assert_eq!(calls.len(), 20);
    for e in &calls {
        // Refuse half: a late duplicate SETUP then meets a tombstone and is answered again.
        let vc = e.vc();
        if vc.0 % 2 == 0 {
            n.request(
                1,
                VcRequest::Refuse {
                    vc,
                    cause: Cause::USER_BUSY,
                },
            );
        } else {
            n.request(1, VcRequest::Accept { vc });
        }
    }
    n.settle(Duration::from_millis(300));
    assert_eq!(
        n.take_events(1),
        [],
        "no second IncomingCall for a duplicated SETUP"
    );
    assert_eq!(n.take_events(0).len(), 20, "one answer per call");
    assert!(n.ep(1).counters().duplicates_answered > 0);
}

#[test]
fn data_is_never_duplicated_or_reordered() {
    let faults = Faults {
        duplicate: 0.3,
        loss: 0.05,
        jitter_us: 2_000,
    };
    let mut n = Net::new(2, quick(), Faults::default(), 9);
    let vc = VcId::local(1);
    let inc = n.call(0, 1, vc);
    n.faults = faults;
    for k in 0..2_000u32 {
        n.request(0, VcRequest::Send { vc, sdu: sdu(k) });
        if k % 50 == 0 {
            n.settle(Duration::from_micros(300));
        }
    }
    n.settle(Duration::from_millis(20));
    let got: Vec<u32> = n
        .take_events(1)
        .into_iter()
        .map(|e| match e {
            VcEvent::Received { vc, sdu } if vc == inc => {
                u32::from_be_bytes(sdu[8..12].try_into().unwrap())
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert!(got.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    assert!(got.len() > 50, "some arrive ({})", got.len());
    assert!(n.ep(1).counters().drop_late_or_duplicate > 0);

    // Duplication without reordering or loss: every SDU exactly once.
    n.faults = Faults {
        duplicate: 0.5,
        ..Faults::default()
    };
    for k in 0..1_000u32 {
        n.request(0, VcRequest::Send { vc, sdu: sdu(k) });
    }
    n.settle(Duration::from_millis(20));
    let got = n.take_events(1);
    assert_eq!(got.len(), 1_000, "{got:?}");
    for (k, e) in got.into_iter().enumerate() {
        assert_eq!(
            e,
            VcEvent::Received {
                vc: inc,
                sdu: sdu(k as u32)
            }
        );
    }
}

#[test]
fn silent_peer_is_declared_dead_within_the_bound() {
    let cfg = quick();
    let mut n = Net::new(3, cfg.clone(), Faults::default(), 10);
    let (p2p, mp) = (VcId::local(1), VcId::local(2));
    n.call(0, 1, p2p);
    n.request(0, VcRequest::OpenMultipoint { vc: mp });
    let to = n.addr(1);
    n.request(
        0,
        VcRequest::AddParty {
            vc: mp,
            party: PartyId(5),
            to,
        },
    );
    n.settle(Duration::from_millis(5));
    let Some(VcEvent::IncomingCall { vc: leaf, .. }) = n.next_event(1) else {
        panic!()
    };
    n.request(1, VcRequest::Accept { vc: leaf });
    // Endpoint 2 calls endpoint 0 too, and stays alive throughout.
    let other = n.call(2, 0, VcId::local(1));
    n.settle(Duration::from_millis(5));
    n.take_events(0);
    // Run a while: keepalives keep everyone alive.
    n.settle(Duration::from_secs(2));
    assert_eq!(n.take_events(0), []);
    // Kill endpoint 1.
    n.eps[1] = None;
    let killed = n.now;
    let bound = cfg.dead_after() + cfg.keepalive_interval;
    let mut lost = Vec::new();
    while lost.len() < 2 && n.now - killed <= bound + Duration::from_millis(1) {
        n.settle(Duration::from_millis(1));
        lost.extend(n.take_events(0).into_iter().map(|e| (e, n.now - killed)));
    }
    let events: Vec<_> = lost.iter().map(|(e, _)| e.clone()).collect();
    assert!(events.contains(&VcEvent::Released {
        vc: p2p,
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    assert!(events.contains(&VcEvent::PartyDropped {
        vc: mp,
        party: PartyId(5),
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    for (_, after) in &lost {
        assert!(*after <= bound, "declared dead after {after:?} > {bound:?}");
        assert!(
            *after >= cfg.dead_after() - cfg.keepalive_interval,
            "too early: {after:?}"
        );
    }
    // The healthy call from endpoint 2 is untouched.
    n.settle(Duration::from_secs(1));
    assert_eq!(n.take_events(0), []);
    n.request(
        0,
        VcRequest::Send {
            vc: other,
            sdu: sdu(1),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(n.take_events(2).len(), 1);
}

#[test]
fn restarted_peer_is_detected_by_its_instance() {
    let cfg = quick();
    let mut n = Net::new(2, cfg.clone(), Faults::default(), 11);
    let vc = VcId::local(1);
    n.call(0, 1, vc);
    n.settle(Duration::from_millis(300));
    // Endpoint 1 restarts with a new instance number and calls endpoint 0 again.
    let me = n.addr(1);
    let underlay = Arc::new(Underlay::new());
    n.eps[1] = Some(Endpoint::new(cfg, me, underlay, 99));
    let vc2 = VcId::local(1);
    let inc = n.call(1, 0, vc2);
    let evs = n.take_events(0);
    assert_eq!(
        evs,
        [VcEvent::Released {
            vc,
            cause: Cause::DESTINATION_OUT_OF_ORDER
        }]
    );
    n.settle(Duration::from_millis(500));
    assert_eq!(n.take_events(0), [], "the new call survives");
    n.request(
        0,
        VcRequest::Send {
            vc: inc,
            sdu: sdu(3),
        },
    );
    n.settle(Duration::from_millis(5));
    assert_eq!(
        n.take_events(1),
        [VcEvent::Received {
            vc: vc2,
            sdu: sdu(3)
        }]
    );
}

#[test]
fn randomised_churn_keeps_the_contract() {
    // Calls opened and released at random from both ends under loss, duplication and
    // reordering. Per VC at each endpoint: the first event is Connected/Released (caller) or
    // IncomingCall (callee) (guarantees 1, 2); Released is the last (guarantee 4).
    let faults = Faults {
        loss: 0.1,
        duplicate: 0.1,
        jitter_us: 1_000,
    };
    let mut n = Net::new(3, quick(), faults, 12);
    let mut rng = StdRng::seed_from_u64(99);
    let mut open: Vec<(usize, VcId)> = Vec::new();
    let mut log: Vec<Vec<VcEvent>> = vec![Vec::new(); 3];
    let mut next = 0u64;
    for round in 0..400 {
        let a = rng.gen_range(0..3);
        match rng.gen_range(0..3) {
            0 if round < 300 => {
                let b = rng.gen_range(0..3);
                let vc = VcId::local(next);
                next += 1;
                let to = n.addr(b);
                n.request(a, VcRequest::Connect { vc, to });
                open.push((a, vc));
            }
            1 if !open.is_empty() => {
                let (i, vc) = open.swap_remove(rng.gen_range(0..open.len()));
                n.request(
                    i,
                    VcRequest::Release {
                        vc,
                        cause: Cause::NORMAL,
                    },
                );
            }
            _ => {}
        }
        n.settle(Duration::from_millis(2));
        for (i, l) in log.iter_mut().enumerate() {
            for e in n.take_events(i) {
                if let VcEvent::IncomingCall { vc, .. } = e {
                    if rng.gen_bool(0.8) {
                        n.request(i, VcRequest::Accept { vc });
                        open.push((i, vc));
                    } else {
                        n.request(
                            i,
                            VcRequest::Refuse {
                                vc,
                                cause: Cause::USER_BUSY,
                            },
                        );
                    }
                }
                l.push(e);
            }
        }
    }
    n.settle(Duration::from_secs(2));
    for (i, l) in log.iter_mut().enumerate() {
        l.extend(n.take_events(i));
        let mut by_vc: std::collections::BTreeMap<VcId, Vec<&VcEvent>> = Default::default();
        for e in l.iter() {
            by_vc.entry(e.vc()).or_default().push(e);
        }
        for (vc, evs) in by_vc {
            let first_ok = if vc.is_incoming() {
                matches!(evs[0], VcEvent::IncomingCall { .. })
            } else {
                matches!(evs[0], VcEvent::Connected { .. } | VcEvent::Released { .. })
            };
            assert!(first_ok, "endpoint {i} {vc}: {evs:?}");
            let releases = evs
                .iter()
                .filter(|e| matches!(e, VcEvent::Released { .. }))
                .count();
            assert!(releases <= 1, "endpoint {i} {vc}: {evs:?}");
            if releases == 1 {
                assert!(
                    matches!(evs.last(), Some(VcEvent::Released { .. })),
                    "{evs:?}"
                );
            }
        }
    }
}
