//! Counters and state reports (design principle 6: "Everything observable").
//!
//! Counters exist per DCS and for the whole engine; both serialise for the daemon. The
//! snapshot types describe each DCS (HFSM and CAFSM states, CA sequence number, queue lengths)
//! and each cache entry (key, originator, sequence number, age).

use std::collections::BTreeMap;

use mars_wire::scsp::{CacheKey, MessageType, ScspId};
use mars_wire::{AtmAddress, CsaSeq};

use super::alignment::{CaState, Role};
use super::cache::Source;
use super::config::AuthMode;
use super::events::{Abnormal, Discard};
use super::hello::HelloState;
use crate::vc::VcId;

/// Messages of each SCSP type.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MessageCounts {
    /// Hello (B.2.5).
    pub hello: u64,
    /// Cache Alignment (B.2.1).
    pub ca: u64,
    /// CSU Request (B.2.2).
    pub csu_request: u64,
    /// CSU Reply (B.2.3).
    pub csu_reply: u64,
    /// CSUS (B.2.4).
    pub csus: u64,
}

impl MessageCounts {
    /// Count one message of type `t`.
    pub fn bump(&mut self, t: MessageType) {
        match t {
            MessageType::Hello => self.hello += 1,
            MessageType::Ca => self.ca += 1,
            MessageType::CsuRequest => self.csu_request += 1,
            MessageType::CsuReply => self.csu_reply += 1,
            MessageType::Csus => self.csus += 1,
        }
    }

    /// All messages.
    pub fn total(&self) -> u64 {
        self.hello + self.ca + self.csu_request + self.csu_reply + self.csus
    }
}

/// The engine's counters (per DCS, and summed over DCSs).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// Messages sent, by type.
    pub sent: MessageCounts,
    /// Messages received and accepted for processing (authenticated, well formed, right
    /// group), by type.
    pub received: MessageCounts,
    /// Octets of SCSP packets sent (LLC/SNAP header included).
    pub octets_sent: u64,
    /// CSA records sent in CSU Requests (retransmissions included).
    pub csa_sent: u64,
    /// CSA records received in CSU Requests.
    pub csa_received: u64,
    /// CSAS records sent in CA messages.
    pub ca_records_sent: u64,
    /// CSAS records sent in CSUS messages.
    pub csus_records_sent: u64,
    /// CSAS records sent in CSU Replies (acknowledgements).
    pub acks_sent: u64,
    /// Received CSA records more up to date than the cache (§2.4), stored.
    pub csa_newer: u64,
    /// Received CSA records identical to the cached instance.
    pub csa_same: u64,
    /// Received CSA records older than the cached instance (answered with the cached CSAS).
    pub csa_older: u64,
    /// Records queued for flooding to this DCS (§2.3).
    pub flooded: u64,
    /// CA messages re-sent on CAReXmtInterval or as a slave's answer to a duplicate.
    pub ca_retransmissions: u64,
    /// CSUS messages re-sent on CSUSReXmtInterval.
    pub csus_retransmissions: u64,
    /// CSA records re-sent on CSUReXmtInterval.
    pub csa_retransmissions: u64,
    /// HFSM transitions.
    pub hfsm_transitions: u64,
    /// CAFSM transitions.
    pub cafsm_transitions: u64,
    /// Abnormal events, by kind.
    pub abnormal: BTreeMap<Abnormal, u64>,
    /// Discarded packets and records, by reason.
    pub discards: BTreeMap<Discard, u64>,
}

impl Counters {
    /// All discards.
    pub fn discard_total(&self) -> u64 {
        self.discards.values().sum()
    }

    /// Discards for `reason`.
    pub fn discarded(&self, reason: Discard) -> u64 {
        self.discards.get(&reason).copied().unwrap_or(0)
    }

    /// Authentication failures (B.3.1).
    pub fn auth_failures(&self) -> u64 {
        self.discards
            .iter()
            .filter(|(d, _)| d.is_auth())
            .map(|(_, n)| n)
            .sum()
    }

    /// All abnormal events.
    pub fn abnormal_total(&self) -> u64 {
        self.abnormal.values().sum()
    }
}

/// The state of one DCS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DcsStatus {
    /// Index in the configuration.
    pub index: usize,
    /// Its ATM address.
    pub address: AtmAddress,
    /// Its Server ID, configured or learned.
    pub id: Option<ScspId>,
    /// The point-to-point VC, when up.
    pub vc: Option<VcId>,
    /// HFSM state (§2.1).
    pub hello: HelloState,
    /// CAFSM state (§2.2).
    pub ca: CaState,
    /// Master or slave, once negotiated.
    pub role: Option<Role>,
    /// The CAFSM's current CA Sequence Number.
    pub ca_seq: u32,
    /// HelloInterval the DCS advertised.
    pub dcs_hello_interval: u16,
    /// DeadFactor the DCS advertised.
    pub dcs_dead_factor: u16,
    /// CSA Request List length (§2.2.2.1), outstanding CSUS included.
    pub crl: usize,
    /// Entries in the CSUS in flight.
    pub csus_outstanding: usize,
    /// DCS retransmit queue length (§2.3).
    pub retransmit_queue: usize,
    /// Of which not yet sent (held until Update Cache, or just queued).
    pub unsent: usize,
    /// Authentication mode.
    pub auth: AuthMode,
    /// Counters.
    pub counters: Counters,
}

/// One cache entry as reported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CacheRow {
    /// Cache Key.
    pub key: CacheKey,
    /// Originator ID.
    pub origin: ScspId,
    /// CSA Sequence Number.
    pub seq: CsaSeq,
    /// Milliseconds since this instance entered the cache.
    pub age_ms: u64,
    /// Whether it is a purge tombstone.
    pub purged: bool,
    /// Where it came from.
    pub source: Source,
    /// Length of its Client/Server Protocol Specific Part.
    pub part_len: usize,
}

/// One entry this LS originates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OwnRow {
    /// Cache Key.
    pub key: CacheKey,
    /// Its current CSA Sequence Number.
    pub seq: CsaSeq,
    /// Whether it is being purged, and how many DCSs have yet to acknowledge the purge.
    pub purge_waiting: Option<usize>,
}

/// The whole engine at a glance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScspSnapshot {
    /// LSID.
    pub local_id: ScspId,
    /// Protocol ID.
    pub protocol_id: u16,
    /// Server Group ID.
    pub server_group_id: u16,
    /// Live cache entries.
    pub cache_entries: usize,
    /// Purge tombstones held.
    pub tombstones: usize,
    /// Entries this LS originates.
    pub own: Vec<OwnRow>,
    /// Originations held until the first alignment (B.2.0.2).
    pub held_originations: usize,
    /// Each DCS.
    pub dcs: Vec<DcsStatus>,
    /// Counters summed over DCSs (and packets from unknown VCs).
    pub counters: Counters,
}
