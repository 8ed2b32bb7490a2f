//! The VC to each DCS: the NBMA connectivity below the HFSM (RFC 2334 §2.1: "The HFSM starts
//! in the Down State and transitions to the Waiting State after NBMA level connectivity has
//! been established").
//!
//! The RFC leaves open who sets the VC up. Rule (see also the [module overview](super)):
//!
//! 1. The endpoint with the **lower ATM address calls**; the other accepts. The caller calls at
//!    start and again [`super::ScspConfig::connect_retry`] after a failed call or a release.
//! 2. The higher-address endpoint calls only as a fallback, when it has had no VC for
//!    [`super::ScspConfig::callee_fallback`] (a peer that never calls).
//! 3. If both calls happen anyway, the VC **called by the lower address** is kept; between two
//!    calls from the same endpoint, the newer. So the lower endpoint refuses a call from the
//!    higher while its own call is pending or up (cause #17 user busy), and accepts it
//!    otherwise; the higher endpoint always accepts a call from the lower and releases any
//!    other VC it has to it.
//!
//! Point-to-multipoint calls from a DCS are accepted as receive-only leaves (an LS "may be a
//! leaf of a point to multipoint connection with other servers in the SG", §2.2.3); what
//! arrives on them is processed as from that DCS while its HFSM is not Down.

use mars_wire::AtmAddress;

use super::client::ClientProtocol;
use super::events::Discard;
use super::hello::HelloEvent;
use super::{DcsTimer, ScspEngine};
use crate::vc::{Cause, VcId, VcRequest};

/// The point-to-point VC to one DCS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Link {
    /// No VC.
    #[default]
    Idle,
    /// Our call is pending.
    Calling(VcId),
    /// The VC is up.
    Up {
        /// The VC.
        vc: VcId,
        /// Whether this endpoint called.
        we_called: bool,
    },
}

impl Link {
    /// The VC, when it is up.
    pub fn up_vc(&self) -> Option<VcId> {
        match *self {
            Link::Up { vc, .. } => Some(vc),
            _ => None,
        }
    }

    /// The VC, pending or up.
    pub fn any_vc(&self) -> Option<VcId> {
        match *self {
            Link::Calling(vc) | Link::Up { vc, .. } => Some(vc),
            Link::Idle => None,
        }
    }
}

impl<P: ClientProtocol> ScspEngine<P> {
    /// Whether this endpoint is the one that calls DCS `i` (rule 1).
    fn we_call(&self, i: usize) -> bool {
        self.cfg.address < self.dcs[i].cfg.address
    }

    /// The DCS configured now at `addr`.
    pub(crate) fn dcs_by_address(&self, addr: &AtmAddress) -> Option<usize> {
        self.dcs
            .iter()
            .position(|d| d.live() && d.cfg.address == *addr)
    }

    /// The slot of the removed DCS that had `addr`.
    pub(crate) fn removed_by_address(&self, addr: &AtmAddress) -> Option<usize> {
        self.dcs
            .iter()
            .position(|d| d.removed && d.cfg.address == *addr)
    }

    /// The DCS `vc` belongs to, and whether it is a leaf VC.
    pub(crate) fn dcs_of_vc(&self, vc: VcId) -> Option<(usize, bool)> {
        self.dcs.iter().enumerate().find_map(|(i, d)| {
            if !d.live() {
                None
            } else if d.link.any_vc() == Some(vc) {
                Some((i, false))
            } else if d.leaf == Some(vc) {
                Some((i, true))
            } else {
                None
            }
        })
    }

    /// At start: call, or wait for the call (with the fallback timer).
    pub(crate) fn start_link(&mut self, i: usize) {
        if self.we_call(i) {
            self.call(i);
        } else {
            self.arm_link_timer(i);
        }
    }

    fn call(&mut self, i: usize) {
        let vc = self.alloc_vc();
        let to = self.dcs[i].cfg.address;
        self.dcs[i].link = Link::Calling(vc);
        self.disarm(i, DcsTimer::Connect);
        self.requests.push_back(VcRequest::Connect { vc, to });
    }

