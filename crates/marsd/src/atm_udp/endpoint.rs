//! The sans-IO endpoint: one emulated ATM endpoint's signalling, liveness and sequencing.
//!
//! It is fed `(now, from, datagram)`, the local engine's [`VcRequest`]s and timeouts, and
//! produces [`Transmit`]s and [`VcEvent`]s; [`Endpoint::poll_timeout`] says when to call
//! [`Endpoint::handle_timeout`] next. It reads no clock and owns no socket, so tests drive it
//! with virtual time. Datagram handling is in `inbound.rs`; the events told and how far the
//! user has read them (which decides what a request means) in `outbox.rs`.

use mars_proto::hash::Map;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use mars_proto::{Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::emu::{self, CallRef, CallSetup, Datagram};
use mars_wire::AtmAddress;

use super::config::EndpointConfig;
use super::counters::Counters;
use super::fsm::{CallState, Input, Msg, Next, Notify, PartyState, Step};
use super::outbox::Outbox;
use super::peers::{Peers, TombKind, Tombstones};
use super::transmit::Transmit;
use super::underlay::Underlay;

/// How an endpoint names a leg: by the call reference value it chose (`Out`), or by the peer
/// and the value the peer chose (`In`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum LegKey {
    Out(u32),
    In(SocketAddr, u32),
}

impl LegKey {
    /// The call reference as this side sends it.
    pub(super) fn cref(self) -> CallRef {
        match self {
            LegKey::Out(v) => CallRef::from_originator(v),
            LegKey::In(_, v) => CallRef::to_originator(v),
        }
    }
}

/// Which machine a leg runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Machine {
    Call(CallState),
    Party(PartyState),
}

impl Machine {
    fn step(self, input: Input) -> Step<Machine> {
        match self {
            Machine::Call(s) => s.step(input).map(Machine::Call),
            Machine::Party(s) => s.step(input).map(Machine::Party),
        }
    }
    fn request(self) -> Option<Msg> {
        match self {
            Machine::Call(s) => s.request(),
            Machine::Party(s) => s.request(),
        }
    }
    fn awaits_engine(self) -> bool {
        match self {
            Machine::Call(s) => s.awaits_engine(),
            Machine::Party(s) => s.awaits_engine(),
        }
    }
}

/// One leg at this endpoint.
#[derive(Debug, Clone)]
pub(super) struct Leg {
    pub peer: SocketAddr,
    pub vc: VcId,
    /// The party id, at a root.
    pub party: Option<PartyId>,
    pub machine: Machine,
    /// Whether the engine's handle still names this leg (false once the engine cleared it).
    pub attached: bool,
    /// The called address (legs this side originated: SETUP / ADD PARTY carry it).
    pub called: AtmAddress,
    /// Highest sequence number delivered.
    pub recv_seq: u64,
    /// Last sequence number sent (point-to-point calls).
    pub send_seq: u64,
    /// Transmissions of the current request.
    pub tries: u32,
    pub retx_at: Option<Instant>,
    /// The number of the `Connected` / `PartyAdded` event told for this leg (legs this side
    /// originated): the user may send on it once it has seen that event.
    pub up_event: Option<u64>,
}

/// A VC as the engine names it.
#[derive(Debug, Clone)]
pub(super) enum Vc {
    Call(LegKey),
    Root {
        parties: BTreeMap<PartyId, LegKey>,
        send_seq: u64,
    },
    Leaf(LegKey),
}

/// One emulated ATM endpoint, sans IO.
#[derive(Debug)]
pub struct Endpoint {
    pub(super) cfg: EndpointConfig,
    pub(super) me: AtmAddress,
    pub(super) underlay: Arc<Underlay>,
    pub(super) instance: u32,
    next_cref: u32,
    pub(super) next_incoming: u64,
    pub(super) legs: Map<LegKey, Leg>,
    pub(super) vcs: Map<VcId, Vc>,
    pub(super) peers: Peers,
    pub(super) tombs: Tombstones,
    retx: BinaryHeap<Reverse<(Instant, LegKey)>>,
    next_tick: Option<Instant>,
    pub(super) events: Outbox,
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) counters: Counters,
}

