//! MARS_REDIRECT_MAP (§5.4.3): the dynamic backup list and hard and soft redirects.
//!
//! "When this message is received, cluster members that maintain a list of backup MARS
//! addresses MUST insert this information at the top of their locally held list". Decision:
//! each complete map replaces the previous map's entries (the top of the table), and the
//! configured MARSs follow, so that the table does not grow without bound and a MARS the
//! cluster no longer lists drops out of it.
//!
//! A map listing no MARS is discarded as malformed, but it still shows the MARS is alive (it
//! restarts the "missed redirect maps" timer) and it still carries the CSN.

use mars_wire::mars::{RedirF, RedirectMap};
use mars_wire::AtmAddress;

use super::endpoint::{Endpoint, TimerKey};
use super::reassembly::{Reassembly, Step};
use super::report::{Discard, RegistrationCause};
use super::session::AfterWait;
use crate::vc::VcId;

impl Endpoint {
    /// One MARS_REDIRECT_MAP part, from a VC of the current MARS.
    pub(crate) fn on_redirect_part(&mut self, vc: VcId, m: RedirectMap) {
        self.counters.rx_redirect_map += 1;
        // §5.4.3: "The source ATM address field(s) MUST identify the originating MARS."
        if m.source != self.session.current {
            return self.discard(Some(vc), Discard::NotFromCurrentMars);
        }
        let max = self.cfg.max_targets;
        let (parts, _) = self
            .redirect_parts
            .get_or_insert_with(|| (Reassembly::new(max), m.redirf));
        match parts.part(m.seqxy, m.msn, m.targets) {
            Step::More => {
                let at = self.now + self.cfg.timers.multi_part_timeout;
                self.timers.set(TimerKey::RedirectParts, at);
            }
            Step::Failed(e) => {
                // "If a failure occurs during the reassembly ... the entire message MUST be
                // discarded."
                self.redirect_parts = None;
                self.timers.cancel(TimerKey::RedirectParts);
                self.discard(Some(vc), Discard::Reassembly(e));
            }
            Step::Done { items, msn } => {
                let redirf = self.redirect_parts.take().map_or(m.redirf, |(_, r)| r);
                self.timers.cancel(TimerKey::RedirectParts);
                self.track_msn(msn, None);
                self.redirect_map_seen();
                self.apply_redirect_map(vc, items, redirf);
            }
        }
    }

    pub(crate) fn on_redirect_parts_timeout(&mut self) {
        if self.redirect_parts.take().is_some() {
            self.discard(
                None,
                Discard::Reassembly(super::report::ReassemblyError::Timeout),
            );
        }
    }

    fn apply_redirect_map(&mut self, vc: VcId, items: Vec<AtmAddress>, redirf: RedirF) {
        let mut table: Vec<AtmAddress> = Vec::with_capacity(items.len());
        for a in items {
            if !a.number.is_null() && !table.contains(&a) {
                table.push(a);
            }
        }
        let Some(&top) = table.first() else {
            return self.discard(Some(vc), Discard::EmptyRedirectMap);
        };
        self.session.learned = table;
        if top == self.session.current || !self.session.registered() {
            return;
        }
        if redirf.hard() {
            // "the cluster member re-registers with the MARS now at the top of the table
            // using the mechanism described in sections 5.4.1 and 5.4.2".
            self.drop_mars_vcs();
            self.change_mars(top);
            self.session.cause = RegistrationCause::HardRedirect;
            self.session.after_wait = AfterWait::SameMars;
            self.session.state = super::session::RegState::Waiting;
            let d = self.random(self.cfg.timers.reregister_delay);
            self.timers.set(TimerKey::Reconnect, self.now + d);
        } else {
            // "A cluster member MUST check that the calling party at the other end of the VC
            // on which the MARS_REDIRECT_MAP arrived ... is in fact the node it trusts as the
            // current MARS." Control messages are only accepted on such VCs; check again.
            let trusted = self
                .incoming
                .get(&vc)
                .is_some_and(|v| v.from == self.session.current)
                || self.session.is_mars_vc(vc);
            if trusted {
                self.start_soft_redirect(top);
            } else {
                self.discard(Some(vc), Discard::NotFromCurrentMars);
            }
        }
    }
}
