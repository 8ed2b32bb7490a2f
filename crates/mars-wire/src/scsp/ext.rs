//! The Extensions Part (RFC 2334 B.3).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Type               |           Length              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Value...                              |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Rules kept by the decoder and the encoder:
//! - the list starts at Start Of Extensions, which must be the end of the mandatory part, and
//!   ends with End Of Extensions (Type 0, Length 0, B.3.0), which must be the last thing in
//!   the packet; no padding or alignment between extensions (B.3 defines none);
//! - "any particular extension type may occur only once in an SCSP packet" (B.3) →
//!   `Duplicate`. Decision: the Vendor-Private extension may occur several times with
//!   *different* Vendor IDs, because B.3.2 narrows the rule for it: it "MAY NOT appear more
//!   than once in an SCSP packet for a given Vendor ID value". Repeating a Vendor ID is a
//!   `Duplicate` on `Vendor ID`;
//! - "An LS MUST NOT change the order of extensions" (B.3): the list keeps the received order
//!   and extensions of unknown type are kept, as octets, in place;
//! - Decision: an extensions part holding End Of Extensions alone (Start Of Extensions ≠ 0,
//!   no extension before End) is accepted — B.3 calls End an extension itself — and kept as
//!   `Some(vec![])` so that it re-encodes exactly.

use std::collections::BTreeSet;

use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

/// Extension type of End Of Extensions (B.3.0).
pub const EXT_END: u16 = 0;
/// Extension type of the SCSP Authentication Extension (B.3.1).
pub const EXT_AUTHENTICATION: u16 = 1;
/// Extension type of the SCSP Vendor-Private Extension (B.3.2).
pub const EXT_VENDOR_PRIVATE: u16 = 2;
/// Octets of an extension's Type and Length fields.
pub const EXT_HEADER_LEN: usize = 4;
/// The largest 24-bit IEEE 802 Vendor ID.
pub const VENDOR_ID_MAX: u32 = 0x00FF_FFFF;

/// The value of an SCSP Authentication Extension (RFC 2334 B.3.1.1):
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |               Security Parameter Index (SPI)                  |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+ Authentication Data... -+-+-+-+-+-+-+-+-+-+
/// |                                                               |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// The data's length depends on the algorithm, which the SPI selects; decoding takes the rest
/// of the extension as data. See [`super::auth`] for computing and checking it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Authentication {
    /// Security Parameter Index, allocated by the receiver (B.3.1.1).
    pub spi: u32,
    /// Authentication Data: the MAC.
    pub data: Vec<u8>,
}

/// One extension of the Extensions Part (RFC 2334 B.3); End Of Extensions is implied by the
/// end of the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum Extension {
    /// SCSP Authentication Extension, Type 1 (B.3.1).
    Authentication(Authentication),
    /// SCSP Vendor-Private Extension, Type 2 (B.3.2): "Vendor ID" (24 bits, IEEE 802) and
    /// vendor-dependent data.
    VendorPrivate {
        /// Vendor ID (at most [`VENDOR_ID_MAX`]).
        vendor_id: u32,
        /// The remaining octets.
        data: Vec<u8>,
    },
    /// An extension of a type this implementation does not know, kept in place.
    Unknown {
        /// Type (never 0, 1 or 2: the encoder rejects those).
        #[cfg_attr(feature = "serde", serde(rename = "type"))]
        ty: u16,
        /// Value.
        value: Vec<u8>,
    },
}

impl Extension {
    /// The extension's Type.
    pub const fn ty(&self) -> u16 {
        match self {
            Extension::Authentication(_) => EXT_AUTHENTICATION,
            Extension::VendorPrivate { .. } => EXT_VENDOR_PRIVATE,
            Extension::Unknown { ty, .. } => *ty,
        }
    }

    /// Octets of the Value.
    pub fn value_len(&self) -> usize {
        match self {
            Extension::Authentication(a) => 4 + a.data.len(),
            Extension::VendorPrivate { data, .. } => 3 + data.len(),
            Extension::Unknown { value, .. } => value.len(),
        }
    }

