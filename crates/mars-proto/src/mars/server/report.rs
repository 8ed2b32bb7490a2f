//! What the server reports: counters named after the MARS MIB's `marsStatTable` (RFC 2417
//! §5), discards by reason, and events.

use std::collections::BTreeMap;

use mars_wire::mars::MarsOp;
use mars_wire::{AtmAddress, DecodeError, ProtoAddr, Protocol};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::mars::db::Cmi;
use crate::mars::range::Range;
use crate::mars::update::Update;
use crate::vc::{Cause, VcId};

/// Counters of one MARS, all clusters together (the MIB indexes `marsStatTable` by MARS and
/// interface, not by protocol).
///
/// The `mars_stat_*` fields are `marsStatTable` (RFC 2417 §5) under its own names;
/// `mars_stat_reg_mem_groups` and `mars_stat_reg_mcs_groups` are gauges computed when
/// [`super::MarsServer::stats`] is called. The other fields count what the MIB does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// `marsStatTxMultiMsgs`: MARS_MULTI parts sent.
    pub mars_stat_tx_multi_msgs: u64,
    /// `marsStatTxGrpLstRplyMsgs`: MARS_GROUPLIST_REPLY parts sent.
    pub mars_stat_tx_grp_lst_rply_msgs: u64,
    /// `marsStatTxRedirectMapMsgs`: MARS_REDIRECT_MAP parts sent (each control VC counts).
    pub mars_stat_tx_redirect_map_msgs: u64,
    /// `marsStatTxMigrateMsgs`.
    pub mars_stat_tx_migrate_msgs: u64,
    /// `marsStatTxNakMsgs`.
    pub mars_stat_tx_nak_msgs: u64,
    /// `marsStatTxJoinMsgs`: MARS_JOINs sent, on ClusterControlVC or privately.
    pub mars_stat_tx_join_msgs: u64,
    /// `marsStatTxLeaveMsgs`.
    pub mars_stat_tx_leave_msgs: u64,
    /// `marsStatTxSjoinMsgs`.
    pub mars_stat_tx_sjoin_msgs: u64,
    /// `marsStatTxSleaveMsgs`.
    pub mars_stat_tx_sleave_msgs: u64,
    /// `marsStatTxMservMsgs`.
    pub mars_stat_tx_mserv_msgs: u64,
    /// `marsStatTxUnservMsgs`.
    pub mars_stat_tx_unserv_msgs: u64,
    /// `marsStatRxReqMsgs`: MARS_REQUESTs received (that decoded).
    pub mars_stat_rx_req_msgs: u64,
    /// `marsStatRxGrpLstReqMsgs`.
    pub mars_stat_rx_grp_lst_req_msgs: u64,
    /// `marsStatRxJoinMsgs`: MARS_JOINs received, registrations included.
    pub mars_stat_rx_join_msgs: u64,
    /// `marsStatRxLeaveMsgs`.
    pub mars_stat_rx_leave_msgs: u64,
    /// `marsStatRxMservMsgs`.
    pub mars_stat_rx_mserv_msgs: u64,
    /// `marsStatRxUnservMsgs`.
    pub mars_stat_rx_unserv_msgs: u64,
    /// `marsStatRxBlkJoinMsgs`: MARS_JOINs of a block of two or more groups.
    pub mars_stat_rx_blk_join_msgs: u64,
    /// `marsStatRegMemGroups`: groups with one or more members (a block counts every
    /// address it covers; saturates at `u64::MAX`).
    pub mars_stat_reg_mem_groups: u64,
    /// `marsStatRegMcsGroups`: groups with one or more MCSs.
    pub mars_stat_reg_mcs_groups: u64,
    /// Received messages dropped, all reasons.
    pub discards: u64,
    /// Received messages dropped, by [`Discard::name`].
    pub discards_by_reason: BTreeMap<&'static str, u64>,
    /// Registrations completed (member or MCS leaf added).
    pub registrations: u64,
    /// Registrations abandoned because the leaf could not be added.
    pub registration_failures: u64,
    /// Deregistrations, all causes.
    pub deregistrations: u64,
    /// Members and MCSs removed because their leaf dropped or their control VC was released.
    pub unexpected_removals: u64,
    /// JOINs that changed no membership (retransmissions, joins of groups already covered):
    /// answered privately, not propagated (§6.1.2).
    pub redundant_joins: u64,
    /// LEAVEs that changed no membership (retransmissions, leaves of ranges never joined).
    pub redundant_leaves: u64,
    /// Redundant MSERVs and UNSERVs, returned to the MCS (§6.2.2).
    pub redundant_mserv_unserv: u64,
    /// Incoming calls refused.
    pub calls_refused: u64,
}

impl ServerStats {
    pub(super) fn count_discard(&mut self, reason: &Discard) {
        self.discards += 1;
        *self.discards_by_reason.entry(reason.name()).or_default() += 1;
    }
}

