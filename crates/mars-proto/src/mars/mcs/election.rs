//! Multiple MCSs for a group (RFC 2149 §5): the heartbeat of the active MCS and the election
//! of a new one, for one "mcslist" and the set of groups it serves.
//!
//! Sans-IO like every engine here: [`Election`] takes HELLOs, VC events of its own VCs and
//! timer expiries, and queues [`Output`]s (VC requests, "serve the groups now", events). The
//! [`super::Mcs`] routes VCs to it and turns `Serve` into MARS_MSERV `<G,G>`.
//!
//! The whole protocol is one table, [`Election::step`], `match (state, input)`.
//!
//! Decisions where §5 is loose (also in `docs/mars-client.md`):
//! - **Registration.** Every MCS registers *itself* with the MARS (MARS_MSERV with `register`
//!   set); only the active one serves the groups of the list ("does not register for
//!   supporting the group", §5.2).
//! - **The first HELLO** goes out when the first MCS's groups are all served ("After
//!   registering to support the group with the MARS, the first MCS … MUST open a
//!   point-to-multipoint VC", §5.4), and again whenever a leaf is added, so that a re-added
//!   MCS hears at once.
//! - **"At least half of the remaining inactive MCSs"**: the remaining inactive MCSs are the
//!   MCSs of the list the candidate does not know to be dead; the candidate needs
//!   `ceil(n / 2)` answers, so with none remaining (the last MCS alive) it is elected at once.
//!   It is elected as soon as it has them ("during this period"); waiting for the whole period
//!   first would race the inactives' own HelloInterval*DeadFactor timers.
//! - **A candidate that is not elected** within its period considers itself failed (the other
//!   MCSs do, and "A failed MCS cannot be started up again", §5.1): it closes its HelloVC.
//! - **A closed HelloVC of a candidate** ends the election for it at once, as a closed HelloVC
//!   of the active does (§5.2); the next MCS becomes the candidate.
//! - **Re-adding leaves** (§5.5.2) is done by the owner of the HelloVC, active or candidate:
//!   the first attempt at once, the next ones HelloInterval*DeadFactor after the previous one.
//!   A leaf whose first add fails is treated as one that dropped off.
//! - **One HELLO per list.** A list serving several groups sends one HELLO per HelloInterval
//!   carrying the first group of the list; a HELLO naming any group of the list is taken for
//!   the list ("Support MUST be provided for the use of a single mcslist for more than one
//!   group", §5.4).

use std::collections::{BTreeSet, VecDeque};
use std::net::Ipv4Addr;
use std::time::Duration;

use bytes::Bytes;
use mars_wire::mcs_hello::{HelloState, McsHello};
use mars_wire::{AtmAddr, AtmAddress, ProtoAddr};

use crate::time::{Instant, Timers};
use crate::vc::{Cause, PartyId, VcId, VcRequest};

/// The RFC gives no default HelloInterval; dmars uses 3 s (as SCSP's Hello does).
pub const DEFAULT_HELLO_INTERVAL: u16 = 3;
/// The RFC gives no default DeadFactor; dmars uses 3.
pub const DEFAULT_DEAD_FACTOR: u16 = 3;
/// §5.5.2: "for three attempts".
pub const READD_ATTEMPTS: u8 = 3;

/// One "mcslist" and the groups it serves (RFC 2149 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McsList {
    /// The MCSs, in the same order at every MCS; this MCS is one of them.
    pub mcslist: Vec<AtmAddress>,
    /// The IPv4 groups the list serves; one list may serve several (§5.4).
    pub groups: Vec<ProtoAddr>,
    /// HelloInterval at startup and during elections, seconds (§5.4, §5.5.1).
    pub hello_interval: u16,
    /// DeadFactor at startup and during elections (§5.4, §5.5.1).
    pub dead_factor: u16,
}

impl McsList {
    /// A list with the default timers.
    pub fn new(mcslist: Vec<AtmAddress>, groups: Vec<ProtoAddr>) -> Self {
        McsList {
            mcslist,
            groups,
            hello_interval: DEFAULT_HELLO_INTERVAL,
            dead_factor: DEFAULT_DEAD_FACTOR,
        }
    }
}

