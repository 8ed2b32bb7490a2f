//! The distributed server's wiring: one endpoint, two engines, the RFC 2443 timers.
//!
//! # Peers added and removed while running
//! [`DistributedServer::add_peer`], [`DistributedServer::remove_peer`] and
//! [`DistributedServer::replace_peer`] change the SCSP engine's DCSs (`scsp::live`) and keep
//! this layer's bookkeeping right. The peer bookkeeping is by originator (SCSP ID), learned
//! from the records themselves, not by DCS: a server may be reached through another DCS. So
//! removing a peer's DCS:
//! - takes the peer **out of MARS_REDIRECT_MAP at once** — it is no longer expected to send
//!   redirect entries, and this server's clients should not fail over to a server it was just
//!   told to leave. Should its redirect entry arrive again (it is still in the group, through
//!   another DCS), it is listed again like a new peer (`PeerAlive`);
//! - **keeps its clients' records** (in the SCSP cache and the database): they are the
//!   group's state. They go by the normal rules — superseded by newer records, or flushed
//!   with everything else learned from that server two redirect intervals (plus grace) after
//!   its last redirect update, exactly as if it had died ([`DmarsEvent::Flushed`]); the flush
//!   deadline is not moved;
//! - lets start-up end if the removed peer was the last one not aligned.
//!
//! A peer is matched to the removed DCS by its address (RFC 2443 runs MARS and SCSP on one ATM
//! address, so the redirect entry's address is the DCS's), or by its SCSP ID (configured, or
//! learned from its Hellos) unless another DCS still has that ID.
//! [`DmarsEvent::PeerRemoved`] reports it; re-addressing ([`DistributedServer::replace_peer`])
//! unlists the old address, and the peer's next redirect entry lists the new one (a peer
//! restarted at the same address with new settings stays listed). Calls and SDUs from a
//! removed peer are refused and counted by the SCSP engine (they are not taken for client
//! calls).

use crate::hash::Map;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use mars_wire::dmars::{CsaState, MarsCsa};
use mars_wire::scsp::{CacheKey, ScspId};
use mars_wire::AtmAddress;

use super::advertise::{self, Advertiser, REDIRECT_KEY};
use super::learn::{Applied, Learner};
use super::protocol::MarsScsp;
use crate::engine::AtmUser;
use crate::mars::db::Cmi;
use crate::mars::server::{MarsServer, ServerConfig, ServerEvent};
use crate::scsp::{
    ConfigError, DcsConfig, DcsRef, DcsStatus, ScspConfig, ScspEngine, ScspError, ScspEvent,
};
use crate::time::{Instant, Timers};
use crate::vc::{Cause, VcEvent, VcId, VcRequest};

/// Local VC ids of the SCSP engine start here; the MARS server's start at 0.
const SCSP_VC_BASE: u64 = 1 << 40;

/// Configuration of one server of a distributed MARS.
#[derive(Debug, Clone)]
pub struct DistributedConfig {
    /// The MARS server (its address, CMI range, backups, ...). Its ATM address is also the
    /// SCSP endpoint's.
    pub server: ServerConfig,
    /// The SCSP engine (this server's SCSP ID, its peers (DCSs) with timers and keys, ...).
    pub scsp: ScspConfig,
    /// Server Group ID: the LIS (RFC 2443 §2).
    pub server_group_id: u16,
    /// How often this server re-originates its MARS Server Redirect Entry (RFC 2443 §2: "at
    /// least every 2 minutes, it is RECOMMENDED that it is updated every 1 minute"). Every
    /// server of a group must use the same value: a peer is flushed after two of *our*
    /// intervals without an update from it.
    pub redirect_interval: Duration,
    /// Slack on top of two intervals before a silent peer is flushed (propagation delay).
    pub flush_grace: Duration,
    /// How long a leave/deregister record (a tombstone) learned from a peer stays cached.
    pub tombstone_hold: Duration,
    /// How long start-up lasts at most: the CMI ranges learned from the peers are checked
    /// against ours until every peer is aligned or this passes.
    pub startup_hold: Duration,
}

