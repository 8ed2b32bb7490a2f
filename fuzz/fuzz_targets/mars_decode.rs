//! MARS control messages (RFC 2022): decoding never panics, and whatever decodes re-encodes to
//! exactly the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::mars::MarsMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = MarsMessage::decode(data) {
        let out = m.to_vec().expect("a decoded message re-encodes");
        assert_eq!(out, data, "round trip differs");
        assert_eq!(MarsMessage::decode(&out).as_ref(), Ok(&m));
    }
});
