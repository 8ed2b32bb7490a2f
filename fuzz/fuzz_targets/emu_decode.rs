//! ATM emulation datagrams (`docs/atm-emulation.md`, `mars_wire::emu`): decoding never panics,
//! whatever decodes re-encodes to exactly the same bytes, and the cheap views of a datagram
//! (its type, its length, a DATA header built on its own) agree with the full decode.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::emu::{data_header, peek_type, Datagram, DATA_HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let peeked = peek_type(data);
    if let Ok(d) = Datagram::decode(data) {
        let out = d.to_vec();
        assert_eq!(out, data, "round trip differs");
        assert_eq!(d.encoded_len(), data.len(), "encoded_len differs");
        assert_eq!(Datagram::decode(&out).as_ref(), Ok(&d));
        assert_eq!(peeked, Some(d.type_code()), "peek_type disagrees");
        assert_eq!(
            d.call_ref().is_none(),
            matches!(d, Datagram::Keepalive { .. })
        );
        if let Datagram::Data { cref, seq, sdu } = d {
            assert_eq!(&data[..DATA_HEADER_LEN], &data_header(cref, seq));
            assert_eq!(&data[DATA_HEADER_LEN..], sdu);
        }
    }
});
