//! LLC/SNAP classification and the full SDU decoders behind it never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::llc::Payload;
use mars_wire::mars::MarsMessage;
use mars_wire::scsp::ScspPacket;

fuzz_target!(|data: &[u8]| {
    match Payload::parse(data) {
        Ok(Payload::MarsControl(_)) => {
            let _ = MarsMessage::decode_sdu(data);
        }
        Ok(Payload::Scsp(_)) => {
            let _ = ScspPacket::decode_sdu(data);
        }
        _ => {}
    }
});
