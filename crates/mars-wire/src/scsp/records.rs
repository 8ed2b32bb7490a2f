//! CSAS records (RFC 2334 B.2.0.2) and CSA records (B.2.2.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Hop Count           |        Record Length          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Cache Key Len |  Orig ID Len  |N|          unused             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       CSA Sequence Number                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                           Cache Key  ...                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         Originator ID   ...                   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! A "stand-alone" CSAS record (in CA, CSU Reply and CSUS) has Record Length exactly
//! 12 + Cache Key Len + Orig ID Len; a CSAS record "embedded" in a CSA record has a Record
//! Length that also covers the Client/Server Protocol Specific Part that follows it, which this
//! layer keeps as opaque octets (the SCSP layer does not know MARS; see [`crate::dmars`]).

use super::id::{CacheKey, ScspId, ID_MAX};
use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::seq::CsaSeq;

/// Octets of a CSAS record before the Cache Key.
pub const CSAS_HEADER_LEN: usize = 12;
/// The N bit within the 16 bits that follow Orig ID Len (bit 0 counting from the MSB).
pub const N_BIT: u16 = 0x8000;
/// The largest value of the 15 unused bits that follow the N bit.
pub const CSAS_UNUSED_MAX: u16 = 0x7FFF;

/// A Cache State Advertisement Summary record (RFC 2334 B.2.0.2): the summary of one cache
/// entry, identified by (Cache Key, Originator ID), with its CSA Sequence Number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CsasRecord {
    /// Hop Count: 1 for a stand-alone record; an administrative value (≥ SG size − 1) when
    /// embedded in a CSA record, except 1 in a CSU Request answering a CSUS.
    pub hop_count: u16,
    /// N: "this CSAS Record is actually a Null record" (only in answers to a CSUS when the
    /// solicited entry no longer exists).
    pub null: bool,
    /// The 15 unused bits after N, kept as received (at most [`CSAS_UNUSED_MAX`]).
    pub unused: u16,
    /// CSA Sequence Number: signed, "larger" means newer; never the reserved 0x80000000.
    pub seq: CsaSeq,
    /// Cache Key.
    pub cache_key: CacheKey,
    /// Originator ID.
    pub originator_id: ScspId,
}

impl CsasRecord {
    /// A summary with Hop Count 1, N clear and zero unused bits.
    pub fn new(seq: CsaSeq, cache_key: CacheKey, originator_id: ScspId) -> Self {
        CsasRecord {
            hop_count: 1,
            null: false,
            unused: 0,
            seq,
            cache_key,
            originator_id,
        }
    }

    /// Encoded size as a stand-alone record: 12 + Cache Key Len + Orig ID Len.
    pub fn wire_len(&self) -> usize {
        CSAS_HEADER_LEN + self.cache_key.len() + self.originator_id.len()
    }

    /// The identity of the cache entry summarised: (Cache Key, Originator ID).
    pub fn entry_id(&self) -> (&CacheKey, &ScspId) {
        (&self.cache_key, &self.originator_id)
    }

    /// Read a stand-alone record (Record Length must be exactly 12 + key + originator ID).
    pub(crate) fn read_standalone(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (rec, rest) = read_summary(r, true)?;
        debug_assert_eq!(rest, 0);
        Ok(rec)
    }

    /// Append as a record whose Record Length also covers `extra` octets that follow it.
    fn write_with(&self, out: &mut Vec<u8>, extra: usize) -> Result<(), EncodeError> {
        fits("Cache Key Len", self.cache_key.len(), ID_MAX)?;
        fits("Orig ID Len", self.originator_id.len(), ID_MAX)?;
        fits(
            "unused",
            usize::from(self.unused),
            usize::from(CSAS_UNUSED_MAX),
        )?;
        let len = self.wire_len().saturating_add(extra);
        fits("Record Length", len, usize::from(u16::MAX))?;
        out.put_u16(self.hop_count);
        out.put_u16(len as u16);
        out.put_u8(self.cache_key.len() as u8);
        out.put_u8(self.originator_id.len() as u8);
        out.put_u16(if self.null { N_BIT } else { 0 } | self.unused);
        out.put_u32(self.seq.raw());
        out.put(self.cache_key.as_bytes());
        out.put(self.originator_id.as_bytes());
        Ok(())
    }

    /// Append as a stand-alone record.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.write_with(out, 0)
    }
}

/// A Cache State Advertisement record (RFC 2334 B.2.2.1): an embedded CSAS record followed by
/// the "Client/Server Protocol Specific Part for cache entry", kept as octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CsaRecord {
    /// The embedded CSAS record.
    pub summary: CsasRecord,
    /// The Client/Server Protocol Specific Part (for MARS, decode it with
    /// [`crate::dmars::MarsCsa::decode`]). May be empty, e.g. in a null record (N set) copied
    /// from a CSUS (B.2.0.2).
    pub protocol_specific: Vec<u8>,
}

impl CsaRecord {
    /// A CSA record.
    pub fn new(summary: CsasRecord, protocol_specific: Vec<u8>) -> Self {
        CsaRecord {
            summary,
            protocol_specific,
        }
    }

    /// Encoded size: the Record Length, 12 + key + originator ID + protocol specific part.
    pub fn wire_len(&self) -> usize {
        self.summary.wire_len() + self.protocol_specific.len()
    }

    /// Read a CSA record.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let (summary, rest) = read_summary(r, false)?;
        let protocol_specific = r
            .take(rest, "Client/Server Protocol Specific Part")?
            .to_vec();
        Ok(CsaRecord {
            summary,
            protocol_specific,
        })
    }

    /// Append the record.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.summary.write_with(out, self.protocol_specific.len())?;
        out.put(&self.protocol_specific);
        Ok(())
    }
}

/// Read a CSAS record; returns it and the number of Record Length octets after the
/// Originator ID (always 0 for a stand-alone record).
fn read_summary(r: &mut Reader<'_>, standalone: bool) -> Result<(CsasRecord, usize), DecodeError> {
    let hop_count = r.u16("Hop Count")?;
    let len_at = r.offset();
    let len = usize::from(r.u16("Record Length")?);
    let key_len = usize::from(r.u8("Cache Key Len")?);
    let oid_len = usize::from(r.u8("Orig ID Len")?);
    let n_word = r.u16("N")?;
    let seq_at = r.offset();
    let raw = r.u32("CSA Sequence Number")?;
    // B.2.0.2 Record Length: "If the CSAS record is a "stand-alone" record then this value is
    // 12+"Cache Key Leng"+"Orig ID Len" ...; otherwise ... + sizeof(Client/Server Protocol
    // Specific Part)".
    let min = CSAS_HEADER_LEN + key_len + oid_len;
    if len < min || (standalone && len != min) {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength { value: len },
            "Record Length",
            len_at,
        ));
    }
    // B.2.0.2: "the number -2^31 (0x80000000) is reserved".
    let seq = CsaSeq::from_raw(raw).ok_or_else(|| {
        DecodeError::new(
            DecodeErrorKind::BadValue {
                value: u64::from(raw),
            },
            "CSA Sequence Number",
            seq_at,
        )
    })?;
    let cache_key = CacheKey::from(r.take(key_len, "Cache Key")?);
    let originator_id = ScspId::from(r.take(oid_len, "Originator ID")?);
    Ok((
        CsasRecord {
            hop_count,
            null: n_word & N_BIT != 0,
            unused: n_word & CSAS_UNUSED_MAX,
            seq,
            cache_key,
            originator_id,
        },
        len - min,
    ))
}
