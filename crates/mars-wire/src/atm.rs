//! ATM addresses as MARS and SCSP carry them (RFC 2022 §5.1.2, RFC 2225 §8.6, RFC 2443 §3).
//!
//! On the wire an ATM number or subaddress is a *type & length* octet
//!
//! ```text
//!   7 6 5 4 3 2 1 0
//!  +-+-+-+-+-+-+-+-+
//!  |0|x|  length   |     x = 0: ATM Forum NSAPA, x = 1: native E.164
//!  +-+-+-+-+-+-+-+-+
//! ```
//!
//! followed (elsewhere in the message) by `length` octets. A null address has length 0 and
//! occupies no octets; its `x` flag "is ignored" (§5.1.2), but we keep it so that every
//! accepted message re-encodes to the same bytes.
//!
//! Decisions (see `docs/wire-decisions.md`):
//! - An NSAPA is exactly 20 octets (ATM Forum UNI 3.1 §5.1.3.1); any other length with
//!   `x = 0` is rejected.
//! - A native E.164 number is coded as in the UNI 3.1 Called Party Number information element:
//!   one IA5 (ASCII) digit per octet, 1 to 15 digits. Other octets are rejected.

use core::fmt;
use core::str::FromStr;

use crate::error::{DecodeError, DecodeErrorKind};

/// Octets in an ATM Forum NSAP-format address.
pub const NSAP_LEN: usize = 20;
/// The most digits an E.164 number may have (ITU-T E.164).
pub const E164_MAX_DIGITS: usize = 15;

/// Which address plan an ATM number or subaddress uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum AddrPlan {
    /// ATM Forum NSAP-format address (20 octets), type flag x = 0.
    Nsap,
    /// Native E.164 number (IA5 digits), type flag x = 1.
    E164,
}

/// One ATM number or subaddress, or the null address. `Copy`, 21 octets, no heap.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AtmAddr {
    /// The type & length octet exactly as carried on the wire.
    tl: u8,
    /// The address octets; those past the length are zero.
    octets: [u8; NSAP_LEN],
}

impl AtmAddr {
    /// The null address: type & length octet 0, no octets.
    pub const NULL: AtmAddr = AtmAddr {
        tl: 0,
        octets: [0; NSAP_LEN],
    };

    /// An NSAP-format address.
    pub const fn nsap(octets: [u8; NSAP_LEN]) -> Self {
        AtmAddr {
            tl: NSAP_LEN as u8,
            octets,
        }
    }

    /// A native E.164 number from its decimal digits (1 to 15 of them).
    pub fn e164(digits: &str) -> Result<Self, AddrParseError> {
        let d = digits.as_bytes();
        if d.is_empty() || d.len() > E164_MAX_DIGITS || !d.iter().all(u8::is_ascii_digit) {
            return Err(AddrParseError::BadE164);
        }
        let mut octets = [0u8; NSAP_LEN];
        octets[..d.len()].copy_from_slice(d);
        Ok(AtmAddr {
            tl: 0x40 | d.len() as u8,
            octets,
        })
    }

