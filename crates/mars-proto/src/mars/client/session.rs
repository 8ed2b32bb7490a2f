//! The association with the MARS: the point-to-point VC, registration and deregistration
//! (§5.2.3, RFC 2149 §4.1.1), the MARS table and failover (§5.4.1, §5.4.2) with the looping
//! guard of Appendix E, soft redirects (§5.4.3), and Cluster Sequence Number tracking
//! (§5.1.4.2).
//!
//! The registration state machine, one `match (state, event)` in [`Endpoint::reg_fsm`]:
//!
//! ```text
//!  Idle ──start──▶ Connecting ──Connected──▶ Registering ──copy──▶ Registered
//!                   │  ▲                       │                      │
//!          fail ────┘  └──── Waiting ◀──fail───┘      ◀──── failure ──┘
//!                       (1–10 s after a failure of the current MARS; the force wait
//!                        after a failed re-registration; §5.4.1, §5.4.2)
//!  Registered ──deregister──▶ Deregistering ──copy──▶ Idle
//! ```
//!
//! Failure policy (§5.4.1, §5.4.2): a registered endpoint that finds its MARS failed waits a
//! random 1–10 s and re-registers with the same MARS. If that fails and other MARSs are
//! known, it moves to the next one at once; each later failure waits the force-wait time
//! (≥ 1 min) before moving on, wrapping at the end of the table. With one MARS it waits the
//! force-wait time between attempts.
//!
//! Looping guard (Appendix E, "Force wait if MARS re-registration is looping"): decision —
//! when `loop_limit` re-registrations (after faults or redirects) have started within one
//! force-wait period, the next one waits until that period has passed. This stops two MARSs
//! that redirect to each other, or a MARS that accepts registrations and then fails at once,
//! from holding the endpoint in a tight loop.

use std::collections::VecDeque;

use mars_wire::mars::{Flags, Join, MarsBody, MarsOp};
use mars_wire::{AtmAddress, Csn, MsnCheck};

use super::config::EndpointConfig;
use super::endpoint::{Endpoint, Role, TimerKey};
use super::reliable::Purpose;
use super::report::{ClientEvent, Discard, FailureReason, RegistrationCause};
use crate::time::Instant;
use crate::vc::{Cause, VcId, VcRequest};

/// Registration state (RFC 2417 `marsClientRegistration` is derived from it and the cause).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RegState {
    /// Not registered and not trying (before start, after deregistration).
    Idle,
    /// Waiting before (re)connecting (§5.4.1, §5.4.2).
    Waiting,
    /// The point-to-point VC to the MARS is being set up.
    Connecting,
    /// The registration is sent; waiting for its copy (§5.2.3).
    Registering,
    /// Registered: a CMI is assigned.
    Registered,
    /// The deregistration is sent; waiting for its copy.
    Deregistering,
}

/// The point-to-point VC to the current MARS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MarsVc {
    /// None open.
    Down,
    /// Connect sent.
    Connecting(VcId),
    /// Open.
    Up(VcId),
}

/// What to do when a wait ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterWait {
    /// Try the current MARS again.
    SameMars,
    /// Move to the next MARS in the table first.
    NextMars,
}

/// A soft redirect in progress (§5.4.3): registering with `target` on a second VC while the
/// current registration stays in use.
#[derive(Debug, Clone)]
pub(crate) struct SoftRedirect {
    pub target: AtmAddress,
    pub vc: VcId,
    pub up: bool,
    pub sent: u32,
    pub reg: Join,
}

/// The association with the MARS.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The MARS table configured (§5.4).
    pub configured: Vec<AtmAddress>,
    /// The MARSs of the last MARS_REDIRECT_MAP, inserted at the top of the table (§5.4.3).
    pub learned: Vec<AtmAddress>,
    /// The current MARS.
    pub current: AtmAddress,
    pub state: RegState,
    pub cause: RegistrationCause,
    /// The CMI (0 before registration, and for an MCS).
    pub cmi: u16,
    /// Whether a registration has ever completed (a CMI is known for `pkt$cmi`).
    pub ever_registered: bool,
    /// The Host Sequence Number (§5.1.4.2); the MCS's "MSN" (RFC 2149 §4.5.1).
    pub hsn: Csn,
    pub mars_vc: MarsVc,
    /// Messages waiting for the point-to-point VC (bounded).
    pub pending_tx: VecDeque<mars_wire::mars::MarsMessage>,
    /// Last use of the point-to-point VC.
    pub mars_vc_used: Instant,
    /// ClusterControlVC (ServerControlVC) from the current MARS, once it called us.
    pub control_vc: Option<VcId>,
    /// Registration attempts failed since the last success.
    pub failed_attempts: u32,
    pub after_wait: AfterWait,
    /// Starts of recent re-registrations, for the looping guard.
    pub recent_starts: VecDeque<Instant>,
    /// The reliable id of the registration or deregistration in flight.
    pub reg_id: Option<u32>,
    pub soft: Option<SoftRedirect>,
}

