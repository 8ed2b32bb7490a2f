//! The SCSP Authentication Extension (RFC 2334 B.3.1) with HMAC-MD5-128 and HMAC-SHA-256.
//!
//! The MAC covers the whole SCSP packet (fixed part to End Of Extensions) with the Checksum
//! and the Authentication Data both taken as zero; the Checksum is computed last, over the
//! packet with its MAC (see `mars_wire::scsp::auth`). The vectors below are written by hand;
//! their MACs were computed separately, and each test recomputes them here with a direct call
//! to the `hmac` crate over the hand-written octets before checking the codec.

mod util;

use hmac::{Hmac, Mac};
use mars_wire::scsp::*;
use mars_wire::{DecodeError, DecodeErrorKind};
use util::{fix_up, hex};

const MD5_KEY: &[u8] = b"dmars-md5-key";
const SHA256_KEY: &[u8] = b"dmars-sha256-key-0123456789abcdef";

/// B.2.5 Hello (heard one DCS) with a B.3.1 Authentication Extension, HMAC-MD5-128, SPI 256.
const AUTH_MD5: &str = "
    01 05 0040 9d09 0024   # B.1: Version 1, Type Code 5 (Hello), Packet Size 64, Checksum, Start Of Extensions 36
    000a 0004 0000 0000    # B.2.5: HelloInterval 10, DeadFactor 4, unused, Family ID 0
    0003 0001 0000 0000    # B.2.0.1: Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
    0a000001 0a000002      # Sender ID 10.0.0.1, Receiver ID 10.0.0.2
    0001 0014 00000100     # B.3.1: Type 1, Length 20, SPI 256
    8d682906370aa0a73314cf69be73f94c   # Authentication Data: HMAC-MD5-128 (16 octets)
    0000 0000              # B.3.0: End Of Extensions
";
/// Offset of the Authentication Data in `AUTH_MD5`.
const MD5_DATA_AT: usize = 44;

/// B.2.4 CSUS with a Vendor-Private extension followed by an Authentication Extension,
/// HMAC-SHA-256, SPI 512.
const AUTH_SHA256: &str = "
    01 04 0068 5d2d 0030   # B.1: Version 1, Type Code 4 (CSUS), Packet Size 104, Checksum, Start Of Extensions 48
    0003 0001 0000 0000    # B.2.0.1: Protocol ID 3, Server Group ID 1, unused, Flags
    04 04 0001             # Sender ID Len 4, Recvr ID Len 4, Number of Records 1
    0a000002 0a000001      # Sender ID, Receiver ID
    0001 0014 04 04 0000   # CSAS: Hop Count 1, Record Length 20, lengths 4/4, N 0
    ffffffff               #   CSA Sequence Number -1
    00000105 0a000004      #   Cache Key 0x105, Originator ID 10.0.0.4
    0002 0008              # B.3.2: Type 2 (Vendor-Private), Length 8
    00a03e 646d617273      #   Vendor ID 00-A0-3E, Data
    0001 0024 00000200     # B.3.1: Type 1, Length 36, SPI 512
    82a3cc7eb596b9d45e2ab468a7dfaf58 643b499eb60b549f183070fddd6b1189   # Authentication Data: HMAC-SHA-256 (32 octets)
    0000 0000              # B.3.0: End Of Extensions
";
/// Offset of the Authentication Data in `AUTH_SHA256`.
const SHA256_DATA_AT: usize = 68;

/// The MAC of `packet` per the documented rule, computed directly with the `hmac` crate:
/// Checksum (octets 4–5) and the `len` octets at `at` zeroed.
fn independent_mac(
    alg: AuthAlgorithm,
    key: &[u8],
    packet: &[u8],
    at: usize,
    len: usize,
) -> Vec<u8> {
    let mut z = packet.to_vec();
    z[4..6].fill(0);
    z[at..at + len].fill(0);
    match alg {
        AuthAlgorithm::HmacMd5_128 => {
            let mut m = Hmac::<md5::Md5>::new_from_slice(key).unwrap();
            m.update(&z);
            m.finalize().into_bytes().to_vec()
        }
        AuthAlgorithm::HmacSha256 => {
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
            m.update(&z);
            m.finalize().into_bytes().to_vec()
        }
    }
}

