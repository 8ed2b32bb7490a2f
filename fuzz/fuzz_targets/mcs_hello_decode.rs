//! The RFC 2149 §5.3 inter-MCS HELLO: decoding never panics; whatever decodes re-encodes
//! exactly, with and without its LLC/SNAP header.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::mcs_hello::McsHello;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = McsHello::decode(data) {
        let mut out = Vec::new();
        m.encode(&mut out).expect("re-encodes");
        assert_eq!(out, data, "round trip differs");
    }
    if let Ok(m) = McsHello::decode_sdu(data) {
        assert_eq!(m.encode_sdu().expect("re-encodes"), data, "SDU round trip differs");
    }
});
