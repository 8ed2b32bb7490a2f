//! SCSP packets (RFC 2334 App. B): decoding never panics, whatever decodes re-encodes exactly,
//! and MAC verification never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::scsp::{verify_mac, AuthAlgorithm, ScspPacket};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = ScspPacket::decode(data) {
        let out = p.to_vec().expect("a decoded packet re-encodes");
        assert_eq!(out, data, "round trip differs");
    }
    let _ = verify_mac(data, AuthAlgorithm::HmacMd5_128, b"key");
});