    /// Encoded size: Type, Length and Value.
    pub fn wire_len(&self) -> usize {
        EXT_HEADER_LEN + self.value_len()
    }
}

/// Encoded size of an extensions part holding `list`, End Of Extensions included.
pub fn part_len(list: &[Extension]) -> usize {
    list.iter().map(Extension::wire_len).sum::<usize>() + EXT_HEADER_LEN
}

/// Read the extensions part. `soe` is Start Of Extensions; `r` is at the end of the mandatory
/// part.
pub(crate) fn read_part(
    r: &mut Reader<'_>,
    soe: u16,
) -> Result<Option<Vec<Extension>>, DecodeError> {
    if soe == 0 {
        // B.1: "coded as zero when no extensions are present": nothing may follow the
        // mandatory part.
        r.finish("Packet Size")?;
        return Ok(None);
    }
    if usize::from(soe) != r.offset() {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength {
                value: usize::from(soe),
            },
            "Start Of Extensions",
            super::fixed::OFF_SOE,
        ));
    }
    read_list(r).map(Some)
}

fn read_list(r: &mut Reader<'_>) -> Result<Vec<Extension>, DecodeError> {
    let mut list = Vec::new();
    let mut types = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    loop {
        if r.remaining() == 0 {
            return Err(r.error(DecodeErrorKind::Unterminated, "End Of Extensions"));
        }
        let at = r.offset();
        let ty = r.u16("Extension Type")?;
        let len_at = r.offset();
        let len = usize::from(r.u16("Extension Length")?);
        let bad_len = || {
            DecodeError::new(
                DecodeErrorKind::BadLength { value: len },
                "Extension Length",
                len_at,
            )
        };
        if ty == EXT_END {
            if len != 0 {
                return Err(bad_len());
            }
            r.finish("Packet Size")?;
            return Ok(list);
        }
        let value_at = r.offset();
        let mut v = Reader::new(r.take(len, "Extension Value")?);
        let ext = match ty {
            EXT_AUTHENTICATION => {
                if len < 4 {
                    return Err(bad_len());
                }
                Extension::Authentication(Authentication {
                    spi: v.u32("SPI")?,
                    data: v.rest().to_vec(),
                })
            }
            EXT_VENDOR_PRIVATE => {
                if len < 3 {
                    return Err(bad_len());
                }
                let vendor_id = v.u24("Vendor ID")?;
                if !vendors.insert(vendor_id) {
                    return Err(DecodeError::new(
                        DecodeErrorKind::Duplicate {
                            value: u64::from(vendor_id),
                        },
                        "Vendor ID",
                        value_at,
                    ));
                }
                Extension::VendorPrivate {
                    vendor_id,
                    data: v.rest().to_vec(),
                }
            }
            _ => Extension::Unknown {
                ty,
                value: v.rest().to_vec(),
            },
        };
        if ty != EXT_VENDOR_PRIVATE && !types.insert(ty) {
            return Err(DecodeError::new(
                DecodeErrorKind::Duplicate {
                    value: u64::from(ty),
                },
                "Extension Type",
                at,
            ));
        }
        list.push(ext);
    }
}

/// An Authentication Extension to write in place of (or in addition to) the one in the list,
/// with zeroed data of the given length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthSlot {
    pub spi: u32,
    pub mac_len: usize,
}

