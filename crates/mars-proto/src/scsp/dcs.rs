//! Everything the LS keeps about one DCS: its VC, HFSM, CAFSM, CSA Request List, retransmit
//! queue, pending acknowledgements, keys and counters.

use mars_wire::scsp::CsasRecord;

use super::alignment::Alignment;
use super::auth::KeyTable;
use super::config::DcsConfig;
use super::connection::Link;
use super::hello::HelloFsm;
use super::retransmit::RetransmitQueue;
use super::solicit::Crl;
use super::stats::Counters;
use crate::time::Instant;
use crate::vc::VcId;

/// One directly connected server, as seen from the LS.
#[derive(Debug)]
pub(crate) struct Dcs {
    /// Its configuration.
    pub cfg: DcsConfig,
    /// The point-to-point VC.
    pub link: Link,
    /// A point-to-multipoint VC on which this LS is a leaf of the DCS (receive only).
    pub leaf: Option<VcId>,
    /// The Hello Finite State Machine (§2.1).
    pub hello: HelloFsm,
    /// The Cache Alignment Finite State Machine (§2.2).
    pub ca: Alignment,
    /// The CSA Request List and the CSUS in flight (§2.2.2.1, §2.2.3).
    pub crl: Crl,
    /// The DCS retransmit queue (§2.3).
    pub rexmt: RetransmitQueue,
    /// CSAS records to acknowledge in the next CSU Reply (§2.3).
    pub acks: Vec<CsasRecord>,
    /// Security associations (B.3.1.3).
    pub keys: KeyTable,
    /// Counters.
    pub counters: Counters,
    /// Removed from the engine ([`super::ScspEngine::remove_dcs`]): the slot keeps only the
    /// address (so that the index is given back if the address is added again, and calls from
    /// it are refused and counted) and the counters (summed into the engine's).
    pub removed: bool,
}

impl Dcs {
    pub fn new(cfg: DcsConfig, now: Instant) -> Self {
        let keys = KeyTable::new(&cfg.auth.associations, now);
        Dcs {
            cfg,
            link: Link::Idle,
            leaf: None,
            hello: HelloFsm::default(),
            ca: Alignment::default(),
            crl: Crl::default(),
            rexmt: RetransmitQueue::default(),
            acks: Vec::new(),
            keys,
            counters: Counters::default(),
            removed: false,
        }
    }

    /// Whether the slot holds a configured DCS (not a removed one).
    pub fn live(&self) -> bool {
        !self.removed
    }

    /// What is left of this DCS once removed: its address and counters; everything else
    /// (link, FSMs, CRL, retransmit queue, acknowledgements, keys) is dropped.
    pub fn tombstone(&mut self, now: Instant) {
        let mut cfg = DcsConfig::new(self.cfg.address);
        cfg.id = self.cfg.id.clone();
        let counters = std::mem::take(&mut self.counters);
        *self = Dcs::new(cfg, now);
        self.counters = counters;
        self.removed = true;
    }
}
