//! The call and party state machines, each one `match (state, input)` table.
//!
//! A *leg* is one signalling relationship between two endpoints: a point-to-point call, or
//! one party (leaf) of a point-to-multipoint call. Each side of a leg runs one of the two
//! machines below. The tables are pure: they say what the next state is, what to tell the
//! local engine, and what to answer the peer; `endpoint.rs` carries that out (and sends the
//! request of every state that has one — SETUP, CONNECT, RELEASE, ADD PARTY, DROP PARTY —
//! on entry and on each retransmission).
//!
//! State names follow Q.2931 §2.1 (calls) and Q.2971 (parties); see `docs/atm-emulation.md`.

use mars_proto::Cause;

/// A signalling message the machine wants sent on the leg (the endpoint adds the call
/// reference and its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Msg {
    Setup,
    CallProceeding,
    Connect,
    ConnectAck,
    Release(Cause),
    ReleaseComplete(Cause),
    AddParty,
    AddPartyAck,
    AddPartyReject(Cause),
    PartyAlerting,
    DropParty(Cause),
    DropPartyAck,
}

/// What to tell the local engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notify {
    /// Outgoing call connected (caller only).
    Connected,
    /// Party added (root only).
    PartyAdded,
    /// The leg is over: `Released` at a caller, callee or leaf, `PartyDropped` at a root.
    Ended(Cause),
    /// Deliver the DATA that caused this step.
    Deliver,
}

/// Where the machine goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next<S> {
    /// Stay in the current state (retransmission timer untouched).
    Stay,
    /// Enter a state (its request, if any, is sent and the retransmission timer restarted).
    Go(S),
    /// The leg is gone.
    Gone,
}

/// The outcome of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step<S> {
    pub next: Next<S>,
    /// Up to two notifications, in order (an implicit CONNECT then the DATA).
    pub notify: [Option<Notify>; 2],
    /// An answer to the peer.
    pub answer: Option<Msg>,
    /// The input was a duplicate request that was answered (or ignored) without effect.
    pub duplicate: bool,
    /// The input makes no sense in this state and was ignored.
    pub ignored: bool,
    /// The peer is working on our request (CALL PROCEEDING, PARTY ALERTING): restart the
    /// count of transmissions, so that only consecutive unanswered ones make the leg fail.
    pub progress: bool,
}

impl<S> Step<S> {
    /// The same step with the state type changed (to wrap both machines in one enum).
    pub fn map<T>(self, f: impl FnOnce(S) -> T) -> Step<T> {
        Step {
            next: match self.next {
                Next::Stay => Next::Stay,
                Next::Go(s) => Next::Go(f(s)),
                Next::Gone => Next::Gone,
            },
            notify: self.notify,
            answer: self.answer,
            duplicate: self.duplicate,
            ignored: self.ignored,
            progress: self.progress,
        }
    }

    fn to(next: Next<S>) -> Self {
        Step {
            next,
            notify: [None, None],
            answer: None,
            duplicate: false,
            ignored: false,
            progress: false,
        }
    }
    fn go(s: S) -> Self {
        Self::to(Next::Go(s))
    }
    fn gone() -> Self {
        Self::to(Next::Gone)
    }
    fn stay() -> Self {
        Self::to(Next::Stay)
    }
    fn ignore() -> Self {
        Step {
            ignored: true,
            ..Self::stay()
        }
    }
    fn dup(answer: Option<Msg>) -> Self {
        Step {
            answer,
            duplicate: true,
            ..Self::stay()
        }
    }
    fn progress() -> Self {
        Step {
            progress: true,
            ..Self::stay()
        }
    }
    fn tell(mut self, n: Notify) -> Self {
        let slot = if self.notify[0].is_none() { 0 } else { 1 };
        self.notify[slot] = Some(n);
        self
    }
    fn answer(mut self, m: Msg) -> Self {
        self.answer = Some(m);
        self
    }
}

/// Inputs common to both machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    // From the local engine.
    Accept,
    Refuse(Cause),
    /// `Release` at a caller/callee/leaf; `DropParty` (or the root's `Release`) at a root.
    Clear(Cause),
    // From the peer.
    Setup,
    CallProceeding,
    Connect,
    ConnectAck,
    Release(Cause),
    ReleaseComplete(Cause),
    AddParty,
    AddPartyAck,
    AddPartyReject(Cause),
    PartyAlerting,
    DropParty(Cause),
    DropPartyAck,
    Data,
    // From timers and liveness.
    GiveUp,
    PeerDead,
}

