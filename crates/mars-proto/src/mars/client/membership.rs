//! Local group membership and its reliable announcement: MARS_JOIN/LEAVE for a client (§5.2,
//! §5.2.1.1, §5.2.2), MARS_MSERV/UNSERV for an MCS (RFC 2149 §4.1.2), and the re-joining of
//! every group after a re-registration (§5.4.1).

use mars_wire::mars::{Flags, Join, MarsBody, MarsOp};
use mars_wire::ProtoAddr;

use super::endpoint::{Endpoint, Role, TimerKey};
use super::reliable::{pair_of, Outstanding, Purpose};
use super::report::{ClientError, ClientEvent};
use crate::mars::range::Range;
use crate::time::Instant;

/// Where one local membership stands with the MARS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum MemberState {
    /// Not announced yet (not registered).
    Pending,
    /// MARS_JOIN (MSERV) sent, copy not yet back.
    Joining,
    /// Confirmed by its copy.
    Joined,
    /// Re-join scheduled after a re-registration (§5.4.1).
    Rejoin(Instant),
    /// MARS_LEAVE (UNSERV) sent or to be sent; no longer a member locally.
    Leaving,
}

/// A group (or block) joined by the host, or served by an MCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    /// The group (`min == max`) or block.
    pub range: Range,
    /// `mar$flags.layer3grp` (§5.3): set for a layer 3 JoinLocalGroup.
    pub layer3: bool,
    /// Where it stands.
    pub state: MemberState,
}

impl Endpoint {
    /// Join (client) or serve (MCS) `r`. `layer3` sets `mar$flags.layer3grp`, which "is
    /// ignored ... for any MARS_JOIN that specifies a block" (§5.2.1).
    pub(crate) fn join_range(&mut self, r: Range, layer3: bool) -> Result<(), ClientError> {
        self.check_range(&r)?;
        if let Some(i) = self.memberships.iter().position(|m| m.range == r) {
            if self.memberships[i].state != MemberState::Leaving {
                return Err(ClientError::AlreadyJoined);
            }
            self.memberships.remove(i);
        }
        let block = r.0 != r.1;
        if block
            && self.memberships.iter().any(|m| {
                m.range.0 != m.range.1
                    && m.state != MemberState::Leaving
                    && m.range.0 <= r.1
                    && r.0 <= m.range.1
            })
        {
            return Err(ClientError::Overlap);
        }
        self.memberships.push(Membership {
            range: r,
            layer3: layer3 && !block,
            state: MemberState::Pending,
        });
        if self.session.registered() {
            self.announce(r);
        }
        Ok(())
    }

    /// Leave (client) or stop serving (MCS) `r`, exactly as joined.
    pub(crate) fn leave_range(&mut self, r: Range) -> Result<(), ClientError> {
        let i = self
            .memberships
            .iter()
            .position(|m| m.range == r && m.state != MemberState::Leaving)
            .ok_or(ClientError::NotJoined)?;
        let was_pending = self.memberships[i].state == MemberState::Pending;
        if was_pending && !self.session.ever_registered {
            self.memberships.remove(i);
            return Ok(());
        }
        self.memberships[i].state = MemberState::Leaving;
        if self.session.registered() {
            self.send_reliable(Purpose::Leave(r));
        }
        Ok(())
    }

    fn check_range(&self, r: &Range) -> Result<(), ClientError> {
        let want = match self.cfg.protocol.key().0 {
            mars_wire::pro::PRO_IPV4 => Some(4),
            mars_wire::pro::PRO_IPV6 => Some(16),
            _ => None,
        };
        let len_ok =
            r.0.len() == r.1.len() && !r.0.is_null() && want.is_none_or(|l| r.0.len() == l);
        if len_ok && r.0 <= r.1 {
            Ok(())
        } else {
            Err(ClientError::BadRange)
        }
    }

    /// Whether the host is a member of `g` (joined or joining).
    pub(crate) fn is_joined(&self, g: &ProtoAddr) -> bool {
        self.memberships
            .iter()
            .any(|m| m.state != MemberState::Leaving && m.range.0 <= *g && *g <= m.range.1)
    }

    /// Send the JOIN (MSERV) for membership `r` now.
    fn announce(&mut self, r: Range) {
        if let Some(m) = self.memberships.iter_mut().find(|m| m.range == r) {
            m.state = MemberState::Joining;
        }
        self.send_reliable(Purpose::Join(r));
    }

    /// The MARS_JOIN-layout message and op for `purpose`.
    fn reliable_message(&self, purpose: Purpose) -> (MarsOp, Join) {
        let (join_op, leave_op) = match self.role {
            Role::Client => (MarsOp::Join, MarsOp::Leave),
            Role::Mcs => (MarsOp::Mserv, MarsOp::Unserv),
        };
        match purpose {
            Purpose::Register => (join_op, self.registration_message(true)),
            Purpose::Deregister => (leave_op, self.registration_message(true)),
            Purpose::Join(r) | Purpose::Leave(r) => {
                let layer3 = self
                    .memberships
                    .iter()
                    .find(|m| m.range == r)
                    .is_some_and(|m| m.layer3);
                let j = Join::new(
                    self.cfg.address,
                    self.cfg.protocol_address,
                    Flags(0).with_layer3grp(layer3),
                    vec![pair_of(&r)],
                );
                let op = if matches!(purpose, Purpose::Join(_)) {
                    join_op
                } else {
                    leave_op
                };
                (op, j)
            }
        }
    }