    /// With no VC: the caller retries after `connect_retry`; the callee falls back after
    /// `callee_fallback`.
    fn arm_link_timer(&mut self, i: usize) {
        let wait = if self.we_call(i) {
            Some(self.cfg.connect_retry)
        } else {
            self.cfg.callee_fallback
        };
        match wait {
            Some(w) => {
                let at = self.now + w;
                self.arm(i, DcsTimer::Connect, at);
            }
            None => self.disarm(i, DcsTimer::Connect),
        }
    }

    pub(crate) fn on_connect_timer(&mut self, i: usize) {
        if self.dcs[i].link == Link::Idle {
            self.call(i);
        }
    }

    /// The VC to DCS `i` is up: Down → Waiting.
    fn link_up(&mut self, i: usize, vc: VcId, we_called: bool) {
        self.dcs[i].link = Link::Up { vc, we_called };
        self.disarm(i, DcsTimer::Connect);
        self.hello_event(i, HelloEvent::Connected);
    }

    /// The VC to DCS `i` is gone: → Down, and try again later.
    fn link_down(&mut self, i: usize) {
        self.dcs[i].link = Link::Idle;
        self.hello_event(i, HelloEvent::ConnectionLost);
        self.arm_link_timer(i);
    }

    /// Release our VC to DCS `i`, pending or up (a newer VC replaces it).
    fn drop_link(&mut self, i: usize) {
        let was_up = self.dcs[i].link.up_vc().is_some();
        if let Some(vc) = self.dcs[i].link.any_vc() {
            self.requests.push_back(VcRequest::Release {
                vc,
                cause: Cause::NORMAL,
            });
            self.dcs[i].link = Link::Idle;
            if was_up {
                self.hello_event(i, HelloEvent::ConnectionLost);
            }
        }
    }

    pub(crate) fn on_incoming_call(&mut self, vc: VcId, from: AtmAddress, multipoint: bool) {
        let Some(i) = self.dcs_by_address(&from) else {
            // Not a configured DCS (§2.1: the LS is configured with the addresses of its
            // would-be DCSs), or no longer one (it may still name this server).
            self.requests.push_back(VcRequest::Refuse {
                vc,
                cause: Cause::CALL_REJECTED,
            });
            let (reason, detail) = match self.removed_by_address(&from) {
                Some(j) => (
                    Discard::RemovedDcs,
                    format!("call from {from} (DCS {j}, removed)"),
                ),
                None => (Discard::UnknownCaller, format!("call from {from}")),
            };
            self.discard(None, reason, Some(detail));
            return;
        };
        if multipoint {
            if let Some(old) = self.dcs[i].leaf.replace(vc) {
                self.requests.push_back(VcRequest::Release {
                    vc: old,
                    cause: Cause::NORMAL,
                });
            }
            self.requests.push_back(VcRequest::Accept { vc });
            return;
        }
        let lower_is_us = self.we_call(i);
        let refuse = lower_is_us
            && match self.dcs[i].link {
                Link::Calling(_) => true,
                Link::Up { we_called, .. } => we_called,
                Link::Idle => false,
            };
        if refuse {
            // Rule 3: our call (from the lower address) wins.
            self.requests.push_back(VcRequest::Refuse {
                vc,
                cause: Cause::USER_BUSY,
            });
            return;
        }
        // Rule 3: a call from the lower address, or a newer call from the same endpoint,
        // replaces whatever VC there was.
        self.drop_link(i);
        self.requests.push_back(VcRequest::Accept { vc });
        self.link_up(i, vc, false);
    }

    pub(crate) fn on_connected(&mut self, vc: VcId) {
        match self.dcs_of_vc(vc) {
            Some((i, false)) if self.dcs[i].link == Link::Calling(vc) => self.link_up(i, vc, true),
            _ => self.discard(None, Discard::UnknownVc, Some(format!("connected {vc}"))),
        }
    }

    pub(crate) fn on_released(&mut self, vc: VcId) {
        match self.dcs_of_vc(vc) {
            Some((i, true)) => self.dcs[i].leaf = None,
            Some((i, false)) => match self.dcs[i].link {
                Link::Calling(_) => {
                    self.dcs[i].link = Link::Idle;
                    self.arm_link_timer(i);
                }
                Link::Up { .. } => self.link_down(i),
                Link::Idle => {}
            },
            None => {}
        }
    }
}
