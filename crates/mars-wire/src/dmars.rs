//! The CSA Record "MARS Specific Part" of the Distributed MARS service (RFC 2443 §3, §5), and
//! the values RFC 2443 §4 fixes in the SCSP protocol independent part.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Hardware Type          |        Protocol Type          |   0
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                              SNAP                             |   4  (SNAP is 40 bits:
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+       octets 4..9)
//! |     SNAP      |   Unused      |    Version    |   State       |   8
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Flags              |       Cluster Member ID       |  12
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Src Addr Len  | Group Addr Len| ATM Addr T/L  |ATM SubAddr T/L|  16
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Source Protocol Address             (variable length)     |  20
//! |     Source ATM Address                  (variable length)     |
//! |     Source ATM SubAddress               (variable length)     |
//! |     Minimum Multicast Group Address     (variable length)     |
//! |     Maximum Multicast Group Address     (variable length)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Note the order: the protocol address comes *before* the ATM number and subaddress (unlike
//! RFC 2022 messages), and there is no padding. Minimum and Maximum are each Group Addr Len
//! octets; both are absent when it is 0.
//!
//! What RFC 2443 states about these fields is checked while decoding (and refused by the
//! encoder), each rule a typed error naming the field:
//!
//! | rule | source | error |
//! |---|---|---|
//! | Hardware Type is 0x000F | §3 | `BadValue` on `Hardware Type` |
//! | Version is 0 | §3 "MUST be set to 0x00" | `UnsupportedVersion` on `Version` |
//! | State is 1–5 | §3 "All other State values should cause the CSA to be discarded" | `UnknownType` on `State` |
//! | Flags bits other than 15, 13, 0–7 are zero | §3 "reserved and MUST be zero" | `ReservedNonZero` on `Flags` |
//! | Redirect Entry: Flags, CMI, Src Addr Len, Group Addr Len zero | §5.1 "unused and set to zero" | `ReservedNonZero` on that field |
//! | MCS states 2 and 5: layer3grp clear | §5.2 "MUST be zero"; §5.5 "same as in Section 5.2" | `BadValue` on `Flags` |
//! | register set (states 2–5): Group Addr Len 0 | §5.2, §5.3 "this field MUST be zero" (§5.4, §5.5 by reference) | `BadValue` on `Group Addr Len` |
//! | layer3grp set, IPv4: Minimum = Maximum | §5.3 "MUST be equal for IPv4" | `BadValue` on `Maximum Multicast Group Address` |
//!
//! Decisions:
//! - **Hardware Type must be 0x000F.** §3 defines it as the ATM Forum address family number,
//!   15, "the mar$afn field", and the ATM Addr T/L coding used here (RFC 2022 §5.1.2) is
//!   defined only for that family; another value could not be interpreted. It is therefore not
//!   a field of [`MarsCsa`] but the constant [`HARDWARE_TYPE_ATM`].
//! - **layer3grp ⇒ Minimum = Maximum only when Protocol Type is 0x0800** (IPv4, short form):
//!   §5.3 says "MUST be equal for IPv4"; for other protocols RFC 2443 says nothing, so nothing
//!   is imposed.
//! - The layer3grp rule of §5.2 (MCS) is applied to state 5 too, since §5.5 defines the
//!   MCS Unserve/Deregister fields as "the same as in Section 5.2"; likewise the register ⇒
//!   Group Addr Len 0 rule reaches state 4 through §5.4.
//! - Not enforced: that the Source ATM SubAddress is an NSAPA and that a non-redirect entry
//!   has a non-null Source ATM Address or an IPv4 Src Addr Len of 4. These are descriptions
//!   of what a MARS fills in, not wire constraints; the ATM address forms themselves are still
//!   checked (NSAPA 20 octets, E.164 IA5 digits), exactly as for RFC 2022 messages, so that
//!   whatever a MARS accepted from a client can be propagated.

use crate::atm::{AtmAddr, AtmAddress};
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::pro::{Protocol, PRO_IPV4};
use crate::proto_addr::ProtoAddr;
use crate::scsp::{CsaRecord, CsasRecord};

