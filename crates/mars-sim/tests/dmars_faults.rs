//! RFC 2443 under faults and attacks: proxy deregistration, partitions, forged CSAs,
//! overlapping CMI ranges; and the redirect map and redirect entries.

mod dmars_support;

use std::collections::BTreeSet;
use std::time::Duration;

use dmars_support::{group, server_config, Lis, LisSpec, SERVER_BASE};
use mars_proto::dmars::{DistributedServer, DmarsEvent, MarsScsp};
use mars_proto::scsp::{
    AuthConfig, AuthMode, DcsConfig, ScspConfig, ScspEngine, SecurityAssociation,
};
use mars_proto::Instant;
use mars_sim::test_address;
use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::scsp::{AuthAlgorithm, CacheKey, ScspId};
use mars_wire::{ProtoAddr, Protocol};

/// RFC 2443 §2: "In the case of a MARS Client or MCS Client failure where the client is
/// unexpectedly removed from the CCVC or SCVC the MARS Server MUST notify its peer SG members
/// via a proxy deregister for that client. Upon receiving a proxy deregister request from a
/// peer SG member all membership information for the deregistering client MUST be removed."
#[test]
fn a_crashed_client_is_proxy_deregistered_everywhere() {
    let mut lis = Lis::new(LisSpec::default());
    lis.run(Duration::from_secs(6));
    let g = group(3);
    for i in [1, 4] {
        lis.join(i, g);
    }
    lis.run(Duration::from_secs(2));
    let victim = test_address(2); // client 1, at server 1
    for s in 0..3 {
        assert!(lis.db_view(s).contains_key(&victim));
    }
    lis.sim.crash(lis.clients[1]);
    // The fabric notices after its detection delay (1 s); then the CSA floods.
    lis.run(Duration::from_secs(3));
    for s in 0..3 {
        let view = lis.db_view(s);
        assert!(
            !view.contains_key(&victim),
            "server {s} still holds the crashed client"
        );
        assert_eq!(lis.host_map(s, g), [test_address(5)].into(), "server {s}");
    }
    assert_eq!(lis.server(1).server().stats().unexpected_removals, 1);
    // Its records are tombstones now; after the hold every server collects them, the same
    // way, and the caches hold the same records again.
    let cmi = lis.server(0).server().clusters()[0].db.members().count();
    assert_eq!(cmi, 5);
    lis.run(Duration::from_secs(45));
    let records = |s: usize| -> BTreeSet<(Vec<u8>, Vec<u8>, i32)> {
        lis.server(s)
            .scsp()
            .cache()
            .iter()
            .filter(|(id, _)| id.key.to_u32() != Some(0))
            .map(|(id, e)| {
                (
                    id.key.as_bytes().to_vec(),
                    id.origin.as_bytes().to_vec(),
                    e.seq.get(),
                )
            })
            .collect()
    };
    for s in 1..3 {
        assert_eq!(records(s), records(0), "server {s}");
    }
    let from_server_1: Vec<_> = records(0)
        .into_iter()
        .filter(|r| r.1 == [0, 0, 0, 2])
        .collect();
    assert_eq!(
        from_server_1.len(),
        1 + 1,
        "server 1's remaining client: its registration and its join"
    );
}

/// A partitioned server group keeps serving on each side; once healed, the caches re-align and
/// every server's database converges to the same content.
#[test]
fn partition_and_heal_converge() {
    for seed in 1..=3 {
        let mut lis = Lis::new(LisSpec {
            seed,
            servers: 4,
            clients: 8,
            redirect_interval: Duration::from_secs(4),
            ..LisSpec::default()
        });
        lis.run(Duration::from_secs(6));
        let (a, b) = (group(1), group(2));
        lis.join(0, a);
        lis.run(Duration::from_secs(1));
        // Servers {0,1} with their clients on one side, {2,3} with theirs on the other.
        let side = |s: usize| -> Vec<mars_sim::EndpointId> {
            let mut v = vec![lis.servers[s]];
            v.extend((0..8).filter(|&i| lis.home[i] == s).map(|i| lis.clients[i]));
            v
        };
        let (left, right): (Vec<_>, Vec<_>) = (
            (side(0).into_iter().chain(side(1)).collect()),
            side(2).into_iter().chain(side(3)).collect(),
        );
        lis.sim.fabric_mut().partition(&[&left, &right]);
        lis.run(Duration::from_millis(500));
        lis.join(1, b); // at server 1
        lis.join(2, b); // at server 2
        lis.leave(0, a); // at server 0
        lis.run(Duration::from_millis(900));
        lis.sim.fabric_mut().heal();
        lis.run(Duration::from_secs(15));
        assert!(lis.all_registered(), "seed {seed}");
        let v0 = lis.db_view(0);
        for s in 1..4 {
            assert_eq!(
                lis.db_view(s),
                v0,
                "seed {seed}: server {s} differs from server 0"
            );
        }
        let members: BTreeSet<_> = [test_address(2), test_address(3)].into();
        for s in 0..4 {
            assert_eq!(lis.host_map(s, b), members, "seed {seed}: server {s}");
            assert!(lis.host_map(s, a).is_empty(), "seed {seed}: server {s}");
        }
    }
}

