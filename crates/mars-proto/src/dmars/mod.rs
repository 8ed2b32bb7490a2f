//! Distributed MARS (RFC 2443): a MARS server kept consistent with the other servers of its
//! Logical IP Subnet by SCSP.
//!
//! A [`DistributedServer`] is one ATM endpoint running two engines on one address: the MARS
//! server of RFC 2022 (`mars::server`) for clients and MCSs, and an SCSP engine (`scsp`) for
//! the peer servers, with RFC 2443 as SCSP's client protocol ([`MarsScsp`]). Calls from the
//! configured peers belong to SCSP, all others to the MARS server; each VC's events go to the
//! engine that owns it.
//!
//! What flows between them:
//! - the server's own clients' changes ([`ServerEvent::Local`]) become CSA records
//!   ([`advertise`]) that SCSP floods to the group;
//! - records learned from peers ([`ScspEvent::Learned`]) rebuild each peer client's state
//!   ([`learn`]), which the server applies and propagates on its own control VCs;
//! - every `redirect_interval` the server re-originates its MARS Server Redirect Entry; the
//!   entries learned order MARS_REDIRECT_MAP and tell when a peer is gone: two missed updates
//!   and everything learned from that peer is flushed (§2, §5.1).
//!
//! Module map: [`protocol`] (the RFC 2443 values), [`advertise`] (cache keys and the
//! originator's records), [`learn`] (the receiver's reconstruction), `node` (this engine's
//! wiring, timers and decisions).

pub mod advertise;
pub mod learn;
mod node;
pub mod protocol;

pub use node::{
    DistributedConfig, DistributedConfigError, DistributedServer, DmarsEvent, DmarsSnapshot,
    PeerRow,
};
pub use protocol::MarsScsp;

#[allow(unused_imports)]
use crate::{mars::server::ServerEvent, scsp::ScspEvent};
