//! MARS data-path encapsulations (RFC 2022 §5.5): Type #1 (LLC/SNAP PID 0x0001) and Type #2
//! (PID 0x0004), which let an endpoint recognise its own packets reflected by an MCS.
//!
//! "For conformance with this document MARS clients: MUST transmit data using Type #1
//! encapsulation. MUST be able to correctly receive traffic using Type #1 OR Type #2
//! encapsulation. MUST NOT transmit using Type #2 encapsulation." (§5.5) The codec does both
//! directions of both types; the MUST NOT is the engine's to keep.
//!
//! The payload is borrowed, not copied. Padding octets ("Null pad") are kept as received so
//! that every accepted packet re-encodes to the same bytes; offsets in errors count from the
//! first octet after the LLC/SNAP header.

use crate::codec::{Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::llc::{LLC_SNAP, LLC_SNAP_LEN, OUI_IANA, PID_MARS_DATA_TYPE1, PID_MARS_DATA_TYPE2};
use crate::pro::{Protocol, PRO_SNAP};

/// A Type #1 extended layer 3 packet (RFC 2022 §5.5.1).
///
/// Short form (every protocol with a `mar$pro.type` of its own, e.g. IPv4 0x0800):
///
/// ```text
///   [pkt$cmi][pkt$pro][Original Layer 3 packet]
///     2octet   2octet        N octet
/// ```
///
/// Long form (`pkt$pro` = 0x80, "protocols that only have a long form representation"):
///
/// ```text
///   [pkt$cmi][0x00-80][mar$pro.snap][padding][Original Layer 3 packet]
///     2octet   2octet   5 octets   3 octets        N octet
/// ```
///
/// In the short form `pro.snap` and `pad` are not on the wire and must be zero here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type1<'a> {
    /// `pkt$cmi`: the sender's Cluster Member ID (§5.2.3).
    pub cmi: u16,
    /// `pkt$pro`, with `mar$pro.snap` in the long form.
    pub pro: Protocol,
    /// The 3 padding octets of the long form, as received (zero when built).
    pub pad: [u8; 3],
    /// The original layer 3 packet.
    pub payload: &'a [u8],
}

/// A Type #2 extended layer 3 packet (RFC 2022 §5.5.2).
///
/// Short form:
///
/// ```text
///   [8 octet sourceID][mar$pro.type][Null pad][Original Layer 3 packet]
///                        2octets     2octets
/// ```
///
/// Long form (`mar$pro.type` = 0x80):
///
/// ```text
///   [8 octet sourceID][mar$pro.type][mar$pro.snap][Null pad][Layer 3 packet]
///                        2octets      5octets      1octet
/// ```
///
/// `pad` holds the 2 pad octets of the short form, or the 1 of the long form in `pad[0]`
/// (then `pad[1]` must be zero); in the short form `pro.snap` must be zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type2<'a> {
    /// The source ID, "currently unspecified".
    pub source_id: [u8; 8],
    /// `mar$pro.type`, with `mar$pro.snap` in the long form.
    pub pro: Protocol,
    /// The "Null pad" octets, as received.
    pub pad: [u8; 2],
    /// The original layer 3 packet.
    pub payload: &'a [u8],
}

/// Read `mar$pro.type` and, in the long form, `mar$pro.snap`.
fn read_pro(r: &mut Reader<'_>, type_field: &'static str) -> Result<Protocol, DecodeError> {
    let ty = r.u16(type_field)?;
    let snap = if ty == PRO_SNAP {
        r.array::<5>("mar$pro.snap")?
    } else {
        [0; 5]
    };
    Ok(Protocol { ty, snap })
}

/// Check that octets not carried in the chosen form are zero in the struct.
fn unused_zero(pro: &Protocol, unused_pad: &[u8]) -> Result<(), EncodeError> {
    if !pro.is_long() && pro.snap != [0; 5] {
        return Err(EncodeError::Invalid {
            field: "mar$pro.snap",
            detail: "the short form carries no SNAP octets",
        });
    }
    if unused_pad.iter().any(|&b| b != 0) {
        return Err(EncodeError::Invalid {
            field: "padding",
            detail: "pad octets beyond those of this form must be zero",
        });
    }
    Ok(())
}

