//! Carrying out what engines ask: every [`VcRequest`], checked against the contract.

use bytes::Bytes;
use mars_proto::{Cause, PartyId, VcId, VcRequest};
use mars_wire::AtmAddress;
use rand::Rng;
use std::time::Duration;

use super::endpoint::{LocalVc, RootVc};
use super::leg::{End, EndState, Leg, LegKey, Phase, Side};
use super::queue::{Action, Msg};
use super::{EndpointId, Fabric};
use crate::pcap::Direction;

/// Why a request was ignored (for the debug log).
type Misuse = &'static str;

impl Fabric {
    /// Carry out `req` for endpoint `ep` at the current time.
    ///
    /// Never fails: a request the contract does not allow is ignored and counted (see
    /// [`Fabric::misuse`]).
    pub fn request(&mut self, ep: EndpointId, req: VcRequest) {
        let vc = req.vc();
        let outcome = match self.endpoints.get(ep.index()) {
            None => {
                self.totals.misuse += 1;
                tracing::debug!(%ep, %vc, "request from an unknown endpoint ignored");
                return;
            }
            Some(e) if !e.alive => Err("request from a dead endpoint"),
            Some(_) => match req {
                VcRequest::Connect { vc, to } => self.connect(ep, vc, to),
                VcRequest::Accept { vc } => self.accept(ep, vc),
                VcRequest::Refuse { vc, cause } => self.refuse(ep, vc, cause),
                VcRequest::OpenMultipoint { vc } => self.open_multipoint(ep, vc),
                VcRequest::AddParty { vc, party, to } => self.add_party(ep, vc, party, to),
                VcRequest::DropParty { vc, party, cause } => self.drop_party(ep, vc, party, cause),
                VcRequest::Release { vc, cause } => self.release(ep, vc, cause),
                VcRequest::Send { vc, sdu } => self.send(ep, vc, sdu),
            },
        };
        if let Err(why) = outcome {
            self.totals.misuse += 1;
            self.endpoints[ep.index()].count_misuse();
            tracing::debug!(%ep, %vc, why, "request ignored");
        }
    }

    fn connect(&mut self, ep: EndpointId, vc: VcId, to: AtmAddress) -> Result<(), Misuse> {
        if vc.is_incoming() {
            return Err("Connect with a network-chosen (incoming) id");
        }
        if self.endpoints[ep.index()].vcs.contains_key(&vc) {
            return Err("Connect with an id already in use");
        }
        let label = self.labels.alloc();
        let key = self.open_leg(ep, vc, label, None, to);
        self.endpoints[ep.index()].vcs.insert(
            vc,
            LocalVc::Leg {
                leg: key,
                side: Side::Root,
            },
        );
        Ok(())
    }

    fn open_multipoint(&mut self, ep: EndpointId, vc: VcId) -> Result<(), Misuse> {
        if vc.is_incoming() {
            return Err("OpenMultipoint with a network-chosen (incoming) id");
        }
        if self.endpoints[ep.index()].vcs.contains_key(&vc) {
            return Err("OpenMultipoint with an id already in use");
        }
        let root = RootVc {
            label: self.labels.alloc(),
            ..RootVc::default()
        };
        self.endpoints[ep.index()]
            .vcs
            .insert(vc, LocalVc::Root(root));
        Ok(())
    }

    fn add_party(
        &mut self,
        ep: EndpointId,
        vc: VcId,
        party: PartyId,
        to: AtmAddress,
    ) -> Result<(), Misuse> {
        match self.endpoints[ep.index()].vcs.get(&vc) {
            Some(LocalVc::Root(r)) if r.parties.contains_key(&party) => {
                return Err("AddParty with a party id already in use")
            }
            Some(LocalVc::Root(_)) => {}
            Some(LocalVc::Leg { .. }) => return Err("AddParty on a point-to-point VC or a leaf"),
            None => return Err("AddParty on an unknown VC"),
        }
        let key = self.open_leg(ep, vc, None, Some(party), to);
        if let Some(LocalVc::Root(r)) = self.endpoints[ep.index()].vcs.get_mut(&vc) {
            r.parties.insert(party, key);
        }
        Ok(())
    }

