//! The ATM service contract of [`mars_proto::vc`] as a test suite that any network can run.
//!
//! A network implements [`ContractNet`]; the suite is a set of functions, one per operation
//! and per ordering guarantee, each taking a fresh network and the [`Bounds`] within which
//! that network must answer. Time bounds are parameters so that the same cases run against
//! the fabric in virtual time (where waiting costs nothing) and against the UDP emulation in
//! real time (where a few seconds must do).
//!
//! Run the whole suite as one `#[test]` per case with
//! [`contract_tests!`](crate::contract_tests) in an integration test file —
//! `mars_sim::contract_tests!(|| MyNet::new(), mars_sim::contract::Bounds::REAL_TIME);` — or
//! all at once with [`run_all`]:
//!
//! ```
//! use mars_sim::{contract, Fabric};
//!
//! contract::run_all(|| Fabric::new(1), &contract::Bounds::VIRTUAL_TIME);
//! ```
//!
//! The suite asserts with panics, as tests do. It expects a lossless network (loopback UDP,
//! or a fabric without loss) unless [`Bounds::lossless`] is false, in which case data cases
//! check order and uniqueness but not completeness.

mod cases;
mod probe;

use core::fmt;
use std::time::Duration;

use mars_proto::{VcEvent, VcRequest};
use mars_wire::AtmAddress;

use crate::fabric::{EndpointId, Fabric};

pub use cases::*;

/// A network the contract suite can test.
pub trait ContractNet {
    /// How the network names an endpoint.
    type Ep: Copy + fmt::Debug;

    /// Add an endpoint with `addr` (distinct from every other in this network).
    fn add_endpoint(&mut self, addr: AtmAddress) -> Self::Ep;

    /// Carry out `req` as if endpoint `ep`'s engine had made it.
    fn request(&mut self, ep: Self::Ep, req: VcRequest);

    /// Run (in virtual or real time) until `ep` has an event, or `within` elapses.
    fn next_event(&mut self, ep: Self::Ep, within: Duration) -> Option<VcEvent>;

    /// `ep` dies without releasing anything; its peers must learn of it with cause #27.
    fn kill(&mut self, ep: Self::Ep);

    /// Let `d` pass.
    fn settle(&mut self, d: Duration);

    /// Misused requests counted for `ep`, if the network exposes the count.
    fn misuse(&self, _ep: Self::Ep) -> Option<u64> {
        None
    }
}

/// How long the suite waits, and what it may assume.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// The longest a required event may take (a call set up, an SDU delivered, a release
    /// heard).
    pub event: Duration,
    /// How long to watch for an event that must not come.
    pub quiet: Duration,
    /// The longest the network may take to report a dead endpoint (cause #27).
    pub death: Duration,
    /// Whether every SDU must arrive (no loss configured).
    pub lossless: bool,
}

impl Bounds {
    /// For the fabric in virtual time: generous, since waiting costs nothing. Assumes the
    /// fabric's default crash detection (1 s) and millisecond latencies.
    pub const VIRTUAL_TIME: Bounds = Bounds {
        event: Duration::from_secs(10),
        quiet: Duration::from_secs(5),
        death: Duration::from_secs(3),
        lossless: true,
    };

    /// For a network in real time on one host: answers within 3 s, silence checked for
    /// 300 ms, deaths noticed within 5 s.
    pub const REAL_TIME: Bounds = Bounds {
        event: Duration::from_secs(3),
        quiet: Duration::from_millis(300),
        death: Duration::from_secs(5),
        lossless: true,
    };
}

/// One case of the suite.
pub type Case<N> = fn(&mut N, &Bounds);

