//! What the engine reports: cache changes for the client protocol, DCS state changes, and the
//! peers' mistakes (design principle 3: "Peers' mistakes are events, not errors").

use bytes::Bytes;
use mars_wire::scsp::{CacheKey, ScspId};
use mars_wire::{AtmAddress, CsaSeq};

use super::alignment::CaState;
use super::config::StaleOwnPolicy;
use super::hello::HelloState;

/// Serialise octets as lower-case hexadecimal.
pub(crate) fn hex_bytes<S: serde::Serializer>(b: &Bytes, s: S) -> Result<S::Ok, S::Error> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(b.len() * 2);
    for x in b.iter() {
        let _ = write!(out, "{x:02x}");
    }
    s.serialize_str(&out)
}

/// Why a cache entry left the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WithdrawCause {
    /// A purging CSA (sequence number 2^31−1, B.2.0.2) arrived.
    Purged,
    /// The client protocol removed it locally ([`super::ScspEngine::remove_local`]).
    Flushed,
}

/// An "abnormal event" (§2.1): the HFSM of the DCS goes to Waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Abnormal {
    /// A malformed SCSP message (§2.1: "such as receiving a malformed SCSP message").
    Malformed,
    /// A CSA record was retransmitted the configured number of times without acknowledgement
    /// (§2.3).
    RetransmitLimit,
    /// A CSUS was retransmitted the configured number of times without any CSA in answer
    /// (decision: §2.2.3 sets no limit; the CSA rule of §2.3 is applied).
    CsusUnanswered,
    /// The DCS's Hellos changed Sender ID: it is another server now.
    SenderChanged,
}

/// Why a received packet (or one record of it) was dropped without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Discard {
    /// An SDU or event on a VC this engine does not know.
    UnknownVc,
    /// A call from an address that is no configured DCS (refused).
    UnknownCaller,
    /// A call from the address of a DCS that was removed (refused): the peer still names this
    /// server. Counted apart from [`Discard::UnknownCaller`] for operators reconfiguring a
    /// server group.
    RemovedDcs,
    /// An SDU whose LLC/SNAP header is not SCSP's (PID 0x0005).
    NotScsp,
    /// The packet did not decode or broke the client protocol's rules (also an abnormal
    /// event).
    Malformed,
    /// Another Protocol ID or Server Group ID.
    WrongGroup,
    /// A message other than Hello before the HFSM is Bidirectional (§2.1: "MUST be ignored").
    NotBidirectional,
    /// A Sender ID that is not the DCS's.
    WrongSender,
    /// A Receiver ID that is not this LS's (nor all 0xFF for a CSU Request): §2.2.3, §2.3.
    WrongReceiver,
    /// A message the CAFSM's state does not take (e.g. a CSU before Update Cache, §2.3).
    WrongState,
    /// A CA message that is a duplicate (§2.2.2 rule 2) or that the state ignores (§2.2.1
    /// rule 3).
    CaIgnored,
    /// A CSA record with Hop Count 0.
    HopCountZero,
    /// A record not processed for lack of room (cache, CRL or retransmit queue limit).
    NoRoom,
    /// A record too large for the VC's MTU: not sent.
    TooLarge,
    /// A CSU Reply record matching nothing queued, or older than what is queued (§2.3).
    StaleAck,
    /// Authentication: no Authentication Extension where it is mandatory (B.3.1).
    AuthMissing,
    /// Authentication: an SPI with no active security association.
    AuthUnknownSpi,
    /// Authentication: the MAC does not verify.
    AuthBadMac,
    /// Authentication: the packet could not be decoded to find its extension.
    AuthUndecodable,
    /// A packet this LS could not sign where authentication is mandatory (B.3.1.4: "the
    /// packet is dropped and this information is logged").
    AuthCannotSign,
}

impl Discard {
    /// Whether this is an authentication failure (B.3.1: "an abnormal event" that is logged;
    /// see [`super`] for why it changes no state).
    pub const fn is_auth(self) -> bool {
        matches!(
            self,
            Discard::AuthMissing
                | Discard::AuthUnknownSpi
                | Discard::AuthBadMac
                | Discard::AuthUndecodable
        )
    }
}

