//! The Server Cache Synchronization Protocol (RFC 2334) as a sans-IO engine, generic over the
//! client/server protocol whose caches it synchronises ([`ClientProtocol`]).
//!
//! One [`ScspEngine`] is one protocol instance (PID/SGID) on one ATM endpoint. It keeps one VC,
//! one Hello FSM ([`hello`], §2.1) and one Cache Alignment FSM ([`alignment`], §2.2) per
//! configured DCS, runs the Cache State Update protocol ([`update`], §2.3) over them, and
//! talks to the network only through [`VcRequest`]s and [`VcEvent`]s. It implements
//! [`AtmUser`] for a standalone SCSP endpoint and can be embedded in a composite endpoint
//! (RFC 2443 runs the MARS server and SCSP on one ATM address): give it its own
//! [`ScspConfig::vc_id_base`] and route to it the calls for which
//! [`ScspEngine::owns_incoming_call`] holds and the events of the VCs for which
//! [`ScspEngine::owns_vc`] holds.
//!
//! DCSs can be added, removed and re-addressed while the engine runs
//! ([`ScspEngine::add_dcs`], [`ScspEngine::remove_dcs`], [`ScspEngine::replace_dcs`]): a DCS
//! index names one address for the life of the engine, and what was learned from a removed
//! DCS stays in the cache (module `live`, `docs/scsp.md` "Live DCSs").
//!
//! # Who calls whom
//! Of two servers, **the one with the lower ATM address calls** and the other accepts; the
//! caller retries every [`ScspConfig::connect_retry`] while there is no VC. The callee calls
//! only as a fallback, after [`ScspConfig::callee_fallback`] without a VC (for peers that never
//! call). When both calls happen anyway, **the VC called by the lower address is kept**, and
//! between two calls from the same side the newer: the lower-address end refuses a call from
//! the higher while its own call is pending or up, and the higher-address end accepts a call
//! from the lower and releases its own. Both ends reach the same choice without a message.
//!
//! # Decisions where RFC 2334 is silent
//! Each is explained where it is implemented and collected in `docs/scsp.md`: immediate
//! Hellos; the O bit of the master's first CA; CA errors of the master; CA messages after
//! alignment; the slave's released copy of its last CA; purge tombstones; the hop count of
//! solicited records; changes queued while a DCS aligns; own entries numbered only after the
//! first alignment; the signer for key rollover; authentication failures changing no state;
//! the CSUS retransmission limit.

mod dcs;
mod live;
mod receive;
mod send;

pub mod alignment;
pub mod auth;
pub mod cache;
pub mod client;
pub mod config;
pub mod connection;
pub mod events;
pub mod hello;
pub mod origin;
pub mod retransmit;
pub mod solicit;
pub mod stats;
pub mod update;

use std::collections::VecDeque;

use mars_wire::scsp::{CacheKey, ScspId};
use mars_wire::AtmAddress;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use self::alignment::{CaState, Role};
pub use self::cache::{Cache, CacheEntry, EntryId, Source};
pub use self::client::{ClientProtocol, InvalidRecord};
pub use self::config::{
    AuthConfig, AuthMode, ConfigError, DcsConfig, DcsParams, ScspConfig, SecurityAssociation,
    StaleOwnPolicy,
};
pub use self::events::{Abnormal, Discard, ScspEvent, WithdrawCause};
pub use self::hello::HelloState;
pub use self::live::{DcsRef, MAX_DCS_SLOTS};
pub use self::origin::Origination;
pub use self::stats::{CacheRow, Counters, DcsStatus, MessageCounts, OwnRow, ScspSnapshot};

use self::dcs::Dcs;
use self::origin::OwnEntries;
use crate::engine::AtmUser;
use crate::time::{Instant, Timers};
use crate::vc::{VcEvent, VcId, VcRequest};