impl DistributedConfig {
    /// RFC defaults around `server` and `scsp`.
    pub fn new(server: ServerConfig, scsp: ScspConfig, server_group_id: u16) -> Self {
        DistributedConfig {
            server,
            scsp,
            server_group_id,
            redirect_interval: Duration::from_secs(60),
            flush_grace: Duration::from_secs(15),
            tombstone_hold: Duration::from_secs(600),
            startup_hold: Duration::from_secs(30),
        }
    }
}

/// A configuration the distributed server cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DistributedConfigError {
    /// RFC 2443 §2: "each server MUST update it's MARS Server Redirect Entry state at least
    /// every 2 minutes".
    #[error("redirect_interval {0:?} is longer than the 2 minutes RFC 2443 §2 allows")]
    RedirectInterval(Duration),
    /// The redirect interval must be positive.
    #[error("redirect_interval must be positive")]
    ZeroInterval,
    /// The SCSP part is invalid.
    #[error(transparent)]
    Scsp(#[from] ConfigError),
}

/// What the distributed server reports (besides its two engines' own events).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum DmarsEvent {
    /// Start-up is over: aligned with every peer (or the start-up hold passed) without a
    /// CMI range conflict. Clients are served from the start; this marks the point after
    /// which a conflict no longer stops the server.
    Ready,
    /// A peer's CMI lies in this server's configured range (RFC 2443 §2 requires disjoint
    /// ranges). Before [`DmarsEvent::Ready`] this stops the server: it refuses every client
    /// call from then on (and the daemon exits with the message of
    /// [`DmarsSnapshot::fatal`]).
    CmiRangeConflict {
        peer: u32,
        cmi: Cmi,
        range: (Cmi, Cmi),
    },
    /// A peer's MARS Server Redirect Entry arrived for the first time (or after a flush).
    PeerAlive { peer: u32, address: String },
    /// A peer missed two redirect updates: everything learned from it was flushed.
    Flushed {
        peer: u32,
        endpoints: usize,
        records: usize,
    },
    /// A peer client's state was applied, removed or refused.
    PeerClient {
        peer: u32,
        cmi: Cmi,
        mcs: bool,
        what: String,
    },
    /// Records this server could not originate (no free cache key, SCSP refused, ...).
    OriginationFailed { reason: String },
    /// A peer (DCS) was removed from this server ([`DistributedServer::remove_peer`]); the
    /// server it leads to, if known, left MARS_REDIRECT_MAP. Its clients stay until flushed
    /// or superseded.
    PeerRemoved {
        /// The DCS's address.
        address: String,
        /// The server's SCSP ID, when known.
        peer: Option<u32>,
    },
    /// A peer (DCS) was added to this server ([`DistributedServer::add_peer`]).
    PeerAdded {
        /// The DCS's address.
        address: String,
        /// Its DCS index.
        dcs: usize,
    },
}

/// One peer server as this server sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerRow {
    /// Its SCSP ID.
    pub id: u32,
    /// Its MARS address, from its redirect entry.
    pub address: Option<String>,
    /// Seconds since its redirect entry was last updated.
    pub last_redirect_age_s: Option<f64>,
    /// Clients of it known here.
    pub clients: usize,
}

/// A snapshot for operators.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DmarsSnapshot {
    /// Whether start-up (the CMI range check against the peers) is over.
    pub ready: bool,
    /// Refusing to serve because of a configuration conflict.
    pub fatal: Option<String>,
    /// Peer servers.
    pub peers: Vec<PeerRow>,
    /// The MARS_REDIRECT_MAP server list.
    pub redirect_map: Vec<String>,
    /// Own clients advertised.
    pub advertised_clients: usize,
    /// Peers' clients known.
    pub learned_clients: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Redirect,
    FlushCheck,
    Collect,
    StartupHold,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Mars,
    Scsp,
}

#[derive(Debug, Clone)]
struct Peer {
    address: Option<AtmAddress>,
    last: Instant,
}

