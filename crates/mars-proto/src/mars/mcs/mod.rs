//! The Multicast Server (RFC 2022 §6.2, §7; RFC 2149 §3, §4) as a sans-IO engine.
//!
//! An [`Mcs`] registers with the MARS with MARS_MSERV (`register` set; RFC 2149 §4.1.1), is
//! added as a leaf of ServerControlVC, and then serves each configured group with a
//! MARS_MSERV `<G,G>` (§4.1.2), one outstanding at a time (§4.1.3). For each group it learns
//! the members with MARS_REQUEST (§4.2), keeps one point-to-multipoint VC to them updated by
//! MARS_SJOIN/SLEAVE (§4.4), tracks the Server Sequence Number and revalidates (§4.5), and
//! fails over to backup MARSs like a cluster member (§4.5.2, RFC 2022 §7.4).
//!
//! Data: senders' VCs to the MCS are accepted (it terminates them, §7.2); every SDU received
//! is examined for its group (§4.3: "Each incoming data AAL_SDU MUST be examined for
//! determining its recipient group") and forwarded unmodified on that group's VC — `pkt$cmi`
//! is kept, so members drop their own reflected packets (RFC 2022 §5.5.1). An SDU for a
//! group with no VC is dropped and the VC is resolved (§4.3: "MUST be silently dropped").
//! The VCs have no idle timer (§4.3: "A point-to-multipoint VC MUST NOT have an activity
//! timer associated with it").
//!
//! The multiple-MCS election protocol of RFC 2149 §5 is not implemented: one MCS per group,
//! as RFC 2022 §6.2.3 requires ("a system administrator MUST NOT allow more than one logical
//! MCS to register for a given group").

use bytes::Bytes;
use mars_wire::data::DataPacket;
use mars_wire::{AtmAddress, ProtoAddr};

use crate::engine::AtmUser;
use crate::mars::client::datapath::layer3_destination;
use crate::mars::client::endpoint::{Endpoint, Role};
use crate::mars::client::{
    ClientError, ClientEvent, Discard, EndpointConfig, EndpointState, McsStats,
};
use crate::time::Instant;
use crate::vc::{VcEvent, VcId, VcRequest};

/// Configuration of one MCS.
#[derive(Debug, Clone)]
pub struct McsConfig {
    /// Addresses, MARS table, timers and bounds (shared with the client). `timers.vc_idle`
    /// is ignored: an MCS's VCs have no idle timer.
    pub endpoint: EndpointConfig,
    /// The groups to serve from the start.
    pub groups: Vec<ProtoAddr>,
}

impl McsConfig {
    /// An MCS at `address` using the MARS table `mars` and serving `groups`.
    pub fn new(address: AtmAddress, mars: Vec<AtmAddress>, groups: Vec<ProtoAddr>) -> Self {
        let mut endpoint = EndpointConfig::new(address, mars);
        endpoint.timers.vc_idle = None;
        McsConfig { endpoint, groups }
    }
}

/// The MCS engine. See the [module documentation](self).
#[derive(Debug)]
pub struct Mcs {
    ep: Endpoint,
}

impl Mcs {
    /// An MCS starting at `now`; it begins registering at once and serves its configured
    /// groups once registered.
    pub fn new(cfg: McsConfig, now: Instant) -> Self {
        let mut ecfg = cfg.endpoint;
        ecfg.timers.vc_idle = None;
        let mut ep = Endpoint::new(ecfg, Role::Mcs, now);
        for g in cfg.groups {
            // A bad or duplicate group in the configuration is ignored here; `serve`
            // reports it to a caller.
            let _ = ep.join_range((g, g), false);
        }
        Mcs { ep }
    }

    /// Serve group `g` (MARS_MSERV `<g,g>`, RFC 2149 §4.1.2).
    pub fn serve(&mut self, now: Instant, g: ProtoAddr) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.join_range((g, g), false)
    }

    /// Stop serving group `g` (MARS_UNSERV); its VC is released once the MARS confirms.
    pub fn unserve(&mut self, now: Instant, g: ProtoAddr) -> Result<(), ClientError> {
        self.ep.now = now;
        self.ep.leave_range((g, g))
    }

    /// Deregister (MARS_UNSERV with `register` set, RFC 2149 §4.1.1).
    pub fn deregister(&mut self, now: Instant) {
        self.ep.now = now;
        self.ep.deregister();
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.ep.poll_event()
    }

    /// Counters (RFC 2417 `marsMcsStatTable` and more).
    pub fn stats(&self) -> McsStats {
        McsStats::from(&self.ep.counters)
    }

    /// A snapshot of the engine's state.
    pub fn state(&self) -> EndpointState {
        self.ep.snapshot()
    }

    /// Whether the MCS is registered now.
    pub fn is_registered(&self) -> bool {
        self.ep.session.registered()
    }

    /// The group a data SDU is for: its layer 3 destination, or the only group served (the
    /// "simplest MCS architecture", RFC 2149 §3.2).
    fn group_of(&self, sdu: &[u8]) -> Result<Option<ProtoAddr>, Discard> {
        let p = DataPacket::decode_sdu(sdu).map_err(Discard::Malformed)?;
        if let Some(g) = layer3_destination(p.pro(), p.payload()) {
            return Ok(Some(g));
        }
        let mut served = self
            .ep
            .memberships
            .iter()
            .filter(|m| m.state != crate::mars::client::MemberState::Leaving);
        match (served.next(), served.next()) {
            (Some(m), None) => Ok(Some(m.range.0)),
            _ => Ok(None),
        }
    }

    /// Forward one data SDU received from a sender (RFC 2149 §4.3).
    fn forward(&mut self, vc: VcId, sdu: Bytes) {
        let g = match self.group_of(&sdu) {
            Ok(Some(g)) => g,
            Ok(None) => return self.ep.discard(Some(vc), Discard::UnknownFraming),
            Err(d) => return self.ep.discard(Some(vc), d),
        };
        if !self.ep.is_joined(&g) {
            return self.ep.discard(Some(vc), Discard::NotJoined(g));
        }
        if self.ep.transmit_data(g, sdu, false) {
            self.ep.counters.forwarded += 1;
        }
    }
}

impl AtmUser for Mcs {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        if let Some((vc, sdu)) = self.ep.handle_vc_event(now, ev) {
            self.forward(vc, sdu);
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
