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
//! Fault tolerance (RFC 2149 §5): a group set may be given an "mcslist" ([`McsList`]), the
//! same ordered list of MCSs at every MCS of the list. Only the active MCS of a list serves
//! its groups, so there is still one registered MCS per group (RFC 2022 §6.2.3); the others
//! stand by, follow its HELLOs, and elect the next one when it fails. The protocol lives in
//! [`election`]; this module routes the inter-MCS VCs to it and serves the groups when it says
//! so. Every MCS registers itself with the MARS either way.

pub mod election;

use std::collections::VecDeque;

use bytes::Bytes;
use mars_wire::data::DataPacket;
use mars_wire::mcs_hello::McsHello;
use mars_wire::{AtmAddress, ProtoAddr};

pub use election::{
    Election, ElectionEvent, ElectionSnapshot, ElectionState, ElectionStats, McsList,
};

use crate::engine::AtmUser;
use crate::hash::Map;
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
    /// The groups to serve from the start (groups of an [`McsList`] are served only while
    /// this MCS is the active one of the list).
    pub groups: Vec<ProtoAddr>,
    /// RFC 2149 §5 mcslists, each with the groups it serves.
    pub mcslists: Vec<McsList>,
}

impl McsConfig {
    /// An MCS at `address` using the MARS table `mars` and serving `groups`.
    pub fn new(address: AtmAddress, mars: Vec<AtmAddress>, groups: Vec<ProtoAddr>) -> Self {
        let mut endpoint = EndpointConfig::new(address, mars);
        endpoint.timers.vc_idle = None;
        McsConfig {
            endpoint,
            groups,
            mcslists: Vec::new(),
        }
    }
}

/// The MCS engine. See the [module documentation](self).
#[derive(Debug)]
pub struct Mcs {
    ep: Endpoint,
    /// One election per mcslist (RFC 2149 §5).
    elections: Vec<Election>,
    /// VCs other MCSs of a list opened to us (HelloVCs, answers), by calling party.
    peer_vcs: Map<VcId, AtmAddress>,
    out: VecDeque<VcRequest>,
    election_events: VecDeque<(usize, ElectionEvent)>,
}

/// Where the VC ids of the elections start (far above the endpoint's own).
const ELECTION_VC_BASE: u64 = 1 << 42;

impl Mcs {
    /// An MCS starting at `now`; it begins registering at once and serves its configured
    /// groups once registered.
    pub fn new(cfg: McsConfig, now: Instant) -> Self {
        let mut ecfg = cfg.endpoint;
        ecfg.timers.vc_idle = None;
        let me = ecfg.address;
        let mut ep = Endpoint::new(ecfg, Role::Mcs, now);
        let elections: Vec<Election> = cfg
            .mcslists
            .into_iter()
            .enumerate()
            .map(|(i, l)| Election::new(l, &me, ELECTION_VC_BASE + ((i as u64) << 32), now))
            .collect();
        for g in cfg.groups {
            if elections.iter().any(|e| e.serves(&g)) {
                continue;
            }
            // A bad or duplicate group in the configuration is ignored here; `serve`
            // reports it to a caller.
            let _ = ep.join_range((g, g), false);
        }
        let mut m = Mcs {
            ep,
            elections,
            peer_vcs: Map::default(),
            out: VecDeque::new(),
            election_events: VecDeque::new(),
        };
        m.pump();
        m
    }

    /// The next election event, with the index of its list in the configuration.
    pub fn poll_election_event(&mut self) -> Option<(usize, ElectionEvent)> {
        self.election_events.pop_front()
    }

    /// The state of each mcslist's election, in configuration order.
    pub fn elections(&self) -> Vec<ElectionSnapshot> {
        self.elections.iter().map(Election::snapshot).collect()
    }