/// Every case of the suite with its name, in a sensible order.
pub fn cases<N: ContractNet>() -> Vec<(&'static str, Case<N>)> {
    macro_rules! list {
        ($($name:ident),* $(,)?) => { vec![$((stringify!($name), $name::<N> as Case<N>)),*] };
    }
    list![
        connect_accept,
        connect_refuse,
        connect_unknown_address,
        connect_to_dead_endpoint,
        caller_hears_nothing_before_answer,
        callee_may_send_after_accept,
        sdus_in_order_without_duplicates,
        release_by_caller,
        release_by_callee,
        release_before_answer,
        simultaneous_release,
        nothing_after_released,
        ids_reused_after_release,
        multipoint_add_parties,
        multipoint_party_refused,
        multipoint_party_unknown_address,
        multipoint_no_sdu_before_party_added,
        multipoint_drop_party,
        multipoint_leaf_release,
        multipoint_root_release,
        multipoint_survives_last_leaf,
        peer_death_releases_call,
        leaf_death_drops_party,
        root_death_releases_leaves,
        misuse_is_ignored,
    ]
}

/// Run every case, each on a fresh network from `make`. Panics on the first failure, naming
/// the case.
pub fn run_all<N: ContractNet>(mut make: impl FnMut() -> N, bounds: &Bounds) {
    for (name, case) in cases::<N>() {
        let mut net = make();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut net, bounds)));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| e.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            panic!("contract case `{name}` failed: {msg}");
        }
    }
}

/// Generate one `#[test]` per contract case, each on a fresh network from `$make` (anything
/// callable with no arguments that returns a [`ContractNet`]), with [`Bounds`] `$bounds`.
/// Also generates `contract_suite_is_complete`, which fails if this list and
/// [`cases`] ever disagree.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr, $bounds:expr $(,)?) => {
        $crate::__contract_test_fns! {
            ($make, $bounds)
            connect_accept,
            connect_refuse,
            connect_unknown_address,
            connect_to_dead_endpoint,
            caller_hears_nothing_before_answer,
            callee_may_send_after_accept,
            sdus_in_order_without_duplicates,
            release_by_caller,
            release_by_callee,
            release_before_answer,
            simultaneous_release,
            nothing_after_released,
            ids_reused_after_release,
            multipoint_add_parties,
            multipoint_party_refused,
            multipoint_party_unknown_address,
            multipoint_no_sdu_before_party_added,
            multipoint_drop_party,
            multipoint_leaf_release,
            multipoint_root_release,
            multipoint_survives_last_leaf,
            peer_death_releases_call,
            leaf_death_drops_party,
            root_death_releases_leaves,
            misuse_is_ignored,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_test_fns {
    (($make:expr, $bounds:expr) $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let mut net = ($make)();
                $crate::contract::$case(&mut net, &$bounds);
            }
        )*

        #[test]
        fn contract_suite_is_complete() {
            fn names<N: $crate::contract::ContractNet>(_: &impl Fn() -> N) -> Vec<&'static str> {
                $crate::contract::cases::<N>().into_iter().map(|(n, _)| n).collect()
            }
            let make = || ($make)();
            assert_eq!(names(&make), [$(stringify!($case)),*]);
        }
    };
}

/// The fabric runs the suite in virtual time.
impl ContractNet for Fabric {
    type Ep = EndpointId;

    fn add_endpoint(&mut self, addr: AtmAddress) -> EndpointId {
        Fabric::add_endpoint(self, addr)
    }

    fn request(&mut self, ep: EndpointId, req: VcRequest) {
        Fabric::request(self, ep, req);
    }

    fn next_event(&mut self, ep: EndpointId, within: Duration) -> Option<VcEvent> {
        let deadline = self.now() + within;
        loop {
            if let Some(ev) = self.poll_event(ep) {
                return Some(ev);
            }
            match self.next_action_time() {
                Some(t) if t <= deadline => {
                    self.step();
                }
                _ => {
                    self.run_until(deadline);
                    return self.poll_event(ep);
                }
            }
        }
    }

    fn kill(&mut self, ep: EndpointId) {
        self.crash(ep);
    }

    fn settle(&mut self, d: Duration) {
        self.run_for(d);
    }

    fn misuse(&self, ep: EndpointId) -> Option<u64> {
        Some(Fabric::misuse(self, ep).0)
    }
}