impl Endpoint {
    /// An endpoint with ATM address `me`, resolving called addresses through `underlay`.
    /// `instance` must differ between start-ups of the same endpoint (random, or a clock):
    /// peers use a change to detect a restart.
    pub fn new(
        cfg: EndpointConfig,
        me: AtmAddress,
        underlay: Arc<Underlay>,
        instance: u32,
    ) -> Self {
        let tombs = Tombstones::new(cfg.max_tombstones, cfg.request_lifetime() * 2);
        Endpoint {
            next_cref: 1 + (instance & 0x3FFF_FFFF),
            cfg,
            me,
            underlay,
            instance,
            next_incoming: 1,
            legs: Map::default(),
            vcs: Map::default(),
            peers: Peers::default(),
            tombs,
            retx: BinaryHeap::new(),
            next_tick: None,
            events: Outbox::default(),
            transmits: VecDeque::new(),
            counters: Counters::default(),
        }
    }

    /// This endpoint's ATM address.
    pub fn address(&self) -> AtmAddress {
        self.me
    }

    /// The configuration.
    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// Counters, including every drop by reason.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The driver could not send `n` datagrams.
    pub fn note_send_errors(&mut self, n: u64) {
        self.counters.send_errors += n;
        self.counters.datagrams_out = self.counters.datagrams_out.saturating_sub(n);
    }

    /// The socket reported a receive error.
    pub fn note_recv_error(&mut self) {
        self.counters.recv_errors += 1;
    }

    /// Legs held (calls and parties, in every state, including those being cleared).
    pub fn leg_count(&self) -> usize {
        self.legs.len()
    }

    /// Peers this endpoint shares legs with.
    pub fn peer_count(&self) -> usize {
        self.peers.addrs().count()
    }

    /// Remembered ended incoming legs.
    pub fn tombstone_count(&self) -> usize {
        self.tombs.len()
    }

    /// The next event for the engine. Events not yet taken are, to the engine, still in the
    /// future: see [`Endpoint::handle_request`].
    pub fn poll_event(&mut self) -> Option<VcEvent> {
        self.events.take()
    }

