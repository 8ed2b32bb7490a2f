//! The MARS client (RFC 2022 §5) as a sans-IO engine: one [`MarsClient`] is one "layer 3 over
//! ATM" interface of a host or router, registered with one MARS at a time.
//!
//! What it does, by RFC section:
//! - registration and deregistration with retransmission (§5.2.3), failover to backup MARSs
//!   with the looping guard (§5.4, Appendix E), MARS_REDIRECT_MAP and hard/soft redirects
//!   (§5.4.3) — `session`, `redirect`;
//! - JOIN/LEAVE of groups and blocks, retransmitted until their copy returns (§5.2.1,
//!   §5.2.2), `layer3grp` (§5.3) — `membership`, `reliable`;
//! - Cluster Sequence Number tracking and revalidation (§5.1.4.2, §5.1.5) — `session`,
//!   `outgoing`;
//! - resolution (MARS_REQUEST, multi-part MARS_MULTI, MARS_NAK and its hold-down, §5.1.1,
//!   §5.1.2) and MARS_GROUPLIST (§5.3) — `resolve`, `reassembly`;
//! - one outgoing point-to-multipoint VC per group, leaves following MARS_JOIN/LEAVE
//!   (§5.1.3, §5.1.4, Appendix A), MARS_MIGRATE (§5.1.6), idle timeout — `outgoing`;
//! - the data path: Type #1 on transmit, Type #1/#2 on receive, reflection filter (§5.5) —
//!   [`datapath`].
//!
//! The engine speaks to the network only through [`VcRequest`]/[`VcEvent`] ([`AtmUser`]);
//! the host drives it with commands ([`MarsClient::join`], [`MarsClient::send`], …) and reads
//! [`ClientEvent`]s, among them every datagram received ([`ClientEvent::Delivered`]).
//! See `docs/mars-client.md` for the decisions taken where the RFC is silent.

mod config;
pub mod datapath;
mod deadline;
pub(crate) mod endpoint;
mod membership;
pub(crate) mod outgoing;
mod reassembly;
mod receive;
mod redirect;
mod reliable;
pub mod report;
mod resolve;
pub(crate) mod session;
mod state;

use bytes::Bytes;
use mars_wire::{ProtoAddr, Protocol};

pub use self::config::{ClientConfig, EndpointConfig, TimerConfig};
pub use self::endpoint::Role;
pub use self::membership::{MemberState, Membership};
pub use self::outgoing::LeafState;
pub use self::receive::InVc;
pub use self::reliable::Purpose;
pub use self::report::{
    ClientError, ClientEvent, ClientStats, Counters, Delivery, Discard, FailureReason, McsStats,
    ReassemblyError, RegistrationCause,
};
pub use self::session::{MarsVc, RegState};
pub use self::state::{EndpointState, MibRegistration, OutVcState};

use self::endpoint::Endpoint;
use crate::engine::AtmUser;
use crate::time::Instant;
use crate::vc::{VcEvent, VcId, VcRequest};

/// A MARS client engine. See the [module documentation](self).
#[derive(Debug)]
pub struct MarsClient {
    ep: Endpoint,
}

impl MarsClient {
    /// A client starting at `now`; it begins registering with the first MARS of the table at
    /// once (its first request is a Connect to it).
    pub fn new(cfg: ClientConfig, now: Instant) -> Self {
        MarsClient {
            ep: Endpoint::new(cfg, Role::Client, now),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.ep.cfg
    }

    /// The next event for the host.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.ep.poll_event()
    }

    /// Counters (RFC 2417 `marsClientStatTable` and more).
    pub fn stats(&self) -> ClientStats {
        ClientStats::from(&self.ep.counters)
    }

    /// A snapshot of the engine's state.
    pub fn state(&self) -> EndpointState {
        self.ep.snapshot()
    }

    /// The CMI, once registered (§5.2.3).
    pub fn cmi(&self) -> Option<u16> {
        self.ep
            .session
            .ever_registered
            .then_some(self.ep.session.cmi)
    }

    /// Whether the client is registered now.
    pub fn is_registered(&self) -> bool {
        self.ep.session.registered()
    }