    /// Carry out what the elections asked, and tell a starting one when the MARS has
    /// confirmed its groups (§5.4: "After registering to support the group").
    fn pump(&mut self) {
        let now = self.ep.now;
        for i in 0..self.elections.len() {
            if self.elections[i].state() == ElectionState::Starting
                && self.elections[i].groups().iter().all(|g| self.is_served(g))
            {
                self.elections[i].served(now);
            }
            while let Some(o) = self.elections[i].poll_output() {
                match o {
                    election::Output::Vc(r) => self.out.push_back(r),
                    election::Output::Serve => {
                        for g in self.elections[i].groups().to_vec() {
                            // Already served (a bad configuration) is not an error here.
                            let _ = self.ep.join_range((g, g), false);
                        }
                    }
                    election::Output::Event(e) => {
                        if self.election_events.len() < self.ep.cfg.max_events {
                            self.election_events.push_back((i, e));
                        }
                    }
                }
            }
        }
    }

    fn is_served(&self, g: &ProtoAddr) -> bool {
        self.ep
            .memberships
            .iter()
            .any(|m| m.range == (*g, *g) && m.state == crate::mars::client::MemberState::Joined)
    }

    /// Route a VC event to an election if it concerns one; otherwise give it back.
    fn election_vc_event(&mut self, now: Instant, ev: VcEvent) -> Option<VcEvent> {
        let me = self.ep.cfg.address;
        match ev {
            VcEvent::IncomingCall { vc, from, .. }
                if from.number != me.number
                    && self.elections.iter().any(|e| e.has_member(&from)) =>
            {
                // §5.4: "The inactive MCS MUST terminate the HelloVC"; §5.5.1: the
                // candidate terminates the inactives' point-to-point VCs.
                self.peer_vcs.insert(vc, from);
                self.out.push_back(VcRequest::Accept { vc });
            }
            VcEvent::Received { vc, sdu } if self.peer_vcs.contains_key(&vc) => {
                let from = self.peer_vcs[&vc];
                self.on_hello(now, &from, &sdu);
            }
            VcEvent::Released { vc, .. } if self.peer_vcs.contains_key(&vc) => {
                if let Some(from) = self.peer_vcs.remove(&vc) {
                    for e in self.elections.iter_mut().filter(|e| e.has_member(&from)) {
                        e.peer_vc_closed(now, &from);
                    }
                }
            }
            ev => {
                let vc = ev.vc();
                let Some(e) = self.elections.iter_mut().find(|e| e.owns(vc)) else {
                    return Some(ev);
                };
                match ev {
                    VcEvent::Connected { vc } => e.connected(now, vc),
                    VcEvent::Released { vc, .. } => e.released(now, vc),
                    VcEvent::PartyAdded { vc, party } => e.party_added(now, vc, party),
                    VcEvent::PartyDropped { vc, party, .. } => e.party_dropped(now, vc, party),
                    _ => {}
                }
            }
        }
        None
    }

    /// A HELLO from list member `from`, for the list serving the group it names.
    fn on_hello(&mut self, now: Instant, from: &AtmAddress, sdu: &[u8]) {
        let decoded = McsHello::decode_sdu(sdu);
        let target = decoded.as_ref().ok().and_then(|h| {
            let g = ProtoAddr::from(h.group);
            self.elections
                .iter()
                .position(|e| e.serves(&g) && e.has_member(from))
        });
        match (decoded, target) {
            (Ok(h), Some(i)) => self.elections[i].hello(now, from, h),
            _ => {
                // Undecodable, or for no list of ours with that sender: counted, dropped.
                if let Some(e) = self.elections.iter_mut().find(|e| e.has_member(from)) {
                    e.bad_hello();
                }
            }
        }
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
        self.ep.now = now;
        let ev = if self.elections.is_empty() {
            Some(ev)
        } else {
            self.election_vc_event(now, ev)
        };
        if let Some(ev) = ev {
            if let Some((vc, sdu)) = self.ep.handle_vc_event(now, ev) {
                self.forward(vc, sdu);
            }
        }
        self.pump();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.ep.handle_timeout(now);
        for e in &mut self.elections {
            if e.poll_timeout().is_some_and(|t| t <= now) {
                e.handle_timeout(now);
            }
        }
        self.pump();
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.ep.poll_request().or_else(|| self.out.pop_front())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let e = self
            .elections
            .iter()
            .filter_map(Election::poll_timeout)
            .min();
        match (self.ep.poll_timeout(), e) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
