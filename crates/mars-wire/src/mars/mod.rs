//! MARS control messages (RFC 2022 §4–§11, Appendix D): the fixed header, all 13
//! operations, and the supplementary TLV list.
//!
//! RFC 2022 §4.2: "MARS control messages are made up of 4 major components:
//!
//! ```text
//!    [Fixed header][Mandatory fields][Addresses][Supplementary TLVs]
//! ```
//!
//! The fixed header (§4.3), with octet offsets from the MSB of `mar$afn` (the first octet
//! after the LLC/SNAP header `AA-AA-03 00-00-5E 00-03`):
//!
//! ```text
//!  off  field        size     meaning
//!    0  mar$afn      16 bits  Address Family (0x000F).
//!    2  mar$pro      56 bits  Protocol Identification (type 16, snap 40).
//!    9  mar$hdrrsv   24 bits  Reserved. Unused by MARS control protocol.
//!   12  mar$chksum   16 bits  Checksum across entire MARS message.
//!   14  mar$extoff   16 bits  Extensions Offset.
//!   16  mar$op       16 bits  Operation code (version 8, type 8).
//!   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
//!   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
//! ```
//!
//! Every operation's mandatory fields end at offset 32, where `mar$sha` starts.
//!
//! Decisions where the RFC is silent or contradicts itself:
//! - `mar$afn` other than 0x000F is rejected: "Encodings when mar$afn != 0x000F are outside
//!   the scope of this document" (§4.3.1). `mar$op.version` other than 0 is rejected
//!   (`UnsupportedVersion`; version 1 is NHRP, which shares the LLC/SNAP codepoint).
//! - MARS_SJOIN and MARS_SLEAVE are 8 and 9. §6.2.4 says "operation codes 18 and 19", but the
//!   tables in §6.2 and §11 both say 8 and 9: two tables against one sentence.
//! - Checksum (§4.3.3): the standard IP checksum over the whole MARS message — everything
//!   after the LLC/SNAP header, TLVs included — computed with `mar$chksum` zeroed; an odd
//!   length is summed as if one 0x00 octet were appended (the RFC 1071 rule, which SCSP B.1
//!   states explicitly). A received checksum of 0 means "not computed" and is always valid.
//!   A computed checksum of 0x0000 is sent as 0xFFFF (its one's-complement equal, as UDP
//!   does) because 0 would mean "no checksum"; the receiver accepts 0xFFFF for it.
//! - The checksum is verified after the structure: a malformed message is reported by its
//!   first structural fault even if its checksum is also wrong.
//! - TLV list placement and termination: see [`tlv`].
//! - Null source ATM address: the RFC says every message carries a non-null one (§4.3); the
//!   decoder accepts a null one (its type & length octets are structurally valid) and leaves
//!   the judgement to the engine, which must ignore such a message.
//! - Lists of N > 0 null entries (N null target ATM numbers under a null `mar$thtl`, or N
//!   groups under `mar$tpln` 0) are rejected on both sides: they carry nothing, and
//!   accepting them would let a 32-octet message make the decoder allocate 65535 entries.
//! - Protocol addresses are at most 20 octets ([`crate::proto_addr`]); a longer `mar$spln` or
//!   `mar$tpln` is rejected at the length field.

mod addrs;
mod fields;
mod join;
#[cfg(feature = "serde")]
mod json;
mod multi;
mod request;
pub mod tlv;

use core::fmt;

pub use addrs::shared_type_len;
pub use fields::{validate_pairs, Flags, GroupPair, PairError, RedirF, SeqXy};
pub use join::Join;
pub use multi::{GroupListReply, Migrate, Multi, RedirectMap};
pub use request::Request;
pub use tlv::{Tlv, TlvAction, TlvList, TlvVerdict};

use crate::atm::AtmAddress;
use crate::checksum::{checksum_with_zeroed, internet_checksum};
use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::llc::{LLC_SNAP, LLC_SNAP_LEN, OUI_IANA, PID_MARS_CONTROL};
use crate::pro::Protocol;
use crate::proto_addr::ProtoAddr;
use crate::seq::Csn;
use fields::read_type_len;