/// The timers of one DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DcsTimer {
    /// Call (again): the caller's retry, or the callee's fallback.
    Connect,
    /// Send the next Hello (HelloInterval, §2.1).
    HelloSend,
    /// HelloInterval × DeadFactor of the DCS passed (§2.1).
    HelloDead,
    /// Resend the last CA (CAReXmtInterval, §2.2).
    CaRexmt,
    /// The slave releases its copy of its last CA (§2.2.2, note).
    SlaveCaRelease,
    /// Resend the outstanding CSUS (CSUSReXmtInterval, §2.2.3).
    CsusRexmt,
    /// The earliest retransmission deadline of the DCS retransmit queue (§2.3).
    CsuRexmt,
}

/// Every timer of the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerKey {
    Dcs(usize, DcsTimer),
    Tombstones,
    /// The end of the origination hold (B.2.0.2, see [`ScspConfig::origination_hold`]).
    OriginationHold,
}

/// A local caller's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScspError {
    /// The Cache Key does not have the client protocol's length.
    #[error("the cache key is not the protocol's cache key length")]
    KeyLength,
    /// The client protocol rejects the part.
    #[error("the client protocol rejects the record: {0}")]
    Invalid(InvalidRecord),
    /// The CSA record would not fit in a CSU Request to some DCS.
    #[error("the record is {0} octets: too large for a CSU Request to every DCS")]
    TooLarge(usize),
    /// The cache is full.
    #[error("the cache holds the configured maximum of entries")]
    CacheFull,
    /// No entry with that key is originated by this server.
    #[error("this server originates no entry with that key")]
    NotOwned,
    /// No DCS has that index (or the DCS with that index was removed).
    #[error("no DCS {0}")]
    NoSuchDcs(usize),
    /// No DCS has that address.
    #[error("no DCS has address {0}")]
    NoDcsAt(AtmAddress),
    /// The DCS configuration is invalid (the index is the one it would have had).
    #[error("invalid DCS: {0}")]
    InvalidDcs(ConfigError),
    /// Every DCS index is taken: the engine has known [`MAX_DCS_SLOTS`] distinct DCS
    /// addresses.
    #[error("the engine has known {0} distinct DCS addresses, the most it keeps indices for")]
    TooManyDcs(usize),
}