/// SCSP Protocol ID for MARS (RFC 2443 §4.1, RFC 2334 B.2.0.1).
pub const PROTOCOL_ID: u16 = 3;
/// Sender ID Len and Recvr ID Len (RFC 2443 §4.1). A Hello that has heard nobody still has
/// Recvr ID Len 0 (RFC 2334 B.2.5).
pub const SERVER_ID_LEN: usize = 4;
/// Cache Key Len (RFC 2443 §4.2).
pub const CACHE_KEY_LEN: usize = 4;
/// Orig ID Len (RFC 2443 §4.2).
pub const ORIGINATOR_ID_LEN: usize = 4;

/// Hardware Type: the ATM Forum address family number, 15 (RFC 2443 §3).
pub const HARDWARE_TYPE_ATM: u16 = 0x000F;
/// Version of the MARS Specific Part (RFC 2443 §3: "MUST be set to 0x00").
pub const MARS_PART_VERSION: u8 = 0;
/// Octets of the MARS Specific Part before the Source Protocol Address.
pub const MARS_PART_FIXED_LEN: usize = 20;

/// `mar$flags.layer3grp`, bit 15 (RFC 2443 §3, RFC 2022 §5.2.1).
pub const FLAG_LAYER3GRP: u16 = 0x8000;
/// `mar$flags.register`, bit 13.
pub const FLAG_REGISTER: u16 = 0x2000;
/// `mar$flags.sequence`, bits 0–7.
pub const FLAG_SEQUENCE: u16 = 0x00FF;
/// "All remaining bits are reserved and MUST be zero" (§3): bits 14 and 8–12.
pub const FLAG_RESERVED: u16 = !(FLAG_LAYER3GRP | FLAG_REGISTER | FLAG_SEQUENCE);

// Offsets within the MARS Specific Part.
const OFF_VERSION: usize = 10;
const OFF_STATE: usize = 11;
const OFF_FLAGS: usize = 12;
const OFF_CMI: usize = 14;
const OFF_SPLN: usize = 16;
const OFF_GPLN: usize = 17;
const OFF_SHTL: usize = 18;
const OFF_SSTL: usize = 19;

/// The State of a MARS CSA (RFC 2443 §3, §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[repr(u8)]
pub enum CsaState {
    /// 1: MARS Server Redirect Entry (§5.1), a server's heartbeat and backup-list entry.
    ServerRedirect = 1,
    /// 2: MCS Serve/Register request (§5.2).
    McsServe = 2,
    /// 3: MARS Client Join/Register request (§5.3).
    ClientJoin = 3,
    /// 4: MARS Client Leave/Deregister request (§5.4).
    ClientLeave = 4,
    /// 5: MCS Unserve/Deregister request (§5.5).
    McsUnserve = 5,
}

impl CsaState {
    /// The State code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The state for a code, if RFC 2443 defines it.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => CsaState::ServerRedirect,
            2 => CsaState::McsServe,
            3 => CsaState::ClientJoin,
            4 => CsaState::ClientLeave,
            5 => CsaState::McsUnserve,
            _ => return None,
        })
    }

    /// Whether the entry concerns an MCS (states 2 and 5, §5.2 and §5.5).
    pub const fn is_mcs(self) -> bool {
        matches!(self, CsaState::McsServe | CsaState::McsUnserve)
    }
}

/// The Flags of the MARS Specific Part (RFC 2443 §3), "similar to the mar$flags field" of RFC
/// 2022. Only these bits exist: the reserved ones must be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CsaFlags {
    /// `mar$flags.layer3grp` (bit 15), as in the originating MARS_JOIN.
    pub layer3grp: bool,
    /// `mar$flags.register` (bit 13): a (de)registration rather than a group change.
    pub register: bool,
    /// `mar$flags.sequence` (bits 0–7), "of local significance only to the LS".
    pub sequence: u8,
}

