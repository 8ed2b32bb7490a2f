//! From a checked [`Config`] to the engines' own configurations: `ServerConfig`,
//! `DistributedConfig` (with its `ScspConfig` and one `DcsConfig` per peer), `ClientConfig`,
//! `McsConfig`, and the emulation's `EndpointConfig`. Only [`super::check`]ed files are built;
//! what the checks guarantee is not checked again.

use std::path::Path;
use std::time::Duration;

use mars_proto::dmars::DistributedConfig;
use mars_proto::mars::client::{ClientConfig, TimerConfig};
use mars_proto::mars::mcs::{McsConfig, McsList};
use mars_proto::mars::server::ServerConfig;
use mars_proto::scsp::{
    AuthConfig, AuthMode, DcsConfig, DcsParams, ScspConfig, SecurityAssociation, StaleOwnPolicy,
};
use mars_wire::scsp::ScspId;
use mars_wire::AtmAddress;

use super::check::{key_bytes, parse_range};
use super::{
    Auth, EmulationConfig, MemberRole, PeerConfig, PeerParams, ServerRole, StaleOwn, TimersConfig,
};

/// The emulation's endpoint configuration.
pub fn endpoint_config(e: &EmulationConfig) -> crate::atm_udp::EndpointConfig {
    crate::atm_udp::EndpointConfig {
        retransmit_interval: e.retransmit_interval.0,
        max_transmissions: e.max_transmissions,
        keepalive_interval: e.keepalive_interval.0,
        dead_factor: e.dead_factor,
        max_pending_per_peer: e.max_pending_per_peer,
        max_pending: e.max_pending,
        max_legs: e.max_legs,
        max_tombstones: e.max_tombstones,
        max_sdu: e.max_sdu,
    }
}

/// The MARS server at `address`.
pub fn server_config(s: &ServerRole, address: AtmAddress) -> ServerConfig {
    let mut c = ServerConfig::new(address);
    if let Some(a) = s.protocol_address {
        c.protocol_address = a;
    }
    c.protocols = s.protocols.iter().map(|p| p.protocol()).collect();
    c.cmi_range = (cmi(s.cmi_range[0]), cmi(s.cmi_range[1]));
    c.redirect_interval = s.redirect_interval.0;
    c.backups = s.backups.clone();
    c.redirect_hard = s.redirect_hard;
    c.max_sdu = s.max_sdu;
    c.verify_source = s.verify_source;
    c.max_vcs = s.max_vcs;
    c.initial_msn = s.initial_msn;
    c
}