/// One server of a distributed MARS (RFC 2443) on one ATM endpoint.
#[derive(Debug)]
pub struct DistributedServer {
    cfg: DistributedConfig,
    server: MarsServer,
    scsp: ScspEngine<MarsScsp>,
    local_id: u32,
    advertiser: Advertiser,
    learner: Learner,
    peers: BTreeMap<u32, Peer>,
    owners: Map<VcId, Owner>,
    timers: Timers<Timer>,
    requests: VecDeque<VcRequest>,
    events: VecDeque<DmarsEvent>,
    server_events: VecDeque<ServerEvent>,
    scsp_events: VecDeque<ScspEvent>,
    ready: bool,
    fatal: Option<String>,
    now: Instant,
}

fn id_u32(id: &ScspId) -> u32 {
    id.to_u32().unwrap_or(0)
}

impl DistributedServer {
    /// A server starting at `now`. SCSP starts at once; clients are served once aligned with
    /// the peers (or after `startup_hold`).
    pub fn new(cfg: DistributedConfig, now: Instant) -> Result<Self, DistributedConfigError> {
        if cfg.redirect_interval > Duration::from_secs(120) {
            return Err(DistributedConfigError::RedirectInterval(
                cfg.redirect_interval,
            ));
        }
        if cfg.redirect_interval.is_zero() {
            return Err(DistributedConfigError::ZeroInterval);
        }
        let mut scfg = cfg.scsp.clone();
        scfg.vc_id_base = SCSP_VC_BASE;
        scfg.address = cfg.server.address;
        let mut mcfg = cfg.server.clone();
        mcfg.vc_id_base = 0;
        let client = MarsScsp {
            server_group_id: cfg.server_group_id,
        };
        let scsp = ScspEngine::new(scfg, client, now)?;
        let local_id = id_u32(&cfg.scsp.local_id);
        let mut timers = Timers::default();
        timers.set(Timer::Redirect, now);
        timers.set(Timer::Collect, now + cfg.tombstone_hold);
        let ready = cfg.scsp.dcs.is_empty();
        if !ready {
            timers.set(Timer::StartupHold, now + cfg.startup_hold);
        }
        let mut s = DistributedServer {
            server: MarsServer::new(mcfg, now),
            scsp,
            local_id,
            advertiser: Advertiser::default(),
            learner: Learner::default(),
            peers: BTreeMap::new(),
            owners: Map::default(),
            timers,
            requests: VecDeque::new(),
            events: VecDeque::new(),
            server_events: VecDeque::new(),
            scsp_events: VecDeque::new(),
            ready: false,
            fatal: None,
            now,
            cfg,
        };
        if ready {
            s.become_ready();
        }
        s.update_redirect_map();
        s.pump();
        Ok(s)
    }

    /// The MARS server engine.
    pub fn server(&self) -> &MarsServer {
        &self.server
    }

    /// The MARS server engine, for configuration changes (backups, ...).
    pub fn server_mut(&mut self) -> &mut MarsServer {
        &mut self.server
    }

    /// The SCSP engine.
    pub fn scsp(&self) -> &ScspEngine<MarsScsp> {
        &self.scsp
    }

    /// The SCSP engine, for keying changes. Add and remove peers with
    /// [`DistributedServer::add_peer`] and [`DistributedServer::remove_peer`], which keep this
    /// layer's bookkeeping right.
    pub fn scsp_mut(&mut self) -> &mut ScspEngine<MarsScsp> {
        &mut self.scsp
    }

    /// Add a peer server (a DCS) while running; returns its DCS index. It is called (or
    /// awaited) and aligned like the peers configured at start.
    pub fn add_peer(&mut self, now: Instant, dcs: DcsConfig) -> Result<usize, ScspError> {
        self.now = now;
        let address = dcs.address;
        let i = self.scsp.add_dcs(now, dcs)?;
        self.events.push_back(DmarsEvent::PeerAdded {
            address: address.to_string(),
            dcs: i,
        });
        self.pump();
        Ok(i)
    }

