//! The ATM emulation over UDP: what `marsd` runs on between real hosts.
//!
//! Each emulated ATM endpoint is one UDP socket. Its signalling (Q.2931/Q.2971-like call and
//! party setup and clearing, with retransmission and duplicate suppression), per-VC sequence
//! numbers and liveness are the sans-IO [`Endpoint`]; a tokio [`driver`] owns the socket,
//! batches datagrams (`sendmmsg`) and runs one [`mars_proto::AtmUser`] engine per endpoint, or
//! exposes the raw [`mars_proto::VcRequest`]/[`mars_proto::VcEvent`] stream. The wire format
//! is specified in `docs/atm-emulation.md`; the datagram codec is [`mars_wire::emu`].
//!
//! The network gives the meaning of [`mars_proto::vc`] exactly: the engines cannot tell it
//! from the in-memory fabric.

mod batch;
pub mod config;
pub mod counters;
pub mod driver;
mod endpoint;
mod fsm;
mod inbound;
pub mod net;
mod peers;
pub mod transmit;
pub mod underlay;

pub use config::EndpointConfig;
pub use counters::Counters;
pub use driver::{BlockingEndpoint, EndpointSpec, EngineEndpoint, RawEndpoint};
pub use endpoint::Endpoint;
pub use net::UdpNet;
pub use transmit::Transmit;
pub use underlay::{embed_ipv4, extract_ipv4, Underlay};
