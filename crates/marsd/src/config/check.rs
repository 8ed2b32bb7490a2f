//! Semantic checks: what a well-typed file can still get wrong. Every problem names its key
//! path; `spans` turns the path into a line. All problems are reported, not just the first.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mars_wire::{AtmAddress, ProtoAddr};

use super::{member_name, Config, Dur, KeyConfig, MemberRole, PeerParams, Proto, ServerRole};
use crate::atm_udp::UnderlayConfig;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index (0-based).
    Index(usize),
}

/// A problem at a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub path: Vec<Seg>,
    /// What.
    pub message: String,
}

/// A key path under construction.
#[derive(Debug, Clone, Default)]
struct At(Vec<Seg>);

impl At {
    fn root() -> Self {
        At(Vec::new())
    }
    fn key(&self, k: &str) -> At {
        let mut v = self.0.clone();
        v.push(Seg::Key(k.to_string()));
        At(v)
    }
    fn idx(&self, i: usize) -> At {
        let mut v = self.0.clone();
        v.push(Seg::Index(i));
        At(v)
    }
}

#[derive(Debug, Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, at: &At, message: impl Into<String>) {
        self.0.push(Problem {
            path: at.0.clone(),
            message: message.into(),
        });
    }
}

/// Check `cfg`; `base` resolves relative key files.
pub fn check(cfg: &Config, base: Option<&Path>) -> Vec<Problem> {
    let mut p = Problems::default();
    let root = At::root();
    if cfg.server.is_none() && cfg.client.is_empty() && cfg.mcs.is_empty() {
        p.add(
            &root,
            "no role configured: add [server], [[client]] or [[mcs]]",
        );
    }
    check_daemon(cfg, &mut p);
    check_emulation(cfg, &mut p);
    // Names, binds and addresses shared by every role.
    let mut names: HashMap<String, ()> = HashMap::new();
    let mut binds: HashMap<SocketAddr, ()> = HashMap::new();
    let mut roles: Vec<(At, &str, SocketAddr, Option<AtmAddress>)> = Vec::new();
    if let Some(s) = &cfg.server {
        roles.push((root.key("server"), &s.name, s.bind, s.atm));
    }
    let client_names: Vec<String> = (0..cfg.client.len())
        .map(|i| member_name(&cfg.client[i], "client", i))
        .collect();
    let mcs_names: Vec<String> = (0..cfg.mcs.len())
        .map(|i| member_name(&cfg.mcs[i], "mcs", i))
        .collect();
    for (i, c) in cfg.client.iter().enumerate() {
        roles.push((root.key("client").idx(i), &client_names[i], c.bind, c.atm));
    }
    for (i, m) in cfg.mcs.iter().enumerate() {
        roles.push((root.key("mcs").idx(i), &mcs_names[i], m.bind, m.atm));
    }
    let mut atms: HashMap<AtmAddress, ()> = HashMap::new();
    for (at, name, bind, atm) in &roles {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            p.add(
                &at.key("name"),
                format!("role name {name:?} must be letters, digits, '-' or '_'"),
            );
        } else if names.insert(name.to_string(), ()).is_some() {
            p.add(&at.key("name"), format!("role name {name:?} is used twice"));
        }
        if bind.port() != 0 && binds.insert(*bind, ()).is_some() {
            p.add(
                &at.key("bind"),
                format!("{bind} is bound by another role: each role needs its own socket"),
            );
        }
        match own_address(&cfg.underlay, *bind, *atm) {
            Ok(Some(a)) => {
                if atms.insert(a, ()).is_some() {
                    p.add(
                        &at.key(if atm.is_some() { "atm" } else { "bind" }),
                        format!("ATM address {a} is used by another role"),
                    );
                }
            }
            Ok(None) => {}
            Err(m) => p.add(&at.key("bind"), m),
        }
    }
    if let Some(s) = &cfg.server {
        check_server(cfg, s, base, &mut p);
    }
    for (i, c) in cfg.client.iter().enumerate() {
        check_member(cfg, c, &root.key("client").idx(i), false, &mut p);
    }
    for (i, m) in cfg.mcs.iter().enumerate() {
        check_member(cfg, m, &root.key("mcs").idx(i), true, &mut p);
    }
    p.0
}

