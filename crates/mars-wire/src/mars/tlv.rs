//! Supplementary parameters: the TLV list located by `mar$extoff` (RFC 2022 §10, Appendix D).
//!
//! ```text
//!   [Type - 2 octets][Length - 2 octets][Value - n*4 octets]
//!
//!   |   1st octet   |   2nd octet   |
//!    7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!   | x |               y           |       Type
//!   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Decisions (RFC 2022 §10 leaves them open):
//! - The list starts exactly at "the first 32 bit boundary following the \[Addresses\] field"
//!   (§10): `mar$extoff & 0xFFFC` must equal that boundary, and the 0–3 octets between the
//!   last address and the boundary must be zero. Any other offset is rejected (`BadValue` on
//!   `mar$extoff`), so that every accepted message has one encoding.
//! - `Length` counts the valid octets; the 0–3 padding octets after them "MUST be set to
//!   zero" (§10.2) and a non-zero one is rejected.
//! - The list ends with the Null TLV, exactly `00 00 00 00` (§10.4). A type with `y = 0` but
//!   `x != 0`, or type 0 with a non-zero length, is rejected rather than guessed at; a list
//!   that runs to the end of the message without a Null TLV is `Unterminated`; octets after
//!   the Null TLV are `TrailingBytes`.
//! - Unknown TLVs are kept, type and value, so that a MARS can forward them and so that the
//!   message re-encodes exactly. [`TlvList::verdict`] applies Appendix D.

use crate::codec::{Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

/// Field name of the zero octets between the last address and the TLV list.
pub const FIELD_ALIGN: &str = "TLV alignment";
/// Field name of a TLV's Type subfield.
pub const FIELD_TYPE: &str = "TLV Type";
/// Field name of a TLV's Length subfield.
pub const FIELD_LENGTH: &str = "TLV Length";
/// Field name of a TLV's Value subfield.
pub const FIELD_VALUE: &str = "TLV Value";
/// Field name of a TLV's zero padding after the valid octets.
pub const FIELD_PAD: &str = "TLV padding";
/// Field name reported when the list has no Null TLV.
pub const FIELD_NULL: &str = "Null TLV";

/// One TLV other than the Null TLV (RFC 2022 §10.2). Its value holds the `Length` valid
/// octets; the padding to a 32-bit boundary is not stored (it is always zero).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    /// The whole Type subfield, `x` in the top 2 bits and `y` in the low 14.
    pub ty: u16,
    /// The valid octets of the Value subfield.
    pub value: Vec<u8>,
}

/// What a recipient does with an unrecognised TLV, from `Type.x` (RFC 2022 §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlvAction {
    /// x = 0 (and x = 3, "currently treat as x = 0"): skip the TLV, continue with the list.
    Skip,
    /// x = 1: stop processing, silently drop the MARS message.
    DropSilently,
    /// x = 2: stop processing, drop the message, give an error indication.
    DropAndReport,
}

impl Tlv {
    /// A TLV of type `ty` carrying `value`.
    pub fn new(ty: u16, value: Vec<u8>) -> Self {
        Tlv { ty, value }
    }

    /// `Type.x`, the top 2 bits.
    pub const fn x(&self) -> u8 {
        (self.ty >> 14) as u8
    }

    /// `Type.y`, the low 14 bits.
    pub const fn y(&self) -> u16 {
        self.ty & 0x3FFF
    }

    /// How to treat this TLV if its `Type.y` is not recognised.
    pub const fn unknown_action(&self) -> TlvAction {
        match self.x() {
            1 => TlvAction::DropSilently,
            2 => TlvAction::DropAndReport,
            _ => TlvAction::Skip,
        }
    }

    /// Octets this TLV occupies on the wire: `length + 4 + ((4-(length & 3)) % 4)` (§10.2).
    pub fn wire_len(&self) -> usize {
        4 + self.value.len().next_multiple_of(4)
    }
}

/// The outcome of Appendix D's parsing algorithm for a message's TLV list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlvVerdict {
    /// Every TLV is known or skippable: handle the message "in accordance with the mar$op
    /// value" (§10.3), modified by the known TLVs.
    Accept,
    /// An unknown TLV with `Type.x = 1`: drop the message silently.
    DropSilently {
        /// The whole Type subfield of the TLV that stopped processing.
        tlv_type: u16,
    },
    /// An unknown TLV with `Type.x = 2`: drop the message and log an error.
    DropAndReport {
        /// The whole Type subfield of the TLV that stopped processing.
        tlv_type: u16,
    },
}

/// The supplementary parameter list of a MARS message (RFC 2022 §10): the TLVs in order,
/// without the terminating Null TLV, which the encoder always appends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct TlvList {
    /// The TLVs before the Null TLV, in list order.
    pub tlvs: Vec<Tlv>,
}

impl TlvList {
    /// A list holding just the Null TLV.
    pub const fn empty() -> Self {
        TlvList { tlvs: Vec::new() }
    }

