//! The Cache Alignment protocol (RFC 2334 §2.2, B.2.1): one Cache Alignment Finite State
//! Machine (CAFSM) per DCS.
//!
//! ```text
//!   Down --(HFSM Bidirectional)--> Master/Slave Negotiation --> Cache Summarize
//!        --> Update Cache --> Aligned;   any --(HFSM leaves Bidirectional)--> Down;
//!   Cache Summarize --(M/I bit wrong, sequence error)--> Master/Slave Negotiation
//! ```
//!
//! CSAS records are summarised from the live cache with a cursor (the cache is ordered by
//! (key, originator)), packed up to the VC's MTU; the O bit says whether more follow. Records
//! the DCS has newer go on the CSA Request List ([`super::solicit`]).
//!
//! Decisions where the RFC is silent or loose (each tested):
//! - **O bit of the master's first CA** (§2.2.1 2d says "If there are any CSAS records to be
//!   sent ... the O bit is set to one"): the O bit is set when *more* records follow this
//!   message, as in §2.2.2 3d3. Read literally, a master whose records all fit in its first CA
//!   would send O=1, go to Update Cache on the slave's reply (3d1), and leave the slave waiting
//!   for a CA with the O bit off that never comes.
//! - **A slave with nothing left to send** that receives a CA with the O bit on (no case of
//!   §2.2.2 rule 5c applies) answers with an empty CA, O bit off, and alignment continues.
//! - **A master receiving a sequence number** neither current nor one less (§2.2.2 gives rule 6
//!   only for the slave) treats it as the slave's rule 6: back to negotiation.
//! - **A CA with the I bit set** in Cache Summarize sends the CAFSM back to negotiation (rule 1),
//!   where that same CA is then taken (it is the DCS's negotiation CA); the LS's own negotiation
//!   CA goes out only if it leaves the CAFSM negotiating. A slave whose first answer was lost
//!   thus answers the master's repeated first CA at once.
//! - **CA messages in Update Cache or Aligned**: one with the I bit set means the DCS restarted
//!   alignment, so this side goes back to Master/Slave Negotiation and takes it there; a
//!   master discards a duplicate (one less than current); a slave resends the copy of its last
//!   CA it keeps (§2.2.2 note), or — once that copy is released — restarts negotiation, since
//!   it can no longer answer correctly; anything else is ignored.
//! - **New CA sequence number** on entering negotiation: drawn from the seeded RNG (B.2.1: "a
//!   value not previously seen by the DCS").

use mars_wire::scsp::{
    Ca, CsasRecord, ScspBody, ScspId, ScspPacket, CA_FLAG_I, CA_FLAG_M, CA_FLAG_O,
};
use rand::Rng;

use super::cache::{EntryId, Newness};
use super::client::ClientProtocol;
use super::events::{Discard, ScspEvent};
use super::{DcsTimer, ScspEngine};

/// CAFSM states (§2.2, Figure 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaState {
    /// The HFSM is not Bidirectional.
    #[default]
    Down,
    /// Deciding who is master (§2.2.1).
    MasterSlaveNegotiation,
    /// Exchanging CSAS records (§2.2.2).
    CacheSummarize,
    /// Soliciting the CSA records on the CRL (§2.2.3).
    UpdateCache,
    /// Aligned; running the Cache State Update protocol (§2.2.4).
    Aligned,
}

impl CaState {
    /// Whether CSU messages may be sent and received (§2.3: "only when the corresponding
    /// CAFSM is in either the Aligned State or the Update Cache State").
    pub const fn allows_csu(self) -> bool {
        matches!(self, CaState::UpdateCache | CaState::Aligned)
    }
}

/// The role this LS plays in an alignment (§2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Sets the tempo: it increments the CA sequence number.
    Master,
    /// Copies the master's CA sequence number.
    Slave,
}

/// How far Cache Summarize has walked the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Nothing summarised yet.
    #[default]
    Start,
    /// Summarised up to and including this entry.
    After(EntryId),
    /// The last CSAS records went out (with the O bit off).
    Done,
}

/// The CAFSM of one DCS.
#[derive(Debug, Clone, Default)]
pub(crate) struct Alignment {
    pub state: CaState,
    pub role: Option<Role>,
    /// The current CA Sequence Number.
    pub seq: u32,
    pub cursor: Cursor,
    /// The last CA sent, for retransmission and for the slave's resend (re-encoded, so that
    /// it is signed with the association current then).
    pub last_sent: Option<ScspPacket>,
    /// Whether the last CA sent had the O bit on.
    pub last_sent_o: bool,
    /// The slave keeps `last_sent` after entering Update Cache (§2.2.2, note).
    pub kept: bool,
}