/// The ATM address a role at `bind` gets: `atm`, else the static entry for `bind`, else the
/// RFC 4548 embedding. `Ok(None)`: not known before binding (port 0).
pub fn own_address(
    underlay: &UnderlayConfig,
    bind: SocketAddr,
    atm: Option<AtmAddress>,
) -> Result<Option<AtmAddress>, String> {
    if let Some(a) = atm {
        return Ok(Some(a));
    }
    if let Some(e) = underlay.entries.iter().find(|e| e.udp == bind) {
        return Ok(Some(e.atm));
    }
    match bind {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => Err(format!(
            "{bind} cannot be embedded in an ATM address (RFC 4548): bind a host address, or give \
             `atm` and list it in the other hosts' [[underlay.entries]]"
        )),
        SocketAddr::V4(_) if !underlay.embedding => Err(format!(
            "no ATM address for {bind}: give `atm` (underlay.embedding is off)"
        )),
        SocketAddr::V4(_) if bind.port() == 0 => Ok(None),
        SocketAddr::V4(v4) => Ok(Some(AtmAddress::new(crate::atm_udp::embed_ipv4(v4)))),
        SocketAddr::V6(_) => Err(format!(
            "no ATM address for {bind}: IPv6 has no RFC 4548 embedding here; give `atm` and a \
             static [[underlay.entries]] entry"
        )),
    }
}

fn positive(p: &mut Problems, at: &At, d: Dur) {
    if d.0.is_zero() {
        p.add(at, "must be longer than zero");
    }
}

fn check_daemon(cfg: &Config, p: &mut Problems) {
    let at = At::root().key("daemon");
    if cfg.daemon.control_socket.as_os_str().is_empty() {
        p.add(&at.key("control_socket"), "must name a path");
    }
}

fn check_emulation(cfg: &Config, p: &mut Problems) {
    let at = At::root().key("emulation");
    let e = &cfg.emulation;
    positive(p, &at.key("retransmit_interval"), e.retransmit_interval);
    positive(p, &at.key("keepalive_interval"), e.keepalive_interval);
    for (k, v) in [
        ("max_transmissions", e.max_transmissions as usize),
        ("dead_factor", e.dead_factor as usize),
        ("max_pending_per_peer", e.max_pending_per_peer),
        ("max_pending", e.max_pending),
        ("max_legs", e.max_legs),
        ("max_tombstones", e.max_tombstones),
    ] {
        if v == 0 {
            p.add(&at.key(k), "must be at least 1");
        }
    }
    if !(128..=65_535).contains(&e.max_sdu) {
        p.add(&at.key("max_sdu"), "must be between 128 and 65535 octets");
    }
}

