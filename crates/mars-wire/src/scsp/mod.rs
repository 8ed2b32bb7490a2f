//! SCSP packets (RFC 2334 Appendix B): the fixed part, the mandatory part of each of the five
//! messages with its CSA/CSAS records, and the extensions part with the Authentication and
//! Vendor-Private extensions.
//!
//! ```text
//! +------------------+-----------------------------------------+-----------------------+
//! | Fixed Part (B.1) | Mandatory Part (B.2): [CA seq | Hello]   | Extensions Part (B.3) |
//! |     8 octets     |  Common Part (B.2.0.1), records         |  TLVs ... End (0,0)   |
//! +------------------+-----------------------------------------+-----------------------+
//! ```
//!
//! SCSP packets travel LLC/SNAP encapsulated with OUI 00-00-5E, PID 0x0005 (App. B);
//! [`ScspPacket::decode_sdu`]/[`ScspPacket::encode_sdu`] handle that header. All decode error
//! offsets count from the first octet of the SCSP packet (after LLC/SNAP).
//!
//! Decoder guarantees: it never panics; it allocates at most in proportion to its input; it
//! verifies Packet Size against the input and the Checksum, always; and every packet it accepts
//! re-encodes to exactly the same octets (unused fields and flag bits are kept as received).
//! The encoder refuses what the decoder would refuse (over-long fields, duplicate extensions),
//! so what it writes decodes.

pub mod auth;
mod common;
mod ext;
mod fixed;
mod id;
mod messages;
mod records;

pub use auth::{verify_mac, AuthAlgorithm, MAC_MAX};
pub use common::{
    CommonPart, COMMON_FIXED_LEN, PROTOCOL_ATMARP, PROTOCOL_DHCP, PROTOCOL_LNNI, PROTOCOL_MARS,
    PROTOCOL_NHRP,
};
pub use ext::{
    part_len as extensions_part_len, Authentication, Extension, EXT_AUTHENTICATION, EXT_END,
    EXT_HEADER_LEN, EXT_VENDOR_PRIVATE, VENDOR_ID_MAX,
};
pub use fixed::{MessageType, FIXED_LEN, SCSP_VERSION};
pub use id::{CacheKey, IdParseError, ScspId, ID_MAX};
pub use messages::{Ca, Hello, CA_FLAG_I, CA_FLAG_M, CA_FLAG_O, HELLO_FIXED_LEN};
pub use records::{CsaRecord, CsasRecord, CSAS_HEADER_LEN, CSAS_UNUSED_MAX, N_BIT};

use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::llc;
use common::Count;
use ext::AuthSlot;

/// The largest SCSP packet Packet Size can describe.
pub const PACKET_MAX: usize = u16::MAX as usize;

/// The mandatory part of each SCSP message, less the common part (RFC 2334 B.2.1–B.2.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum ScspBody {
    /// Cache Alignment, Type Code 1 (B.2.1).
    Ca(Ca),
    /// CSU Request, Type Code 2 (B.2.2): CSA records.
    CsuRequest(Vec<CsaRecord>),
    /// CSU Reply, Type Code 3 (B.2.3): stand-alone CSAS records acknowledging CSA records.
    CsuReply(Vec<CsasRecord>),
    /// CSUS, Type Code 4 (B.2.4): stand-alone CSAS records soliciting CSA records.
    Csus(Vec<CsasRecord>),
    /// Hello, Type Code 5 (B.2.5).
    Hello(Hello),
}

impl ScspBody {
    /// The message type.
    pub const fn message_type(&self) -> MessageType {
        match self {
            ScspBody::Ca(_) => MessageType::Ca,
            ScspBody::CsuRequest(_) => MessageType::CsuRequest,
            ScspBody::CsuReply(_) => MessageType::CsuReply,
            ScspBody::Csus(_) => MessageType::Csus,
            ScspBody::Hello(_) => MessageType::Hello,
        }
    }

