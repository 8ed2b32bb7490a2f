//! Reading and writing the \[Addresses\] area (RFC 2022 §4.2, §5.1.2): "MARS packets use true
//! variable length fields. A null (non-existant) address MUST be coded as zero length, and no
//! space allocated for it in the message body."
//!
//! Lists whose entries share one length field in the header (`mar$thtl`/`mar$tstl` for target
//! ATM addresses, `mar$tpln` for group addresses) are checked here on both sides: the decoder
//! guards its allocation with [`Reader::check_count`]; the encoder refuses entries that differ
//! from the shared field ([`EncodeError::Inconsistent`]).
//!
//! Decision: a list of N > 0 entries whose shared length is zero (N null target ATM numbers,
//! N null groups) is rejected on both sides. It carries no information, and accepting it
//! would let a 32-octet message make the decoder allocate 65535 entries.

use super::fields::check_type_len_enc;
use crate::atm::{AtmAddr, AtmAddress};
use crate::codec::{fits, Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::proto_addr::ProtoAddr;

/// Read the octets of an ATM number or subaddress whose type & length octet `tl` was already
/// checked; a non-digit in an E.164 number is reported at its own offset in `field`.
pub(crate) fn read_atm(
    r: &mut Reader<'_>,
    tl: u8,
    field: &'static str,
) -> Result<AtmAddr, DecodeError> {
    let at = r.offset();
    let octets = r.take(usize::from(tl & 0x3F), field)?;
    AtmAddr::from_wire(tl, octets, field, at, at)
}

/// Read an ATM number and its subaddress (e.g. `mar$sha`, `mar$ssa`).
pub(crate) fn read_atm_address(
    r: &mut Reader<'_>,
    htl: u8,
    stl: u8,
    number_field: &'static str,
    sub_field: &'static str,
) -> Result<AtmAddress, DecodeError> {
    let number = read_atm(r, htl, number_field)?;
    let sub = read_atm(r, stl, sub_field)?;
    Ok(AtmAddress { number, sub })
}

/// Read a protocol address of `len` octets (already checked against the 20-octet limit).
pub(crate) fn read_proto(
    r: &mut Reader<'_>,
    len: u8,
    field: &'static str,
) -> Result<ProtoAddr, DecodeError> {
    let s = r.take(usize::from(len), field)?;
    // `len` <= PROTO_ADDR_MAX was checked where it was read, so this never falls back.
    Ok(ProtoAddr::from_slice(s).unwrap_or_default())
}

/// Reject a non-empty list whose shared length field (`field` at `offset`) is zero. Called
/// right after the count is read, so that header faults are reported in header order.
pub(crate) fn check_nonzero_len(
    n: usize,
    len: usize,
    field: &'static str,
    offset: usize,
) -> Result<(), DecodeError> {
    if n > 0 && len == 0 {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength { value: 0 },
            field,
            offset,
        ));
    }
    Ok(())
}

/// Read `n` pairs `{mar$tha.i, mar$tsa.i}`; `tnum_at` is the offset of `mar$tnum`.
pub(crate) fn read_targets(
    r: &mut Reader<'_>,
    n: usize,
    thtl: u8,
    tstl: u8,
    tnum_at: usize,
) -> Result<Vec<AtmAddress>, DecodeError> {
    let size = usize::from(thtl & 0x3F) + usize::from(tstl & 0x3F);
    r.check_count(n, size, "mar$tnum", tnum_at)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(read_atm_address(r, thtl, tstl, "mar$tha", "mar$tsa")?);
    }
    Ok(v)
}

/// Read `n` protocol addresses of `len` octets each (`mar$mgrp.1 … mar$mgrp.N`); `tnum_at` is
/// the offset of `mar$tnum`.
pub(crate) fn read_groups(
    r: &mut Reader<'_>,
    n: usize,
    len: u8,
    tnum_at: usize,
) -> Result<Vec<ProtoAddr>, DecodeError> {
    r.check_count(n, usize::from(len), "mar$tnum", tnum_at)?;
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        v.push(read_proto(r, len, "mar$mgrp")?);
    }
    Ok(v)
}

/// Check the header's `mar$thtl`/`mar$tstl` against the target list it describes and return
/// `mar$tnum`.
pub(crate) fn check_targets(
    thtl: u8,
    tstl: u8,
    targets: &[AtmAddress],
) -> Result<u16, EncodeError> {
    check_type_len_enc(thtl, "mar$thtl")?;
    check_type_len_enc(tstl, "mar$tstl")?;
    fits("mar$tnum", targets.len(), usize::from(u16::MAX))?;
    if !targets.is_empty() && thtl & 0x3F == 0 {
        return Err(EncodeError::Invalid {
            field: "mar$thtl",
            detail: "target ATM numbers cannot be null",
        });
    }
    for t in targets {
        if t.number.type_len() != thtl {
            return Err(EncodeError::Inconsistent {
                field: "mar$thtl",
                detail: "a target ATM number differs from mar$thtl in type or length",
            });
        }
        if t.sub.type_len() != tstl {
            return Err(EncodeError::Inconsistent {
                field: "mar$tstl",
                detail: "a target ATM subaddress differs from mar$tstl in type or length",
            });
        }
    }
    Ok(targets.len() as u16)
}

/// Check the header's `mar$tpln` against protocol addresses sharing it; `count_field` names
/// the count (`mar$pnum`, `mar$tnum`) for the size check.
pub(crate) fn check_protos<'a>(
    tpln: u8,
    addrs: impl Iterator<Item = &'a ProtoAddr>,
    count: usize,
    count_field: &'static str,
) -> Result<u16, EncodeError> {
    fits(
        "mar$tpln",
        usize::from(tpln),
        crate::proto_addr::PROTO_ADDR_MAX,
    )?;
    fits(count_field, count, usize::from(u16::MAX))?;
    if count > 0 && tpln == 0 {
        return Err(EncodeError::Invalid {
            field: "mar$tpln",
            detail: "group addresses cannot be null",
        });
    }
    for a in addrs {
        if a.len() != usize::from(tpln) {
            return Err(EncodeError::Inconsistent {
                field: "mar$tpln",
                detail: "a group address differs in length from mar$tpln",
            });
        }
    }
    Ok(count as u16)
}

/// Append the octets of an ATM number and subaddress.
pub(crate) fn put_atm_address(out: &mut Vec<u8>, a: &AtmAddress) {
    out.put(a.number.as_bytes());
    out.put(a.sub.as_bytes());
}

/// The protocol address length octet for `a` (at most 20, so it always fits).
pub(crate) fn pln(a: &ProtoAddr) -> u8 {
    a.len() as u8
}

/// The type & length octets of the first target, or null ones for an empty list: what
/// `mar$thtl`/`mar$tstl` must hold for `targets`.
pub fn shared_type_len(targets: &[AtmAddress]) -> (u8, u8) {
    targets
        .first()
        .map_or((0, 0), |t| (t.number.type_len(), t.sub.type_len()))
}
