//! The standard IP (RFC 1071) one's-complement checksum used by MARS (RFC 2022 §4.3.3) and
//! SCSP (RFC 2334 B.1).
//!
//! An odd-length message is summed as if one 0x00 octet were appended: SCSP B.1 says so
//! explicitly; RFC 2022 §4.3.3 is silent, and we apply the same rule (it is the RFC 1071 rule,
//! and MARS messages with a 16-bit-aligned body are the common case anyway). See
//! `docs/wire-decisions.md`.

/// Sum `data` as big-endian 16-bit words into a 32-bit accumulator.
fn sum(data: &[u8]) -> u32 {
    let mut acc: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

/// The checksum of `data` (which must hold zero in its own checksum field).
pub fn internet_checksum(data: &[u8]) -> u16 {
    let mut acc = sum(data);
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

/// The checksum of `data` computed as if the 16-bit field at `at` were zero.
pub fn checksum_with_zeroed(data: &[u8], at: usize) -> u16 {
    let mut acc = sum(&data[..at]) + sum(&data[at + 2..]);
    // `data[..at]` has even length whenever `at` is even, which holds for every checksum field
    // we use (MARS offset 12, SCSP offset 4), so the two partial sums align.
    debug_assert!(at & 1 == 0);
    while acc > 0xFFFF {
        acc = (acc & 0xFFFF) + (acc >> 16);
    }
    !(acc as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (one's complement sum),
        // so the checksum is !0xddf2 = 0x220d.
        assert_eq!(
            internet_checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_length_pads_with_zero() {
        assert_eq!(internet_checksum(&[0x12]), internet_checksum(&[0x12, 0x00]));
        assert_ne!(internet_checksum(&[0x12]), internet_checksum(&[0x00, 0x12]));
    }

    #[test]
    fn zeroed_field_matches_explicit_zero() {
        let data = [1u8, 2, 0xAB, 0xCD, 5, 6, 7];
        let mut z = data;
        z[2] = 0;
        z[3] = 0;
        assert_eq!(checksum_with_zeroed(&data, 2), internet_checksum(&z));
    }
}
