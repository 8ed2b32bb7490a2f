//! Small fields of the MARS mandatory part: `mar$seqxy`, `mar$flags`, `mar$redirf`, the
//! `<min,max>` group pairs, and the checks on type & length octets and protocol address
//! lengths shared by every operation.

use core::fmt;

use crate::atm::{E164_MAX_DIGITS, NSAP_LEN};
use crate::codec::Reader;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::proto_addr::{ProtoAddr, PROTO_ADDR_MAX};

/// `mar$seqxy` (RFC 2022 §5.1.2): the last-part flag `x` and the part number `y` of a
/// multi-part MARS_MULTI, MARS_GROUPLIST_REPLY or MARS_REDIRECT_MAP.
///
/// ```text
///   |  1st octet    |   2nd octet   |
///    7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   |x|                 y           |
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
///
/// Every 16-bit value is a valid `mar$seqxy`; the wrapper only names the two parts.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqXy(pub u16);

impl SeqXy {
    /// The only part of a single-part reply: `MARS_MULTI(1,1)` (§5.1.1, "If k == 1 then only
    /// MARS_MULTI(1,1) is sent").
    pub const SINGLE: SeqXy = SeqXy(0x8001);
    /// The largest part number `y` (15 bits).
    pub const Y_MAX: u16 = 0x7FFF;

    /// Part `y` (1-based in the RFC's examples), `last` set on the final part. `None` if `y`
    /// does not fit in 15 bits.
    pub const fn new(last: bool, y: u16) -> Option<SeqXy> {
        if y > Self::Y_MAX {
            return None;
        }
        Some(SeqXy(if last { 0x8000 | y } else { y }))
    }

    /// Flag `x`: this is the last part.
    pub const fn last(self) -> bool {
        self.0 & 0x8000 != 0
    }

    /// Sequence number `y` of this part.
    pub const fn y(self) -> u16 {
        self.0 & Self::Y_MAX
    }
}

impl fmt::Debug for SeqXy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqXy(x={}, y={})", u8::from(self.last()), self.y())
    }
}

/// `mar$flags` of MARS_JOIN and the messages sharing its layout (RFC 2022 §5.2.1):
///
/// ```text
///   Bit 15  - mar$flags.layer3grp.
///   Bit 14  - mar$flags.copy.
///   Bit 13  - mar$flags.register.
///   Bit 12  - mar$flags.punched.
///   Bit 0-7 - mar$flags.sequence.
///   Bits 8 to 11 are reserved and MUST be zero.
/// ```
///
/// The decoder keeps the reserved bits as received (so the message re-encodes exactly);
/// whether to drop a message that sets them is the engine's decision ([`Flags::reserved`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// Bit 15, `mar$flags.layer3grp`.
    pub const LAYER3GRP: u16 = 0x8000;
    /// Bit 14, `mar$flags.copy`.
    pub const COPY: u16 = 0x4000;
    /// Bit 13, `mar$flags.register`.
    pub const REGISTER: u16 = 0x2000;
    /// Bit 12, `mar$flags.punched`.
    pub const PUNCHED: u16 = 0x1000;
    /// Bits 8–11, reserved.
    pub const RESERVED_MASK: u16 = 0x0F00;
    /// Bits 0–7, `mar$flags.sequence`.
    pub const SEQUENCE_MASK: u16 = 0x00FF;

    /// `mar$flags.layer3grp`.
    pub const fn layer3grp(self) -> bool {
        self.0 & Self::LAYER3GRP != 0
    }
    /// `mar$flags.copy`: set when the message was sent by a MARS.
    pub const fn copy(self) -> bool {
        self.0 & Self::COPY != 0
    }
    /// `mar$flags.register`: the message (de)registers a cluster member or MCS.
    pub const fn register(self) -> bool {
        self.0 & Self::REGISTER != 0
    }
    /// `mar$flags.punched`: a hole-punched copy (§6.2.4).
    pub const fn punched(self) -> bool {
        self.0 & Self::PUNCHED != 0
    }
    /// `mar$flags.sequence`, source specific (§5.2.2).
    pub const fn sequence(self) -> u8 {
        (self.0 & Self::SEQUENCE_MASK) as u8
    }
    /// The reserved bits 8–11, shifted down (0 in a conforming message).
    pub const fn reserved(self) -> u8 {
        ((self.0 & Self::RESERVED_MASK) >> 8) as u8
    }

    const fn with(self, bit: u16, on: bool) -> Self {
        Flags(if on { self.0 | bit } else { self.0 & !bit })
    }
    /// With `layer3grp` set or reset.
    #[must_use]
    pub const fn with_layer3grp(self, on: bool) -> Self {
        self.with(Self::LAYER3GRP, on)
    }
    /// With `copy` set or reset.
    #[must_use]
    pub const fn with_copy(self, on: bool) -> Self {
        self.with(Self::COPY, on)
    }
    /// With `register` set or reset.
    #[must_use]
    pub const fn with_register(self, on: bool) -> Self {
        self.with(Self::REGISTER, on)
    }
    /// With `punched` set or reset.
    #[must_use]
    pub const fn with_punched(self, on: bool) -> Self {
        self.with(Self::PUNCHED, on)
    }
    /// With `sequence` replaced.
    #[must_use]
    pub const fn with_sequence(self, seq: u8) -> Self {
        Flags((self.0 & !Self::SEQUENCE_MASK) | seq as u16)
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags(")?;
        for (on, name) in [
            (self.layer3grp(), "layer3grp "),
            (self.copy(), "copy "),
            (self.register(), "register "),
            (self.punched(), "punched "),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        if self.reserved() != 0 {
            write!(f, "reserved={:#x} ", self.reserved())?;
        }
        write!(f, "seq={})", self.sequence())
    }
}

/// `mar$redirf` of MARS_REDIRECT_MAP (RFC 2022 §5.4.3): bit 7 selects a hard redirect; the
/// other bits are undefined and kept as received.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RedirF(pub u8);

impl RedirF {
    /// Bit 7: perform a 'hard' redirect.
    pub const HARD: u8 = 0x80;

    /// Whether the cluster member MUST perform a hard redirect (bit 7 set); otherwise soft.
    pub const fn hard(self) -> bool {
        self.0 & Self::HARD != 0
    }
}

impl fmt::Debug for RedirF {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RedirF({}, {:#04x})",
            if self.hard() { "hard" } else { "soft" },
            self.0
        )
    }
}

/// One `<mar$min.N, mar$max.N>` pair of MARS_JOIN and the messages sharing its layout (RFC
/// 2022 §5.2.1): the block of group addresses from `min` to `max` inclusive.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct GroupPair {
    /// `mar$min.N`.
    pub min: ProtoAddr,
    /// `mar$max.N`.
    pub max: ProtoAddr,
}

