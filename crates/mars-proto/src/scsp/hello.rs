//! The Hello protocol (RFC 2334 §2.1, B.2.5): one Hello Finite State Machine (HFSM) per DCS.
//!
//! ```text
//!                 +---------+
//!        +------->|  DOWN   |<-------+          Down -> Waiting: NBMA connectivity
//!        |        +---------+        |          any  -> Down:    connectivity lost
//!        |          |     ^          |          Waiting/Uni/Bi -> Bi:  Hello listing LSID
//!        |          v     |          |          Waiting/Uni/Bi -> Uni: Hello not listing it
//!        |        +---------+        |          Bi -> Uni: dead interval without LSID, but
//!        |     +--| WAITING |--+     |                     Hellos heard
//!        |     |  +---------+  |     |          Uni/Bi -> Waiting: dead interval silent;
//!        |     v    ^     ^    v     |                     any abnormal event
//!     +---------------+ +----------------+
//!     | BIDIRECTIONAL |<->| UNIDIRECTIONAL |
//!     +---------------+ +----------------+
//! ```
//!
//! The Receiver ID list this LS advertises holds every DCS heard recently (in the order they
//! were first heard): a DCS joins it when a Hello from it arrives and leaves it when its HFSM
//! goes to Waiting or Down (§2.1: "remove the DCSID from the Receiver ID list").
//!
//! Two details the RFC leaves open:
//! - a Hello is sent at once when the HFSM enters Waiting and whenever a DCS is newly heard
//!   (besides every HelloInterval), so that both ends see each other in one round trip;
//! - HelloInterval or DeadFactor of zero in a received Hello makes it malformed (a zero dead
//!   interval would stall the DCS at once).

use std::time::Duration;

use mars_wire::scsp::{Hello, ScspId, ScspPacket};
use rand::Rng;

use super::client::ClientProtocol;
use super::events::{Abnormal, Discard, ScspEvent};
use super::{DcsTimer, ScspEngine};
use crate::time::Instant;

/// HFSM states (§2.1, Figure 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HelloState {
    /// No NBMA connectivity (no VC).
    #[default]
    Down,
    /// Connected; sending Hellos, nothing heard (recently).
    Waiting,
    /// Hellos heard, but they do not list this LS.
    Unidirectional,
    /// Hellos heard that list this LS.
    Bidirectional,
}

/// What happens to an HFSM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HelloEvent {
    /// NBMA connectivity established (VC up).
    Connected,
    /// NBMA connectivity lost (VC released).
    ConnectionLost,
    /// A Hello listing the LSID among its Receiver IDs.
    HelloListsUs,
    /// A Hello not listing the LSID.
    HelloOmitsUs,
    /// HelloInterval × DeadFactor passed without a Hello listing the LSID; `heard` tells
    /// whether any Hello arrived during that interval.
    Dead { heard: bool },
    /// An abnormal event.
    Abnormal,
}

/// The HFSM transition table (§2.1). `None`: the event does not apply in that state.
pub(crate) fn transition(s: HelloState, e: HelloEvent) -> Option<HelloState> {
    use HelloEvent as E;
    use HelloState as S;
    Some(match (s, e) {
        // "The HFSM starts in the Down State and transitions to the Waiting State after NBMA
        // level connectivity has been established."
        (S::Down, E::Connected) => S::Waiting,
        (S::Down, _) => return None,
        (_, E::Connected) => return None,
        // "a loss of NBMA connectivity causes the HFSM to transition to the Down State"
        (_, E::ConnectionLost) => S::Down,
        // "If the LSID is in one of the Receiver ID fields then the LS transitions the HFSM to
        // the Bidirectional Connection state otherwise it transitions the HFSM into the
        // Unidirectional Connection state."
        (_, E::HelloListsUs) => S::Bidirectional,
        (_, E::HelloOmitsUs) => S::Unidirectional,
        // "1) if any Hello messages have been received during the last
        // HelloInterval*DeadFactor seconds then the LS should transition the HFSM for that DCS
        // to the Unidirectional Connection State; otherwise, the LS should transition the HFSM
        // for that DCS to the Waiting State"
        (S::Bidirectional, E::Dead { heard: true }) => S::Unidirectional,
        (S::Bidirectional | S::Unidirectional, E::Dead { .. }) => S::Waiting,
        (S::Waiting, E::Dead { .. }) => return None,
        // "Any abnormal event, such as receiving a malformed SCSP message, causes the HFSM to
        // transition to the Waiting State"
        (_, E::Abnormal) => S::Waiting,
    })
}

