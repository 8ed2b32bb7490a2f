//! The ATM emulation over UDP: what `marsd` runs on between real hosts.
//!
//! Each emulated ATM endpoint is one UDP socket. Its signalling (Q.2931/Q.2971-like call and
//! party setup and clearing, with retransmission and duplicate suppression), per-VC sequence
//! numbers and liveness are the sans-IO [`Endpoint`]; a tokio [`driver`] owns the socket,
//! batches datagrams out (`sendmmsg`), and runs one [`mars_proto::AtmUser`] engine per
//! endpoint or exposes the raw [`mars_proto::VcRequest`]/[`mars_proto::VcEvent`] streams.
//! The wire format is specified in `docs/atm-emulation.md`; the datagram codec is
//! [`mars_wire::emu`]. The network gives the meaning of [`mars_proto::vc`] exactly: engines
//! cannot tell it from the in-memory fabric.
//!
//! # Use
//!
//! The daemon builds one [`Underlay`] (RFC 4548 embedding plus the configured static map)
//! and spawns one [`EngineEndpoint`] per engine:
//!
//! ```no_run
//! # use std::collections::VecDeque;
//! # use mars_proto::{AtmUser, Instant, VcEvent, VcRequest};
//! # #[derive(Debug, Default)] struct Engine(VecDeque<VcRequest>);
//! # impl AtmUser for Engine {
//! #     fn handle_vc_event(&mut self, _: Instant, _: VcEvent) {}
//! #     fn handle_timeout(&mut self, _: Instant) {}
//! #     fn poll_request(&mut self) -> Option<VcRequest> { self.0.pop_front() }
//! #     fn poll_timeout(&self) -> Option<Instant> { None }
//! # }
//! # async fn run() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use marsd::atm_udp::{EndpointConfig, EndpointSpec, EngineEndpoint, Underlay, UnderlayConfig};
//!
//! let cfg: UnderlayConfig = serde_json::from_str(r#"{"entries": []}"#).unwrap();
//! let spec = EndpointSpec {
//!     bind: "192.0.2.1:5000".parse().unwrap(),
//!     atm: None, // 35.0001.C0000201138800000000.000000000000.00, by RFC 4548 embedding
//!     config: EndpointConfig::default(),
//!     underlay: Arc::new(Underlay::from(&cfg)),
//! };
//! let ep = EngineEndpoint::spawn(spec, |my_address| Engine::default()).await?;
//! // … later: counters for metrics, and the engine back on shutdown.
//! let _ = ep.counters();
//! let _engine = ep.stop().await;
//! # Ok(()) }
//! ```
//!
//! Tests use [`RawEndpoint`] (async), [`BlockingEndpoint`] or a whole [`UdpNet`]
//! (blocking, any ATM addresses, the shape of the contract suite's `ContractNet`). The
//! sans-IO [`Endpoint`] can be driven directly with virtual time.

mod batch;
pub mod config;
pub mod counters;
pub mod driver;
mod endpoint;
mod fsm;
mod inbound;
pub mod net;
mod outbox;
mod peers;
pub mod transmit;
pub mod underlay;

pub use config::EndpointConfig;
pub use counters::Counters;
pub use driver::{BlockingEndpoint, EndpointSpec, EngineEndpoint, RawEndpoint};
pub use endpoint::Endpoint;
pub use net::UdpNet;
pub use transmit::Transmit;
pub use underlay::{embed_ipv4, extract_ipv4, StaticEntry, Underlay, UnderlayConfig};