    /// Create the leg of a new call from `ep` to `to` and send its SETUP — or, if the network
    /// cannot complete it, the RELEASE back to the caller.
    fn open_leg(
        &mut self,
        ep: EndpointId,
        vc: VcId,
        label: Option<super::VcLabel>,
        party: Option<PartyId>,
        to: AtmAddress,
    ) -> LegKey {
        self.next_leg += 1;
        let key = LegKey(self.next_leg);
        let root = End {
            ep,
            vc,
            label,
            state: EndState::Open,
        };
        let dest = self.by_address.get(&to).copied();
        let refusal = match dest {
            None => Some(Cause::UNALLOCATED_NUMBER),
            Some(d) if !self.endpoints[d.index()].alive => Some(Cause::DESTINATION_OUT_OF_ORDER),
            Some(d) if !self.reachable(ep, d) => Some(Cause::NO_ROUTE),
            Some(_) => None,
        };
        let delay = match dest {
            Some(d) => self.latency(ep, d),
            None => self.links.default.latency,
        };
        match (dest, refusal) {
            (Some(d), None) => {
                let label = self.labels.alloc();
                let leaf_ep = &mut self.endpoints[d.index()];
                let leaf = End {
                    ep: d,
                    vc: leaf_ep.incoming_id(),
                    label,
                    state: EndState::Pending,
                };
                leaf_ep.pending.insert(key);
                self.legs.insert(key, Leg::new(root, leaf, party));
                self.signal(key, Side::Leaf, Msg::Setup, delay);
            }
            (_, cause) => {
                let nobody = End {
                    ep: dest.unwrap_or(ep),
                    vc: VcId::incoming(0),
                    label: None,
                    state: EndState::Gone,
                };
                self.legs.insert(key, Leg::new(root, nobody, party));
                let cause = cause.unwrap_or(Cause::NORMAL_UNSPECIFIED);
                self.signal(key, Side::Root, Msg::Release(cause), delay);
            }
        }
        key
    }

    /// The leg and side `vc` names at `ep`, if it is a leg handle.
    fn leg_handle(&self, ep: EndpointId, vc: VcId) -> Option<(LegKey, Side, &Leg)> {
        match self.endpoints[ep.index()].vcs.get(&vc)? {
            LocalVc::Leg { leg, side } => Some((*leg, *side, self.legs.get(leg)?)),
            LocalVc::Root(_) => None,
        }
    }

    fn accept(&mut self, ep: EndpointId, vc: VcId) -> Result<(), Misuse> {
        match self.leg_handle(ep, vc) {
            Some((key, Side::Leaf, leg)) if leg.phase == Phase::Offered => {
                if let Some(leg) = self.legs.get_mut(&key) {
                    leg.phase = Phase::Accepted;
                }
                self.signal_over_link(key, Side::Root, Msg::Connect);
                Ok(())
            }
            Some((_, Side::Leaf, _)) => Err("Accept of a call already answered"),
            _ => Err("Accept of something that is not an incoming call"),
        }
    }

    fn refuse(&mut self, ep: EndpointId, vc: VcId, cause: Cause) -> Result<(), Misuse> {
        match self.leg_handle(ep, vc) {
            Some((key, Side::Leaf, leg)) if leg.phase == Phase::Offered => {
                self.release_end(key, Side::Leaf, cause);
                Ok(())
            }
            Some((_, Side::Leaf, _)) => Err("Refuse of a call already accepted (use Release)"),
            _ => Err("Refuse of something that is not an incoming call"),
        }
    }

    fn drop_party(
        &mut self,
        ep: EndpointId,
        vc: VcId,
        party: PartyId,
        cause: Cause,
    ) -> Result<(), Misuse> {
        let Some(LocalVc::Root(root)) = self.endpoints[ep.index()].vcs.get_mut(&vc) else {
            return Err("DropParty on something that is not a multipoint root");
        };
        let Some(key) = root.parties.remove(&party) else {
            return Err("DropParty of an unknown party");
        };
        self.release_end(key, Side::Root, cause);
        Ok(())
    }

    fn release(&mut self, ep: EndpointId, vc: VcId, cause: Cause) -> Result<(), Misuse> {
        match self.endpoints[ep.index()].vcs.get(&vc) {
            None => Err("Release of an unknown VC"),
            Some(&LocalVc::Leg { leg, side }) => {
                self.release_end(leg, side, cause);
                Ok(())
            }
            Some(LocalVc::Root(_)) => {
                let Some(LocalVc::Root(root)) = self.endpoints[ep.index()].vcs.remove(&vc) else {
                    return Ok(());
                };
                if let Some(label) = root.label {
                    self.labels.release(label);
                }
                for key in root.parties.into_values() {
                    self.release_end(key, Side::Root, cause);
                }
                Ok(())
            }
        }
    }