/// Most control messages held while the VC to the MARS is set up.
const PENDING_TX_LIMIT: usize = 256;

impl Session {
    pub fn new(cfg: &EndpointConfig) -> Self {
        Session {
            configured: cfg.mars.clone(),
            learned: Vec::new(),
            current: cfg.mars.first().copied().unwrap_or_default(),
            state: RegState::Idle,
            cause: RegistrationCause::Initial,
            cmi: 0,
            ever_registered: false,
            hsn: Csn(0),
            mars_vc: MarsVc::Down,
            pending_tx: VecDeque::new(),
            mars_vc_used: Instant::ZERO,
            control_vc: None,
            failed_attempts: 0,
            after_wait: AfterWait::SameMars,
            recent_starts: VecDeque::new(),
            reg_id: None,
            soft: None,
        }
    }

    /// The MARS table in use: the redirect map's entries, then the configured ones not in it.
    pub fn table(&self) -> Vec<AtmAddress> {
        let mut t = self.learned.clone();
        for a in &self.configured {
            if !t.contains(a) {
                t.push(*a);
            }
        }
        t
    }

    /// Whether `vc` is the point-to-point VC to the current MARS.
    pub fn is_mars_vc(&self, vc: VcId) -> bool {
        matches!(self.mars_vc, MarsVc::Connecting(v) | MarsVc::Up(v) if v == vc)
    }

    /// Whether `vc` is the VC of a soft redirect in progress.
    pub fn is_soft_vc(&self, vc: VcId) -> bool {
        self.soft.as_ref().is_some_and(|s| s.vc == vc)
    }

    /// Whether the endpoint can talk to the MARS (registered).
    pub fn registered(&self) -> bool {
        self.state == RegState::Registered
    }
}

/// Inputs of the registration state machine.
#[derive(Debug, Clone, Copy)]
enum RegEvent {
    /// Start (or restart after a wait).
    Start,
    /// The point-to-point VC is up.
    Connected,
    /// The registration copy came back with this CMI and MSN.
    Copy(u16, Csn),
    /// The attempt failed, or the registered MARS failed.
    Fail(FailureReason),
    /// The host asked to deregister.
    Deregister,
    /// The deregistration copy came back (or gave up).
    DeregDone,
}

impl Endpoint {
    /// The registration state machine (see the module docs).
    fn reg_fsm(&mut self, ev: RegEvent) {
        use RegState as S;
        match (self.session.state, ev) {
            (S::Idle | S::Waiting, RegEvent::Start) => self.connect_mars(),
            (S::Connecting, RegEvent::Connected) => {
                self.session.state = S::Registering;
                self.send_registration();
            }
            (S::Registering, RegEvent::Copy(cmi, msn)) => self.registration_done(cmi, msn),
            (S::Connecting | S::Registering, RegEvent::Fail(reason)) => self.attempt_failed(reason),
            (S::Registered, RegEvent::Fail(reason)) => self.registered_mars_failed(reason),
            (S::Registered, RegEvent::Deregister) => {
                self.session.state = S::Deregistering;
                let id = self.send_reliable(Purpose::Deregister);
                self.session.reg_id = id;
            }
            (S::Deregistering, RegEvent::DeregDone | RegEvent::Fail(_)) => self.deregistered(),
            (S::Registered, RegEvent::Copy(..)) => {
                // A late duplicate of our registration: the CMI cannot change without a new
                // registration, so it only confirms what we know.
            }
            (state, ev) => {
                // Events that do not apply in this state (a late Connected, a failure while
                // idle) change nothing.
                let _ = (state, ev);
            }
        }
    }

    /// Start a registration for `cause`.
    pub(crate) fn start_registration(&mut self, cause: RegistrationCause) {
        self.session.cause = cause;
        if cause != RegistrationCause::Initial && self.looping_guard() {
            return;
        }
        self.reg_fsm(RegEvent::Start);
    }

