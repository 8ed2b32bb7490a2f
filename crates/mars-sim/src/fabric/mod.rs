//! The deterministic in-memory ATM fabric.
//!
//! A [`Fabric`] is a set of ATM endpoints, each with an [`AtmAddress`], joined by links with
//! latency, jitter, loss and bandwidth, run in virtual time. It implements the service
//! contract of [`mars_proto::vc`] exactly: every [`VcRequest`](mars_proto::VcRequest) and every [`VcEvent`], with the
//! eight ordering guarantees listed there. Engines cannot tell it from the UDP emulation.
//!
//! # Using it
//! Raw, one request at a time:
//!
//! ```
//! use mars_proto::{Cause, VcEvent, VcId, VcRequest};
//! use mars_sim::{test_address, Fabric};
//!
//! let mut f = Fabric::new(7);
//! let a = f.add_endpoint(test_address(1));
//! let b = f.add_endpoint(test_address(2));
//! f.request(a, VcRequest::Connect { vc: VcId::local(1), to: test_address(2) });
//! f.run_until_idle();
//! let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(b) else { panic!() };
//! f.request(b, VcRequest::Accept { vc });
//! f.run_until_idle();
//! assert_eq!(f.poll_event(a), Some(VcEvent::Connected { vc: VcId::local(1) }));
//! ```
//!
//! or through [`crate::Sim`], which drives [`mars_proto::AtmUser`] engines attached to
//! endpoints.
//!
//! # Time and order
//! - Every request is carried out at [`Fabric::now`]; what it causes is scheduled on an event
//!   queue ordered by (time, order of scheduling), so equal times never depend on chance.
//! - Signalling messages (SETUP, CONNECT, RELEASE and their multipoint forms) take exactly the
//!   link latency and are never lost: Q.2931 runs over SSCOP, which retransmits.
//! - An SDU waits for the VC to finish serialising earlier SDUs (`bandwidth` is the VC's peak
//!   rate), then takes latency plus a uniform jitter draw, and is lost with the link's loss
//!   probability or if a partition separates the ends when it is sent or when it arrives.
//! - **Per-VC FIFO.** Everything travelling one direction of one VC — SDUs and signalling
//!   alike — arrives in the order it was sent: an arrival is never scheduled before the
//!   previous one on that path. So jitter never reorders SDUs, and a peer's `Released` comes
//!   after the SDUs it sent before releasing. (The contract promises only the SDU order; this
//!   is the fabric being kind.)
//! - Events are queued per endpoint at the instant they happen; [`Fabric::poll_event`] takes
//!   them in order.
//!
//! # Calls
//! - `Connect` / `AddParty`: the SETUP reaches the called endpoint one latency later, which
//!   then sees `IncomingCall`. `Accept` sends CONNECT back (one latency) and the caller sees
//!   `Connected` / `PartyAdded`. `Refuse` sends RELEASE back with the engine's cause.
//! - The network refuses a call itself — the caller sees `Released` (or `PartyDropped`) one
//!   latency of the link towards the called address later (the default link for an unknown
//!   address) — with cause #1 when no endpoint has the address, #27 when that endpoint is dead,
//!   #3 when a partition separates the two.
//! - A release by either end reaches the other end one latency later. If the called end has
//!   not yet seen the SETUP, it sees `IncomingCall` followed by `Released`, as on a real UNI.
//!
//! # Faults
//! - [`Fabric::crash`]: the endpoint loses every VC and every undelivered event at once; after
//!   [`FabricConfig::crash_detection`] the network releases each of its VCs towards the
//!   surviving ends with cause #27 (leaves and peers see `Released`, roots `PartyDropped`).
//!   Calls still being set up towards it are dropped silently at the far end.
//!   [`Fabric::restart`] brings the endpoint back, same address, no VCs.
//! - [`Fabric::partition`]: SDUs between islands are lost and new calls across fail with #3.
//!   [`FabricConfig::partition_detection`] later, every VC that *still* crosses a partition is
//!   released towards both ends with cause #27; a partition healed before then costs only the
//!   SDUs lost meanwhile. This models SSCOP (or OAM continuity) noticing the loss of the path:
//!   short outages are ridden out, long ones tear the calls down. Signalling already in flight
//!   when a partition starts is still delivered (SSCOP would retransmit it); the detection
//!   then releases the call.
//!
//! # Misuse
//! A request that names an unknown or dead handle, or that the contract forbids (sending
//! before `Connected`, sending on a leaf, accepting twice, an SDU over the maximum size, …)
//! is ignored and counted in that endpoint's [`EndpointCounters::misuse`]. Requests the engine
//! could not know to be stale are not misuse: a send on a VC whose peer has released but
//! whose `Released` has not yet been delivered simply goes nowhere.
//!
//! # Determinism
//! The only randomness is a ChaCha8 generator seeded from [`FabricConfig::seed`], drawn in the
//! order requests are carried out, and nothing iterates a hash map to decide what happens
//! next. The same seed and the same requests give the same run, bit for bit; see
//! [`Fabric::enable_trace`].