impl<'a> Type1<'a> {
    /// A short- or long-form packet from `cmi` carrying `payload` of protocol `pro`.
    pub const fn new(cmi: u16, pro: Protocol, payload: &'a [u8]) -> Self {
        Type1 {
            cmi,
            pro,
            pad: [0; 3],
            payload,
        }
    }

    /// Decode the octets after the LLC/SNAP header.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        let cmi = r.u16("pkt$cmi")?;
        let pro = read_pro(&mut r, "pkt$pro")?;
        let pad = if pro.is_long() {
            r.array::<3>("padding")?
        } else {
            [0; 3]
        };
        Ok(Type1 {
            cmi,
            pro,
            pad,
            payload: r.rest(),
        })
    }

    /// Octets of encapsulation before the payload: 4 (short form) or 12 (long form).
    pub const fn header_len(&self) -> usize {
        if self.pro.is_long() {
            12
        } else {
            4
        }
    }

    /// Append the packet (without LLC/SNAP header) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let unused: &[u8] = if self.pro.is_long() { &[] } else { &self.pad };
        unused_zero(&self.pro, unused)?;
        out.reserve(self.header_len() + self.payload.len());
        out.put_u16(self.cmi);
        out.put_u16(self.pro.ty);
        if self.pro.is_long() {
            out.put(&self.pro.snap);
            out.put(&self.pad);
        }
        out.put(self.payload);
        Ok(())
    }

    /// Whether this packet is a reflection of one sent by the member with CMI `own_cmi`
    /// (§5.5.1: "The packet is discarded silently if they match").
    pub const fn is_reflection_of(&self, own_cmi: u16) -> bool {
        self.cmi == own_cmi
    }
}

impl<'a> Type2<'a> {
    /// A short- or long-form packet with `source_id` carrying `payload` of protocol `pro`.
    pub const fn new(source_id: [u8; 8], pro: Protocol, payload: &'a [u8]) -> Self {
        Type2 {
            source_id,
            pro,
            pad: [0; 2],
            payload,
        }
    }

    /// Decode the octets after the LLC/SNAP header.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        let source_id = r.array::<8>("source ID")?;
        let pro = read_pro(&mut r, "mar$pro.type")?;
        let pad = if pro.is_long() {
            [r.u8("padding")?, 0]
        } else {
            r.array::<2>("padding")?
        };
        Ok(Type2 {
            source_id,
            pro,
            pad,
            payload: r.rest(),
        })
    }

    /// Octets of encapsulation before the payload: 12 (short form) or 16 (long form).
    pub const fn header_len(&self) -> usize {
        if self.pro.is_long() {
            16
        } else {
            12
        }
    }

    /// Append the packet (without LLC/SNAP header) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let unused: &[u8] = if self.pro.is_long() {
            &self.pad[1..]
        } else {
            &[]
        };
        unused_zero(&self.pro, unused)?;
        out.reserve(self.header_len() + self.payload.len());
        out.put(&self.source_id);
        out.put_u16(self.pro.ty);
        if self.pro.is_long() {
            out.put(&self.pro.snap);
            out.put_u8(self.pad[0]);
        } else {
            out.put(&self.pad);
        }
        out.put(self.payload);
        Ok(())
    }
}