    /// Apply the looping guard; true if the start was deferred.
    fn looping_guard(&mut self) -> bool {
        let window = self.cfg.timers.force_wait;
        let now = self.now;
        let limit = self.cfg.timers.loop_limit.max(1) as usize;
        let s = &mut self.session;
        while s
            .recent_starts
            .front()
            .is_some_and(|&t| now.saturating_since(t) >= window)
        {
            s.recent_starts.pop_front();
        }
        if s.recent_starts.len() >= limit {
            let until = s.recent_starts.front().map_or(now, |&t| t + window);
            s.recent_starts.clear();
            s.state = RegState::Waiting;
            s.after_wait = AfterWait::SameMars;
            self.timers.set(TimerKey::Reconnect, until);
            self.event(ClientEvent::LoopingGuard { until });
            return true;
        }
        s.recent_starts.push_back(now);
        false
    }

    fn connect_mars(&mut self) {
        self.session.state = RegState::Connecting;
        match self.session.mars_vc {
            MarsVc::Up(_) => self.reg_fsm(RegEvent::Connected),
            MarsVc::Connecting(_) => {}
            MarsVc::Down => self.open_mars_vc(),
        }
    }

    fn open_mars_vc(&mut self) {
        let vc = self.alloc_vc();
        self.session.mars_vc = MarsVc::Connecting(vc);
        let to = self.session.current;
        self.request(VcRequest::Connect { vc, to });
    }

    pub(crate) fn mars_vc_connected(&mut self, vc: VcId) {
        self.session.mars_vc = MarsVc::Up(vc);
        self.session.mars_vc_used = self.now;
        self.arm_mars_vc_idle();
        while let Some(m) = self.session.pending_tx.pop_front() {
            self.transmit(vc, &m);
        }
        self.reg_fsm(RegEvent::Connected);
    }

    pub(crate) fn mars_vc_released(&mut self, cause: Cause) {
        let was_connecting = matches!(self.session.mars_vc, MarsVc::Connecting(_));
        self.session.mars_vc = MarsVc::Down;
        self.timers.cancel(TimerKey::MarsVcIdle);
        match self.session.state {
            RegState::Connecting | RegState::Registering => {
                self.reg_fsm(RegEvent::Fail(FailureReason::ConnectFailed(cause)))
            }
            RegState::Registered if was_connecting => {
                // §5.4: "It fails to establish a point to point VC to the MARS."
                self.reg_fsm(RegEvent::Fail(FailureReason::ConnectFailed(cause)))
            }
            // Registered: the VC is reopened when next needed; a dead MARS shows then.
            _ => {}
        }
    }

    /// Send a message to the current MARS on the point-to-point VC, opening it if needed.
    pub(crate) fn send_to_mars(&mut self, msg: mars_wire::mars::MarsMessage) {
        match self.session.mars_vc {
            MarsVc::Up(vc) => {
                self.session.mars_vc_used = self.now;
                self.transmit(vc, &msg);
            }
            state => {
                if self.session.pending_tx.len() >= PENDING_TX_LIMIT {
                    self.session.pending_tx.pop_front();
                }
                self.session.pending_tx.push_back(msg);
                if state == MarsVc::Down {
                    self.open_mars_vc();
                }
            }
        }
    }

    fn arm_mars_vc_idle(&mut self) {
        let at = self.session.mars_vc_used + self.cfg.timers.mars_vc_idle;
        self.timers.set(TimerKey::MarsVcIdle, at);
    }

    pub(crate) fn on_mars_vc_idle(&mut self) {
        let MarsVc::Up(vc) = self.session.mars_vc else {
            return;
        };
        let idle_at = self.session.mars_vc_used + self.cfg.timers.mars_vc_idle;
        let busy = !self.reliable.is_empty()
            || self.groups.values().any(|g| g.resolving.is_some())
            || self.session.state != RegState::Registered;
        if self.now < idle_at || busy {
            let at = idle_at.max(self.now + self.cfg.timers.join_leave_interval);
            self.timers.set(TimerKey::MarsVcIdle, at);
            return;
        }
        // §5: the VC "is dismantled if not used for a configurable period of time".
        self.request(VcRequest::Release {
            vc,
            cause: Cause::NORMAL,
        });
        self.session.mars_vc = MarsVc::Down;
    }

