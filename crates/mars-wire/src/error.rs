//! Decode and encode errors.
//!
//! Every rejection names the field (by its RFC name, e.g. `mar$tpln`) and the byte offset of
//! that field from the start of the message being decoded, so that a person reading
//! `marsctl decode` output, or a log line, can find the fault without a hex editor.

use core::fmt;

/// Why a byte string was rejected. Each variant is one kind of fault; the field and offset
/// live in [`DecodeError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeErrorKind {
    /// The input ended inside the field: `needed` octets were required at the offset, only
    /// `available` remained.
    Truncated { needed: usize, available: usize },
    /// Octets remain after the last field of a complete message.
    TrailingBytes { extra: usize },
    /// A length or count field claims more than the buffer holds, or is inconsistent with the
    /// other length fields.
    BadLength { value: usize },
    /// The field holds a value the RFC does not allow here.
    BadValue { value: u64 },
    /// A field the RFC reserves as zero is not zero.
    ReservedNonZero { value: u64 },
    /// The checksum does not verify. `computed` is the checksum the field should have held.
    BadChecksum { found: u16, computed: u16 },
    /// An operation or message type code this implementation does not know.
    UnknownType { value: u64 },
    /// A protocol version this implementation does not speak.
    UnsupportedVersion { value: u64 },
    /// An extension or TLV that may occur only once occurs again.
    Duplicate { value: u64 },
    /// A TLV list or extension list is not terminated by its null/end element.
    Unterminated,
    /// An authentication check failed (SCSP B.3.1.4).
    BadMac,
}

/// A rejected byte string: what was wrong, in which field, at which offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// The kind of fault.
    pub kind: DecodeErrorKind,
    /// The RFC name of the field at fault (e.g. `mar$thtl`, `Packet Size`).
    pub field: &'static str,
    /// Byte offset of that field from the start of the decoded message.
    pub offset: usize,
}

impl DecodeError {
    /// Build an error.
    pub const fn new(kind: DecodeErrorKind, field: &'static str, offset: usize) -> Self {
        DecodeError {
            kind,
            field,
            offset,
        }
    }

    /// The same error seen from an enclosing buffer in which the decoded part starts at `base`.
    pub const fn shifted(self, base: usize) -> Self {
        DecodeError {
            offset: self.offset + base,
            ..self
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use DecodeErrorKind::*;
        write!(f, "{} at offset {}: ", self.field, self.offset)?;
        match self.kind {
            Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} octets, {available} left)")
            }
            TrailingBytes { extra } => write!(f, "{extra} unexpected trailing octets"),
            BadLength { value } => write!(f, "bad length {value}"),
            BadValue { value } => write!(f, "value {value:#x} not allowed here"),
            ReservedNonZero { value } => write!(f, "reserved bits set ({value:#x})"),
            BadChecksum { found, computed } => {
                write!(
                    f,
                    "checksum {found:#06x} does not verify (expected {computed:#06x})"
                )
            }
            UnknownType { value } => write!(f, "unknown type {value}"),
            UnsupportedVersion { value } => write!(f, "unsupported version {value}"),
            Duplicate { value } => write!(f, "type {value} occurs more than once"),
            Unterminated => write!(f, "list not terminated"),
            BadMac => write!(f, "authentication data does not verify"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A message that cannot be represented on the wire as built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A count or length does not fit its wire field (`max` is the field's limit).
    #[error("{field}: {value} exceeds the field's maximum {max}")]
    TooLarge {
        field: &'static str,
        value: usize,
        max: usize,
    },
    /// Entries that share one type & length field on the wire differ in type or length.
    #[error("{field}: entries differ in type or length ({detail})")]
    Inconsistent {
        field: &'static str,
        detail: &'static str,
    },
    /// A value the RFC does not allow (e.g. a CSA sequence number of 0x80000000).
    #[error("{field}: {detail}")]
    Invalid {
        field: &'static str,
        detail: &'static str,
    },
}