/// `mar$afn` for ATM (RFC 2022 §4.3.1).
pub const AFN_ATM: u16 = 0x000F;
/// `mar$op.version` of the protocol in RFC 2022 (§4.3.5).
pub const OP_VERSION: u8 = 0;
/// Offset of `mar$chksum`.
pub const CHKSUM_OFFSET: usize = 12;
/// Offset of `mar$extoff`.
pub const EXTOFF_OFFSET: usize = 14;
/// Offset of `mar$op.type`.
pub const OP_TYPE_OFFSET: usize = 17;
/// Offset of `mar$sha`, where the \[Addresses\] of every operation start.
pub const ADDRESSES_OFFSET: usize = 32;
/// Field name used for octets after the last field of a message without TLVs.
pub const FIELD_END: &str = "end of message";

/// `mar$op.type` (RFC 2022 §11): "The complete set of MARS control messages and mar$op.type
/// values". This is not the IANA ARP operation code space (§4.3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum MarsOp {
    /// 1, MARS_REQUEST.
    Request = 1,
    /// 2, MARS_MULTI.
    Multi = 2,
    /// 3, MARS_MSERV.
    Mserv = 3,
    /// 4, MARS_JOIN.
    Join = 4,
    /// 5, MARS_LEAVE.
    Leave = 5,
    /// 6, MARS_NAK.
    Nak = 6,
    /// 7, MARS_UNSERV.
    Unserv = 7,
    /// 8, MARS_SJOIN (§6.2 and §11; §6.2.4's "18" is a typo, see the module docs).
    Sjoin = 8,
    /// 9, MARS_SLEAVE (§6.2 and §11; §6.2.4's "19" is a typo, see the module docs).
    Sleave = 9,
    /// 10, MARS_GROUPLIST_REQUEST.
    GroupListRequest = 10,
    /// 11, MARS_GROUPLIST_REPLY.
    GroupListReply = 11,
    /// 12, MARS_REDIRECT_MAP.
    RedirectMap = 12,
    /// 13, MARS_MIGRATE.
    Migrate = 13,
}

impl MarsOp {
    /// All operations in code order.
    pub const ALL: [MarsOp; 13] = [
        MarsOp::Request,
        MarsOp::Multi,
        MarsOp::Mserv,
        MarsOp::Join,
        MarsOp::Leave,
        MarsOp::Nak,
        MarsOp::Unserv,
        MarsOp::Sjoin,
        MarsOp::Sleave,
        MarsOp::GroupListRequest,
        MarsOp::GroupListReply,
        MarsOp::RedirectMap,
        MarsOp::Migrate,
    ];

    /// The RFC's name, e.g. `MARS_JOIN`.
    pub const fn name(self) -> &'static str {
        match self {
            MarsOp::Request => "MARS_REQUEST",
            MarsOp::Multi => "MARS_MULTI",
            MarsOp::Mserv => "MARS_MSERV",
            MarsOp::Join => "MARS_JOIN",
            MarsOp::Leave => "MARS_LEAVE",
            MarsOp::Nak => "MARS_NAK",
            MarsOp::Unserv => "MARS_UNSERV",
            MarsOp::Sjoin => "MARS_SJOIN",
            MarsOp::Sleave => "MARS_SLEAVE",
            MarsOp::GroupListRequest => "MARS_GROUPLIST_REQUEST",
            MarsOp::GroupListReply => "MARS_GROUPLIST_REPLY",
            MarsOp::RedirectMap => "MARS_REDIRECT_MAP",
            MarsOp::Migrate => "MARS_MIGRATE",
        }
    }
}

impl TryFrom<u8> for MarsOp {
    /// The unknown code.
    type Error = u8;
    fn try_from(v: u8) -> Result<Self, u8> {
        match v {
            1..=13 => Ok(MarsOp::ALL[usize::from(v - 1)]),
            _ => Err(v),
        }
    }
}

