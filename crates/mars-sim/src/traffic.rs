//! Tagged test traffic for end-to-end runs: IPv4 datagrams that carry their sender's index and
//! a sequence number, so that a receiver can say exactly which datagrams it got (exactly-once
//! checks), and what a run collects from its clients.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use mars_proto::mars::client::datapath::ipv4_packet;
use mars_proto::mars::client::{ClientEvent, MarsClient};
use mars_proto::Instant;
use mars_wire::ProtoAddr;

use crate::{EndpointId, Sim};

/// Group number `n`: 224.1.0.n.
pub fn group(n: u8) -> ProtoAddr {
    ProtoAddr::v4(Ipv4Addr::new(224, 1, 0, n))
}

/// An IPv4 datagram to `g` from sender `from` carrying sequence number `seq`.
pub fn tagged_datagram(g: ProtoAddr, from: u32, seq: u32) -> Vec<u8> {
    let mut payload = from.to_be_bytes().to_vec();
    payload.extend_from_slice(&seq.to_be_bytes());
    let dst = g.to_v4().unwrap_or(Ipv4Addr::UNSPECIFIED);
    ipv4_packet(
        Ipv4Addr::new(10, 0, (from >> 8) as u8, from as u8),
        dst,
        &payload,
    )
}

/// (group, sender, sequence) of a datagram built by [`tagged_datagram`].
pub fn parse_tagged(packet: &[u8]) -> Option<(ProtoAddr, u32, u32)> {
    if packet.len() < 28 {
        return None;
    }
    let g = ProtoAddr::from_slice(&packet[16..20])?;
    let from = u32::from_be_bytes(packet[20..24].try_into().ok()?);
    let seq = u32::from_be_bytes(packet[24..28].try_into().ok()?);
    Some((g, from, seq))
}

/// One datagram as a receiver saw it: (group, sender index, sequence number, when).
pub type Seen = (ProtoAddr, u32, u32, Instant);

/// What the clients of a run delivered and reported, by client index.
#[derive(Debug, Default)]
pub struct Deliveries {
    /// Tagged datagrams each client delivered, in order.
    pub seen: BTreeMap<usize, Vec<Seen>>,
    /// Every other event of each client, in order.
    pub events: BTreeMap<usize, Vec<ClientEvent>>,
}

impl Deliveries {
    /// Drain client `i`'s events at `now`.
    pub fn drain(&mut self, i: usize, client: &mut MarsClient, now: Instant) {
        while let Some(e) = client.poll_event() {
            match e {
                ClientEvent::Delivered(d) => {
                    if let Some((g, from, seq)) = parse_tagged(&d.packet) {
                        self.seen.entry(i).or_default().push((g, from, seq, now));
                    }
                }
                e => self.events.entry(i).or_default().push(e),
            }
        }
    }

    /// [`Deliveries::drain`] every client of `sim` listed in `clients` (client `i` is
    /// `clients[i]`; a crashed one is skipped), at the simulation's time.
    pub fn drain_clients(&mut self, sim: &mut Sim, clients: &[EndpointId]) {
        let now = sim.now();
        for (i, &ep) in clients.iter().enumerate() {
            if let Some(c) = sim.engine_mut::<MarsClient>(ep) {
                self.drain(i, c, now);
            }
        }
    }

    /// The sequence numbers client `i` received from sender `from` in `g`, in order.
    pub fn seen_from(&self, i: usize, g: ProtoAddr, from: u32) -> Vec<u32> {
        self.seen
            .get(&i)
            .map(|v| {
                v.iter()
                    .filter(|s| s.0 == g && s.1 == from)
                    .map(|s| s.2)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many times client `i` received each (sender, sequence) in `g`.
    pub fn copies(&self, i: usize, g: ProtoAddr) -> BTreeMap<(u32, u32), usize> {
        let mut m = BTreeMap::new();
        for s in self.seen.get(&i).into_iter().flatten() {
            if s.0 == g {
                *m.entry((s.1, s.2)).or_default() += 1;
            }
        }
        m
    }

    /// How many of client `i`'s events match `f`.
    pub fn count_events(&self, i: usize, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.events
            .get(&i)
            .map_or(0, |v| v.iter().filter(|e| f(e)).count())
    }
}
