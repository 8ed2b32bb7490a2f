//! What a client or MCS reports: events for the host, discards by reason, and counters named
//! after the MARS MIB (RFC 2417 `marsClientStatTable`, `marsMcsStatTable`).

use bytes::Bytes;
use mars_wire::{AtmAddress, Csn, DecodeError, ProtoAddr, Protocol};

use crate::mars::range::Range;
use crate::vc::{Cause, VcId};

/// Why the endpoint considers its MARS failed (§5.4, RFC 2149 §4.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FailureReason {
    /// The point-to-point VC to the MARS could not be established.
    ConnectFailed(Cause),
    /// A MARS_JOIN/LEAVE (or MSERV/UNSERV, or the registration) was retransmitted to the
    /// limit without a copy coming back (§5.2.2).
    RetransmitLimit,
    /// A MARS_REQUEST went unanswered to the limit (§5.1.1).
    RequestLimit,
    /// No MARS_REDIRECT_MAP for the configured limit (Appendix E, 4 min).
    RedirectMapsMissed,
    /// ClusterControlVC (ServerControlVC for an MCS) was released.
    ControlVcReleased(Cause),
}

/// Why a registration was started (RFC 2417 `marsClientRegistration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RegistrationCause {
    /// The first registration.
    Initial,
    /// Re-registration after a MARS failure (§5.4.1, §5.4.2): `reRegisteringFault`.
    Fault,
    /// A hard redirect from MARS_REDIRECT_MAP (§5.4.3): `reRegisteringRedirMap`.
    HardRedirect,
    /// A soft redirect (§5.4.3): the old registration stays in use until this one succeeds.
    SoftRedirect,
}

/// Why a reassembly of a multi-part reply failed (§5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ReassemblyError {
    /// `y` jumped between parts (a part was lost).
    SequenceJump,
    /// `mar$msn` changed between parts.
    MsnChanged,
    /// The next part did not arrive in time.
    Timeout,
    /// More addresses than the configured bound.
    TooLarge,
}

/// Why a received SDU or a local datagram was dropped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Discard {
    /// It did not decode.
    Malformed(#[serde(skip)] DecodeError),
    /// A MARS control message on a data VC, or anything but MARS control on a control VC.
    WrongVcKind,
    /// Neither MARS control nor MARS data (Type #1/#2) LLC/SNAP framing.
    UnknownFraming,
    /// `mar$pro` is not this interface's protocol (§9).
    OtherProtocol(Protocol),
    /// An unrecognised TLV with Type.x = 1 or 2 (§10.3); `reported` for x = 2.
    Tlv {
        /// The TLV's Type.
        tlv_type: u16,
        /// Whether Appendix D says to log it.
        reported: bool,
    },
    /// A control message on a VC whose calling party is not the current MARS (§5.4.3 trust).
    NotFromCurrentMars,
    /// A reply (MULTI, NAK, GROUPLIST_REPLY) whose source address is not this endpoint.
    NotForUs,
    /// A MARS_MULTI or MARS_NAK for a group with no MARS_REQUEST outstanding.
    Unsolicited,
    /// An operation a cluster member (or MCS) never receives (e.g. MARS_REQUEST).
    UnexpectedOp(u8),
    /// One of our own MARS_JOIN/LEAVEs came back with `copy` = 0 (§5.2.2: not a valid copy).
    NotACopy,
    /// A copy of a MARS_JOIN/LEAVE of ours with nothing outstanding (late duplicate).
    UnmatchedCopy,
    /// A registration copy with `mar$cmi` = 0 (§5.2.3: a non-zero CMI is returned).
    ZeroCmi,
    /// A MARS_REDIRECT_MAP listing no MARS.
    EmptyRedirectMap,
    /// A multi-part reply failed to reassemble (§5.1.1, §5.4.3).
    Reassembly(ReassemblyError),
    /// A MARS_JOIN/LEAVE whose `<min,max>` pairs break §5.2.1 (or of the wrong length).
    BadPairs,
    /// A Type #1 packet carrying our own CMI: our packet reflected by an MCS (§5.5.1).
    Reflected,
    /// A datagram for a group this endpoint has not joined.
    NotJoined(ProtoAddr),
    /// A datagram larger than `max_sdu`.
    TooLarge,
    /// A datagram to send while the MARS said the group is empty (§5.1.1: "MUST be
    /// discarded silently"), or with no way to resolve it.
    NoPath(ProtoAddr),
    /// The per-group queue of datagrams waiting for a VC was full.
    QueueFull(ProtoAddr),
    /// Queued datagrams dropped because the VC could not be set up.
    SetupFailed(ProtoAddr),
}