    /// Remove a peer server (a DCS) while running. Its VC is released; the server it leads
    /// to leaves MARS_REDIRECT_MAP at once (until a redirect entry of it arrives again,
    /// through another peer); its clients' records stay until superseded or flushed by the
    /// normal rule (two redirect intervals plus grace after its last redirect update). Returns
    /// the DCS's state just before.
    pub fn remove_peer(
        &mut self,
        now: Instant,
        which: impl Into<DcsRef>,
    ) -> Result<DcsStatus, ScspError> {
        self.now = now;
        let st = self.scsp.remove_dcs(now, which)?;
        self.peer_gone(&st);
        self.pump();
        Ok(st)
    }

    /// Replace a peer: re-address it, or restart it with new settings at the same address
    /// (see `ScspEngine::replace_dcs`). An old address is handled as a removal; a restart at
    /// the same address keeps the peer's bookkeeping. Returns the new DCS index.
    pub fn replace_peer(
        &mut self,
        now: Instant,
        which: impl Into<DcsRef>,
        dcs: DcsConfig,
    ) -> Result<usize, ScspError> {
        self.now = now;
        let which = which.into();
        let i = match which {
            DcsRef::Index(i) => i,
            DcsRef::Address(a) => self.scsp.dcs_index(&a).ok_or(ScspError::NoDcsAt(a))?,
        };
        let st = self.scsp.dcs_status(i).ok_or(ScspError::NoSuchDcs(i))?;
        let address = dcs.address;
        let j = self.scsp.replace_dcs(now, i, dcs)?;
        if st.address != address {
            self.peer_gone(&st);
            self.events.push_back(DmarsEvent::PeerAdded {
                address: address.to_string(),
                dcs: j,
            });
        }
        self.pump();
        Ok(j)
    }