/// The M, I and O bits of a received CA.
#[derive(Debug, Clone, Copy)]
struct CaFlags {
    m: bool,
    i: bool,
    o: bool,
}

/// What a received CA is to a CAFSM: the events of the rules of §2.2.1 and §2.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CaInput {
    /// In negotiation: M, I and O set, no records, from a larger Sender ID — the DCS will be
    /// master (§2.2.1 rule 1).
    MasterOffer,
    /// In negotiation: M and I off, from a smaller Sender ID — the DCS took the slave role
    /// (§2.2.1 rule 2).
    SlaveAnswer,
    /// After negotiation: the I bit set (§2.2.2 rule 1).
    Initializing,
    /// After negotiation: the M bit says the DCS plays this LS's role (§2.2.2 rule 1).
    WrongRole,
    /// The current CA sequence number.
    Current,
    /// One more than current (§2.2.2 rule 5).
    Next,
    /// One less than current (§2.2.2 rule 2).
    Previous,
    /// Anything else (in negotiation: rule 3).
    Other,
}

/// Classify a CA from `sender` for the CAFSM `a` of the LS `lsid`.
fn classify(a: &Alignment, lsid: &ScspId, sender: &ScspId, ca: &Ca, f: CaFlags) -> CaInput {
    if a.state == CaState::MasterSlaveNegotiation {
        return if f.m && f.i && f.o && ca.records.is_empty() && sender > lsid {
            CaInput::MasterOffer
        } else if !f.m && !f.i && sender < lsid {
            CaInput::SlaveAnswer
        } else {
            CaInput::Other
        };
    }
    if f.i {
        return CaInput::Initializing;
    }
    let wrong_role = match a.role {
        Some(Role::Master) => f.m,
        Some(Role::Slave) => !f.m,
        None => false,
    };
    if wrong_role {
        CaInput::WrongRole
    } else if ca.sequence == a.seq {
        CaInput::Current
    } else if ca.sequence == a.seq.wrapping_add(1) {
        CaInput::Next
    } else if ca.sequence == a.seq.wrapping_sub(1) {
        CaInput::Previous
    } else {
        CaInput::Other
    }
}

impl<P: ClientProtocol> ScspEngine<P> {
    fn set_ca_state(&mut self, i: usize, to: super::CaState) {
        let from = self.dcs[i].ca.state;
        if from != to {
            self.dcs[i].ca.state = to;
            self.dcs[i].counters.cafsm_transitions += 1;
            self.event(ScspEvent::CaState { dcs: i, from, to });
        }
    }

    /// The HFSM reached Bidirectional: Down → Master/Slave Negotiation.
    pub(crate) fn ca_start(&mut self, i: usize) {
        self.enter_negotiation(i);
    }

    /// The HFSM left Bidirectional: any → Down. The CRL, the retransmit queue and the kept CA
    /// go; purges of this LS's own entries stop waiting for this DCS.
    pub(crate) fn ca_down(&mut self, i: usize) {
        for t in [
            DcsTimer::CaRexmt,
            DcsTimer::SlaveCaRelease,
            DcsTimer::CsusRexmt,
            DcsTimer::CsuRexmt,
        ] {
            self.disarm(i, t);
        }
        let d = &mut self.dcs[i];
        d.ca = Alignment {
            state: d.ca.state,
            ..Alignment::default()
        };
        d.crl.clear();
        d.acks.clear();
        let purges = d.rexmt.clear();
        self.set_ca_state(i, CaState::Down);
        for id in purges {
            self.purge_progress(i, &id);
        }
    }

    /// Enter Master/Slave Negotiation (§2.2): a fresh CA sequence number, and the first CA
    /// with M, I and O set and no records, repeated every CAReXmtInterval.
    fn enter_negotiation(&mut self, i: usize) {
        self.reset_negotiation(i);
        self.send_negotiation_ca(i);
    }

