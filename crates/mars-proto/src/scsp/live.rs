//! Adding, removing and re-addressing DCSs while the engine runs (RFC 2334 §2.1 only says the
//! LS "must be configured with a list of NBMA addresses"; when is a local matter).
//!
//! - [`ScspEngine::add_dcs`] starts a DCS as at start-up: the connection rule of
//!   [`super::connection`] (call it at once when this endpoint has the lower address, else wait
//!   for its call with the fallback timer); once its HFSM is Bidirectional the CAFSM aligns the
//!   whole cache with it, like any DCS.
//! - [`ScspEngine::remove_dcs`] releases its VC (and its leaf VC, if any) with cause #16
//!   normal call clearing, takes its HFSM to Down (reporting `HelloState`, and `DcsDown` if it
//!   was up; the CAFSM goes Down), cancels its timers, and drops its CRL, retransmit queue,
//!   pending acknowledgements, keys and saved DCSID; purges of own entries stop waiting for it;
//!   it leaves the Receiver ID list of the Hellos to the other DCSs. Then `DcsRemoved`.
//! - [`ScspEngine::replace_dcs`] is a removal and an addition in one step, validated before
//!   anything is removed: a new address (re-addressing) or new settings at the same address.
//!
//! # What a removal keeps: the cache
//! Records learned from the removed DCS **stay in the cache**: they are the server group's
//! state, not the link's. The DCS may still be a member of the group, reachable through other
//! DCSs (a mesh losing one edge), and its originator's own rules decide when they go — a purge,
//! a newer instance, or the client protocol removing them locally (RFC 2443's flush of a
//! silent server, [`ScspEngine::remove_local_by_origin`]). So removing a DCS withdraws nothing
//! and reports no `Withdrawn`; `cache_rows` still show `Source::Dcs(i)` for what came from it.
//!
//! # Indices
//! Events, snapshots, `cache_rows` sources and every per-DCS call use the DCS index, so an
//! index names **one DCS address for the life of the engine**:
//! - a DCS keeps its index while configured; indices of the others never shift;
//! - a removed DCS leaves a *tombstone* slot holding its address and counters, and
//!   `dcs_status(i)` is then `None` and per-DCS calls fail with [`ScspError::NoSuchDcs`]; the
//!   index is never given to another address;
//! - adding the same address again gives its old index back, for a fresh DCS (state and
//!   per-DCS counters start over; the old counters stay in the engine's sums);
//! - a new address takes the next unused index. The slots are bounded by [`MAX_DCS_SLOTS`]
//!   distinct addresses over the engine's life ([`ScspError::TooManyDcs`] beyond); a tombstone
//!   holds no queue, key or FSM state.
//!
//! [`ScspEngine::dcs_count`] counts the DCSs configured now; [`ScspEngine::dcs_indices`] lists
//! their indices. [`ScspEngine::counters`] sums every DCS ever configured, so that exported
//! counters never go backwards.
//!
//! # Late events
//! By the VC contract nothing follows a release this engine makes; an SDU or event that still
//! names one of the removed DCS's VCs finds no DCS and is discarded and counted as
//! [`Discard::UnknownVc`](super::Discard::UnknownVc) (not attributed to any DCS). A call from a
//! removed DCS's address — it may still name this server — is refused (#21) and counted as
//! [`Discard::RemovedDcs`](super::Discard::RemovedDcs);
//! [`ScspEngine::owns_incoming_call`] holds for such an address so that a composite endpoint
//! routes the call here rather than to its other engine.
//!
//! # The origination hold
//! The hold of B.2.0.2 ([`super::ScspConfig::origination_hold`]) concerns start-up only: a
//! DCS added later does not hold originations again, and removing every DCS does not end a
//! hold under way (it ends at its time, or when a DCS added meanwhile aligns).

use mars_wire::AtmAddress;

use super::cache::EntryId;
use super::client::ClientProtocol;
use super::config::DcsConfig;
use super::connection::Link;
use super::dcs::Dcs;
use super::events::ScspEvent;
use super::hello::HelloEvent;
use super::stats::DcsStatus;
use super::{add_counters, ConfigError, DcsTimer, ScspEngine, ScspError};
use crate::time::Instant;
use crate::vc::{Cause, VcRequest};

/// The most distinct DCS addresses one engine keeps indices for over its life.
pub const MAX_DCS_SLOTS: usize = 4096;

/// Every timer of a DCS.
const DCS_TIMERS: [DcsTimer; 7] = [
    DcsTimer::Connect,
    DcsTimer::HelloSend,
    DcsTimer::HelloDead,
    DcsTimer::CaRexmt,
    DcsTimer::SlaveCaRelease,
    DcsTimer::CsusRexmt,
    DcsTimer::CsuRexmt,
];

/// A DCS named by its index or by its ATM address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcsRef {
    /// The DCS with this index.
    Index(usize),
    /// The DCS configured now with this address.
    Address(AtmAddress),
}

impl From<usize> for DcsRef {
    fn from(i: usize) -> Self {
        DcsRef::Index(i)
    }
}

impl From<AtmAddress> for DcsRef {
    fn from(a: AtmAddress) -> Self {
        DcsRef::Address(a)
    }
}