impl fmt::Display for MarsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The operation-specific part of a MARS message: \[Mandatory fields\] and \[Addresses\]. Seven
/// operations share the MARS_JOIN layout, and MARS_NAK is a returned MARS_REQUEST.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MarsBody {
    /// MARS_REQUEST (1), §5.1.2.
    Request(Request),
    /// MARS_MULTI (2), §5.1.2.
    Multi(Multi),
    /// MARS_MSERV (3), §6.2.2.
    Mserv(Join),
    /// MARS_JOIN (4), §5.2.1.
    Join(Join),
    /// MARS_LEAVE (5), §5.2.1.
    Leave(Join),
    /// MARS_NAK (6), §5.1.2.
    Nak(Request),
    /// MARS_UNSERV (7), §6.2.2.
    Unserv(Join),
    /// MARS_SJOIN (8), §6.2.4.
    Sjoin(Join),
    /// MARS_SLEAVE (9), §6.2.4.
    Sleave(Join),
    /// MARS_GROUPLIST_REQUEST (10), §5.3.
    GroupListRequest(Join),
    /// MARS_GROUPLIST_REPLY (11), §5.3.
    GroupListReply(GroupListReply),
    /// MARS_REDIRECT_MAP (12), §5.4.3.
    RedirectMap(RedirectMap),
    /// MARS_MIGRATE (13), §5.1.6.
    Migrate(Migrate),
}

impl MarsBody {
    /// The operation code.
    pub const fn op(&self) -> MarsOp {
        match self {
            MarsBody::Request(_) => MarsOp::Request,
            MarsBody::Multi(_) => MarsOp::Multi,
            MarsBody::Mserv(_) => MarsOp::Mserv,
            MarsBody::Join(_) => MarsOp::Join,
            MarsBody::Leave(_) => MarsOp::Leave,
            MarsBody::Nak(_) => MarsOp::Nak,
            MarsBody::Unserv(_) => MarsOp::Unserv,
            MarsBody::Sjoin(_) => MarsOp::Sjoin,
            MarsBody::Sleave(_) => MarsOp::Sleave,
            MarsBody::GroupListRequest(_) => MarsOp::GroupListRequest,
            MarsBody::GroupListReply(_) => MarsOp::GroupListReply,
            MarsBody::RedirectMap(_) => MarsOp::RedirectMap,
            MarsBody::Migrate(_) => MarsOp::Migrate,
        }
    }

    /// `mar$sha`/`mar$ssa`, which every operation carries.
    pub const fn source(&self) -> &AtmAddress {
        match self {
            MarsBody::Request(b) | MarsBody::Nak(b) => &b.source,
            MarsBody::Multi(b) => &b.source,
            MarsBody::Mserv(b)
            | MarsBody::Join(b)
            | MarsBody::Leave(b)
            | MarsBody::Unserv(b)
            | MarsBody::Sjoin(b)
            | MarsBody::Sleave(b)
            | MarsBody::GroupListRequest(b) => &b.source,
            MarsBody::GroupListReply(b) => &b.source,
            MarsBody::RedirectMap(b) => &b.source,
            MarsBody::Migrate(b) => &b.source,
        }
    }

    /// `mar$msn`, for the operations that carry it (all but MARS_REQUEST and MARS_NAK).
    pub const fn msn(&self) -> Option<Csn> {
        match self {
            MarsBody::Request(_) | MarsBody::Nak(_) => None,
            MarsBody::Multi(b) => Some(b.msn),
            MarsBody::Mserv(b)
            | MarsBody::Join(b)
            | MarsBody::Leave(b)
            | MarsBody::Unserv(b)
            | MarsBody::Sjoin(b)
            | MarsBody::Sleave(b)
            | MarsBody::GroupListRequest(b) => Some(b.msn),
            MarsBody::GroupListReply(b) => Some(b.msn),
            MarsBody::RedirectMap(b) => Some(b.msn),
            MarsBody::Migrate(b) => Some(b.msn),
        }
    }

    /// The body of one of the seven operations with the MARS_JOIN layout, with its code.
    pub fn join_layout(op: MarsOp, join: Join) -> Option<MarsBody> {
        Some(match op {
            MarsOp::Mserv => MarsBody::Mserv(join),
            MarsOp::Join => MarsBody::Join(join),
            MarsOp::Leave => MarsBody::Leave(join),
            MarsOp::Unserv => MarsBody::Unserv(join),
            MarsOp::Sjoin => MarsBody::Sjoin(join),
            MarsOp::Sleave => MarsBody::Sleave(join),
            MarsOp::GroupListRequest => MarsBody::GroupListRequest(join),
            _ => return None,
        })
    }