/// States of a point-to-point call (Q.2931 §2.1.1 user-side states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallState {
    /// U1 Call Initiated: the caller sent SETUP.
    CallInitiated,
    /// U6 Call Present: the callee got SETUP and asked its engine.
    CallPresent,
    /// U8 Connect Request: the callee sent CONNECT.
    ConnectRequest,
    /// U10 Active.
    Active,
    /// U11 Release Request: this side sent RELEASE.
    ReleaseRequest(Cause),
}

impl CallState {
    /// The request this state retransmits.
    pub fn request(self) -> Option<Msg> {
        match self {
            CallState::CallInitiated => Some(Msg::Setup),
            CallState::ConnectRequest => Some(Msg::Connect),
            CallState::ReleaseRequest(c) => Some(Msg::Release(c)),
            CallState::CallPresent | CallState::Active => None,
        }
    }

    /// Whether the local engine has yet to answer an incoming call.
    pub fn awaits_engine(self) -> bool {
        self == CallState::CallPresent
    }

    /// Whether this side may send DATA.
    pub fn may_send(self) -> bool {
        matches!(self, CallState::ConnectRequest | CallState::Active)
    }

    /// The call machine.
    pub fn step(self, input: Input) -> Step<CallState> {
        use CallState::*;
        use Input as I;
        let dead = Cause::DESTINATION_OUT_OF_ORDER;
        let recovery = Cause::TIMER_EXPIRY;
        match (self, input) {
            // Caller.
            (CallInitiated, I::Connect) => Step::go(Active)
                .tell(Notify::Connected)
                .answer(Msg::ConnectAck),
            // A DATA before CONNECT: the CONNECT was lost or overtaken; the callee accepted.
            (CallInitiated, I::Data) => Step::go(Active)
                .tell(Notify::Connected)
                .tell(Notify::Deliver)
                .answer(Msg::ConnectAck),
            (CallInitiated, I::GiveUp) => Step::gone()
                .tell(Notify::Ended(Cause::NO_USER_RESPONDING))
                .answer(Msg::ReleaseComplete(recovery)),
            (CallInitiated, I::CallProceeding) => Step::progress(),
            (Active, I::Connect) => Step::dup(Some(Msg::ConnectAck)),

            // Callee: each SETUP is answered while the engine decides, so the caller keeps
            // the call for as long as the engine takes, and not past the callee's death.
            (CallPresent, I::Setup) => Step::dup(Some(Msg::CallProceeding)),
            (CallPresent, I::Accept) => Step::go(ConnectRequest),
            (CallPresent, I::Refuse(c) | I::Clear(c)) => {
                Step::gone().answer(Msg::ReleaseComplete(c))
            }
            (ConnectRequest | Active, I::Setup) => Step::dup(Some(Msg::Connect)),
            (ConnectRequest, I::ConnectAck) => Step::go(Active),
            // A DATA before CONNECT ACK: the caller got CONNECT; its ACK was lost.
            (ConnectRequest, I::Data) => Step::go(Active).tell(Notify::Deliver),
            (ConnectRequest, I::GiveUp) => Step::gone()
                .tell(Notify::Ended(recovery))
                .answer(Msg::ReleaseComplete(recovery)),
            (Active, I::ConnectAck) => Step::dup(None),

            // Either side, once up.
            (Active, I::Data) => Step::stay().tell(Notify::Deliver),
            (CallInitiated | ConnectRequest | Active, I::Clear(c)) => Step::go(ReleaseRequest(c)),
            (CallInitiated | CallPresent | ConnectRequest | Active, I::Release(c)) => Step::gone()
                .tell(Notify::Ended(c))
                .answer(Msg::ReleaseComplete(c)),
            (CallInitiated | CallPresent | ConnectRequest | Active, I::ReleaseComplete(c)) => {
                Step::gone().tell(Notify::Ended(c))
            }
            (CallInitiated | CallPresent | ConnectRequest | Active, I::PeerDead) => {
                Step::gone().tell(Notify::Ended(dead))
            }

            // Clearing.
            (ReleaseRequest(_), I::ReleaseComplete(_) | I::GiveUp | I::PeerDead) => Step::gone(),
            // Clear collision: both sides sent RELEASE (Q.2931 §5.4.5).
            (ReleaseRequest(_), I::Release(c)) => Step::gone().answer(Msg::ReleaseComplete(c)),

            _ => Step::ignore(),
        }
    }
}

/// States of one party of a point-to-multipoint call (Q.2971 party states), at the root or
/// at the leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyState {
    /// PN1 Add Party Initiated: the root sent ADD PARTY.
    AddPartyInitiated,
    /// PN2 Add Party Received: the leaf got ADD PARTY and asked its engine.
    AddPartyReceived,
    /// PN7 Active.
    Active,
    /// PN6 Drop Party Initiated: this side sent DROP PARTY.
    DropPartyInitiated(Cause),
}

