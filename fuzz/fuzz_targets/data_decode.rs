//! MARS data-path encapsulations (RFC 2022 §5.5): decoding never panics; whatever decodes
//! re-encodes exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::data::DataPacket;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = DataPacket::decode_sdu(data) {
        assert_eq!(p.encode_sdu().expect("re-encodes"), data, "round trip differs");
    }
});