/// Something the engine reports. The owner drains them with
/// [`super::ScspEngine::poll_event`] after each call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum ScspEvent {
    /// The HFSM of a DCS changed state (§2.1).
    HelloState {
        /// DCS index.
        dcs: usize,
        /// Old state.
        from: HelloState,
        /// New state.
        to: HelloState,
    },
    /// The CAFSM of a DCS changed state (§2.2).
    CaState {
        /// DCS index.
        dcs: usize,
        /// Old state.
        from: CaState,
        /// New state.
        to: CaState,
    },
    /// A DCS is up: its HFSM reached Bidirectional.
    DcsUp {
        /// DCS index.
        dcs: usize,
        /// Its Server ID.
        id: ScspId,
    },
    /// A DCS is down: its HFSM left Bidirectional.
    DcsDown {
        /// DCS index.
        dcs: usize,
    },
    /// A DCS was added to the running engine ([`super::ScspEngine::add_dcs`]); the index is
    /// new, or the one its address had before it was removed.
    DcsAdded {
        /// DCS index.
        dcs: usize,
        /// Its ATM address.
        address: AtmAddress,
    },
    /// A DCS was removed from the running engine ([`super::ScspEngine::remove_dcs`]): its VC
    /// was released and its state dropped; the records learned from it stay in the cache.
    /// Preceded by `DcsDown` if it was up. No event names this index again unless the address
    /// is added again.
    DcsRemoved {
        /// DCS index.
        dcs: usize,
        /// Its ATM address.
        address: AtmAddress,
    },
    /// Cache alignment with a DCS completed: its CAFSM reached Aligned.
    AlignmentComplete {
        /// DCS index.
        dcs: usize,
    },
    /// A CSA from another server entered the cache or replaced an older instance.
    Learned {
        /// Cache Key.
        key: CacheKey,
        /// Originator ID.
        origin: ScspId,
        /// Its CSA Sequence Number.
        seq: CsaSeq,
        /// Client/Server Protocol Specific Part.
        #[serde(serialize_with = "hex_bytes")]
        part: Bytes,
        /// The sequence number of the live instance it replaced, if any.
        previous: Option<CsaSeq>,
        /// The DCS it came from.
        from: usize,
    },
    /// A live entry left the cache.
    Withdrawn {
        /// Cache Key.
        key: CacheKey,
        /// Originator ID.
        origin: ScspId,
        /// The sequence number it had.
        seq: CsaSeq,
        /// Why.
        cause: WithdrawCause,
    },
    /// An entry this LS originates came back from the server group with a newer sequence
    /// number than its own (B.2.0.2's restart case); it was renumbered and re-flooded.
    OwnEntryRenumbered {
        /// Cache Key.
        key: CacheKey,
        /// The number this LS had.
        old: CsaSeq,
        /// The number the server group had.
        found: CsaSeq,
        /// The number it goes out with now.
        new: CsaSeq,
    },
    /// An entry this LS originates reached 2^31−2 (or has to pass a purge) and is being
    /// purged before it restarts at −2^31+1 (B.2.0.2).
    OwnEntryPurging {
        /// Cache Key.
        key: CacheKey,
    },
    /// An origination that [`super::ScspEngine::originate`] could not send at once (held
    /// until alignment, or behind a purge) went out.
    OwnEntrySent {
        /// Cache Key.
        key: CacheKey,
        /// Its CSA Sequence Number.
        seq: CsaSeq,
    },
    /// An entry this LS originated before a restart came back (B.2.0.2).
    StaleOwnEntry {
        /// Cache Key.
        key: CacheKey,
        /// Its sequence number.
        seq: CsaSeq,
        /// What was done with it.
        action: StaleOwnPolicy,
    },
    /// An abnormal event moved the HFSM of a DCS to Waiting (§2.1).
    Abnormal {
        /// DCS index.
        dcs: usize,
        /// What happened.
        reason: Abnormal,
    },
    /// A received packet or record was dropped.
    Discarded {
        /// DCS index, if the VC is known.
        dcs: Option<usize>,
        /// Why.
        reason: Discard,
        /// Detail (e.g. the decode error), when there is one.
        detail: Option<String>,
    },
}
