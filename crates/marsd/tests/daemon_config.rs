//! The configuration file: every key parses and reaches the engine it configures (the
//! example `examples/three-hosts/host-a.toml` sets every key), every key is documented in
//! `docs/configuration.md`, defaults are the engines' (RFC) defaults, and malformed files
//! give exactly the promised one-line messages with line and key.

use std::path::Path;
use std::time::Duration;

use mars_proto::scsp::{AuthMode, StaleOwnPolicy};
use mars_wire::scsp::{AuthAlgorithm, ScspId};
use mars_wire::AtmAddress;
use marsd::config::{build, Config};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn example() -> (Config, std::path::PathBuf) {
    let p = root().join("examples/three-hosts/host-a.toml");
    (Config::load(&p).unwrap_or_else(|e| panic!("{e}")), p)
}

fn a(s: &str) -> AtmAddress {
    s.parse().unwrap()
}

fn g(s: &str) -> mars_wire::ProtoAddr {
    s.parse().unwrap()
}

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn every_key_reaches_its_engine() {
    let (c, path) = example();
    let base = path.parent();
    // [daemon], [metrics], [emulation], [underlay]
    assert_eq!(c.daemon.control_socket, Path::new("/run/marsd/marsd.sock"));
    assert_eq!(c.daemon.shutdown_grace.0, S(2));
    assert_eq!(
        c.metrics.as_ref().unwrap().listen,
        "127.0.0.1:9464".parse().unwrap()
    );
    let e = build::endpoint_config(&c.emulation);
    assert_eq!(
        (e.retransmit_interval, e.max_transmissions),
        (Duration::from_millis(250), 8)
    );
    assert_eq!((e.keepalive_interval, e.dead_factor), (S(1), 3));
    assert_eq!(
        (e.max_pending_per_peer, e.max_pending, e.max_legs),
        (256, 4096, 65536)
    );
    assert_eq!((e.max_tombstones, e.max_sdu), (16384, 9188));
    let u = marsd::atm_udp::Underlay::from(&c.underlay);
    assert_eq!(
        u.resolve(&a("47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00")),
        Some("192.0.2.9:2443".parse().unwrap())
    );
    // [server]
    let s = c.server.as_ref().unwrap();
    let me = s.atm.unwrap();
    assert_eq!(me, a("35.0001.C0000201098B00000000.000000000000.00"));
    assert_eq!(
        (s.name.as_str(), s.bind),
        ("mars-a", "192.0.2.1:2443".parse().unwrap())
    );
    let d = build::distributed_config(s, me, base);
    let sc = &d.server;
    assert_eq!(sc.protocol_address.to_string(), "192.0.2.1");
    assert_eq!(sc.protocols, vec![mars_wire::Protocol::IPV4]);
    assert_eq!(sc.cmi_range, (1, 999));
    assert_eq!(sc.redirect_interval, S(60));
    assert!(sc.backups.is_empty() && sc.redirect_hard && sc.verify_source);
    assert_eq!((sc.max_sdu, sc.max_vcs, sc.initial_msn), (9188, 100_000, 0));
    // [server.scsp]
    let sp = &d.scsp;
    assert_eq!(
        (sp.local_id.clone(), d.server_group_id, sp.family_id),
        (ScspId::from_u32(1), 1, 0)
    );
    assert_eq!(
        (d.flush_grace, d.tombstone_hold, d.startup_hold),
        (S(15), S(600), S(30))
    );
    assert_eq!(
        (sp.tombstone_hold, sp.origination_hold),
        (S(600), Some(S(30)))
    );
    assert_eq!((sp.connect_retry, sp.callee_fallback), (S(5), Some(S(30))));
    assert_eq!(
        (sp.hello_jitter_percent, sp.max_cache_entries),
        (10, 16_000_000)
    );
    assert_eq!((sp.restarted, sp.restart_seq_offset), (false, 65536));
    assert_eq!(
        (sp.stale_own_entries, sp.rng_seed),
        (StaleOwnPolicy::Purge, 1)
    );
    assert_eq!(d.redirect_interval, S(60));
    // [[server.peers]] and their keys
    let p0 = &sp.dcs[0];
    assert_eq!(
        p0.address,
        a("35.0001.C0000202098B00000000.000000000000.00")
    );
    assert_eq!(p0.id, Some(ScspId::from_u32(2)));
    let pr = &p0.params;
    assert_eq!(
        (pr.hello_interval, pr.dead_factor, pr.ca_rexmt_interval),
        (S(3), 3, S(3))
    );
    assert_eq!(
        (pr.csus_rexmt_interval, pr.csu_rexmt_interval),
        (S(3), S(2))
    );
    assert_eq!((pr.rexmt_limit, pr.hop_count, p0.max_sdu), (5, 32, 9188));
    assert_eq!(
        (p0.auth.mode, p0.auth.send_spi),
        (AuthMode::Mandatory, Some(258))
    );
    let k = &p0.auth.associations[0];
    assert_eq!((k.spi, k.algorithm), (258, AuthAlgorithm::HmacSha256));
    assert_eq!(
        k.key,
        hex::decode("6d617273642d612d622d6b65792d30303031").unwrap()
    );
    assert_eq!(k.lifetime, Some(S(30 * 86_400)));
    let k1 = &sp.dcs[1].auth.associations[0];
    assert_eq!((k1.spi, k1.algorithm), (259, AuthAlgorithm::HmacMd5_128));
    assert_eq!(
        k1.key,
        hex::decode("6d617273642d612d632d6b6579").unwrap(),
        "key_file"
    );
    // [[client]] and its timers
    let cl = &c.client[0];
    let cc = build::member_endpoint(cl, a("35.0001.C0000201098C00000000.000000000000.00"));
    assert_eq!(cc.mars.len(), 3);
    assert_eq!(build::groups(cl).len(), 2);
    assert_eq!(
        (cc.protocol, cc.protocol_address.to_string()),
        (mars_wire::Protocol::IPV4, "192.0.2.1".into())
    );
    assert_eq!(
        (cc.loopback, cc.seed, cc.max_sdu, cc.queue_limit),
        (false, 11, 9188, 64)
    );
    assert_eq!((cc.max_out_vcs, cc.max_in_vcs), (4096, 4096));
    let t = &cc.timers;
    assert_eq!(
        (t.mars_vc_idle, t.vc_idle, t.multi_part_timeout),
        (S(1200), Some(S(1200)), S(10))
    );
    assert_eq!(
        (t.add_retry, t.revalidate_delay),
        ((S(5), S(10)), (S(1), S(10)))
    );
    assert_eq!((t.join_leave_interval, t.join_leave_limit), (S(10), 5));
    assert_eq!((t.reregister_delay, t.force_wait), ((S(1), S(10)), S(60)));
    assert_eq!(
        (
            t.redirect_map_miss_limit,
            t.request_interval,
            t.request_limit
        ),
        (S(240), S(10), 5)
    );
    assert_eq!(
        (t.nak_holddown, t.rejoin_delay, t.loop_limit),
        ((S(5), S(10)), (S(1), S(10)), 3)
    );
    // [[mcs]]
    let m = build::mcs_config(&c.mcs[0], a("35.0001.C0000201098D00000000.000000000000.00"));
    assert_eq!(m.groups, vec![g("224.9.9.9"), g("224.9.9.10")]);
    // [[mcs.lists]] and [mcs.timers] hello_interval/dead_factor (RFC 2149 §5).
    let (ma, mb) = (
        a("35.0001.C0000201098D00000000.000000000000.00"),
        a("35.0001.C0000202098D00000000.000000000000.00"),
    );
    let lists: Vec<_> = m
        .mcslists
        .iter()
        .map(|l| {
            (
                l.mcslist.clone(),
                l.groups.clone(),
                l.hello_interval,
                l.dead_factor,
            )
        })
        .collect();
    assert_eq!(
        lists,
        vec![
            (vec![ma, mb], vec![g("224.9.9.9")], 3, 3),
            (vec![mb, ma], vec![g("224.9.9.10")], 3, 3),
        ]
    );
    assert_eq!(m.endpoint.timers.vc_idle, None);
    assert_eq!(c.role_names(), vec!["mars-a", "host-a", "mcs-a"]);
}