impl Discard {
    /// A short name for counters and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Discard::Malformed(_) => "malformed",
            Discard::WrongVcKind => "wrong_vc_kind",
            Discard::UnknownFraming => "unknown_framing",
            Discard::OtherProtocol(_) => "other_protocol",
            Discard::Tlv { .. } => "tlv",
            Discard::NotFromCurrentMars => "not_from_current_mars",
            Discard::NotForUs => "not_for_us",
            Discard::Unsolicited => "unsolicited",
            Discard::UnexpectedOp(_) => "unexpected_op",
            Discard::NotACopy => "not_a_copy",
            Discard::UnmatchedCopy => "unmatched_copy",
            Discard::ZeroCmi => "zero_cmi",
            Discard::EmptyRedirectMap => "empty_redirect_map",
            Discard::Reassembly(_) => "reassembly",
            Discard::BadPairs => "bad_pairs",
            Discard::Reflected => "reflected",
            Discard::NotJoined(_) => "not_joined",
            Discard::TooLarge => "too_large",
            Discard::NoPath(_) => "no_path",
            Discard::QueueFull(_) => "queue_full",
            Discard::SetupFailed(_) => "setup_failed",
        }
    }
}

/// A datagram received for the local layer 3 entity (§5.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The group, when the layer 3 header names it (IPv4 and IPv6 destination address).
    pub group: Option<ProtoAddr>,
    /// `pkt$pro` (or `mar$pro.type` of Type #2).
    pub pro: Protocol,
    /// The sender's CMI (`pkt$cmi`) for Type #1; `None` for Type #2.
    pub source_cmi: Option<u16>,
    /// The VC it arrived on.
    pub vc: VcId,
    /// The original layer 3 packet (shares the SDU's buffer).
    pub packet: Bytes,
}

/// What happened, for the host, logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientEvent {
    /// Registration with `mars` completed (§5.2.3, §6.2.3); `cmi` is 0 for an MCS.
    Registered {
        /// The MARS registered with.
        mars: AtmAddress,
        /// The Cluster Member ID assigned.
        cmi: u16,
        /// Why the registration was made.
        cause: RegistrationCause,
    },
    /// Deregistration completed (§5.2.3).
    Deregistered,
    /// The current MARS is considered failed (§5.4).
    MarsFailure {
        /// The MARS.
        mars: AtmAddress,
        /// Why.
        reason: FailureReason,
    },
    /// The endpoint moved to another MARS (§5.4.2) or was redirected (§5.4.3).
    MarsChanged {
        /// The MARS before.
        from: AtmAddress,
        /// The MARS now current.
        to: AtmAddress,
    },
    /// The looping guard deferred a re-registration by the force-wait time (Appendix E).
    LoopingGuard {
        /// When the re-registration will be attempted.
        until: crate::time::Instant,
    },
    /// A sequence number jump: `mar$msn − HSN` was neither 0 nor 1 (§5.1.4.2).
    SequenceJump {
        /// The HSN before.
        hsn: Csn,
        /// The `mar$msn` received.
        msn: Csn,
    },
    /// A MARS_JOIN (or MSERV) of ours was confirmed by its copy (§5.2.2).
    Joined(Range),
    /// A MARS_LEAVE (or UNSERV) of ours was confirmed by its copy.
    Left(Range),
    /// A group's membership was resolved (MARS_MULTI complete) with this many leaves.
    Resolved {
        /// The group.
        group: ProtoAddr,
        /// Leaves to send to (this endpoint excluded).
        leaves: usize,
    },
    /// The MARS says nobody else is in `group` (MARS_NAK, or only us): hold-down (§5.1.1).
    GroupEmpty(ProtoAddr),
    /// MARS_MIGRATE moved `group` to new leaves (§5.1.6).
    Migrated {
        /// The group.
        group: ProtoAddr,
        /// The new set of leaves.
        to: Vec<AtmAddress>,
    },
    /// A MARS_GROUPLIST_REPLY completed (§5.3).
    GroupList {
        /// The block asked about.
        range: Range,
        /// The groups with layer 3 members.
        groups: Vec<ProtoAddr>,
    },
    /// A datagram for the local layer 3 entity.
    Delivered(Delivery),
    /// A received message or a local datagram was dropped.
    Discarded {
        /// The VC it arrived on (`None` for a local datagram).
        vc: Option<VcId>,
        /// Why.
        reason: Discard,
    },
}