    /// The registration message: MARS_JOIN (client) or MARS_MSERV (MCS) with `register` set,
    /// no pairs, `mar$cmi` 0 (§5.2.3, RFC 2149 §4.1.1).
    pub(crate) fn registration_message(&self, register: bool) -> Join {
        Join::new(
            self.cfg.address,
            self.cfg.protocol_address,
            Flags(0).with_register(register),
            Vec::new(),
        )
    }

    fn send_registration(&mut self) {
        let id = self.send_reliable(Purpose::Register);
        self.session.reg_id = id;
    }

    /// The copy of our registration came back (from [`Endpoint::on_own_copy`]).
    pub(crate) fn registration_copy(&mut self, cmi: u16, msn: Csn) {
        self.reg_fsm(RegEvent::Copy(cmi, msn));
    }

    fn registration_done(&mut self, cmi: u16, msn: Csn) {
        let s = &mut self.session;
        s.state = RegState::Registered;
        s.reg_id = None;
        s.cmi = cmi;
        s.ever_registered = true;
        s.failed_attempts = 0;
        // §5.1.4.2: "the HSN will be correctly updated to the current CSN value when the
        // endpoint receives the copy of its MARS_JOIN back" — a baseline, not a jump.
        s.hsn = msn;
        let (mars, cause) = (s.current, s.cause);
        self.counters.registrations += 1;
        self.arm_redirect_miss();
        self.event(ClientEvent::Registered { mars, cmi, cause });
        let recovering = matches!(
            cause,
            RegistrationCause::Fault | RegistrationCause::HardRedirect
        );
        // §5.4.1: rejoin every group, with a random delay before each MARS_JOIN, and
        // revalidate every group sent to "as though a sequence number jump had been
        // detected". The first registration just sends what the host asked for so far.
        self.rejoin_all(recovering);
        if recovering {
            self.revalidate_all(None);
        }
        self.send_deferred_requests();
    }

    fn attempt_failed(&mut self, reason: FailureReason) {
        let mars = self.session.current;
        self.counters.mars_failures += 1;
        self.event(ClientEvent::MarsFailure { mars, reason });
        self.drop_mars_vcs();
        self.session.failed_attempts += 1;
        let table = self.session.table().len();
        if table > 1 && self.session.failed_attempts == 1 {
            // §5.4.2: "the next MARS address on the list is chosen ... and the cluster member
            // immediately restarts the re-registration procedure".
            self.next_mars();
            self.session.state = RegState::Idle;
            self.start_registration(self.session.cause);
        } else {
            // §5.4.1/§5.4.2: "MUST wait for at least 1 minute".
            self.session.after_wait = if table > 1 {
                AfterWait::NextMars
            } else {
                AfterWait::SameMars
            };
            self.wait(self.cfg.timers.force_wait);
        }
    }

    fn registered_mars_failed(&mut self, reason: FailureReason) {
        let mars = self.session.current;
        self.counters.mars_failures += 1;
        self.event(ClientEvent::MarsFailure { mars, reason });
        self.drop_mars_vcs();
        self.session.failed_attempts = 0;
        self.session.cause = RegistrationCause::Fault;
        // §5.4.1: "wait a random period of time between 1 and 10 seconds before attempting
        // to re-connect and re-register with the MARS".
        self.session.after_wait = AfterWait::SameMars;
        let d = self.random(self.cfg.timers.reregister_delay);
        self.wait(d);
    }

    fn wait(&mut self, d: std::time::Duration) {
        self.session.state = RegState::Waiting;
        self.timers.set(TimerKey::Reconnect, self.now + d);
    }

    pub(crate) fn on_reconnect_timer(&mut self) {
        if self.session.state != RegState::Waiting {
            return;
        }
        if self.session.after_wait == AfterWait::NextMars {
            self.next_mars();
        }
        self.session.after_wait = AfterWait::SameMars;
        let cause = match self.session.cause {
            RegistrationCause::Initial if self.session.ever_registered => RegistrationCause::Fault,
            c => c,
        };
        self.start_registration(cause);
    }

    /// Make the next MARS of the table current (§5.4.2, wrapping at the end).
    fn next_mars(&mut self) {
        let t = self.session.table();
        let from = self.session.current;
        let i = t
            .iter()
            .position(|a| *a == from)
            .map_or(0, |i| (i + 1) % t.len().max(1));
        if let Some(&to) = t.get(i) {
            self.change_mars(to);
        }
    }