#[test]
fn every_key_is_documented() {
    let text = std::fs::read_to_string(root().join("examples/three-hosts/host-a.toml")).unwrap();
    let docs = std::fs::read_to_string(root().join("docs/configuration.md")).unwrap();
    let doc = toml_edit::ImDocument::parse(text.as_str()).unwrap();
    fn keys(t: &dyn toml_edit::TableLike, out: &mut Vec<String>) {
        for (k, item) in t.iter() {
            out.push(k.to_string());
            if let Some(t) = item.as_table_like() {
                keys(t, out);
            }
            if let Some(a) = item.as_array_of_tables() {
                for t in a.iter() {
                    keys(t, out);
                }
            }
        }
    }
    let mut all = Vec::new();
    keys(doc.as_table(), &mut all);
    all.sort();
    all.dedup();
    assert!(all.len() > 80, "{}", all.len());
    let missing: Vec<&String> = all
        .iter()
        .filter(|k| !docs.contains(&format!("`{k}`")) && !docs.contains(&format!("[{k}]")))
        .collect();
    assert!(missing.is_empty(), "undocumented keys: {missing:?}");
}

#[test]
fn defaults_are_the_engines() {
    let c = Config::parse("[server]\nbind = \"127.0.0.1:2443\"\n[[client]]\nbind = \"127.0.0.2:2443\"\nmars = [\"12345\"]\n", None).unwrap();
    let s = c.server.as_ref().unwrap();
    let me = a("35.0001.7F000001098B00000000.000000000000.00");
    let built = build::server_config(s, me);
    let rfc = mars_proto::mars::server::ServerConfig::new(me);
    assert_eq!(format!("{built:?}"), format!("{rfc:?}"));
    let e = build::endpoint_config(&c.emulation);
    assert_eq!(e, marsd::atm_udp::EndpointConfig::default());
    let cc = build::member_endpoint(&c.client[0], me);
    assert_eq!(cc.timers, mars_proto::mars::client::TimerConfig::default());
    assert_eq!(c.daemon.control_socket, Path::new("/run/marsd/marsd.sock"));
    assert!(c.metrics.is_none() && c.underlay.embedding);
    assert_eq!(c.role_names(), vec!["server", "client-1"]);
    // With peers: the SCSP defaults of the engine.
    let c = Config::parse("[server]\nbind = \"127.0.0.1:2443\"\n[server.scsp]\nserver_id = 9\n[[server.peers]]\naddress = \"12345\"\n", None).unwrap();
    let d = build::distributed_config(c.server.as_ref().unwrap(), me, None);
    let want = mars_proto::scsp::ScspConfig::new(ScspId::from_u32(9), me);
    assert_eq!(d.scsp.dcs[0].params, mars_proto::scsp::DcsParams::default());
    assert_eq!(d.scsp.dcs[0].auth.mode, AuthMode::Off);
    assert_eq!(
        (d.scsp.origination_hold, d.scsp.callee_fallback),
        (want.origination_hold, want.callee_fallback)
    );
    assert_eq!((d.flush_grace, d.startup_hold), (S(15), S(30)));
    // Scaled timers: the RFC's divided by `scale`, explicit keys win.
    let c = Config::parse("[[client]]\nbind = \"127.0.0.2:2443\"\nmars = [\"12345\"]\n[client.timers]\nscale = 10\nforce_wait = \"2s\"\nvc_idle = \"off\"\n", None).unwrap();
    let t = build::timers(&c.client[0].timers);
    assert_eq!(
        (t.join_leave_interval, t.force_wait, t.vc_idle),
        (S(1), S(2), None)
    );
}