/// Counters of one endpoint. Those named `mars_client_stat_*` / `mars_mcs_stat_*` are the
/// RFC 2417 objects; the rest count what the MIB does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    /// MARS_REQUESTs sent.
    pub tx_req: u64,
    /// MARS_JOINs (client) or MARS_MSERVs (MCS) sent, registrations and retransmissions
    /// included.
    pub tx_join: u64,
    /// MARS_LEAVEs (client) or MARS_UNSERVs (MCS) sent.
    pub tx_leave: u64,
    /// MARS_GROUPLIST_REQUESTs sent.
    pub tx_grp_lst_req: u64,
    /// MARS_JOINs (client) or MARS_SJOINs (MCS) received.
    pub rx_join: u64,
    /// MARS_LEAVEs (client) or MARS_SLEAVEs (MCS) received.
    pub rx_leave: u64,
    /// MARS_MULTI parts received.
    pub rx_multi: u64,
    /// MARS_NAKs received.
    pub rx_nak: u64,
    /// MARS_MIGRATEs received.
    pub rx_migrate: u64,
    /// MARS_GROUPLIST_REPLY parts received.
    pub rx_grp_lst_rply: u64,
    /// MARS_REDIRECT_MAP parts received.
    pub rx_redirect_map: u64,
    /// Timeouts waiting for the last MARS_MULTI part (`marsClientStatFailMultiMsgs`).
    pub fail_multi: u64,
    /// Registrations completed.
    pub registrations: u64,
    /// MARS failures detected (§5.4).
    pub mars_failures: u64,
    /// Moves to another MARS (failover or redirect).
    pub mars_changes: u64,
    /// Sequence number jumps (§5.1.4.2).
    pub sequence_jumps: u64,
    /// Revalidations started (§5.1.5).
    pub revalidations: u64,
    /// Leaves added to outgoing VCs (L_MULTI_ADD, L_MULTI_RQ).
    pub leaves_added: u64,
    /// Leaves dropped from outgoing VCs (L_MULTI_DROP, ERR_L_DROP).
    pub leaves_dropped: u64,
    /// Data SDUs sent (each transmission on an outgoing VC).
    pub data_tx: u64,
    /// Data SDUs received on incoming VCs.
    pub data_rx: u64,
    /// Datagrams delivered to the local API.
    pub delivered: u64,
    /// Data SDUs forwarded by an MCS (RFC 2149 §4.3).
    pub forwarded: u64,
    /// Received SDUs or local datagrams discarded, all reasons.
    pub discards: u64,
    /// Discards because of our own reflected packets (§5.5.1).
    pub reflected: u64,
    /// Discards because the message did not decode.
    pub malformed: u64,
    /// Events dropped because the host did not poll them.
    pub events_dropped: u64,
}

/// The RFC 2417 `marsClientStatTable` of a client, plus the endpoint's other counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct ClientStats {
    pub mars_client_stat_tx_req_msgs: u64,
    pub mars_client_stat_tx_join_msgs: u64,
    pub mars_client_stat_tx_leave_msgs: u64,
    pub mars_client_stat_tx_grp_lst_req_msgs: u64,
    pub mars_client_stat_rx_join_msgs: u64,
    pub mars_client_stat_rx_leave_msgs: u64,
    pub mars_client_stat_rx_multi_msgs: u64,
    pub mars_client_stat_rx_nak_msgs: u64,
    pub mars_client_stat_rx_migrate_msgs: u64,
    pub mars_client_stat_rx_grp_lst_rply_msgs: u64,
    pub mars_client_stat_fail_multi_msgs: u64,
    /// Every counter of the endpoint.
    pub other: Counters,
}

