//! What `marsctl show` asks for, built from one role's engine as JSON: the engines' own
//! serialisable state (`ServerState`, `DmarsSnapshot`, `DcsStatus`, `EndpointState`, the
//! MIB-named stats) reshaped per view. The shapes are documented with the control protocol
//! in `docs/operations.md`; `marsctl` renders them for humans.

use mars_proto::dmars::DistributedServer;
use mars_proto::mars::db::Origin;
use mars_proto::mars::server::state::ClusterState;
use mars_proto::mars::server::MarsServer;
use mars_proto::Instant;
use mars_wire::dmars::MarsCsa;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Engine, Role};

/// What `marsctl show` can show (its argument, and the control protocol's `what`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Show {
    /// The daemon's roles with their ATM and UDP addresses.
    Roles,
    /// Server roles: readiness, CMI range, sequence numbers, the servers of the group.
    Servers,
    /// SCSP peers (DCSs) with their Hello and Cache Alignment states.
    Peers,
    /// Registered members (CMI, ATM address, origin) and MCSs; a client's registration.
    Clients,
    /// Groups with their members and MCSs; a client's memberships.
    Groups,
    /// The SCSP cache: key, originator, sequence number, RFC 2443 state.
    Cache,
    /// The MARS_REDIRECT_MAP server list; a client's MARS table.
    RedirectMap,
    /// VCs with their VPI/VCI capture labels, peers, leaves and traffic.
    Vcs,
    /// Counters (RFC 2417 names), SCSP and emulation counters.
    Stats,
    /// The server group and who is registered where (add --dot for Graphviz).
    Topology,
}

impl Show {
    /// The name as typed.
    pub fn name(self) -> &'static str {
        match self {
            Show::Roles => "roles",
            Show::Servers => "servers",
            Show::Peers => "peers",
            Show::Clients => "clients",
            Show::Groups => "groups",
            Show::Cache => "cache",
            Show::RedirectMap => "redirect-map",
            Show::Vcs => "vcs",
            Show::Stats => "stats",
            Show::Topology => "topology",
        }
    }
}

fn origin(o: Origin) -> String {
    match o {
        Origin::Local => "local".into(),
        Origin::Peer(id) => format!("peer {id:#010x}"),
    }
}

fn mars_of(role: &Role) -> Option<&MarsServer> {
    match role.engine() {
        Engine::Server(s) => Some(s),
        Engine::Distributed(d) => Some(d.server()),
        _ => None,
    }
}

fn dmars_of(role: &Role) -> Option<&DistributedServer> {
    match role.engine() {
        Engine::Distributed(d) => Some(d),
        _ => None,
    }
}

fn endpoint_state(role: &Role) -> Option<mars_proto::mars::client::EndpointState> {
    match role.engine() {
        Engine::Client(c) => Some(c.state()),
        Engine::Mcs(m) => Some(m.state()),
        _ => None,
    }
}

/// The CMI → ATM address map of a cluster.
fn addr_of(c: &ClusterState, cmi: u16) -> Option<String> {
    c.members
        .iter()
        .find(|m| m.cmi == cmi)
        .map(|m| m.addr.to_string())
        .or_else(|| {
            c.mcss
                .iter()
                .find(|m| m.id == cmi)
                .map(|m| m.addr.to_string())
        })
}

