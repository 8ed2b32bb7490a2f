//! A small cluster on the fabric for the client and MCS end-to-end tests: MARS servers,
//! clients and MCSs as engines of one [`Sim`], with helpers to send tagged datagrams and
//! collect what each client delivered.
#![allow(dead_code)]

use std::time::Duration;

use mars_proto::mars::client::{ClientConfig, MarsClient, TimerConfig};
use mars_proto::mars::mcs::{Mcs, McsConfig};
use mars_proto::mars::server::{MarsServer, ServerConfig};
use mars_proto::Instant;
pub use mars_sim::traffic::{group, tagged_datagram, Deliveries};
use mars_sim::{test_address, EndpointId, Fabric, FabricConfig, LinkConfig, Sim};
use mars_wire::{AtmAddress, ProtoAddr};

/// The timers of the tests: the RFC's, ten times faster.
pub fn timers() -> TimerConfig {
    TimerConfig::scaled_down(10)
}

/// The cluster.
pub struct Cluster {
    pub sim: Sim,
    pub servers: Vec<EndpointId>,
    pub clients: Vec<EndpointId>,
    pub mcss: Vec<EndpointId>,
    /// What the clients delivered and reported (`seen`, `events`, through `Deref`).
    pub out: Deliveries,
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
    /// Adjust MCS `i`'s configuration (e.g. give it an RFC 2149 §5 mcslist).
    pub mcs_cfg: fn(usize, &mut McsConfig),
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
            mcs_cfg: |_, _| {},
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
            (spec.mcs_cfg)(i, &mut cfg);
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
            out: Deliveries::default(),
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

    pub fn mcs_mut(&mut self, i: usize) -> &mut Mcs {
        let ep = self.mcss[i];
        self.sim.engine_mut::<Mcs>(ep).expect("mcs engine")
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
        self.out.drain_clients(&mut self.sim, &self.clients);
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
        let pkt = tagged_datagram(g, i as u32, seq);
        self.client(i).send(now, g, &pkt).expect("send");
        self.sim.poke(self.clients[i]);
    }
}

impl std::ops::Deref for Cluster {
    type Target = Deliveries;
    fn deref(&self) -> &Deliveries {
        &self.out
    }
}

impl std::ops::DerefMut for Cluster {
    fn deref_mut(&mut self) -> &mut Deliveries {
        &mut self.out
    }
}