fn bad_mac(at: usize) -> DecodeError {
    DecodeError::new(DecodeErrorKind::BadMac, "Authentication Data", at)
}

/// Check a vector: its literal MAC is the independent one; decode, verify, and both ways of
/// encoding it (replacing the extension in place, and adding it to the packet without it)
/// give exactly the same octets.
fn check_vector(b: &[u8], alg: AuthAlgorithm, key: &[u8], spi: u32, at: usize) -> ScspPacket {
    let n = alg.mac_len();
    assert_eq!(&b[at..at + n], &independent_mac(alg, key, b, at, n)[..]);
    assert_eq!(verify_mac(b, alg, key), Ok(()));
    let p = ScspPacket::decode(b).unwrap();
    assert_eq!(p.auth_spi(), Some(spi));
    assert_eq!(p.authentication().unwrap().data, b[at..at + n].to_vec());
    assert_eq!(p.to_vec().unwrap(), b, "plain re-encoding is exact");

    let mut out = vec![0xEE]; // the packet is appended after what is already there
    p.encode_authenticated(spi, alg, key, &mut out).unwrap();
    assert_eq!(
        &out[1..],
        b,
        "re-authenticating replaces the extension in place"
    );

    let mut bare = p.clone();
    let rest: Vec<Extension> = bare
        .extension_list()
        .iter()
        .filter(|e| !matches!(e, Extension::Authentication(_)))
        .cloned()
        .collect();
    bare.extensions = if rest.is_empty() { None } else { Some(rest) };
    assert_eq!(
        bare.to_vec_authenticated(spi, alg, key).unwrap(),
        b,
        "the Authentication Extension is added last, before End"
    );
    assert_eq!(
        bare.wire_len() + alg.extension_len() + if bare.extensions.is_none() { 4 } else { 0 },
        b.len()
    );

    let mut sdu = Vec::new();
    bare.encode_sdu_authenticated(spi, alg, key, &mut sdu)
        .unwrap();
    let payload = sdu_payload(&sdu).unwrap();
    assert_eq!(payload, b);
    assert_eq!(verify_mac(payload, alg, key), Ok(()));
    p
}

#[test]
fn hmac_md5_vector() {
    let b = hex(AUTH_MD5);
    let p = check_vector(&b, AuthAlgorithm::HmacMd5_128, MD5_KEY, 0x100, MD5_DATA_AT);
    assert_eq!(p.message_type(), MessageType::Hello);
    assert_eq!(AuthAlgorithm::HmacMd5_128.mac_len(), 16);
}

#[test]
fn hmac_sha256_vector() {
    let b = hex(AUTH_SHA256);
    let p = check_vector(
        &b,
        AuthAlgorithm::HmacSha256,
        SHA256_KEY,
        0x200,
        SHA256_DATA_AT,
    );
    assert_eq!(p.message_type(), MessageType::Csus);
    assert_eq!(AuthAlgorithm::HmacSha256.mac_len(), 32);
    // Order kept: Vendor-Private first, Authentication second.
    assert!(matches!(
        p.extension_list()[0],
        Extension::VendorPrivate {
            vendor_id: 0x00a03e,
            ..
        }
    ));
    assert!(matches!(
        p.extension_list()[1],
        Extension::Authentication(_)
    ));
}

#[test]
fn mac_does_not_depend_on_checksum_or_own_data() {
    // Zeroing the MAC field and the Checksum, then re-authenticating, gives the same packet.
    let b = hex(AUTH_MD5);
    let mut z = b.clone();
    z[MD5_DATA_AT..MD5_DATA_AT + 16].fill(0);
    fix_up(&mut z);
    let p = ScspPacket::decode(&z).unwrap();
    assert_eq!(
        p.to_vec_authenticated(0x100, AuthAlgorithm::HmacMd5_128, MD5_KEY)
            .unwrap(),
        b
    );
}

