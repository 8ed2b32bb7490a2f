//! The in-test datagram pipe shared by the sans-IO endpoint tests: endpoints wired together
//! under virtual time, with optional loss, duplication and reordering.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Instant, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{embed_ipv4, Endpoint, EndpointConfig, Underlay};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Faults the pipe applies to every datagram.
#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub loss: f64,
    pub duplicate: f64,
    /// Extra random delay up to this many microseconds (reorders datagrams).
    pub jitter_us: u64,
}

pub struct InFlight {
    pub at: Instant,
    /// Sending order, so that datagrams due at the same instant stay in order.
    pub order: u64,
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

pub struct Net {
    pub eps: Vec<Option<Endpoint>>,
    pub socks: Vec<SocketAddr>,
    pub events: Vec<VecDeque<VcEvent>>,
    pub flight: Vec<InFlight>,
    pub sent: u64,
    pub now: Instant,
    pub rng: StdRng,
    pub faults: Faults,
    /// Endpoints whose events stay in the endpoint until the test takes them with
    /// [`Net::take`] (a user that has not read them yet), instead of being collected.
    pub held: Vec<bool>,
}

pub const LATENCY: Duration = Duration::from_micros(100);

impl Net {
    pub fn new(n: usize, cfg: EndpointConfig, faults: Faults, seed: u64) -> Self {
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
            held: vec![false; n],
        }
    }

    pub fn addr(&self, i: usize) -> AtmAddress {
        let SocketAddr::V4(v4) = self.socks[i] else {
            unreachable!()
        };
        AtmAddress::new(embed_ipv4(v4))
    }

    pub fn ep(&mut self, i: usize) -> &mut Endpoint {
        self.eps[i].as_mut().expect("endpoint alive")
    }

    pub fn request(&mut self, i: usize, r: VcRequest) {
        let now = self.now;
        self.ep(i).handle_request(now, r);
        self.collect(i);
    }

    /// Move an endpoint's outputs into the pipe and its events into its queue.
    pub fn collect(&mut self, i: usize) {
        let Some(ep) = self.eps[i].as_mut() else {
            return;
        };
        while let Some(ev) = (!self.held[i]).then(|| ep.poll_event()).flatten() {
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
    pub fn run_until(&mut self, until: Instant) {
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

    pub fn settle(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Leave endpoint `i`'s events unread in the endpoint from now on.
    pub fn hold(&mut self, i: usize) {
        self.held[i] = true;
    }

    /// The user of a held endpoint reads its next event.
    pub fn take(&mut self, i: usize) -> Option<VcEvent> {
        self.ep(i).poll_event()
    }

    /// The user of a held endpoint reads every event waiting.
    pub fn take_all(&mut self, i: usize) -> Vec<VcEvent> {
        std::iter::from_fn(|| self.take(i)).collect()
    }

    pub fn next_event(&mut self, i: usize) -> Option<VcEvent> {
        self.events[i].pop_front()
    }

    pub fn take_events(&mut self, i: usize) -> Vec<VcEvent> {
        self.events[i].drain(..).collect()
    }

    /// Call from `a` to `b` with the local id `vc`; `b` accepts. Returns `b`'s id.
    pub fn call(&mut self, a: usize, b: usize, vc: VcId) -> VcId {
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

pub fn sdu(n: u32) -> Bytes {
    let mut v = vec![0xAA, 0xAA, 0x03, 0, 0, 0x5E, 0, 0x01];
    v.extend_from_slice(&n.to_be_bytes());
    Bytes::from(v)
}

pub fn quick() -> EndpointConfig {
    EndpointConfig {
        retransmit_interval: Duration::from_millis(10),
        keepalive_interval: Duration::from_millis(100),
        ..EndpointConfig::default()
    }
}