/// Where this MCS stands for one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ElectionState {
    /// First in the list, waiting for the MARS to confirm its groups (§5.4).
    Starting,
    /// Serving the groups and sending Elected HELLOs on the HelloVC.
    Active,
    /// Standing by, expecting HELLOs from the active MCS.
    Inactive,
    /// Inactive during an election: answering the candidate (§5.5.1).
    Voting,
    /// The candidate: sending No-Op HELLOs and counting answers (§5.5.1).
    Candidate,
    /// Not elected in time, or not in its own list: never serves again (§5.5.2).
    Failed,
}

/// What the election reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum ElectionEvent {
    /// This MCS became the active one (first in the list, or elected).
    Active { elected: bool },
    /// The active MCS was declared failed (§5.5.1).
    ActiveFailed { mcs: AtmAddress, vc_closed: bool },
    /// `mcs` is the candidate now (possibly this MCS).
    Candidate { mcs: AtmAddress },
    /// The candidate was not elected in time (or its HelloVC closed).
    CandidateFailed { mcs: AtmAddress },
    /// `mcs` was elected; this MCS follows it.
    NewActive { mcs: AtmAddress },
    /// This MCS was not elected within its period: it has failed.
    NotElected { heard: usize, needed: usize },
    /// An inactive MCS could not be re-added after three attempts (§5.5.2).
    InactiveDead { mcs: AtmAddress },
    /// This MCS's address is not in the list: the list is not served.
    NotInList,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ElectionStats {
    pub hellos_sent: u64,
    pub hellos_received: u64,
    /// HELLOs from an MCS that is neither the active nor the candidate, or out of turn.
    pub hellos_ignored: u64,
    /// HELLOs that were malformed or inconsistent (dropped).
    pub hellos_bad: u64,
    /// Elections this MCS took part in (as candidate or inactive).
    pub elections: u64,
    /// Times this MCS was elected.
    pub elected: u64,
    /// AddParty attempts to re-add a dropped inactive MCS (§5.5.2).
    pub readds: u64,
}

/// A snapshot for operators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ElectionSnapshot {
    pub state: ElectionState,
    pub groups: Vec<ProtoAddr>,
    pub mcslist: Vec<AtmAddress>,
    /// The active MCS or candidate this MCS follows (itself when active or candidate).
    pub leader: AtmAddress,
    pub dead: Vec<AtmAddress>,
    pub hello_interval: u16,
    pub dead_factor: u16,
    pub stats: ElectionStats,
}

/// What the election asks of the MCS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A request for the network.
    Vc(VcRequest),
    /// Serve the list's groups now (MARS_MSERV `<G,G>` each).
    Serve,
    /// An event.
    Event(ElectionEvent),
}

/// Inputs of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// The MARS confirmed every group of the list.
    Served,
    /// A well-formed HELLO from list member `from`.
    Hello {
        from: usize,
        hello: McsHello,
    },
    /// A VC that list member `from` opened to us was released.
    PeerVcClosed {
        from: usize,
    },
    /// Our answer VC to the candidate connected or closed.
    AnswerConnected,
    AnswerClosed,
    /// A leaf of our HelloVC was added or dropped.
    LeafAdded {
        idx: usize,
    },
    LeafDropped {
        idx: usize,
    },
    /// Our HelloVC was released by the network.
    HelloVcClosed,
    Timer(Timer),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Send the next HELLO (active, candidate).
    Hello,
    /// HelloInterval*DeadFactor: the active is dead (inactive), the candidate failed (voting),
    /// the election period is over (candidate).
    Dead,
    /// Retransmit the answer to the candidate (§5.5.1).
    Answer,
    /// Re-add a dropped leaf (§5.5.2).
    Readd(usize),
}

#[derive(Debug, Clone, Copy)]
struct Leaf {
    party: PartyId,
    up: bool,
    attempts: u8,
}

/// The election for one list. See the [module documentation](self).
#[derive(Debug)]
pub struct Election {
    cfg: McsList,
    me: usize,
    state: ElectionState,
    leader: usize,
    hi: u16,
    df: u16,
    dead: Vec<bool>,
    hello_vc: Option<VcId>,
    leaves: Vec<Option<Leaf>>,
    answer_vc: Option<(VcId, bool)>,
    heard: BTreeSet<usize>,
    timers: Timers<Timer>,
    next_vc: u64,
    next_party: u32,
    out: VecDeque<Output>,
    stats: ElectionStats,
}