impl From<&Counters> for ClientStats {
    fn from(c: &Counters) -> Self {
        ClientStats {
            mars_client_stat_tx_req_msgs: c.tx_req,
            mars_client_stat_tx_join_msgs: c.tx_join,
            mars_client_stat_tx_leave_msgs: c.tx_leave,
            mars_client_stat_tx_grp_lst_req_msgs: c.tx_grp_lst_req,
            mars_client_stat_rx_join_msgs: c.rx_join,
            mars_client_stat_rx_leave_msgs: c.rx_leave,
            mars_client_stat_rx_multi_msgs: c.rx_multi,
            mars_client_stat_rx_nak_msgs: c.rx_nak,
            mars_client_stat_rx_migrate_msgs: c.rx_migrate,
            mars_client_stat_rx_grp_lst_rply_msgs: c.rx_grp_lst_rply,
            mars_client_stat_fail_multi_msgs: c.fail_multi,
            other: c.clone(),
        }
    }
}

/// The RFC 2417 `marsMcsStatTable` of an MCS, plus the endpoint's other counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[allow(missing_docs)]
pub struct McsStats {
    pub mars_mcs_stat_tx_req_msgs: u64,
    pub mars_mcs_stat_tx_mserv_msgs: u64,
    pub mars_mcs_stat_tx_unserv_msgs: u64,
    pub mars_mcs_stat_rx_multi_msgs: u64,
    pub mars_mcs_stat_rx_sjoin_msgs: u64,
    pub mars_mcs_stat_rx_sleave_msgs: u64,
    pub mars_mcs_stat_rx_nak_msgs: u64,
    pub mars_mcs_stat_rx_migrate_msgs: u64,
    pub mars_mcs_stat_fail_multi_msgs: u64,
    /// Every counter of the endpoint.
    pub other: Counters,
}

impl From<&Counters> for McsStats {
    fn from(c: &Counters) -> Self {
        McsStats {
            mars_mcs_stat_tx_req_msgs: c.tx_req,
            mars_mcs_stat_tx_mserv_msgs: c.tx_join,
            mars_mcs_stat_tx_unserv_msgs: c.tx_leave,
            mars_mcs_stat_rx_multi_msgs: c.rx_multi,
            mars_mcs_stat_rx_sjoin_msgs: c.rx_join,
            mars_mcs_stat_rx_sleave_msgs: c.rx_leave,
            mars_mcs_stat_rx_nak_msgs: c.rx_nak,
            mars_mcs_stat_rx_migrate_msgs: c.rx_migrate,
            mars_mcs_stat_fail_multi_msgs: c.fail_multi,
            other: c.clone(),
        }
    }
}

/// Why a command from the host was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// No registration has completed yet, so there is no CMI for `pkt$cmi` (§5.5.1).
    #[error("not registered with a MARS yet")]
    NotRegistered,
    /// The group or block is already joined.
    #[error("already joined")]
    AlreadyJoined,
    /// The group or block was not joined.
    #[error("not joined")]
    NotJoined,
    /// A multi-group block overlapping one already joined (§5.2: "SHALL NOT issue such a
    /// multi-group block join for an address range fully or partially overlapped by
    /// multi-group block join(s) that the cluster member has previously issued").
    #[error("block overlaps a block already joined")]
    Overlap,
    /// `min > max`, or an address of the wrong length for the protocol (§5.2.1).
    #[error("not a valid <min,max> block for this protocol")]
    BadRange,
    /// The datagram does not fit in `max_sdu` with its encapsulation.
    #[error("datagram too large")]
    TooLarge,
    /// The operation does not apply to this role (e.g. joining from an MCS).
    #[error("not supported by this endpoint's role")]
    WrongRole,
}