impl CsaFlags {
    /// The 16-bit field.
    pub const fn bits(self) -> u16 {
        (if self.layer3grp { FLAG_LAYER3GRP } else { 0 })
            | (if self.register { FLAG_REGISTER } else { 0 })
            | self.sequence as u16
    }

    /// From the 16-bit field; `None` if a reserved bit is set.
    pub const fn from_bits(bits: u16) -> Option<Self> {
        if bits & FLAG_RESERVED != 0 {
            return None;
        }
        Some(CsaFlags {
            layer3grp: bits & FLAG_LAYER3GRP != 0,
            register: bits & FLAG_REGISTER != 0,
            sequence: (bits & FLAG_SEQUENCE) as u8,
        })
    }
}

/// A multicast group address range: Minimum and Maximum Multicast Group Address
/// (`mar$min`/`mar$max`), both Group Addr Len octets long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GroupRange {
    /// Minimum Multicast Group Address.
    pub min: ProtoAddr,
    /// Maximum Multicast Group Address.
    pub max: ProtoAddr,
}

impl GroupRange {
    /// A range of one group.
    pub const fn single(group: ProtoAddr) -> Self {
        GroupRange {
            min: group,
            max: group,
        }
    }
}

/// The CSA Record MARS Specific Part (RFC 2443 §3; states in §5.1–§5.5).
///
/// Hardware Type (always [`HARDWARE_TYPE_ATM`]), Version (always 0) and the five length and
/// type & length fields are not stored: they follow from the other fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MarsCsa {
    /// Protocol Type and SNAP (`mar$pro`); the SNAP octets are kept as received.
    #[cfg_attr(feature = "serde", serde(rename = "protocol"))]
    pub pro: Protocol,
    /// The Unused octet, kept as received.
    pub unused: u8,
    /// State.
    pub state: CsaState,
    /// Flags.
    pub flags: CsaFlags,
    /// Cluster Member ID (`mar$cmi`): the CMI the owning MARS assigned (0 for state 1).
    #[cfg_attr(feature = "serde", serde(rename = "cluster_member_id"))]
    pub cmi: u16,
    /// Source Protocol Address (`mar$spa`), null when Src Addr Len is 0.
    #[cfg_attr(feature = "serde", serde(rename = "source_protocol_address"))]
    pub spa: ProtoAddr,
    /// Source ATM Address and SubAddress (`mar$sha`, `mar$ssa`).
    #[cfg_attr(feature = "serde", serde(rename = "source_atm_address"))]
    pub source: AtmAddress,
    /// Minimum and Maximum Multicast Group Address; `None` when Group Addr Len is 0.
    #[cfg_attr(feature = "serde", serde(rename = "group_range"))]
    pub group: Option<GroupRange>,
}

fn err(kind: DecodeErrorKind, field: &'static str, offset: usize) -> DecodeError {
    DecodeError::new(kind, field, offset)
}

/// The first (up to) eight octets of `s` as a big-endian number, for error reports.
fn be_value(s: &[u8]) -> u64 {
    s.iter().take(8).fold(0, |acc, &b| acc << 8 | u64::from(b))
}

impl MarsCsa {
    /// A MARS Server Redirect Entry (state 1, §5.1) for the server at `source`.
    pub const fn redirect_entry(pro: Protocol, source: AtmAddress) -> Self {
        MarsCsa {
            pro,
            unused: 0,
            state: CsaState::ServerRedirect,
            flags: CsaFlags {
                layer3grp: false,
                register: false,
                sequence: 0,
            },
            cmi: 0,
            spa: ProtoAddr::NULL,
            source,
            group: None,
        }
    }

    /// Encoded size in octets.
    pub fn wire_len(&self) -> usize {
        MARS_PART_FIXED_LEN
            + self.spa.len()
            + self.source.wire_len()
            + self.group.map_or(0, |g| g.min.len() + g.max.len())
    }

