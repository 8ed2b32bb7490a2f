//! The MARS server (RFC 2022 §6, §8, Appendices A, E, F) as a sans-IO engine.
//!
//! One [`MarsServer`] is one ATM endpoint serving one cluster per configured layer 3 protocol
//! (§6: "all its mapping tables, CMIs, and control VCs MUST be managed within the context of
//! the mar$pro field"). It accepts point-to-point calls from cluster members and MCSs, roots
//! one ClusterControlVC and one ServerControlVC per protocol, and answers on the VC each
//! message arrived on.
//!
//! Module map: [`control_vc`] (leaves of the control VCs), `registration` (members and MCSs
//! joining and leaving the control VCs), `membership` (JOIN/LEAVE with hole punching),
//! `service` (MSERV/UNSERV, MIGRATE), `resolve` (REQUEST → MULTI/NAK, GROUPLIST,
//! REDIRECT_MAP, multi-part splitting), [`report`] (counters and events), [`state`] (the
//! observable state). Decisions taken where RFC 2022 is silent are in `docs/mars-server.md`.
//!
//! Every message the MARS sends is built afresh: `mar$pro` is the cluster's protocol (short
//! form SNAP octets zero, §4.3.2), `mar$hdrrsv` and the reserved bits of `mar$extoff` are zero
//! (§4.3.6, §10.1: "A sender MUST set these two bits to zero"), the checksum is computed
//! (§4.3.3), and no TLV is carried. Received header fields are never copied into replies.

pub mod control_vc;
mod membership;
mod registration;
pub mod remote;
pub mod report;
mod resolve;
mod service;
pub mod state;

use crate::hash::Map;
use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use mars_wire::llc::Payload;
use mars_wire::mars::{Join, MarsBody, MarsMessage, TlvVerdict};
use mars_wire::{AtmAddress, Csn, ProtoAddr, Protocol};

use self::control_vc::ControlVc;
use self::membership::update_from;
pub use self::report::{Discard, ServerEvent, ServerStats};
use crate::engine::AtmUser;
use crate::mars::db::{ClusterDb, Cmi};
use crate::time::{Instant, Timers};
use crate::vc::{Cause, VcEvent, VcId, VcRequest, DEFAULT_MAX_SDU};

/// Configuration of one MARS.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// This MARS's ATM address (the source of everything it sends).
    pub address: AtmAddress,
    /// This MARS's protocol address, used as the source of MARS_MIGRATE (§6.2.2); may be null.
    pub protocol_address: ProtoAddr,
    /// Layer 3 protocols served, one cluster each. Default: IPv4.
    pub protocols: Vec<Protocol>,
    /// The CMIs this MARS may allocate (RFC 2443 §2: disjoint from its peers').
    pub cmi_range: (Cmi, Cmi),
    /// MARS_REDIRECT_MAP interval (Appendix E: [1 min, 1 min, 2 min]).
    pub redirect_interval: Duration,
    /// Backup MARSs listed after this one in MARS_REDIRECT_MAP (§5.4.3).
    pub backups: Vec<AtmAddress>,
    /// Set `mar$redirf` bit 7 (hard redirect) in MARS_REDIRECT_MAP.
    pub redirect_hard: bool,
    /// Largest AAL5 SDU (LLC/SNAP header included) to send; MULTIs are split to fit (§5.1.1).
    pub max_sdu: usize,
    /// Drop messages whose source ATM address is not the calling party of their VC.
    pub verify_source: bool,
    /// Most point-to-point VCs accepted at once; further calls are refused with cause #47.
    pub max_vcs: usize,
    /// First local VC id this engine uses (so that a composite endpoint can give each inner
    /// engine its own id range).
    pub vc_id_base: u64,
    /// Initial Cluster and Server Sequence Numbers (§5.1.4.2: "The MARS is free to choose an
    /// initial value of CSN").
    pub initial_msn: u32,
}