fn check_server(cfg: &Config, s: &ServerRole, base: Option<&Path>, p: &mut Problems) {
    let at = At::root().key("server");
    if s.protocols.is_empty() {
        p.add(&at.key("protocols"), "name at least one protocol");
    }
    for (i, pr) in s.protocols.iter().enumerate() {
        if s.protocols[..i].contains(pr) {
            p.add(&at.key("protocols").idx(i), "protocol listed twice");
        }
    }
    let [lo, hi] = s.cmi_range;
    if lo == 0 || hi > 65_535 || lo > hi {
        p.add(
            &at.key("cmi_range"),
            format!("[{lo}, {hi}] is not a CMI range: need 1 <= first <= last <= 65535"),
        );
    }
    positive(p, &at.key("redirect_interval"), s.redirect_interval);
    if !s.peers.is_empty() && s.redirect_interval.0 > Duration::from_secs(120) {
        p.add(
            &at.key("redirect_interval"),
            "with peers at most 2m: the redirect entry is re-originated \"at least every 2 \
             minutes\" (RFC 2443 §2)",
        );
    }
    if !(128..=65_543).contains(&s.max_sdu) {
        p.add(&at.key("max_sdu"), "must be between 128 and 65543 octets");
    }
    if s.max_vcs == 0 {
        p.add(&at.key("max_vcs"), "must be at least 1");
    }
    let me = own_address(&cfg.underlay, s.bind, s.atm).ok().flatten();
    for (i, b) in s.backups.iter().enumerate() {
        if Some(*b) == me {
            p.add(&at.key("backups").idx(i), "is this server's own address");
        }
    }
    check_scsp(s, p);
    for (i, peer) in s.peers.iter().enumerate() {
        let pa = at.key("peers").idx(i);
        if Some(peer.address) == me {
            p.add(&pa.key("address"), "is this server's own ATM address");
        }
        if s.peers[..i].iter().any(|o| o.address == peer.address) {
            p.add(&pa.key("address"), "repeats the address of an earlier peer");
        }
        if peer.id.is_some() && peer.id == s.scsp.server_id {
            p.add(
                &pa.key("id"),
                "is this server's own SCSP ID (server.scsp.server_id)",
            );
        }
        check_params(p, &pa, peer.params());
        for (k, key) in peer.keys.iter().enumerate() {
            let ka = pa.key("keys").idx(k);
            if peer.keys[..k].iter().any(|o| o.spi == key.spi) {
                p.add(
                    &ka.key("spi"),
                    format!("SPI {} is configured twice for this peer", key.spi),
                );
            }
            if let Err((field, m)) = key_bytes(key, base) {
                p.add(&ka.key(field), m);
            }
        }
        let mode = peer.auth.unwrap_or(if peer.keys.is_empty() {
            super::Auth::Off
        } else {
            super::Auth::Mandatory
        });
        if mode == super::Auth::Mandatory && peer.keys.is_empty() {
            p.add(
                &pa.key("auth"),
                "mandatory authentication needs at least one [[server.peers.keys]] entry",
            );
        }
        if let Some(spi) = peer.send_spi {
            if !peer.keys.iter().any(|k| k.spi == spi) {
                p.add(
                    &pa.key("send_spi"),
                    format!("no key of this peer has SPI {spi}"),
                );
            }
        }
    }
}

fn check_scsp(s: &ServerRole, p: &mut Problems) {
    let at = At::root().key("server").key("scsp");
    let c = &s.scsp;
    if !s.peers.is_empty() && c.server_id.is_none() {
        p.add(
            &at.key("server_id"),
            "required when [[server.peers]] are configured (this server's SCSP ID)",
        );
    }
    for (k, d) in [
        ("tombstone_hold", c.tombstone_hold),
        ("purge_hold", c.purge_hold),
        ("connect_retry", c.connect_retry),
    ] {
        positive(p, &at.key(k), d);
    }
    if c.hello_jitter_percent > 50 {
        p.add(&at.key("hello_jitter_percent"), "must be at most 50");
    }
    if c.max_cache_entries == 0 {
        p.add(&at.key("max_cache_entries"), "must be at least 1");
    }
    check_params(p, &at, c.params());
}

fn check_params(p: &mut Problems, at: &At, x: PeerParams) {
    for (k, d) in [
        ("hello_interval", x.hello_interval),
        ("ca_rexmt_interval", x.ca_rexmt_interval),
        ("csus_rexmt_interval", x.csus_rexmt_interval),
        ("csu_rexmt_interval", x.csu_rexmt_interval),
    ] {
        if let Some(d) = d {
            positive(p, &at.key(k), d);
        }
    }
    if x.hello_interval
        .is_some_and(|d| d.0 > Duration::from_secs(65_535))
    {
        p.add(
            &at.key("hello_interval"),
            "must be at most 65535s (a 16-bit field, B.2.5)",
        );
    }
    if x.dead_factor == Some(0) {
        p.add(&at.key("dead_factor"), "must be at least 1");
    }
    if x.hop_count == Some(0) {
        p.add(&at.key("hop_count"), "must be at least 1");
    }
    if x.max_sdu.is_some_and(|m| !(128..=65_543).contains(&m)) {
        p.add(&at.key("max_sdu"), "must be between 128 and 65543 octets");
    }
}

