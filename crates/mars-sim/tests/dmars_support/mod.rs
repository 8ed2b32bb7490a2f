//! A Logical IP Subnet on the fabric for the RFC 2443 tests: distributed MARS servers in a
//! server-group graph, clients (each registered with a home server, the others as backups) and
//! MCSs, with helpers to send tagged datagrams and collect deliveries.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mars_proto::dmars::{DistributedConfig, DistributedServer, DmarsEvent};
use mars_proto::mars::client::{ClientConfig, MarsClient, TimerConfig};
use mars_proto::mars::mcs::{Mcs, McsConfig};
use mars_proto::mars::server::ServerConfig;
use mars_proto::scsp::{DcsConfig, DcsParams, ScspConfig};
use mars_proto::Instant;
pub use mars_sim::traffic::{group, tagged_datagram, Deliveries};
use mars_sim::{test_address, EndpointId, Fabric, FabricConfig, LinkConfig, Sim};
use mars_wire::scsp::ScspId;
use mars_wire::{AtmAddress, ProtoAddr};

/// The shape of the server group's DCS graph (RFC 2443 §2: it "must span the set of MARS
/// Servers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    Mesh,
    Ring,
    Line,
    Star,
}

impl Topology {
    /// The DCSs of server `i` of `n`.
    pub fn peers(self, i: usize, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = match self {
            Topology::Mesh => (0..n).filter(|&j| j != i).collect(),
            Topology::Ring if n > 2 => vec![(i + n - 1) % n, (i + 1) % n],
            Topology::Ring | Topology::Line => [i.checked_sub(1), (i + 1 < n).then_some(i + 1)]
                .into_iter()
                .flatten()
                .collect(),
            Topology::Star if i == 0 => (1..n).collect(),
            Topology::Star => vec![0],
        };
        v.sort_unstable();
        v.dedup();
        v
    }
}

pub struct LisSpec {
    pub seed: u64,
    pub servers: usize,
    pub topology: Topology,
    pub clients: usize,
    pub mcs_groups: Vec<Vec<ProtoAddr>>,
    pub link: LinkConfig,
    /// RFC 2443 redirect entry interval (scaled down from 60 s).
    pub redirect_interval: Duration,
}

impl Default for LisSpec {
    fn default() -> Self {
        LisSpec {
            seed: 1,
            servers: 3,
            topology: Topology::Mesh,
            clients: 6,
            mcs_groups: Vec::new(),
            link: LinkConfig::default(),
            redirect_interval: Duration::from_secs(2),
        }
    }
}

pub const SERVER_BASE: u64 = 1_000_000;
pub const MCS_BASE: u64 = 2_000_000;

/// The CMI range of server `i` of `n`: disjoint per server (RFC 2443 §2), the 16-bit space
/// shared out evenly.
pub fn cmi_range(i: usize, n: usize) -> (u16, u16) {
    let size = (65_000 / n.max(1)) as u16;
    let lo = 1 + size * i as u16;
    (lo, lo + size - 1)
}

/// The configuration of server `i`.
pub fn server_config(spec: &LisSpec, i: usize, mars: &[AtmAddress]) -> DistributedConfig {
    let mut s = ServerConfig::new(mars[i]);
    s.cmi_range = cmi_range(i, spec.servers);
    s.redirect_interval = spec.redirect_interval * 3;
    let mut scsp = ScspConfig::new(ScspId::from_u32(i as u32 + 1), mars[i]);
    scsp.rng_seed = spec.seed ^ (0xDC5 + i as u64);
    scsp.origination_hold = Some(Duration::from_secs(2));
    scsp.connect_retry = Duration::from_millis(500);
    for j in spec.topology.peers(i, spec.servers) {
        let mut d = DcsConfig::new(mars[j]);
        d.params = DcsParams {
            hello_interval: Duration::from_millis(500),
            dead_factor: 3,
            ca_rexmt_interval: Duration::from_millis(500),
            csus_rexmt_interval: Duration::from_millis(500),
            csu_rexmt_interval: Duration::from_millis(400),
            rexmt_limit: 8,
            hop_count: 32,
        };
        scsp.dcs.push(d);
    }
    let mut cfg = DistributedConfig::new(s, scsp, 1);
    cfg.redirect_interval = spec.redirect_interval;
    cfg.flush_grace = spec.redirect_interval / 4;
    cfg.tombstone_hold = Duration::from_secs(30);
    cfg.startup_hold = Duration::from_secs(3);
    cfg
}

pub struct Lis {
    pub sim: Sim,
    pub spec_servers: usize,
    pub servers: Vec<EndpointId>,
    pub clients: Vec<EndpointId>,
    pub mcss: Vec<EndpointId>,
    pub mars: Vec<AtmAddress>,
    /// Home server of each client.
    pub home: Vec<usize>,
    /// What the clients delivered and reported (`seen`, `events`, through `Deref`).
    pub out: Deliveries,
    pub server_events: BTreeMap<usize, Vec<DmarsEvent>>,
    pub configs: Vec<DistributedConfig>,
}

