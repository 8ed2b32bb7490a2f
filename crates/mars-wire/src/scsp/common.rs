//! The Mandatory Common Part (RFC 2334 B.2.0.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Protocol ID           |        Server Group ID        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            unused             |             Flags             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Sender ID Len | Recvr ID Len  |       Number of Records       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                  Sender ID (variable length)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                Receiver ID (variable length)                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The three length/count fields are not stored: the lengths are those of the IDs and the
//! Number of Records is the number of records in the message body.

use super::id::{ScspId, ID_MAX};
use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, EncodeError};

/// Octets of the common part before the Sender ID.
pub const COMMON_FIXED_LEN: usize = 12;

/// SCSP Protocol ID of ATMARP (B.2.0.1).
pub const PROTOCOL_ATMARP: u16 = 1;
/// SCSP Protocol ID of NHRP.
pub const PROTOCOL_NHRP: u16 = 2;
/// SCSP Protocol ID of MARS (also RFC 2443 §4.1).
pub const PROTOCOL_MARS: u16 = 3;
/// SCSP Protocol ID of DHCP.
pub const PROTOCOL_DHCP: u16 = 4;
/// SCSP Protocol ID of LNNI.
pub const PROTOCOL_LNNI: u16 = 5;

/// The Mandatory Common Part of every SCSP message (RFC 2334 B.2.0.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CommonPart {
    /// Protocol ID: the client/server protocol using SCSP (3 for MARS).
    pub protocol_id: u16,
    /// Server Group ID: the instance of the protocol whose servers are synchronised.
    pub server_group_id: u16,
    /// The 16 "unused" bits, kept as received so that re-encoding is exact ("MUST be set to
    /// zero upon transmission ... and ignored upon receipt", App. B).
    pub unused: u16,
    /// Flags, message specific: the M/I/O bits of a CA (B.2.1, see [`super::CA_FLAG_M`] and
    /// friends); no flags are defined for the other messages. Kept as received.
    pub flags: u16,
    /// Sender ID (0 to 255 octets).
    pub sender_id: ScspId,
    /// Receiver ID (0 to 255 octets; empty in a Hello that has heard nobody, B.2.5).
    pub receiver_id: ScspId,
}

impl CommonPart {
    /// A common part with zero unused and flag bits.
    pub fn new(
        protocol_id: u16,
        server_group_id: u16,
        sender_id: ScspId,
        receiver_id: ScspId,
    ) -> Self {
        CommonPart {
            protocol_id,
            server_group_id,
            unused: 0,
            flags: 0,
            sender_id,
            receiver_id,
        }
    }

    /// Encoded size in octets.
    pub fn wire_len(&self) -> usize {
        COMMON_FIXED_LEN + self.sender_id.len() + self.receiver_id.len()
    }

    /// Whether every bit of `mask` is set in Flags.
    pub const fn flag(&self, mask: u16) -> bool {
        self.flags & mask == mask
    }

    /// Set or clear the bits of `mask` in Flags.
    pub fn set_flag(&mut self, mask: u16, on: bool) {
        if on {
            self.flags |= mask;
        } else {
            self.flags &= !mask;
        }
    }

    /// Read the common part; returns it with the Number of Records and that field's offset.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<(Self, Count), DecodeError> {
        let protocol_id = r.u16("Protocol ID")?;
        let server_group_id = r.u16("Server Group ID")?;
        let unused = r.u16("unused")?;
        let flags = r.u16("Flags")?;
        let sender_len = r.u8("Sender ID Len")?;
        let recvr_len = r.u8("Recvr ID Len")?;
        let count = Count {
            offset: r.offset(),
            value: usize::from(r.u16("Number of Records")?),
        };
        let sender_id = ScspId::from(r.take(usize::from(sender_len), "Sender ID")?);
        let receiver_id = ScspId::from(r.take(usize::from(recvr_len), "Receiver ID")?);
        Ok((
            CommonPart {
                protocol_id,
                server_group_id,
                unused,
                flags,
                sender_id,
                receiver_id,
            },
            count,
        ))
    }

    /// Append the common part announcing `records` records.
    pub(crate) fn write(&self, out: &mut Vec<u8>, records: usize) -> Result<(), EncodeError> {
        fits("Sender ID Len", self.sender_id.len(), ID_MAX)?;
        fits("Recvr ID Len", self.receiver_id.len(), ID_MAX)?;
        fits("Number of Records", records, usize::from(u16::MAX))?;
        out.put_u16(self.protocol_id);
        out.put_u16(self.server_group_id);
        out.put_u16(self.unused);
        out.put_u16(self.flags);
        out.put_u8(self.sender_id.len() as u8);
        out.put_u8(self.receiver_id.len() as u8);
        out.put_u16(records as u16);
        out.put(self.sender_id.as_bytes());
        out.put(self.receiver_id.as_bytes());
        Ok(())
    }
}

/// A Number of Records field as read, with its offset for error reports.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Count {
    pub offset: usize,
    pub value: usize,
}

impl Count {
    /// Check that `value` items of at least `min_size` octets each fit in what is left, before
    /// allocating for them.
    pub(crate) fn check(&self, r: &Reader<'_>, min_size: usize) -> Result<(), DecodeError> {
        r.check_count(self.value, min_size, "Number of Records", self.offset)
    }
}
