//! The engine core shared by the MARS client and the MCS: one "layer 3 over ATM" interface
//! talking to a MARS (RFC 2022 §5, §7; RFC 2149 §4).
//!
//! An MCS "MUST establish and manage its outgoing point to multipoint VC as a cluster member
//! does (section 5.1)" (§7.3), tracks its sequence number the same way (§7.3) and "uses the
//! same approach to backup MARSs as a cluster member" (§7.4). So both engines are this core
//! with a [`Role`]; the role changes the registration and group messages (MARS_JOIN/LEAVE or
//! MARS_MSERV/UNSERV), which updates drive the outgoing VCs (MARS_JOIN/LEAVE on
//! ClusterControlVC or MARS_SJOIN/SLEAVE on ServerControlVC), and what happens to data.
//!
//! The core is split by concern, one `impl Endpoint` per file: `session` (registration, the
//! MARS table, failover), `redirect` (MARS_REDIRECT_MAP), `membership` (local groups and the
//! reliable JOIN/LEAVE), `resolve` (MARS_REQUEST/MULTI/NAK), `outgoing` (the transmit-side
//! VCs), `receive` (incoming VCs and control message dispatch).

use crate::hash::Map;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use mars_wire::mars::{MarsBody, MarsMessage, RedirF};
use mars_wire::{AtmAddress, ProtoAddr};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::config::EndpointConfig;
use super::deadline::Deadlines;
use super::membership::Membership;
use super::outgoing::OutGroup;
use super::reassembly::Reassembly;
use super::receive::InVc;
use super::reliable::Reliable;
use super::report::{ClientEvent, Counters, Discard};
use super::session::Session;
use crate::mars::range::Range;
use crate::time::Instant;
use crate::vc::{Cause, PartyId, VcEvent, VcId, VcRequest};

/// Which side of RFC 2022 an endpoint plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Role {
    /// A cluster member (§5): registers with MARS_JOIN, joins with MARS_JOIN/LEAVE, follows
    /// ClusterControlVC.
    Client,
    /// A multicast server (§7, RFC 2149): registers and serves with MARS_MSERV/UNSERV,
    /// follows ServerControlVC.
    Mcs,
}

/// The endpoint's timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKey {
    /// A wait before (re)connecting to the MARS ended (§5.4.1, §5.4.2).
    Reconnect,
    /// No MARS_REDIRECT_MAP within the limit (Appendix E).
    RedirectMiss,
    /// The point-to-point VC to the MARS may be idle (§5).
    MarsVcIdle,
    /// Retransmit the reliable message with this id (§5.2.2).
    Retransmit(u32),
    /// Retransmit the registration of a soft redirect (§5.4.3).
    SoftRetransmit,
    /// Staggered re-joins are due (§5.4.1).
    Rejoin,
    /// A group's MARS_REQUEST retransmission or MARS_MULTI part timeout (§5.1.1).
    Resolve(ProtoAddr),
    /// Set a group's VC_revalidate flag (§5.1.5).
    Revalidate(ProtoAddr),
    /// A group's outgoing VC may be idle (§5.1.3).
    VcIdle(ProtoAddr),
    /// Retry tagged leaves of a group's VC (§5.1.3).
    LeafRetry(ProtoAddr),
    /// A group's NAK hold-down ends (§5.1.1).
    Holddown(ProtoAddr),
    /// A multi-part MARS_REDIRECT_MAP timed out (§5.4.3).
    RedirectParts,
    /// A multi-part MARS_GROUPLIST_REPLY timed out (§5.3).
    GroupListParts,
}

/// The shared engine core. Public engines wrap it: [`super::MarsClient`] and
/// [`crate::mars::mcs::Mcs`].
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub cfg: EndpointConfig,
    pub role: Role,
    pub now: Instant,
    pub rng: ChaCha8Rng,
    out: VecDeque<VcRequest>,
    events: VecDeque<ClientEvent>,
    pub timers: Deadlines<TimerKey>,
    next_vc: u64,
    next_party: u32,
    pub counters: Counters,
    /// The association with the MARS.
    pub session: Session,
    /// JOIN/LEAVE (MSERV/UNSERV) waiting for their copies.
    pub reliable: Reliable,
    /// Groups joined (client) or served (MCS).
    pub memberships: Vec<Membership>,
    /// Outgoing VCs and resolutions, by group, ascending (the table H of Appendix A).
    pub groups: BTreeMap<ProtoAddr, OutGroup>,
    /// Our outgoing VCs → their group.
    pub out_vcs: Map<VcId, ProtoAddr>,
    /// Groups in NAK hold-down, until when (§5.1.1).
    pub holddown: BTreeMap<ProtoAddr, Instant>,
    /// Incoming VCs (leaf ends and control VCs).
    pub incoming: Map<VcId, InVc>,
    /// A MARS_REDIRECT_MAP being reassembled, with its `mar$redirf`.
    pub redirect_parts: Option<(Reassembly<AtmAddress>, RedirF)>,
    /// A MARS_GROUPLIST_REPLY being reassembled, for the block asked about.
    pub grouplist: Option<(Range, Reassembly<ProtoAddr>)>,
    /// Times the outstanding MARS_GROUPLIST_REQUEST was re-issued after a timeout.
    pub grouplist_retries: u32,
}

