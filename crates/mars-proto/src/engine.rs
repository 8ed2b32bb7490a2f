//! The shape every sans-IO engine shares, so that one driver (the simulator's or the daemon's)
//! can run any of them on one ATM endpoint.

use crate::time::Instant;
use crate::vc::{VcEvent, VcRequest};

/// An engine attached to one ATM endpoint.
///
/// The driver loop is:
/// 1. deliver inputs with [`AtmUser::handle_vc_event`] and, when [`AtmUser::poll_timeout`]
///    has passed, [`AtmUser::handle_timeout`];
/// 2. drain [`AtmUser::poll_request`] and carry each request out on the network;
/// 3. sleep until the next input or `poll_timeout()`.
///
/// Engines never read a clock: `now` is passed in and must not go backwards.
pub trait AtmUser {
    /// A VC event for this endpoint.
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent);
    /// Called when `now >= poll_timeout()`.
    fn handle_timeout(&mut self, now: Instant);
    /// The next request for the network, if any.
    fn poll_request(&mut self) -> Option<VcRequest>;
    /// When the engine next wants `handle_timeout`, if ever.
    fn poll_timeout(&self) -> Option<Instant>;
}
