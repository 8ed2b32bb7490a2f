//! SCSP does not know MARS: the same engine synchronises a second, NHRP-shaped client
//! protocol with 6-octet server IDs, 8-octet cache keys and text parts, and two protocol
//! instances on one fabric ignore each other's packets.

mod scsp_support;

use std::time::Duration;

use mars_proto::scsp::ClientProtocol;
use mars_proto::scsp::{Discard, ScspConfig};
use mars_wire::scsp::{CacheKey, ScspId};
use scsp_support::clients::{Toy, Wide};
use scsp_support::net::Net;
use scsp_support::{addr, config, live};

fn wide_config(n: u32, dcs: &[u32]) -> ScspConfig {
    let mut c = config(n, dcs);
    c.local_id = ScspId::new(vec![0xAB, 0xCD, 0, 0, 0, n as u8]);
    c
}

#[test]
fn a_second_client_protocol_synchronises() {
    let mut net = Net::new(5, Duration::from_millis(1), 0.05);
    let a = net.add(wide_config(1, &[2]), Wide);
    let b = net.add(wide_config(2, &[1, 3]), Wide);
    let c = net.add(wide_config(3, &[2]), Wide);
    for (n, text) in [(a, "from a"), (c, "from c — UTF-8 ✓")] {
        for k in 0..30u64 {
            let key = CacheKey::new(k.to_be_bytes().to_vec());
            net.with(n, |e, now| e.originate(now, key, text).map(|_| ()))
                .unwrap();
        }
    }
    // Not UTF-8: this client protocol rejects it.
    assert!(net
        .with(a, |e, now| e.originate(
            now,
            CacheKey::new(vec![1]),
            vec![0xFF, 0xFE]
        ))
        .is_err());
    assert!(
        net.run_until(Duration::from_millis(100), Duration::from_secs(60), |n| {
            let l = live(&n.nodes[a].engine);
            l.len() == 60 && live(&n.nodes[b].engine) == l && live(&n.nodes[c].engine) == l
        })
    );
}

#[test]
fn instances_of_different_protocols_ignore_each_other() {
    // A server of the MARS-shaped protocol hears from its DCS's address a Hello of the other
    // protocol (another PID/SGID): discarded, and the HFSM does not move.
    use mars_proto::{AtmUser, Instant, VcEvent, VcId};
    use mars_wire::scsp::{CommonPart, ScspPacket};
    let mut cfg = config(1, &[2]);
    cfg.callee_fallback = None;
    let mut e = mars_proto::scsp::ScspEngine::new(cfg, Toy::default(), Instant::ZERO).unwrap();
    let now = Instant::ZERO;
    let vc = VcId::incoming(99);
    // Server 2 (the higher address) calls anyway; with no VC of its own, server 1 accepts.
    e.handle_vc_event(now, VcEvent::Connected { vc: VcId::local(0) });
    e.handle_vc_event(
        now,
        VcEvent::Released {
            vc: VcId::local(0),
            cause: mars_proto::Cause::NO_ROUTE,
        },
    );
    e.handle_vc_event(
        now,
        VcEvent::IncomingCall {
            vc,
            from: addr(2),
            multipoint: false,
        },
    );
    let hello = ScspPacket::hello(
        CommonPart::new(
            Wide.protocol_id(),
            Wide.server_group_id(),
            ScspId::from_u32(2),
            ScspId::default(),
        ),
        1,
        3,
        0,
        &[],
    );
    let mut sdu = Vec::new();
    hello.encode_sdu(&mut sdu).unwrap();
    e.handle_vc_event(
        now,
        VcEvent::Received {
            vc,
            sdu: sdu.into(),
        },
    );
    assert_eq!(e.counters().discarded(Discard::WrongGroup), 1);
    assert_eq!(
        e.dcs_status(0).unwrap().hello,
        mars_proto::scsp::HelloState::Waiting
    );
}
