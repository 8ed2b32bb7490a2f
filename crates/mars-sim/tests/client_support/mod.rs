//! A small cluster on the fabric for the client and MCS end-to-end tests: MARS servers,
//! clients and MCSs as engines of one [`Sim`], with helpers to send tagged datagrams and
//! collect what each client delivered.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

use mars_proto::mars::client::datapath::ipv4_packet;
use mars_proto::mars::client::{ClientConfig, ClientEvent, MarsClient, TimerConfig};
use mars_proto::mars::mcs::{Mcs, McsConfig};
use mars_proto::mars::server::{MarsServer, ServerConfig};
use mars_proto::Instant;
use mars_sim::{test_address, EndpointId, Fabric, FabricConfig, LinkConfig, Sim};
use mars_wire::{AtmAddress, ProtoAddr};

/// Group number `n` (224.1.0.n).
pub fn group(n: u8) -> ProtoAddr {
    ProtoAddr::v4(Ipv4Addr::new(224, 1, 0, n))
}

/// The timers of the tests: the RFC's, ten times faster.
pub fn timers() -> TimerConfig {
    TimerConfig::scaled_down(10)
}

/// One datagram as a receiver saw it: (group, sender index, sequence number, when).
pub type Seen = (ProtoAddr, u32, u32, Instant);

/// A tagged datagram from sender `from` with sequence `seq` to `g`.
pub fn datagram(g: ProtoAddr, from: u32, seq: u32) -> Vec<u8> {
    let mut payload = from.to_be_bytes().to_vec();
    payload.extend_from_slice(&seq.to_be_bytes());
    let dst = g.to_v4().unwrap_or(Ipv4Addr::UNSPECIFIED);
    ipv4_packet(
        Ipv4Addr::new(10, 0, (from >> 8) as u8, from as u8),
        dst,
        &payload,
    )
}

fn parse(packet: &[u8]) -> Option<(ProtoAddr, u32, u32)> {
    if packet.len() < 28 {
        return None;
    }
    let g = ProtoAddr::from_slice(&packet[16..20])?;
    let from = u32::from_be_bytes(packet[20..24].try_into().ok()?);
    let seq = u32::from_be_bytes(packet[24..28].try_into().ok()?);
    Some((g, from, seq))
}

/// The cluster.
pub struct Cluster {
    pub sim: Sim,
    pub servers: Vec<EndpointId>,
    pub clients: Vec<EndpointId>,
    pub mcss: Vec<EndpointId>,
    /// What each client delivered, in order.
    pub seen: BTreeMap<usize, Vec<Seen>>,
    /// Every event of each client, in order (deliveries excluded).
    pub events: BTreeMap<usize, Vec<ClientEvent>>,
    pub mars: Vec<AtmAddress>,
}

/// How to build a cluster.
pub struct Spec {
    pub seed: u64,
    pub servers: usize,
    pub clients: usize,
    pub mcs_groups: Vec<Vec<ProtoAddr>>,
    pub link: LinkConfig,
    pub server_cfg: fn(&mut ServerConfig),
    pub client_cfg: fn(&mut ClientConfig),
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            seed: 1,
            servers: 1,
            clients: 3,
            mcs_groups: Vec::new(),
            link: LinkConfig::default(),
            server_cfg: |_| {},
            client_cfg: |_| {},
        }
    }
}

pub const SERVER_BASE: u64 = 1000;
pub const MCS_BASE: u64 = 2000;