    /// Queue `purpose`'s message for reliable transmission; returns its id if sent now.
    pub(crate) fn send_reliable(&mut self, purpose: Purpose) -> Option<u32> {
        let (op, j) = self.reliable_message(purpose);
        let o = self.reliable.push(op, j, purpose)?;
        let id = o.id;
        self.transmit_reliable(id);
        Some(id)
    }

    /// (Re)transmit reliable message `id` and arm its retransmission (§5.2.2).
    fn transmit_reliable(&mut self, id: u32) {
        let Some(o) = self.reliable.transmitted(id) else {
            return;
        };
        let (op, j) = (o.op, o.join.clone());
        self.count_tx(op);
        if let Some(body) = MarsBody::join_layout(op, j) {
            let m = self.message(body);
            self.send_to_mars(m);
        }
        let at = self.now + self.cfg.timers.join_leave_interval;
        self.timers.set(TimerKey::Retransmit(id), at);
    }

    pub(crate) fn count_tx(&mut self, op: MarsOp) {
        match op {
            MarsOp::Join | MarsOp::Mserv => self.counters.tx_join += 1,
            MarsOp::Leave | MarsOp::Unserv => self.counters.tx_leave += 1,
            _ => {}
        }
    }

    pub(crate) fn on_retransmit(&mut self, id: u32) {
        let Some(o) = self.reliable.get(id) else {
            return;
        };
        // §5.2.2: "After 5 retransmissions the attempt should be flagged locally as a
        // failure. This MUST be considered as a MARS failure".
        if o.sent > self.cfg.timers.join_leave_limit {
            let o = self.reliable.remove(id);
            return match o.map(|o| o.purpose) {
                Some(Purpose::Register) => self.registration_gave_up(),
                Some(Purpose::Deregister) => self.deregistration_copy(),
                _ => self.mars_failed(super::report::FailureReason::RetransmitLimit),
            };
        }
        self.transmit_reliable(id);
    }

    /// The copy of our reliable message `o` came back.
    pub(crate) fn on_own_copy(&mut self, o: Outstanding, j: &Join) {
        self.timers.cancel(TimerKey::Retransmit(o.id));
        match o.purpose {
            Purpose::Register => self.registration_copy(j.cmi, j.msn),
            Purpose::Deregister => self.deregistration_copy(),
            Purpose::Join(r) => {
                if let Some(m) = self.memberships.iter_mut().find(|m| m.range == r) {
                    if m.state == MemberState::Joining {
                        m.state = MemberState::Joined;
                    }
                }
                self.event(ClientEvent::Joined(r));
                if self.role == Role::Mcs {
                    // RFC 2149 §4.2: "On registering to support a particular layer 3 group,
                    // the MCS MUST send a MARS_REQUEST to the MARS."
                    self.mcs_served(r.0);
                }
            }
            Purpose::Leave(r) => {
                self.memberships
                    .retain(|m| !(m.range == r && m.state == MemberState::Leaving));
                self.event(ClientEvent::Left(r));
                if self.role == Role::Mcs {
                    self.close_group(r.0, None);
                }
            }
        }
        if let Some(next) = self.reliable.next_waiting() {
            self.transmit_reliable(next.id);
        }
    }

    /// After a MARS failure nothing is confirmed any more.
    pub(crate) fn memberships_unconfirmed(&mut self) {
        for m in &mut self.memberships {
            if m.state != MemberState::Leaving {
                m.state = MemberState::Pending;
            }
        }
    }

    /// Announce every membership after a registration; with `delayed`, each after a random
    /// 1–10 s (§5.4.1: "It is recommended that a random delay between 1 and 10 seconds be
    /// inserted before attempting each MARS_JOIN"). Pending leaves are sent at once.
    pub(crate) fn rejoin_all(&mut self, delayed: bool) {
        let ranges: Vec<(Range, MemberState)> = self
            .memberships
            .iter()
            .map(|m| (m.range, m.state))
            .collect();
        for (r, state) in ranges {
            if state == MemberState::Leaving {
                self.send_reliable(Purpose::Leave(r));
            } else if delayed {
                let at = self.now + self.random(self.cfg.timers.rejoin_delay);
                if let Some(m) = self.memberships.iter_mut().find(|m| m.range == r) {
                    m.state = MemberState::Rejoin(at);
                }
                self.timers.set_earliest(TimerKey::Rejoin, at);
            } else {
                self.announce(r);
            }
        }
    }

    pub(crate) fn on_rejoin_timer(&mut self) {
        if !self.session.registered() {
            return;
        }
        let now = self.now;
        let due: Vec<Range> = self
            .memberships
            .iter()
            .filter(|m| matches!(m.state, MemberState::Rejoin(at) if at <= now))
            .map(|m| m.range)
            .collect();
        for r in due {
            self.announce(r);
        }
        let next = self
            .memberships
            .iter()
            .filter_map(|m| match m.state {
                MemberState::Rejoin(at) => Some(at),
                _ => None,
            })
            .min();
        if let Some(at) = next {
            self.timers.set(TimerKey::Rejoin, at);
        }
    }
}