    /// The Number of Records this body announces in the common part.
    pub fn record_count(&self) -> usize {
        match self {
            ScspBody::Ca(ca) => ca.records.len(),
            ScspBody::CsuRequest(v) => v.len(),
            ScspBody::CsuReply(v) | ScspBody::Csus(v) => v.len(),
            ScspBody::Hello(h) => h.additional_receivers.len(),
        }
    }

    /// Encoded size of the body's own parts (CA Sequence Number, Hello fields, records), not
    /// counting the common part.
    pub fn wire_len(&self) -> usize {
        let csas = |v: &[CsasRecord]| v.iter().map(CsasRecord::wire_len).sum::<usize>();
        match self {
            ScspBody::Ca(ca) => 4 + csas(&ca.records),
            ScspBody::CsuRequest(v) => v.iter().map(CsaRecord::wire_len).sum(),
            ScspBody::CsuReply(v) | ScspBody::Csus(v) => csas(v),
            ScspBody::Hello(h) => h.wire_len(),
        }
    }
}

/// One SCSP packet (RFC 2334 Appendix B): fixed part, mandatory part, extensions part.
///
/// Type Code, Packet Size, Checksum, Start Of Extensions, the ID lengths and Number of Records
/// are not stored: they follow from the other fields and are computed on encoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ScspPacket {
    /// Version (B.1). The decoder accepts only [`SCSP_VERSION`]; the encoder writes this value.
    pub version: u8,
    /// The Mandatory Common Part (B.2.0.1).
    pub common: CommonPart,
    /// The message-specific mandatory part.
    pub body: ScspBody,
    /// The Extensions Part (B.3), End Of Extensions implied: `None` when there is none (Start
    /// Of Extensions 0); `Some(list)` otherwise, in wire order. `Some(vec![])` is an
    /// extensions part holding only End Of Extensions.
    pub extensions: Option<Vec<Extension>>,
}

impl ScspPacket {
    /// A version-1 packet without extensions.
    pub fn new(common: CommonPart, body: ScspBody) -> Self {
        ScspPacket {
            version: SCSP_VERSION,
            common,
            body,
            extensions: None,
        }
    }

    /// A Hello (B.2.5) advertising the DCSs in `heard`: the first goes into the common part's
    /// Receiver ID, the others into Additional Receiver ID Records; with none heard, Recvr ID
    /// Len is 0 and there are no records. `common.receiver_id` is overwritten.
    pub fn hello(
        mut common: CommonPart,
        hello_interval: u16,
        dead_factor: u16,
        family_id: u16,
        heard: &[ScspId],
    ) -> Self {
        let (first, rest) = match heard.split_first() {
            Some((first, rest)) => (first.clone(), rest.to_vec()),
            None => (ScspId::default(), Vec::new()),
        };
        common.receiver_id = first;
        ScspPacket::new(
            common,
            ScspBody::Hello(Hello {
                hello_interval,
                dead_factor,
                unused: 0,
                family_id,
                additional_receivers: rest,
            }),
        )
    }

    /// The Receiver IDs a Hello lists (the common part's, when not empty, then the additional
    /// ones); empty for other messages.
    pub fn hello_receivers(&self) -> impl Iterator<Item = &ScspId> {
        let (first, rest): (Option<&ScspId>, &[ScspId]) = match &self.body {
            ScspBody::Hello(h) => (
                Some(&self.common.receiver_id).filter(|id| !id.is_empty()),
                &h.additional_receivers,
            ),
            _ => (None, &[]),
        };
        first.into_iter().chain(rest)
    }

    /// The message type.
    pub const fn message_type(&self) -> MessageType {
        self.body.message_type()
    }

    /// The extensions, in wire order (empty when there are none).
    pub fn extension_list(&self) -> &[Extension] {
        self.extensions.as_deref().unwrap_or_default()
    }

    /// The Authentication Extension, if any.
    pub fn authentication(&self) -> Option<&Authentication> {
        self.extension_list().iter().find_map(|e| match e {
            Extension::Authentication(a) => Some(a),
            _ => None,
        })
    }