#[test]
fn flipped_bit_in_covered_data() {
    for (v, alg, key, at) in [
        (AUTH_MD5, AuthAlgorithm::HmacMd5_128, MD5_KEY, MD5_DATA_AT),
        (
            AUTH_SHA256,
            AuthAlgorithm::HmacSha256,
            SHA256_KEY,
            SHA256_DATA_AT,
        ),
    ] {
        let b = hex(v);
        // Every octet outside the Checksum and the MAC is covered: flip one bit in each,
        // re-fix the checksum (an attacker can), and the MAC must fail.
        for i in
            (0..b.len()).filter(|&i| !(2..6).contains(&i) && !(at..at + alg.mac_len()).contains(&i))
        {
            let mut q = b.clone();
            q[i] ^= 0x01;
            fix_up(&mut q);
            let r = verify_mac(&q, alg, key);
            assert!(r.is_err(), "flip at {i} not detected");
            // A flip that leaves a well-formed packet is a MAC failure at the data offset.
            // (When the flip turned the Authentication Extension into another type, the
            // extension is missing instead.)
            if let Ok(p) = ScspPacket::decode(&q) {
                if p.authentication().is_some() {
                    assert_eq!(r, Err(bad_mac(at)), "flip at {i}");
                } else {
                    assert_eq!(r.unwrap_err().field, "Authentication Extension");
                }
            }
        }
        // A flipped Packet Size is caught by the fixed part before the MAC.
        let mut q = b.clone();
        q[3] ^= 0x01;
        assert_eq!(verify_mac(&q, alg, key).unwrap_err().field, "Packet Size");
    }
}

#[test]
fn flipped_bit_in_hello_interval() {
    let b = hex(AUTH_MD5);
    let mut q = b.clone();
    q[9] ^= 0x01; // HelloInterval 10 -> 11
    fix_up(&mut q);
    assert!(ScspPacket::decode(&q).is_ok(), "still a well-formed packet");
    assert_eq!(
        verify_mac(&q, AuthAlgorithm::HmacMd5_128, MD5_KEY),
        Err(bad_mac(MD5_DATA_AT))
    );
}

#[test]
fn flipped_bit_in_mac() {
    for (v, alg, key, at) in [
        (AUTH_MD5, AuthAlgorithm::HmacMd5_128, MD5_KEY, MD5_DATA_AT),
        (
            AUTH_SHA256,
            AuthAlgorithm::HmacSha256,
            SHA256_KEY,
            SHA256_DATA_AT,
        ),
    ] {
        let b = hex(v);
        for i in at..at + alg.mac_len() {
            for bit in [0x01, 0x80] {
                let mut q = b.clone();
                q[i] ^= bit;
                fix_up(&mut q);
                assert_eq!(verify_mac(&q, alg, key), Err(bad_mac(at)), "octet {i}");
            }
        }
    }
}

#[test]
fn wrong_key() {
    let b = hex(AUTH_MD5);
    assert_eq!(
        verify_mac(&b, AuthAlgorithm::HmacMd5_128, b"dmars-md5-kez"),
        Err(bad_mac(MD5_DATA_AT))
    );
    assert_eq!(
        verify_mac(&b, AuthAlgorithm::HmacMd5_128, b""),
        Err(bad_mac(MD5_DATA_AT))
    );
    let b = hex(AUTH_SHA256);
    assert_eq!(
        verify_mac(&b, AuthAlgorithm::HmacSha256, MD5_KEY),
        Err(bad_mac(SHA256_DATA_AT))
    );
}

