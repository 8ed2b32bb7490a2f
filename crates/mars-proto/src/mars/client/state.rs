//! A serialisable snapshot of an endpoint, for the daemon's control socket and for tests:
//! registration, current MARS, HSN, groups joined, outgoing VCs and their leaves.

use mars_wire::{AtmAddress, ProtoAddr};

use super::endpoint::{Endpoint, Role};
use super::membership::Membership;
use super::outgoing::LeafState;
use super::receive::InVc;
use super::reliable::Purpose;
use super::report::RegistrationCause;
use super::session::{MarsVc, RegState};
use crate::vc::VcId;

/// RFC 2417 `marsClientRegistration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MibRegistration {
    /// notRegistered (1).
    NotRegistered,
    /// registering (2).
    Registering,
    /// registered (3).
    Registered,
    /// reRegisteringFault (4).
    ReRegisteringFault,
    /// reRegisteringRedirMap (5).
    ReRegisteringRedirMap,
}

/// One outgoing VC (RFC 2417 `marsClientVcTable`, reduced).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutVcState {
    /// The group.
    pub group: ProtoAddr,
    /// The VC, once opened.
    pub vc: Option<VcId>,
    /// Its leaves.
    pub leaves: Vec<(AtmAddress, LeafState)>,
    /// VC_revalidate (§5.1.5).
    pub revalidate: bool,
    /// A MARS_REQUEST is in progress.
    pub resolving: bool,
    /// Data flows (the first leaves were tried and one is up).
    pub ready: bool,
    /// Datagrams waiting.
    pub queued: usize,
}

/// Everything an operator wants to see of a client or MCS.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EndpointState {
    /// Client or MCS.
    pub role: Role,
    /// This endpoint's ATM address.
    pub address: AtmAddress,
    /// The registration state machine.
    pub state: RegState,
    /// Why the current (or last) registration was made.
    pub cause: RegistrationCause,
    /// The MIB's view of the registration.
    pub registration: MibRegistration,
    /// The current MARS.
    pub mars: AtmAddress,
    /// The MARS table in use (redirect map entries first, §5.4.3).
    pub mars_table: Vec<AtmAddress>,
    /// The point-to-point VC to the MARS.
    pub mars_vc: MarsVc,
    /// ClusterControlVC (ServerControlVC).
    pub control_vc: Option<VcId>,
    /// The CMI (0 for an MCS or before registration).
    pub cmi: u16,
    /// The Host Sequence Number (§5.1.4.2).
    pub hsn: u32,
    /// Groups joined or served.
    pub memberships: Vec<Membership>,
    /// JOIN/LEAVE (MSERV/UNSERV) waiting for their copies.
    pub outstanding: Vec<Purpose>,
    /// Outgoing VCs.
    pub outgoing: Vec<OutVcState>,
    /// Groups in NAK hold-down (§5.1.1).
    pub holddown: Vec<ProtoAddr>,
    /// Incoming VCs.
    pub incoming: Vec<(VcId, InVc)>,
}

impl Endpoint {
    /// The snapshot.
    pub(crate) fn snapshot(&self) -> EndpointState {
        let s = &self.session;
        let registration = match (s.state, s.cause) {
            (RegState::Registered, _) => MibRegistration::Registered,
            (RegState::Idle | RegState::Deregistering, _) => MibRegistration::NotRegistered,
            (_, RegistrationCause::Initial) => MibRegistration::Registering,
            (_, RegistrationCause::HardRedirect | RegistrationCause::SoftRedirect) => {
                MibRegistration::ReRegisteringRedirMap
            }
            (_, RegistrationCause::Fault) => MibRegistration::ReRegisteringFault,
        };
        let mut incoming: Vec<(VcId, InVc)> = self.incoming.iter().map(|(k, v)| (*k, *v)).collect();
        incoming.sort_by_key(|(k, _)| *k);
        EndpointState {
            role: self.role,
            address: self.cfg.address,
            state: s.state,
            cause: s.cause,
            registration,
            mars: s.current,
            mars_table: s.table(),
            mars_vc: s.mars_vc,
            control_vc: s.control_vc,
            cmi: s.cmi,
            hsn: s.hsn.0,
            memberships: self.memberships.clone(),
            outstanding: self.reliable.iter().map(|o| o.purpose).collect(),
            outgoing: self
                .groups
                .iter()
                .map(|(g, e)| OutVcState {
                    group: *g,
                    vc: e.vc,
                    leaves: e.leaves.iter().map(|(a, l)| (*a, l.state)).collect(),
                    revalidate: e.revalidate,
                    resolving: e.resolving.is_some(),
                    ready: e.ready,
                    queued: e.queue.len(),
                })
                .collect(),
            holddown: self.holddown.keys().copied().collect(),
            incoming,
        }
    }
}
