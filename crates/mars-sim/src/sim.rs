//! A harness that runs sans-IO engines on fabric endpoints in virtual time.
//!
//! [`Sim`] owns a [`Fabric`] and one engine per endpoint (endpoints without an engine are
//! allowed: a test polls their events itself). It is the driver loop of
//! [`mars_proto::AtmUser`]: it delivers each endpoint's events, carries out the requests the
//! engine then makes, and calls `handle_timeout` when `poll_timeout` comes due — all at the
//! virtual instants the fabric schedules, so a whole cluster runs deterministically and as
//! fast as the CPU allows.
//!
//! At one instant the fabric's actions come before engine timeouts, and timeouts come in
//! order of (deadline, endpoint). Engine timers live in a heap with lazy invalidation, so a
//! step costs O(log n) however many engines there are.
//!
//! ```
//! use mars_proto::{AtmUser, Instant, VcEvent, VcRequest};
//! use mars_sim::{test_address, Sim};
//!
//! /// Counts incoming calls and refuses them.
//! #[derive(Default)]
//! struct Grump { calls: u32, out: Vec<VcRequest> }
//! impl AtmUser for Grump {
//!     fn handle_vc_event(&mut self, _: Instant, ev: VcEvent) {
//!         if let VcEvent::IncomingCall { vc, .. } = ev {
//!             self.calls += 1;
//!             self.out.push(VcRequest::Refuse { vc, cause: mars_proto::Cause::USER_BUSY });
//!         }
//!     }
//!     fn handle_timeout(&mut self, _: Instant) {}
//!     fn poll_request(&mut self) -> Option<VcRequest> { self.out.pop() }
//!     fn poll_timeout(&self) -> Option<Instant> { None }
//! }
//!
//! let mut sim = Sim::new(1);
//! let g = sim.add_engine(test_address(1), Grump::default());
//! let caller = sim.add_endpoint(test_address(2));
//! sim.fabric_mut().request(caller, VcRequest::Connect {
//!     vc: mars_proto::VcId::local(1), to: test_address(1) });
//! assert!(sim.run_until_quiet(Instant::from_nanos(1_000_000_000)).unwrap());
//! assert_eq!(sim.engine::<Grump>(g).unwrap().calls, 1);
//! assert!(matches!(sim.fabric_mut().poll_event(caller), Some(VcEvent::Released { .. })));
//! ```

use core::any::Any;
use core::cmp::Reverse;
use core::fmt;
use std::collections::BinaryHeap;
use std::time::Duration;

use mars_proto::{AtmUser, Instant};
use mars_wire::AtmAddress;

use crate::fabric::{EndpointId, Fabric};

/// An engine the [`Sim`] can own: any `'static` [`AtmUser`], with downcasting so that tests
/// can look inside. Implemented for every such type; nothing to write.
pub trait SimEngine: AtmUser + Any {
    /// `self` as [`Any`], for downcasting.
    fn as_any(&self) -> &dyn Any;
    /// `self` as mutable [`Any`], for downcasting.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: AtmUser + Any> SimEngine for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// Too many steps without time moving: an engine keeps asking to be woken at or before
    /// `now` after its timeout has been handled, or engines keep answering each other with
    /// zero-latency links.
    #[error("no progress at {at:?}: {steps} steps without time advancing")]
    Stalled {
        /// The instant time stood still at.
        at: Instant,
        /// Steps taken at that instant.
        steps: u64,
    },
}

/// The default for [`Sim::set_max_steps_per_instant`].
pub const DEFAULT_MAX_STEPS_PER_INSTANT: u64 = 10_000_000;

/// A fabric with engines attached to its endpoints. See the [module documentation](self).
pub struct Sim {
    fabric: Fabric,
    /// Indexed by [`EndpointId::index`].
    engines: Vec<Option<Box<dyn SimEngine>>>,
    /// The deadline each engine last reported; heap entries that disagree are stale.
    deadlines: Vec<Option<Instant>>,
    timers: BinaryHeap<Reverse<(Instant, EndpointId)>>,
    stall: (Instant, u64),
    max_steps_per_instant: u64,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("fabric", &self.fabric)
            .field("engines", &self.engines.iter().flatten().count())
            .field("timers", &self.timers.len())
            .finish()
    }
}

