//! `marsctl resolve`: ask the MARS what it answers for a group, in a client role's name.
//!
//! The client engine resolves groups only for its own sending (and reports how many leaves,
//! not who). To show an operator the MARS's answer itself, the daemon sends a MARS_REQUEST
//! (RFC 2022 §5.1.2) from the client role's endpoint — same ATM address, so the MARS sees a
//! registered member (§6.1.1 answers only those) — on a point-to-point VC of its own to the
//! client's current MARS, reassembles the MARS_MULTI parts (§5.1.1) or takes the MARS_NAK,
//! and releases the VC. The client engine's state is not touched: its VCs and this one have
//! disjoint ids ([`RESOLVER_VC_BASE`]).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, Instant, VcEvent, VcId, VcRequest};
use mars_wire::mars::{MarsBody, MarsMessage, Request};
use mars_wire::{AtmAddress, ProtoAddr, Protocol};
use serde::Serialize;
use tokio::sync::oneshot;

/// Local VC ids of the resolver start here (the client engine's are small).
pub const RESOLVER_VC_BASE: u64 = 1 << 48;

/// What the MARS answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "kebab-case")]
pub enum Answer {
    /// MARS_MULTI: the group's members (or its MCSs), in order, over every part.
    Multi {
        /// The MARS asked.
        mars: AtmAddress,
        /// The group.
        group: ProtoAddr,
        /// The ATM addresses.
        targets: Vec<AtmAddress>,
        /// How many MARS_MULTI parts carried them.
        parts: u16,
        /// `mar$msn` of the reply (the CSN).
        msn: u32,
    },
    /// MARS_NAK: no member.
    Nak {
        /// The MARS asked.
        mars: AtmAddress,
        /// The group.
        group: ProtoAddr,
    },
}

/// A request in flight.
#[derive(Debug)]
struct Pending {
    group: ProtoAddr,
    mars: AtmAddress,
    request: Bytes,
    targets: Vec<AtmAddress>,
    next_part: u16,
    deadline: Instant,
    reply: oneshot::Sender<Result<Answer, String>>,
}

/// The resolver of one client role.
#[derive(Debug, Default)]
pub struct Resolver {
    next: u64,
    pending: BTreeMap<VcId, Pending>,
    requests: VecDeque<VcRequest>,
}

/// What the resolver needs to know of the client.
#[derive(Debug, Clone, Copy)]
pub struct Asker {
    /// The client's ATM address (`mar$sha`).
    pub address: AtmAddress,
    /// Its protocol address (`mar$spa`).
    pub spa: ProtoAddr,
    /// Its protocol (`mar$pro`).
    pub pro: Protocol,
    /// Its current MARS.
    pub mars: AtmAddress,
}

impl Resolver {
    /// Whether `vc` is one of the resolver's.
    pub fn owns(&self, vc: VcId) -> bool {
        !vc.is_incoming() && vc.0 >= RESOLVER_VC_BASE
    }

    /// Ask `who.mars` about `group`; the answer (or why there is none) goes to `reply`.
    pub fn start(
        &mut self,
        now: Instant,
        who: Asker,
        group: ProtoAddr,
        within: Duration,
        reply: oneshot::Sender<Result<Answer, String>>,
    ) {
        let req = MarsMessage::new(
            who.pro,
            MarsBody::Request(Request::new(who.address, who.spa, group)),
        );
        let request = match req.encode_sdu() {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                let _ = reply.send(Err(format!("cannot encode the MARS_REQUEST: {e}")));
                return;
            }
        };
        let vc = VcId::local(RESOLVER_VC_BASE + self.next);
        self.next = (self.next + 1) % (1 << 40);
        self.requests
            .push_back(VcRequest::Connect { vc, to: who.mars });
        self.pending.insert(
            vc,
            Pending {
                group,
                mars: who.mars,
                request,
                targets: Vec::new(),
                next_part: 1,
                deadline: now + within,
                reply,
            },
        );
    }

    fn finish(&mut self, vc: VcId, result: Result<Answer, String>, release: bool) {
        if let Some(p) = self.pending.remove(&vc) {
            let _ = p.reply.send(result);
        }
        if release {
            self.requests.push_back(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
        }
    }

    /// An event for one of the resolver's VCs.
    pub fn on_event(&mut self, ev: VcEvent) {
        match ev {
            VcEvent::Connected { vc } => {
                if let Some(p) = self.pending.get(&vc) {
                    let sdu = p.request.clone();
                    self.requests.push_back(VcRequest::Send { vc, sdu });
                }
            }
            VcEvent::Released { vc, cause } => {
                let mars = self.pending.get(&vc).map(|p| p.mars);
                if let Some(m) = mars {
                    self.finish(
                        vc,
                        Err(format!("the call to MARS {m} failed: {cause}")),
                        false,
                    );
                }
            }
            VcEvent::Received { vc, sdu } => self.on_sdu(vc, &sdu),
            // Nothing else concerns a point-to-point VC the resolver called.
            _ => {}
        }
    }

    fn on_sdu(&mut self, vc: VcId, sdu: &[u8]) {
        let Some(p) = self.pending.get_mut(&vc) else {
            return;
        };
        let msg = match MarsMessage::decode_sdu(sdu) {
            Ok(m) => m,
            Err(e) => {
                let err = format!("the MARS sent a message that does not decode: {e}");
                return self.finish(vc, Err(err), true);
            }
        };
        match msg.body {
            MarsBody::Multi(m) if m.tpa == p.group => {
                // §5.1.1: parts arrive in order with y = 1, 2, …; a gap means a lost part.
                if m.seqxy.y() != p.next_part {
                    let err = format!(
                        "MARS_MULTI part {} arrived when part {} was expected",
                        m.seqxy.y(),
                        p.next_part
                    );
                    return self.finish(vc, Err(err), true);
                }
                p.targets.extend(m.targets);
                p.next_part += 1;
                if m.seqxy.last() {
                    let answer = Answer::Multi {
                        mars: p.mars,
                        group: p.group,
                        targets: std::mem::take(&mut p.targets),
                        parts: m.seqxy.y(),
                        msn: m.msn.0,
                    };
                    self.finish(vc, Ok(answer), true);
                }
            }
            MarsBody::Nak(n) if n.tpa == p.group => {
                let answer = Answer::Nak {
                    mars: p.mars,
                    group: p.group,
                };
                self.finish(vc, Ok(answer), true);
            }
            // Anything else on this VC is not an answer to our question.
            _ => {}
        }
    }

    /// Give up on requests past their deadline.
    pub fn on_timeout(&mut self, now: Instant) {
        let late: Vec<VcId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&vc, _)| vc)
            .collect();
        for vc in late {
            let mars = self.pending.get(&vc).map(|p| p.mars);
            let err = format!(
                "no answer from MARS {} in time (is the client registered with it?)",
                mars.map(|m| m.to_string()).unwrap_or_default()
            );
            self.finish(vc, Err(err), true);
        }
    }

    /// The earliest deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.deadline).min()
    }

    /// The next request for the network.
    pub fn poll_request(&mut self) -> Option<VcRequest> {
        self.requests.pop_front()
    }
}