/// The key material of `k`: its hex `key`, or the hex content of `key_file`. The error names
/// the field at fault.
pub fn key_bytes(k: &KeyConfig, base: Option<&Path>) -> Result<Vec<u8>, (&'static str, String)> {
    let (field, text) = match (&k.key, &k.key_file) {
        (Some(_), Some(_)) => {
            return Err(("key_file", "give `key` or `key_file`, not both".into()))
        }
        (None, None) => return Err(("key", "give the key in hex (`key`) or a `key_file`".into())),
        (Some(t), None) => ("key", t.clone()),
        (None, Some(f)) => {
            let path: PathBuf = match base {
                Some(b) if f.is_relative() => b.join(f),
                _ => f.clone(),
            };
            match std::fs::read_to_string(&path) {
                Ok(t) => ("key_file", t),
                Err(e) => return Err(("key_file", format!("{}: {e}", path.display()))),
            }
        }
    };
    let clean: String = text
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    match hex::decode(&clean) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err((field, "the key is empty".into())),
        Err(_) => Err((field, "not a key: expected hexadecimal digits".into())),
    }
}

/// Parse a group (`224.1.2.3`) or a block (`224.1.0.0-224.1.0.255`) of `proto`.
pub fn parse_range(s: &str, proto: Proto) -> Result<(ProtoAddr, ProtoAddr), String> {
    let bad = || {
        format!(
            "not a group: expected an {} address or a block MIN-MAX (e.g. {})",
            match proto {
                Proto::Ipv4 => "IPv4",
                Proto::Ipv6 => "IPv6",
            },
            match proto {
                Proto::Ipv4 => "224.1.2.3 or 224.1.0.0-224.1.0.255",
                Proto::Ipv6 => "ff15::1 or ff15::1-ff15::ff",
            }
        )
    };
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let a: ProtoAddr = a.parse().map_err(|_| bad())?;
    let b: ProtoAddr = b.parse().map_err(|_| bad())?;
    if a.len() != proto.addr_len() || b.len() != proto.addr_len() {
        return Err(bad());
    }
    if a > b {
        return Err(format!("{a} is above {b}: a block is MIN-MAX"));
    }
    Ok((a, b))
}

/// RFC 2149 §5.1: the mcslist is "known to each MCS in the set", so it names this MCS; the
/// HELLO carries ATM numbers and IPv4 groups only (`docs/wire-decisions.md`).
fn check_mcslist(cfg: &Config, m: &MemberRole, at: &At, mcs: bool, p: &mut Problems) {
    if m.mcslist.is_empty() && m.lists.is_empty() {
        return;
    }
    if !mcs {
        let k = if m.mcslist.is_empty() {
            "lists"
        } else {
            "mcslist"
        };
        return p.add(&at.key(k), "applies to MCSs only (RFC 2149 §5)");
    }
    if m.protocol != Proto::Ipv4 {
        p.add(
            &at.key("protocol"),
            "the RFC 2149 HELLO names IPv4 groups only",
        );
    }
    let me = own_address(&cfg.underlay, m.bind, m.atm).ok().flatten();
    if !m.mcslist.is_empty() {
        if !m.lists.is_empty() {
            p.add(
                &at.key("lists"),
                "give `mcslist` or `[[mcs.lists]]`, not both",
            );
        }
        return check_one_list(&m.mcslist, me, &at.key("mcslist"), p);
    }
    let served = super::build::groups(m);
    let mut listed = Vec::new();
    for (i, l) in m.lists.iter().enumerate() {
        let la = at.key("lists").idx(i);
        check_one_list(&l.mcslist, me, &la.key("mcslist"), p);
        if l.groups.is_empty() {
            p.add(&la.key("groups"), "name at least one of the role's groups");
        }
        for (j, g) in l.groups.iter().enumerate() {
            let ga = la.key("groups").idx(j);
            match parse_range(g, m.protocol) {
                Ok(r) if !served.contains(&r) => p.add(&ga, "not one of the role's `groups`"),
                Ok(r) if listed.contains(&r) => p.add(&ga, "already in another list"),
                Ok(r) => listed.push(r),
                Err(e) => p.add(&ga, e),
            }
        }
    }
}

/// One mcslist: it names this MCS (§5.1: "known to each MCS in the set"), by ATM number only,
/// each MCS once.
fn check_one_list(list: &[AtmAddress], me: Option<AtmAddress>, k: &At, p: &mut Problems) {
    if !me.is_some_and(|me| list.iter().any(|a| a.number == me.number)) {
        p.add(k, "must name this MCS's own ATM address (RFC 2149 §5.1)");
    }
    for (i, a) in list.iter().enumerate() {
        if !a.sub.is_null() {
            p.add(
                &k.idx(i),
                "no subaddress: the RFC 2149 HELLO carries ATM numbers only",
            );
        } else if list[..i].iter().any(|b| b.number == a.number) {
            p.add(&k.idx(i), "listed twice");
        }
    }
}