impl Lis {
    pub fn new(spec: LisSpec) -> Lis {
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
        let mut configs = Vec::new();
        for i in 0..spec.servers {
            let cfg = server_config(&spec, i, &mars);
            configs.push(cfg.clone());
            let s = DistributedServer::new(cfg, now).expect("server config");
            servers.push(sim.add_engine(mars[i], s));
        }
        // Each client's MARS list: its home server first, then the others in order.
        let list = |home: usize| -> Vec<AtmAddress> {
            (0..spec.servers)
                .map(|k| mars[(home + k) % spec.servers])
                .collect()
        };
        let mut mcss = Vec::new();
        for (i, groups) in spec.mcs_groups.iter().enumerate() {
            let a = test_address(MCS_BASE + i as u64);
            let mut cfg = McsConfig::new(a, list(i % spec.servers), groups.clone());
            cfg.endpoint.timers = TimerConfig::scaled_down(10);
            cfg.endpoint.timers.vc_idle = None;
            cfg.endpoint.seed = spec.seed ^ (0x5EED_0000 + i as u64);
            mcss.push(sim.add_engine(a, Mcs::new(cfg, now)));
        }
        let mut clients = Vec::new();
        let mut home = Vec::new();
        for i in 0..spec.clients {
            let a = test_address(i as u64 + 1);
            let h = i % spec.servers;
            let mut cfg = ClientConfig::new(a, list(h));
            cfg.timers = TimerConfig::scaled_down(10);
            cfg.seed = spec.seed.wrapping_mul(1000) + i as u64;
            clients.push(sim.add_engine(a, MarsClient::new(cfg, now)));
            home.push(h);
        }
        Lis {
            sim,
            spec_servers: spec.servers,
            servers,
            clients,
            mcss,
            mars,
            home,
            out: Deliveries::default(),
            server_events: BTreeMap::new(),
            configs,
        }
    }

    pub fn server(&self, i: usize) -> &DistributedServer {
        self.sim
            .engine::<DistributedServer>(self.servers[i])
            .expect("server engine")
    }

    pub fn server_alive(&self, i: usize) -> bool {
        self.sim
            .engine::<DistributedServer>(self.servers[i])
            .is_some()
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

    pub fn collect(&mut self) {
        self.out.drain_clients(&mut self.sim, &self.clients);
        for i in 0..self.servers.len() {
            let ep = self.servers[i];
            let Some(s) = self.sim.engine_mut::<DistributedServer>(ep) else {
                continue;
            };
            let mut evs = Vec::new();
            while let Some(e) = s.poll_event() {
                evs.push(e);
            }
            while s.poll_server_event().is_some() {}
            while s.poll_scsp_event().is_some() {}
            self.server_events.entry(i).or_default().extend(evs);
        }
    }

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

    pub fn join_block(&mut self, i: usize, min: ProtoAddr, max: ProtoAddr) {
        let now = self.now();
        self.client(i)
            .join_block(now, min, max)
            .expect("join block");
        self.sim.poke(self.clients[i]);
    }

    pub fn leave(&mut self, i: usize, g: ProtoAddr) {
        let now = self.now();
        self.client(i).leave(now, g).expect("leave");
        self.sim.poke(self.clients[i]);
    }

    pub fn send(&mut self, i: usize, g: ProtoAddr, seq: u32) {
        let now = self.now();
        let pkt = tagged_datagram(g, i as u32, seq);
        self.client(i).send(now, g, &pkt).expect("send");
        self.sim.poke(self.clients[i]);
    }

    /// The ATM addresses server `i`'s database lists for `g` (what MARS_REQUEST answers a
    /// cluster member with when no MCS serves `g`).
    pub fn host_map(&self, i: usize, g: ProtoAddr) -> BTreeSet<AtmAddress> {
        self.server(i).server().clusters()[0]
            .db
            .host_map(&g)
            .into_iter()
            .collect()
    }

    /// The ATM addresses of the clients that joined `g` (the model).
    pub fn members(&self, joined: &[usize]) -> BTreeSet<AtmAddress> {
        joined.iter().map(|&i| test_address(i as u64 + 1)).collect()
    }

    /// The (CMI → address, groups) view of server `i`'s database: members and what they joined.
    pub fn db_view(&self, i: usize) -> BTreeMap<AtmAddress, BTreeSet<ProtoAddr>> {
        let db = &self.server(i).server().clusters()[0].db;
        db.members()
            .map(|(cmi, m)| {
                let gs = db.singles_of(cmi).into_iter().map(|(g, _)| g).collect();
                (m.addr, gs)
            })
            .collect()
    }
}

impl Lis {
    pub fn serve(&mut self, m: usize, g: ProtoAddr) {
        let now = self.now();
        let ep = self.mcss[m];
        self.sim
            .engine_mut::<Mcs>(ep)
            .expect("mcs")
            .serve(now, g)
            .expect("serve");
        self.sim.poke(ep);
    }

    pub fn unserve(&mut self, m: usize, g: ProtoAddr) {
        let now = self.now();
        let ep = self.mcss[m];
        self.sim
            .engine_mut::<Mcs>(ep)
            .expect("mcs")
            .unserve(now, g)
            .expect("unserve");
        self.sim.poke(ep);
    }

    /// Server `i`'s server map for `g` (the MCSs a cluster member's MARS_REQUEST gets).
    pub fn server_map(&self, i: usize, g: ProtoAddr) -> Vec<AtmAddress> {
        self.server(i).server().clusters()[0].db.server_map(&g)
    }
}

impl std::ops::Deref for Lis {
    type Target = Deliveries;
    fn deref(&self) -> &Deliveries {
        &self.out
    }
}

impl std::ops::DerefMut for Lis {
    fn deref_mut(&mut self) -> &mut Deliveries {
        &mut self.out
    }
}