/// Append the extension list and End Of Extensions. With `auth`, the list's Authentication
/// Extension is replaced by one with zeroed data (or one is appended before End when the list
/// has none). Returns the offset in `out` of the written authentication data, if any.
pub(crate) fn write_list(
    out: &mut Vec<u8>,
    list: &[Extension],
    auth: Option<AuthSlot>,
) -> Result<Option<usize>, EncodeError> {
    let mut types = BTreeSet::new();
    let mut vendors = BTreeSet::new();
    let mut auth_at = None;
    for ext in list {
        let ty = ext.ty();
        let dup = if let Extension::VendorPrivate { vendor_id, .. } = ext {
            !vendors.insert(*vendor_id)
        } else {
            !types.insert(ty)
        };
        if dup {
            return Err(EncodeError::Invalid {
                field: "Extension Type",
                detail: "an extension type may occur only once (RFC 2334 B.3; Vendor-Private: once per Vendor ID, B.3.2)",
            });
        }
        match (ext, auth) {
            (Extension::Authentication(_), Some(slot)) => {
                auth_at = Some(write_auth(out, slot)?);
            }
            _ => write_one(out, ext)?,
        }
    }
    if let (None, Some(slot)) = (auth_at, auth) {
        auth_at = Some(write_auth(out, slot)?);
    }
    out.put_u16(EXT_END);
    out.put_u16(0);
    Ok(auth_at)
}

fn write_auth(out: &mut Vec<u8>, slot: AuthSlot) -> Result<usize, EncodeError> {
    let len = 4 + slot.mac_len;
    fits("Extension Length", len, usize::from(u16::MAX))?;
    out.put_u16(EXT_AUTHENTICATION);
    out.put_u16(len as u16);
    out.put_u32(slot.spi);
    let at = out.len();
    out.resize(at + slot.mac_len, 0);
    Ok(at)
}

fn write_one(out: &mut Vec<u8>, ext: &Extension) -> Result<(), EncodeError> {
    let len = ext.value_len();
    fits("Extension Length", len, usize::from(u16::MAX))?;
    out.put_u16(ext.ty());
    out.put_u16(len as u16);
    match ext {
        Extension::Authentication(a) => {
            out.put_u32(a.spi);
            out.put(&a.data);
        }
        Extension::VendorPrivate { vendor_id, data } => {
            fits("Vendor ID", *vendor_id as usize, VENDOR_ID_MAX as usize)?;
            out.put_u24(*vendor_id);
            out.put(data);
        }
        Extension::Unknown { ty, value } => {
            if matches!(*ty, EXT_END | EXT_AUTHENTICATION | EXT_VENDOR_PRIVATE) {
                return Err(EncodeError::Invalid {
                    field: "Extension Type",
                    detail: "types 0, 1 and 2 are End, Authentication and Vendor-Private; use those variants",
                });
            }
            out.put(value);
        }
    }
    Ok(())
}

/// Where the Authentication Data of a packet is: its offset and length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AuthLocation {
    pub data_at: usize,
    pub data_len: usize,
}

/// Walk the extension list of `packet` (whose fixed part has been verified) to its
/// Authentication Extension. A missing extension is `BadMac` on `Authentication Extension`.
pub(crate) fn locate_auth(packet: &[u8], soe: u16) -> Result<AuthLocation, DecodeError> {
    let missing = |at| DecodeError::new(DecodeErrorKind::BadMac, "Authentication Extension", at);
    if soe == 0 {
        return Err(missing(super::fixed::OFF_SOE));
    }
    let soe = usize::from(soe);
    if soe < super::fixed::FIXED_LEN {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength { value: soe },
            "Start Of Extensions",
            super::fixed::OFF_SOE,
        ));
    }
    let mut r = Reader::new(packet);
    r.take(soe, "Start Of Extensions")?;
    loop {
        if r.remaining() == 0 {
            return Err(r.error(DecodeErrorKind::Unterminated, "End Of Extensions"));
        }
        let at = r.offset();
        let ty = r.u16("Extension Type")?;
        let len_at = r.offset();
        let len = usize::from(r.u16("Extension Length")?);
        if ty == EXT_END {
            return Err(missing(at));
        }
        let value_at = r.offset();
        r.take(len, "Extension Value")?;
        if ty == EXT_AUTHENTICATION {
            if len < 4 {
                return Err(DecodeError::new(
                    DecodeErrorKind::BadLength { value: len },
                    "Extension Length",
                    len_at,
                ));
            }
            return Ok(AuthLocation {
                data_at: value_at + 4,
                data_len: len - 4,
            });
        }
    }
}
