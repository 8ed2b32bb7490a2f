//! The observable state of a MARS server (design principle 6), as `marsctl show` prints it:
//! every cluster's members with their CMIs and joins, groups with their members and MCSs,
//! the holes MCS-served groups punch in blocks (Appendix A), the control VCs and their
//! leaves, the client VCs, the sequence numbers, and the counters.

use serde::Serialize;

use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use super::control_vc::{ControlVc, Leaf};
use super::{MarsServer, ServerStats};
use crate::mars::db::{Cmi, Origin};
use crate::mars::range::Range;
use crate::time::Instant;
use crate::vc::{PartyId, VcId};

/// A snapshot of one MARS.
#[derive(Debug, Clone, Serialize)]
pub struct ServerState {
    /// This MARS's ATM address.
    pub address: AtmAddress,
    /// When the snapshot was taken (the last input's time).
    pub now: Instant,
    /// When the next MARS_REDIRECT_MAP goes out.
    pub next_redirect_map: Option<Instant>,
    /// The servers MARS_REDIRECT_MAP lists.
    pub redirect_targets: Vec<AtmAddress>,
    /// Point-to-point VCs clients called this MARS on.
    pub client_vcs: Vec<ClientVc>,
    /// One cluster per protocol.
    pub clusters: Vec<ClusterState>,
    /// The counters.
    pub stats: ServerStats,
}

/// A point-to-point VC from a client.
#[derive(Debug, Clone, Serialize)]
pub struct ClientVc {
    /// Its id here.
    #[serde(serialize_with = "super::report::display")]
    pub vc: VcId,
    /// The calling party.
    pub from: AtmAddress,
}

/// One protocol's cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterState {
    /// `mar$pro`.
    #[serde(serialize_with = "super::report::display")]
    pub pro: Protocol,
    /// The Cluster Sequence Number the next ClusterControlVC message will carry (§6.1.4).
    pub csn: u32,
    /// The Server Sequence Number the next ServerControlVC message will carry (§6.2.5).
    pub ssn: u32,
    /// ClusterControlVC.
    pub cluster_control_vc: ControlVcState,
    /// ServerControlVC.
    pub server_control_vc: ControlVcState,
    /// Registered cluster members, by CMI.
    pub members: Vec<MemberState>,
    /// Registered MCSs, by id.
    pub mcss: Vec<McsState>,
    /// Groups named by a single join or a server map, ascending.
    pub groups: Vec<GroupState>,
    /// Block joins, ascending.
    pub blocks: Vec<BlockJoin>,
    /// The MCS-served groups, as ranges: the holes punched in every block on
    /// ClusterControlVC (Appendix A's set P is their complement).
    pub holes: Vec<Range>,
}

/// A control VC and its leaves.
#[derive(Debug, Clone, Serialize)]
pub struct ControlVcState {
    /// The VC, once opened.
    #[serde(serialize_with = "display_opt")]
    pub vc: Option<VcId>,
    /// Its leaves.
    pub leaves: Vec<LeafState>,
}

/// One leaf of a control VC.
#[derive(Debug, Clone, Serialize)]
pub struct LeafState {
    /// The member's CMI or the MCS's id.
    pub endpoint: Cmi,
    /// The party id.
    pub party: PartyId,
    /// Adding or added.
    pub state: Leaf,
}

/// A cluster member.
#[derive(Debug, Clone, Serialize)]
pub struct MemberState {
    /// Its CMI.
    pub cmi: Cmi,
    /// Its ATM address.
    pub addr: AtmAddress,
    /// Registered here or learned from a peer.
    pub origin: Origin,
    /// Its leaf on ClusterControlVC (none for a member learned from a peer).
    pub leaf: Option<Leaf>,
    /// Single-group joins with their `layer3grp` flag.
    pub singles: Vec<(ProtoAddr, bool)>,
    /// Block joins.
    pub blocks: Vec<Range>,
}