mod arrivals;
mod capture;
mod endpoint;
mod faults;
mod label;
mod leg;
mod link;
mod queue;
mod requests;
mod trace;

use core::fmt;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use mars_proto::vc::{MisuseCount, DEFAULT_MAX_SDU};
use mars_proto::{Instant, VcEvent, VcId};
use mars_wire::AtmAddress;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use endpoint::EndpointCounters;
pub use label::{VcLabel, FIRST_USER_VCI};
pub use link::LinkConfig;
pub use trace::TraceDigest;

use capture::Capture;
use endpoint::{Endpoint, LocalVc};
use label::Labels;
use leg::{EndState, Leg, LegKey, Side};
use link::Links;
use queue::{Action, Msg, Queue};

/// An endpoint of the fabric, as returned by [`Fabric::add_endpoint`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct EndpointId(pub u32);

impl EndpointId {
    /// The endpoint's position in creation order (0 for the first).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for EndpointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ep{}", self.0)
    }
}

/// How a fabric is set up.
#[derive(Clone, Debug, PartialEq)]
pub struct FabricConfig {
    /// Seed of the fabric's random number generator (jitter and loss draws).
    pub seed: u64,
    /// The link used between endpoints that have no link of their own.
    pub default_link: LinkConfig,
    /// How long after an endpoint dies the network releases its VCs (cause #27).
    pub crash_detection: Duration,
    /// How long a partition must last before the VCs crossing it are released (cause #27).
    pub partition_detection: Duration,
    /// The largest SDU an engine may send; larger ones are misuse.
    pub max_sdu: usize,
}

impl Default for FabricConfig {
    /// Seed 0, the default [`LinkConfig`], 1 s crash and partition detection, and the
    /// RFC 2225 maximum SDU ([`DEFAULT_MAX_SDU`]).
    fn default() -> Self {
        FabricConfig {
            seed: 0,
            default_link: LinkConfig::default(),
            crash_detection: Duration::from_secs(1),
            partition_detection: Duration::from_secs(1),
            max_sdu: DEFAULT_MAX_SDU,
        }
    }
}

/// Fabric-wide counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FabricCounters {
    /// `Send` requests accepted.
    pub sdus_sent: u64,
    /// Copies of SDUs put on VCs (one per leaf for a multipoint VC).
    pub sdu_copies: u64,
    /// SDUs delivered as `Received`.
    pub sdus_delivered: u64,
    /// Copies lost to link loss or a partition.
    pub sdus_lost: u64,
    /// Copies that found their destination end gone (released or dead).
    pub sdus_discarded: u64,
    /// Events delivered to all endpoints.
    pub events: u64,
    /// Misused requests, including those naming an endpoint that does not exist.
    pub misuse: u64,
}

/// Why an endpoint could not be added.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FabricError {
    /// Another endpoint already has this address (even if it is dead).
    #[error("address {0} is already used by {1}")]
    AddressInUse(AtmAddress, EndpointId),
}

