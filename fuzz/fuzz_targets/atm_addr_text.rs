//! ATM and protocol address text forms: parsing never panics, and what parses prints back to
//! a form that parses to the same address.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mars_wire::{AtmAddress, ProtoAddr};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(a) = s.parse::<AtmAddress>() {
            assert_eq!(a.to_string().parse::<AtmAddress>(), Ok(a));
        }
        if let Ok(p) = s.parse::<ProtoAddr>() {
            assert_eq!(p.to_string().parse::<ProtoAddr>(), Ok(p));
        }
    }
});