/// Each malformed file and the exact messages it gives.
#[test]
fn malformed_files_name_line_and_key() {
    let peer = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
    let cases: &[(&str, &[&str])] = &[
        ("", &["no role configured: add [server], [[client]] or [[mcs]]"]),
        ("[server\n", &["line 1: invalid table header; expected `.`, `]`"]),
        ("[server]\nbind = \"127.0.0.1:1\"\nbnid = 2\n", &["line 3, server.bnid: unknown field `bnid`, expected one of `name`, `bind`, `atm`, `protocol_address`, `protocols`, `cmi_range`, `redirect_interval`, `backups`, `redirect_hard`, `max_sdu`, `verify_source`, `max_vcs`, `initial_msn`, `scsp`, `peers`"]),
        ("[server]\nname = \"s\"\n", &["line 1, server: missing field `bind`"]),
        ("[server]\nbind = 5\n", &["line 2, server.bind: invalid type: integer `5`, expected socket address"]),
        ("[server]\nbind = \"0.0.0.0:2443\"\n", &["line 2, server.bind: 0.0.0.0:2443 cannot be embedded in an ATM address (RFC 4548): bind a host address, or give `atm` and list it in the other hosts' [[underlay.entries]]"]),
        ("[server]\nbind = \"[::1]:2443\"\n", &["line 2, server.bind: no ATM address for [::1]:2443: IPv6 has no RFC 4548 embedding here; give `atm` and a static [[underlay.entries]] entry"]),
        ("[server]\nbind = \"127.0.0.1:1\"\nredirect_interval = \"5x\"\n", &["line 3, server.redirect_interval: not a duration: expected a number and a unit (ms, s, m, h, d), e.g. \"250ms\", \"3s\", \"20m\""]),
        ("[server]\nbind = \"127.0.0.1:1\"\nredirect_interval = \"0s\"\n", &["line 3, server.redirect_interval: must be longer than zero"]),
        ("[server]\nbind = \"127.0.0.1:1\"\nprotocols = [\"ipx\"]\n", &["line 3, server.protocols[0]: unknown variant `ipx`, expected `ipv4` or `ipv6`"]),
        ("[server]\nbind = \"127.0.0.1:1\"\n[server.scsp]\nserver_id = 1\nhello_jitter_percent = 60\n[[server.peers]]\naddress = \"47.00\"\n", &["line 7, server.peers[0].address: not an ATM address: expected an NSAPA of 40 hex digits (dots allowed, e.g. 47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00) or an E.164 number of 1 to 15 digits"]),
        (
            &format!("[server]\nbind = \"127.0.0.1:1\"\n[server.scsp]\nserver_id = 1\nhello_jitter_percent = 60\nhello_interval = \"0s\"\n[[server.peers]]\naddress = \"{peer}\"\nid = 1\nauth = \"mandatory\"\nsend_spi = 4\n[[server.peers]]\naddress = \"{peer}\"\n[[server.peers.keys]]\nspi = 1\nkey = \"xyz\"\n[[server.peers.keys]]\nspi = 1\n"),
            &[
                "line 5, server.scsp.hello_jitter_percent: must be at most 50",
                "line 6, server.scsp.hello_interval: must be longer than zero",
                "line 9, server.peers[0].id: is this server's own SCSP ID (server.scsp.server_id)",
                "line 10, server.peers[0].auth: mandatory authentication needs at least one [[server.peers.keys]] entry",
                "line 11, server.peers[0].send_spi: no key of this peer has SPI 4",
                "line 13, server.peers[1].address: repeats the address of an earlier peer",
                "line 16, server.peers[1].keys[0].key: not a key: expected hexadecimal digits",
                "line 18, server.peers[1].keys[1].spi: SPI 1 is configured twice for this peer",
                "line 17, server.peers[1].keys[1].key: give the key in hex (`key`) or a `key_file`",
            ],
        ),
        (
            "[server]\nbind = \"127.0.0.1:1\"\n[[client]]\nname = \"server\"\nbind = \"127.0.0.1:1\"\nmars = []\ngroups = [\"224.1.2.3\", \"224.1.2.3\", \"224.2.0.9-224.2.0.1\", \"ff15::1\"]\n[client.timers]\nscale = 0\nadd_retry = [\"9s\", \"1s\"]\n[[mcs]]\nbind = \"127.0.0.3:1\"\nmars = [\"12345\"]\ngroups = [\"224.0.0.0-224.0.0.9\"]\nloopback = true\n",
            &[
                "line 4, client[0].name: role name \"server\" is used twice",
                "line 5, client[0].bind: 127.0.0.1:1 is bound by another role: each role needs its own socket",
                "line 5, client[0].bind: ATM address 35.0001.7F000001000100000000.000000000000.00 is used by another role",
                "line 6, client[0].mars: name at least one MARS (RFC 2022 §5.4)",
                "line 7, client[0].groups[1]: listed twice",
                "line 7, client[0].groups[2]: 224.2.0.9 is above 224.2.0.1: a block is MIN-MAX",
                "line 7, client[0].groups[3]: not a group: expected an IPv4 address or a block MIN-MAX (e.g. 224.1.2.3 or 224.1.0.0-224.1.0.255)",
                "line 9, client[0].timers.scale: must be at least 1",
                "line 10, client[0].timers.add_retry: [9s, 1s]: the low end is above the high end",
                "line 14, mcs[0].groups[0]: an MCS serves single groups, not blocks (RFC 2149 §4.1.2)",
                "line 15, mcs[0].loopback: applies to clients only",
            ],
        ),
        ("[server]\nbind = \"127.0.0.1:1\"\nredirect_interval = \"3m\"\n[server.scsp]\nserver_id = 1\n[[server.peers]]\naddress = \"12345\"\n", &["line 3, server.redirect_interval: with peers at most 2m: the redirect entry is re-originated \"at least every 2 minutes\" (RFC 2443 §2)"]),
        ("[[client]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\n[client.timers]\nadd_retry = [\"1s\"]\n", &["line 5, client[0].timers.add_retry: invalid length 1, expected an array of length 2"]),
        ("[emulation]\nmax_sdu = 10\ndead_factor = 0\n[[mcs]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\n", &["line 3, emulation.dead_factor: must be at least 1", "line 2, emulation.max_sdu: must be between 128 and 65535 octets"]),
    ];
    for (text, want) in cases {
        let got = match Config::parse(text, None) {
            Ok(_) => vec!["OK".to_string()],
            Err(e) => e.0.iter().map(ToString::to_string).collect(),
        };
        let mut g = got.clone();
        let mut w: Vec<String> = want.iter().map(ToString::to_string).collect();
        g.sort();
        w.sort();
        assert_eq!(g, w, "for\n{text}");
    }
}

