//! SCSP authentication (RFC 2334 B.3.1): HMAC-MD5-128 (the default, B.3.1.2) and
//! HMAC-SHA-256, through the `hmac`, `md-5` and `sha2` crates.
//!
//! # What the MAC covers, and in which order MAC and checksum are computed
//!
//! B.3.1.1 says the MAC is "calculated over the entire SCSP payload"; B.3.1.4 that the sender
//! computes it with the authentication data field zeroed and that the receiver zeroes that
//! field before recomputing. The RFC does not say what "payload" means, nor how the Checksum
//! (B.1), which covers the Authentication Data, interacts with the MAC. Decision:
//!
//! 1. The MAC covers the whole SCSP packet, from the first octet of the fixed part to the last
//!    octet of End Of Extensions (no LLC/SNAP header), as it is sent — every length field,
//!    Start Of Extensions and the SPI included — except that **both the Checksum field and
//!    the Authentication Data are taken as zero**.
//! 2. The sender builds the packet with both zeroed, computes the MAC, writes it, and only then
//!    computes the Checksum over the final packet.
//! 3. The receiver verifies the Checksum first (every decode does), then the MAC.
//!
//! Reasons: "entire payload" most plainly means the whole SCSP packet (the LLC/SNAP header is
//! not SCSP's); the Checksum cannot be covered by a MAC that it itself covers, so one of the two
//! must be computed with the other zeroed, and zeroing the Checksum in the MAC keeps the
//! Checksum what B.1 says it is: a check over the packet exactly as sent, including the MAC.
//! The comparison is constant-time (`hmac`'s `verify_slice`).
//!
//! The algorithm is not carried on the wire (no IANA number was ever assigned, B.3.1.2): the
//! receiver knows it from the SPI (B.3.1.3). A MAC whose length is not the algorithm's is a
//! failed check.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::Sha256;

use super::ext::{self, AuthSlot};
use super::fixed;
use super::ScspPacket;
use crate::codec::Reader;
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};

/// An authentication algorithm for the SCSP Authentication Extension (B.3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
pub enum AuthAlgorithm {
    /// HMAC-MD5-128 (RFC 2104), the B.3.1.2 default: a 16-octet MAC.
    #[cfg_attr(feature = "serde", serde(rename = "hmac-md5-128"))]
    HmacMd5_128,
    /// HMAC-SHA-256 (RFC 4868 style, untruncated): a 32-octet MAC.
    #[cfg_attr(feature = "serde", serde(rename = "hmac-sha-256"))]
    HmacSha256,
}

/// The longest MAC of any supported algorithm.
pub const MAC_MAX: usize = 32;

impl AuthAlgorithm {
    /// Length of the MAC (the Authentication Data) in octets.
    pub const fn mac_len(self) -> usize {
        match self {
            AuthAlgorithm::HmacMd5_128 => 16,
            AuthAlgorithm::HmacSha256 => 32,
        }
    }

    /// Encoded size of an Authentication Extension with this algorithm (Type, Length, SPI,
    /// MAC). A packet without extensions grows by this plus 4 (End Of Extensions) when
    /// authenticated.
    pub const fn extension_len(self) -> usize {
        ext::EXT_HEADER_LEN + 4 + self.mac_len()
    }
}

/// Feed the packet to `mac` with the Checksum and the `data_len` octets at `data_at` taken as
/// zero. The caller guarantees `6 <= data_at`, `data_at + data_len <= packet.len()` and
/// `data_len <= MAC_MAX`.
fn feed<M: Mac>(mac: &mut M, packet: &[u8], data_at: usize, data_len: usize) {
    const ZEROS: [u8; MAC_MAX] = [0; MAC_MAX];
    let cs = fixed::OFF_CHECKSUM;
    mac.update(&packet[..cs]);
    mac.update(&ZEROS[..2]);
    mac.update(&packet[cs + 2..data_at]);
    mac.update(&ZEROS[..data_len]);
    mac.update(&packet[data_at + data_len..]);
}

/// Whether the indices are ones `feed` can use.
fn in_bounds(packet: &[u8], data_at: usize, data_len: usize) -> bool {
    data_at >= fixed::OFF_CHECKSUM + 2
        && data_len <= MAC_MAX
        && data_at
            .checked_add(data_len)
            .is_some_and(|end| end <= packet.len())
}

