//! Layer 3 (protocol) addresses as carried in MARS and RFC 2443 messages: `mar$spa`,
//! `mar$tpa`, `mar$min`/`mar$max`, `mar$mgrp`.
//!
//! The MARS does not interpret them beyond ordering (RFC 2022 §4.1, §5.2.1: "in IPv4
//! environments the addresses are treated as 32 bit, unsigned binary values (most significant
//! byte first)"); comparing equal-length octet strings lexicographically gives exactly that
//! order for every protocol.
//!
//! Decision: addresses up to 20 octets are supported (IPv4 4, IPv6 16, CLNP NSAP 20), inline
//! and `Copy`; a longer one is rejected with `BadLength`. See `docs/wire-decisions.md`.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

/// The longest protocol address this implementation carries.
pub const PROTO_ADDR_MAX: usize = 20;

/// A protocol address of 0 to 20 octets (length 0 is the null address).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ProtoAddr {
    len: u8,
    octets: [u8; PROTO_ADDR_MAX],
}

impl ProtoAddr {
    /// The null (zero-length) address.
    pub const NULL: ProtoAddr = ProtoAddr {
        len: 0,
        octets: [0; PROTO_ADDR_MAX],
    };

    /// From octets; `None` if longer than [`PROTO_ADDR_MAX`].
    pub fn from_slice(s: &[u8]) -> Option<Self> {
        if s.len() > PROTO_ADDR_MAX {
            return None;
        }
        let mut octets = [0; PROTO_ADDR_MAX];
        octets[..s.len()].copy_from_slice(s);
        Some(ProtoAddr {
            len: s.len() as u8,
            octets,
        })
    }

    /// Read `len` octets (announced by field `len_field` at `len_offset`) as an address.
    pub fn read(
        r: &mut crate::codec::Reader<'_>,
        len: u8,
        len_field: &'static str,
        len_offset: usize,
        data_field: &'static str,
    ) -> Result<Self, crate::DecodeError> {
        if usize::from(len) > PROTO_ADDR_MAX {
            return Err(crate::DecodeError::new(
                crate::DecodeErrorKind::BadLength {
                    value: usize::from(len),
                },
                len_field,
                len_offset,
            ));
        }
        let s = r.take(usize::from(len), data_field)?;
        Ok(ProtoAddr::from_slice(s).unwrap_or_default())
    }

    /// An IPv4 address.
    pub const fn v4(a: Ipv4Addr) -> Self {
        let o = a.octets();
        let mut octets = [0; PROTO_ADDR_MAX];
        octets[0] = o[0];
        octets[1] = o[1];
        octets[2] = o[2];
        octets[3] = o[3];
        ProtoAddr { len: 4, octets }
    }

    /// An IPv4 address from its 32-bit value.
    pub const fn v4_u32(v: u32) -> Self {
        Self::v4(Ipv4Addr::from_bits(v))
    }

    /// The octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.octets[..usize::from(self.len)]
    }

    /// Length in octets.
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether this is the null address.
    pub const fn is_null(&self) -> bool {
        self.len == 0
    }

    /// Same as [`ProtoAddr::is_null`] (a null address has no octets).
    pub const fn is_empty(&self) -> bool {
        self.is_null()
    }

    /// As an IPv4 address, if 4 octets long.
    pub fn to_v4(&self) -> Option<Ipv4Addr> {
        (self.len == 4).then(|| {
            Ipv4Addr::new(
                self.octets[0],
                self.octets[1],
                self.octets[2],
                self.octets[3],
            )
        })
    }

    /// As an IPv6 address, if 16 octets long.
    pub fn to_v6(&self) -> Option<Ipv6Addr> {
        (self.len == 16).then(|| {
            let mut o = [0u8; 16];
            o.copy_from_slice(&self.octets[..16]);
            Ipv6Addr::from(o)
        })
    }
}

impl From<Ipv4Addr> for ProtoAddr {
    fn from(a: Ipv4Addr) -> Self {
        ProtoAddr::v4(a)
    }
}

impl From<Ipv6Addr> for ProtoAddr {
    fn from(a: Ipv6Addr) -> Self {
        let mut octets = [0; PROTO_ADDR_MAX];
        octets[..16].copy_from_slice(&a.octets());
        ProtoAddr { len: 16, octets }
    }
}

impl fmt::Display for ProtoAddr {
    /// Dotted quad for 4 octets, IPv6 text for 16, `null` for none, hex otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v4) = self.to_v4() {
            return write!(f, "{v4}");
        }
        if let Some(v6) = self.to_v6() {
            return write!(f, "{v6}");
        }
        if self.is_null() {
            return f.write_str("null");
        }
        f.write_str("0x")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ProtoAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProtoAddr({self})")
    }
}

/// Why a text form did not parse as a protocol address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a protocol address: expected IPv4 (224.1.2.3), IPv6, `null`, or 0x-prefixed hex of at most 20 octets")]
pub struct ProtoAddrParseError;

impl core::str::FromStr for ProtoAddr {
    type Err = ProtoAddrParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "null" {
            return Ok(ProtoAddr::NULL);
        }
        if let Ok(a) = s.parse::<Ipv4Addr>() {
            return Ok(a.into());
        }
        if let Ok(a) = s.parse::<Ipv6Addr>() {
            return Ok(a.into());
        }
        let hex = s.strip_prefix("0x").ok_or(ProtoAddrParseError)?.as_bytes();
        // Work on octets, not on `str` slices: a multi-byte character must be an error, not a
        // slice across a character boundary (found by the `atm_addr_text` fuzz target).
        if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 2 * PROTO_ADDR_MAX {
            return Err(ProtoAddrParseError);
        }
        let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
        let mut v = Vec::with_capacity(hex.len() / 2);
        for pair in hex.chunks_exact(2) {
            match (nibble(pair[0]), nibble(pair[1])) {
                (Some(hi), Some(lo)) => v.push(hi << 4 | lo),
                _ => return Err(ProtoAddrParseError),
            }
        }
        ProtoAddr::from_slice(&v).ok_or(ProtoAddrParseError)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ProtoAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ProtoAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_order_is_unsigned_msb_first() {
        let a: ProtoAddr = "224.0.0.255".parse().unwrap();
        let b: ProtoAddr = "224.0.1.0".parse().unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "224.0.0.255");
        assert_eq!(ProtoAddr::v4_u32(0xE0000001).to_string(), "224.0.0.1");
    }

    #[test]
    fn text_forms() {
        assert_eq!("null".parse::<ProtoAddr>().unwrap(), ProtoAddr::NULL);
        let h: ProtoAddr = "0x0102030405".parse().unwrap();
        assert_eq!(h.as_bytes(), &[1, 2, 3, 4, 5]);
        assert_eq!(h.to_string(), "0x0102030405");
        assert!(ProtoAddr::from_slice(&[0; 21]).is_none());
        // Fuzz regression: a multi-byte character inside the hex digits.
        assert!("0x8/\u{c7}xKK".parse::<ProtoAddr>().is_err());
        assert!("0x\u{c7}0".parse::<ProtoAddr>().is_err());
        assert!("0x".parse::<ProtoAddr>().is_err());
        let v6: ProtoAddr = "ff02::1".parse().unwrap();
        assert_eq!(v6.len(), 16);
        assert_eq!(v6.to_string(), "ff02::1");
    }
}
