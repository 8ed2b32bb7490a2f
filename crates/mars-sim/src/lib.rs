//! # mars-sim
//!
//! The network dmars runs on in tests and simulations, and the yardstick for the one it runs
//! on in deployments:
//!
//! - [`fabric`]: a deterministic in-memory ATM network in virtual time — point-to-point and
//!   point-to-multipoint VCs, signalling with latency, seeded loss and jitter, partitions and
//!   endpoint crashes — implementing the [`mars_proto::vc`] contract exactly;
//! - [`sim`]: a harness that attaches sans-IO engines ([`mars_proto::AtmUser`]) to fabric
//!   endpoints and drives them in virtual time;
//! - [`pcap`]: SunATM (link type 123) capture of every SDU, readable by Wireshark and tcpdump;
//! - [`contract`]: the ATM service contract as a test suite, run against this fabric here and
//!   against the UDP emulation in `marsd`.

pub mod contract;
pub mod fabric;
pub mod pcap;
pub mod sim;
pub mod traffic;

pub use fabric::{
    EndpointCounters, EndpointId, Fabric, FabricConfig, FabricCounters, FabricError, LinkConfig,
    TraceDigest, VcLabel,
};
pub use sim::{Sim, SimEngine, SimError};

use mars_wire::{AtmAddr, AtmAddress};

/// A distinct NSAP address for test endpoint number `n`: the ICD-format prefix
/// `47.0005.80FFE1000000F21A3A3D`, an ESI holding `n`, selector 0.
pub fn test_address(n: u64) -> AtmAddress {
    let mut octets = [0u8; mars_wire::atm::NSAP_LEN];
    octets[..13].copy_from_slice(&[
        0x47, 0x00, 0x05, 0x80, 0xFF, 0xE1, 0x00, 0x00, 0x00, 0xF2, 0x1A, 0x3A, 0x3D,
    ]);
    octets[13..19].copy_from_slice(&n.to_be_bytes()[2..]);
    AtmAddress::new(AtmAddr::nsap(octets))
}