    /// The SPI of the Authentication Extension, if any: what a receiver looks its key up by
    /// (B.3.1.4) before calling [`verify_mac`].
    pub fn auth_spi(&self) -> Option<u32> {
        self.authentication().map(|a| a.spi)
    }

    /// Octets of the fixed part, the mandatory part and (when present) the extensions part:
    /// the Packet Size this packet encodes to.
    pub fn wire_len(&self) -> usize {
        FIXED_LEN
            + self.common.wire_len()
            + self.body.wire_len()
            + self.extensions.as_deref().map_or(0, ext::part_len)
    }

    /// Decode one SCSP packet: `buf` holds exactly the packet, from its fixed part (no
    /// LLC/SNAP header) to its last octet.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        let f = fixed::read(&mut r)?;
        let (common, body) = match f.ty {
            MessageType::Ca => {
                // B.2.1: CA Sequence Number, then the common part, then CSAS records.
                let sequence = r.u32("CA Sequence Number")?;
                let (common, n) = CommonPart::read(&mut r)?;
                let records = read_csas(&mut r, n)?;
                (common, ScspBody::Ca(Ca { sequence, records }))
            }
            MessageType::CsuRequest => {
                let (common, n) = CommonPart::read(&mut r)?;
                n.check(&r, CSAS_HEADER_LEN)?;
                let mut v = Vec::with_capacity(n.value);
                for _ in 0..n.value {
                    v.push(CsaRecord::read(&mut r)?);
                }
                (common, ScspBody::CsuRequest(v))
            }
            MessageType::CsuReply => {
                let (common, n) = CommonPart::read(&mut r)?;
                (common, ScspBody::CsuReply(read_csas(&mut r, n)?))
            }
            MessageType::Csus => {
                let (common, n) = CommonPart::read(&mut r)?;
                (common, ScspBody::Csus(read_csas(&mut r, n)?))
            }
            MessageType::Hello => {
                // B.2.5: HelloInterval, DeadFactor, unused, Family ID, the common part, then
                // the Additional Receiver ID Records.
                let hello_interval = r.u16("HelloInterval")?;
                let dead_factor = r.u16("DeadFactor")?;
                let unused = r.u16("unused")?;
                let family_id = r.u16("Family ID")?;
                let (common, n) = CommonPart::read(&mut r)?;
                let additional_receivers = Hello::read_additional(&mut r, n)?;
                (
                    common,
                    ScspBody::Hello(Hello {
                        hello_interval,
                        dead_factor,
                        unused,
                        family_id,
                        additional_receivers,
                    }),
                )
            }
        };
        let extensions = ext::read_part(&mut r, f.soe)?;
        Ok(ScspPacket {
            version: SCSP_VERSION,
            common,
            body,
            extensions,
        })
    }

    /// Append the encoded packet to `out` (on error `out` is left as it was).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let res = self.write_unsealed(out, None);
        match res {
            Ok(_) => {
                fixed::seal(&mut out[start..]);
                Ok(())
            }
            Err(e) => {
                out.truncate(start);
                Err(e)
            }
        }
    }

    /// The encoded packet in a new buffer.
    pub fn to_vec(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.wire_len());
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Decode an AAL5 SDU holding an LLC/SNAP header `AA-AA-03 00-00-5E 00-05` and an SCSP
    /// packet. A wrong or short header is reported on field `LLC/SNAP header` at offset 0 of
    /// the SDU; every other offset counts from the first octet of the SCSP packet.
    pub fn decode_sdu(sdu: &[u8]) -> Result<Self, DecodeError> {
        ScspPacket::decode(sdu_payload(sdu)?)
    }

    /// Append the LLC/SNAP header for SCSP and the encoded packet to `out`.
    pub fn encode_sdu(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        llc::put_header(out, llc::OUI_IANA, llc::PID_SCSP);
        self.encode(out).inspect_err(|_| out.truncate(start))
    }

    /// Append the LLC/SNAP header and the packet encoded by
    /// [`ScspPacket::encode_authenticated`] to `out`.
    pub fn encode_sdu_authenticated(
        &self,
        spi: u32,
        alg: AuthAlgorithm,
        key: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        llc::put_header(out, llc::OUI_IANA, llc::PID_SCSP);
        self.encode_authenticated(spi, alg, key, out)
            .inspect_err(|_| out.truncate(start))
    }

    /// Write everything but the Checksum (left zero). With `auth`, the Authentication
    /// Extension is written with zeroed data; returns that data's offset from the start of the
    /// packet.
    pub(crate) fn write_unsealed(
        &self,
        out: &mut Vec<u8>,
        auth: Option<AuthSlot>,
    ) -> Result<Option<usize>, EncodeError> {
        let start = out.len();
        fixed::write_placeholder(out, self.version, self.message_type());
        let n = self.body.record_count();
        match &self.body {
            ScspBody::Ca(ca) => {
                out.put_u32(ca.sequence);
                self.common.write(out, n)?;
                for rec in &ca.records {
                    rec.write(out)?;
                }
            }
            ScspBody::CsuRequest(v) => {
                self.common.write(out, n)?;
                for rec in v {
                    rec.write(out)?;
                }
            }
            ScspBody::CsuReply(v) | ScspBody::Csus(v) => {
                self.common.write(out, n)?;
                for rec in v {
                    rec.write(out)?;
                }
            }
            ScspBody::Hello(h) => {
                out.put_u16(h.hello_interval);
                out.put_u16(h.dead_factor);
                out.put_u16(h.unused);
                out.put_u16(h.family_id);
                self.common.write(out, n)?;
                h.write_additional(out)?;
            }
        }
        let mut auth_at = None;
        if self.extensions.is_some() || auth.is_some() {
            let soe = out.len() - start;
            fits("Start Of Extensions", soe, PACKET_MAX)?;
            fixed::set_u16(&mut out[start..], fixed::OFF_SOE, soe as u16);
            auth_at = ext::write_list(out, self.extension_list(), auth)?.map(|at| at - start);
        }
        let size = out.len() - start;
        fits("Packet Size", size, PACKET_MAX)?;
        fixed::set_u16(&mut out[start..], fixed::OFF_SIZE, size as u16);
        Ok(auth_at)
    }
}