    /// The bookkeeping of a removed DCS (see the module documentation).
    fn peer_gone(&mut self, st: &DcsStatus) {
        let still = |me: &Self, id: u32| {
            me.scsp.dcs_indices().any(|j| {
                me.scsp
                    .dcs_status(j)
                    .and_then(|d| d.id)
                    .is_some_and(|d| id_u32(&d) == id)
            })
        };
        let by_id = st.id.as_ref().map(id_u32);
        let ids: Vec<u32> = self
            .peers
            .iter()
            .filter(|(&id, p)| {
                p.address == Some(st.address) || (Some(id) == by_id && !still(self, id))
            })
            .map(|(&id, _)| id)
            .collect();
        let mut unlisted = false;
        for id in &ids {
            if let Some(p) = self.peers.get_mut(id) {
                unlisted |= p.address.take().is_some();
            }
        }
        if unlisted {
            self.update_redirect_map();
        }
        self.events.push_back(DmarsEvent::PeerRemoved {
            address: st.address.to_string(),
            peer: by_id.or(ids.first().copied()),
        });
        if !self.ready && self.all_aligned() {
            self.become_ready();
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DistributedConfig {
        &self.cfg
    }

    /// This server's own events.
    pub fn poll_event(&mut self) -> Option<DmarsEvent> {
        self.events.pop_front()
    }

    /// The MARS server's events (after this layer has acted on them).
    pub fn poll_server_event(&mut self) -> Option<ServerEvent> {
        self.server_events.pop_front()
    }

    /// The SCSP engine's events (after this layer has acted on them).
    pub fn poll_scsp_event(&mut self) -> Option<ScspEvent> {
        self.scsp_events.pop_front()
    }

    /// Whether start-up (the CMI range check against the peers) is over.
    pub fn is_ready(&self) -> bool {
        self.ready
    }

    /// A snapshot for operators.
    pub fn snapshot(&self) -> DmarsSnapshot {
        let mut clients: Map<u32, usize> = Map::default();
        for (o, _) in self.learner.cmis() {
            *clients.entry(o).or_default() += 1;
        }
        DmarsSnapshot {
            ready: self.ready,
            fatal: self.fatal.clone(),
            peers: self
                .peers
                .iter()
                .map(|(&id, p)| PeerRow {
                    id,
                    address: p.address.map(|a| a.to_string()),
                    last_redirect_age_s: Some((self.now - p.last).as_secs_f64()),
                    clients: clients.get(&id).copied().unwrap_or(0),
                })
                .collect(),
            redirect_map: self
                .server
                .redirect_targets()
                .iter()
                .map(ToString::to_string)
                .collect(),
            advertised_clients: self.advertiser.clients(),
            learned_clients: self.learner.len(),
        }
    }

    // ----- the two engines' outputs -------------------------------------------------------

    /// Move everything both engines produced to where it goes, until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(ev) = self.server.poll_event() {
                moved = true;
                if let ServerEvent::Local(u) = &ev {
                    let csas = match self.server.cluster(u.pro) {
                        Some(c) => self.advertiser.on_update(self.now, u, &c.db),
                        None => Vec::new(),
                    };
                    self.originate(csas);
                }
                self.server_events.push_back(ev);
            }
            while let Some(ev) = self.scsp.poll_event() {
                moved = true;
                self.on_scsp_event(&ev);
                self.scsp_events.push_back(ev);
            }
            for (id, a) in self.learner.reconcile(self.now, &mut self.server) {
                moved = true;
                let what = match &a {
                    Applied::Nothing => continue,
                    Applied::Registered => "applied".to_string(),
                    Applied::Removed => "removed".to_string(),
                    Applied::Refused(r) => format!("refused: {r}"),
                };
                self.events.push_back(DmarsEvent::PeerClient {
                    peer: id.0,
                    cmi: id.2,
                    mcs: id.3,
                    what,
                });
            }
            if !moved {
                break;
            }
        }
        while let Some(r) = self.server.poll_request() {
            self.requests.push_back(r);
        }
        while let Some(r) = self.scsp.poll_request() {
            self.requests.push_back(r);
        }
    }

    fn originate(&mut self, csas: Vec<advertise::Csa>) {
        if csas.is_empty() {
            return;
        }
        for r in self.scsp.originate_many(self.now, csas) {
            if let Err(e) = r {
                self.events.push_back(DmarsEvent::OriginationFailed {
                    reason: e.to_string(),
                });
            }
        }
        self.advertiser_exhaustion();
    }

    fn advertiser_exhaustion(&mut self) {
        if self.advertiser.slot_exhausted > 0 {
            self.events.push_back(DmarsEvent::OriginationFailed {
                reason: format!(
                    "{} pieces of client state found no free cache key",
                    self.advertiser.slot_exhausted
                ),
            });
            self.advertiser.slot_exhausted = 0;
        }
    }

    fn on_scsp_event(&mut self, ev: &ScspEvent) {
        match ev {
            ScspEvent::Learned {
                key, origin, part, ..
            } => {
                let (o, k) = (id_u32(origin), key.to_u32().unwrap_or(u32::MAX));
                if o == self.local_id {
                    return;
                }
                match MarsCsa::decode(part) {
                    Ok(c) if c.state == CsaState::ServerRedirect => self.on_redirect_entry(o, &c),
                    Ok(c) => {
                        self.note_peer(o);
                        self.check_cmi(o, c.cmi);
                        self.learner.learn(o, k, c);
                    }
                    // An unknown State: "should cause the CSA to be discarded" (§3).
                    Err(_) => self.learner.forget(o, k),
                }
            }
            ScspEvent::Withdrawn { key, origin, .. } => {
                let (o, k) = (id_u32(origin), key.to_u32().unwrap_or(u32::MAX));
                if k != REDIRECT_KEY {
                    self.learner.forget(o, k);
                }
            }
            ScspEvent::AlignmentComplete { .. } if !self.ready && self.all_aligned() => {
                self.become_ready();
            }
            _ => {}
        }
    }

    fn all_aligned(&self) -> bool {
        self.scsp.dcs_indices().all(|i| {
            self.scsp
                .dcs_status(i)
                .is_some_and(|d| d.ca == crate::scsp::CaState::Aligned)
        })
    }

    /// A peer's MARS Server Redirect Entry: it is alive, and it belongs in
    /// MARS_REDIRECT_MAP (RFC 2443 §5.1).
    fn on_redirect_entry(&mut self, peer: u32, c: &MarsCsa) {
        let old = self.peers.get(&peer).and_then(|p| p.address);
        let fresh = old.is_none();
        self.peers.insert(
            peer,
            Peer {
                address: Some(c.source),
                last: self.now,
            },
        );
        if fresh {
            self.events.push_back(DmarsEvent::PeerAlive {
                peer,
                address: c.source.to_string(),
            });
        }
        if old != Some(c.source) {
            // New, or the server moved to another address.
            self.update_redirect_map();
        }
        self.arm_flush_check();
    }

    /// An originator seen only through its clients' records is watched like any peer: if no
    /// redirect entry of it arrives within two intervals, what it advertised is flushed.
    fn note_peer(&mut self, peer: u32) {
        if !self.peers.contains_key(&peer) {
            self.peers.insert(
                peer,
                Peer {
                    address: None,
                    last: self.now,
                },
            );
            self.arm_flush_check();
        }
    }

    fn check_cmi(&mut self, peer: u32, cmi: Cmi) {
        let (lo, hi) = self.cfg.server.cmi_range;
        if (lo..=hi).contains(&cmi) {
            self.events.push_back(DmarsEvent::CmiRangeConflict {
                peer,
                cmi,
                range: (lo, hi),
            });
            if !self.ready && self.fatal.is_none() {
                self.fatal = Some(format!(
                    "CMI range {lo}-{hi} overlaps a CMI ({cmi}) allocated by peer server {peer:#010x}: \
                     each server of a LIS needs a disjoint range (RFC 2443 §2)"
                ));
            }
        }
    }

    fn become_ready(&mut self) {
        if self.ready || self.fatal.is_some() {
            return;
        }
        self.ready = true;
        self.timers.cancel(Timer::StartupHold);
        self.events.push_back(DmarsEvent::Ready);
    }

    /// MARS_REDIRECT_MAP's server list: the servers known by their redirect entries —
    /// this one included — in ascending order of SCSP Sender ID (RFC 2443 §2), rotated so
    /// that this server comes first. RFC 2022 §5.4.3 makes a client "redirect" whenever the
    /// first address is not its current MARS, so a list that started elsewhere would move
    /// every client to the lowest-numbered server; the rotation keeps the RFC 2443 order as
    /// a cycle and sends each server's clients, when it fails, to the next server up.
    fn update_redirect_map(&mut self) {
        let mut ids: Vec<(u32, AtmAddress)> = self
            .peers
            .iter()
            .filter_map(|(&id, p)| p.address.map(|a| (id, a)))
            .collect();
        ids.push((self.local_id, self.cfg.server.address));
        ids.sort_by_key(|&(id, _)| id);
        let me = ids
            .iter()
            .position(|&(id, _)| id == self.local_id)
            .unwrap_or(0);
        ids.rotate_left(me);
        self.server
            .set_redirect_servers(Some(ids.into_iter().map(|(_, a)| a).collect()));
    }

    // ----- timers ---------------------------------------------------------------------

    fn flush_deadline(&self, p: &Peer) -> Instant {
        p.last + self.cfg.redirect_interval * 2 + self.cfg.flush_grace
    }

    fn arm_flush_check(&mut self) {
        match self.peers.values().map(|p| self.flush_deadline(p)).min() {
            Some(t) => self.timers.set(Timer::FlushCheck, t),
            None => self.timers.cancel(Timer::FlushCheck),
        }
    }

    fn on_redirect_timer(&mut self) {
        let pro = self
            .cfg
            .server
            .protocols
            .first()
            .copied()
            .unwrap_or_default();
        if let Some(c) = advertise::redirect_entry(pro, self.cfg.server.address) {
            self.originate(vec![c]);
        }
        self.timers
            .set(Timer::Redirect, self.now + self.cfg.redirect_interval);
    }

    /// RFC 2443 §2: "Failure to receive two consecutive MARS Server Redirect Entry updates
    /// from a given MARS Server in the SG will cause all membership information learned from
    /// this server to be flushed."
    fn on_flush_check(&mut self) {
        let dead: Vec<u32> = self
            .peers
            .iter()
            .filter(|(_, p)| self.flush_deadline(p) <= self.now)
            .map(|(&id, _)| id)
            .collect();
        for peer in dead {
            self.peers.remove(&peer);
            self.learner.forget_origin(peer);
            let endpoints = self.server.flush_peer(peer);
            let records = self
                .scsp
                .remove_local_by_origin(self.now, &ScspId::from_u32(peer));
            self.events.push_back(DmarsEvent::Flushed {
                peer,
                endpoints,
                records,
            });
        }
        self.update_redirect_map();
        self.arm_flush_check();
    }

    /// Garbage-collect tombstones: the records of clients that deregistered (or vanished)
    /// `tombstone_hold` ago — ours and our peers' alike, so that all caches keep the same
    /// records. A live client's leave records stay: their keys are reused for its next
    /// memberships, so they are bounded by the most state it ever held at once.
    fn on_collect(&mut self) {
        let hold = self.cfg.tombstone_hold;
        let me = ScspId::from_u32(self.local_id);
        for k in self.advertiser.collect(self.now, hold) {
            self.scsp
                .remove_local(self.now, &CacheKey::from_u32(k), &me);
        }
        for (o, k) in self.learner.collect(self.now, hold) {
            self.scsp
                .remove_local(self.now, &CacheKey::from_u32(k), &ScspId::from_u32(o));
        }
        self.timers.set(Timer::Collect, self.now + hold / 4);
    }
}