fn sa(key: &[u8]) -> SecurityAssociation {
    SecurityAssociation {
        spi: 7,
        algorithm: AuthAlgorithm::HmacSha256,
        key: key.to_vec(),
        lifetime: None,
    }
}

/// RFC 2443 §6 with RFC 2334 B.3.1: authentication between servers, configured per peer.
/// An endpoint the victim accepts as a peer but which signs with the wrong key floods forged
/// registrations and joins: none reaches the victim's database, and the honest peers keep
/// synchronising.
#[test]
fn forged_csas_never_reach_a_database() {
    let spec = LisSpec {
        servers: 2,
        clients: 2,
        ..LisSpec::default()
    };
    let mars: Vec<_> = (0..2).map(|i| test_address(SERVER_BASE + i)).collect();
    let intruder = test_address(SERVER_BASE + 50);
    let good = AuthConfig {
        mode: AuthMode::Mandatory,
        associations: vec![sa(b"the group's key")],
        send_spi: Some(7),
    };
    let mut lis = Lis::new(LisSpec {
        servers: 0,
        clients: 0,
        ..LisSpec::default()
    });
    let now = Instant::ZERO;
    for i in 0..2 {
        let mut cfg = server_config(&spec, i, &mars);
        for d in &mut cfg.scsp.dcs {
            d.auth = good.clone();
        }
        if i == 0 {
            // Server 0 also expects the intruder's address as a peer (a compromised link).
            let mut d = DcsConfig::new(intruder);
            d.auth = good.clone();
            cfg.scsp.dcs.push(d);
        }
        let ep = lis
            .sim
            .add_engine(mars[i], DistributedServer::new(cfg, now).unwrap());
        lis.servers.push(ep);
    }
    lis.mars = mars.clone();
    // The intruder: an SCSP engine speaking RFC 2443 with the wrong key.
    let mut scfg = ScspConfig::new(ScspId::from_u32(99), intruder);
    let mut d = DcsConfig::new(mars[0]);
    d.auth = AuthConfig {
        mode: AuthMode::Mandatory,
        associations: vec![sa(b"a guessed key")],
        send_spi: Some(7),
    };
    scfg.dcs.push(d);
    scfg.origination_hold = Some(Duration::ZERO);
    let bad = ScspEngine::new(scfg, MarsScsp { server_group_id: 1 }, now).unwrap();
    let bad_ep = lis.sim.add_engine(intruder, bad);
    lis.run(Duration::from_secs(3));
    let forged = MarsCsa {
        pro: Protocol::IPV4,
        unused: 0,
        state: CsaState::ClientJoin,
        flags: CsaFlags {
            layer3grp: false,
            register: true,
            sequence: 0,
        },
        cmi: 4242,
        spa: ProtoAddr::NULL,
        source: test_address(777),
        group: None,
    };
    let mut join = forged;
    join.flags.register = false;
    join.group = Some(GroupRange::single(group(9)));
    let parts = vec![
        (
            CacheKey::from_u32(4242 << 16),
            bytes::Bytes::from(forged.to_vec().unwrap()),
        ),
        (
            CacheKey::from_u32(4242 << 16 | 1),
            bytes::Bytes::from(join.to_vec().unwrap()),
        ),
    ];
    let now = lis.now();
    lis.sim
        .with_engine::<ScspEngine<MarsScsp>, _>(bad_ep, |e, _| {
            let _ = e.originate_many(now, parts.clone());
        });
    lis.run(Duration::from_secs(5));
    for s in 0..2 {
        let db = &lis.server(s).server().clusters()[0].db;
        assert!(
            db.member(4242).is_none() && db.member_by_addr(&test_address(777)).is_none(),
            "server {s} took a forged registration"
        );
        assert!(db.host_map(&group(9)).is_empty());
    }
    let c = lis.server(0).scsp().counters();
    let auth_drops: u64 = c
        .discards
        .iter()
        .filter(|(k, _)| k.is_auth())
        .map(|(_, v)| v)
        .sum();
    assert!(
        auth_drops > 0,
        "the forged packets were discarded as failing authentication"
    );
    // The honest, authenticated peers still synchronise.
    let hello = lis.server(1).scsp().dcs_status(0).unwrap();
    assert_eq!(hello.ca, mars_proto::scsp::CaState::Aligned);
}

