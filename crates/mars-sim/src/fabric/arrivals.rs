//! What happens when a scheduled action comes due: messages arrive at VC ends, and the
//! network notices crashes and partitions.

use std::time::Duration;

use mars_proto::{Cause, VcEvent};

use super::endpoint::LocalVc;
use super::leg::{EndState, LegKey, Phase, Side};
use super::queue::{Action, Msg};
use super::Fabric;
use crate::pcap::Direction;

impl Fabric {
    pub(super) fn process(&mut self, action: Action) {
        match action {
            Action::Arrive { leg, to, msg } => self.arrive(leg, to, msg),
            Action::CrashDetected { legs } => {
                for key in legs {
                    self.fail_leg(key);
                }
            }
            Action::PartitionCheck => {
                let crossing: Vec<LegKey> = self
                    .legs
                    .iter()
                    .filter(|(_, leg)| {
                        let root = leg.end(Side::Root).ep.index();
                        let leaf = leg.end(Side::Leaf).ep.index();
                        self.endpoints[root].island != self.endpoints[leaf].island
                    })
                    .map(|(&key, _)| key)
                    .collect();
                if !crossing.is_empty() {
                    tracing::debug!(legs = crossing.len(), "partition detected: releasing VCs");
                }
                for key in crossing {
                    self.fail_leg(key);
                }
            }
        }
    }

    /// The network gives up on `key`: every end still there is released with cause #27 (an
    /// end that has not seen its SETUP yet is simply forgotten).
    fn fail_leg(&mut self, key: LegKey) {
        for side in [Side::Root, Side::Leaf] {
            let Some(leg) = self.legs.get(&key) else {
                return;
            };
            match leg.end(side).state {
                EndState::Gone => {}
                EndState::Pending => self.detach(key, side),
                EndState::Open => self.signal(
                    key,
                    side,
                    Msg::Release(Cause::DESTINATION_OUT_OF_ORDER),
                    Duration::ZERO,
                ),
            }
        }
    }

    fn arrive(&mut self, key: LegKey, to: Side, msg: Msg) {
        let Some(leg) = self.legs.get_mut(&key) else {
            if matches!(msg, Msg::Sdu(_)) {
                self.totals.sdus_discarded += 1;
            }
            return;
        };
        let end = leg.end(to);
        let (ep, vc, label, state) = (end.ep, end.vc, end.label, end.state);
        let party = leg.party;
        if state == EndState::Gone {
            if matches!(msg, Msg::Sdu(_)) {
                self.totals.sdus_discarded += 1;
            }
            return;
        }
        match msg {
            Msg::Setup => {
                leg.end_mut(to).state = EndState::Open;
                leg.phase = Phase::Offered;
                let from = leg.end(Side::Root).ep;
                let from = self.endpoints[from.index()].address;
                let e = &mut self.endpoints[ep.index()];
                e.pending.remove(&key);
                e.vcs.insert(vc, LocalVc::Leg { leg: key, side: to });
                let multipoint = party.is_some();
                self.emit(
                    ep,
                    VcEvent::IncomingCall {
                        vc,
                        from,
                        multipoint,
                    },
                );
            }
            Msg::Connect => {
                leg.phase = Phase::Active;
                let ev = match party {
                    Some(party) => VcEvent::PartyAdded { vc, party },
                    None => VcEvent::Connected { vc },
                };
                self.emit(ep, ev);
            }
            Msg::Release(cause) => {
                self.detach(key, to);
                let ev = match (to, party) {
                    (Side::Root, Some(party)) => VcEvent::PartyDropped { vc, party, cause },
                    _ => VcEvent::Released { vc, cause },
                };
                self.emit(ep, ev);
            }
            Msg::Sdu(sdu) => {
                let src = leg.end(to.other()).ep;
                if !self.reachable(src, ep) {
                    self.totals.sdus_lost += 1;
                    self.endpoints[ep.index()].counters.sdus_lost += 1;
                    return;
                }
                self.totals.sdus_delivered += 1;
                self.endpoints[ep.index()].counters.sdus_received += 1;
                self.capture_sdu(ep, Direction::Rx, label, &sdu);
                self.emit(ep, VcEvent::Received { vc, sdu });
            }
        }
    }
}