#[test]
fn reload_rules() {
    let base = "[server]\nbind = \"127.0.0.1:1\"\nbackups = []\n[[client]]\nname = \"c\"\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\ngroups = [\"224.1.1.1\"]\n";
    let old = Config::parse(base, None).unwrap();
    let new = base
        .replace("backups = []", "backups = [\"777\"]")
        .replace("224.1.1.1", "224.2.2.2");
    let (_, plan) = marsd::config::reload::plan(&old, &new, None).unwrap();
    assert_eq!(plan.backups, Some(vec![a("777")]));
    assert_eq!(plan.groups[0].join[0].0.to_string(), "224.2.2.2");
    assert_eq!(plan.groups[0].leave[0].0.to_string(), "224.1.1.1");
    let bad = base.replace("mars = [\"12345\"]", "mars = [\"54321\"]");
    let e = marsd::config::reload::plan(&old, &bad, None).unwrap_err();
    assert_eq!(e.to_string(), "line 7, client[0].mars[0]: this key cannot change while marsd runs: restart it (reload refused)");
    let e = marsd::config::reload::plan(
        &old,
        &format!("{base}[metrics]\nlisten = \"127.0.0.1:1\"\n"),
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 9, metrics: this key cannot change while marsd runs: restart it (reload refused)"
    );
}