    /// Switch the current MARS to `to` (VCs to the old one are already dropped).
    pub(crate) fn change_mars(&mut self, to: AtmAddress) {
        let from = self.session.current;
        if from == to {
            return;
        }
        self.session.current = to;
        self.counters.mars_changes += 1;
        self.event(ClientEvent::MarsChanged { from, to });
    }

    /// Release the point-to-point VC and the control VC of the current MARS and abandon
    /// what was in flight with it; outgoing VCs stay up (§5.4.1: "must not disrupt the
    /// cluster member's use of multipoint VCs that were already open").
    pub(crate) fn drop_mars_vcs(&mut self) {
        if let MarsVc::Connecting(vc) | MarsVc::Up(vc) = self.session.mars_vc {
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        self.session.mars_vc = MarsVc::Down;
        self.session.pending_tx.clear();
        if let Some(vc) = self.session.control_vc.take() {
            self.incoming.remove(&vc);
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        self.timers.cancel(TimerKey::MarsVcIdle);
        self.timers.cancel(TimerKey::RedirectMiss);
        self.session.reg_id = None;
        for o in self.reliable.clear() {
            self.timers.cancel(TimerKey::Retransmit(o.id));
        }
        self.memberships_unconfirmed();
        self.defer_requests();
        self.abandon_soft();
    }

    /// The MARS failed while we were registered, or during an attempt.
    pub(crate) fn mars_failed(&mut self, reason: FailureReason) {
        self.reg_fsm(RegEvent::Fail(reason));
    }

    pub(crate) fn control_vc_released(&mut self, cause: Cause) {
        // §5.4: "it may also use connection failures on this VC to indicate problems with
        // the MARS".
        if matches!(
            self.session.state,
            RegState::Registered | RegState::Registering
        ) {
            self.mars_failed(FailureReason::ControlVcReleased(cause));
        }
    }

    fn arm_redirect_miss(&mut self) {
        let at = self.now + self.cfg.timers.redirect_map_miss_limit;
        self.timers.set(TimerKey::RedirectMiss, at);
    }

    /// A complete MARS_REDIRECT_MAP arrived: the MARS is alive.
    pub(crate) fn redirect_map_seen(&mut self) {
        if self.session.registered() {
            self.arm_redirect_miss();
        }
    }

    pub(crate) fn on_redirect_miss(&mut self) {
        if self.session.registered() {
            self.mars_failed(FailureReason::RedirectMapsMissed);
        }
    }

    /// Deregister (§5.2.3); completes with [`ClientEvent::Deregistered`].
    pub(crate) fn deregister(&mut self) {
        self.reg_fsm(RegEvent::Deregister);
    }

    /// The deregistration copy came back.
    pub(crate) fn deregistration_copy(&mut self) {
        self.reg_fsm(RegEvent::DeregDone);
    }

    fn deregistered(&mut self) {
        self.drop_mars_vcs();
        self.session.state = RegState::Idle;
        self.session.cmi = 0;
        self.session.ever_registered = false;
        // A deregistered member is no longer anyone's leaf, nor anyone's sender.
        let vcs: Vec<VcId> = self.incoming.keys().copied().collect();
        for vc in vcs {
            self.incoming.remove(&vc);
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        let groups: Vec<_> = self.groups.keys().copied().collect();
        for g in groups {
            self.close_group(g, None);
        }
        self.event(ClientEvent::Deregistered);
    }

    /// A registration attempt or the registered MARS failed.
    pub(crate) fn registration_gave_up(&mut self) {
        self.reg_fsm(RegEvent::Fail(FailureReason::RetransmitLimit));
    }

    /// Track `mar$msn` (§5.1.4.2). `except` is a group just validated by the message itself
    /// (§5.1.5.2). Returns whether a jump was seen.
    pub(crate) fn track_msn(&mut self, msn: Csn, except: Option<mars_wire::ProtoAddr>) -> bool {
        let check = self.session.hsn.check(msn);
        let hsn = self.session.hsn;
        self.session.hsn = msn;
        let MsnCheck::Jump { .. } = check else {
            return false;
        };
        if !self.session.registered() {
            return false;
        }
        self.counters.sequence_jumps += 1;
        self.event(ClientEvent::SequenceJump { hsn, msn });
        // §5.1.5.2: "every outgoing multicast VC MUST have its VC_revalidate flag set true at
        // some random interval between 1 and 10 seconds".
        self.revalidate_all(except);
        true
    }

    // ----- soft redirect (§5.4.3) -----------------------------------------------------------

    /// "open a point to point VC to the first ATM address [and] attempt a registration".
    pub(crate) fn start_soft_redirect(&mut self, target: AtmAddress) {
        if self.session.soft.is_some() {
            return;
        }
        let vc = self.alloc_vc();
        let mut reg = self.registration_message(true);
        if self.role == Role::Mcs {
            reg.flags = reg.flags.with_sequence(0);
        }
        self.session.soft = Some(SoftRedirect {
            target,
            vc,
            up: false,
            sent: 0,
            reg,
        });
        self.request(VcRequest::Connect { vc, to: target });
    }

    pub(crate) fn soft_connected(&mut self, vc: VcId) {
        if let Some(s) = self.session.soft.as_mut() {
            if s.vc == vc {
                s.up = true;
                self.on_soft_retransmit();
            }
        }
    }

    pub(crate) fn on_soft_retransmit(&mut self) {
        let Some(s) = self.session.soft.as_mut() else {
            return;
        };
        if !s.up {
            return;
        }
        if s.sent > self.cfg.timers.join_leave_limit {
            return self.soft_failed();
        }
        s.sent += 1;
        let (vc, reg) = (s.vc, s.reg.clone());
        let op = self.registration_op();
        self.count_tx(op);
        let body = MarsBody::join_layout(op, reg);
        if let Some(b) = body {
            let m = self.message(b);
            self.transmit(vc, &m);
        }
        let at = self.now + self.cfg.timers.join_leave_interval;
        self.timers.set(TimerKey::SoftRetransmit, at);
    }

    /// A message on the soft redirect's VC: its registration copy completes the redirect.
    pub(crate) fn soft_message(&mut self, op: MarsOp, j: &Join) {
        let Some(s) = self.session.soft.clone() else {
            return;
        };
        let ok = op == self.registration_op()
            && j.source == self.cfg.address
            && j.flags.register()
            && j.flags.copy()
            && !j.flags.punched()
            && (self.role == Role::Mcs || j.cmi != 0);
        if !ok {
            return self.discard(Some(s.vc), Discard::NotFromCurrentMars);
        }
        // "If the registration succeeds, the cluster member shuts down its point to point VC
        // to the current MARS ... and then proceeds to use the newly opened point to point VC
        // ... The cluster member does NOT attempt to rejoin ... or revalidate".
        self.session.soft = None;
        self.timers.cancel(TimerKey::SoftRetransmit);
        if let MarsVc::Connecting(vc) | MarsVc::Up(vc) = self.session.mars_vc {
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        if let Some(vc) = self.session.control_vc.take() {
            self.incoming.remove(&vc);
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
        self.session.mars_vc = MarsVc::Up(s.vc);
        self.session.mars_vc_used = self.now;
        self.change_mars(s.target);
        // The new MARS's ClusterControlVC may already have called us.
        self.session.control_vc = self
            .incoming
            .iter()
            .find(|(_, v)| v.control && v.from == s.target)
            .map(|(vc, _)| *vc);
        self.session.hsn = j.msn;
        self.session.cmi = j.cmi;
        self.counters.registrations += 1;
        self.arm_redirect_miss();
        self.arm_mars_vc_idle();
        let cmi = j.cmi;
        self.event(ClientEvent::Registered {
            mars: s.target,
            cmi,
            cause: RegistrationCause::SoftRedirect,
        });
        // Reliable messages in flight continue on the new VC at their next retransmission.
    }

    /// The soft redirect failed: stay with the current MARS.
    pub(crate) fn soft_failed(&mut self) {
        self.abandon_soft();
    }

    fn abandon_soft(&mut self) {
        if let Some(s) = self.session.soft.take() {
            self.request(VcRequest::Release {
                vc: s.vc,
                cause: Cause::NORMAL,
            });
            self.timers.cancel(TimerKey::SoftRetransmit);
            let stale: Vec<VcId> = self
                .incoming
                .iter()
                .filter(|(_, v)| v.control && v.from == s.target)
                .map(|(vc, _)| *vc)
                .collect();
            for vc in stale {
                self.incoming.remove(&vc);
                self.request(VcRequest::Release {
                    vc,
                    cause: Cause::NORMAL,
                });
            }
        }
    }

    /// MARS_JOIN for a client, MARS_MSERV for an MCS.
    pub(crate) fn registration_op(&self) -> MarsOp {
        match self.role {
            Role::Client => MarsOp::Join,
            Role::Mcs => MarsOp::Mserv,
        }
    }
}