    /// Enter Master/Slave Negotiation and take the CA that caused it there at once (a CA
    /// with the I bit: the DCS is negotiating). The LS's own negotiation CA goes out only if
    /// that CA leaves it negotiating; so the master's repeated first CA, when the slave's
    /// answer was lost, costs the slave no extra round.
    fn renegotiate_with(&mut self, i: usize, pkt: &ScspPacket, ca: &Ca, f: CaFlags) {
        self.reset_negotiation(i);
        let a = &self.dcs[i].ca;
        match classify(a, &self.cfg.local_id, &pkt.common.sender_id, ca, f) {
            CaInput::MasterOffer => self.become_slave(i, ca),
            CaInput::SlaveAnswer => self.become_master(i, ca),
            _ => {
                self.discard(
                    Some(i),
                    Discard::CaIgnored,
                    Some("negotiation rule 3".into()),
                );
                self.send_negotiation_ca(i);
            }
        }
    }

    fn reset_negotiation(&mut self, i: usize) {
        self.disarm(i, DcsTimer::SlaveCaRelease);
        self.disarm(i, DcsTimer::CsusRexmt);
        self.disarm(i, DcsTimer::CsuRexmt);
        self.disarm(i, DcsTimer::CaRexmt);
        let seq = self.rng.gen::<u32>();
        let d = &mut self.dcs[i];
        d.ca = Alignment {
            state: d.ca.state,
            seq,
            ..Alignment::default()
        };
        d.crl.clear();
        // Records already queued wait for Update Cache (§2.3: CSUs only from then on).
        d.rexmt.hold_all();
        self.set_ca_state(i, CaState::MasterSlaveNegotiation);
    }

    fn send_negotiation_ca(&mut self, i: usize) {
        self.send_ca(i, CA_FLAG_M | CA_FLAG_I | CA_FLAG_O, Vec::new());
        self.arm_ca_rexmt(i);
    }

    fn arm_ca_rexmt(&mut self, i: usize) {
        let at = self.now + self.dcs[i].cfg.params.ca_rexmt_interval;
        self.arm(i, DcsTimer::CaRexmt, at);
    }

    /// Send a CA with the current sequence number, `flags` and `records`; keep it as the last
    /// CA sent.
    fn send_ca(&mut self, i: usize, flags: u16, records: Vec<CsasRecord>) {
        let mut common = self.common_part(i);
        common.flags = flags;
        let n = records.len() as u64;
        let sequence = self.dcs[i].ca.seq;
        let pkt = ScspPacket::new(common, ScspBody::Ca(Ca { sequence, records }));
        self.transmit(i, &pkt);
        let d = &mut self.dcs[i];
        d.counters.ca_records_sent += n;
        d.ca.last_sent = Some(pkt);
        d.ca.last_sent_o = flags & CA_FLAG_O != 0;
    }

    /// Resend the last CA sent.
    fn resend_ca(&mut self, i: usize) {
        if let Some(pkt) = self.dcs[i].ca.last_sent.clone() {
            self.dcs[i].counters.ca_retransmissions += 1;
            self.transmit(i, &pkt);
        }
    }

    /// The next CSAS records of the cache, as many as fit one CA; returns them and whether
    /// more remain after them (the O bit).
    fn next_summaries(&mut self, i: usize) -> (Vec<CsasRecord>, bool) {
        let budget = self.budget(i, mars_wire::scsp::MessageType::Ca);
        let d = &self.dcs[i];
        let start = match &d.ca.cursor {
            Cursor::Done => return (Vec::new(), false),
            Cursor::Start => None,
            Cursor::After(id) => Some(id),
        };
        let mut out = Vec::new();
        let mut used = 0;
        let mut last = None;
        let mut more = false;
        let mut too_large = 0u64;
        for (id, e) in self.cache.after(start) {
            let len = id.csas_len();
            if len > budget {
                // Cannot be summarised on this VC at all; skip it (counted below).
                last = Some(id);
                too_large += 1;
                continue;
            }
            if used + len > budget || out.len() == usize::from(u16::MAX) {
                more = true;
                break;
            }
            used += len;
            out.push(id.csas(e.seq));
            last = Some(id);
        }
        let cursor = match (more, last) {
            (false, _) => Cursor::Done,
            (true, Some(id)) => Cursor::After(id.clone()),
            (true, None) => d.ca.cursor.clone(),
        };
        self.dcs[i].ca.cursor = cursor;
        for _ in 0..too_large {
            self.discard(
                Some(i),
                Discard::TooLarge,
                Some("CSAS larger than a CA".into()),
            );
        }
        (out, more)
    }