impl Election {
    /// The election of `cfg` at the MCS `me`, using VC ids from `vc_base` up.
    pub fn new(cfg: McsList, me: &AtmAddress, vc_base: u64, now: Instant) -> Self {
        let n = cfg.mcslist.len();
        let pos = cfg.mcslist.iter().position(|a| a.number == me.number);
        let mut e = Election {
            me: pos.unwrap_or(0),
            state: ElectionState::Inactive,
            leader: 0,
            hi: cfg.hello_interval.max(1),
            df: cfg.dead_factor.max(1),
            dead: vec![false; n],
            hello_vc: None,
            leaves: vec![None; n],
            answer_vc: None,
            heard: BTreeSet::new(),
            timers: Timers::default(),
            next_vc: vc_base,
            next_party: 0,
            out: VecDeque::new(),
            stats: ElectionStats::default(),
            cfg,
        };
        match pos {
            None => {
                e.state = ElectionState::Failed;
                e.emit(ElectionEvent::NotInList);
            }
            // §5.2: "If the MCS is first in the set, it does register to support the group."
            Some(0) => {
                e.state = ElectionState::Starting;
                e.out.push_back(Output::Serve);
            }
            // §5.4: "They MUST NOT register to support the group with the MARS, and become
            // inactive MCSs. … A timer MUST be maintained".
            Some(_) => e.arm_dead(now),
        }
        e
    }

    // ----- the table -----------------------------------------------------------------------

    fn step(&mut self, now: Instant, input: Input) {
        use ElectionState as S;
        use Input as I;
        match (self.state, input) {
            (S::Failed, _) => {}
            (S::Starting, I::Served) => self.become_active(now, false),
            // Active (§5.4, §5.5.2).
            (S::Active | S::Candidate, I::Timer(Timer::Hello)) => {
                self.send_hello(now);
                self.timers.set(Timer::Hello, now + self.interval());
            }
            (S::Active | S::Candidate, I::LeafAdded { idx }) => self.leaf_added(now, idx),
            (S::Active | S::Candidate, I::LeafDropped { idx }) => self.leaf_dropped(now, idx),
            (S::Active | S::Candidate, I::Timer(Timer::Readd(idx))) => self.readd(idx),
            (S::Active | S::Candidate, I::HelloVcClosed) => {
                self.hello_vc = None;
                self.open_hello_vc();
            }
            // Candidate (§5.5.1).
            (S::Candidate, I::Hello { from, hello }) => {
                let me = self.cfg.mcslist[self.me].number;
                if hello.state == HelloState::NoOp && hello.receiver == me {
                    self.heard.insert(from);
                    if self.heard.len() >= self.needed() {
                        self.become_active(now, true);
                    }
                } else {
                    self.stats.hellos_ignored += 1;
                }
            }
            (S::Candidate, I::Timer(Timer::Dead)) => {
                let (heard, needed) = (self.heard.len(), self.needed());
                self.emit(ElectionEvent::NotElected { heard, needed });
                self.fail();
            }
            // Inactive (§5.4): HELLOs from the active restart the timer.
            (S::Inactive, I::Hello { from, hello })
                if from == self.leader && hello.state == HelloState::Elected =>
            {
                // "The inactive MCSs MUST set their values of HelloInterval and DeadFactor
                // to those specified by the active MCS".
                self.hi = hello.hello_interval;
                self.df = hello.dead_factor;
                self.arm_dead(now);
            }
            (S::Inactive, I::Timer(Timer::Dead)) => self.leader_failed(now, false),
            (S::Inactive, I::PeerVcClosed { from }) if from == self.leader => {
                self.leader_failed(now, true)
            }
            // Voting (§5.5.1).
            (S::Voting, I::Hello { from, hello }) if from == self.leader => match hello.state {
                HelloState::NoOp => {
                    // "an inactive MCS MUST open a point-to-point VC to that candidate".
                    if self.answer_vc.is_none() {
                        let vc = self.alloc_vc();
                        self.answer_vc = Some((vc, false));
                        let to = self.cfg.mcslist[from];
                        self.request(VcRequest::Connect { vc, to });
                    }
                }
                HelloState::Elected => {
                    self.close_answer_vc();
                    self.timers.cancel(Timer::Answer);
                    self.state = S::Inactive;
                    self.hi = hello.hello_interval;
                    self.df = hello.dead_factor;
                    self.arm_dead(now);
                    let mcs = self.cfg.mcslist[from];
                    self.emit(ElectionEvent::NewActive { mcs });
                }
            },
            (S::Voting, I::AnswerConnected) => {
                if let Some((vc, _)) = self.answer_vc {
                    self.answer_vc = Some((vc, true));
                    self.send_answer(now);
                }
            }
            (S::Voting, I::Timer(Timer::Answer)) => self.send_answer(now),
            (S::Voting, I::AnswerClosed) => {
                self.answer_vc = None;
                self.timers.cancel(Timer::Answer);
            }
            (S::Voting, I::Timer(Timer::Dead)) => self.candidate_failed(now),
            (S::Voting, I::PeerVcClosed { from }) if from == self.leader => {
                self.candidate_failed(now)
            }
            // "If a HELLO message is received by an inactive MCS from a non-candidate MCS, it
            // is ignored" — and so is anything else out of turn.
            (_, I::Hello { .. }) => self.stats.hellos_ignored += 1,
            (_, I::AnswerClosed) => self.answer_vc = None,
            _ => {}
        }
    }