/// RFC 2443 §2: each server's CMI range must be disjoint from its peers'. A server whose
/// configured range overlaps CMIs a peer has allocated refuses to serve, with a clear message.
#[test]
fn overlapping_cmi_ranges_are_refused() {
    let spec = LisSpec {
        servers: 2,
        clients: 0,
        ..LisSpec::default()
    };
    let mars: Vec<_> = (0..2).map(|i| test_address(SERVER_BASE + i)).collect();
    let mut lis = Lis::new(LisSpec {
        servers: 0,
        clients: 0,
        ..LisSpec::default()
    });
    let now = Instant::ZERO;
    // Server 0 runs alone first and registers a client (CMI 1, from its range 1–1000).
    let cfg0 = server_config(&spec, 0, &mars);
    lis.servers.push(
        lis.sim
            .add_engine(mars[0], DistributedServer::new(cfg0, now).unwrap()),
    );
    let client = test_address(1);
    let mut ccfg = mars_proto::mars::client::ClientConfig::new(client, vec![mars[0]]);
    ccfg.timers = mars_proto::mars::client::TimerConfig::scaled_down(10);
    lis.clients.push(
        lis.sim
            .add_engine(client, mars_proto::mars::client::MarsClient::new(ccfg, now)),
    );
    lis.home.push(0);
    lis.run(Duration::from_secs(2));
    assert!(lis.all_registered());
    // Server 1 starts with the same range.
    let mut cfg1 = server_config(&spec, 1, &mars);
    cfg1.server.cmi_range = dmars_support::cmi_range(0, 2);
    let now = lis.now();
    lis.servers.push(
        lis.sim
            .add_engine(mars[1], DistributedServer::new(cfg1, now).unwrap()),
    );
    lis.mars = mars.clone();
    lis.run(Duration::from_secs(4));
    let s1 = lis.server(1);
    let fatal = s1.snapshot().fatal.expect("server 1 refuses to serve");
    assert!(fatal.contains("CMI range 1-32500 overlaps"), "{fatal}");
    assert!(!s1.is_ready());
    assert!(lis.server_events[&1]
        .iter()
        .any(|e| matches!(e, DmarsEvent::CmiRangeConflict { cmi: 1, .. })));
    // A client that tries server 1 is refused.
    let c2 = test_address(2);
    let mut ccfg = mars_proto::mars::client::ClientConfig::new(c2, vec![mars[1]]);
    ccfg.timers = mars_proto::mars::client::TimerConfig::scaled_down(10);
    let now = lis.now();
    let ep = lis
        .sim
        .add_engine(c2, mars_proto::mars::client::MarsClient::new(ccfg, now));
    lis.run(Duration::from_secs(2));
    assert!(!lis
        .sim
        .engine::<mars_proto::mars::client::MarsClient>(ep)
        .unwrap()
        .is_registered());
}

/// RFC 2443 §2, §5.1: MARS_REDIRECT_MAP lists the servers learned from redirect entries in
/// ascending order of SCSP Sender ID, then the configured backups — each server rotating the
/// list to start with itself (see `docs/dmars.md`: RFC 2022 §5.4.3 makes any other first
/// entry a redirect).
#[test]
fn redirect_map_order() {
    let mut lis = Lis::new(LisSpec {
        servers: 4,
        clients: 4,
        ..LisSpec::default()
    });
    lis.run(Duration::from_secs(6));
    let m = lis.mars.clone();
    for s in 0..4 {
        let want: Vec<_> = (0..4).map(|k| m[(s + k) % 4]).collect();
        let got = lis.server(s).server().redirect_targets();
        assert_eq!(got, want, "server {s}");
    }
    // The clients received it and keep their own server first.
    for i in 0..4 {
        let st = lis.client_ref(i).state();
        assert_eq!(st.mars, m[lis.home[i]]);
        assert_eq!(
            st.mars_table[..4],
            (0..4).map(|k| m[(lis.home[i] + k) % 4]).collect::<Vec<_>>()[..]
        );
    }
}