/// Peers are matched by address: added, removed, re-addressed (a new address where a removed
/// one was), restarted (settings other than keying changed) or re-keyed, in that order of
/// application; `[server.scsp]` still needs a restart; a server without peers cannot get any;
/// an invalid peer refuses the reload with its line and key.
#[test]
fn reload_rules_for_peers() {
    use marsd::config::reload::{plan, PeerChange};
    let (x, y, z, w) = ("111", "222", "333", "444");
    let file = |peers: &[(&str, &str)]| {
        let mut t = String::from(
            "[server]\nbind = \"127.0.0.1:1\"\natm = \"999\"\n[server.scsp]\nserver_id = 1\n",
        );
        for (addr, extra) in peers {
            t.push_str(&format!("[[server.peers]]\naddress = \"{addr}\"\n{extra}"));
        }
        t
    };
    let key7 = "[[server.peers.keys]]\nspi = 7\nkey = \"00112233\"\n";
    let old = Config::parse(&file(&[(x, ""), (y, ""), (z, key7)]), None).unwrap();
    let summary = |text: String| -> Vec<String> {
        let (_, p) = plan(&old, &text, None).unwrap_or_else(|e| panic!("{e}"));
        p.summary()
    };
    // Unchanged.
    assert!(summary(file(&[(x, ""), (y, ""), (z, key7)])).is_empty());
    // Reordered: nothing changes either (matched by address).
    assert!(summary(file(&[(z, key7), (x, ""), (y, "")])).is_empty());
    // Removed, added.
    assert_eq!(
        summary(file(&[(x, ""), (z, key7)])),
        vec![format!("server.peers: {} removed", a(y))]
    );
    assert_eq!(
        summary(file(&[(x, ""), (y, ""), (z, key7), (w, "id = 4\n")])),
        vec![format!("server.peers[3] ({}): added", a(w))]
    );
    // Re-addressed: a new address where a removed one was; a removal elsewhere stays one.
    assert_eq!(
        summary(file(&[(x, ""), (w, ""), (z, key7)])),
        vec![format!(
            "server.peers[1]: re-addressed {} -> {}",
            a(y),
            a(w)
        )]
    );
    assert_eq!(
        summary(file(&[(w, ""), (z, key7)])),
        vec![
            format!("server.peers: {} removed", a(y)),
            format!("server.peers[0]: re-addressed {} -> {}", a(x), a(w)),
        ]
    );
    assert_eq!(
        summary(file(&[(z, key7), (x, ""), (w, "")])),
        vec![
            format!("server.peers: {} removed", a(y)),
            format!("server.peers[2] ({}): added", a(w)),
        ]
    );
    // Settings: the peer restarts; keying alone: re-keyed in place; both kinds in one file,
    // in the order they are applied.
    let (_, p) = plan(
        &old,
        &file(&[(z, ""), (y, "hello_interval = \"1s\"\n"), (w, "")]),
        None,
    )
    .unwrap();
    assert_eq!(
        p.summary(),
        vec![
            format!("server.peers: {} removed", a(x)),
            format!(
                "server.peers[1] ({}): settings changed, peer restarted",
                a(y)
            ),
            format!("server.peers[2] ({}): added", a(w)),
            format!("server.peers[0] ({}): auth Off, 0 keys, 1 removed", a(z)),
        ]
    );
    match &p.peers[1] {
        PeerChange::Restart { index: 1, dcs } => {
            assert_eq!(dcs.params.hello_interval, S(1));
        }
        other => panic!("{other:?}"),
    }
    match &p.peers[2] {
        PeerChange::Add { index: 2, dcs } => assert_eq!(dcs.address, a(w)),
        other => panic!("{other:?}"),
    }
    // Every peer removed: applied (the server runs on alone).
    assert_eq!(summary(file(&[])).len(), 3);
    // [server.scsp] still needs a restart.
    let e = plan(
        &old,
        &file(&[(x, ""), (y, ""), (z, key7)]).replace("server_id = 1", "server_id = 2"),
        None,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "line 5, server.scsp.server_id: this key cannot change while marsd runs: restart it (reload refused)");
    // An invalid new peer: refused with its line and key.
    let e = plan(&old, &file(&[(x, ""), (y, ""), (z, key7), (x, "")]), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 16, server.peers[3].address: repeats the address of an earlier peer"
    );
    let e = plan(&old, &file(&[(x, ""), ("999", "")]), None).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 9, server.peers[1].address: is this server's own ATM address"
    );
    // A server started without peers cannot get any.
    let plain = Config::parse(&file(&[]), None).unwrap();
    let e = plan(&plain, &file(&[(x, "")]), None).unwrap_err();
    assert_eq!(e.to_string(), "line 6, server.peers[0]: peers cannot be added to a server running without any (it runs no SCSP engine): restart marsd (reload refused)");
}