/// Compute the MAC of `packet` into `out` (`alg.mac_len()` octets).
fn compute(
    alg: AuthAlgorithm,
    key: &[u8],
    packet: &[u8],
    data_at: usize,
    out: &mut [u8],
) -> Option<()> {
    let n = alg.mac_len();
    if !in_bounds(packet, data_at, n) || out.len() != n {
        return None;
    }
    match alg {
        AuthAlgorithm::HmacMd5_128 => {
            let mut m = <Hmac<Md5> as Mac>::new_from_slice(key).ok()?;
            feed(&mut m, packet, data_at, n);
            out.copy_from_slice(&m.finalize().into_bytes());
        }
        AuthAlgorithm::HmacSha256 => {
            let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
            feed(&mut m, packet, data_at, n);
            out.copy_from_slice(&m.finalize().into_bytes());
        }
    }
    Some(())
}

/// Check the Authentication Extension of a received SCSP packet (no LLC/SNAP header) against
/// `alg` and `key`.
///
/// The fixed part is verified first (Version, Packet Size, Checksum, Type Code: the same errors
/// as [`ScspPacket::decode`]), then the extension list is walked to the Authentication
/// Extension. Errors: `BadMac` on `Authentication Extension` when there is none (at Start Of
/// Extensions when the packet has no extensions, else at End Of Extensions); `BadMac` on
/// `Authentication Data` (at the data's offset) when the MAC has the wrong length for `alg` or
/// does not verify. The comparison is constant-time.
pub fn verify_mac(packet: &[u8], alg: AuthAlgorithm, key: &[u8]) -> Result<(), DecodeError> {
    let mut r = Reader::new(packet);
    let f = fixed::read(&mut r)?;
    let loc = ext::locate_auth(packet, f.soe)?;
    let bad = DecodeError::new(DecodeErrorKind::BadMac, "Authentication Data", loc.data_at);
    if loc.data_len != alg.mac_len() || !in_bounds(packet, loc.data_at, loc.data_len) {
        return Err(bad);
    }
    let found = &packet[loc.data_at..loc.data_at + loc.data_len];
    let ok = match alg {
        AuthAlgorithm::HmacMd5_128 => <Hmac<Md5> as Mac>::new_from_slice(key)
            .map(|mut m| {
                feed(&mut m, packet, loc.data_at, loc.data_len);
                m.verify_slice(found).is_ok()
            })
            .unwrap_or(false),
        AuthAlgorithm::HmacSha256 => <Hmac<Sha256> as Mac>::new_from_slice(key)
            .map(|mut m| {
                feed(&mut m, packet, loc.data_at, loc.data_len);
                m.verify_slice(found).is_ok()
            })
            .unwrap_or(false),
    };
    if ok {
        Ok(())
    } else {
        Err(bad)
    }
}

impl ScspPacket {
    /// Encode with an Authentication Extension carrying `spi` and the MAC computed with `alg`
    /// and `key` (see the module documentation for what it covers). An Authentication
    /// Extension already in [`ScspPacket::extensions`] is replaced in place; otherwise one is
    /// added last, before End Of Extensions. `self` is not changed.
    pub fn encode_authenticated(
        &self,
        spi: u32,
        alg: AuthAlgorithm,
        key: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        let slot = AuthSlot {
            spi,
            mac_len: alg.mac_len(),
        };
        let res = self.write_unsealed(out, Some(slot)).and_then(|at| {
            let packet = &mut out[start..];
            let at = at.ok_or(EncodeError::Invalid {
                field: "Authentication Data",
                detail: "no authentication extension was written",
            })?;
            let mut mac = [0u8; MAC_MAX];
            let mac = &mut mac[..alg.mac_len()];
            compute(alg, key, packet, at, mac).ok_or(EncodeError::Invalid {
                field: "Authentication Data",
                detail: "the MAC could not be computed",
            })?;
            packet[at..at + mac.len()].copy_from_slice(mac);
            fixed::seal(packet);
            Ok(())
        });
        if res.is_err() {
            out.truncate(start);
        }
        res
    }

    /// [`ScspPacket::encode_authenticated`] into a new buffer.
    pub fn to_vec_authenticated(
        &self,
        spi: u32,
        alg: AuthAlgorithm,
        key: &[u8],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.wire_len() + alg.extension_len() + 4);
        self.encode_authenticated(spi, alg, key, &mut out)?;
        Ok(out)
    }
}