    /// Decode `octets` announced by the type & length octet `tl`. `field` and `offset` name the
    /// type & length field for error reports; the octets themselves are at `data_offset`.
    pub fn from_wire(
        tl: u8,
        octets: &[u8],
        field: &'static str,
        offset: usize,
        data_offset: usize,
    ) -> Result<Self, DecodeError> {
        if tl & 0x80 != 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::ReservedNonZero { value: 0x80 },
                field,
                offset,
            ));
        }
        let len = usize::from(tl & 0x3F);
        debug_assert_eq!(len, octets.len());
        let bad_len = || DecodeError::new(DecodeErrorKind::BadLength { value: len }, field, offset);
        let mut a = AtmAddr {
            tl,
            octets: [0; NSAP_LEN],
        };
        if len == 0 {
            return Ok(a);
        }
        if tl & 0x40 == 0 {
            if len != NSAP_LEN {
                return Err(bad_len());
            }
        } else {
            if len > E164_MAX_DIGITS {
                return Err(bad_len());
            }
            if let Some(i) = octets.iter().position(|b| !b.is_ascii_digit()) {
                return Err(DecodeError::new(
                    DecodeErrorKind::BadValue {
                        value: u64::from(octets[i]),
                    },
                    field,
                    data_offset + i,
                ));
            }
        }
        a.octets[..len].copy_from_slice(octets);
        Ok(a)
    }

    /// Read the octets announced by `tl` (already read from field `tl_field` at `tl_offset`).
    pub fn read(
        r: &mut crate::codec::Reader<'_>,
        tl: u8,
        tl_field: &'static str,
        tl_offset: usize,
        data_field: &'static str,
    ) -> Result<Self, DecodeError> {
        let at = r.offset();
        let octets = r.take(usize::from(tl & 0x3F), data_field)?;
        AtmAddr::from_wire(tl, octets, tl_field, tl_offset, at)
    }

    /// The type & length octet for the wire.
    pub const fn type_len(&self) -> u8 {
        self.tl
    }

    /// Length in octets (0 for the null address).
    pub const fn len(&self) -> usize {
        (self.tl & 0x3F) as usize
    }

    /// Whether this is the null address.
    pub const fn is_null(&self) -> bool {
        self.tl & 0x3F == 0
    }

    /// Same as [`AtmAddr::is_null`] (a null address has no octets).
    pub const fn is_empty(&self) -> bool {
        self.is_null()
    }

    /// The address plan, or `None` for the null address.
    pub const fn plan(&self) -> Option<AddrPlan> {
        if self.is_null() {
            None
        } else if self.tl & 0x40 == 0 {
            Some(AddrPlan::Nsap)
        } else {
            Some(AddrPlan::E164)
        }
    }

    /// The address octets as carried on the wire.
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets[..self.len()]
    }

    /// The 20 NSAP octets, if this is an NSAP-format address.
    pub fn as_nsap(&self) -> Option<&[u8; NSAP_LEN]> {
        (self.plan() == Some(AddrPlan::Nsap)).then_some(&self.octets)
    }
}

impl Default for AtmAddr {
    fn default() -> Self {
        AtmAddr::NULL
    }
}

/// Why a text form did not parse as an ATM address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddrParseError {
    /// Neither 40 hexadecimal digits (NSAPA) nor 1–15 decimal digits (E.164).
    #[error("not an ATM address: expected an NSAPA of 40 hex digits (dots allowed, e.g. 47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00) or an E.164 number of 1 to 15 digits")]
    Unrecognised,
    /// Looked like an E.164 number but is not 1–15 decimal digits.
    #[error("an E.164 number has 1 to 15 decimal digits")]
    BadE164,
}

impl FromStr for AtmAddr {
    type Err = AddrParseError;

    /// Parse `47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00` (40 hex digits, dots anywhere),
    /// an E.164 number (`+` optional, 1–15 digits), or `null`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("null") {
            return Ok(AtmAddr::NULL);
        }
        if let Some(d) = s.strip_prefix('+') {
            return AtmAddr::e164(d);
        }
        if !s.is_empty() && s.len() <= E164_MAX_DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
            return AtmAddr::e164(s);
        }
        let hex: Vec<u8> = s.bytes().filter(|&b| b != b'.').collect();
        if hex.len() != 2 * NSAP_LEN {
            return Err(AddrParseError::Unrecognised);
        }
        let mut octets = [0u8; NSAP_LEN];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            let hi = hex_val(pair[0]).ok_or(AddrParseError::Unrecognised)?;
            let lo = hex_val(pair[1]).ok_or(AddrParseError::Unrecognised)?;
            octets[i] = hi << 4 | lo;
        }
        Ok(AtmAddr::nsap(octets))
    }
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|v| v as u8)
}

/// Field widths for printing an NSAPA: AFI . IDI . HO-DSP . ESI . SEL. The IDI is 2 octets for
/// DCC (0x39) and ICD (0x47) formats and 8 octets for E.164 format (0x45).
fn nsap_groups(afi: u8) -> [usize; 5] {
    match afi {
        0x45 => [1, 8, 4, 6, 1],
        _ => [1, 2, 10, 6, 1],
    }
}