    /// Appendix D: walk the list in order; a TLV whose `Type.y` `known` recognises is left to
    /// the caller; an unknown one is skipped (x = 0 or 3) or stops processing and drops the
    /// message (x = 1 silently, x = 2 with an error indication).
    pub fn verdict(&self, known: impl Fn(u16) -> bool) -> TlvVerdict {
        for t in &self.tlvs {
            if known(t.y()) {
                continue;
            }
            match t.unknown_action() {
                TlvAction::Skip => {}
                TlvAction::DropSilently => return TlvVerdict::DropSilently { tlv_type: t.ty },
                TlvAction::DropAndReport => return TlvVerdict::DropAndReport { tlv_type: t.ty },
            }
        }
        TlvVerdict::Accept
    }

    /// Octets the list occupies on the wire, Null TLV included.
    pub fn wire_len(&self) -> usize {
        self.tlvs.iter().map(Tlv::wire_len).sum::<usize>() + 4
    }

    /// Decode the list that starts at the reader's position and must run to the end of the
    /// input (nothing may follow the Null TLV).
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut tlvs = Vec::new();
        loop {
            if r.remaining() == 0 {
                return Err(r.error(DecodeErrorKind::Unterminated, FIELD_NULL));
            }
            let type_at = r.offset();
            let ty = r.u16(FIELD_TYPE)?;
            let len_at = r.offset();
            let len = usize::from(r.u16(FIELD_LENGTH)?);
            if ty & 0x3FFF == 0 {
                // Appendix D stops at Type.y == 0; §10.4 codes the Null TLV as all zeros.
                if ty != 0 {
                    return Err(DecodeError::new(
                        DecodeErrorKind::BadValue {
                            value: u64::from(ty),
                        },
                        FIELD_TYPE,
                        type_at,
                    ));
                }
                if len != 0 {
                    return Err(DecodeError::new(
                        DecodeErrorKind::BadLength { value: len },
                        FIELD_LENGTH,
                        len_at,
                    ));
                }
                r.finish(FIELD_NULL)?;
                return Ok(TlvList { tlvs });
            }
            let value = r.take(len, FIELD_VALUE)?.to_vec();
            read_zero_pad(r, len.next_multiple_of(4) - len, FIELD_PAD)?;
            tlvs.push(Tlv { ty, value });
        }
    }

    /// Append the list and its Null TLV.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for t in &self.tlvs {
            if t.y() == 0 {
                return Err(EncodeError::Invalid {
                    field: FIELD_TYPE,
                    detail: "Type.y 0 is the Null TLV, which ends the list",
                });
            }
            crate::codec::fits(FIELD_LENGTH, t.value.len(), usize::from(u16::MAX))?;
            out.put_u16(t.ty);
            out.put_u16(t.value.len() as u16);
            out.put(&t.value);
            out.resize(
                out.len() + (t.value.len().next_multiple_of(4) - t.value.len()),
                0,
            );
        }
        out.put_u32(0);
        Ok(())
    }
}

/// Read `n` padding octets that must be zero; the error names the first non-zero one.
pub(crate) fn read_zero_pad(
    r: &mut Reader<'_>,
    n: usize,
    field: &'static str,
) -> Result<(), DecodeError> {
    let at = r.offset();
    let pad = r.take(n, field)?;
    match pad.iter().position(|&b| b != 0) {
        None => Ok(()),
        Some(i) => Err(DecodeError::new(
            DecodeErrorKind::ReservedNonZero {
                value: u64::from(pad[i]),
            },
            field,
            at + i,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(types: &[u16]) -> TlvList {
        TlvList {
            tlvs: types.iter().map(|&t| Tlv::new(t, vec![1])).collect(),
        }
    }

    #[test]
    fn appendix_d_verdicts() {
        let none = |_| false;
        assert_eq!(TlvList::empty().verdict(none), TlvVerdict::Accept);
        assert_eq!(list(&[0x0123]).verdict(none), TlvVerdict::Accept);
        assert_eq!(list(&[0xC123]).verdict(none), TlvVerdict::Accept);
        assert_eq!(
            list(&[0x0001, 0x4002, 0x8003]).verdict(none),
            TlvVerdict::DropSilently { tlv_type: 0x4002 }
        );
        assert_eq!(
            list(&[0x8003, 0x4002]).verdict(none),
            TlvVerdict::DropAndReport { tlv_type: 0x8003 }
        );
        // A recognised TLV is the caller's business, whatever its x.
        assert_eq!(list(&[0x8003]).verdict(|y| y == 3), TlvVerdict::Accept);
    }

    #[test]
    fn wire_len_formula() {
        for (len, wire) in [(0, 4), (1, 8), (4, 8), (5, 12), (8, 12)] {
            assert_eq!(Tlv::new(1, vec![0; len]).wire_len(), wire);
        }
        assert_eq!(list(&[1, 2]).wire_len(), 20);
    }
}
