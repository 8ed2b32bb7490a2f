//! The RFC 2443 CSA "MARS Specific Part": decoding never panics; whatever decodes re-encodes
//! exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::dmars::MarsCsa;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = MarsCsa::decode(data) {
        assert_eq!(c.to_vec().expect("re-encodes"), data, "round trip differs");
    }
});
