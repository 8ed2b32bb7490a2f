//! What an endpoint does with a received datagram.
//!
//! Every datagram is checked in this order, and dropped (and counted) at the first failure:
//! it decodes; its call reference flag suits its type; it names a leg this endpoint holds
//! with the sender (or, for SETUP and ADD PARTY, may open one within the limits); for DATA,
//! its sequence number is above the last one delivered. Nothing here allocates state for a
//! datagram that fails a check, and nothing panics.

use std::net::SocketAddr;

use mars_proto::{Cause, Instant, VcEvent, VcId};
use mars_wire::emu::{CallRef, CallSetup, Datagram};

use super::endpoint::{Endpoint, LegKey, Machine, Vc};
use super::fsm::{CallState, Input, Msg, PartyState};
use super::peers::TombKind;
use super::transmit::Transmit;

/// Why a message names no usable leg.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Miss {
    /// The call reference flag points the wrong way for the message type.
    Flag,
    /// The leg exists but is held with another peer.
    WrongPeer,
    /// No such leg.
    Unknown,
}

/// Which way the call reference flag must point for a message type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// Sent by the side that chose the call reference (flag 0): SETUP, ADD PARTY, CONNECT ACK.
    FromOriginator,
    /// Sent to it (flag 1): CALL PROCEEDING, CONNECT, ADD PARTY ACK, ADD PARTY REJECT,
    /// PARTY ALERTING.
    ToOriginator,
    /// Either side may send it: RELEASE, RELEASE COMPLETE, DROP PARTY, DROP PARTY ACK, DATA.
    Either,
}

