//! Helpers shared by the codec tests (MARS, SCSP, RFC 2443, RFC 2149 HELLO), independent of
//! the code under test: the checksum here is a separate RFC 1071 implementation.

#![allow(dead_code)]

/// Hex with `#` comments to end of line and any whitespace, as the vectors are written.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: String = s
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    hex::decode(&digits).unwrap_or_else(|e| panic!("bad test vector hex ({e}): {digits}"))
}

/// RFC 1071 checksum of `data` with the 16-bit field at 4 (SCSP B.1) taken as zero; an odd
/// length is padded with one zero octet.
pub fn ip_checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    for (i, pair) in data.chunks(2).enumerate() {
        if i == 2 {
            continue;
        }
        let hi = u64::from(pair[0]) << 8;
        let lo = pair.get(1).map_or(0, |&b| u64::from(b));
        sum += hi | lo;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// Rewrite Packet Size to the buffer's length and recompute the Checksum: turns a mutated or
/// truncated packet into one whose fixed part is consistent again.
pub fn fix_up(p: &mut [u8]) {
    if p.len() >= 4 {
        let n = p.len() as u16;
        p[2..4].copy_from_slice(&n.to_be_bytes());
    }
    if p.len() >= 6 {
        let c = ip_checksum(p);
        p[4..6].copy_from_slice(&c.to_be_bytes());
    }
}

/// `p` with the octet at `at` replaced by `v`, then fixed up.
pub fn with_octet(p: &[u8], at: usize, v: u8) -> Vec<u8> {
    let mut q = p.to_vec();
    q[at] = v;
    fix_up(&mut q);
    q
}

/// `p` with the 16-bit field at `at` replaced by `v`, then fixed up.
pub fn with_u16(p: &[u8], at: usize, v: u16) -> Vec<u8> {
    let mut q = p.to_vec();
    q[at..at + 2].copy_from_slice(&v.to_be_bytes());
    fix_up(&mut q);
    q
}

/// `p` with the 32-bit field at `at` replaced by `v`, then fixed up.
pub fn with_u32(p: &[u8], at: usize, v: u32) -> Vec<u8> {
    let mut q = p.to_vec();
    q[at..at + 4].copy_from_slice(&v.to_be_bytes());
    fix_up(&mut q);
    q
}
