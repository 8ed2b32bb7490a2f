//! The variable-length octet strings of SCSP: Sender, Receiver and Originator IDs, and Cache
//! Keys (RFC 2334 B.2.0.1, B.2.0.2).
//!
//! SCSP gives them a one-octet length field, so each is 0 to 255 octets; their meaning belongs
//! to the client/server protocol (RFC 2443 §4 makes all of them 4 octets for MARS). They are
//! kept as opaque octets, compared and ordered lexicographically — which, for equal lengths,
//! is the numeric order RFC 2443 §2 uses to sort servers "in ascending order based on the SCSP
//! Sender ID".

use core::fmt;
use core::str::FromStr;

/// The most octets a one-octet length field can announce.
pub const ID_MAX: usize = 255;

/// Octets kept in place up to [`INLINE`] long — every ID and key of RFC 2443 (4 octets), so a
/// cache of a million entries makes no allocation per key — and on the heap beyond. Equality,
/// order and hash are those of the octet slice.
#[derive(Clone)]
enum Octets {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
}

/// The longest string [`Octets`] keeps in place.
const INLINE: usize = 16;

impl Octets {
    fn from_slice(v: &[u8]) -> Self {
        if v.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..v.len()].copy_from_slice(v);
            Octets::Inline {
                len: v.len() as u8,
                buf,
            }
        } else {
            Octets::Heap(v.into())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Octets::Inline { len, buf } => &buf[..usize::from(*len)],
            Octets::Heap(b) => b,
        }
    }
}

impl Default for Octets {
    fn default() -> Self {
        Octets::from_slice(&[])
    }
}

// Two in-place strings compare as (octets as one big-endian number, length): the unused
// octets are zero, so this is the slices' lexicographic order (a proper prefix is smaller)
// at the cost of one integer comparison — the cache's B-tree makes millions of them.
impl PartialEq for Octets {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Octets::Inline { len: a, buf: x }, Octets::Inline { len: b, buf: y }) => {
                a == b && x == y
            }
            _ => self.as_slice() == other.as_slice(),
        }
    }
}

impl Eq for Octets {}

impl PartialOrd for Octets {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Octets {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        match (self, other) {
            (Octets::Inline { len: a, buf: x }, Octets::Inline { len: b, buf: y }) => {
                (u128::from_be_bytes(*x), a).cmp(&(u128::from_be_bytes(*y), b))
            }
            _ => self.as_slice().cmp(other.as_slice()),
        }
    }
}

impl core::hash::Hash for Octets {
    fn hash<H: core::hash::Hasher>(&self, h: &mut H) {
        self.as_slice().hash(h);
    }
}

macro_rules! octet_string {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(Octets);

        impl $name {
            /// From octets. Longer than [`ID_MAX`] octets is representable but cannot be
            /// encoded (the encoder reports [`crate::EncodeError::TooLarge`]).
            pub fn new(octets: impl Into<Vec<u8>>) -> Self {
                $name(Octets::from_slice(&octets.into()))
            }

            /// A 4-octet value, most significant octet first (the RFC 2443 §4 size).
            pub fn from_u32(v: u32) -> Self {
                $name(Octets::from_slice(&v.to_be_bytes()))
            }

            /// The value as a 32-bit number, if it is exactly 4 octets long.
            pub fn to_u32(&self) -> Option<u32> {
                let a: [u8; 4] = self.0.as_slice().try_into().ok()?;
                Some(u32::from_be_bytes(a))
            }

            /// The octets.
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_slice()
            }

            /// Length in octets.
            pub fn len(&self) -> usize {
                self.0.as_slice().len()
            }

            /// Whether this is the empty (zero-length) string.
            pub fn is_empty(&self) -> bool {
                self.0.as_slice().is_empty()
            }
        }

        impl From<Vec<u8>> for $name {
            fn from(v: Vec<u8>) -> Self {
                $name(Octets::from_slice(&v))
            }
        }

        impl From<&[u8]> for $name {
            fn from(v: &[u8]) -> Self {
                $name(Octets::from_slice(v))
            }
        }

        impl From<u32> for $name {
            fn from(v: u32) -> Self {
                $name::from_u32(v)
            }
        }

        impl fmt::Display for $name {
            /// Lower-case hexadecimal, `-` for the empty string.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.is_empty() {
                    return f.write_str("-");
                }
                for b in self.as_bytes() {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            /// Hexadecimal (an even number of digits, `0x` prefix optional), or `-` for empty.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_hex(s).map(|v| $name(Octets::from_slice(&v)))
            }
        }

        #[cfg(feature = "serde")]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