/// The SCSP engine for one protocol instance on one ATM endpoint.
#[derive(Debug)]
pub struct ScspEngine<P: ClientProtocol> {
    pub(crate) cfg: ScspConfig,
    pub(crate) client: P,
    pub(crate) dcs: Vec<Dcs>,
    pub(crate) cache: Cache,
    pub(crate) own: OwnEntries,
    pub(crate) timers: Timers<TimerKey>,
    pub(crate) requests: VecDeque<VcRequest>,
    pub(crate) events: VecDeque<ScspEvent>,
    /// Counters for what no DCS can be blamed for (e.g. SDUs on unknown VCs).
    pub(crate) unattributed: Counters,
    /// Counters of removed DCSs whose index was given to their address again: so that
    /// [`ScspEngine::counters`] never goes backwards.
    pub(crate) retired: Counters,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) next_vc: u64,
    pub(crate) heard_seq: u64,
    pub(crate) now: Instant,
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// An engine starting at `now`: calls go out at once to the DCSs this endpoint calls.
    pub fn new(cfg: ScspConfig, client: P, now: Instant) -> Result<Self, ConfigError> {
        cfg.validate(client.id_len())?;
        let dcs = cfg.dcs.iter().map(|d| Dcs::new(d.clone(), now)).collect();
        let mut e = ScspEngine {
            rng: ChaCha8Rng::seed_from_u64(cfg.rng_seed),
            next_vc: cfg.vc_id_base,
            cfg,
            client,
            dcs,
            cache: Cache::default(),
            own: OwnEntries::default(),
            timers: Timers::default(),
            requests: VecDeque::new(),
            events: VecDeque::new(),
            unattributed: Counters::default(),
            retired: Counters::default(),
            heard_seq: 0,
            now,
        };
        match e.cfg.origination_hold {
            Some(hold) if !e.dcs.is_empty() => {
                e.timers.set(TimerKey::OriginationHold, now + hold);
            }
            _ => e.own.ready = true,
        }
        for i in 0..e.dcs.len() {
            e.start_link(i);
        }
        Ok(e)
    }

    /// The configuration, with the DCS entries as configured at start: DCSs added and removed
    /// since are not reflected in `config().dcs` (see [`ScspEngine::dcs_indices`] and
    /// [`ScspEngine::dcs_config`]).
    pub fn config(&self) -> &ScspConfig {
        &self.cfg
    }

    /// The client protocol.
    pub fn client(&self) -> &P {
        &self.client
    }

    /// The client protocol, mutably.
    pub fn client_mut(&mut self) -> &mut P {
        &mut self.client
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The cache entry (`key`, `origin`), live or purged.
    pub fn entry(&self, key: &CacheKey, origin: &ScspId) -> Option<&CacheEntry> {
        self.cache.get(&EntryId::new(key.clone(), origin.clone()))
    }

    /// Number of DCSs configured now (removed ones not counted). Indices are not necessarily
    /// `0..dcs_count()` once a DCS was removed: iterate [`ScspEngine::dcs_indices`].
    pub fn dcs_count(&self) -> usize {
        self.dcs.iter().filter(|d| d.live()).count()
    }

    /// The indices of the DCSs configured now, in ascending order. An index names one DCS
    /// address for the life of the engine (see [`ScspEngine::add_dcs`]).
    pub fn dcs_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.dcs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.live())
            .map(|(i, _)| i)
    }

    /// The index of the DCS configured now with address `addr`.
    pub fn dcs_index(&self, addr: &AtmAddress) -> Option<usize> {
        self.dcs_by_address(addr)
    }

    /// The configuration of DCS `i` as it runs now (keys and auth mode as last set).
    pub fn dcs_config(&self, i: usize) -> Option<&DcsConfig> {
        self.dcs.get(i).filter(|d| d.live()).map(|d| &d.cfg)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ScspEvent> {
        self.events.pop_front()
    }

    /// Counters summed over every DCS, removed ones included (so that they never go
    /// backwards), and what no DCS can be blamed for.
    pub fn counters(&self) -> Counters {
        let mut c = self.unattributed.clone();
        add_counters(&mut c, &self.retired);
        for d in &self.dcs {
            add_counters(&mut c, &d.counters);
        }
        c
    }

    /// Whether an incoming call from `from` is for this engine: it comes from a configured
    /// DCS (multipoint calls are taken as receive-only leaves), or from a removed one — which
    /// this engine refuses and counts ([`Discard::RemovedDcs`]), so that a peer that still
    /// names this server is not taken for a client of the composite endpoint.
    pub fn owns_incoming_call(&self, from: &AtmAddress) -> bool {
        self.dcs.iter().any(|d| d.cfg.address == *from)
    }

    /// Whether `vc` is one of this engine's VCs (point-to-point or leaf, set up or pending).
    pub fn owns_vc(&self, vc: VcId) -> bool {
        self.dcs_of_vc(vc).is_some()
    }

    /// The state of DCS `i`; `None` if there is no such DCS or it was removed.
    pub fn dcs_status(&self, i: usize) -> Option<DcsStatus> {
        let d = self.dcs.get(i).filter(|d| d.live())?;
        Some(DcsStatus {
            index: i,
            address: d.cfg.address,
            id: d.cfg.id.clone().or_else(|| d.hello.id.clone()),
            vc: d.link.up_vc(),
            hello: d.hello.state,
            ca: d.ca.state,
            role: d.ca.role,
            ca_seq: d.ca.seq,
            dcs_hello_interval: d.hello.interval,
            dcs_dead_factor: d.hello.dead_factor,
            crl: d.crl.len(),
            csus_outstanding: d.crl.outstanding_len(),
            retransmit_queue: d.rexmt.len(),
            unsent: d.rexmt.unsent_len(),
            auth: d.cfg.auth.mode,
            counters: d.counters.clone(),
        })
    }

    /// The cache as rows (key, originator, sequence number, age at `now`), in (key,
    /// originator) order.
    pub fn cache_rows(&self, now: Instant) -> impl Iterator<Item = CacheRow> + '_ {
        self.cache.iter().map(move |(id, e)| CacheRow {
            key: id.key.clone(),
            origin: id.origin.clone(),
            seq: e.seq,
            age_ms: u64::try_from(now.saturating_since(e.updated_at).as_millis())
                .unwrap_or(u64::MAX),
            purged: e.purged,
            source: e.source,
            part_len: e.part.len(),
        })
    }

    /// Everything but the cache rows.
    pub fn snapshot(&self) -> ScspSnapshot {
        ScspSnapshot {
            local_id: self.cfg.local_id.clone(),
            protocol_id: self.client.protocol_id(),
            server_group_id: self.client.server_group_id(),
            cache_entries: self.cache.len(),
            tombstones: self.cache.tombstones(),
            own: self.own.rows(),
            held_originations: self.own.held_len(),
            dcs: (0..self.dcs.len())
                .filter_map(|i| self.dcs_status(i))
                .collect(),
            counters: self.counters(),
        }
    }

    /// Install a security association for DCS `dcs` (B.3.1.3), e.g. the next key of a
    /// rollover; its lifetime runs from `now`. An association with the same SPI is replaced.
    pub fn add_security_association(
        &mut self,
        now: Instant,
        dcs: usize,
        sa: SecurityAssociation,
    ) -> Result<(), ScspError> {
        self.now = now;
        let d = self.live_mut(dcs)?;
        d.keys.install(sa, now);
        Ok(())
    }

    /// Remove the association `spi` of DCS `dcs`; returns whether there was one.
    pub fn remove_security_association(&mut self, dcs: usize, spi: u32) -> Result<bool, ScspError> {
        let d = self.live_mut(dcs)?;
        Ok(d.keys.remove(spi))
    }

    /// Sign packets to DCS `dcs` with association `spi` (`None`: the one the DCS last used,
    /// else the newest active one).
    pub fn set_sending_spi(&mut self, dcs: usize, spi: Option<u32>) -> Result<(), ScspError> {
        let d = self.live_mut(dcs)?;
        d.cfg.auth.send_spi = spi;
        Ok(())
    }

    /// Change the authentication mode towards DCS `dcs`.
    pub fn set_auth_mode(&mut self, dcs: usize, mode: AuthMode) -> Result<(), ScspError> {
        let d = self.live_mut(dcs)?;
        d.cfg.auth.mode = mode;
        Ok(())
    }

    // ----- internal helpers shared by the modules ------------------------------------------

    /// DCS `i`, if it is configured now.
    pub(crate) fn live_mut(&mut self, i: usize) -> Result<&mut Dcs, ScspError> {
        self.dcs
            .get_mut(i)
            .filter(|d| d.live())
            .ok_or(ScspError::NoSuchDcs(i))
    }

    pub(crate) fn alloc_vc(&mut self) -> VcId {
        let v = VcId::local(self.next_vc);
        self.next_vc += 1;
        v
    }

    pub(crate) fn event(&mut self, ev: ScspEvent) {
        self.events.push_back(ev);
    }

    pub(crate) fn arm(&mut self, i: usize, t: DcsTimer, at: Instant) {
        self.timers.set(TimerKey::Dcs(i, t), at);
    }

    pub(crate) fn disarm(&mut self, i: usize, t: DcsTimer) {
        self.timers.cancel(TimerKey::Dcs(i, t));
    }

    pub(crate) fn counters_mut(&mut self, dcs: Option<usize>) -> &mut Counters {
        match dcs {
            Some(i) => &mut self.dcs[i].counters,
            None => &mut self.unattributed,
        }
    }

    /// Drop a received packet or record, counting and reporting it.
    pub(crate) fn discard(&mut self, dcs: Option<usize>, reason: Discard, detail: Option<String>) {
        *self.counters_mut(dcs).discards.entry(reason).or_default() += 1;
        self.event(ScspEvent::Discarded {
            dcs,
            reason,
            detail,
        });
    }

    fn on_timer(&mut self, key: TimerKey) {
        match key {
            TimerKey::Tombstones => {
                self.cache
                    .expire_tombstones(self.now, self.cfg.tombstone_hold);
            }
            TimerKey::OriginationHold => self.release_held(),
            // A removed DCS's timers are cancelled with it; this guards the invariant.
            TimerKey::Dcs(i, _) if !self.dcs.get(i).is_some_and(|d| d.live()) => {}
            TimerKey::Dcs(i, t) => match t {
                DcsTimer::Connect => self.on_connect_timer(i),
                DcsTimer::HelloSend => self.on_hello_timer(i),
                DcsTimer::HelloDead => self.on_dead_timer(i),
                DcsTimer::CaRexmt => self.on_ca_rexmt_timer(i),
                DcsTimer::SlaveCaRelease => self.on_slave_release_timer(i),
                DcsTimer::CsusRexmt => self.on_csus_timer(i),
                DcsTimer::CsuRexmt => self.on_csu_timer(i),
            },
        }
    }

    /// After every input: send what was queued (acknowledgements, floods) and re-arm the
    /// timers that follow queues.
    pub(crate) fn finish(&mut self) {
        self.flush();
        match self.cache.next_expiry(self.cfg.tombstone_hold) {
            Some(t) => self.timers.set(TimerKey::Tombstones, t),
            None => self.timers.cancel(TimerKey::Tombstones),
        }
    }
}