/// An MCS.
#[derive(Debug, Clone, Serialize)]
pub struct McsState {
    /// Its id (from the CMI space).
    pub id: Cmi,
    /// Its ATM address.
    pub addr: AtmAddress,
    /// Registered here or learned from a peer.
    pub origin: Origin,
    /// Its leaf on ServerControlVC.
    pub leaf: Option<Leaf>,
    /// Groups it serves.
    pub groups: Vec<ProtoAddr>,
}

/// A group.
#[derive(Debug, Clone, Serialize)]
pub struct GroupState {
    /// The group address.
    pub group: ProtoAddr,
    /// Its members (host map), single and block joins together, by CMI.
    pub members: Vec<Cmi>,
    /// Its MCSs (server map), by id.
    pub servers: Vec<Cmi>,
    /// Whether a member joined it with `layer3grp` (§5.3).
    pub layer3: bool,
}

/// One block join.
#[derive(Debug, Clone, Serialize)]
pub struct BlockJoin {
    /// The block.
    pub range: Range,
    /// The member.
    pub cmi: Cmi,
}

fn display_opt<S: serde::Serializer>(v: &Option<VcId>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

fn control_state(c: &ControlVc) -> ControlVcState {
    ControlVcState {
        vc: c.vc,
        leaves: c
            .leaves()
            .into_iter()
            .map(|(endpoint, party, state)| LeafState {
                endpoint,
                party,
                state,
            })
            .collect(),
    }
}

impl MarsServer {
    /// A snapshot of everything this MARS knows. Its size is linear in the database: meant for
    /// an operator's `show`, not for every input.
    pub fn state(&self) -> ServerState {
        let mut client_vcs: Vec<ClientVc> = self
            .callers
            .iter()
            .map(|(&vc, c)| ClientVc { vc, from: c.from })
            .collect();
        client_vcs.sort_by_key(|c| c.vc);
        ServerState {
            address: self.cfg.address,
            now: self.now,
            next_redirect_map: self.timers.next(),
            redirect_targets: self.redirect_targets(),
            client_vcs,
            clusters: self.clusters.iter().map(cluster_state).collect(),
            stats: self.stats(),
        }
    }
}

fn cluster_state(c: &super::Cluster) -> ClusterState {
    let db = &c.db;
    let members = db
        .members()
        .map(|(cmi, m)| MemberState {
            cmi,
            addr: m.addr,
            origin: m.origin,
            leaf: c.ccvc.leaf(cmi),
            singles: db.singles_of(cmi),
            blocks: m.blocks().ranges().to_vec(),
        })
        .collect();
    let mcss = db
        .mcss()
        .map(|(id, m)| McsState {
            id,
            addr: m.addr,
            origin: m.origin,
            leaf: c.scvc.leaf(id),
            groups: m.groups.clone(),
        })
        .collect();
    let mut named: Vec<ProtoAddr> = db.single_groups().into_iter().map(|(g, _)| g).collect();
    for (_, m) in db.mcss() {
        named.extend(m.groups.iter().copied());
    }
    named.sort_unstable();
    named.dedup();
    let groups = named
        .into_iter()
        .map(|g| GroupState {
            group: g,
            members: db.members_of(&g),
            servers: db.servers_of(&g).to_vec(),
            layer3: !db.layer3_groups(&(g, g)).is_empty(),
        })
        .collect();
    let blocks = db
        .block_joins()
        .into_iter()
        .map(|(range, cmi)| BlockJoin { range, cmi })
        .collect();
    let holes = db
        .mcss()
        .flat_map(|(_, m)| m.groups.iter().map(|&g| (g, g)).collect::<Vec<_>>())
        .collect::<crate::mars::range::RangeSet>()
        .ranges()
        .to_vec();
    ClusterState {
        pro: c.pro,
        csn: c.csn.0,
        ssn: c.ssn.0,
        cluster_control_vc: control_state(&c.ccvc),
        server_control_vc: control_state(&c.scvc),
        members,
        mcss,
        groups,
        blocks,
        holes,
    }
}
