//! The Fixed Part of every SCSP packet (RFC 2334 B.1) and the message type codes.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |    Version    |  Type Code    |        Packet Size            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Checksum             |      Start Of Extensions      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Decoding checks, in this order: Version (must be 1: a later version may lay out the rest
//! differently, so nothing after it is interpreted), Packet Size (must equal the octets
//! received: an AAL5 SDU has an exact length), Checksum (always verified), and only then the
//! Type Code, so that an unknown type is reported only for an otherwise intact packet.

use crate::checksum::checksum_with_zeroed;
use crate::codec::Reader;
use crate::error::{DecodeError, DecodeErrorKind};

/// Octets in the fixed part.
pub const FIXED_LEN: usize = 8;
/// "The current version is 1" (B.1).
pub const SCSP_VERSION: u8 = 1;

/// Offset of Version.
pub(crate) const OFF_VERSION: usize = 0;
/// Offset of Type Code.
pub(crate) const OFF_TYPE: usize = 1;
/// Offset of Packet Size.
pub(crate) const OFF_SIZE: usize = 2;
/// Offset of Checksum.
pub(crate) const OFF_CHECKSUM: usize = 4;
/// Offset of Start Of Extensions.
pub(crate) const OFF_SOE: usize = 6;

/// The SCSP message types and their Type Codes (RFC 2334 B.1: "Hello (5), CSU Request(2), CSU
/// Reply(3), CSUS (4), CA (1)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[repr(u8)]
pub enum MessageType {
    /// Cache Alignment (B.2.1).
    Ca = 1,
    /// Cache State Update Request (B.2.2).
    CsuRequest = 2,
    /// Cache State Update Reply (B.2.3).
    CsuReply = 3,
    /// Cache State Update Solicit (B.2.4).
    Csus = 4,
    /// Hello (B.2.5).
    Hello = 5,
}

impl MessageType {
    /// The Type Code.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The type for a Type Code, if known.
    pub const fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => MessageType::Ca,
            2 => MessageType::CsuRequest,
            3 => MessageType::CsuReply,
            4 => MessageType::Csus,
            5 => MessageType::Hello,
            _ => return None,
        })
    }

    /// The RFC's name for the message.
    pub const fn name(self) -> &'static str {
        match self {
            MessageType::Ca => "CA",
            MessageType::CsuRequest => "CSU Request",
            MessageType::CsuReply => "CSU Reply",
            MessageType::Csus => "CSUS",
            MessageType::Hello => "Hello",
        }
    }
}

impl core::fmt::Display for MessageType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the rest of the decoder needs from a verified fixed part.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed {
    /// The message type.
    pub ty: MessageType,
    /// Start Of Extensions as carried (0: no extensions part).
    pub soe: u16,
}

/// Read and verify the fixed part. `r` must be positioned at the first octet of a buffer that
/// holds exactly one SCSP packet.
pub(crate) fn read(r: &mut Reader<'_>) -> Result<Fixed, DecodeError> {
    let packet = r.buffer();
    let version = r.u8("Version")?;
    if version != SCSP_VERSION {
        return Err(DecodeError::new(
            DecodeErrorKind::UnsupportedVersion {
                value: u64::from(version),
            },
            "Version",
            OFF_VERSION,
        ));
    }
    let code = r.u8("Type Code")?;
    let size = r.u16("Packet Size")?;
    if usize::from(size) != packet.len() {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength {
                value: usize::from(size),
            },
            "Packet Size",
            OFF_SIZE,
        ));
    }
    let found = r.u16("Checksum")?;
    let soe = r.u16("Start Of Extensions")?;
    // B.1: "The standard IP checksum over the entire SCSP packet starting at the fixed
    // header", odd length padded with one 0x00 octet (done by `checksum_with_zeroed`).
    let computed = checksum_with_zeroed(packet, OFF_CHECKSUM);
    if computed != found {
        return Err(DecodeError::new(
            DecodeErrorKind::BadChecksum { found, computed },
            "Checksum",
            OFF_CHECKSUM,
        ));
    }
    let ty = MessageType::from_code(code).ok_or_else(|| {
        DecodeError::new(
            DecodeErrorKind::UnknownType {
                value: u64::from(code),
            },
            "Type Code",
            OFF_TYPE,
        )
    })?;
    Ok(Fixed { ty, soe })
}

/// Append a fixed part with Packet Size, Checksum and Start Of Extensions still zero.
pub(crate) fn write_placeholder(out: &mut Vec<u8>, version: u8, ty: MessageType) {
    out.extend_from_slice(&[version, ty.code(), 0, 0, 0, 0, 0, 0]);
}

/// Write a 16-bit field of an encoded packet.
pub(crate) fn set_u16(packet: &mut [u8], at: usize, v: u16) {
    if let Some(s) = packet.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_be_bytes());
    }
}

/// Compute the checksum over the finished `packet` and store it (the last step of encoding).
pub(crate) fn seal(packet: &mut [u8]) {
    if packet.len() >= FIXED_LEN {
        let c = checksum_with_zeroed(packet, OFF_CHECKSUM);
        set_u16(packet, OFF_CHECKSUM, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes() {
        for c in 1..=5u8 {
            assert_eq!(MessageType::from_code(c).map(MessageType::code), Some(c));
        }
        assert_eq!(MessageType::from_code(0), None);
        assert_eq!(MessageType::from_code(6), None);
        assert_eq!(MessageType::CsuRequest.to_string(), "CSU Request");
    }
}
