//! The shared ATM service contract suite (`mars_sim::contract`, the same 25 cases the fabric
//! passes) against the ATM emulation over UDP on loopback.

use std::time::Duration;

use mars_proto::{VcEvent, VcRequest};
use mars_sim::contract::{Bounds, ContractNet};
use mars_wire::AtmAddress;
use marsd::atm_udp::{EndpointConfig, UdpNet};

/// `UdpNet` behind the contract's trait, with liveness tightened so that a death is noticed
/// well inside `Bounds::REAL_TIME.death`.
struct Udp(UdpNet);

fn make() -> Udp {
    let config = EndpointConfig {
        keepalive_interval: Duration::from_millis(100),
        dead_factor: 3,
        ..EndpointConfig::default()
    };
    Udp(UdpNet::new(config).expect("a tokio runtime"))
}

impl ContractNet for Udp {
    type Ep = usize;

    fn add_endpoint(&mut self, addr: AtmAddress) -> usize {
        self.0.add_endpoint(addr)
    }

    fn request(&mut self, ep: usize, req: VcRequest) {
        self.0.request(ep, req);
    }

    fn next_event(&mut self, ep: usize, within: Duration) -> Option<VcEvent> {
        self.0.next_event(ep, within)
    }

    fn kill(&mut self, ep: usize) {
        self.0.kill(ep);
    }

    fn settle(&mut self, d: Duration) {
        self.0.settle(d);
    }

    fn misuse(&self, ep: usize) -> Option<u64> {
        Some(self.0.counters(ep).engine_misuse)
    }
}

mars_sim::contract_tests!(make, Bounds::REAL_TIME);