    /// "CA message processing" (§2.2.2.1): every CSAS record the DCS holds more up to date
    /// than the cache goes on the CRL.
    fn process_csas(&mut self, i: usize, records: &[CsasRecord]) {
        for r in records {
            let id = EntryId::of(r);
            if self.cache.summary_newness(&id, r.seq) == Newness::Newer {
                self.want(i, id, r.seq);
            }
        }
    }

    /// A CA from DCS `i` (Receiver ID already checked, HFSM Bidirectional): the CAFSM
    /// transition table of §2.2.1 and §2.2.2.
    pub(crate) fn on_ca(&mut self, i: usize, pkt: &ScspPacket, ca: &Ca) {
        use CaInput as In;
        use CaState as S;
        let f = CaFlags {
            m: pkt.common.flag(CA_FLAG_M),
            i: pkt.common.flag(CA_FLAG_I),
            o: pkt.common.flag(CA_FLAG_O),
        };
        let a = &self.dcs[i].ca;
        let input = classify(a, &self.cfg.local_id, &pkt.common.sender_id, ca, f);
        let ignore = |e: &mut Self, why: &str| {
            e.discard(Some(i), Discard::CaIgnored, Some(why.into()));
        };
        match (a.state, a.role, input) {
            (S::Down, _, _) => self.discard(Some(i), Discard::WrongState, None),
            // §2.2.1 rule 1: the LS is slave; rule 2: the LS is master; rule 3: ignored.
            (S::MasterSlaveNegotiation, _, In::MasterOffer) => self.become_slave(i, ca),
            (S::MasterSlaveNegotiation, _, In::SlaveAnswer) => self.become_master(i, ca),
            (S::MasterSlaveNegotiation, _, _) => ignore(self, "negotiation rule 3"),
            // §2.2.2 rule 1 (I bit); after alignment too (decision): negotiate, taking this CA.
            (_, _, In::Initializing) => self.renegotiate_with(i, pkt, ca, f),
            // §2.2.2 rule 1 (M bit wrong).
            (S::CacheSummarize, _, In::WrongRole) => self.enter_negotiation(i),
            // §2.2.2 as master: rule 2 (duplicate), rule 3, and a sequence error (decision).
            (S::CacheSummarize, Some(Role::Master), In::Previous) => ignore(self, "duplicate CA"),
            (S::CacheSummarize, Some(Role::Master), In::Current) => self.master_step(i, ca, f),
            (S::CacheSummarize, Some(Role::Master), _) => self.enter_negotiation(i),
            // §2.2.2 as slave: rule 4 (duplicate: resend), rule 5, rule 6.
            (S::CacheSummarize, _, In::Current) => self.resend_ca(i),
            (S::CacheSummarize, _, In::Next) => self.slave_step(i, ca, f),
            (S::CacheSummarize, _, _) => self.enter_negotiation(i),
            // §2.2.2 note: the slave answers the master's repeated last CA from its copy;
            // once the copy is released it cannot, and negotiates again (decision).
            (S::UpdateCache | S::Aligned, Some(Role::Slave), In::Current) => {
                if self.dcs[i].ca.kept {
                    self.resend_ca(i);
                } else {
                    self.enter_negotiation(i);
                }
            }
            (S::UpdateCache | S::Aligned, Some(Role::Master), In::Previous) => {
                ignore(self, "duplicate CA")
            }
            (S::UpdateCache | S::Aligned, _, _) => ignore(self, "CA after alignment"),
        }
    }

    /// §2.2.1 rule 1: stop the timer, become slave, adopt the DCS's CA sequence number, answer
    /// with M and I off and the first CSAS records.
    fn become_slave(&mut self, i: usize, ca: &Ca) {
        self.disarm(i, DcsTimer::CaRexmt);
        let d = &mut self.dcs[i];
        d.ca.role = Some(Role::Slave);
        d.ca.seq = ca.sequence;
        self.set_ca_state(i, CaState::CacheSummarize);
        let (records, more) = self.next_summaries(i);
        self.send_ca(i, if more { CA_FLAG_O } else { 0 }, records);
    }

    /// §2.2.1 rule 2: stop the timer, become master, process the CA, increment the CA
    /// sequence number, send the first CSAS records with M set.
    fn become_master(&mut self, i: usize, ca: &Ca) {
        self.disarm(i, DcsTimer::CaRexmt);
        self.dcs[i].ca.role = Some(Role::Master);
        self.set_ca_state(i, CaState::CacheSummarize);
        self.process_csas(i, &ca.records);
        let d = &mut self.dcs[i];
        d.ca.seq = d.ca.seq.wrapping_add(1);
        let (records, more) = self.next_summaries(i);
        let o = if more { CA_FLAG_O } else { 0 };
        self.send_ca(i, CA_FLAG_M | o, records);
        self.arm_ca_rexmt(i);
    }