impl From<&AtmAddress> for DcsRef {
    fn from(a: &AtmAddress) -> Self {
        DcsRef::Address(*a)
    }
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// Add a DCS to the running engine; returns its index. It starts as the DCSs configured
    /// at start did: called at once if this endpoint has the lower address, else awaited. An
    /// address added before (and removed) gets its old index back; see `docs/scsp.md`, "Live
    /// DCSs".
    pub fn add_dcs(&mut self, now: Instant, cfg: DcsConfig) -> Result<usize, ScspError> {
        self.now = now;
        let i = self.slot_for(&cfg, None)?;
        self.install_dcs(i, cfg);
        self.finish();
        Ok(i)
    }

    /// Remove a DCS from the running engine: its VC is released (#16), its timers stopped,
    /// its CRL and retransmit queue dropped, `DcsDown` reported if it was up, then
    /// `DcsRemoved`. What was learned from it stays in the cache. Returns its state just
    /// before the removal.
    pub fn remove_dcs(
        &mut self,
        now: Instant,
        which: impl Into<DcsRef>,
    ) -> Result<DcsStatus, ScspError> {
        self.now = now;
        let i = self.resolve_dcs(which.into())?;
        let status = self.dcs_status(i).ok_or(ScspError::NoSuchDcs(i))?;
        self.drop_dcs(i);
        self.finish();
        Ok(status)
    }

    /// Replace a DCS by `cfg`: a removal then an addition, checked before anything is
    /// removed. With the same address the DCS keeps its index (it restarts: its VC is
    /// released and it aligns again, with the new settings); with a new address
    /// (re-addressing) it gets that address's index. Returns the new index.
    pub fn replace_dcs(
        &mut self,
        now: Instant,
        which: impl Into<DcsRef>,
        cfg: DcsConfig,
    ) -> Result<usize, ScspError> {
        self.now = now;
        let old = self.resolve_dcs(which.into())?;
        let i = self.slot_for(&cfg, Some(old))?;
        self.drop_dcs(old);
        self.install_dcs(i, cfg);
        self.finish();
        Ok(i)
    }

    /// The index of a DCS configured now.
    fn resolve_dcs(&self, which: DcsRef) -> Result<usize, ScspError> {
        match which {
            DcsRef::Index(i) => self
                .dcs
                .get(i)
                .filter(|d| d.live())
                .map(|_| i)
                .ok_or(ScspError::NoSuchDcs(i)),
            DcsRef::Address(a) => self.dcs_by_address(&a).ok_or(ScspError::NoDcsAt(a)),
        }
    }

    /// Check `cfg` for a new DCS and find its slot: its address's old slot, else a new one.
    /// `replacing` is a DCS about to be removed (its address may be `cfg`'s).
    fn slot_for(&self, cfg: &DcsConfig, replacing: Option<usize>) -> Result<usize, ScspError> {
        let slot = match self.dcs.iter().position(|d| d.cfg.address == cfg.address) {
            Some(j) if self.dcs[j].live() && Some(j) != replacing => {
                return Err(ScspError::InvalidDcs(ConfigError::DuplicateDcs(j)))
            }
            Some(j) => j,
            None if self.dcs.len() >= MAX_DCS_SLOTS => {
                return Err(ScspError::TooManyDcs(self.dcs.len()))
            }
            None => self.dcs.len(),
        };
        self.cfg
            .validate_dcs(slot, cfg, self.client.id_len())
            .map_err(ScspError::InvalidDcs)?;
        Ok(slot)
    }

    /// Put a fresh DCS in slot `i` (a new slot, or its address's tombstone) and start it.
    fn install_dcs(&mut self, i: usize, cfg: DcsConfig) {
        let address = cfg.address;
        let fresh = Dcs::new(cfg, self.now);
        let i = match self.dcs.get_mut(i) {
            Some(slot) => {
                let old = std::mem::replace(slot, fresh);
                add_counters(&mut self.retired, &old.counters);
                i
            }
            None => {
                self.dcs.push(fresh);
                self.dcs.len() - 1
            }
        };
        self.event(ScspEvent::DcsAdded { dcs: i, address });
        self.start_link(i);
    }

    /// Take DCS `i` down and leave its tombstone.
    fn drop_dcs(&mut self, i: usize) {
        let d = &mut self.dcs[i];
        let vcs = [d.link.any_vc(), d.leaf.take()];
        d.link = Link::Idle;
        for vc in vcs.into_iter().flatten() {
            // By the VC contract no event of these VCs follows.
            self.requests.push_back(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        // HFSM → Down: `DcsDown` if it was Bidirectional, the CAFSM to Down (CRL, retransmit
        // queue and acknowledgements dropped, own purges no longer wait for it), off the
        // Receiver ID list.
        self.hello_event(i, HelloEvent::ConnectionLost);
        for t in DCS_TIMERS {
            self.disarm(i, t);
        }
        // Purges queued while it was not Bidirectional cannot wait for it either.
        let me = self.cfg.local_id.clone();
        for key in self.own.purges_waiting_on(i) {
            self.purge_progress(i, &EntryId::new(key, me.clone()));
        }
        let address = self.dcs[i].cfg.address;
        self.dcs[i].tombstone(self.now);
        self.event(ScspEvent::DcsRemoved { dcs: i, address });
    }
}