/// The view `what` of one role; `Value::Null` when the view says nothing about this kind of
/// role.
pub fn view(role: &Role, what: Show, now: Instant) -> Value {
    match what {
        Show::Roles => json!({
            "engine": match role.engine() {
                Engine::Server(_) => "mars-server",
                Engine::Distributed(_) => "distributed-server",
                Engine::Client(_) => "client",
                Engine::Mcs(_) => "mcs",
            },
            "vcs": role.vcs().len(),
        }),
        Show::Servers => servers(role),
        Show::Peers => match dmars_of(role) {
            Some(d) => json!({
                "dcs": d.scsp().snapshot().dcs.iter().map(|s| json!({
                    "index": s.index,
                    "address": s.address,
                    "id": s.id,
                    "vc": s.vc.map(|v| v.to_string()),
                    "hello": s.hello,
                    "ca": s.ca,
                    "role": s.role,
                    "ca_seq": s.ca_seq,
                    "crl": s.crl,
                    "retransmit_queue": s.retransmit_queue,
                    "auth": s.auth,
                    "sent": s.counters.sent.total(),
                    "received": s.counters.received.total(),
                    "discards": s.counters.discard_total(),
                })).collect::<Vec<_>>(),
                "servers": d.snapshot().peers,
            }),
            None => Value::Null,
        },
        Show::Clients => match (mars_of(role), endpoint_state(role)) {
            (Some(s), _) => {
                let st = s.state();
                json!({ "clusters": st.clusters.iter().map(|c| json!({
                    "pro": c.pro.to_string(),
                    "members": c.members.iter().map(|m| json!({
                        "cmi": m.cmi,
                        "address": m.addr,
                        "origin": origin(m.origin),
                        "leaf": m.leaf,
                        "groups": m.singles.iter().map(|(g, _)| g.to_string())
                            .chain(m.blocks.iter().map(|(a, b)| format!("{a}-{b}")))
                            .collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                    "mcss": c.mcss.iter().map(|m| json!({
                        "id": m.id,
                        "address": m.addr,
                        "origin": origin(m.origin),
                        "groups": m.groups,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>() })
            }
            (None, Some(e)) => {
                let mut v = json!({
                    "address": e.address,
                    "state": format!("{:?}", e.state),
                    "registration": e.registration,
                    "mars": e.mars,
                    "cmi": e.cmi,
                    "hsn": e.hsn,
                });
                // An MCS in an mcslist: where it stands in the RFC 2149 §5 election.
                if let Engine::Mcs(m) = role.engine() {
                    let el = m.elections();
                    if !el.is_empty() {
                        v["elections"] = json!(el);
                    }
                }
                v
            }
            _ => Value::Null,
        },
        Show::Groups => match (mars_of(role), endpoint_state(role)) {
            (Some(s), _) => {
                let st = s.state();
                json!({ "clusters": st.clusters.iter().map(|c| json!({
                    "pro": c.pro.to_string(),
                    "groups": c.groups.iter().map(|g| json!({
                        "group": g.group,
                        "members": g.members.iter().map(|&cmi| json!({
                            "cmi": cmi, "address": addr_of(c, cmi) })).collect::<Vec<_>>(),
                        "mcss": g.servers.iter().map(|&id| json!({
                            "id": id, "address": addr_of(c, id) })).collect::<Vec<_>>(),
                        "layer3": g.layer3,
                    })).collect::<Vec<_>>(),
                    "blocks": c.blocks.iter().map(|b| json!({
                        "min": b.range.0, "max": b.range.1, "cmi": b.cmi,
                        "address": addr_of(c, b.cmi) })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>() })
            }
            (None, Some(e)) => json!({
                "memberships": e.memberships.iter().map(|m| json!({
                    "min": m.range.0, "max": m.range.1, "layer3": m.layer3,
                    "state": format!("{:?}", m.state),
                })).collect::<Vec<_>>(),
            }),
            _ => Value::Null,
        },
        Show::Cache => match dmars_of(role) {
            Some(d) => json!({ "entries": d.scsp().cache_rows(now).map(|r| {
                let part = d.scsp().entry(&r.key, &r.origin).map(|e| e.part.clone());
                let csa = part.as_deref().and_then(|p| MarsCsa::decode(p).ok());
                json!({
                    "key": r.key,
                    "origin": r.origin,
                    "seq": r.seq.to_string(),
                    "state": csa.as_ref().map(|c| format!("{:?}", c.state)),
                    "cmi": csa.as_ref().map(|c| c.cmi),
                    "address": csa.as_ref().map(|c| c.source.to_string()),
                    "age_ms": r.age_ms,
                    "purged": r.purged,
                    "source": r.source,
                })
            }).collect::<Vec<_>>() }),
            None => Value::Null,
        },
        Show::RedirectMap => match (mars_of(role), endpoint_state(role)) {
            (Some(s), _) => json!({
                "servers": s.redirect_targets(),
                "hard": s.config().redirect_hard,
                "interval_s": s.config().redirect_interval.as_secs_f64(),
            }),
            (None, Some(e)) => json!({ "current": e.mars, "table": e.mars_table }),
            _ => Value::Null,
        },
        Show::Vcs => json!({ "vcs": role.vcs().rows() }),
        Show::Stats => stats(role),
        Show::Topology => topology(role),
    }
}

fn servers(role: &Role) -> Value {
    let Some(s) = mars_of(role) else {
        return Value::Null;
    };
    let st = s.state();
    let d = dmars_of(role);
    let snap = d.map(DistributedServer::snapshot);
    json!({
        "address": st.address,
        "engine": if d.is_some() { "distributed" } else { "plain" },
        "server_id": d.map(|d| d.config().scsp.local_id.to_string()),
        "server_group_id": d.map(|d| d.config().server_group_id),
        "ready": snap.as_ref().is_none_or(|s| s.ready),
        "fatal": snap.as_ref().and_then(|s| s.fatal.clone()),
        "cmi_range": [s.config().cmi_range.0, s.config().cmi_range.1],
        "clusters": st.clusters.iter().map(|c| json!({
            "pro": c.pro.to_string(),
            "csn": c.csn,
            "ssn": c.ssn,
            "members": c.members.len(),
            "local_members": c.members.iter().filter(|m| m.origin == Origin::Local).count(),
            "mcss": c.mcss.len(),
            "groups": c.groups.len(),
        })).collect::<Vec<_>>(),
        "redirect_map": st.redirect_targets,
        "backups": s.config().backups,
        "peers": snap.map(|s| s.peers).unwrap_or_default(),
    })
}

fn stats(role: &Role) -> Value {
    match role.engine() {
        Engine::Server(s) => json!({ "mars": s.stats() }),
        Engine::Distributed(d) => json!({
            "mars": d.server().stats(),
            "scsp": d.scsp().counters(),
            "dmars": {
                "ready": d.is_ready(),
                "advertised_clients": d.snapshot().advertised_clients,
                "learned_clients": d.snapshot().learned_clients,
                "cache_entries": d.scsp().cache().len(),
            },
        }),
        Engine::Client(c) => json!({ "client": c.stats() }),
        Engine::Mcs(m) => {
            let mut v = json!({ "mcs": m.stats() });
            for (i, e) in m.elections().iter().enumerate() {
                v[format!("election{}", i + 1)] = json!(e.stats);
            }
            v
        }
    }
}

fn topology(role: &Role) -> Value {
    if let Some(s) = mars_of(role) {
        let st = s.state();
        let d = dmars_of(role);
        let dcs = d.map(|d| d.scsp().snapshot().dcs).unwrap_or_default();
        json!({
            "address": st.address,
            "server_id": d.map(|d| d.config().scsp.local_id.to_string()),
            "dcs": dcs.iter().map(|s| json!({
                "address": s.address, "id": s.id, "hello": s.hello, "ca": s.ca,
            })).collect::<Vec<_>>(),
            "servers": d.map(|d| d.snapshot().peers).unwrap_or_default(),
            "members": st.clusters.iter().flat_map(|c| c.members.iter().map(|m| json!({
                "cmi": m.cmi, "address": m.addr, "origin": origin(m.origin), "mcs": false,
            })).chain(c.mcss.iter().map(|m| json!({
                "cmi": m.id, "address": m.addr, "origin": origin(m.origin), "mcs": true,
            })))).collect::<Vec<_>>(),
        })
    } else if let Some(e) = endpoint_state(role) {
        json!({
            "address": e.address,
            "mars": e.mars,
            "registered": e.registration == mars_proto::mars::client::MibRegistration::Registered,
        })
    } else {
        Value::Null
    }
}