    /// Events waiting to be taken with [`Endpoint::poll_event`].
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Every datagram waiting to be sent, oldest first (for batched sends).
    pub fn drain_transmits(&mut self) -> std::collections::vec_deque::Drain<'_, Transmit> {
        self.transmits.drain(..)
    }

    /// Whether datagrams are waiting.
    pub fn has_transmits(&self) -> bool {
        !self.transmits.is_empty()
    }

    /// When to call [`Endpoint::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.retx.peek().map(|Reverse((t, _))| *t),
            self.next_tick,
            self.tombs.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Retransmit, give up, send keepalives and declare silent peers dead, as due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.tombs.expire(now);
        while let Some(&Reverse((t, key))) = self.retx.peek() {
            if t > now {
                break;
            }
            self.retx.pop();
            let Some(leg) = self.legs.get_mut(&key) else {
                continue;
            };
            if leg.retx_at != Some(t) {
                continue; // Superseded by a later state change.
            }
            if leg.tries >= self.cfg.max_transmissions {
                leg.retx_at = None;
                self.counters.signalling_timeouts += 1;
                self.apply(now, key, Input::GiveUp, None);
            } else if let Some(m) = leg.machine.request() {
                leg.tries += 1;
                self.counters.retransmissions += 1;
                self.arm(now, key);
                self.send(key, m);
            }
        }
        if self.next_tick.is_some_and(|t| t <= now) {
            self.liveness_tick(now);
        }
    }

    /// Carry out one request of the local engine. Requests naming unknown or dead handles
    /// are ignored and counted (contract guarantee 8).
    ///
    /// The request is made *before* every event not yet taken with [`Endpoint::poll_event`]
    /// (the engine cannot have acted on those), and means what it means at that point of the
    /// event stream:
    /// - an incoming id whose `IncomingCall` is not taken names nothing (misuse);
    /// - a handle whose `Released` / `PartyDropped` is not taken is still alive to the engine:
    ///   releasing, refusing or dropping it withdraws that event (guarantee 7), an id or party
    ///   id still in use cannot be reused (misuse), and `Accept` or `Send` on it is ignored
    ///   without being counted (the engine could not know);
    /// - a handle the engine kills has its queued events withdrawn (guarantee 7);
    /// - a caller may send once it has taken `Connected`; a root's SDU reaches only the
    ///   parties whose `PartyAdded` it has taken (guarantee 5).
    pub fn handle_request(&mut self, now: Instant, req: VcRequest) {
        if !self.events.announced(req.vc()) {
            return self.misuse();
        }
        match req {
            VcRequest::Connect { vc, to } => {
                if self.events.ending((vc, None)) {
                    return self.misuse();
                }
                self.connect(now, vc, to)
            }
            VcRequest::Accept { vc } => {
                if self.events.ending((vc, None)) {
                    return;
                }
                self.answer_incoming(now, vc, Input::Accept, false);
            }
            VcRequest::Refuse { vc, cause } => {
                if self.events.ending((vc, None))
                    || self.answer_incoming(now, vc, Input::Refuse(cause), true)
                {
                    self.events.withdraw((vc, None));
                }
            }
            VcRequest::OpenMultipoint { vc } => {
                if vc.is_incoming() || self.vcs.contains_key(&vc) || self.events.ending((vc, None))
                {
                    return self.misuse();
                }
                let parties = BTreeMap::new();
                self.vcs.insert(
                    vc,
                    Vc::Root {
                        parties,
                        send_seq: 0,
                    },
                );
            }
            VcRequest::AddParty { vc, party, to } => self.add_party(now, vc, party, to),
            VcRequest::DropParty { vc, party, cause } => {
                let key = match self.vcs.get_mut(&vc) {
                    Some(Vc::Root { parties, .. }) => parties.remove(&party),
                    _ => None,
                };
                match key {
                    Some(key) => self.clear(now, key, cause),
                    None if self.events.ending((vc, Some(party))) => {}
                    None => return self.misuse(),
                }
                self.events.withdraw((vc, Some(party)));
            }
            VcRequest::Release { vc, cause } => {
                match self.vcs.remove(&vc) {
                    Some(Vc::Call(key) | Vc::Leaf(key)) => self.clear(now, key, cause),
                    Some(Vc::Root { parties, .. }) => {
                        for key in parties.into_values() {
                            self.clear(now, key, cause);
                        }
                    }
                    None if self.events.ending((vc, None)) => {}
                    None => return self.misuse(),
                }
                self.events.withdraw((vc, None));
            }
            VcRequest::Send { vc, sdu } => self.send_sdu(vc, sdu),
        }
    }

    fn misuse(&mut self) {
        self.counters.engine_misuse += 1;
    }

    fn connect(&mut self, now: Instant, vc: VcId, to: AtmAddress) {
        if vc.is_incoming() || self.vcs.contains_key(&vc) {
            return self.misuse();
        }
        let Some(peer) = self.underlay.resolve(&to) else {
            let cause = Cause::UNALLOCATED_NUMBER;
            self.events.tell(VcEvent::Released { vc, cause });
            return;
        };
        if self.legs.len() >= self.cfg.max_legs {
            let cause = Cause::RESOURCE_UNAVAILABLE;
            self.events.tell(VcEvent::Released { vc, cause });
            return;
        }
        let key = LegKey::Out(self.alloc_cref());
        self.vcs.insert(vc, Vc::Call(key));
        let m = Machine::Call(CallState::CallInitiated);
        self.open_leg(now, key, peer, vc, None, m, to);
    }

    fn add_party(&mut self, now: Instant, vc: VcId, party: PartyId, to: AtmAddress) {
        match self.vcs.get(&vc) {
            Some(Vc::Root { parties, .. })
                if !parties.contains_key(&party) && !self.events.ending((vc, Some(party))) => {}
            _ => return self.misuse(),
        }
        let refuse = |cause| VcEvent::PartyDropped { vc, party, cause };
        let Some(peer) = self.underlay.resolve(&to) else {
            self.events.tell(refuse(Cause::UNALLOCATED_NUMBER));
            return;
        };
        if self.legs.len() >= self.cfg.max_legs {
            self.events.tell(refuse(Cause::RESOURCE_UNAVAILABLE));
            return;
        }
        let key = LegKey::Out(self.alloc_cref());
        if let Some(Vc::Root { parties, .. }) = self.vcs.get_mut(&vc) {
            parties.insert(party, key);
        }
        let m = Machine::Party(PartyState::AddPartyInitiated);
        self.open_leg(now, key, peer, vc, Some(party), m, to);
    }

    /// Accept or refuse an incoming call or party. A refusal kills the handle at once.
    /// Returns false (and counts misuse) if `vc` is not a call awaiting an answer.
    fn answer_incoming(&mut self, now: Instant, vc: VcId, input: Input, kills: bool) -> bool {
        let key = match self.vcs.get(&vc) {
            Some(&Vc::Call(k) | &Vc::Leaf(k)) if matches!(k, LegKey::In(..)) => k,
            _ => {
                self.misuse();
                return false;
            }
        };
        let awaiting = self
            .legs
            .get(&key)
            .is_some_and(|l| l.machine.awaits_engine());
        if !awaiting {
            self.misuse();
            return false;
        }
        if kills {
            self.vcs.remove(&vc);
            self.detach(key);
        }
        self.apply(now, key, input, None);
        true
    }

    /// The engine released its end (or dropped a party): the handle is dead at once
    /// (contract guarantee 7); the leg lives on until the peer confirms.
    fn clear(&mut self, now: Instant, key: LegKey, cause: Cause) {
        self.detach(key);
        self.apply(now, key, Input::Clear(cause), None);
    }

    fn send_sdu(&mut self, vc: VcId, sdu: Bytes) {
        if sdu.len() > self.cfg.max_sdu.min(emu::MAX_SDU) {
            return self.misuse();
        }
        if self.events.ending((vc, None)) {
            return; // Released, and the engine has not been told yet: the SDU goes nowhere.
        }
        match self.vcs.get_mut(&vc) {
            Some(Vc::Call(key)) => {
                let key = *key;
                let Some(leg) = self.legs.get_mut(&key) else {
                    return self.misuse();
                };
                // The caller may send once it has seen Connected; the callee after its Accept.
                let told = match key {
                    LegKey::Out(_) => leg.up_event.is_some_and(|n| self.events.seen(n)),
                    LegKey::In(..) => true,
                };
                if !told || !matches!(leg.machine, Machine::Call(s) if s.may_send()) {
                    return self.misuse();
                }
                leg.send_seq += 1;
                let head = emu::data_header(key.cref(), leg.send_seq);
                let to = leg.peer;
                self.push(Transmit::split(to, &head, sdu));
                self.counters.sdus_sent += 1;
            }
            Some(Vc::Root { parties, send_seq }) => {
                *send_seq += 1;
                let seq = *send_seq;
                for key in parties.values() {
                    let Some(leg) = self.legs.get(key) else {
                        continue;
                    };
                    // Guarantee 5: only the parties whose PartyAdded the engine has seen.
                    let told = leg.up_event.is_some_and(|n| self.events.seen(n));
                    if told && leg.machine == Machine::Party(PartyState::Active) {
                        let head = emu::data_header(key.cref(), seq);
                        let t = Transmit::split(leg.peer, &head, sdu.clone());
                        self.transmits.push_back(t);
                        self.counters.datagrams_out += 1;
                        self.counters.sdus_sent += 1;
                    }
                }
            }
            Some(Vc::Leaf(_)) | None => self.misuse(),
        }
    }

    /// A fresh call reference value: never 0, never one in use by a leg this side
    /// originated, advancing so that values are not reused soon after a leg ends.
    fn alloc_cref(&mut self) -> u32 {
        loop {
            let v = self.next_cref;
            self.next_cref = if v >= CallRef::MAX_VALUE { 1 } else { v + 1 };
            if !self.legs.contains_key(&LegKey::Out(v)) {
                return v;
            }
        }
    }

    /// Create a leg and enter its first state.
    #[allow(clippy::too_many_arguments)] // One constructor for four kinds of leg.
    pub(super) fn open_leg(
        &mut self,
        now: Instant,
        key: LegKey,
        peer: SocketAddr,
        vc: VcId,
        party: Option<PartyId>,
        machine: Machine,
        called: AtmAddress,
    ) {
        let (p, created) = self.peers.entry(peer);
        p.legs += 1;
        if let LegKey::In(..) = key {
            p.last_heard.get_or_insert(now);
        }
        if created {
            // Announce our instance before the first request, so that a peer holding legs
            // from our previous life learns of the restart before it sees new calls.
            let ka = Datagram::Keepalive {
                instance: self.instance,
            };
            self.push(Transmit::message(peer, &ka));
            self.next_tick
                .get_or_insert(now + self.cfg.keepalive_interval);
        }
        if machine.awaits_engine() {
            self.peers.pending_up(&peer);
        }
        let leg = Leg {
            peer,
            vc,
            party,
            machine,
            attached: true,
            called,
            recv_seq: 0,
            send_seq: 0,
            tries: 0,
            retx_at: None,
            up_event: None,
        };
        self.legs.insert(key, leg);
        self.start_request(now, key);
    }

    /// Move a leg to `to`, keeping the peer's pending count, and start the new state's
    /// request, if it has one.
    fn enter(&mut self, now: Instant, key: LegKey, to: Machine) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        let was_pending = leg.machine.awaits_engine();
        leg.machine = to;
        leg.tries = 0;
        leg.retx_at = None;
        let peer = leg.peer;
        match (was_pending, to.awaits_engine()) {
            (false, true) => self.peers.pending_up(&peer),
            (true, false) => self.peers.pending_down(&peer),
            _ => {}
        }
        self.start_request(now, key);
    }

    /// Send the leg's state's request (first transmission) and arm its timer.
    fn start_request(&mut self, now: Instant, key: LegKey) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        if let Some(m) = leg.machine.request() {
            leg.tries = 1;
            self.arm(now, key);
            self.send(key, m);
        }
    }

    fn arm(&mut self, now: Instant, key: LegKey) {
        let at = now + self.cfg.retransmit_interval;
        if let Some(leg) = self.legs.get_mut(&key) {
            leg.retx_at = Some(at);
            self.retx.push(Reverse((at, key)));
        }
    }

    /// Run one input through the leg's machine and carry out the step; `data` is the DATA
    /// that triggered it, delivered if the step says so.
    pub(super) fn apply(
        &mut self,
        now: Instant,
        key: LegKey,
        input: Input,
        data: Option<(u64, &[u8])>,
    ) {
        let Some(leg) = self.legs.get(&key) else {
            return;
        };
        let step = leg.machine.step(input);
        if step.duplicate {
            self.counters.duplicates_answered += 1;
        }
        if step.ignored {
            self.counters.drop_protocol_error += 1;
        }
        if step.progress {
            if let Some(leg) = self.legs.get_mut(&key) {
                leg.tries = 1;
            }
        }
        if let Some(m) = step.answer {
            self.send(key, m);
        }
        for n in step.notify.into_iter().flatten() {
            self.notify(key, n, data);
        }
        match step.next {
            Next::Stay => {}
            Next::Go(m) => self.enter(now, key, m),
            Next::Gone => {
                let cause = match (step.answer, step.notify) {
                    (Some(Msg::ReleaseComplete(c) | Msg::AddPartyReject(c)), _) => c,
                    (_, [Some(Notify::Ended(c)), _]) => c,
                    _ => Cause::NORMAL,
                };
                self.remove_leg(now, key, cause);
            }
        }
    }

    fn notify(&mut self, key: LegKey, n: Notify, data: Option<(u64, &[u8])>) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        if !leg.attached {
            return;
        }
        let vc = leg.vc;
        let ev = match (n, leg.party) {
            (Notify::Connected, _) => VcEvent::Connected { vc },
            (Notify::PartyAdded, Some(party)) => VcEvent::PartyAdded { vc, party },
            (Notify::PartyAdded, None) => return,
            (Notify::Ended(cause), Some(party)) => VcEvent::PartyDropped { vc, party, cause },
            (Notify::Ended(cause), None) => VcEvent::Released { vc, cause },
            (Notify::Deliver, _) => {
                let Some((seq, sdu)) = data else { return };
                leg.recv_seq = seq;
                self.counters.sdus_delivered += 1;
                VcEvent::Received {
                    vc,
                    sdu: Bytes::copy_from_slice(sdu),
                }
            }
        };
        if let VcEvent::Released { .. } | VcEvent::PartyDropped { .. } = ev {
            self.detach(key);
        }
        let up = matches!(ev, VcEvent::Connected { .. } | VcEvent::PartyAdded { .. });
        let n = self.events.tell(ev);
        if up {
            if let Some(leg) = self.legs.get_mut(&key) {
                leg.up_event = Some(n);
            }
        }
    }

    /// Unlink a leg from the engine's handle (if that handle still names it).
    fn detach(&mut self, key: LegKey) {
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        if !leg.attached {
            return;
        }
        leg.attached = false;
        let (vc, party) = (leg.vc, leg.party);
        match (self.vcs.get_mut(&vc), party) {
            (Some(Vc::Root { parties, .. }), Some(p)) if parties.get(&p) == Some(&key) => {
                parties.remove(&p);
            }
            (Some(Vc::Call(k) | Vc::Leaf(k)), None) if *k == key => {
                self.vcs.remove(&vc);
            }
            _ => {}
        }
    }

    pub(super) fn remove_leg(&mut self, now: Instant, key: LegKey, cause: Cause) {
        self.detach(key);
        let Some(leg) = self.legs.remove(&key) else {
            return;
        };
        if leg.machine.awaits_engine() {
            self.peers.pending_down(&leg.peer);
        }
        if let Some(p) = self.peers.get_mut(&leg.peer) {
            p.legs = p.legs.saturating_sub(1);
        }
        self.peers.forget_if_idle(&leg.peer);
        if let LegKey::In(from, v) = key {
            let kind = match leg.machine {
                Machine::Call(_) => TombKind::Call,
                Machine::Party(_) => TombKind::Party,
            };
            self.tombs.insert(now, (from, v), kind, cause);
        }
        if self.peers.is_empty() {
            self.next_tick = None;
        }
    }

    /// Send `m` on the leg `key`.
    pub(super) fn send(&mut self, key: LegKey, m: Msg) {
        let Some(leg) = self.legs.get(&key) else {
            return;
        };
        let cref = key.cref();
        let setup = CallSetup {
            cref,
            calling: self.me,
            called: leg.called,
        };
        let d = match m {
            Msg::Setup => Datagram::Setup(setup),
            Msg::AddParty => Datagram::AddParty(setup),
            Msg::CallProceeding => Datagram::CallProceeding(cref),
            Msg::PartyAlerting => Datagram::PartyAlerting(cref),
            Msg::Connect => Datagram::Connect(cref),
            Msg::ConnectAck => Datagram::ConnectAck(cref),
            Msg::Release(c) => Datagram::Release(cref, c.0),
            Msg::ReleaseComplete(c) => Datagram::ReleaseComplete(cref, c.0),
            Msg::AddPartyAck => Datagram::AddPartyAck(cref),
            Msg::AddPartyReject(c) => Datagram::AddPartyReject(cref, c.0),
            Msg::DropParty(c) => Datagram::DropParty(cref, c.0),
            Msg::DropPartyAck => Datagram::DropPartyAck(cref),
        };
        let to = leg.peer;
        self.push(Transmit::message(to, &d));
    }

    pub(super) fn push(&mut self, t: Transmit) {
        self.counters.datagrams_out += 1;
        self.transmits.push_back(t);
    }

    /// Every keepalive interval: declare silent peers dead, and tell the others we live.
    fn liveness_tick(&mut self, now: Instant) {
        let dead_after = self.cfg.dead_after();
        let addrs: Vec<SocketAddr> = self.peers.addrs().collect();
        for at in addrs {
            let silent = self
                .peers
                .get(&at)
                .is_some_and(|p| p.is_silent(now, dead_after));
            if silent {
                tracing::info!(peer = %at, "peer silent for {:?}: lost", dead_after);
                self.peer_lost(now, at);
            } else {
                let ka = Datagram::Keepalive {
                    instance: self.instance,
                };
                self.push(Transmit::message(at, &ka));
            }
        }
        self.next_tick = (!self.peers.is_empty()).then(|| now + self.cfg.keepalive_interval);
    }

    /// The peer died, was partitioned away or restarted: every leg with it ends with cause
    /// #27 (contract: "the network itself releases VCs … with cause 27").
    pub(super) fn peer_lost(&mut self, now: Instant, at: SocketAddr) {
        self.counters.peers_lost += 1;
        let mut keys: Vec<LegKey> = self
            .legs
            .iter()
            .filter(|(_, l)| l.peer == at)
            .map(|(k, _)| *k)
            .collect();
        keys.sort();
        for key in keys {
            self.apply(now, key, Input::PeerDead, None);
        }
    }
}