octet_string! {
    /// A server identifier: Sender ID, Receiver ID (RFC 2334 B.2.0.1), Originator ID
    /// (B.2.0.2) or an Additional Receiver ID (B.2.5). "One possible assignment might be the
    /// protocol address of the sending server."
    ScspId
}

octet_string! {
    /// A Cache Key (RFC 2334 B.2.0.2): "a database lookup key that uniquely identifies a piece
    /// of data which the originator of a CSA Record wishes to synchronize". Opaque to SCSP; a
    /// cache entry is identified by (Cache Key, Originator ID), not by the key alone.
    CacheKey
}

/// Why a text form did not parse as an ID or cache key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an even number of hexadecimal digits (0x optional), at most 255 octets, or `-`")]
pub struct IdParseError;

fn parse_hex(s: &str) -> Result<Vec<u8>, IdParseError> {
    let s = s.trim();
    if s == "-" {
        return Ok(Vec::new());
    }
    let h = s.strip_prefix("0x").unwrap_or(s).as_bytes();
    if h.len() & 1 != 0 || h.len() > 2 * ID_MAX {
        return Err(IdParseError);
    }
    h.chunks_exact(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16).ok_or(IdParseError)?;
            let lo = (p[1] as char).to_digit(16).ok_or(IdParseError)?;
            Ok((hi << 4 | lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kept in place or on the heap, an ID compares, orders and hashes as its octets do
    /// (the order servers are sorted in, RFC 2443 §2, and the cache's order depend on it).
    #[test]
    fn inline_and_heap_octets_behave_as_their_slices() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let lens = [0usize, 1, 4, 15, 16, 17, 40, 255];
        let ids: Vec<(Vec<u8>, CacheKey)> = lens
            .iter()
            .flat_map(|&n| {
                [
                    vec![0u8; n],
                    vec![0x7Fu8; n],
                    vec![0x80u8; n],
                    (0..n as u8).collect(),
                ]
            })
            .map(|v| (v.clone(), CacheKey::new(v)))
            .collect();
        let hash = |k: &CacheKey| {
            let mut h = DefaultHasher::new();
            k.hash(&mut h);
            h.finish()
        };
        for (va, a) in &ids {
            assert_eq!(a.as_bytes(), va.as_slice());
            assert_eq!(a.len(), va.len());
            for (vb, b) in &ids {
                assert_eq!(a.cmp(b), va.cmp(vb), "{a} vs {b}");
                assert_eq!(a == b, va == vb);
                if a == b {
                    assert_eq!(hash(a), hash(b));
                }
            }
        }
        let long = ScspId::new(vec![9u8; 17]);
        assert_eq!(long.clone(), ScspId::from(&[9u8; 17][..]));
        assert_eq!(long.to_string().len(), 34);
    }

    #[test]
    fn text_and_numbers() {
        let a = ScspId::from_u32(0x0A00_0001);
        assert_eq!(a.as_bytes(), &[10, 0, 0, 1]);
        assert_eq!(a.to_string(), "0a000001");
        assert_eq!(a.to_u32(), Some(0x0A00_0001));
        assert_eq!("0x0a000001".parse::<ScspId>(), Ok(a.clone()));
        assert_eq!("0A000001".parse::<ScspId>(), Ok(a));
        assert_eq!("-".parse::<CacheKey>(), Ok(CacheKey::default()));
        assert_eq!(CacheKey::default().to_string(), "-");
        assert_eq!("abc".parse::<ScspId>(), Err(IdParseError));
        assert_eq!("zz".parse::<ScspId>(), Err(IdParseError));
        assert_eq!(ScspId::new(vec![1, 2]).to_u32(), None);
    }

    #[test]
    fn order_is_numeric_for_equal_lengths() {
        assert!(ScspId::from_u32(0x0100) < ScspId::from_u32(0x0200));
        assert!(ScspId::from_u32(0xFF) < ScspId::from_u32(0x0100));
    }
}