/// RFC 2443 §2: "each server MUST update it's MARS Server Redirect Entry state at least every
/// 2 minutes": every server's entry is re-originated each interval (its sequence number
/// grows), and an interval over 2 minutes is refused.
#[test]
fn redirect_entries_are_refreshed_every_interval() {
    let mut lis = Lis::new(LisSpec {
        servers: 2,
        clients: 0,
        ..LisSpec::default()
    });
    lis.run(Duration::from_secs(5));
    let seq = |lis: &Lis| {
        let e = lis
            .server(1)
            .scsp()
            .entry(&CacheKey::from_u32(0), &ScspId::from_u32(1))
            .expect("server 0's redirect entry at server 1");
        e.seq.get()
    };
    let before = seq(&lis);
    lis.run(Duration::from_secs(10));
    let after = seq(&lis);
    assert_eq!(after - before, 5, "five 2 s intervals, five updates");
    let mut cfg = server_config(
        &LisSpec {
            servers: 2,
            ..LisSpec::default()
        },
        0,
        &lis.mars,
    );
    cfg.redirect_interval = Duration::from_secs(121);
    assert!(DistributedServer::new(cfg, Instant::ZERO).is_err());
}

/// RFC 2443 §3: "All other State values should cause the CSA to be discarded." A peer floods a
/// record with State 9 beside a valid registration: the registration is applied, the unknown
/// record changes no database and is not an abnormal event (it is stored and flooded like any
/// record; SCSP does not interpret parts).
#[test]
fn unknown_states_are_discarded_by_every_server() {
    let spec = LisSpec {
        servers: 2,
        clients: 0,
        ..LisSpec::default()
    };
    let mars: Vec<_> = (0..2).map(|i| test_address(SERVER_BASE + i)).collect();
    let other = test_address(SERVER_BASE + 60);
    let mut lis = Lis::new(LisSpec {
        servers: 0,
        clients: 0,
        ..LisSpec::default()
    });
    let now = Instant::ZERO;
    for i in 0..2 {
        let mut cfg = server_config(&spec, i, &mars);
        if i == 0 {
            cfg.scsp.dcs.push(DcsConfig::new(other));
        }
        lis.servers.push(
            lis.sim
                .add_engine(mars[i], DistributedServer::new(cfg, now).unwrap()),
        );
    }
    lis.mars = mars.clone();
    let mut scfg = ScspConfig::new(ScspId::from_u32(77), other);
    scfg.dcs.push(DcsConfig::new(mars[0]));
    scfg.origination_hold = Some(Duration::ZERO);
    let peer = lis.sim.add_engine(
        other,
        ScspEngine::new(scfg, MarsScsp { server_group_id: 1 }, now).unwrap(),
    );
    lis.run(Duration::from_secs(3));
    let reg = MarsCsa {
        pro: Protocol::IPV4,
        unused: 0,
        state: CsaState::ClientJoin,
        flags: CsaFlags {
            layer3grp: false,
            register: true,
            sequence: 0,
        },
        cmi: 5000,
        spa: ProtoAddr::NULL,
        source: test_address(55),
        group: None,
    };
    let mut odd = reg.to_vec().unwrap();
    odd[11] = 9; // State 9
    let now = lis.now();
    lis.sim
        .with_engine::<ScspEngine<MarsScsp>, _>(peer, |e, _| {
            let _ = e.originate_many(
                now,
                vec![
                    (
                        CacheKey::from_u32(5000 << 16),
                        bytes::Bytes::from(reg.to_vec().unwrap()),
                    ),
                    (CacheKey::from_u32(5000 << 16 | 1), bytes::Bytes::from(odd)),
                ],
            );
        });
    lis.run(Duration::from_secs(2));
    for s in 0..2 {
        let sv = lis.server(s);
        assert!(
            sv.server().clusters()[0].db.member(5000).is_some(),
            "server {s} applied the registration"
        );
        assert!(
            sv.scsp()
                .entry(&CacheKey::from_u32(5000 << 16 | 1), &ScspId::from_u32(77))
                .is_some(),
            "server {s} stores the record"
        );
        assert!(
            sv.scsp().counters().abnormal.is_empty(),
            "server {s}: not an abnormal event"
        );
    }
}