impl ServerConfig {
    /// Defaults from the RFCs for a MARS at `address`.
    pub fn new(address: AtmAddress) -> Self {
        ServerConfig {
            address,
            protocol_address: ProtoAddr::NULL,
            protocols: vec![Protocol::IPV4],
            cmi_range: (1, u16::MAX),
            redirect_interval: Duration::from_secs(60),
            backups: Vec::new(),
            redirect_hard: true,
            max_sdu: DEFAULT_MAX_SDU,
            verify_source: true,
            max_vcs: 100_000,
            vc_id_base: 0,
            initial_msn: 0,
        }
    }
}

/// One layer 3 protocol's cluster: its database, control VCs and sequence numbers.
#[derive(Debug)]
pub struct Cluster {
    /// `mar$pro` of this cluster.
    pub pro: Protocol,
    /// The mapping database.
    pub db: ClusterDb,
    /// ClusterControlVC: every registered member is a leaf.
    pub ccvc: ControlVc,
    /// ServerControlVC: every registered MCS is a leaf.
    pub scvc: ControlVc,
    /// Cluster Sequence Number (§6.1.4).
    pub csn: Csn,
    /// Server Sequence Number (§6.2.5).
    pub ssn: Csn,
    /// Registration replies held until the leaf is on the control VC: endpoint → (VC to
    /// answer on, the registration message as received).
    pending: Map<Cmi, Vec<(VcId, Join)>>,
}

/// A point-to-point VC a client called us on.
#[derive(Debug, Clone, Copy)]
struct Caller {
    from: AtmAddress,
}

/// Timers of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    RedirectMap,
}

/// The MARS server engine.
#[derive(Debug)]
pub struct MarsServer {
    cfg: ServerConfig,
    clusters: Vec<Cluster>,
    callers: Map<VcId, Caller>,
    next_vc: u64,
    requests: VecDeque<VcRequest>,
    events: VecDeque<ServerEvent>,
    timers: Timers<Timer>,
    redirect_servers: Option<Vec<AtmAddress>>,
    stats: ServerStats,
    now: Instant,
}