impl AtmUser for DistributedServer {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        self.now = now;
        match ev {
            VcEvent::IncomingCall { vc, from, .. } => {
                if self.scsp.owns_incoming_call(&from) {
                    self.owners.insert(vc, Owner::Scsp);
                    self.scsp.handle_vc_event(now, ev);
                } else if self.fatal.is_none() {
                    self.owners.insert(vc, Owner::Mars);
                    self.server.handle_vc_event(now, ev);
                } else {
                    // Refusing to serve (a CMI range overlapping a peer's): the client moves
                    // on to a backup MARS (RFC 2022 §5.4).
                    self.requests.push_back(VcRequest::Refuse {
                        vc,
                        cause: Cause::TEMPORARY_FAILURE,
                    });
                }
            }
            other => {
                let vc = other.vc();
                let owner = self
                    .owners
                    .get(&vc)
                    .copied()
                    .unwrap_or(if self.scsp.owns_vc(vc) {
                        Owner::Scsp
                    } else {
                        Owner::Mars
                    });
                if matches!(other, VcEvent::Released { .. }) {
                    self.owners.remove(&vc);
                }
                match owner {
                    Owner::Scsp => self.scsp.handle_vc_event(now, other),
                    Owner::Mars => self.server.handle_vc_event(now, other),
                }
            }
        }
        self.pump();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.server.poll_timeout().is_some_and(|t| t <= now) {
            self.server.handle_timeout(now);
        }
        if self.scsp.poll_timeout().is_some_and(|t| t <= now) {
            self.scsp.handle_timeout(now);
        }
        self.pump();
        for t in self.timers.expire(now) {
            match t {
                Timer::Redirect => self.on_redirect_timer(),
                Timer::FlushCheck => self.on_flush_check(),
                Timer::Collect => self.on_collect(),
                Timer::StartupHold => self.become_ready(),
            }
        }
        self.pump();
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        let r = self
            .requests
            .pop_front()
            .or_else(|| self.server.poll_request())
            .or_else(|| self.scsp.poll_request())?;
        if let VcRequest::Release { vc, .. } | VcRequest::Refuse { vc, .. } = r {
            // The handle is dead at once (the VC contract): no event of it follows.
            self.owners.remove(&vc);
        }
        Some(r)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        [
            self.server.poll_timeout(),
            self.scsp.poll_timeout(),
            self.timers.next(),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