    /// §2.2.2 rule 3: the slave's answer to the master's current CA.
    fn master_step(&mut self, i: usize, ca: &Ca, f: CaFlags) {
        self.disarm(i, DcsTimer::CaRexmt);
        self.process_csas(i, &ca.records);
        let d = &mut self.dcs[i];
        d.ca.seq = d.ca.seq.wrapping_add(1);
        let done = d.ca.cursor == Cursor::Done;
        if done && !f.o {
            // 3d1.
            self.enter_update_cache(i);
        } else if done {
            // 3d2: an empty CA with the O bit off.
            self.send_ca(i, CA_FLAG_M, Vec::new());
            self.arm_ca_rexmt(i);
        } else {
            // 3d3.
            let (records, more) = self.next_summaries(i);
            let o = if more { CA_FLAG_O } else { 0 };
            self.send_ca(i, CA_FLAG_M | o, records);
            self.arm_ca_rexmt(i);
        }
    }

    /// §2.2.2 rule 5: the master's next CA.
    fn slave_step(&mut self, i: usize, ca: &Ca, f: CaFlags) {
        self.process_csas(i, &ca.records);
        self.dcs[i].ca.seq = ca.sequence;
        let sent_o = self.dcs[i].ca.last_sent_o;
        if !sent_o && !f.o {
            // 5c1.
            self.send_ca(i, 0, Vec::new());
            self.enter_update_cache(i);
        } else if self.dcs[i].ca.cursor != Cursor::Done {
            // 5c2.
            let (records, more) = self.next_summaries(i);
            self.send_ca(i, if more { CA_FLAG_O } else { 0 }, records);
            if !more && !f.o {
                // 5c2b.
                self.enter_update_cache(i);
            }
        } else {
            // Decision: nothing left, the master has more: acknowledge and continue.
            self.send_ca(i, 0, Vec::new());
        }
    }

    /// Enter Update Cache (§2.2.3); the slave keeps its last CA (§2.2.2 note).
    fn enter_update_cache(&mut self, i: usize) {
        self.disarm(i, DcsTimer::CaRexmt);
        self.set_ca_state(i, CaState::UpdateCache);
        if self.dcs[i].ca.role == Some(Role::Slave) {
            // "the LS ... MUST keep a copy of the last CA message it sent and the LS SHOULD
            // set a timer equal to CAReXmtInterval"
            self.dcs[i].ca.kept = true;
            let at = self.now + self.dcs[i].cfg.params.ca_rexmt_interval;
            self.arm(i, DcsTimer::SlaveCaRelease, at);
        }
        // Records queued meanwhile go out with the next flush; then solicit the CRL, or, if
        // it is empty, "the CAFSM immediately transitions into the Aligned State".
        self.solicit(i);
    }

    /// Update Cache → Aligned, once the CRL is empty (§2.2.3).
    pub(crate) fn enter_aligned(&mut self, i: usize) {
        if self.dcs[i].ca.state == CaState::UpdateCache {
            self.set_ca_state(i, CaState::Aligned);
            self.event(ScspEvent::AlignmentComplete { dcs: i });
            // B.2.0.2: own entries are numbered once aligned.
            self.release_held();
        }
    }

    /// The slave releases the copy of its last CA: the timer expired or a CSUS arrived.
    pub(crate) fn release_kept_ca(&mut self, i: usize) {
        let d = &mut self.dcs[i];
        if d.ca.kept {
            d.ca.kept = false;
            self.disarm(i, DcsTimer::SlaveCaRelease);
        }
    }

    pub(crate) fn on_slave_release_timer(&mut self, i: usize) {
        self.release_kept_ca(i);
    }

    /// CAReXmtInterval expired: in negotiation, and for the master in Cache Summarize,
    /// "it resends the CA message it just sent".
    pub(crate) fn on_ca_rexmt_timer(&mut self, i: usize) {
        let d = &self.dcs[i];
        let resend = match d.ca.state {
            CaState::MasterSlaveNegotiation => true,
            CaState::CacheSummarize => d.ca.role == Some(Role::Master),
            _ => false,
        };
        if resend {
            self.resend_ca(i);
            self.arm_ca_rexmt(i);
        }
    }
}