impl Endpoint {
    /// A new endpoint; it starts registering at once (its first request is a Connect).
    pub fn new(cfg: EndpointConfig, role: Role, now: Instant) -> Self {
        let session = Session::new(&cfg);
        let mut e = Endpoint {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            next_vc: cfg.vc_id_base,
            role,
            now,
            out: VecDeque::new(),
            events: VecDeque::new(),
            timers: Deadlines::default(),
            next_party: 0,
            counters: Counters::default(),
            session,
            reliable: Reliable::new(role == Role::Mcs),
            memberships: Vec::new(),
            groups: BTreeMap::new(),
            out_vcs: Map::default(),
            holddown: BTreeMap::new(),
            incoming: Map::default(),
            redirect_parts: None,
            grouplist: None,
            grouplist_retries: 0,
            cfg,
        };
        e.start_registration(super::report::RegistrationCause::Initial);
        e
    }

    // ----- outputs -------------------------------------------------------------------------

    /// Queue a request for the network.
    pub fn request(&mut self, r: VcRequest) {
        self.out.push_back(r);
    }

    /// The next request for the network.
    pub fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }

    /// Report an event (bounded: beyond `max_events` it is counted and dropped).
    pub fn event(&mut self, e: ClientEvent) {
        if self.events.len() >= self.cfg.max_events {
            self.counters.events_dropped += 1;
            return;
        }
        self.events.push_back(e);
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// Count and report a discard.
    pub fn discard(&mut self, vc: Option<VcId>, reason: Discard) {
        self.counters.discards += 1;
        match reason {
            Discard::Malformed(_) => self.counters.malformed += 1,
            Discard::Reflected => self.counters.reflected += 1,
            _ => {}
        }
        self.event(ClientEvent::Discarded { vc, reason });
    }

    /// A fresh id for a VC we open.
    pub fn alloc_vc(&mut self) -> VcId {
        let v = VcId::local(self.next_vc);
        self.next_vc += 1;
        v
    }

    /// A fresh party id (unique across our VCs, so an id is never reused while in use).
    pub fn alloc_party(&mut self) -> PartyId {
        self.next_party = self.next_party.wrapping_add(1);
        PartyId(self.next_party)
    }

    /// A uniformly random duration in `[lo, hi]` (the random delays of Appendix E).
    pub fn random(&mut self, (lo, hi): (Duration, Duration)) -> Duration {
        if hi <= lo {
            return lo;
        }
        let span = u64::try_from((hi - lo).as_nanos()).unwrap_or(u64::MAX);
        lo + Duration::from_nanos(self.rng.gen_range(0..=span))
    }

    /// Encode and send a MARS message on `vc`.
    pub fn transmit(&mut self, vc: VcId, msg: &MarsMessage) {
        // Messages this engine builds always encode; if one did not, sending nothing is the
        // conservative outcome (it is retransmitted or its exchange times out).
        if let Ok(sdu) = msg.encode_sdu() {
            self.request(VcRequest::Send {
                vc,
                sdu: Bytes::from(sdu),
            });
        }
    }

    /// A MARS message of this interface's protocol.
    pub fn message(&self, body: MarsBody) -> MarsMessage {
        MarsMessage::new(self.cfg.protocol, body)
    }

    // ----- inputs --------------------------------------------------------------------------

    /// One VC event. Data SDUs for the role-specific layer are returned to the caller.
    pub fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) -> Option<(VcId, Bytes)> {
        self.now = now;
        match ev {
            VcEvent::IncomingCall {
                vc,
                from,
                multipoint,
            } => self.on_incoming_call(vc, from, multipoint),
            VcEvent::Connected { vc } => self.on_connected(vc),
            VcEvent::Released { vc, cause } => self.on_released(vc, cause),
            VcEvent::PartyAdded { vc, party } => self.on_party_added(vc, party),
            VcEvent::PartyDropped { vc, party, cause } => self.on_party_dropped(vc, party, cause),
            VcEvent::Received { vc, sdu } => return self.on_received(vc, sdu),
        }
        None
    }

    fn on_connected(&mut self, vc: VcId) {
        if self.session.is_mars_vc(vc) {
            self.mars_vc_connected(vc);
        } else if self.session.is_soft_vc(vc) {
            self.soft_connected(vc);
        }
    }

    fn on_released(&mut self, vc: VcId, cause: Cause) {
        if self.session.is_mars_vc(vc) {
            self.mars_vc_released(cause);
        } else if self.session.is_soft_vc(vc) {
            self.soft_failed();
        } else if let Some(g) = self.out_vcs.get(&vc).copied() {
            self.out_vc_released(g);
        } else if let Some(inv) = self.incoming.remove(&vc) {
            if self.session.control_vc == Some(vc) {
                self.session.control_vc = None;
                self.control_vc_released(cause);
            }
            let _ = inv;
        }
    }

    /// Handle every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        while let Some(k) = self.timers.pop_due(now) {
            match k {
                TimerKey::Reconnect => self.on_reconnect_timer(),
                TimerKey::RedirectMiss => self.on_redirect_miss(),
                TimerKey::MarsVcIdle => self.on_mars_vc_idle(),
                TimerKey::Retransmit(id) => self.on_retransmit(id),
                TimerKey::SoftRetransmit => self.on_soft_retransmit(),
                TimerKey::Rejoin => self.on_rejoin_timer(),
                TimerKey::Resolve(g) => self.on_resolve_timer(g),
                TimerKey::Revalidate(g) => self.on_revalidate_timer(g),
                TimerKey::VcIdle(g) => self.on_vc_idle(g),
                TimerKey::LeafRetry(g) => self.on_leaf_retry(g),
                TimerKey::Holddown(g) => {
                    self.holddown.remove(&g);
                }
                TimerKey::RedirectParts => self.on_redirect_parts_timeout(),
                TimerKey::GroupListParts => self.on_grouplist_timeout(),
            }
        }
    }

    /// When the engine next wants [`Endpoint::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}