#[test]
fn wrong_algorithm() {
    // A 16-octet MAC checked as HMAC-SHA-256 and a 32-octet one as HMAC-MD5-128.
    assert_eq!(
        verify_mac(&hex(AUTH_MD5), AuthAlgorithm::HmacSha256, MD5_KEY),
        Err(bad_mac(MD5_DATA_AT))
    );
    assert_eq!(
        verify_mac(&hex(AUTH_SHA256), AuthAlgorithm::HmacMd5_128, SHA256_KEY),
        Err(bad_mac(SHA256_DATA_AT))
    );
    // A SHA-256 MAC truncated to 16 octets in a well-formed packet is still refused.
    let mut p = ScspPacket::decode(&hex(AUTH_SHA256)).unwrap();
    if let Some(Extension::Authentication(a)) = p.extensions.as_mut().and_then(|l| l.get_mut(1)) {
        a.data.truncate(16);
    }
    let q = p.to_vec().unwrap();
    assert_eq!(
        verify_mac(&q, AuthAlgorithm::HmacMd5_128, SHA256_KEY),
        Err(bad_mac(SHA256_DATA_AT))
    );
}

#[test]
fn checksum_is_verified_before_the_mac() {
    let mut q = hex(AUTH_MD5);
    q[MD5_DATA_AT] ^= 0x01; // MAC damaged, checksum not fixed
    let e = verify_mac(&q, AuthAlgorithm::HmacMd5_128, MD5_KEY).unwrap_err();
    assert_eq!((e.field, e.offset), ("Checksum", 4));
    assert!(matches!(e.kind, DecodeErrorKind::BadChecksum { .. }));
}

#[test]
fn missing_authentication_extension() {
    // No extensions part at all: reported at Start Of Extensions.
    const HELLO: &str = "
        01 05 0024 e6bd 0000   # B.1: Version 1, Type Code 5, Packet Size 36, Checksum, SoE 0
        000a 0004 0000 0000    # HelloInterval 10, DeadFactor 4, unused, Family ID 0
        0003 0001 0000 0000    # Protocol ID 3, Server Group ID 1, unused, Flags
        04 04 0000             # Sender ID Len 4, Recvr ID Len 4, Number of Records 0
        0a000001 0a000002      # Sender ID, Receiver ID
    ";
    assert_eq!(
        verify_mac(&hex(HELLO), AuthAlgorithm::HmacMd5_128, MD5_KEY),
        Err(DecodeError::new(
            DecodeErrorKind::BadMac,
            "Authentication Extension",
            6
        ))
    );
    // Extensions but no Authentication: reported at End Of Extensions (offset 60).
    let mut p = ScspPacket::decode(&hex(AUTH_SHA256)).unwrap();
    p.extensions.as_mut().unwrap().pop();
    let q = p.to_vec().unwrap();
    assert_eq!(
        verify_mac(&q, AuthAlgorithm::HmacSha256, SHA256_KEY),
        Err(DecodeError::new(
            DecodeErrorKind::BadMac,
            "Authentication Extension",
            60
        ))
    );
}

#[test]
fn authentication_extension_too_short() {
    // Length 3 cannot hold the SPI.
    let b = hex(AUTH_MD5);
    let mut q = b[..36].to_vec();
    q.extend_from_slice(&hex("0001 0003 000001  0000 0000"));
    fix_up(&mut q);
    let e = DecodeError::new(
        DecodeErrorKind::BadLength { value: 3 },
        "Extension Length",
        38,
    );
    assert_eq!(ScspPacket::decode(&q), Err(e));
    assert_eq!(verify_mac(&q, AuthAlgorithm::HmacMd5_128, MD5_KEY), Err(e));
}

#[test]
fn encoder_refuses_duplicate_authentication() {
    let mut p = ScspPacket::decode(&hex(AUTH_MD5)).unwrap();
    let a = p.extension_list()[0].clone();
    p.extensions.as_mut().unwrap().push(a);
    assert!(p.to_vec().is_err());
    let mut out = vec![1, 2, 3];
    assert!(p
        .encode_authenticated(1, AuthAlgorithm::HmacMd5_128, MD5_KEY, &mut out)
        .is_err());
    assert_eq!(out, [1, 2, 3], "output left as it was");
}