/// RFC 2149 §5: `mcslist` and `[mcs.timers] hello_interval`/`dead_factor` reach the MCS's
/// election, and are validated with line and key.
#[test]
fn mcslist_reaches_the_election_and_is_checked() {
    let me = "35.0001.7F000002000100000000.000000000000.00";
    let text = format!(
        "[[mcs]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\ngroups = [\"224.1.2.3\", \"224.1.2.4\"]\nmcslist = [\"{me}\", \"12346\"]\n[mcs.timers]\nhello_interval = 2\ndead_factor = 4\n"
    );
    let cfg = Config::parse(&text, None).expect("valid");
    let m = &cfg.mcs[0];
    let c = build::mcs_config(m, a(me));
    assert_eq!(c.mcslists.len(), 1);
    let l = &c.mcslists[0];
    assert_eq!(l.mcslist, vec![a(me), a("12346")]);
    assert_eq!(l.groups.len(), 2, "one list for both groups (§5.4)");
    assert_eq!((l.hello_interval, l.dead_factor), (2, 4));

    let bad = "[[mcs]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\ngroups = [\"224.1.2.3\"]\nmcslist = [\"12346\", \"12346\", \"12347/47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00\"]\n[mcs.timers]\nhello_interval = 0\n[[client]]\nbind = \"127.0.0.3:1\"\nmars = [\"12345\"]\nmcslist = [\"12346\"]\n[client.timers]\ndead_factor = 3\n";
    let got: Vec<String> = match Config::parse(bad, None) {
        Ok(_) => vec!["OK".into()],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    };
    for want in [
        "line 5, mcs[0].mcslist: must name this MCS's own ATM address (RFC 2149 §5.1)",
        "line 5, mcs[0].mcslist[1]: listed twice",
        "line 5, mcs[0].mcslist[2]: no subaddress: the RFC 2149 HELLO carries ATM numbers only",
        "line 7, mcs[0].timers.hello_interval: must be at least 1",
        "line 11, client[0].mcslist: applies to MCSs only (RFC 2149 §5)",
    ] {
        assert!(
            got.iter().any(|g| g == want),
            "missing {want:?} in {got:#?}"
        );
    }
    assert!(
        got.iter()
            .any(|g| g.contains("client[0].timers.dead_factor")),
        "{got:#?}"
    );
}