    /// Join group `g` for the local layer 3 entity (JoinLocalGroup: a `<g,g>` MARS_JOIN with
    /// `layer3grp` set, §5.2.1.1). Sent at once if registered, else on registration.
    pub fn join(&mut self, now: Instant, g: ProtoAddr) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.join_range((g, g), true)
    }

    /// Join group `g` for the interface's own reasons (`layer3grp` reset, §5.2.1).
    pub fn join_unlisted(&mut self, now: Instant, g: ProtoAddr) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.join_range((g, g), false)
    }

    /// Join the block `min..=max` (a router, §8.2, §8.4; `layer3grp` reset). Blocks of two or
    /// more groups may not overlap one another (§5.2).
    pub fn join_block(
        &mut self,
        now: Instant,
        min: ProtoAddr,
        max: ProtoAddr,
    ) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.join_range((min, max), false)
    }

    /// Leave group `g` (LeaveLocalGroup).
    pub fn leave(&mut self, now: Instant, g: ProtoAddr) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.leave_range((g, g))
    }

    /// Leave the block `min..=max`, exactly as joined.
    pub fn leave_block(
        &mut self,
        now: Instant,
        min: ProtoAddr,
        max: ProtoAddr,
    ) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.leave_range((min, max))
    }

    /// Send the layer 3 `packet` to group `g` (§5.1): on the group's VC if it is up, else
    /// queued while the VC is resolved and set up. A group the MARS says is empty drops it
    /// silently (§5.1.1), reported as [`Discard::NoPath`].
    pub fn send(&mut self, now: Instant, g: ProtoAddr, packet: &[u8]) -> Result<(), ClientError> {
        self.ep.now = now;
        let cmi = self.cmi().ok_or(ClientError::NotRegistered)?;
        let pro = self.ep.cfg.protocol;
        if packet.len() + datapath::overhead(pro) > self.ep.cfg.max_sdu {
            return Err(ClientError::TooLarge);
        }
        let sdu = datapath::encapsulate(cmi, pro, packet);
        if self.ep.cfg.loopback && self.ep.is_joined(&g) {
            self.ep.counters.delivered += 1;
            self.ep.event(ClientEvent::Delivered(Delivery {
                group: Some(g),
                pro,
                source_cmi: Some(cmi),
                vc: VcId::local(0),
                packet: Bytes::copy_from_slice(packet),
            }));
        }
        self.ep.transmit_data(g, sdu, true);
        Ok(())
    }

    /// Ask the MARS which groups of `min..=max` have layer 3 members (MARS_GROUPLIST_REQUEST,
    /// §5.3); the answer is a [`ClientEvent::GroupList`].
    pub fn group_list(
        &mut self,
        now: Instant,
        min: ProtoAddr,
        max: ProtoAddr,
    ) -> Result<(), ClientError> {
        self.ep.now = now;
        if !self.ep.session.registered() {
            return Err(ClientError::NotRegistered);
        }
        self.ep.grouplist_retries = 0;
        self.ep.grouplist_request((min, max));
        Ok(())
    }

    /// Deregister from the MARS (§5.2.3); completes with [`ClientEvent::Deregistered`].
    pub fn deregister(&mut self, now: Instant) {
        self.ep.now = now;
        self.ep.deregister();
    }

    /// The protocol of this interface.
    pub fn protocol(&self) -> Protocol {
        self.ep.cfg.protocol
    }

    /// A received data SDU: deliver it unless it is our own reflection or for a group not
    /// joined.
    fn deliver(&mut self, vc: VcId, sdu: &Bytes) {
        let r = match datapath::decapsulate(sdu) {
            Ok(r) => r,
            Err(e) => return self.ep.discard(Some(vc), Discard::Malformed(e)),
        };
        if let Some(cmi) = r.cmi {
            if self.ep.session.ever_registered && cmi == self.ep.session.cmi {
                return self.ep.discard(Some(vc), Discard::Reflected);
            }
        }
        let group = datapath::layer3_destination(r.pro, &r.packet);
        if let Some(g) = group {
            if !self.ep.is_joined(&g) {
                return self.ep.discard(Some(vc), Discard::NotJoined(g));
            }
        }
        self.ep.counters.delivered += 1;
        self.ep.event(ClientEvent::Delivered(Delivery {
            group,
            pro: r.pro,
            source_cmi: r.cmi,
            vc,
            packet: r.packet,
        }));
    }
}

impl AtmUser for MarsClient {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        if let Some((vc, sdu)) = self.ep.handle_vc_event(now, ev) {
            self.deliver(vc, &sdu);
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.ep.handle_timeout(now);
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.ep.poll_request()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.ep.poll_timeout()
    }
}