impl Endpoint {
    /// Handle one datagram received from `from`.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        self.counters.datagrams_in += 1;
        let d = match Datagram::decode(datagram) {
            Ok(d) => d,
            Err(e) => {
                tracing::debug!(%from, error = %e, "dropped a malformed datagram");
                self.counters.drop_malformed += 1;
                return;
            }
        };
        if let Some(p) = self.peers.get_mut(&from) {
            p.last_heard = Some(now);
        }
        use Direction::*;
        match d {
            Datagram::Keepalive { instance } => self.on_keepalive(now, from, instance),
            Datagram::Setup(s) => self.on_setup(now, from, s, false),
            Datagram::AddParty(s) => self.on_setup(now, from, s, true),
            Datagram::Connect(c) => match self.leg_for(from, c, ToOriginator) {
                Ok(k) => self.apply(now, k, Input::Connect, None),
                // This side gave the call up (its SETUP went unanswered): tell the callee.
                Err(Miss::Unknown) => {
                    self.stateless(from, Datagram::Release(c.reversed(), CAUSE_RECOVERY))
                }
                Err(_) => {}
            },
            Datagram::CallProceeding(c) => {
                self.on_leg(now, from, c, ToOriginator, Input::CallProceeding)
            }
            Datagram::PartyAlerting(c) => {
                self.on_leg(now, from, c, ToOriginator, Input::PartyAlerting)
            }
            Datagram::ConnectAck(c) => self.on_leg(now, from, c, FromOriginator, Input::ConnectAck),
            Datagram::Release(c, cause) => match self.leg_for(from, c, Either) {
                Ok(k) => self.apply(now, k, Input::Release(Cause(cause)), None),
                // A RELEASE is always answered, so a retransmission after our RELEASE
                // COMPLETE was lost still ends the peer's clearing.
                Err(Miss::Unknown) => {
                    self.stateless(from, Datagram::ReleaseComplete(c.reversed(), cause))
                }
                Err(_) => {}
            },
            Datagram::ReleaseComplete(c, cause) => {
                self.on_leg(now, from, c, Either, Input::ReleaseComplete(Cause(cause)))
            }
            Datagram::AddPartyAck(c) => match self.leg_for(from, c, ToOriginator) {
                Ok(k) => self.apply(now, k, Input::AddPartyAck, None),
                Err(Miss::Unknown) => {
                    self.stateless(from, Datagram::DropParty(c.reversed(), CAUSE_RECOVERY))
                }
                Err(_) => {}
            },
            Datagram::AddPartyReject(c, cause) => self.on_leg(
                now,
                from,
                c,
                ToOriginator,
                Input::AddPartyReject(Cause(cause)),
            ),
            Datagram::DropParty(c, cause) => match self.leg_for(from, c, Either) {
                Ok(k) => self.apply(now, k, Input::DropParty(Cause(cause)), None),
                Err(Miss::Unknown) => self.stateless(from, Datagram::DropPartyAck(c.reversed())),
                Err(_) => {}
            },
            Datagram::DropPartyAck(c) => self.on_leg(now, from, c, Either, Input::DropPartyAck),
            Datagram::Data { cref, seq, sdu } => self.on_data(now, from, cref, seq, sdu),
        }
    }

    /// The leg a message names. Every miss is counted here; the caller decides whether an
    /// unknown call reference deserves a stateless answer.
    fn leg_for(&mut self, from: SocketAddr, c: CallRef, dir: Direction) -> Result<LegKey, Miss> {
        let flag_ok = match dir {
            Direction::FromOriginator => !c.to_originator,
            Direction::ToOriginator => c.to_originator,
            Direction::Either => true,
        };
        if !flag_ok {
            self.counters.drop_protocol_error += 1;
            return Err(Miss::Flag);
        }
        let key = if c.to_originator {
            LegKey::Out(c.value)
        } else {
            LegKey::In(from, c.value)
        };
        match self.legs.get(&key) {
            Some(leg) if leg.peer == from => Ok(key),
            Some(_) => {
                self.counters.drop_wrong_peer += 1;
                Err(Miss::WrongPeer)
            }
            None => {
                self.counters.drop_unknown_call += 1;
                Err(Miss::Unknown)
            }
        }
    }

    fn on_leg(&mut self, now: Instant, from: SocketAddr, c: CallRef, dir: Direction, i: Input) {
        if let Ok(k) = self.leg_for(from, c, dir) {
            self.apply(now, k, i, None);
        }
    }

    /// Answer a message that names no leg, creating no state: one small datagram for one
    /// received, so the endpoint cannot be used to amplify.
    fn stateless(&mut self, to: SocketAddr, d: Datagram<'_>) {
        self.push(Transmit::message(to, &d));
    }

    fn on_keepalive(&mut self, now: Instant, from: SocketAddr, instance: u32) {
        let Some(p) = self.peers.get_mut(&from) else {
            self.counters.keepalive_from_stranger += 1;
            return;
        };
        match p.instance {
            None => p.instance = Some(instance),
            Some(known) if known == instance => {}
            // The peer restarted: every leg with it belongs to its previous life.
            Some(known) => {
                tracing::info!(peer = %from, old = known, new = instance, "peer restarted");
                self.peer_lost(now, from)
            }
        }
    }

    /// SETUP (`party` false) or ADD PARTY (`party` true).
    fn on_setup(&mut self, now: Instant, from: SocketAddr, s: CallSetup, party: bool) {
        if s.cref.to_originator {
            self.counters.drop_protocol_error += 1;
            return;
        }
        let key = LegKey::In(from, s.cref.value);
        let refuse = |cause: Cause| {
            let c = s.cref.reversed();
            if party {
                Datagram::AddPartyReject(c, cause.0)
            } else {
                Datagram::ReleaseComplete(c, cause.0)
            }
        };
        if self.legs.contains_key(&key) {
            let input = if party { Input::AddParty } else { Input::Setup };
            return self.apply(now, key, input, None);
        }
        if let Some((kind, cause)) = self.tombs.get(&(from, s.cref.value)) {
            // A late duplicate of a request already acted on: answer, never act twice.
            self.counters.duplicates_answered += 1;
            if (kind == TombKind::Party) == party {
                self.stateless(from, refuse(cause));
            }
            return;
        }
        if s.called != self.me {
            self.counters.drop_wrong_called_address += 1;
            return self.stateless(from, refuse(Cause::UNALLOCATED_NUMBER));
        }
        let per_peer = self.peers.get(&from).map_or(0, |p| p.pending);
        if per_peer >= self.cfg.max_pending_per_peer
            || self.peers.pending_total() >= self.cfg.max_pending
            || self.legs.len() >= self.cfg.max_legs
        {
            self.counters.drop_setup_limit += 1;
            return self.stateless(from, refuse(Cause::RESOURCE_UNAVAILABLE));
        }
        let vc = VcId::incoming(self.next_incoming);
        self.next_incoming += 1;
        let (entry, machine) = if party {
            (Vc::Leaf(key), Machine::Party(PartyState::AddPartyReceived))
        } else {
            (Vc::Call(key), Machine::Call(CallState::CallPresent))
        };
        self.vcs.insert(vc, entry);
        self.open_leg(now, key, from, vc, None, machine, s.called);
        let progress = if party {
            Msg::PartyAlerting
        } else {
            Msg::CallProceeding
        };
        self.send(key, progress);
        // The peer entry exists now: this datagram counts as heard.
        if let Some(p) = self.peers.get_mut(&from) {
            p.last_heard = Some(now);
        }
        self.events.tell(VcEvent::IncomingCall {
            vc,
            from: s.calling,
            multipoint: party,
        });
    }

    fn on_data(&mut self, now: Instant, from: SocketAddr, c: CallRef, seq: u64, sdu: &[u8]) {
        let Ok(key) = self.leg_for(from, c, Direction::Either) else {
            return;
        };
        let Some(leg) = self.legs.get(&key) else {
            return;
        };
        // Point-to-multipoint data flows root to leaf only: a root's party leg receives none.
        if let (Machine::Party(_), LegKey::Out(_)) = (leg.machine, key) {
            self.counters.drop_protocol_error += 1;
            return;
        }
        if seq <= leg.recv_seq {
            self.counters.drop_late_or_duplicate += 1;
            return;
        }
        self.apply(now, key, Input::Data, Some((seq, sdu)));
    }
}

/// The cause in a stateless answer to a CONNECT or ADD PARTY ACK for a leg this side no
/// longer holds: it gave the leg up when its request went unanswered.
const CAUSE_RECOVERY: u8 = Cause::TIMER_EXPIRY.0;