/// The deterministic in-memory ATM network. See the [module documentation](self).
pub struct Fabric {
    config: FabricConfig,
    now: Instant,
    rng: ChaCha8Rng,
    queue: Queue,
    links: Links,
    endpoints: Vec<Endpoint>,
    by_address: HashMap<AtmAddress, EndpointId>,
    /// Ordered so that partition checks walk legs deterministically.
    legs: BTreeMap<LegKey, Leg>,
    next_leg: u64,
    labels: Labels,
    next_island: u32,
    /// Endpoints with undelivered events, in the order they got their first one.
    ready: VecDeque<EndpointId>,
    totals: FabricCounters,
    capture: Option<Capture>,
    trace: Option<TraceDigest>,
}

impl fmt::Debug for Fabric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fabric")
            .field("now", &self.now)
            .field("endpoints", &self.endpoints.len())
            .field("legs", &self.legs.len())
            .field("queued", &self.queue.len())
            .field("totals", &self.totals)
            .field("capturing", &self.capture.is_some())
            .finish_non_exhaustive()
    }
}

impl Fabric {
    /// A fabric with the default configuration and `seed`.
    pub fn new(seed: u64) -> Self {
        Fabric::with_config(FabricConfig {
            seed,
            ..FabricConfig::default()
        })
    }

    /// A fabric with `config`.
    pub fn with_config(config: FabricConfig) -> Self {
        Fabric {
            rng: ChaCha8Rng::seed_from_u64(config.seed),
            links: Links::new(config.default_link),
            config,
            now: Instant::ZERO,
            queue: Queue::default(),
            endpoints: Vec::new(),
            by_address: HashMap::new(),
            legs: BTreeMap::new(),
            next_leg: 0,
            labels: Labels::default(),
            next_island: 0,
            ready: VecDeque::new(),
            totals: FabricCounters::default(),
            capture: None,
            trace: None,
        }
    }