/// The HFSM of one DCS and what it remembers of the DCS's Hellos.
#[derive(Debug, Clone, Default)]
pub(crate) struct HelloFsm {
    pub state: HelloState,
    /// The saved DCSID (§2.1: "The Sender ID which was saved is the DCS's ID").
    pub id: Option<ScspId>,
    /// Position in this LS's Receiver ID list, while the DCS is on it.
    pub heard: Option<u64>,
    /// When the last Hello arrived.
    pub last_any: Option<Instant>,
    /// When the last Hello listing the LSID arrived.
    pub last_listing_us: Option<Instant>,
    /// HelloInterval the DCS advertised.
    pub interval: u16,
    /// DeadFactor the DCS advertised.
    pub dead_factor: u16,
    /// Family ID the DCS advertised.
    pub family_id: u16,
}

impl HelloFsm {
    /// HelloInterval × DeadFactor as advertised by the DCS.
    pub fn dead_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.interval) * u64::from(self.dead_factor))
    }
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// Apply `ev` to the HFSM of DCS `i`, with the entry and exit actions of each state.
    pub(crate) fn hello_event(&mut self, i: usize, ev: HelloEvent) {
        let from = self.dcs[i].hello.state;
        let Some(to) = transition(from, ev) else {
            return;
        };
        if to == from {
            return;
        }
        // The new state first, so that nothing the CAFSM's exit floods is queued to this DCS.
        self.dcs[i].hello.state = to;
        if from == HelloState::Bidirectional {
            // §2.2: "Any time the HFSM transitions out of the Bidirectional State, the CAFSM
            // transitions to the Down State."
            self.ca_down(i);
            self.event(ScspEvent::DcsDown { dcs: i });
        }
        self.dcs[i].counters.hfsm_transitions += 1;
        self.event(ScspEvent::HelloState { dcs: i, from, to });
        match to {
            HelloState::Down => {
                self.forget_hellos(i);
                self.disarm(i, DcsTimer::HelloSend);
            }
            HelloState::Waiting => {
                self.forget_hellos(i);
                // "Once in the Waiting State, the LS starts sending Hello messages to the DCS."
                // Also sent at once after an abnormal event, so that the DCS sees its ID gone.
                self.send_hello(i);
            }
            HelloState::Unidirectional => self.arm_dead(i),
            HelloState::Bidirectional => {
                self.arm_dead(i);
                let id = self.dcs[i].hello.id.clone().unwrap_or_default();
                self.event(ScspEvent::DcsUp { dcs: i, id });
                // §2.2: "when that HFSM reaches the Bidirectional State, the CAFSM transitions
                // to the Master/Slave Negotiation State".
                self.ca_start(i);
            }
        }
    }

    /// An abnormal event (§2.1) on DCS `i`.
    pub(crate) fn abnormal(&mut self, i: usize, reason: Abnormal) {
        *self.dcs[i].counters.abnormal.entry(reason).or_default() += 1;
        self.event(ScspEvent::Abnormal { dcs: i, reason });
        self.hello_event(i, HelloEvent::Abnormal);
    }

    /// Leaving Uni/Bi for Waiting or Down: the DCS is no longer "heard recently".
    fn forget_hellos(&mut self, i: usize) {
        let h = &mut self.dcs[i].hello;
        h.heard = None;
        h.id = None;
        h.last_any = None;
        h.last_listing_us = None;
        self.disarm(i, DcsTimer::HelloDead);
    }

    /// A Hello from DCS `i` (already authenticated, of our PID/SGID, IDs of the right length).
    pub(crate) fn on_hello(&mut self, i: usize, pkt: &ScspPacket, h: &Hello) {
        if h.hello_interval == 0 || h.dead_factor == 0 {
            self.discard(
                Some(i),
                Discard::Malformed,
                Some("HelloInterval or DeadFactor is zero".into()),
            );
            self.abnormal(i, Abnormal::Malformed);
            return;
        }
        let sender = &pkt.common.sender_id;
        let expected = self.dcs[i].cfg.id.as_ref();
        if *sender == self.cfg.local_id || expected.is_some_and(|id| id != sender) {
            self.discard(
                Some(i),
                Discard::WrongSender,
                Some(format!("Hello from Sender ID {sender}")),
            );
            return;
        }
        if self.dcs[i].hello.id.as_ref().is_some_and(|id| id != sender) {
            // Another server answers on this VC now: start over with it.
            self.abnormal(i, Abnormal::SenderChanged);
        }
        let lsid = &self.cfg.local_id;
        let lists_us = pkt.hello_receivers().any(|r| r == lsid);
        let now = self.now;
        let newly_heard = {
            let hf = &mut self.dcs[i].hello;
            // "the LS saves the Sender ID from that Hello message"
            hf.id = Some(sender.clone());
            hf.interval = h.hello_interval;
            hf.dead_factor = h.dead_factor;
            hf.family_id = h.family_id;
            hf.last_any = Some(now);
            if lists_us {
                hf.last_listing_us = Some(now);
            }
            hf.heard.is_none()
        };
        if newly_heard {
            // "If the DCSID is not found in the list of Receiver IDs then it is added to that
            // list before the LS sends its Hello message."
            self.heard_seq += 1;
            self.dcs[i].hello.heard = Some(self.heard_seq);
            self.send_hello(i);
        }
        let ev = if lists_us {
            super::hello::HelloEvent::HelloListsUs
        } else {
            super::hello::HelloEvent::HelloOmitsUs
        };
        self.hello_event(i, ev);
        self.arm_dead(i);
    }

    /// Arm the dead timer of DCS `i` for its state: in Bidirectional, the dead interval after
    /// the last Hello listing the LSID; in Unidirectional, after the last Hello at all.
    fn arm_dead(&mut self, i: usize) {
        let h = &self.dcs[i].hello;
        let dead = h.dead_interval();
        let at = match h.state {
            HelloState::Bidirectional => h.last_listing_us.map(|t| t + dead),
            HelloState::Unidirectional => h.last_any.map(|t| t + dead),
            _ => None,
        };
        match at {
            Some(t) => self.arm(i, DcsTimer::HelloDead, t),
            None => self.disarm(i, DcsTimer::HelloDead),
        }
    }

    pub(crate) fn on_dead_timer(&mut self, i: usize) {
        let now = self.now;
        let h = &self.dcs[i].hello;
        let dead = h.dead_interval();
        let heard = h.last_any.is_some_and(|t| t + dead > now);
        let listed = h.last_listing_us.is_some_and(|t| t + dead > now);
        match h.state {
            HelloState::Bidirectional if listed => self.arm_dead(i),
            HelloState::Unidirectional if heard => self.arm_dead(i),
            HelloState::Bidirectional | HelloState::Unidirectional => {
                // "the LS MUST consider the DCS to be stalled"
                self.hello_event(i, HelloEvent::Dead { heard });
            }
            _ => {}
        }
    }

    pub(crate) fn on_hello_timer(&mut self, i: usize) {
        if self.dcs[i].hello.state != HelloState::Down {
            self.send_hello(i);
        }
    }

    /// Send a Hello to DCS `i` now and schedule the next one (HelloInterval, less jitter).
    pub(crate) fn send_hello(&mut self, i: usize) {
        let mut heard: Vec<(u64, ScspId)> = self
            .dcs
            .iter()
            .filter_map(|d| Some((d.hello.heard?, d.hello.id.clone()?)))
            .collect();
        heard.sort();
        let heard: Vec<ScspId> = heard.into_iter().map(|(_, id)| id).collect();
        let p = &self.dcs[i].cfg.params;
        let pkt = ScspPacket::hello(
            self.common_part(i),
            p.advertised_hello_interval(),
            p.dead_factor,
            self.cfg.family_id,
            &heard,
        );
        let interval = p.hello_interval;
        self.transmit(i, &pkt);
        let pct = u32::from(self.cfg.hello_jitter_percent);
        let jitter = if pct == 0 {
            Duration::ZERO
        } else {
            interval.mul_f64(self.rng.gen_range(0.0..f64::from(pct) / 100.0))
        };
        let at = self.now + interval.saturating_sub(jitter);
        self.arm(i, DcsTimer::HelloSend, at);
    }
}