/// RFC 2149 §5.4: an MCS first in one list and a backup in another — `[[mcs.lists]]` give
/// each list its groups; it serves only where it is first. Checked with line and key.
#[test]
fn mcs_lists_reach_the_elections_and_are_checked() {
    let me = "35.0001.7F000002000100000000.000000000000.00";
    let text = format!(
        "[[mcs]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\ngroups = [\"224.1.2.3\", \"224.1.2.4\", \"224.1.2.5\"]\n\
         [[mcs.lists]]\nmcslist = [\"{me}\", \"12346\"]\ngroups = [\"224.1.2.3\"]\n\
         [[mcs.lists]]\nmcslist = [\"12346\", \"{me}\"]\ngroups = [\"224.1.2.4\"]\n"
    );
    let cfg = Config::parse(&text, None).expect("valid");
    let c = build::mcs_config(&cfg.mcs[0], a(me));
    assert_eq!(c.mcslists.len(), 2);
    assert_eq!(c.mcslists[0].mcslist, vec![a(me), a("12346")]);
    assert_eq!(c.mcslists[0].groups, vec![g("224.1.2.3")]);
    assert_eq!(c.mcslists[1].mcslist, vec![a("12346"), a(me)]);
    assert_eq!(c.mcslists[1].groups, vec![g("224.1.2.4")]);
    // 224.1.2.5 is in no list: served directly, as without lists.
    assert_eq!(c.groups.len(), 3);

    let bad = format!(
        "[[mcs]]\nbind = \"127.0.0.2:1\"\nmars = [\"12345\"]\ngroups = [\"224.1.2.3\"]\nmcslist = [\"{me}\"]\n\
         [[mcs.lists]]\nmcslist = [\"12346\"]\ngroups = [\"224.9.9.9\", \"224.1.2.3\"]\n\
         [[mcs.lists]]\nmcslist = [\"{me}\"]\ngroups = [\"224.1.2.3\"]\n"
    );
    let got: Vec<String> = match Config::parse(&bad, None) {
        Ok(_) => vec!["OK".into()],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    };
    let want = "mcs[0].lists: give `mcslist` or `[[mcs.lists]]`, not both";
    assert!(
        got.iter().any(|x| x.ends_with(want)),
        "missing {want:?} in {got:#?}"
    );
    let only_lists = bad.replace(
        &format!("mcslist = [\"{me}\"]\n[[mcs.lists]]"),
        "[[mcs.lists]]",
    );
    let got: Vec<String> = match Config::parse(&only_lists, None) {
        Ok(_) => vec!["OK".into()],
        Err(e) => e.0.iter().map(ToString::to_string).collect(),
    };
    for want in [
        "mcs[0].lists[0].mcslist: must name this MCS's own ATM address (RFC 2149 §5.1)",
        "mcs[0].lists[0].groups[0]: not one of the role's `groups`",
        "mcs[0].lists[1].groups[0]: already in another list",
    ] {
        assert!(
            got.iter().any(|x| x.ends_with(want)),
            "missing {want:?} in {got:#?}"
        );
    }
}
