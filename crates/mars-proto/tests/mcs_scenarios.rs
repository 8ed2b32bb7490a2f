//! The MCS's conformance scenarios (`tests/scenarios/mcs/*.jsonl`), each naming the RFC 2022
//! or RFC 2149 section it exercises. Regenerate with `DMARS_BLESS=1` and review the diff.

#[path = "client_support/mod.rs"]
mod client_support;

use client_support::{scenario, Driver};

#[test]
fn mcs_scenarios() {
    let n = scenario::run_dir("tests/scenarios/mcs", |h| Box::new(Driver::from_header(h)));
    assert!(n >= 1);
}