impl fmt::Display for AtmAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.plan() {
            None => f.write_str("null"),
            Some(AddrPlan::E164) => {
                // Digits were checked on decode and on construction.
                f.write_str(core::str::from_utf8(self.as_bytes()).unwrap_or("?"))
            }
            Some(AddrPlan::Nsap) => {
                let mut at = 0;
                for (i, n) in nsap_groups(self.octets[0]).into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    for b in &self.octets[at..at + n] {
                        write!(f, "{b:02X}")?;
                    }
                    at += n;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for AtmAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() && self.tl != 0 {
            write!(f, "AtmAddr(null, tl={:#04x})", self.tl)
        } else {
            write!(f, "AtmAddr({self})")
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AtmAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AtmAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An ATM endpoint address: an ATM number and an optional subaddress (RFC 2225 §8.6).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AtmAddress {
    /// The ATM number (NSAPA or E.164); null only where the RFC allows it.
    pub number: AtmAddr,
    /// The subaddress (NSAPA), null when absent.
    pub sub: AtmAddr,
}

impl AtmAddress {
    /// An address with no subaddress.
    pub const fn new(number: AtmAddr) -> Self {
        AtmAddress {
            number,
            sub: AtmAddr::NULL,
        }
    }

    /// The null address (both parts null).
    pub const NULL: AtmAddress = AtmAddress {
        number: AtmAddr::NULL,
        sub: AtmAddr::NULL,
    };

    /// Wire length of number plus subaddress.
    pub const fn wire_len(&self) -> usize {
        self.number.len() + self.sub.len()
    }
}

impl fmt::Display for AtmAddress {
    /// `NUMBER` or `NUMBER/SUBADDRESS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.number)?;
        if !self.sub.is_null() {
            write!(f, "/{}", self.sub)?;
        }
        Ok(())
    }
}

impl fmt::Debug for AtmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AtmAddress({self})")
    }
}

impl FromStr for AtmAddress {
    type Err = AddrParseError;
    /// `NUMBER` or `NUMBER/SUBADDRESS`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('/') {
            Some((n, sub)) => Ok(AtmAddress {
                number: n.parse()?,
                sub: sub.parse()?,
            }),
            None => Ok(AtmAddress::new(s.parse()?)),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for AtmAddress {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for AtmAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";

    #[test]
    fn nsap_text_round_trip() {
        let a: AtmAddr = TEXT.parse().unwrap();
        assert_eq!(a.type_len(), 0x14);
        assert_eq!(a.as_bytes()[0], 0x47);
        assert_eq!(a.as_bytes()[19], 0x00);
        assert_eq!(a.to_string(), TEXT);
        // Dots are optional.
        let b: AtmAddr = TEXT.replace('.', "").parse().unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn e164_nsap_groups() {
        let a: AtmAddr = "45.000001234567777F.00000000.0020481A3A3D.01"
            .parse()
            .unwrap();
        assert_eq!(
            a.to_string(),
            "45.000001234567777F.00000000.0020481A3A3D.01"
        );
    }

    #[test]
    fn e164_text_and_tl() {
        let a: AtmAddr = "14085551212".parse().unwrap();
        assert_eq!(a.type_len(), 0x40 | 11);
        assert_eq!(a.as_bytes(), b"14085551212");
        assert_eq!(a.plan(), Some(AddrPlan::E164));
        assert_eq!(a.to_string(), "14085551212");
        assert_eq!("+1408".parse::<AtmAddr>().unwrap().as_bytes(), b"1408");
        assert_eq!(
            "1234567890123456".parse::<AtmAddr>(),
            Err(AddrParseError::Unrecognised)
        );
        assert_eq!("+12a".parse::<AtmAddr>(), Err(AddrParseError::BadE164));
    }

    #[test]
    fn wire_rules() {
        let f = "mar$shtl";
        // Reserved top bit.
        assert_eq!(
            AtmAddr::from_wire(0x80, &[], f, 8, 20).unwrap_err().kind,
            DecodeErrorKind::ReservedNonZero { value: 0x80 }
        );
        // NSAPA must be 20 octets.
        assert_eq!(
            AtmAddr::from_wire(0x13, &[0; 19], f, 8, 20).unwrap_err(),
            DecodeError::new(DecodeErrorKind::BadLength { value: 19 }, f, 8)
        );
        // E.164 digits only, offset names the bad octet.
        assert_eq!(
            AtmAddr::from_wire(0x43, b"1x3", f, 8, 20).unwrap_err(),
            DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from(b'x')
                },
                f,
                21
            )
        );
        // A null address keeps its ignored type flag.
        let n = AtmAddr::from_wire(0x40, &[], f, 8, 20).unwrap();
        assert!(n.is_null());
        assert_eq!(n.type_len(), 0x40);
        assert_eq!(n.plan(), None);
    }

    #[test]
    fn address_with_subaddress() {
        let s = format!("{TEXT}/{TEXT}");
        let a: AtmAddress = s.parse().unwrap();
        assert_eq!(a.wire_len(), 40);
        assert_eq!(a.to_string(), s);
    }
}