impl Cluster {
    pub fn new(spec: Spec) -> Cluster {
        let fabric = Fabric::with_config(FabricConfig {
            seed: spec.seed,
            default_link: spec.link,
            ..FabricConfig::default()
        });
        let mut sim = Sim::with_fabric(fabric);
        let now = Instant::ZERO;
        let mars: Vec<AtmAddress> = (0..spec.servers as u64)
            .map(|i| test_address(SERVER_BASE + i))
            .collect();
        let mut servers = Vec::new();
        for (i, a) in mars.iter().enumerate() {
            let mut cfg = ServerConfig::new(*a);
            cfg.redirect_interval = Duration::from_secs(6);
            cfg.backups = mars.iter().filter(|b| *b != a).copied().collect();
            (spec.server_cfg)(&mut cfg);
            let _ = i;
            servers.push(sim.add_engine(*a, MarsServer::new(cfg, now)));
        }
        let mut mcss = Vec::new();
        for (i, groups) in spec.mcs_groups.iter().enumerate() {
            let a = test_address(MCS_BASE + i as u64);
            let mut cfg = McsConfig::new(a, mars.clone(), groups.clone());
            cfg.endpoint.timers = timers();
            cfg.endpoint.timers.vc_idle = None;
            cfg.endpoint.seed = spec.seed ^ (0x5EED_0000 + i as u64);
            mcss.push(sim.add_engine(a, Mcs::new(cfg, now)));
        }
        let mut clients = Vec::new();
        for i in 0..spec.clients {
            let a = test_address(i as u64 + 1);
            let mut cfg = ClientConfig::new(a, mars.clone());
            cfg.timers = timers();
            cfg.seed = spec.seed.wrapping_mul(1000) + i as u64;
            (spec.client_cfg)(&mut cfg);
            clients.push(sim.add_engine(a, MarsClient::new(cfg, now)));
        }
        Cluster {
            sim,
            servers,
            clients,
            mcss,
            seen: BTreeMap::new(),
            events: BTreeMap::new(),
            mars,
        }
    }

    pub fn client(&mut self, i: usize) -> &mut MarsClient {
        let ep = self.clients[i];
        self.sim
            .engine_mut::<MarsClient>(ep)
            .expect("client engine")
    }

    pub fn client_ref(&self, i: usize) -> &MarsClient {
        self.sim
            .engine::<MarsClient>(self.clients[i])
            .expect("client engine")
    }

    pub fn mcs(&self, i: usize) -> &Mcs {
        self.sim.engine::<Mcs>(self.mcss[i]).expect("mcs engine")
    }

    pub fn server(&self, i: usize) -> &MarsServer {
        self.sim
            .engine::<MarsServer>(self.servers[i])
            .expect("server engine")
    }

    pub fn now(&self) -> Instant {
        self.sim.now()
    }

    /// Run for `d`, collecting events every 10 ms of virtual time.
    pub fn run(&mut self, d: Duration) {
        let end = self.sim.now() + d;
        while self.sim.now() < end {
            let step = (self.sim.now() + Duration::from_millis(10)).min(end);
            self.sim.run_until(step).expect("sim runs");
            self.collect();
        }
    }

    /// Drain every client's events.
    pub fn collect(&mut self) {
        for i in 0..self.clients.len() {
            let ep = self.clients[i];
            let Some(c) = self.sim.engine_mut::<MarsClient>(ep) else {
                continue;
            };
            let mut evs = Vec::new();
            while let Some(e) = c.poll_event() {
                evs.push(e);
            }
            for e in evs {
                match e {
                    ClientEvent::Delivered(d) => {
                        if let Some((g, from, seq)) = parse(&d.packet) {
                            let now = self.sim.now();
                            self.seen.entry(i).or_default().push((g, from, seq, now));
                        }
                    }
                    e => self.events.entry(i).or_default().push(e),
                }
            }
        }
    }

    /// Whether every live client is registered.
    pub fn all_registered(&self) -> bool {
        self.clients.iter().all(|&ep| {
            self.sim
                .engine::<MarsClient>(ep)
                .is_none_or(|c| c.is_registered())
        })
    }

    pub fn join(&mut self, i: usize, g: ProtoAddr) {
        let now = self.now();
        self.client(i).join(now, g).expect("join");
        self.sim.poke(self.clients[i]);
    }

    pub fn leave(&mut self, i: usize, g: ProtoAddr) {
        let now = self.now();
        self.client(i).leave(now, g).expect("leave");
        self.sim.poke(self.clients[i]);
    }

    pub fn send(&mut self, i: usize, g: ProtoAddr, seq: u32) {
        let now = self.now();
        let pkt = datagram(g, i as u32, seq);
        self.client(i).send(now, g, &pkt).expect("send");
        self.sim.poke(self.clients[i]);
    }

    /// What client `i` saw from sender `from` in group `g`.
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

    /// Events of client `i` matching `f`.
    pub fn count_events(&self, i: usize, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.events
            .get(&i)
            .map_or(0, |v| v.iter().filter(|e| f(e)).count())
    }
}