/// Why a received message was dropped (a peer's mistake, RFC 2022 behaviour).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discard {
    /// It did not decode.
    Malformed(DecodeError),
    /// Not LLC/SNAP-framed MARS control (e.g. data or SCSP on a client VC).
    NotMarsControl,
    /// An unrecognised TLV with Type.x = 1 or 2 (RFC 2022 §10.2); `reported` for x = 2.
    Tlv {
        /// The TLV's whole Type subfield.
        tlv_type: u16,
        /// Type.x = 2: "give error indication".
        reported: bool,
    },
    /// Empty source ATM number (§6).
    NullSource,
    /// `mar$pro` not served by this MARS (§6).
    UnsupportedProtocol(Protocol),
    /// The source ATM address is not the calling party of the VC it came on.
    SourceMismatch,
    /// `mar$flags.copy` set on a message to the MARS (§6.1.2).
    CopySet,
    /// Not exactly one `<min,max>` pair, or min > max, or a length the protocol does not use
    /// (§6.1.2, §5.2.1, §6.2.2).
    BadPairs,
    /// A non-registration message from a node not registered (§6.1.2, §6.1.1, §6.2.2).
    NotRegistered,
    /// An operation a MARS does not accept (e.g. MARS_MULTI sent to it).
    UnexpectedOp(u8),
    /// No free CMI.
    CmisExhausted,
    /// An SDU on a VC this engine does not know as a client VC.
    UnknownVc,
}

impl Discard {
    /// A short name for counters and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Discard::Malformed(_) => "malformed",
            Discard::NotMarsControl => "not_mars_control",
            Discard::Tlv { .. } => "tlv",
            Discard::NullSource => "null_source",
            Discard::UnsupportedProtocol(_) => "unsupported_protocol",
            Discard::SourceMismatch => "source_mismatch",
            Discard::CopySet => "copy_set",
            Discard::BadPairs => "bad_pairs",
            Discard::NotRegistered => "not_registered",
            Discard::UnexpectedOp(_) => "unexpected_op",
            Discard::CmisExhausted => "cmis_exhausted",
            Discard::UnknownVc => "unknown_vc",
        }
    }
}

impl Serialize for Discard {
    /// `{"reason": name, …details}`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("reason", self.name())?;
        match self {
            Discard::Malformed(e) => {
                m.serialize_entry("field", e.field)?;
                m.serialize_entry("offset", &e.offset)?;
                m.serialize_entry("error", &e.to_string())?;
            }
            Discard::Tlv { tlv_type, reported } => {
                m.serialize_entry("tlv_type", tlv_type)?;
                m.serialize_entry("reported", reported)?;
            }
            Discard::UnsupportedProtocol(p) => m.serialize_entry("pro", &p.to_string())?,
            Discard::UnexpectedOp(op) => m.serialize_entry("op", op)?,
            _ => {}
        }
        m.end()
    }
}

/// What happened, for logs, tests and the distributed layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ServerEvent {
    /// A received message was dropped.
    Discarded {
        /// The VC it came on.
        #[serde(serialize_with = "display")]
        vc: VcId,
        /// Why.
        reason: Discard,
    },
    /// A JOIN or LEAVE changed no membership; it was answered privately (§6.1.2).
    Redundant {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// The member.
        cmi: Cmi,
        /// `MARS_JOIN` or `MARS_LEAVE`.
        op: &'static str,
        /// The range it named.
        range: Range,
    },
    /// A local client changed the database; the RFC 2443 layer turns this into a CSA.
    Local(Update),
    /// A cluster member completed registration here (its leaf is on ClusterControlVC).
    Registered {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// Its CMI.
        cmi: Cmi,
        /// Its ATM address.
        addr: AtmAddress,
    },
    /// A member left the cluster (`cause` is set when its leaf dropped or ClusterControlVC
    /// was released rather than a deregistration).
    Deregistered {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// Its CMI (now free).
        cmi: Cmi,
        /// Its ATM address.
        addr: AtmAddress,
        /// The release cause when it vanished.
        cause: Option<Cause>,
    },
    /// An MCS completed registration (its leaf is on ServerControlVC).
    McsRegistered {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// Its id (from the CMI space; MCSs are sent `mar$cmi` 0).
        id: Cmi,
        /// Its ATM address.
        addr: AtmAddress,
    },
    /// An MCS left (deregistration, or its leaf dropped: `cause`).
    McsDeregistered {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// Its id.
        id: Cmi,
        /// Its ATM address.
        addr: AtmAddress,
        /// The groups it served, now announced as left (see `docs/mars-server.md`).
        groups: Vec<ProtoAddr>,
        /// The release cause when it vanished.
        cause: Option<Cause>,
    },
    /// A registration was abandoned: the endpoint could not be added as a leaf, or left
    /// before it was. Its CMI is free again; nothing was announced.
    RegistrationFailed {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// The CMI (or MCS id) it had been given.
        cmi: Cmi,
        /// Its ATM address.
        addr: AtmAddress,
        /// Whether it was an MCS.
        mcs: bool,
        /// The cause of the failed ADD PARTY, if that was the reason.
        cause: Option<Cause>,
    },
    /// A MARS_MIGRATE was sent for `group` (§6.2.2).
    Migrated {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// The group now served by an MCS.
        group: ProtoAddr,
    },
    /// Something the engine built could not be sent, or a peer's update not applied.
    Conflict {
        /// What went wrong.
        reason: String,
    },
    /// A JOIN/LEAVE changed the host map.
    Membership {
        /// The cluster.
        #[serde(serialize_with = "display")]
        pro: Protocol,
        /// The member.
        cmi: Cmi,
        /// JOIN (true) or LEAVE.
        joined: bool,
        /// The addresses whose membership changed.
        changed: Vec<Range>,
    },
}

/// Serialize with `Display` (VC ids as `vc:in1`, protocols as `IPv4`).
pub(crate) fn display<T: core::fmt::Display, S: Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The name of a JOIN-layout operation, for events.
pub(super) fn op_name(op: MarsOp) -> &'static str {
    op.name()
}