    // ----- transitions ---------------------------------------------------------------------

    fn become_active(&mut self, now: Instant, elected: bool) {
        self.state = ElectionState::Active;
        self.leader = self.me;
        self.timers.cancel(Timer::Dead);
        if elected {
            // §5.5.1: "It then registers to support the group with the MARS, and starts
            // sending HELLO messages … 'Elected' on the already existing HelloVC."
            self.stats.elected += 1;
            self.out.push_back(Output::Serve);
            self.send_hello(now);
        } else {
            // §5.4: the first MCS "MUST open a point-to-multipoint VC (HelloVC) with the
            // remaining MCSs in the mcslist as leaves".
            self.open_hello_vc();
        }
        self.timers.set(Timer::Hello, now + self.interval());
        self.emit(ElectionEvent::Active { elected });
    }

    /// The active (or candidate) `leader` is gone: the next MCS is the candidate.
    fn leader_failed(&mut self, now: Instant, vc_closed: bool) {
        let mcs = self.cfg.mcslist[self.leader];
        self.dead[self.leader] = true;
        self.stats.elections += 1;
        self.emit(ElectionEvent::ActiveFailed { mcs, vc_closed });
        self.next_candidate(now);
    }

    fn candidate_failed(&mut self, now: Instant) {
        let mcs = self.cfg.mcslist[self.leader];
        self.dead[self.leader] = true;
        self.close_answer_vc();
        self.timers.cancel(Timer::Answer);
        self.emit(ElectionEvent::CandidateFailed { mcs });
        self.next_candidate(now);
    }

    /// §5.5.1: "the next MCS in mcslist becomes the candidate MCS"; "the values used for
    /// HelloInterval and DeadFactor in the election phase are the default ones".
    fn next_candidate(&mut self, now: Instant) {
        self.hi = self.cfg.hello_interval.max(1);
        self.df = self.cfg.dead_factor.max(1);
        let next = (self.leader + 1..self.cfg.mcslist.len()).find(|&i| !self.dead[i]);
        let Some(c) = next else {
            return self.fail();
        };
        self.leader = c;
        self.emit(ElectionEvent::Candidate {
            mcs: self.cfg.mcslist[c],
        });
        self.arm_dead(now);
        if c != self.me {
            self.state = ElectionState::Voting;
            return;
        }
        // "It MUST open a point-to-multipoint VC to the remaining inactive MCSs (HelloVC)
        // and send a HELLO message on it with the State field set to No-Op"; it "MUST wait
        // for a period of HelloInterval*DeadFactor seconds".
        self.state = ElectionState::Candidate;
        self.heard.clear();
        self.open_hello_vc();
        self.timers.set(Timer::Hello, now + self.interval());
        if self.needed() == 0 {
            self.become_active(now, true);
        }
    }