    /// Decode the Client/Server Protocol Specific Part of a CSA record. Offsets count from
    /// the first octet of that part (use [`DecodeError::shifted`] to place them in a packet).
    pub fn decode(part: &[u8]) -> Result<Self, DecodeError> {
        use DecodeErrorKind::*;
        let mut r = Reader::new(part);
        let hw = r.u16("Hardware Type")?;
        if hw != HARDWARE_TYPE_ATM {
            return Err(err(
                BadValue {
                    value: u64::from(hw),
                },
                "Hardware Type",
                0,
            ));
        }
        let ty = r.u16("Protocol Type")?;
        let snap = r.array::<5>("SNAP")?;
        let unused = r.u8("Unused")?;
        let version = r.u8("Version")?;
        if version != MARS_PART_VERSION {
            let kind = UnsupportedVersion {
                value: u64::from(version),
            };
            return Err(err(kind, "Version", OFF_VERSION));
        }
        let code = r.u8("State")?;
        let state = CsaState::from_code(code).ok_or_else(|| {
            err(
                UnknownType {
                    value: u64::from(code),
                },
                "State",
                OFF_STATE,
            )
        })?;
        let bits = r.u16("Flags")?;
        let flags = CsaFlags::from_bits(bits).ok_or_else(|| {
            let kind = ReservedNonZero {
                value: u64::from(bits & FLAG_RESERVED),
            };
            err(kind, "Flags", OFF_FLAGS)
        })?;
        let redirect = state == CsaState::ServerRedirect;
        // §5.1: "The Flags, Cluster Member ID, Src Addr Len, and Group Addr Len fields are
        // unused and set to zero."
        let unused_nonzero = |v: u64, field, at| err(ReservedNonZero { value: v }, field, at);
        if redirect && bits != 0 {
            return Err(unused_nonzero(u64::from(bits), "Flags", OFF_FLAGS));
        }
        // §5.2: "The mar$flags.layer3grp bit MUST be zero" (and §5.5 by reference).
        if state.is_mcs() && flags.layer3grp {
            return Err(err(
                BadValue {
                    value: u64::from(bits),
                },
                "Flags",
                OFF_FLAGS,
            ));
        }
        let cmi = r.u16("Cluster Member ID")?;
        if redirect && cmi != 0 {
            return Err(unused_nonzero(u64::from(cmi), "Cluster Member ID", OFF_CMI));
        }
        let spln = r.u8("Src Addr Len")?;
        if redirect && spln != 0 {
            return Err(unused_nonzero(u64::from(spln), "Src Addr Len", OFF_SPLN));
        }
        let gpln = r.u8("Group Addr Len")?;
        if redirect && gpln != 0 {
            return Err(unused_nonzero(u64::from(gpln), "Group Addr Len", OFF_GPLN));
        }
        // §5.2, §5.3: "If the register bit in the flags field is set to 1 in the request this
        // field MUST be zero."
        if flags.register && gpln != 0 {
            let kind = BadValue {
                value: u64::from(gpln),
            };
            return Err(err(kind, "Group Addr Len", OFF_GPLN));
        }
        let shtl = r.u8("ATM Addr T/L")?;
        let sstl = r.u8("ATM SubAddr T/L")?;
        let spa = ProtoAddr::read(
            &mut r,
            spln,
            "Src Addr Len",
            OFF_SPLN,
            "Source Protocol Address",
        )?;
        let number = AtmAddr::read(&mut r, shtl, "ATM Addr T/L", OFF_SHTL, "Source ATM Address")?;
        let sub = AtmAddr::read(
            &mut r,
            sstl,
            "ATM SubAddr T/L",
            OFF_SSTL,
            "Source ATM SubAddress",
        )?;
        let group = if gpln == 0 {
            None
        } else {
            let min = ProtoAddr::read(
                &mut r,
                gpln,
                "Group Addr Len",
                OFF_GPLN,
                "Minimum Multicast Group Address",
            )?;
            let max_at = r.offset();
            let max = ProtoAddr::read(
                &mut r,
                gpln,
                "Group Addr Len",
                OFF_GPLN,
                "Maximum Multicast Group Address",
            )?;
            // §5.3: "If the mar$flags.layer3grp is set to 1 than the Minimum and Maximum
            // Multicast Group Addresses MUST be equal for IPv4."
            if flags.layer3grp && ty == PRO_IPV4 && min != max {
                let kind = BadValue {
                    value: be_value(max.as_bytes()),
                };
                return Err(err(kind, "Maximum Multicast Group Address", max_at));
            }
            Some(GroupRange { min, max })
        };
        r.finish("MARS Specific Part")?;
        Ok(MarsCsa {
            pro: Protocol { ty, snap },
            unused,
            state,
            flags,
            cmi,
            spa,
            source: AtmAddress { number, sub },
            group,
        })
    }