#[cfg(test)]
mod tests {
    use super::HelloEvent as E;
    use super::HelloState as S;
    use super::*;

    #[test]
    fn figure_1() {
        assert_eq!(transition(S::Down, E::Connected), Some(S::Waiting));
        assert_eq!(transition(S::Down, E::HelloListsUs), None);
        assert_eq!(
            transition(S::Waiting, E::HelloListsUs),
            Some(S::Bidirectional)
        );
        assert_eq!(
            transition(S::Waiting, E::HelloOmitsUs),
            Some(S::Unidirectional)
        );
        assert_eq!(
            transition(S::Unidirectional, E::HelloListsUs),
            Some(S::Bidirectional)
        );
        assert_eq!(
            transition(S::Bidirectional, E::HelloOmitsUs),
            Some(S::Unidirectional)
        );
        assert_eq!(
            transition(S::Bidirectional, E::Dead { heard: true }),
            Some(S::Unidirectional)
        );
        assert_eq!(
            transition(S::Bidirectional, E::Dead { heard: false }),
            Some(S::Waiting)
        );
        assert_eq!(
            transition(S::Unidirectional, E::Dead { heard: true }),
            Some(S::Waiting)
        );
        assert_eq!(transition(S::Waiting, E::Dead { heard: false }), None);
        for s in [S::Waiting, S::Unidirectional, S::Bidirectional] {
            assert_eq!(transition(s, E::ConnectionLost), Some(S::Down));
            assert_eq!(transition(s, E::Abnormal), Some(S::Waiting));
            assert_eq!(transition(s, E::Connected), None);
        }
    }
}