    fn fail(&mut self) {
        self.state = ElectionState::Failed;
        self.timers = Timers::default();
        self.close_answer_vc();
        if let Some(vc) = self.hello_vc.take() {
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
    }

    // ----- the HelloVC and its leaves (§5.5.2) -----------------------------------------------

    fn open_hello_vc(&mut self) {
        let vc = self.alloc_vc();
        self.hello_vc = Some(vc);
        self.request(VcRequest::OpenMultipoint { vc });
        self.leaves = vec![None; self.cfg.mcslist.len()];
        for i in 0..self.cfg.mcslist.len() {
            if i != self.me && !self.dead[i] {
                self.add_leaf(i, 0);
            }
        }
    }

    fn add_leaf(&mut self, idx: usize, attempts: u8) {
        let Some(vc) = self.hello_vc else { return };
        self.next_party = self.next_party.wrapping_add(1);
        let party = PartyId(self.next_party);
        self.leaves[idx] = Some(Leaf {
            party,
            up: false,
            attempts,
        });
        let to = self.cfg.mcslist[idx];
        self.request(VcRequest::AddParty { vc, party, to });
    }

    fn leaf_added(&mut self, now: Instant, idx: usize) {
        if let Some(l) = self.leaves[idx].as_mut() {
            l.up = true;
            l.attempts = 0;
        }
        self.send_hello(now);
    }

    fn leaf_dropped(&mut self, now: Instant, idx: usize) {
        let Some(l) = self.leaves[idx] else { return };
        if l.attempts >= READD_ATTEMPTS {
            // "If even the third attempt fails, the inactive MCS is considered dead."
            self.leaves[idx] = None;
            self.dead[idx] = true;
            let mcs = self.cfg.mcslist[idx];
            return self.emit(ElectionEvent::InactiveDead { mcs });
        }
        // "the active MCS MUST attempt to add that MCS back to the VC for three attempts,
        // spaced HelloInterval*DeadFactor seconds apart": the first at once.
        let at = if l.attempts == 0 {
            now
        } else {
            now + self.dead_interval()
        };
        self.leaves[idx] = Some(Leaf { up: false, ..l });
        self.timers.set(Timer::Readd(idx), at);
    }

    fn readd(&mut self, idx: usize) {
        let attempts = self.leaves[idx].map_or(0, |l| l.attempts) + 1;
        self.stats.readds += 1;
        self.add_leaf(idx, attempts);
    }

    // ----- sending -------------------------------------------------------------------------

    fn send_hello(&mut self, now: Instant) {
        let Some(vc) = self.hello_vc else { return };
        let state = if self.state == ElectionState::Active {
            HelloState::Elected
        } else {
            HelloState::NoOp
        };
        // §5.4: "Receiver Len set to zero … The Receiver ATM address field does not exist".
        let h = self.make_hello(state, AtmAddr::NULL);
        self.send(vc, &h);
        let _ = now;
    }

    /// §5.5.1: "with the Sender and Receiver fields appropriately set (not zero), and the
    /// State field being No-Op"; "If no HELLO message is received from the candidate with the
    /// State field set to 'Elected' in HelloInterval seconds, the inactive MCS MUST retransmit
    /// the HELLO."
    fn send_answer(&mut self, now: Instant) {
        let Some((vc, true)) = self.answer_vc else {
            return;
        };
        let h = self.make_hello(HelloState::NoOp, self.cfg.mcslist[self.leader].number);
        self.send(vc, &h);
        self.timers.set(Timer::Answer, now + self.interval());
    }

    fn make_hello(&self, state: HelloState, receiver: AtmAddr) -> McsHello {
        McsHello {
            state,
            hello_interval: self.hi,
            dead_factor: self.df,
            group: self.key_group(),
            sender: self.cfg.mcslist[self.me].number,
            receiver,
        }
    }

    fn send(&mut self, vc: VcId, h: &McsHello) {
        if let Ok(sdu) = h.encode_sdu() {
            self.stats.hellos_sent += 1;
            self.request(VcRequest::Send {
                vc,
                sdu: Bytes::from(sdu),
            });
        }
    }

    fn close_answer_vc(&mut self) {
        if let Some((vc, _)) = self.answer_vc.take() {
            self.request(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
    }

    // ----- helpers -------------------------------------------------------------------------

    /// Answers the candidate needs: at least half of the remaining inactive MCSs.
    fn needed(&self) -> usize {
        let remaining = (0..self.dead.len())
            .filter(|&i| i != self.me && !self.dead[i])
            .count();
        remaining.div_ceil(2)
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.hi))
    }

    fn dead_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.hi) * u64::from(self.df))
    }

    fn arm_dead(&mut self, now: Instant) {
        self.timers.set(Timer::Dead, now + self.dead_interval());
    }

    fn key_group(&self) -> Ipv4Addr {
        self.cfg
            .groups
            .iter()
            .find_map(|g| g.to_v4())
            .unwrap_or(Ipv4Addr::UNSPECIFIED)
    }

    fn alloc_vc(&mut self) -> VcId {
        self.next_vc += 1;
        VcId::local(self.next_vc)
    }

    fn request(&mut self, r: VcRequest) {
        self.out.push_back(Output::Vc(r));
    }

    fn emit(&mut self, e: ElectionEvent) {
        self.out.push_back(Output::Event(e));
    }

    fn index_of(&self, a: &AtmAddr) -> Option<usize> {
        self.cfg.mcslist.iter().position(|m| m.number == *a)
    }

    fn leaf_of(&self, party: PartyId) -> Option<usize> {
        self.leaves
            .iter()
            .position(|l| l.is_some_and(|l| l.party == party))
    }

    // ----- the interface for the MCS -------------------------------------------------------

    /// Whether `g` is one of the list's groups.
    pub fn serves(&self, g: &ProtoAddr) -> bool {
        self.cfg.groups.contains(g)
    }

    /// The list's groups.
    pub fn groups(&self) -> &[ProtoAddr] {
        &self.cfg.groups
    }

    /// Whether `a` is a member of the list.
    pub fn has_member(&self, a: &AtmAddress) -> bool {
        self.index_of(&a.number).is_some()
    }

    /// Whether `vc` is one this election opened.
    pub fn owns(&self, vc: VcId) -> bool {
        self.hello_vc == Some(vc) || self.answer_vc.is_some_and(|(v, _)| v == vc)
    }

    /// The state.
    pub fn state(&self) -> ElectionState {
        self.state
    }

    /// Counters.
    pub fn stats(&self) -> ElectionStats {
        self.stats
    }

    /// A snapshot.
    pub fn snapshot(&self) -> ElectionSnapshot {
        ElectionSnapshot {
            state: self.state,
            groups: self.cfg.groups.clone(),
            mcslist: self.cfg.mcslist.clone(),
            leader: self
                .cfg
                .mcslist
                .get(self.leader)
                .copied()
                .unwrap_or_default(),
            dead: (0..self.dead.len())
                .filter(|&i| self.dead[i])
                .map(|i| self.cfg.mcslist[i])
                .collect(),
            hello_interval: self.hi,
            dead_factor: self.df,
            stats: self.stats,
        }
    }

    /// The MARS confirmed every group of the list.
    pub fn served(&mut self, now: Instant) {
        self.step(now, Input::Served);
    }

    /// A HELLO arrived on a VC whose calling party is `from`. Inconsistent HELLOs (a sender
    /// that is not the calling party or not in the list, a zero HelloInterval or DeadFactor)
    /// are counted and dropped.
    pub fn hello(&mut self, now: Instant, from: &AtmAddress, h: McsHello) {
        self.stats.hellos_received += 1;
        let idx = self.index_of(&h.sender);
        let ok = h.sender == from.number && h.hello_interval > 0 && h.dead_factor > 0;
        match idx {
            Some(i) if ok && i != self.me => self.step(now, Input::Hello { from: i, hello: h }),
            _ => self.stats.hellos_bad += 1,
        }
    }

    /// Count a HELLO for this list that did not decode.
    pub fn bad_hello(&mut self) {
        self.stats.hellos_received += 1;
        self.stats.hellos_bad += 1;
    }

    /// A VC opened to us by list member `from` was released.
    pub fn peer_vc_closed(&mut self, now: Instant, from: &AtmAddress) {
        if let Some(i) = self.index_of(&from.number) {
            self.step(now, Input::PeerVcClosed { from: i });
        }
    }

    /// One of our VCs connected.
    pub fn connected(&mut self, now: Instant, vc: VcId) {
        if self.answer_vc.is_some_and(|(v, _)| v == vc) {
            self.step(now, Input::AnswerConnected);
        }
    }

    /// One of our VCs was released.
    pub fn released(&mut self, now: Instant, vc: VcId) {
        if self.answer_vc.is_some_and(|(v, _)| v == vc) {
            self.step(now, Input::AnswerClosed);
        } else if self.hello_vc == Some(vc) {
            self.step(now, Input::HelloVcClosed);
        }
    }

    /// A leaf of our HelloVC was added.
    pub fn party_added(&mut self, now: Instant, vc: VcId, party: PartyId) {
        if self.hello_vc == Some(vc) {
            if let Some(idx) = self.leaf_of(party) {
                self.step(now, Input::LeafAdded { idx });
            }
        }
    }

    /// A leaf of our HelloVC was dropped or could not be added.
    pub fn party_dropped(&mut self, now: Instant, vc: VcId, party: PartyId) {
        if self.hello_vc == Some(vc) {
            if let Some(idx) = self.leaf_of(party) {
                self.step(now, Input::LeafDropped { idx });
            }
        }
    }

    /// Handle every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        for t in self.timers.expire(now) {
            self.step(now, Input::Timer(t));
        }
    }

    /// When the election next wants `handle_timeout`.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The next output.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }
}