fn check_member(cfg: &Config, m: &MemberRole, at: &At, mcs: bool, p: &mut Problems) {
    if m.mars.is_empty() {
        p.add(&at.key("mars"), "name at least one MARS (RFC 2022 §5.4)");
    }
    let me = own_address(&cfg.underlay, m.bind, m.atm).ok().flatten();
    for (i, a) in m.mars.iter().enumerate() {
        if Some(*a) == me {
            p.add(&at.key("mars").idx(i), "is this role's own ATM address");
        }
    }
    let mut seen = Vec::new();
    for (i, g) in m.groups.iter().enumerate() {
        match parse_range(g, m.protocol) {
            Ok(r) if mcs && r.0 != r.1 => p.add(
                &at.key("groups").idx(i),
                "an MCS serves single groups, not blocks (RFC 2149 §4.1.2)",
            ),
            Ok(r) if seen.contains(&r) => p.add(&at.key("groups").idx(i), "listed twice"),
            Ok(r) => seen.push(r),
            Err(e) => p.add(&at.key("groups").idx(i), e),
        }
    }
    if let Some(a) = m.protocol_address {
        if a.len() != m.protocol.addr_len() {
            p.add(&at.key("protocol_address"), "not an address of `protocol`");
        }
    }
    if mcs && m.loopback {
        p.add(&at.key("loopback"), "applies to clients only");
    }
    if !(128..=65_543).contains(&m.max_sdu) {
        p.add(&at.key("max_sdu"), "must be between 128 and 65543 octets");
    }
    for (k, v) in [
        ("queue_limit", m.queue_limit),
        ("max_out_vcs", m.max_out_vcs),
        ("max_in_vcs", m.max_in_vcs),
    ] {
        if v == 0 {
            p.add(&at.key(k), "must be at least 1");
        }
    }
    let t = &m.timers;
    let ta = at.key("timers");
    check_mcslist(cfg, m, at, mcs, p);
    for (k, v) in [
        ("hello_interval", t.hello_interval),
        ("dead_factor", t.dead_factor),
    ] {
        if v.is_some() && (!mcs || (m.mcslist.is_empty() && m.lists.is_empty())) {
            p.add(&ta.key(k), "applies to an MCS with an `mcslist` only");
        } else if v == Some(0) {
            p.add(&ta.key(k), "must be at least 1");
        }
    }
    if t.scale == 0 {
        p.add(&ta.key("scale"), "must be at least 1");
    }
    if mcs && t.vc_idle.is_some() {
        p.add(
            &ta.key("vc_idle"),
            "an MCS keeps its VCs up (RFC 2149 §4.3): remove it",
        );
    }
    for (k, d) in [
        ("mars_vc_idle", t.mars_vc_idle),
        ("multi_part_timeout", t.multi_part_timeout),
        ("join_leave_interval", t.join_leave_interval),
        ("force_wait", t.force_wait),
        ("redirect_map_miss_limit", t.redirect_map_miss_limit),
        ("request_interval", t.request_interval),
    ] {
        if let Some(d) = d {
            positive(p, &ta.key(k), d);
        }
    }
    for (k, r) in [
        ("add_retry", t.add_retry),
        ("revalidate_delay", t.revalidate_delay),
        ("reregister_delay", t.reregister_delay),
        ("nak_holddown", t.nak_holddown),
        ("rejoin_delay", t.rejoin_delay),
    ] {
        if let Some([lo, hi]) = r {
            if lo > hi {
                p.add(
                    &ta.key(k),
                    format!("[{lo}, {hi}]: the low end is above the high end"),
                );
            }
        }
    }
    for (k, v) in [
        ("join_leave_limit", t.join_leave_limit),
        ("request_limit", t.request_limit),
    ] {
        if v == Some(0) {
            p.add(&ta.key(k), "must be at least 1");
        }
    }
}
