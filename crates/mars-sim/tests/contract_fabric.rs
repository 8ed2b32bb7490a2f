//! The ATM service contract suite against the fabric, on a plain network and on one with
//! jitter, bandwidth limits and uneven latencies (still lossless, as the suite requires).

use std::time::Duration;

use mars_sim::contract::Bounds;
use mars_sim::{Fabric, LinkConfig};

mars_sim::contract_tests!(|| Fabric::new(1), Bounds::VIRTUAL_TIME);

mod jittery {
    use super::*;

    fn make() -> Fabric {
        let mut f = Fabric::new(2);
        f.set_default_link(LinkConfig {
            latency: Duration::from_millis(3),
            jitter: Duration::from_millis(20),
            loss: 0.0,
            bandwidth: Some(2_000_000),
        });
        f
    }

    mars_sim::contract_tests!(make, Bounds::VIRTUAL_TIME);
}

mod instant {
    use super::*;

    /// Zero latency everywhere: every ordering must still come from the queue's discipline.
    fn make() -> Fabric {
        let mut f = Fabric::new(3);
        f.set_default_link(LinkConfig::with_latency(Duration::ZERO));
        f
    }

    mars_sim::contract_tests!(make, Bounds::VIRTUAL_TIME);
}

#[test]
fn run_all_passes_too() {
    mars_sim::contract::run_all(|| Fabric::new(4), &Bounds::VIRTUAL_TIME);
}