fn cmi(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

/// The DCS parameters of one peer: its own values, else `[server.scsp]`'s, else the defaults.
pub fn dcs_params(p: PeerParams) -> (DcsParams, Option<usize>) {
    let d = DcsParams::default();
    (
        DcsParams {
            hello_interval: p.hello_interval.map_or(d.hello_interval, |v| v.0),
            dead_factor: p.dead_factor.unwrap_or(d.dead_factor),
            ca_rexmt_interval: p.ca_rexmt_interval.map_or(d.ca_rexmt_interval, |v| v.0),
            csus_rexmt_interval: p.csus_rexmt_interval.map_or(d.csus_rexmt_interval, |v| v.0),
            csu_rexmt_interval: p.csu_rexmt_interval.map_or(d.csu_rexmt_interval, |v| v.0),
            rexmt_limit: p.rexmt_limit.unwrap_or(d.rexmt_limit),
            hop_count: p.hop_count.unwrap_or(d.hop_count),
        },
        p.max_sdu,
    )
}

/// The security associations of one peer (keys read now, from the file or the config).
pub fn security_associations(peer: &PeerConfig, base: Option<&Path>) -> Vec<SecurityAssociation> {
    peer.keys
        .iter()
        .filter_map(|k| {
            let key = key_bytes(k, base).ok()?;
            Some(SecurityAssociation {
                spi: k.spi,
                algorithm: k.algorithm,
                key,
                lifetime: k.lifetime.map(|d| d.0),
            })
        })
        .collect()
}

/// The authentication mode of a peer: as written, else mandatory with keys, off without.
pub fn auth_mode(peer: &PeerConfig) -> AuthMode {
    match peer.auth {
        Some(Auth::Off) => AuthMode::Off,
        Some(Auth::Optional) => AuthMode::Optional,
        Some(Auth::Mandatory) => AuthMode::Mandatory,
        None if peer.keys.is_empty() => AuthMode::Off,
        None => AuthMode::Mandatory,
    }
}

/// The DCS configuration of one peer.
pub fn dcs_config(s: &ServerRole, peer: &PeerConfig, base: Option<&Path>) -> DcsConfig {
    let mut d = DcsConfig::new(peer.address);
    d.id = peer.id.map(ScspId::from_u32);
    let (params, max_sdu) = dcs_params(peer.params().or(s.scsp.params()));
    d.params = params;
    if let Some(m) = max_sdu {
        d.max_sdu = m;
    }
    d.auth = AuthConfig {
        mode: auth_mode(peer),
        associations: security_associations(peer, base),
        send_spi: peer.send_spi,
    };
    d
}

/// The distributed server (RFC 2443) at `address`, for a server with peers.
pub fn distributed_config(
    s: &ServerRole,
    address: AtmAddress,
    base: Option<&Path>,
) -> DistributedConfig {
    let c = &s.scsp;
    let id = c.server_id.unwrap_or(0);
    let mut scsp = ScspConfig::new(ScspId::from_u32(id), address);
    scsp.family_id = c.family_id;
    scsp.dcs = s.peers.iter().map(|p| dcs_config(s, p, base)).collect();
    scsp.rng_seed = c.rng_seed.unwrap_or(u64::from(id));
    scsp.hello_jitter_percent = c.hello_jitter_percent;
    scsp.restart_seq_offset = c.restart_seq_offset;
    scsp.restarted = c.restarted;
    scsp.stale_own_entries = match c.stale_own_entries {
        StaleOwn::Purge => StaleOwnPolicy::Purge,
        StaleOwn::Accept => StaleOwnPolicy::Accept,
    };
    scsp.origination_hold = c.origination_hold.0.filter(|d| !d.is_zero());
    scsp.tombstone_hold = c.purge_hold.0;
    scsp.max_cache_entries = c.max_cache_entries;
    scsp.connect_retry = c.connect_retry.0;
    scsp.callee_fallback = c.callee_fallback.0.filter(|d| !d.is_zero());
    let mut d = DistributedConfig::new(server_config(s, address), scsp, c.server_group_id);
    d.redirect_interval = s.redirect_interval.0;
    d.flush_grace = c.flush_grace.0;
    d.tombstone_hold = c.tombstone_hold.0;
    d.startup_hold = c.startup_hold.0;
    d
}

/// RFC 2022 Appendix E timers: the defaults divided by `scale`, then the keys written.
pub fn timers(t: &TimersConfig) -> TimerConfig {
    let mut c = TimerConfig::scaled_down(t.scale.max(1));
    let pair = |p: [super::Dur; 2]| (p[0].0, p[1].0);
    if let Some(v) = t.mars_vc_idle {
        c.mars_vc_idle = v.0;
    }
    if let Some(v) = t.vc_idle {
        c.vc_idle = v.0;
    }
    if let Some(v) = t.multi_part_timeout {
        c.multi_part_timeout = v.0;
    }
    if let Some(v) = t.add_retry {
        c.add_retry = pair(v);
    }
    if let Some(v) = t.revalidate_delay {
        c.revalidate_delay = pair(v);
    }
    if let Some(v) = t.join_leave_interval {
        c.join_leave_interval = v.0;
    }
    if let Some(v) = t.join_leave_limit {
        c.join_leave_limit = v;
    }
    if let Some(v) = t.reregister_delay {
        c.reregister_delay = pair(v);
    }
    if let Some(v) = t.force_wait {
        c.force_wait = v.0;
    }
    if let Some(v) = t.redirect_map_miss_limit {
        c.redirect_map_miss_limit = v.0;
    }
    if let Some(v) = t.request_interval {
        c.request_interval = v.0;
    }
    if let Some(v) = t.request_limit {
        c.request_limit = v;
    }
    if let Some(v) = t.nak_holddown {
        c.nak_holddown = pair(v);
    }
    if let Some(v) = t.rejoin_delay {
        c.rejoin_delay = pair(v);
    }
    if let Some(v) = t.loop_limit {
        c.loop_limit = v;
    }
    c
}

/// A seed that differs between endpoints: FNV-1a of the ATM address.
fn seed_of(address: &AtmAddress) -> u64 {
    address
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

/// The shared endpoint configuration of a client or MCS at `address`.
pub fn member_endpoint(m: &MemberRole, address: AtmAddress) -> ClientConfig {
    let mut c = ClientConfig::new(address, m.mars.clone());
    if let Some(a) = m.protocol_address {
        c.protocol_address = a;
    }
    c.protocol = m.protocol.protocol();
    c.timers = timers(&m.timers);
    c.seed = m.seed.unwrap_or_else(|| seed_of(&address));
    c.max_sdu = m.max_sdu;
    c.queue_limit = m.queue_limit;
    c.max_out_vcs = m.max_out_vcs;
    c.max_in_vcs = m.max_in_vcs;
    c.loopback = m.loopback;
    c
}

/// The groups of a client or MCS, parsed (checked files only: bad entries are skipped).
pub fn groups(m: &MemberRole) -> Vec<(mars_wire::ProtoAddr, mars_wire::ProtoAddr)> {
    m.groups
        .iter()
        .filter_map(|g| parse_range(g, m.protocol).ok())
        .collect()
}

/// The MCS at `address`.
pub fn mcs_config(m: &MemberRole, address: AtmAddress) -> McsConfig {
    let mut c = McsConfig::new(
        address,
        m.mars.clone(),
        groups(m).into_iter().map(|(g, _)| g).collect(),
    );
    let mut e = member_endpoint(m, address);
    e.timers.vc_idle = None;
    c.endpoint = e;
    // RFC 2149 §5: `mcslist` is one list for every group of the role (§5.4 allows one list
    // for several groups); `[[mcs.lists]]` one per subset.
    let lists: Vec<(Vec<AtmAddress>, Vec<mars_wire::ProtoAddr>)> = if m.mcslist.is_empty() {
        m.lists
            .iter()
            .map(|l| {
                let gs = l.groups.iter();
                let gs = gs
                    .filter_map(|g| parse_range(g, m.protocol).ok())
                    .map(|r| r.0);
                (l.mcslist.clone(), gs.collect())
            })
            .collect()
    } else {
        vec![(m.mcslist.clone(), c.groups.clone())]
    };
    c.mcslists = lists
        .into_iter()
        .map(|(list, groups)| {
            let mut l = McsList::new(list, groups);
            if let Some(hi) = m.timers.hello_interval {
                l.hello_interval = hi;
            }
            if let Some(df) = m.timers.dead_factor {
                l.dead_factor = df;
            }
            l
        })
        .collect();
    c
}

/// How long to wait for an answer to a MARS_REQUEST issued by `marsctl resolve`: the
/// client's own MARS_REQUEST interval, at least one second.
pub fn resolve_timeout(m: &MemberRole) -> Duration {
    timers(&m.timers)
        .request_interval
        .max(Duration::from_secs(1))
}