/// Read `n` stand-alone CSAS records.
fn read_csas(r: &mut Reader<'_>, n: Count) -> Result<Vec<CsasRecord>, DecodeError> {
    n.check(r, CSAS_HEADER_LEN)?;
    let mut v = Vec::with_capacity(n.value);
    for _ in 0..n.value {
        v.push(CsasRecord::read_standalone(r)?);
    }
    Ok(v)
}

/// The SCSP packet inside an AAL5 SDU: checks the LLC/SNAP header `AA-AA-03 00-00-5E 00-05`
/// (RFC 2334 App. B) and returns what follows it.
pub fn sdu_payload(sdu: &[u8]) -> Result<&[u8], DecodeError> {
    const FIELD: &str = "LLC/SNAP header";
    let Some((head, rest)) = sdu.split_first_chunk::<{ llc::LLC_SNAP_LEN }>() else {
        return Err(DecodeError::new(
            DecodeErrorKind::Truncated {
                needed: llc::LLC_SNAP_LEN,
                available: sdu.len(),
            },
            FIELD,
            0,
        ));
    };
    let mut want = Vec::with_capacity(llc::LLC_SNAP_LEN);
    llc::put_header(&mut want, llc::OUI_IANA, llc::PID_SCSP);
    if head[..] != want[..] {
        return Err(DecodeError::new(
            DecodeErrorKind::BadValue {
                value: u64::from_be_bytes(*head),
            },
            FIELD,
            0,
        ));
    }
    Ok(rest)
}
