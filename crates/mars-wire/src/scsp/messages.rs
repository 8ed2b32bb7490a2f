//! The message-specific parts of CA (RFC 2334 B.2.1) and Hello (B.2.5). CSU Request, CSU
//! Reply and CSUS are a common part followed by records and need nothing of their own.

use super::id::{ScspId, ID_MAX};
use super::records::CsasRecord;
use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, EncodeError};

/// CA Flags bit M, "Master/Slave bit" (B.2.1): bit 0 of the 16-bit Flags counting from the
/// most significant bit.
pub const CA_FLAG_M: u16 = 0x8000;
/// CA Flags bit I, "Initialization bit" (B.2.1): bit 1.
pub const CA_FLAG_I: u16 = 0x4000;
/// CA Flags bit O, "mOre bit" (B.2.1): bit 2.
pub const CA_FLAG_O: u16 = 0x2000;

/// The mandatory part of a Cache Alignment message (RFC 2334 B.2.1), less its common part:
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                     CA  Sequence Number                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Mandatory Common Part                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          CSAS Record                          |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///                                .......
/// ```
///
/// The M, I and O flags live in [`super::CommonPart::flags`] ([`CA_FLAG_M`], [`CA_FLAG_I`],
/// [`CA_FLAG_O`]); the other 13 flag bits are kept there as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Ca {
    /// CA Sequence Number (unsigned; one space per CAFSM).
    pub sequence: u32,
    /// The stand-alone CSAS records.
    pub records: Vec<CsasRecord>,
}

/// Octets of the Hello-specific fields before the common part.
pub const HELLO_FIXED_LEN: usize = 8;

/// The mandatory part of a Hello message (RFC 2334 B.2.5), less its common part:
///
/// ```text
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |         HelloInterval         |          DeadFactor           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |            unused             |          Family ID            |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                    Mandatory Common Part                      |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Additional Receiver ID Record                 |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///                                .........
/// ```
///
/// The first DCS heard goes in the common part's Receiver ID (empty, Recvr ID Len 0, when none
/// has been heard); each further one is an Additional Receiver ID Record (`Rec ID Len` octet
/// plus the ID, no padding), and Number of Records counts only those. [`super::ScspPacket::hello`]
/// builds that layout from a list of heard IDs; [`super::ScspPacket::hello_receivers`] reads
/// it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Hello {
    /// HelloInterval (seconds).
    pub hello_interval: u16,
    /// DeadFactor, a multiplier of HelloInterval.
    pub dead_factor: u16,
    /// The 16 unused bits, kept as received.
    pub unused: u16,
    /// Family ID.
    pub family_id: u16,
    /// The Additional Receiver IDs (beyond the one in the common part).
    pub additional_receivers: Vec<ScspId>,
}

impl Hello {
    /// Encoded size of the Hello-specific parts (fields before the common part plus the
    /// Additional Receiver ID Records).
    pub fn wire_len(&self) -> usize {
        HELLO_FIXED_LEN
            + self
                .additional_receivers
                .iter()
                .map(|id| 1 + id.len())
                .sum::<usize>()
    }

    /// Read `count` Additional Receiver ID Records.
    pub(crate) fn read_additional(
        r: &mut Reader<'_>,
        count: super::common::Count,
    ) -> Result<Vec<ScspId>, DecodeError> {
        count.check(r, 1)?;
        let mut ids = Vec::with_capacity(count.value);
        for _ in 0..count.value {
            let len = r.u8("Rec ID Len")?;
            ids.push(ScspId::from(r.take(usize::from(len), "Receiver ID")?));
        }
        Ok(ids)
    }

    /// Append the Additional Receiver ID Records.
    pub(crate) fn write_additional(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        for id in &self.additional_receivers {
            fits("Rec ID Len", id.len(), ID_MAX)?;
            out.put_u8(id.len() as u8);
            out.put(id.as_bytes());
        }
        Ok(())
    }
}