impl Sim {
    /// A simulation on a fresh fabric seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Sim::with_fabric(Fabric::new(seed))
    }

    /// A simulation on `fabric` (which may already have endpoints, without engines).
    pub fn with_fabric(fabric: Fabric) -> Self {
        let n = fabric.endpoint_count();
        Sim {
            fabric,
            engines: (0..n).map(|_| None).collect(),
            deadlines: vec![None; n],
            timers: BinaryHeap::new(),
            stall: (Instant::ZERO, 0),
            max_steps_per_instant: DEFAULT_MAX_STEPS_PER_INSTANT,
        }
    }

    /// The fabric, for observing it.
    pub fn fabric(&self) -> &Fabric {
        &self.fabric
    }

    /// The fabric, for faults, links, captures and raw endpoints. Running it directly
    /// bypasses the engines; use the `run_*` methods of the `Sim` instead.
    pub fn fabric_mut(&mut self) -> &mut Fabric {
        &mut self.fabric
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.fabric.now()
    }

    /// Bound the steps taken at one instant before a run fails with [`SimError::Stalled`].
    pub fn set_max_steps_per_instant(&mut self, n: u64) {
        self.max_steps_per_instant = n;
    }

    /// Add an endpoint without an engine; its events wait in the fabric for
    /// [`Fabric::poll_event`].
    pub fn add_endpoint(&mut self, address: AtmAddress) -> EndpointId {
        let ep = self.fabric.add_endpoint(address);
        self.grow(ep);
        ep
    }

    /// Add an endpoint with `address` and attach `engine` to it.
    pub fn add_engine<E: SimEngine>(&mut self, address: AtmAddress, engine: E) -> EndpointId {
        let ep = self.add_endpoint(address);
        self.attach(ep, engine);
        ep
    }

    /// Attach `engine` to `ep`, returning the engine it replaces. Its first requests are
    /// carried out and its timer armed at once.
    pub fn attach<E: SimEngine>(
        &mut self,
        ep: EndpointId,
        engine: E,
    ) -> Option<Box<dyn SimEngine>> {
        self.attach_boxed(ep, Box::new(engine))
    }

    /// [`Sim::attach`] for an engine already boxed.
    pub fn attach_boxed(
        &mut self,
        ep: EndpointId,
        engine: Box<dyn SimEngine>,
    ) -> Option<Box<dyn SimEngine>> {
        if ep.index() >= self.fabric.endpoint_count() {
            return None;
        }
        self.grow(ep);
        let old = self.engines[ep.index()].replace(engine);
        self.deadlines[ep.index()] = None;
        self.poke(ep);
        old
    }

    /// Take the engine off `ep`. The endpoint stays; its events now wait in the fabric.
    pub fn detach(&mut self, ep: EndpointId) -> Option<Box<dyn SimEngine>> {
        let engine = self.engines.get_mut(ep.index())?.take();
        self.deadlines[ep.index()] = None;
        engine
    }

    /// The engine on `ep`, if it is an `E`.
    pub fn engine<E: 'static>(&self, ep: EndpointId) -> Option<&E> {
        self.engines
            .get(ep.index())?
            .as_ref()?
            .as_any()
            .downcast_ref()
    }

    /// The engine on `ep`, mutably, if it is an `E`. Requests this makes the engine queue are
    /// carried out at the next step (or use [`Sim::with_engine`]).
    pub fn engine_mut<E: 'static>(&mut self, ep: EndpointId) -> Option<&mut E> {
        self.engines
            .get_mut(ep.index())?
            .as_mut()?
            .as_any_mut()
            .downcast_mut()
    }

    /// Run `f` on the engine on `ep` (if it is an `E`) with the current time, then carry out
    /// the requests it queued and re-read its timer: the way to give an engine a command.
    pub fn with_engine<E: 'static, R>(
        &mut self,
        ep: EndpointId,
        f: impl FnOnce(&mut E, Instant) -> R,
    ) -> Option<R> {
        let now = self.now();
        let r = f(self.engine_mut::<E>(ep)?, now);
        self.poke(ep);
        Some(r)
    }

    /// Carry out the requests the engine on `ep` has queued and re-read its timer.
    pub fn poke(&mut self, ep: EndpointId) {
        let Some(Some(engine)) = self.engines.get_mut(ep.index()) else {
            return;
        };
        while let Some(req) = engine.poll_request() {
            self.fabric.request(ep, req);
        }
        let deadline = engine.poll_timeout();
        if deadline != self.deadlines[ep.index()] {
            self.deadlines[ep.index()] = deadline;
            if let Some(t) = deadline {
                self.timers.push(Reverse((t, ep)));
                self.compact_timers();
            }
        }
    }

    /// Crash `ep` in the fabric (see [`Fabric::crash`]) and take its engine away: the engine's
    /// state dies with it. Returns the dead engine for inspection.
    pub fn crash(&mut self, ep: EndpointId) -> Option<Box<dyn SimEngine>> {
        self.fabric.crash(ep);
        self.detach(ep)
    }

    /// Restart a crashed `ep` (see [`Fabric::restart`]) with a fresh `engine`.
    pub fn restart<E: SimEngine>(&mut self, ep: EndpointId, engine: E) {
        self.fabric.restart(ep);
        self.attach(ep, engine);
    }

    // ----- running -----

    /// Take one step: the next fabric action (and the delivery of what it caused) or the next
    /// engine timeout. Returns the time of the step, or `None` when nothing at all is
    /// scheduled.
    pub fn step(&mut self) -> Result<Option<Instant>, SimError> {
        self.deliver_ready();
        let now = self.now();
        let timer = self.next_timer().map(|(t, ep)| (t.max(now), ep));
        match (self.fabric.next_action_time(), timer) {
            (None, None) => return Ok(None),
            (Some(tf), Some((tt, _))) if tf <= tt => self.fabric_step(),
            (Some(_), None) => self.fabric_step(),
            (_, Some((tt, ep))) => {
                self.timers.pop();
                self.fabric.advance_to(tt);
                self.fire(ep);
            }
        }
        self.check_progress()?;
        Ok(Some(self.now()))
    }

    /// Run everything due up to and including `t`, then set the clock to `t`.
    pub fn run_until(&mut self, t: Instant) -> Result<(), SimError> {
        while self.next_time().is_some_and(|next| next <= t) {
            self.step()?;
        }
        self.deliver_ready();
        self.fabric.advance_to(t.max(self.now()));
        Ok(())
    }

    /// [`Sim::run_until`] `now + d`.
    pub fn run_for(&mut self, d: Duration) -> Result<(), SimError> {
        self.run_until(self.now() + d)
    }

    /// Run until the network is quiet — nothing in flight, no fault detection pending, every
    /// event delivered — or until `limit`. Engine timers may still be armed, and the clock
    /// stays where quiet was reached (see [`Sim::run_until_idle`] to let timers run too).
    /// Returns whether quiet was reached; on `false` the clock stands at `limit`.
    pub fn run_until_quiet(&mut self, limit: Instant) -> Result<bool, SimError> {
        self.run_until_with(limit, |sim| sim.fabric.next_action_time().is_none())
    }

    /// Run until nothing at all is scheduled — no fabric action and no engine timer — or
    /// until `limit`. Engines with periodic timers never get there: this then runs to
    /// `limit` and returns `false`.
    pub fn run_until_idle(&mut self, limit: Instant) -> Result<bool, SimError> {
        loop {
            self.deliver_ready();
            match self.next_time() {
                None => return Ok(true),
                Some(next) if next > limit => {
                    self.fabric.advance_to(limit.max(self.now()));
                    return Ok(false);
                }
                Some(_) => {
                    self.step()?;
                }
            }
        }
    }

    /// Run until `done` holds (checked before every step) or until `limit`. Returns whether
    /// it held; on `false` the clock stands at `limit`.
    pub fn run_until_with(
        &mut self,
        limit: Instant,
        mut done: impl FnMut(&Sim) -> bool,
    ) -> Result<bool, SimError> {
        loop {
            self.deliver_ready();
            if done(self) {
                return Ok(true);
            }
            if self.next_time().is_none_or(|next| next > limit) {
                self.fabric.advance_to(limit.max(self.now()));
                return Ok(done(self));
            }
            self.step()?;
        }
    }

    // ----- internals -----

    fn grow(&mut self, ep: EndpointId) {
        let n = ep.index() + 1;
        if self.engines.len() < n {
            self.engines.resize_with(n, || None);
            self.deadlines.resize(n, None);
        }
    }

    /// When the next step would happen.
    fn next_time(&mut self) -> Option<Instant> {
        let now = self.now();
        let timer = self.next_timer().map(|(t, _)| t.max(now));
        match (self.fabric.next_action_time(), timer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The earliest live timer, after discarding stale heap entries.
    fn next_timer(&mut self) -> Option<(Instant, EndpointId)> {
        while let Some(&Reverse((t, ep))) = self.timers.peek() {
            if self.deadlines[ep.index()] == Some(t) && self.engines[ep.index()].is_some() {
                return Some((t, ep));
            }
            self.timers.pop();
        }
        None
    }

    /// Rebuild the timer heap when stale entries outnumber live ones.
    fn compact_timers(&mut self) {
        if self.timers.len() <= 2 * self.engines.len() + 64 {
            return;
        }
        self.timers = self
            .deadlines
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some(Reverse((((*d)?), EndpointId(i as u32)))))
            .collect();
    }

    fn fabric_step(&mut self) {
        self.fabric.step();
        self.deliver_ready();
    }

    fn fire(&mut self, ep: EndpointId) {
        let now = self.now();
        self.deadlines[ep.index()] = None;
        if let Some(Some(engine)) = self.engines.get_mut(ep.index()) {
            engine.handle_timeout(now);
        }
        self.poke(ep);
    }

    /// Hand every delivered event to its endpoint's engine, then carry out what the engines
    /// ask in return.
    fn deliver_ready(&mut self) {
        while let Some(ep) = self.fabric.pop_ready() {
            let Some(Some(engine)) = self.engines.get_mut(ep.index()) else {
                continue; // no engine: the events wait for the test
            };
            while let Some((at, ev)) = self.fabric.poll_timed_event(ep) {
                engine.handle_vc_event(at, ev);
            }
            self.poke(ep);
        }
    }

    fn check_progress(&mut self) -> Result<(), SimError> {
        let now = self.now();
        if now != self.stall.0 {
            self.stall = (now, 0);
            return Ok(());
        }
        self.stall.1 += 1;
        if self.stall.1 > self.max_steps_per_instant {
            return Err(SimError::Stalled {
                at: now,
                steps: self.stall.1,
            });
        }
        Ok(())
    }
}