impl GroupPair {
    /// The pair `<min, max>`.
    pub const fn new(min: ProtoAddr, max: ProtoAddr) -> Self {
        GroupPair { min, max }
    }

    /// The single-group pair `<X, X>` (§5.2.1.1).
    pub const fn single(group: ProtoAddr) -> Self {
        GroupPair {
            min: group,
            max: group,
        }
    }

    /// Whether `group` lies within the block (same length, `min <= group <= max`).
    pub fn contains(&self, group: &ProtoAddr) -> bool {
        group.len() == self.min.len() && self.min <= *group && *group <= self.max
    }
}

/// Why a list of `<min,max>` pairs breaks the §5.2.1 rule. `pair` is 1-based, as the RFC's
/// `mar$min.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PairError {
    /// `max(N) >= min(N)` does not hold.
    #[error("<min,max> pair {pair}: max is below min")]
    Inverted {
        /// 1-based index of the pair.
        pair: usize,
    },
    /// `max(N) < min(N+1)` does not hold: the pair does not start above the previous one.
    #[error("<min,max> pair {pair}: overlaps or precedes pair {}", pair - 1)]
    NotAscending {
        /// 1-based index of the later pair.
        pair: usize,
    },
    /// The addresses of the pair differ in length from the first pair's.
    #[error("<min,max> pair {pair}: address length differs")]
    LengthMismatch {
        /// 1-based index of the pair.
        pair: usize,
    },
}

/// Check the §5.2.1 restriction on the `<min,max>` pairs of a K-pair join or leave:
///
/// ```text
///    max(N) < min(N+1) for 1 <= N < K
///    max(N) >= min(N) for 1 <= N <= K
/// ```
///
/// "greater" is the unsigned, most-significant-octet-first order of equal-length addresses
/// (the order of [`ProtoAddr`]). The decoder does not apply this rule (a MARS decides what to
/// do with a peer's malformed list); engines call this function.
pub fn validate_pairs(pairs: &[GroupPair]) -> Result<(), PairError> {
    let len = pairs.first().map_or(0, |p| p.min.len());
    for (i, p) in pairs.iter().enumerate() {
        let pair = i + 1;
        if p.min.len() != len || p.max.len() != len {
            return Err(PairError::LengthMismatch { pair });
        }
        if p.max < p.min {
            return Err(PairError::Inverted { pair });
        }
        if i > 0 && pairs[i - 1].max >= p.min {
            return Err(PairError::NotAscending { pair });
        }
    }
    Ok(())
}