/// A MARS data-path packet of either type, as found in an AAL5 SDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataPacket<'a> {
    /// LLC/SNAP PID 0x0001.
    Type1(Type1<'a>),
    /// LLC/SNAP PID 0x0004.
    Type2(Type2<'a>),
}

impl<'a> DataPacket<'a> {
    /// Decode an SDU whose LLC/SNAP header is `AA-AA-03 00-00-5E 00-01` or `… 00-04`.
    /// Offsets in errors count from the first octet of the SDU.
    pub fn decode_sdu(sdu: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(sdu);
        let llc = r.array::<3>("LLC")?;
        if llc != LLC_SNAP {
            return Err(bad_value("LLC", 0, &llc));
        }
        let oui = r.array::<3>("OUI")?;
        if oui != OUI_IANA {
            return Err(bad_value("OUI", 3, &oui));
        }
        let pid = r.u16("PID")?;
        let body = r.rest();
        let shift = |e: DecodeError| e.shifted(LLC_SNAP_LEN);
        match pid {
            PID_MARS_DATA_TYPE1 => Type1::decode(body).map(DataPacket::Type1).map_err(shift),
            PID_MARS_DATA_TYPE2 => Type2::decode(body).map(DataPacket::Type2).map_err(shift),
            _ => Err(bad_value("PID", 6, &pid.to_be_bytes())),
        }
    }

    /// The SDU: LLC/SNAP header (PID 0x0001 or 0x0004) and the packet.
    pub fn encode_sdu(&self) -> Result<Vec<u8>, EncodeError> {
        let (pid, len) = match self {
            DataPacket::Type1(p) => (PID_MARS_DATA_TYPE1, p.header_len() + p.payload.len()),
            DataPacket::Type2(p) => (PID_MARS_DATA_TYPE2, p.header_len() + p.payload.len()),
        };
        let mut v = crate::llc::with_header(pid, len);
        match self {
            DataPacket::Type1(p) => p.encode(&mut v)?,
            DataPacket::Type2(p) => p.encode(&mut v)?,
        }
        Ok(v)
    }

    /// The protocol of the payload.
    pub const fn pro(&self) -> Protocol {
        match self {
            DataPacket::Type1(p) => p.pro,
            DataPacket::Type2(p) => p.pro,
        }
    }

    /// The original layer 3 packet.
    pub const fn payload(&self) -> &'a [u8] {
        match self {
            DataPacket::Type1(p) => p.payload,
            DataPacket::Type2(p) => p.payload,
        }
    }
}

fn bad_value(field: &'static str, offset: usize, got: &[u8]) -> DecodeError {
    let value = got.iter().fold(0u64, |a, &b| a << 8 | u64::from(b));
    DecodeError::new(DecodeErrorKind::BadValue { value }, field, offset)
}

#[cfg(feature = "serde")]
mod json {
    use serde::ser::SerializeMap;
    use serde::{Serialize, Serializer};

    use super::{DataPacket, Type1, Type2};

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    impl Serialize for Type1<'_> {
        /// `{encap: 1, cmi, pro_type, pro_snap, pad, payload_len}` (payload itself omitted).
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(None)?;
            m.serialize_entry("encap", &1)?;
            m.serialize_entry("cmi", &self.cmi)?;
            m.serialize_entry("pro_type", &self.pro.ty)?;
            if self.pro.is_long() {
                m.serialize_entry("pro_snap", &hex(&self.pro.snap))?;
                m.serialize_entry("pad", &hex(&self.pad))?;
            }
            m.serialize_entry("payload_len", &self.payload.len())?;
            m.end()
        }
    }

    impl Serialize for Type2<'_> {
        /// `{encap: 2, source_id, pro_type, pro_snap, pad, payload_len}`.
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(None)?;
            m.serialize_entry("encap", &2)?;
            m.serialize_entry("source_id", &hex(&self.source_id))?;
            m.serialize_entry("pro_type", &self.pro.ty)?;
            if self.pro.is_long() {
                m.serialize_entry("pro_snap", &hex(&self.pro.snap))?;
                m.serialize_entry("pad", &hex(&self.pad[..1]))?;
            } else {
                m.serialize_entry("pad", &hex(&self.pad))?;
            }
            m.serialize_entry("payload_len", &self.payload.len())?;
            m.end()
        }
    }

    impl Serialize for DataPacket<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                DataPacket::Type1(p) => p.serialize(s),
                DataPacket::Type2(p) => p.serialize(s),
            }
        }
    }
}
