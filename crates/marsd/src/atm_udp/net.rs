//! A whole emulated network in one process behind blocking calls: endpoints named by index,
//! any ATM address (each is mapped to a fresh loopback socket as it is added). This is the
//! shape the shared contract suite (`mars_sim::contract`) drives; implementing its
//! `ContractNet` trait is a matter of forwarding to these methods.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use mars_proto::{VcEvent, VcRequest};
use mars_wire::AtmAddress;
use tokio::runtime::Runtime;

use super::driver::{blocking_runtime, BlockingEndpoint, EndpointSpec};
use super::{Counters, EndpointConfig, Underlay};

/// Endpoints on loopback sharing one runtime and one underlay map.
#[derive(Debug)]
pub struct UdpNet {
    rt: Arc<Runtime>,
    underlay: Arc<Underlay>,
    config: EndpointConfig,
    eps: Vec<BlockingEndpoint>,
}

impl UdpNet {
    /// An empty network whose endpoints use `config`.
    pub fn new(config: EndpointConfig) -> io::Result<Self> {
        Ok(UdpNet {
            rt: blocking_runtime()?,
            underlay: Arc::new(Underlay::new()),
            config,
            eps: Vec::new(),
        })
    }

    /// Bind a new endpoint on 127.0.0.1 with ATM address `addr`; returns its index.
    pub fn try_add_endpoint(&mut self, addr: AtmAddress) -> io::Result<usize> {
        // Bind the endpoint's own socket to a port the kernel picks, then map `addr` to it:
        // no window in which another process could take the port.
        let spec = EndpointSpec {
            bind: "127.0.0.1:0".parse().expect("a socket address"),
            atm: Some(addr),
            config: self.config.clone(),
            underlay: self.underlay.clone(),
        };
        let ep = BlockingEndpoint::bind(self.rt.clone(), spec)?;
        self.underlay.insert(addr, ep.raw().local_addr());
        self.eps.push(ep);
        Ok(self.eps.len() - 1)
    }

    /// As [`UdpNet::try_add_endpoint`]; panics if loopback cannot be bound (a broken test
    /// machine, not a network event).
    pub fn add_endpoint(&mut self, addr: AtmAddress) -> usize {
        self.try_add_endpoint(addr)
            .unwrap_or_else(|e| panic!("cannot bind a loopback endpoint for {addr}: {e}"))
    }

    /// Submit a request at endpoint `ep`.
    pub fn request(&mut self, ep: usize, req: VcRequest) {
        self.eps[ep].request(req);
    }

    /// The next event at endpoint `ep`, waiting at most `within`.
    pub fn next_event(&mut self, ep: usize, within: Duration) -> Option<VcEvent> {
        self.eps[ep].next_event(within)
    }

    /// Crash endpoint `ep`: it stops at once, sending nothing more.
    pub fn kill(&mut self, ep: usize) {
        self.eps[ep].kill();
    }

    /// Let `d` of real time pass (the network runs meanwhile).
    pub fn settle(&mut self, d: Duration) {
        self.rt.block_on(async move { tokio::time::sleep(d).await });
    }

    /// Endpoint `ep`'s counters.
    pub fn counters(&self, ep: usize) -> Counters {
        self.eps[ep].raw().counters()
    }
}