/// Check a type & length octet (RFC 2022 §5.1.2) on its own, before its address is read:
/// the reserved top bit must be zero, an NSAPA is 20 octets and an E.164 number at most 15
/// digits (rules of [`crate::atm`]). A length of 0 (null address) is always accepted, its `x`
/// flag kept.
pub(crate) fn check_type_len(
    tl: u8,
    field: &'static str,
    offset: usize,
) -> Result<(), DecodeError> {
    if tl & 0x80 != 0 {
        return Err(DecodeError::new(
            DecodeErrorKind::ReservedNonZero { value: 0x80 },
            field,
            offset,
        ));
    }
    let len = usize::from(tl & 0x3F);
    let ok = match (len, tl & 0x40 != 0) {
        (0, _) => true,
        (l, false) => l == NSAP_LEN,
        (l, true) => l <= E164_MAX_DIGITS,
    };
    if ok {
        Ok(())
    } else {
        Err(DecodeError::new(
            DecodeErrorKind::BadLength { value: len },
            field,
            offset,
        ))
    }
}

/// Read a type & length octet and check it.
pub(crate) fn read_type_len(r: &mut Reader<'_>, field: &'static str) -> Result<u8, DecodeError> {
    let at = r.offset();
    let tl = r.u8(field)?;
    check_type_len(tl, field, at)?;
    Ok(tl)
}

/// Read a protocol address length (`mar$spln`, `mar$tpln`); longer than [`PROTO_ADDR_MAX`] is
/// rejected here, at the length field (see [`crate::proto_addr`]).
pub(crate) fn read_proto_len(r: &mut Reader<'_>, field: &'static str) -> Result<u8, DecodeError> {
    let at = r.offset();
    let len = r.u8(field)?;
    if usize::from(len) > PROTO_ADDR_MAX {
        return Err(DecodeError::new(
            DecodeErrorKind::BadLength {
                value: usize::from(len),
            },
            field,
            at,
        ));
    }
    Ok(len)
}

/// The encoder's form of [`check_type_len`] for header octets not taken from an address.
pub(crate) fn check_type_len_enc(tl: u8, field: &'static str) -> Result<(), EncodeError> {
    check_type_len(tl, field, 0).map_err(|e| EncodeError::Invalid {
        field,
        detail: match e.kind {
            DecodeErrorKind::ReservedNonZero { .. } => "type & length reserved bit set",
            _ => "type & length announces an impossible ATM address length",
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atm::AtmAddr;

    #[test]
    fn seqxy_parts() {
        assert_eq!(SeqXy::SINGLE, SeqXy::new(true, 1).unwrap());
        let s = SeqXy(0x8002);
        assert!(s.last());
        assert_eq!(s.y(), 2);
        assert_eq!(SeqXy::new(false, 0x8000), None);
        assert_eq!(SeqXy::new(false, 0x7FFF), Some(SeqXy(0x7FFF)));
    }

    #[test]
    fn flag_bits() {
        let f = Flags(0xAF05);
        assert!(f.layer3grp() && !f.copy() && f.register() && !f.punched());
        assert_eq!(f.sequence(), 5);
        assert_eq!(f.reserved(), 0xF);
        let g = Flags::default()
            .with_copy(true)
            .with_punched(true)
            .with_sequence(9);
        assert_eq!(g.0, 0x5009);
        assert_eq!(g.with_copy(false).0, 0x1009);
        assert!(RedirF(0x80).hard() && !RedirF(0x7F).hard());
    }

    fn v4(s: &str) -> ProtoAddr {
        s.parse().unwrap()
    }

    #[test]
    fn pair_rules() {
        let ok = [
            GroupPair::new(v4("224.0.0.0"), v4("224.0.0.255")),
            GroupPair::single(v4("224.0.1.0")),
            GroupPair::new(v4("225.0.0.0"), v4("239.255.255.255")),
        ];
        assert_eq!(validate_pairs(&ok), Ok(()));
        assert_eq!(validate_pairs(&[]), Ok(()));
        let mut bad = ok;
        bad[1] = GroupPair::new(v4("224.0.0.255"), v4("224.0.1.0"));
        assert_eq!(
            validate_pairs(&bad),
            Err(PairError::NotAscending { pair: 2 })
        );
        bad = ok;
        bad[2] = GroupPair::new(v4("239.0.0.0"), v4("225.0.0.0"));
        assert_eq!(validate_pairs(&bad), Err(PairError::Inverted { pair: 3 }));
        bad = ok;
        bad[0].max = "ff02::1".parse().unwrap();
        assert_eq!(
            validate_pairs(&bad),
            Err(PairError::LengthMismatch { pair: 1 })
        );
        assert!(ok[0].contains(&v4("224.0.0.7")));
        assert!(!ok[0].contains(&v4("224.0.1.0")));
    }

    /// The stand-alone type & length check agrees with `AtmAddr::from_wire` on every octet.
    #[test]
    fn type_len_check_matches_atm_rules() {
        for tl in 0..=255u8 {
            let len = usize::from(tl & 0x3F);
            let digits = [b'7'; 64];
            let full = AtmAddr::from_wire(tl, &digits[..len], "f", 3, 9).map(|_| ());
            assert_eq!(check_type_len(tl, "f", 3), full, "tl {tl:#04x}");
        }
    }
}