impl MarsServer {
    /// A server starting at `now`; its first MARS_REDIRECT_MAP goes out one interval later.
    pub fn new(cfg: ServerConfig, now: Instant) -> Self {
        let clusters = cfg
            .protocols
            .iter()
            .map(|&pro| Cluster {
                pro,
                db: ClusterDb::new(cfg.cmi_range.0, cfg.cmi_range.1),
                ccvc: ControlVc::default(),
                scvc: ControlVc::default(),
                csn: Csn(cfg.initial_msn),
                ssn: Csn(cfg.initial_msn),
                pending: Map::default(),
            })
            .collect();
        let mut timers = Timers::default();
        timers.set(Timer::RedirectMap, now + cfg.redirect_interval);
        MarsServer {
            next_vc: cfg.vc_id_base,
            cfg,
            clusters,
            callers: Map::default(),
            requests: VecDeque::new(),
            events: VecDeque::new(),
            timers,
            redirect_servers: None,
            stats: ServerStats::default(),
            now,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// Counters, with the `marsStatRegMemGroups`/`marsStatRegMcsGroups` gauges computed now
    /// (in time linear in the number of groups and blocks).
    pub fn stats(&self) -> ServerStats {
        let mut s = self.stats.clone();
        let mem: u128 = self
            .clusters
            .iter()
            .map(|c| c.db.groups_with_members())
            .fold(0, u128::saturating_add);
        s.mars_stat_reg_mem_groups = u64::try_from(mem).unwrap_or(u64::MAX);
        s.mars_stat_reg_mcs_groups = self
            .clusters
            .iter()
            .map(|c| c.db.served_count() as u64)
            .sum();
        s
    }

    /// The clusters, one per protocol.
    pub fn clusters(&self) -> &[Cluster] {
        &self.clusters
    }

    /// The cluster for `pro`.
    pub fn cluster(&self, pro: Protocol) -> Option<&Cluster> {
        self.clusters.iter().find(|c| c.pro.key() == pro.key())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// Replace the server list of MARS_REDIRECT_MAP (RFC 2443 §2 orders it by SCSP Sender
    /// ID); `None` returns to "this MARS, then the configured backups".
    pub fn set_redirect_servers(&mut self, servers: Option<Vec<AtmAddress>>) {
        self.redirect_servers = servers;
    }

    /// Replace the configured backup list (e.g. on a configuration reload).
    pub fn set_backups(&mut self, backups: Vec<AtmAddress>) {
        self.cfg.backups = backups;
    }

    fn cluster_index(&self, pro: &Protocol) -> Option<usize> {
        self.clusters.iter().position(|c| c.pro.key() == pro.key())
    }

    fn alloc_vc(&mut self) -> VcId {
        let v = VcId::local(self.next_vc);
        self.next_vc += 1;
        v
    }

    fn request(&mut self, r: VcRequest) {
        self.requests.push_back(r);
    }

    fn discard(&mut self, vc: VcId, reason: Discard) {
        self.stats.count_discard(&reason);
        self.events.push_back(ServerEvent::Discarded { vc, reason });
    }

    /// A message of cluster `ci` with a fresh header (see the module docs).
    fn message(&self, ci: usize, body: MarsBody) -> MarsMessage {
        MarsMessage::new(self.clusters[ci].pro, body)
    }

    // ----- sending -----------------------------------------------------------------------

    fn count_tx(&mut self, body: &MarsBody) {
        let s = &mut self.stats;
        match body {
            MarsBody::Multi(_) => s.mars_stat_tx_multi_msgs += 1,
            MarsBody::GroupListReply(_) => s.mars_stat_tx_grp_lst_rply_msgs += 1,
            MarsBody::RedirectMap(_) => s.mars_stat_tx_redirect_map_msgs += 1,
            MarsBody::Migrate(_) => s.mars_stat_tx_migrate_msgs += 1,
            MarsBody::Nak(_) => s.mars_stat_tx_nak_msgs += 1,
            MarsBody::Join(_) => s.mars_stat_tx_join_msgs += 1,
            MarsBody::Leave(_) => s.mars_stat_tx_leave_msgs += 1,
            MarsBody::Sjoin(_) => s.mars_stat_tx_sjoin_msgs += 1,
            MarsBody::Sleave(_) => s.mars_stat_tx_sleave_msgs += 1,
            MarsBody::Mserv(_) => s.mars_stat_tx_mserv_msgs += 1,
            MarsBody::Unserv(_) => s.mars_stat_tx_unserv_msgs += 1,
            _ => {}
        }
    }

    fn transmit(&mut self, vc: VcId, msg: &MarsMessage) {
        self.count_tx(&msg.body);
        match msg.encode_sdu() {
            Ok(sdu) => self.request(VcRequest::Send {
                vc,
                sdu: Bytes::from(sdu),
            }),
            // Messages we build always encode; if one ever does not, dropping it is the
            // conservative choice (a client retransmits, a peer resynchronises).
            Err(e) => self.events.push_back(ServerEvent::Conflict {
                reason: format!("encode failed: {e}"),
            }),
        }
    }

    /// Send `body` on a point-to-point VC with the current CSN, or the SSN when it is for an
    /// MCS (§6.1.4: "The current CSN is copied into the mar$msn field of MARS messages being
    /// sent to cluster members, whether out ClusterControlVC or on a private VC"; §6.2.5).
    fn send_private(&mut self, ci: usize, vc: VcId, mut body: MarsBody, to_mcs: bool) {
        let c = &self.clusters[ci];
        set_msn(&mut body, if to_mcs { c.ssn } else { c.csn });
        if self.callers.contains_key(&vc) {
            let msg = self.message(ci, body);
            self.transmit(vc, &msg);
        }
    }

    /// Send `body` on ClusterControlVC: stamp the current CSN, then increment it (§6.1.4:
    /// "The MARS increments the CSN after every transmission of a message on
    /// ClusterControlVC"). Stamping before incrementing is what makes a private message sent
    /// afterwards (carrying the incremented CSN) reveal a missed ClusterControlVC message to
    /// its receiver (§5.1.4.2: `Seq.diff` is then 2). Nothing is sent, and the CSN does not
    /// move, while ClusterControlVC does not exist.
    fn send_ccvc(&mut self, ci: usize, mut body: MarsBody) {
        let c = &mut self.clusters[ci];
        let Some(vc) = c.ccvc.vc else { return };
        set_msn(&mut body, c.csn);
        c.csn = c.csn.next();
        let msg = self.message(ci, body);
        self.transmit(vc, &msg);
    }

    /// Send `body` on ServerControlVC with the SSN, then increment it (§6.2.5).
    fn send_scvc(&mut self, ci: usize, mut body: MarsBody) {
        let c = &mut self.clusters[ci];
        let Some(vc) = c.scvc.vc else { return };
        set_msn(&mut body, c.ssn);
        c.ssn = c.ssn.next();
        let msg = self.message(ci, body);
        self.transmit(vc, &msg);
    }

    // ----- receiving ---------------------------------------------------------------------

    fn on_sdu(&mut self, vc: VcId, sdu: &[u8]) {
        let Some(caller) = self.callers.get(&vc).copied() else {
            // Nothing arrives on a control VC (the MARS is root) or on a VC after its release
            // (contract rule 4): a driver mistake, counted.
            return self.discard(vc, Discard::UnknownVc);
        };
        match Payload::parse(sdu) {
            Ok(Payload::MarsControl(_)) => {}
            Ok(_) => return self.discard(vc, Discard::NotMarsControl),
            Err(e) => return self.discard(vc, Discard::Malformed(e)),
        }
        let msg = match MarsMessage::decode_sdu(sdu) {
            Ok(m) => m,
            Err(e) => return self.discard(vc, Discard::Malformed(e)),
        };
        // §6: "Messages that arrive with an empty ATM Number field are silently discarded
        // prior to any other processing by the MARS."
        let source = *msg.body.source();
        if source.number.is_null() {
            return self.discard(vc, Discard::NullSource);
        }
        // §10.3: "its TLV list MUST be parsed before handling the MARS message"; this MARS
        // recognises no TLV but the Null TLV, so Type.x decides (§10.2, Appendix D).
        if let Some(tlvs) = &msg.tlvs {
            let reason = match tlvs.verdict(|_| false) {
                TlvVerdict::Accept => None,
                TlvVerdict::DropSilently { tlv_type } => Some(Discard::Tlv {
                    tlv_type,
                    reported: false,
                }),
                TlvVerdict::DropAndReport { tlv_type } => Some(Discard::Tlv {
                    tlv_type,
                    reported: true,
                }),
            };
            if let Some(reason) = reason {
                return self.discard(vc, reason);
            }
        }
        // §6: "If a MARS receives messages with a mar$pro that it does not support, the
        // message is dropped."
        let Some(ci) = self.cluster_index(&msg.pro) else {
            return self.discard(vc, Discard::UnsupportedProtocol(msg.pro));
        };
        // Decision (docs/mars-server.md): the source must be the calling party of the VC, or
        // one client could register, join or deregister in another's name.
        if self.cfg.verify_source && source != caller.from {
            return self.discard(vc, Discard::SourceMismatch);
        }
        self.dispatch(ci, vc, msg);
    }

    fn dispatch(&mut self, ci: usize, vc: VcId, msg: MarsMessage) {
        match msg.body {
            MarsBody::Request(req) => {
                self.stats.mars_stat_rx_req_msgs += 1;
                self.on_request(ci, vc, req);
            }
            MarsBody::Join(j) => self.on_join_leave(ci, vc, false, j),
            MarsBody::Leave(j) => self.on_join_leave(ci, vc, true, j),
            MarsBody::Mserv(j) => self.on_mserv_unserv(ci, vc, false, j),
            MarsBody::Unserv(j) => self.on_mserv_unserv(ci, vc, true, j),
            MarsBody::GroupListRequest(j) => {
                self.stats.mars_stat_rx_grp_lst_req_msgs += 1;
                self.on_grouplist(ci, vc, j);
            }
            // MULTI, NAK, SJOIN, SLEAVE, GROUPLIST_REPLY, REDIRECT_MAP and MIGRATE only ever
            // flow from a MARS: one arriving here is a peer's mistake.
            other => {
                let op = other.op() as u8;
                self.discard(vc, Discard::UnexpectedOp(op));
            }
        }
    }

    fn on_incoming_call(&mut self, vc: VcId, from: AtmAddress, multipoint: bool) {
        if multipoint {
            // A MARS is never a leaf.
            self.stats.calls_refused += 1;
            self.request(VcRequest::Refuse {
                vc,
                cause: Cause::CALL_REJECTED,
            });
        } else if self.callers.len() >= self.cfg.max_vcs {
            self.stats.calls_refused += 1;
            self.request(VcRequest::Refuse {
                vc,
                cause: Cause::RESOURCE_UNAVAILABLE,
            });
        } else {
            self.callers.insert(vc, Caller { from });
            self.request(VcRequest::Accept { vc });
        }
    }

    fn on_released(&mut self, vc: VcId, cause: Cause) {
        if self.callers.remove(&vc).is_some() {
            for c in &mut self.clusters {
                for replies in c.pending.values_mut() {
                    replies.retain(|(v, _)| *v != vc);
                }
            }
            return;
        }
        // A control VC released by the network: every leaf is gone (§6.1.2: "If the MARS
        // receives an ERR_L_RELEASE on ClusterControlVC indicating that a cluster member has
        // disconnected, that member's ATM address MUST be removed from all groups for which
        // it may have joined, and the CMI released"). The next registration opens a new one.
        for ci in 0..self.clusters.len() {
            if self.clusters[ci].ccvc.is(vc) {
                for (cmi, leaf) in self.clusters[ci].ccvc.clear() {
                    self.leaf_gone(ci, false, cmi, leaf, cause);
                }
            } else if self.clusters[ci].scvc.is(vc) {
                for (id, leaf) in self.clusters[ci].scvc.clear() {
                    self.leaf_gone(ci, true, id, leaf, cause);
                }
            }
        }
    }

    fn on_redirect_timer(&mut self) {
        for ci in 0..self.clusters.len() {
            self.send_redirect_map(ci);
        }
        self.timers
            .set(Timer::RedirectMap, self.now + self.cfg.redirect_interval);
    }
}

impl AtmUser for MarsServer {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        self.now = now;
        match ev {
            VcEvent::IncomingCall {
                vc,
                from,
                multipoint,
            } => self.on_incoming_call(vc, from, multipoint),
            VcEvent::Connected { .. } => {}
            VcEvent::Released { vc, cause } => self.on_released(vc, cause),
            VcEvent::PartyAdded { vc, party } => self.on_party_added(vc, party),
            VcEvent::PartyDropped { vc, party, cause } => self.on_party_dropped(vc, party, cause),
            VcEvent::Received { vc, sdu } => self.on_sdu(vc, &sdu),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        for t in self.timers.expire(now) {
            match t {
                Timer::RedirectMap => self.on_redirect_timer(),
            }
        }
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.requests.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}

/// Set `mar$msn` on the operations that carry it.
fn set_msn(body: &mut MarsBody, msn: Csn) {
    match body {
        MarsBody::Request(_) | MarsBody::Nak(_) => {}
        MarsBody::Multi(b) => b.msn = msn,
        MarsBody::Mserv(b)
        | MarsBody::Join(b)
        | MarsBody::Leave(b)
        | MarsBody::Unserv(b)
        | MarsBody::Sjoin(b)
        | MarsBody::Sleave(b)
        | MarsBody::GroupListRequest(b) => b.msn = msn,
        MarsBody::GroupListReply(b) => b.msn = msn,
        MarsBody::RedirectMap(b) => b.msn = msn,
        MarsBody::Migrate(b) => b.msn = msn,
    }
}
