//! The UDP emulation on real loopback sockets: two and three endpoints, engine mode, IPv6 by
//! static map, and a peer killed. Waits are on events with timeouts, never bare sleeps.

use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use bytes::Bytes;
use mars_proto::{AtmUser, Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{EndpointConfig, EndpointSpec, EngineEndpoint, RawEndpoint, Underlay};

const WAIT: Duration = Duration::from_secs(5);

fn spec(ip: &str) -> EndpointSpec {
    EndpointSpec {
        config: EndpointConfig::fast(),
        ..EndpointSpec::new(format!("{ip}:0").parse().unwrap())
    }
}

async fn expect(ep: &mut RawEndpoint, what: &str) -> VcEvent {
    ep.next_event(WAIT)
        .await
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// `a` calls `b`, `b` accepts. Returns `b`'s id for the call.
async fn call(a: &mut RawEndpoint, b: &mut RawEndpoint, vc: VcId) -> VcId {
    a.request(VcRequest::Connect {
        vc,
        to: b.address(),
    });
    let VcEvent::IncomingCall {
        vc: inc,
        from,
        multipoint: false,
    } = expect(b, "call").await
    else {
        panic!("expected a point-to-point call")
    };
    assert_eq!(from, a.address());
    b.request(VcRequest::Accept { vc: inc });
    assert_eq!(expect(a, "connect").await, VcEvent::Connected { vc });
    inc
}

fn sdu(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

#[tokio::test]
async fn two_endpoints_call_exchange_and_release() {
    let mut a = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let mut b = RawEndpoint::bind(spec("127.0.0.2")).await.unwrap();
    let vc = VcId::local(1);
    let inc = call(&mut a, &mut b, vc).await;
    for k in 0..100 {
        a.request(VcRequest::Send {
            vc,
            sdu: sdu(&format!("a{k}")),
        });
        b.request(VcRequest::Send {
            vc: inc,
            sdu: sdu(&format!("b{k}")),
        });
    }
    for k in 0..100 {
        assert_eq!(
            expect(&mut b, "data").await,
            VcEvent::Received {
                vc: inc,
                sdu: sdu(&format!("a{k}"))
            }
        );
        assert_eq!(
            expect(&mut a, "data").await,
            VcEvent::Received {
                vc,
                sdu: sdu(&format!("b{k}"))
            }
        );
    }
    b.request(VcRequest::Release {
        vc: inc,
        cause: Cause::NORMAL,
    });
    assert_eq!(
        expect(&mut a, "release").await,
        VcEvent::Released {
            vc,
            cause: Cause::NORMAL
        }
    );
    assert_eq!(b.next_event(Duration::from_millis(100)).await, None);
    assert_eq!(a.counters().dropped(), 0);
    assert_eq!(b.counters().dropped(), 0);
}

#[tokio::test]
async fn three_endpoints_multipoint() {
    let mut root = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let mut l1 = RawEndpoint::bind(spec("127.0.0.3")).await.unwrap();
    let mut l2 = RawEndpoint::bind(spec("127.0.0.4")).await.unwrap();
    let vc = VcId::local(5);
    root.request(VcRequest::OpenMultipoint { vc });
    root.request(VcRequest::AddParty {
        vc,
        party: PartyId(1),
        to: l1.address(),
    });
    root.request(VcRequest::AddParty {
        vc,
        party: PartyId(2),
        to: l2.address(),
    });
    let mut leaf_ids = Vec::new();
    for leaf in [&mut l1, &mut l2] {
        let VcEvent::IncomingCall {
            vc: inc,
            multipoint: true,
            ..
        } = expect(leaf, "add").await
        else {
            panic!()
        };
        leaf.request(VcRequest::Accept { vc: inc });
        leaf_ids.push(inc);
    }
    let mut added = vec![
        expect(&mut root, "ack").await,
        expect(&mut root, "ack").await,
    ];
    added.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(
        added,
        [
            VcEvent::PartyAdded {
                vc,
                party: PartyId(1)
            },
            VcEvent::PartyAdded {
                vc,
                party: PartyId(2)
            }
        ]
    );
    root.request(VcRequest::Send {
        vc,
        sdu: sdu("hello leaves"),
    });
    for (leaf, id) in [&mut l1, &mut l2].into_iter().zip(&leaf_ids) {
        assert_eq!(
            expect(leaf, "data").await,
            VcEvent::Received {
                vc: *id,
                sdu: sdu("hello leaves")
            }
        );
    }
    // Leaf 2 leaves; the root drops leaf 1.
    l2.request(VcRequest::Release {
        vc: leaf_ids[1],
        cause: Cause::NORMAL,
    });
    assert_eq!(
        expect(&mut root, "leaf left").await,
        VcEvent::PartyDropped {
            vc,
            party: PartyId(2),
            cause: Cause::NORMAL
        }
    );
    root.request(VcRequest::DropParty {
        vc,
        party: PartyId(1),
        cause: Cause(31),
    });
    assert_eq!(
        expect(&mut l1, "dropped").await,
        VcEvent::Released {
            vc: leaf_ids[0],
            cause: Cause(31)
        }
    );
}

#[tokio::test]
async fn ipv6_by_static_map() {
    let a_atm: AtmAddress = "14085551212".parse().unwrap();
    let b_atm: AtmAddress = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00"
        .parse()
        .unwrap();
    // Bind on ports the kernel picks, then map both addresses in the underlay they share
    // (binding, closing and binding again would leave the port free to anyone meanwhile).
    let underlay = Arc::new(Underlay::new());
    let mk = |atm| EndpointSpec {
        bind: "[::1]:0".parse().unwrap(),
        atm: Some(atm),
        config: EndpointConfig::fast(),
        underlay: underlay.clone(),
    };
    let mut a = RawEndpoint::bind(mk(a_atm)).await.unwrap();
    let mut b = RawEndpoint::bind(mk(b_atm)).await.unwrap();
    underlay.insert(a_atm, a.local_addr());
    underlay.insert(b_atm, b.local_addr());
    let vc = VcId::local(1);
    let inc = call(&mut a, &mut b, vc).await;
    a.request(VcRequest::Send {
        vc,
        sdu: sdu("over v6"),
    });
    assert_eq!(
        expect(&mut b, "data").await,
        VcEvent::Received {
            vc: inc,
            sdu: sdu("over v6")
        }
    );
}

#[tokio::test]
async fn killed_peer_is_released_within_the_bound() {
    let cfg = EndpointConfig {
        keepalive_interval: Duration::from_millis(100),
        dead_factor: 3,
        ..EndpointConfig::fast()
    };
    let mk = |ip: &str| EndpointSpec {
        config: cfg.clone(),
        ..spec(ip)
    };
    let mut survivor = RawEndpoint::bind(mk("127.0.0.1")).await.unwrap();
    let mut victim = RawEndpoint::bind(mk("127.0.0.5")).await.unwrap();
    let mut bystander = RawEndpoint::bind(mk("127.0.0.6")).await.unwrap();
    let p2p = VcId::local(1);
    call(&mut survivor, &mut victim, p2p).await;
    let keep = call(&mut survivor, &mut bystander, VcId::local(2)).await;
    let mp = VcId::local(3);
    survivor.request(VcRequest::OpenMultipoint { vc: mp });
    survivor.request(VcRequest::AddParty {
        vc: mp,
        party: PartyId(9),
        to: victim.address(),
    });
    let VcEvent::IncomingCall { vc: leaf, .. } = expect(&mut victim, "add").await else {
        panic!()
    };
    victim.request(VcRequest::Accept { vc: leaf });
    assert_eq!(
        expect(&mut survivor, "ack").await,
        VcEvent::PartyAdded {
            vc: mp,
            party: PartyId(9)
        }
    );
    // Let keepalives flow for a while, then crash the victim.
    assert_eq!(survivor.next_event(Duration::from_millis(400)).await, None);
    victim.kill();
    let killed = StdInstant::now();
    let bound = cfg.dead_after() + cfg.keepalive_interval;
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let ev = expect(&mut survivor, "loss of the victim").await;
        seen.push((ev, killed.elapsed()));
    }
    let evs: Vec<_> = seen.iter().map(|(e, _)| e.clone()).collect();
    assert!(evs.contains(&VcEvent::Released {
        vc: p2p,
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    assert!(evs.contains(&VcEvent::PartyDropped {
        vc: mp,
        party: PartyId(9),
        cause: Cause::DESTINATION_OUT_OF_ORDER
    }));
    // Scheduling slack on a loaded 2-core machine: 50 ms.
    for (_, after) in &seen {
        println!("victim's VC released {after:?} after the kill (bound {bound:?})");
        assert!(
            *after <= bound + Duration::from_millis(50),
            "{after:?} > {bound:?}"
        );
    }
    // The bystander's call is untouched.
    survivor.request(VcRequest::Send {
        vc: VcId::local(2),
        sdu: sdu("still here"),
    });
    assert_eq!(
        expect(&mut bystander, "data").await,
        VcEvent::Received {
            vc: keep,
            sdu: sdu("still here")
        }
    );
}

/// An engine that accepts every call and echoes every SDU back on the VC it came on.
#[derive(Default, Debug)]
struct Echo {
    out: std::collections::VecDeque<VcRequest>,
    echoed: usize,
}

impl AtmUser for Echo {
    fn handle_vc_event(&mut self, _: Instant, ev: VcEvent) {
        match ev {
            VcEvent::IncomingCall { vc, .. } => self.out.push_back(VcRequest::Accept { vc }),
            VcEvent::Received { vc, sdu } => {
                self.echoed += 1;
                self.out.push_back(VcRequest::Send { vc, sdu });
            }
            _ => {}
        }
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[tokio::test]
async fn engine_mode_runs_an_atm_user() {
    let echo = EngineEndpoint::spawn(spec("127.0.0.7"), |_| Echo::default())
        .await
        .unwrap();
    let mut a = RawEndpoint::bind(spec("127.0.0.1")).await.unwrap();
    let vc = VcId::local(1);
    a.request(VcRequest::Connect {
        vc,
        to: echo.address(),
    });
    assert_eq!(expect(&mut a, "connect").await, VcEvent::Connected { vc });
    for k in 0..10 {
        a.request(VcRequest::Send {
            vc,
            sdu: sdu(&format!("ping {k}")),
        });
        assert_eq!(
            expect(&mut a, "echo").await,
            VcEvent::Received {
                vc,
                sdu: sdu(&format!("ping {k}"))
            }
        );
    }
    let engine = echo.stop().await.unwrap();
    assert_eq!(engine.echoed, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_requests_does_not_starve_liveness() {
    // Regression: the driver once served its request channel before its socket whenever
    // both were ready, so a sender that always had requests queued stopped reading its peer's
    // keepalives and declared it dead. Here a keeps up to 4,096 SDUs queued for 600 ms.
    let cfg = EndpointConfig {
        keepalive_interval: Duration::from_millis(50),
        dead_factor: 3,
        ..EndpointConfig::fast()
    };
    let mk = |ip: &str| EndpointSpec {
        config: cfg.clone(),
        ..spec(ip)
    };
    let mut a = RawEndpoint::bind(mk("127.0.0.1")).await.unwrap();
    let mut b = RawEndpoint::bind(mk("127.0.0.8")).await.unwrap();
    let vc = VcId::local(1);
    call(&mut a, &mut b, vc).await;
    let received = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let r2 = received.clone();
    let sink = tokio::spawn(async move {
        while let Some(ev) = b.next_event(Duration::from_millis(300)).await {
            match ev {
                VcEvent::Received { .. } => {
                    r2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                other => return Some(other),
            }
        }
        assert_eq!(b.counters().peers_lost, 0);
        None
    });
    let start = StdInstant::now();
    let mut sent = 0u64;
    while start.elapsed() < Duration::from_millis(600) {
        while sent - received.load(std::sync::atomic::Ordering::Relaxed) < 4_096 {
            a.request(VcRequest::Send { vc, sdu: sdu("x") });
            sent += 1;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(sink.await.unwrap(), None, "b lost a");
    assert_eq!(a.try_next_event(), None, "a lost b");
    assert_eq!(a.counters().peers_lost, 0);
    assert!(received.load(std::sync::atomic::Ordering::Relaxed) > 0);
}