    /// Check the rules the decoder enforces (see the module documentation), so that what is
    /// encoded decodes.
    pub fn validate(&self) -> Result<(), EncodeError> {
        let invalid = |field, detail| Err(EncodeError::Invalid { field, detail });
        if self.state == CsaState::ServerRedirect {
            if self.flags != CsaFlags::default() {
                return invalid("Flags", "a Redirect Entry has zero Flags (RFC 2443 §5.1)");
            }
            if self.cmi != 0 {
                return invalid(
                    "Cluster Member ID",
                    "a Redirect Entry has CMI 0 (RFC 2443 §5.1)",
                );
            }
            if !self.spa.is_null() {
                return invalid(
                    "Src Addr Len",
                    "a Redirect Entry has no protocol address (RFC 2443 §5.1)",
                );
            }
            if self.group.is_some() {
                return invalid(
                    "Group Addr Len",
                    "a Redirect Entry has no group range (RFC 2443 §5.1)",
                );
            }
        }
        if self.state.is_mcs() && self.flags.layer3grp {
            return invalid("Flags", "layer3grp MUST be zero for an MCS (RFC 2443 §5.2)");
        }
        if let Some(g) = &self.group {
            if self.flags.register {
                return invalid(
                    "Group Addr Len",
                    "MUST be zero when register is set (RFC 2443 §5.2, §5.3)",
                );
            }
            if g.min.len() != g.max.len() {
                return Err(EncodeError::Inconsistent {
                    field: "Group Addr Len",
                    detail: "Minimum and Maximum differ in length",
                });
            }
            if g.min.is_null() {
                return invalid(
                    "Group Addr Len",
                    "a group range has non-null addresses (use None for no range)",
                );
            }
            if self.flags.layer3grp && self.pro.ty == PRO_IPV4 && g.min != g.max {
                return invalid(
                    "Maximum Multicast Group Address",
                    "layer3grp: Minimum and Maximum MUST be equal for IPv4 (RFC 2443 §5.3)",
                );
            }
        }
        Ok(())
    }

    /// Append the encoded part to `out` (on error `out` is left as it was).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.validate()?;
        out.put_u16(HARDWARE_TYPE_ATM);
        out.put_u16(self.pro.ty);
        out.put(&self.pro.snap);
        out.put_u8(self.unused);
        out.put_u8(MARS_PART_VERSION);
        out.put_u8(self.state.code());
        out.put_u16(self.flags.bits());
        out.put_u16(self.cmi);
        out.put_u8(self.spa.len() as u8);
        out.put_u8(self.group.map_or(0, |g| g.min.len() as u8));
        out.put_u8(self.source.number.type_len());
        out.put_u8(self.source.sub.type_len());
        out.put(self.spa.as_bytes());
        out.put(self.source.number.as_bytes());
        out.put(self.source.sub.as_bytes());
        if let Some(g) = &self.group {
            out.put(g.min.as_bytes());
            out.put(g.max.as_bytes());
        }
        Ok(())
    }

    /// The encoded part in a new buffer.
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.wire_len());
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Decode the MARS Specific Part of `record`.
    pub fn decode_record(record: &CsaRecord) -> Result<Self, DecodeError> {
        MarsCsa::decode(&record.protocol_specific)
    }

    /// A CSA record made of `summary` and this part.
    pub fn to_record(&self, summary: CsasRecord) -> Result<CsaRecord, EncodeError> {
        Ok(CsaRecord::new(summary, self.to_vec()?))
    }
}
