//! # mars-proto
//!
//! Sans-IO protocol engines for the Distributed MARS service. Nothing here touches a socket, a
//! clock or a thread: engines take inputs (`now`, a VC event, a command, a timer expiry) and
//! produce outputs (VC requests, timers, events). The simulator, the conformance tests and the
//! daemon drive the same code.
//!
//! - [`vc`]: the ATM service contract (requests and events between engines and a network);
//! - [`time`]: instants and timer tables;
//! - [`scsp`]: the Server Cache Synchronization Protocol (RFC 2334), generic over the
//!   client/server protocol.

pub mod dmars;
pub mod engine;
pub mod hash;
pub mod mars;
pub mod scsp;
pub mod time;
pub mod vc;

pub use engine::AtmUser;
pub use time::Instant;
pub use vc::{Cause, PartyId, VcEvent, VcId, VcRequest};
