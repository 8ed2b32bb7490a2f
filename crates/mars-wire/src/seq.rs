//! Sequence numbers with their RFC comparison rules.
//!
//! - [`CsaSeq`]: the SCSP CSA Sequence Number (RFC 2334 B.2.0.2), a *signed* 32-bit value with
//!   0x80000000 reserved; larger means newer, and the space does not wrap: at 2^31−2 the
//!   originator purges the entry (sequence 2^31−1) and restarts at −2^31+1.
//! - [`Csn`]: the MARS Cluster/Server Sequence Number (RFC 2022 §5.1.4.2, §6.2.5), an
//!   *unsigned* 32-bit counter with wrapping arithmetic; a receiver compares by
//!   `mar$msn − HSN`.

use core::fmt;

/// An SCSP CSA Sequence Number (RFC 2334 B.2.0.2). Never holds the reserved 0x80000000.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct CsaSeq(i32);

impl CsaSeq {
    /// The reserved value −2^31 (0x80000000); never valid in a record.
    pub const RESERVED_RAW: u32 = 0x8000_0000;
    /// −2^31+1: the first number an LS uses for an entry it creates.
    pub const FIRST: CsaSeq = CsaSeq(i32::MIN + 1);
    /// 2^31−2: the last number of normal use; the next change must purge first.
    pub const LAST: CsaSeq = CsaSeq(i32::MAX - 1);
    /// 2^31−1: carried only by the CSA that purges an entry before the restart at [`FIRST`].
    ///
    /// [`FIRST`]: CsaSeq::FIRST
    pub const PURGE: CsaSeq = CsaSeq(i32::MAX);

    /// From the wire value; `None` for the reserved 0x80000000.
    pub const fn from_raw(raw: u32) -> Option<Self> {
        if raw == Self::RESERVED_RAW {
            None
        } else {
            Some(CsaSeq(raw as i32))
        }
    }

    /// From a signed value; `None` for the reserved −2^31.
    pub const fn new(v: i32) -> Option<Self> {
        Self::from_raw(v as u32)
    }

    /// The wire value.
    pub const fn raw(self) -> u32 {
        self.0 as u32
    }

    /// The signed value.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// The number for the next change, or `None` when this entry is at [`CsaSeq::LAST`] (or
    /// beyond) and must be purged before it can change again (B.2.0.2).
    pub const fn next(self) -> Option<Self> {
        if self.0 >= Self::LAST.0 {
            None
        } else {
            Some(CsaSeq(self.0 + 1))
        }
    }

    /// The restart rule of B.2.0.2: the existing entry's number (or zero if none) plus a
    /// configured constant, saturating at [`CsaSeq::LAST`] so that the result stays usable.
    pub fn after_restart(existing: Option<CsaSeq>, offset: u32) -> Self {
        let base = i64::from(existing.map_or(0, CsaSeq::get));
        let v = (base + i64::from(offset)).clamp(i64::from(Self::FIRST.0), i64::from(Self::LAST.0));
        CsaSeq(v as i32)
    }
}

impl fmt::Debug for CsaSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CsaSeq({})", self.0)
    }
}

impl fmt::Display for CsaSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A MARS Cluster Sequence Number or Server Sequence Number (unsigned 32-bit, wrapping).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Csn(pub u32);

/// What a received `mar$msn` says about the messages before it (RFC 2022 §5.1.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsnCheck {
    /// `Seq.diff` is 0 or 1: nothing was missed.
    InStep,
    /// Any other difference: an update may have been missed; revalidate (§5.1.5.2).
    Jump {
        /// `mar$msn − HSN`, unsigned 32-bit.
        diff: u32,
    },
}

impl Csn {
    /// The number after this one (wrapping, §5.1.4.2: "unsigned 32 bit arithmetic").
    #[must_use]
    pub const fn next(self) -> Self {
        Csn(self.0.wrapping_add(1))
    }

    /// The §5.1.4.2 test a cluster member applies with its HSN `self` to a received `msn`.
    pub const fn check(self, msn: Csn) -> MsnCheck {
        match msn.0.wrapping_sub(self.0) {
            0 | 1 => MsnCheck::InStep,
            diff => MsnCheck::Jump { diff },
        }
    }
}

impl fmt::Debug for Csn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Csn({})", self.0)
    }
}

impl fmt::Display for Csn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csa_reserved_value_rejected() {
        assert_eq!(CsaSeq::from_raw(0x8000_0000), None);
        assert_eq!(CsaSeq::new(i32::MIN), None);
        assert_eq!(CsaSeq::FIRST.raw(), 0x8000_0001);
        assert_eq!(CsaSeq::PURGE.raw(), 0x7FFF_FFFF);
    }

    #[test]
    fn csa_order_is_signed() {
        // B.2.0.2: "A 'larger' sequence number means a more recent advertisement", signed.
        assert!(CsaSeq::FIRST < CsaSeq::new(0).unwrap());
        assert!(CsaSeq::new(-1).unwrap() < CsaSeq::new(1).unwrap());
        assert!(CsaSeq::LAST < CsaSeq::PURGE);
    }

    #[test]
    fn csa_next_stops_at_last() {
        assert_eq!(CsaSeq::FIRST.next(), CsaSeq::new(i32::MIN + 2));
        assert_eq!(
            CsaSeq::new(i32::MAX - 2).unwrap().next(),
            Some(CsaSeq::LAST)
        );
        assert_eq!(
            CsaSeq::LAST.next(),
            None,
            "2^31-2 must purge before changing"
        );
        assert_eq!(CsaSeq::PURGE.next(), None);
    }

    #[test]
    fn csa_restart_rule() {
        assert_eq!(CsaSeq::after_restart(None, 1000).get(), 1000);
        assert_eq!(CsaSeq::after_restart(CsaSeq::new(-5), 1000).get(), 995);
        assert_eq!(CsaSeq::after_restart(Some(CsaSeq::LAST), 10), CsaSeq::LAST);
    }

    #[test]
    fn csn_check_unsigned_wrap() {
        let hsn = Csn(u32::MAX);
        assert_eq!(hsn.check(Csn(0)), MsnCheck::InStep, "wrap is a step of 1");
        assert_eq!(hsn.check(Csn(u32::MAX)), MsnCheck::InStep);
        assert_eq!(hsn.check(Csn(1)), MsnCheck::Jump { diff: 2 });
        assert_eq!(Csn(10).check(Csn(9)), MsnCheck::Jump { diff: u32::MAX });
        assert_eq!(Csn(u32::MAX).next(), Csn(0));
    }
}