    /// The engine at end `side` of `key` lets go: its handle dies at once, and a RELEASE
    /// travels to the other end if that end is (or is about to be) there.
    fn release_end(&mut self, key: LegKey, side: Side, cause: Cause) {
        let Some(leg) = self.legs.get(&key) else {
            return;
        };
        let other = side.other();
        let tell_other = leg.end(other).state != EndState::Gone;
        if tell_other {
            self.signal_over_link(key, other, Msg::Release(cause));
        }
        self.detach(key, side);
    }

    fn send(&mut self, ep: EndpointId, vc: VcId, sdu: Bytes) -> Result<(), Misuse> {
        if sdu.len() > self.config.max_sdu {
            return Err("SDU longer than the maximum SDU size");
        }
        let e = &self.endpoints[ep.index()];
        match e.vcs.get(&vc) {
            None => Err("Send on an unknown VC"),
            Some(&LocalVc::Leg { leg: key, side }) => {
                let Some(leg) = self.legs.get(&key) else {
                    return Err("Send on a dead VC");
                };
                let allowed = match side {
                    Side::Root => leg.phase == Phase::Active,
                    Side::Leaf => {
                        !leg.is_multipoint() && matches!(leg.phase, Phase::Accepted | Phase::Active)
                    }
                };
                if !allowed {
                    return Err(match side {
                        Side::Root => "Send before Connected",
                        Side::Leaf if leg.is_multipoint() => "Send on a multipoint leaf",
                        Side::Leaf => "Send before Accept",
                    });
                }
                let label = leg.end(side).label;
                self.count_sent(ep, label, &sdu);
                self.transmit(key, side.other(), sdu);
                Ok(())
            }
            Some(LocalVc::Root(root)) => {
                let label = root.label;
                let parties: Vec<LegKey> = root.parties.values().copied().collect();
                self.count_sent(ep, label, &sdu);
                for key in parties {
                    // Guarantee 5: only parties whose PartyAdded the root has seen.
                    if self
                        .legs
                        .get(&key)
                        .is_some_and(|l| l.phase == Phase::Active)
                    {
                        self.transmit(key, Side::Leaf, sdu.clone());
                    }
                }
                Ok(())
            }
        }
    }

    fn count_sent(&mut self, ep: EndpointId, label: Option<super::VcLabel>, sdu: &Bytes) {
        self.totals.sdus_sent += 1;
        self.endpoints[ep.index()].counters.sdus_sent += 1;
        self.capture_sdu(ep, Direction::Tx, label, sdu);
    }

    /// Put one copy of `sdu` on `key` towards end `to`.
    fn transmit(&mut self, key: LegKey, to: Side, sdu: Bytes) {
        let now = self.now;
        let Some(leg) = self.legs.get_mut(&key) else {
            return;
        };
        let (src, dst) = (leg.end(to.other()).ep, leg.end(to));
        if dst.state == EndState::Gone {
            // The peer has let go; its RELEASE is on its way to the sender.
            self.totals.sdus_discarded += 1;
            return;
        }
        let dst = dst.ep;
        let link = *self.links.get(src, dst);
        self.totals.sdu_copies += 1;
        let path = leg.path_mut(to);
        let start = now.max(path.tx_free);
        let sent = start + link.serialisation(sdu.len());
        path.tx_free = sent;
        let partitioned = self.endpoints[src.index()].island != self.endpoints[dst.index()].island;
        if partitioned || (link.loss > 0.0 && self.rng.gen::<f64>() < link.loss) {
            self.totals.sdus_lost += 1;
            self.endpoints[dst.index()].counters.sdus_lost += 1;
            return;
        }
        let jitter = match u64::try_from(link.jitter.as_nanos()).unwrap_or(u64::MAX) {
            0 => Duration::ZERO,
            max => Duration::from_nanos(self.rng.gen_range(0..=max)),
        };
        let at = (sent + link.latency + jitter).max(path.last_arrival);
        path.last_arrival = at;
        self.queue.push(
            at,
            Action::Arrive {
                leg: key,
                to,
                msg: Msg::Sdu(sdu),
            },
        );
    }
}