    /// The MARS_JOIN-layout struct, for the seven operations that have it.
    pub const fn as_join(&self) -> Option<&Join> {
        match self {
            MarsBody::Mserv(b)
            | MarsBody::Join(b)
            | MarsBody::Leave(b)
            | MarsBody::Unserv(b)
            | MarsBody::Sjoin(b)
            | MarsBody::Sleave(b)
            | MarsBody::GroupListRequest(b) => Some(b),
            _ => None,
        }
    }

    fn decode(op: MarsOp, r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        Ok(match op {
            MarsOp::Request => MarsBody::Request(Request::decode(r, shtl, sstl)?),
            MarsOp::Nak => MarsBody::Nak(Request::decode(r, shtl, sstl)?),
            MarsOp::Multi => MarsBody::Multi(Multi::decode(r, shtl, sstl)?),
            MarsOp::Migrate => MarsBody::Migrate(Migrate::decode(r, shtl, sstl)?),
            MarsOp::GroupListReply => {
                MarsBody::GroupListReply(GroupListReply::decode(r, shtl, sstl)?)
            }
            MarsOp::RedirectMap => MarsBody::RedirectMap(RedirectMap::decode(r, shtl, sstl)?),
            MarsOp::Mserv
            | MarsOp::Join
            | MarsOp::Leave
            | MarsOp::Unserv
            | MarsOp::Sjoin
            | MarsOp::Sleave
            | MarsOp::GroupListRequest => {
                let j = Join::decode(r, shtl, sstl)?;
                // Every op of this arm has the JOIN layout, so this never yields `None`.
                MarsBody::join_layout(op, j).ok_or_else(|| {
                    DecodeError::new(
                        DecodeErrorKind::UnknownType {
                            value: u64::from(op as u8),
                        },
                        "mar$op.type",
                        OP_TYPE_OFFSET,
                    )
                })?
            }
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            MarsBody::Request(b) | MarsBody::Nak(b) => b.encode(out),
            MarsBody::Multi(b) => b.encode(out),
            MarsBody::Migrate(b) => b.encode(out),
            MarsBody::GroupListReply(b) => b.encode(out),
            MarsBody::RedirectMap(b) => b.encode(out),
            MarsBody::Mserv(b)
            | MarsBody::Join(b)
            | MarsBody::Leave(b)
            | MarsBody::Unserv(b)
            | MarsBody::Sjoin(b)
            | MarsBody::Sleave(b)
            | MarsBody::GroupListRequest(b) => b.encode(out),
        }
    }
}

/// A MARS control message (RFC 2022 §4.2): the fixed header's free fields, the operation, and
/// the optional TLV list.
///
/// `mar$afn` (always 0x000F), `mar$op.version` (always 0) and every length and count field
/// are implied by the content. `mar$chksum` is represented by [`MarsMessage::checksum`], and
/// `mar$extoff` by [`MarsMessage::tlvs`] (whose position is fixed, see [`tlv`]) plus the two
/// reserved low bits [`MarsMessage::extoff_rsv`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MarsMessage {
    /// `mar$pro` (the SNAP octets are kept as received even in the short form).
    pub pro: Protocol,
    /// `mar$hdrrsv` (24 bits), kept as received.
    pub hdrrsv: u32,
    /// Whether `mar$chksum` carries a checksum (non-zero on the wire). The encoder computes
    /// it when true and writes 0 when false.
    pub checksum: bool,
    /// The two low bits of `mar$extoff`, which "a receiver MUST mask off" and "a sender MUST
    /// set to zero" (§10.1); kept as received so the message re-encodes exactly.
    pub extoff_rsv: u8,
    /// The operation.
    pub body: MarsBody,
    /// The supplementary TLVs (§10); `None` when `mar$extoff & 0xFFFC` is zero.
    pub tlvs: Option<TlvList>,
}

