//! The client's conformance scenarios (`tests/scenarios/client/*.jsonl`), each naming the
//! RFC 2022 section it exercises. Regenerate with `DMARS_BLESS=1` and review the diff.

mod client_support;

use client_support::{scenario, Driver};

#[test]
fn client_scenarios() {
    let n = scenario::run_dir("tests/scenarios/client", |h| {
        Box::new(Driver::from_header(h))
    });
    assert!(n >= 1);
}