fn add_counters(sum: &mut Counters, c: &Counters) {
    fn add(a: &mut MessageCounts, b: &MessageCounts) {
        a.hello += b.hello;
        a.ca += b.ca;
        a.csu_request += b.csu_request;
        a.csu_reply += b.csu_reply;
        a.csus += b.csus;
    }
    add(&mut sum.sent, &c.sent);
    add(&mut sum.received, &c.received);
    sum.octets_sent += c.octets_sent;
    sum.csa_sent += c.csa_sent;
    sum.csa_received += c.csa_received;
    sum.ca_records_sent += c.ca_records_sent;
    sum.csus_records_sent += c.csus_records_sent;
    sum.acks_sent += c.acks_sent;
    sum.csa_newer += c.csa_newer;
    sum.csa_same += c.csa_same;
    sum.csa_older += c.csa_older;
    sum.flooded += c.flooded;
    sum.ca_retransmissions += c.ca_retransmissions;
    sum.csus_retransmissions += c.csus_retransmissions;
    sum.csa_retransmissions += c.csa_retransmissions;
    sum.hfsm_transitions += c.hfsm_transitions;
    sum.cafsm_transitions += c.cafsm_transitions;
    for (k, v) in &c.abnormal {
        *sum.abnormal.entry(*k).or_default() += v;
    }
    for (k, v) in &c.discards {
        *sum.discards.entry(*k).or_default() += v;
    }
}

impl<P: ClientProtocol> AtmUser for ScspEngine<P> {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        self.now = now;
        match ev {
            VcEvent::IncomingCall {
                vc,
                from,
                multipoint,
            } => self.on_incoming_call(vc, from, multipoint),
            VcEvent::Connected { vc } => self.on_connected(vc),
            VcEvent::Released { vc, .. } => self.on_released(vc),
            // This engine never roots a multipoint VC.
            VcEvent::PartyAdded { .. } | VcEvent::PartyDropped { .. } => {}
            VcEvent::Received { vc, sdu } => self.on_received(vc, &sdu),
        }
        self.finish();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        for key in self.timers.expire(now) {
            self.on_timer(key);
        }
        self.finish();
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.requests.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }
}