    /// The configuration (the default link as last set).
    pub fn config(&self) -> &FabricConfig {
        &self.config
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    // ----- endpoints -----

    /// Add an endpoint with `address`.
    ///
    /// # Panics
    /// If another endpoint has the address: that is a mistake in the test that builds the
    /// fabric, not something an engine can cause. [`Fabric::try_add_endpoint`] reports it.
    pub fn add_endpoint(&mut self, address: AtmAddress) -> EndpointId {
        match self.try_add_endpoint(address) {
            Ok(ep) => ep,
            Err(e) => panic!("{e}"),
        }
    }

    /// Add an endpoint with `address`, unless another endpoint has it.
    pub fn try_add_endpoint(&mut self, address: AtmAddress) -> Result<EndpointId, FabricError> {
        if let Some(&other) = self.by_address.get(&address) {
            return Err(FabricError::AddressInUse(address, other));
        }
        let id = EndpointId(u32::try_from(self.endpoints.len()).unwrap_or(u32::MAX));
        self.endpoints.push(Endpoint::new(address));
        self.by_address.insert(address, id);
        Ok(id)
    }

    /// How many endpoints exist (dead ones included).
    pub fn endpoint_count(&self) -> usize {
        self.endpoints.len()
    }

    /// The address of `ep`.
    pub fn address(&self, ep: EndpointId) -> Option<AtmAddress> {
        self.endpoints.get(ep.index()).map(|e| e.address)
    }

    /// The endpoint with `address`.
    pub fn endpoint_by_address(&self, address: &AtmAddress) -> Option<EndpointId> {
        self.by_address.get(address).copied()
    }

    /// Whether `ep` exists and has not crashed (or has restarted).
    pub fn is_alive(&self, ep: EndpointId) -> bool {
        self.endpoints.get(ep.index()).is_some_and(|e| e.alive)
    }

    // ----- events -----

    /// The next event delivered to `ep`, if any.
    pub fn poll_event(&mut self, ep: EndpointId) -> Option<VcEvent> {
        self.poll_timed_event(ep).map(|(_, ev)| ev)
    }

    /// The next event delivered to `ep`, with the time it was delivered.
    pub fn poll_timed_event(&mut self, ep: EndpointId) -> Option<(Instant, VcEvent)> {
        self.endpoints.get_mut(ep.index())?.events.pop_front()
    }

    /// How many delivered events `ep` has not polled.
    pub fn pending_events(&self, ep: EndpointId) -> usize {
        self.endpoints.get(ep.index()).map_or(0, |e| e.events.len())
    }

    // ----- running -----

    /// Carry out the next scheduled action; returns its time, or `None` if nothing is
    /// scheduled.
    pub fn step(&mut self) -> Option<Instant> {
        let (at, action) = self.queue.pop()?;
        self.now = self.now.max(at);
        self.process(action);
        Some(self.now)
    }

    /// Carry out everything scheduled up to and including `t`, then set the clock to `t`
    /// (if it is not already later).
    pub fn run_until(&mut self, t: Instant) {
        while self.queue.peek_time().is_some_and(|at| at <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// [`Fabric::run_until`] `now + d`.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    /// Carry out everything scheduled, however far ahead; returns the time reached. Always
    /// ends: the fabric schedules nothing by itself except in answer to requests and faults.
    pub fn run_until_idle(&mut self) -> Instant {
        while self.step().is_some() {}
        self.now
    }

    /// When the next scheduled action is due.
    pub fn next_action_time(&self) -> Option<Instant> {
        self.queue.peek_time()
    }

    /// How many actions are scheduled (messages in flight, pending fault detections).
    pub fn scheduled_actions(&self) -> usize {
        self.queue.len()
    }

    // ----- links -----

    /// Set the link used between endpoints that have no link of their own.
    pub fn set_default_link(&mut self, cfg: LinkConfig) {
        self.config.default_link = cfg;
        self.links.default = cfg;
    }

    /// Set the link from `from` to `to` (one direction).
    pub fn set_link(&mut self, from: EndpointId, to: EndpointId, cfg: LinkConfig) {
        self.links.set(from, to, cfg);
    }

    /// Set the link between `a` and `b`, both directions.
    pub fn set_link_pair(&mut self, a: EndpointId, b: EndpointId, cfg: LinkConfig) {
        self.links.set(a, b, cfg);
        self.links.set(b, a, cfg);
    }

    /// Make `from` → `to` use the default link again.
    pub fn clear_link(&mut self, from: EndpointId, to: EndpointId) {
        self.links.clear(from, to);
    }

    /// The link from `from` to `to`.
    pub fn link(&self, from: EndpointId, to: EndpointId) -> LinkConfig {
        *self.links.get(from, to)
    }

    // ----- observability -----

    /// Counters of `ep` (zero for an unknown endpoint).
    pub fn counters(&self, ep: EndpointId) -> EndpointCounters {
        self.endpoints
            .get(ep.index())
            .map(|e| e.counters)
            .unwrap_or_default()
    }

    /// Misused requests of `ep` so far.
    pub fn misuse(&self, ep: EndpointId) -> MisuseCount {
        self.counters(ep).misuse
    }

    /// Fabric-wide counters.
    pub fn totals(&self) -> FabricCounters {
        self.totals
    }

    /// How many VC handles `ep` holds (calls and multipoint roots; parties are not counted).
    pub fn vcs_open(&self, ep: EndpointId) -> usize {
        self.endpoints.get(ep.index()).map_or(0, |e| e.vcs.len())
    }

    /// The parties `ep` has on its multipoint VC `vc` (including those still being added).
    pub fn parties(&self, ep: EndpointId, vc: VcId) -> usize {
        match self.endpoints.get(ep.index()).and_then(|e| e.vcs.get(&vc)) {
            Some(LocalVc::Root(r)) => r.parties.len(),
            _ => 0,
        }
    }

    /// Legs (caller–called or root–leaf connections) the fabric still tracks.
    pub fn live_legs(&self) -> usize {
        self.legs.len()
    }

    /// The VPI/VCI of `ep`'s end of `vc`, as captures show it.
    pub fn label(&self, ep: EndpointId, vc: VcId) -> Option<VcLabel> {
        match self.endpoints.get(ep.index())?.vcs.get(&vc)? {
            LocalVc::Root(r) => r.label,
            LocalVc::Leg { leg, side } => self.legs.get(leg)?.end(*side).label,
        }
    }

    /// Start keeping a [`TraceDigest`] of every event delivered from now on.
    pub fn enable_trace(&mut self) {
        self.trace.get_or_insert_with(TraceDigest::default);
    }

    /// The digest of events delivered since [`Fabric::enable_trace`].
    pub fn trace(&self) -> Option<TraceDigest> {
        self.trace
    }

    // ----- internals shared by the submodules -----

    /// Take the next endpoint that has undelivered events (for the [`crate::Sim`] driver).
    pub(crate) fn pop_ready(&mut self) -> Option<EndpointId> {
        let ep = self.ready.pop_front()?;
        if let Some(e) = self.endpoints.get_mut(ep.index()) {
            e.ready = false;
        }
        Some(ep)
    }

    /// Move the clock forward to `t` without carrying anything out. The caller makes sure
    /// nothing is scheduled before `t`.
    pub(crate) fn advance_to(&mut self, t: Instant) {
        debug_assert!(self.queue.peek_time().is_none_or(|at| at >= t));
        self.now = self.now.max(t);
    }

    /// Deliver `ev` to `ep` now.
    fn emit(&mut self, ep: EndpointId, ev: VcEvent) {
        let Some(e) = self.endpoints.get_mut(ep.index()) else {
            return;
        };
        if let Some(t) = &mut self.trace {
            t.record(self.now, ep, &ev);
        }
        e.counters.events += 1;
        self.totals.events += 1;
        e.events.push_back((self.now, ev));
        if !e.ready {
            e.ready = true;
            self.ready.push_back(ep);
        }
    }

    /// Whether `a` and `b` are on the same side of every partition.
    pub fn reachable(&self, a: EndpointId, b: EndpointId) -> bool {
        match (self.endpoints.get(a.index()), self.endpoints.get(b.index())) {
            (Some(x), Some(y)) => x.island == y.island,
            _ => false,
        }
    }

    /// The latency of the link from `from` to `to`.
    fn latency(&self, from: EndpointId, to: EndpointId) -> Duration {
        self.links.get(from, to).latency
    }

    /// Send a signalling message on `key` towards end `to`, arriving after `delay` (and after
    /// everything already travelling that way).
    fn signal(&mut self, key: LegKey, to: Side, msg: Msg, delay: Duration) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        let path = leg.path_mut(to);
        let at = (self.now + delay).max(path.last_arrival);
        path.last_arrival = at;
        self.queue.push(at, Action::Arrive { leg: key, to, msg });
    }

    /// Send a signalling message on `key` towards end `to` over the link between the ends.
    fn signal_over_link(&mut self, key: LegKey, to: Side, msg: Msg) {
        let Some(leg) = self.legs.get(&key) else {
            return;
        };
        let delay = self.latency(leg.end(to.other()).ep, leg.end(to).ep);
        self.signal(key, to, msg, delay);
    }

    /// End `side` of `key` is gone: free its label, drop its handle (if its endpoint still
    /// holds it for this leg) and forget the leg once both ends are gone.
    fn detach(&mut self, key: LegKey, side: Side) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        let party = leg.party;
        let end = leg.end_mut(side);
        let was = end.state;
        if was == EndState::Gone {
            return;
        }
        end.state = EndState::Gone;
        let (ep, vc) = (end.ep, end.vc);
        if let Some(label) = end.label.take() {
            self.labels.release(label);
        }
        if leg.is_dead() {
            self.legs.remove(&key);
        }
        let Some(e) = self.endpoints.get_mut(ep.index()) else {
            return;
        };
        match (side, party) {
            (Side::Leaf, _) if was == EndState::Pending => {
                e.pending.remove(&key);
            }
            (Side::Root, Some(p)) => {
                if let Some(LocalVc::Root(r)) = e.vcs.get_mut(&vc) {
                    if r.parties.get(&p) == Some(&key) {
                        r.parties.remove(&p);
                    }
                }
            }
            _ => {
                if e.holds(vc, key, side) {
                    e.vcs.remove(&vc);
                }
            }
        }
    }
}