impl PartyState {
    /// The request this state retransmits.
    pub fn request(self) -> Option<Msg> {
        match self {
            PartyState::AddPartyInitiated => Some(Msg::AddParty),
            PartyState::DropPartyInitiated(c) => Some(Msg::DropParty(c)),
            PartyState::AddPartyReceived | PartyState::Active => None,
        }
    }

    /// Whether the local engine has yet to answer an incoming party.
    pub fn awaits_engine(self) -> bool {
        self == PartyState::AddPartyReceived
    }

    /// The party machine.
    pub fn step(self, input: Input) -> Step<PartyState> {
        use Input as I;
        use PartyState::*;
        let dead = Cause::DESTINATION_OUT_OF_ORDER;
        match (self, input) {
            // Root.
            (AddPartyInitiated, I::AddPartyAck) => Step::go(Active).tell(Notify::PartyAdded),
            (AddPartyInitiated | Active, I::AddPartyReject(c)) => {
                Step::gone().tell(Notify::Ended(c))
            }
            (AddPartyInitiated, I::GiveUp) => Step::gone()
                .tell(Notify::Ended(Cause::NO_USER_RESPONDING))
                .answer(Msg::DropParty(Cause::TIMER_EXPIRY)),
            (AddPartyInitiated, I::PartyAlerting) => Step::progress(),
            (Active, I::AddPartyAck) => Step::dup(None),

            // Leaf.
            (AddPartyReceived, I::AddParty) => Step::dup(Some(Msg::PartyAlerting)),
            (AddPartyReceived, I::Accept) => Step::go(Active).answer(Msg::AddPartyAck),
            (AddPartyReceived, I::Refuse(c) | I::Clear(c)) => {
                Step::gone().answer(Msg::AddPartyReject(c))
            }
            (Active, I::AddParty) => Step::dup(Some(Msg::AddPartyAck)),
            (Active, I::Data) => Step::stay().tell(Notify::Deliver),

            // Either end.
            (AddPartyInitiated | Active, I::Clear(c)) => Step::go(DropPartyInitiated(c)),
            (AddPartyInitiated | AddPartyReceived | Active, I::DropParty(c)) => Step::gone()
                .tell(Notify::Ended(c))
                .answer(Msg::DropPartyAck),
            (AddPartyInitiated | AddPartyReceived | Active, I::PeerDead) => {
                Step::gone().tell(Notify::Ended(dead))
            }
            (DropPartyInitiated(_), I::DropPartyAck | I::GiveUp | I::PeerDead) => Step::gone(),
            // Drop collision: both ends sent DROP PARTY.
            (DropPartyInitiated(_), I::DropParty(_)) => Step::gone().answer(Msg::DropPartyAck),

            _ => Step::ignore(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_setup_and_clear_collision() {
        let s = CallState::CallInitiated.step(Input::Connect);
        assert_eq!(s.next, Next::Go(CallState::Active));
        assert_eq!(s.notify[0], Some(Notify::Connected));
        assert_eq!(s.answer, Some(Msg::ConnectAck));
        let s = CallState::ReleaseRequest(Cause::NORMAL).step(Input::Release(Cause::NORMAL));
        assert_eq!(s.next, Next::Gone);
        assert_eq!(s.notify, [None, None]);
    }

    #[test]
    fn duplicate_setup_is_answered_not_acted_on() {
        let s = CallState::CallPresent.step(Input::Setup);
        assert!(s.duplicate);
        assert_eq!((s.next, s.answer), (Next::Stay, Some(Msg::CallProceeding)));
        assert!(
            CallState::CallInitiated
                .step(Input::CallProceeding)
                .progress
        );
        let s = CallState::Active.step(Input::Setup);
        assert_eq!((s.next, s.answer), (Next::Stay, Some(Msg::Connect)));
        let s = PartyState::Active.step(Input::AddParty);
        assert_eq!((s.next, s.answer), (Next::Stay, Some(Msg::AddPartyAck)));
    }

    #[test]
    fn local_clear_produces_no_notification() {
        for st in [
            CallState::CallInitiated,
            CallState::ConnectRequest,
            CallState::Active,
        ] {
            assert_eq!(st.step(Input::Clear(Cause::NORMAL)).notify, [None, None]);
        }
        let s = PartyState::AddPartyReceived.step(Input::Refuse(Cause::CALL_REJECTED));
        assert_eq!(s.answer, Some(Msg::AddPartyReject(Cause::CALL_REJECTED)));
        assert_eq!(s.notify, [None, None]);
    }
}