impl MarsMessage {
    /// A message for protocol `pro` with a checksum, no TLVs and zero reserved fields.
    pub fn new(pro: Protocol, body: MarsBody) -> Self {
        MarsMessage {
            pro,
            hdrrsv: 0,
            checksum: true,
            extoff_rsv: 0,
            body,
            tlvs: None,
        }
    }

    /// The operation code.
    pub const fn op(&self) -> MarsOp {
        self.body.op()
    }

    /// Decode one MARS message (the octets after the LLC/SNAP header). Offsets in errors
    /// count from the first octet of `mar$afn`.
    pub fn decode(buf: &[u8]) -> Result<MarsMessage, DecodeError> {
        let mut r = Reader::new(buf);
        let afn = r.u16("mar$afn")?;
        if afn != AFN_ATM {
            return Err(DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from(afn),
                },
                "mar$afn",
                0,
            ));
        }
        let ty = r.u16("mar$pro.type")?;
        let snap = r.array::<5>("mar$pro.snap")?;
        let hdrrsv = r.u24("mar$hdrrsv")?;
        let chksum = r.u16("mar$chksum")?;
        let extoff = r.u16("mar$extoff")?;
        let version = r.u8("mar$op.version")?;
        if version != OP_VERSION {
            return Err(DecodeError::new(
                DecodeErrorKind::UnsupportedVersion {
                    value: u64::from(version),
                },
                "mar$op.version",
                OP_TYPE_OFFSET - 1,
            ));
        }
        let op = MarsOp::try_from(r.u8("mar$op.type")?).map_err(|v| {
            DecodeError::new(
                DecodeErrorKind::UnknownType {
                    value: u64::from(v),
                },
                "mar$op.type",
                OP_TYPE_OFFSET,
            )
        })?;
        let shtl = read_type_len(&mut r, "mar$shtl")?;
        let sstl = read_type_len(&mut r, "mar$sstl")?;
        let body = MarsBody::decode(op, &mut r, shtl, sstl)?;
        let tlvs = decode_tlvs(&mut r, extoff)?;
        if chksum != 0 {
            let computed = checksum_with_zeroed(buf, CHKSUM_OFFSET);
            // 0xFFFF is how a computed 0x0000 is sent (see the module docs).
            if chksum != computed && !(chksum == 0xFFFF && computed == 0) {
                return Err(DecodeError::new(
                    DecodeErrorKind::BadChecksum {
                        found: chksum,
                        computed,
                    },
                    "mar$chksum",
                    CHKSUM_OFFSET,
                ));
            }
        }
        Ok(MarsMessage {
            pro: Protocol { ty, snap },
            hdrrsv,
            checksum: chksum != 0,
            extoff_rsv: (extoff & 3) as u8,
            body,
            tlvs,
        })
    }

    /// Append the encoded message to `out` (which may already hold e.g. an LLC/SNAP header;
    /// the checksum covers only the MARS message). On error `out` is left as it was.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let r = self.encode_at(out, start);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    fn encode_at(&self, out: &mut Vec<u8>, start: usize) -> Result<(), EncodeError> {
        fits("mar$hdrrsv", self.hdrrsv as usize, 0xFF_FFFF)?;
        if self.extoff_rsv > 3 {
            return Err(EncodeError::Invalid {
                field: "mar$extoff",
                detail: "only the two low bits of mar$extoff are reserved",
            });
        }
        out.put_u16(AFN_ATM);
        out.put_u16(self.pro.ty);
        out.put(&self.pro.snap);
        out.put_u24(self.hdrrsv);
        out.put_u16(0); // mar$chksum, filled in last
        out.put_u16(0); // mar$extoff, filled in after the addresses
        out.put_u8(OP_VERSION);
        out.put_u8(self.op() as u8);
        self.body.encode(out)?;
        let mut extoff = u16::from(self.extoff_rsv);
        if let Some(tlvs) = &self.tlvs {
            // §10: "The TLV(s) begin on the first 32 bit boundary following the [Addresses]".
            let boundary = (out.len() - start).next_multiple_of(4);
            fits("mar$extoff", boundary, 0xFFFC)?;
            out.resize(start + boundary, 0);
            tlvs.encode(out)?;
            extoff |= boundary as u16;
        }
        out.set_u16(start + EXTOFF_OFFSET, extoff);
        if self.checksum {
            let c = internet_checksum(&out[start..]);
            out.set_u16(start + CHKSUM_OFFSET, if c == 0 { 0xFFFF } else { c });
        }
        Ok(())
    }

    /// The encoded message.
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }

    /// The message as an AAL5 SDU: LLC/SNAP header `AA-AA-03 00-00-5E 00-03` (§4.2) and
    /// the message.
    pub fn encode_sdu(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = crate::llc::with_header(PID_MARS_CONTROL, self.size_hint());
        self.encode(&mut v)?;
        Ok(v)
    }

    /// About how many octets [`MarsMessage::encode`] writes: exact for the target-list
    /// messages, whose SDUs are the long ones, so that encoding them never reallocates.
    fn size_hint(&self) -> usize {
        /// The fixed header and the 14 octets every target-list message has before its
        /// addresses (§5.1.2).
        const FIXED: usize = 32;
        let addrs = |v: &[AtmAddress]| v.iter().map(AtmAddress::wire_len).sum::<usize>();
        let body = match &self.body {
            MarsBody::Multi(m) => {
                FIXED + m.source.wire_len() + m.spa.len() + m.tpa.len() + addrs(&m.targets)
            }
            MarsBody::Migrate(m) => {
                FIXED + m.source.wire_len() + m.spa.len() + m.tpa.len() + addrs(&m.targets)
            }
            MarsBody::RedirectMap(m) => FIXED + m.source.wire_len() + addrs(&m.targets),
            MarsBody::GroupListReply(r) => {
                FIXED
                    + r.source.wire_len()
                    + r.spa.len()
                    + r.groups.iter().map(ProtoAddr::len).sum::<usize>()
            }
            _ => 64,
        };
        // The TLV list starts at the next 4-octet boundary (§10.1).
        self.tlvs
            .as_ref()
            .map_or(body, |t| body.next_multiple_of(4) + t.wire_len())
    }

    /// Decode an AAL5 SDU that must carry the MARS LLC/SNAP header. Offsets in errors count
    /// from the first octet of the SDU, i.e. they are [`LLC_SNAP_LEN`] more than those of
    /// [`MarsMessage::decode`].
    pub fn decode_sdu(sdu: &[u8]) -> Result<MarsMessage, DecodeError> {
        let mut r = Reader::new(sdu);
        let header: [(&'static str, &[u8]); 3] = [
            ("LLC", &LLC_SNAP),
            ("OUI", &OUI_IANA),
            ("PID", &PID_MARS_CONTROL.to_be_bytes()),
        ];
        for (field, want) in header {
            let at = r.offset();
            let got = r.take(want.len(), field)?;
            if got != want {
                let value = got.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
                return Err(DecodeError::new(
                    DecodeErrorKind::BadValue { value },
                    field,
                    at,
                ));
            }
        }
        MarsMessage::decode(r.rest()).map_err(|e| e.shifted(LLC_SNAP_LEN))
    }
}

/// Locate and decode the TLV list from `mar$extoff` with the reader just past the last
/// address, and make sure nothing else follows.
fn decode_tlvs(r: &mut Reader<'_>, extoff: u16) -> Result<Option<TlvList>, DecodeError> {
    // §10.1: "A receiver MUST mask off these two bits before calculating the octet offset".
    let list = usize::from(extoff & 0xFFFC);
    if list == 0 {
        r.finish(FIELD_END)?;
        return Ok(None);
    }
    let end = r.offset();
    let boundary = end.next_multiple_of(4);
    if list != boundary {
        return Err(DecodeError::new(
            DecodeErrorKind::BadValue {
                value: u64::from(extoff),
            },
            "mar$extoff",
            EXTOFF_OFFSET,
        ));
    }
    tlv::read_zero_pad(r, boundary - end, tlv::FIELD_ALIGN)?;
    TlvList::decode(r).map(Some)
}
