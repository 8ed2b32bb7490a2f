//! The `Sim` harness driving real (if tiny) sans-IO engines: an echo server and a pinger
//! with a timer.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{AtmUser, Cause, Instant, VcEvent, VcId, VcRequest};
use mars_sim::{test_address, LinkConfig, Sim, SimError};
use mars_wire::AtmAddress;

/// Accepts every call and sends every SDU back on the VC it came on (point-to-point only:
/// a multipoint leaf may not send).
#[derive(Debug, Default)]
struct Echo {
    out: VecDeque<VcRequest>,
    multipoint: BTreeSet<VcId>,
    echoed: u64,
    released: Vec<Cause>,
}

impl AtmUser for Echo {
    fn handle_vc_event(&mut self, _now: Instant, ev: VcEvent) {
        match ev {
            VcEvent::IncomingCall { vc, multipoint, .. } => {
                if multipoint {
                    self.multipoint.insert(vc);
                }
                self.out.push_back(VcRequest::Accept { vc });
            }
            VcEvent::Received { vc, sdu } if !self.multipoint.contains(&vc) => {
                self.echoed += 1;
                self.out.push_back(VcRequest::Send { vc, sdu });
            }
            VcEvent::Released { cause, .. } => self.released.push(cause),
            _ => {}
        }
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Calls `target` when started, then sends `count` pings `interval` apart and measures the
/// round trips; releases the call when every reply is in.
#[derive(Debug)]
struct Ping {
    target: AtmAddress,
    interval: Duration,
    count: u32,
    out: VecDeque<VcRequest>,
    next_ping: Option<Instant>,
    sent_at: BTreeMap<u32, Instant>,
    rtts: Vec<Duration>,
    released: Option<Cause>,
}

const PING_VC: VcId = VcId::local(1);

impl Ping {
    fn new(target: AtmAddress, count: u32) -> Self {
        Ping {
            target,
            interval: Duration::from_millis(100),
            count,
            out: VecDeque::new(),
            next_ping: None,
            sent_at: BTreeMap::new(),
            rtts: Vec::new(),
            released: None,
        }
    }

    /// A command from the test.
    fn start(&mut self) {
        self.out.push_back(VcRequest::Connect {
            vc: PING_VC,
            to: self.target,
        });
    }
}

impl AtmUser for Ping {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        match ev {
            VcEvent::Connected { .. } => self.next_ping = Some(now),
            VcEvent::Received { sdu, .. } => {
                let seq = u32::from_be_bytes(sdu[..4].try_into().unwrap());
                self.rtts.push(now - self.sent_at[&seq]);
                if self.rtts.len() == self.count as usize {
                    self.out.push_back(VcRequest::Release {
                        vc: PING_VC,
                        cause: Cause::NORMAL,
                    });
                }
            }
            VcEvent::Released { cause, .. } => {
                self.released = Some(cause);
                self.next_ping = None;
            }
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let seq = self.sent_at.len() as u32;
        self.sent_at.insert(seq, now);
        self.out.push_back(VcRequest::Send {
            vc: PING_VC,
            sdu: Bytes::copy_from_slice(&seq.to_be_bytes()),
        });
        self.next_ping = (seq + 1 < self.count).then(|| now + self.interval);
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.next_ping
    }
}

fn secs(n: u64) -> Instant {
    Instant::ZERO + Duration::from_secs(n)
}

#[test]
fn ping_and_echo_in_virtual_time() {
    let mut sim = Sim::new(5);
    sim.fabric_mut()
        .set_default_link(LinkConfig::with_latency(Duration::from_millis(5)));
    let echo = sim.add_engine(test_address(1), Echo::default());
    let ping = sim.add_engine(test_address(2), Ping::new(test_address(1), 5));

    // Nothing happens until the pinger is told to start.
    assert!(sim.run_until_idle(secs(1)).unwrap());
    assert_eq!(
        (sim.now(), sim.fabric().totals().events),
        (Instant::ZERO, 0)
    );
    sim.with_engine::<Ping, _>(ping, |p, _| p.start()).unwrap();

    let done = sim
        .run_until_with(secs(10), |s| {
            s.engine::<Ping>(ping).unwrap().rtts.len() == 5
        })
        .unwrap();
    assert!(done);
    let p = sim.engine::<Ping>(ping).unwrap();
    assert!(
        p.rtts.iter().all(|&rtt| rtt == Duration::from_millis(10)),
        "{:?}",
        p.rtts
    );
    // Connected after one round trip (10 ms), then a ping every 100 ms.
    let sent: Vec<u64> = p
        .sent_at
        .values()
        .map(|t| t.as_nanos() / 1_000_000)
        .collect();
    assert_eq!(sent, [10, 110, 210, 310, 410]);

    assert!(sim.run_until_idle(secs(20)).unwrap());
    assert_eq!(sim.engine::<Echo>(echo).unwrap().echoed, 5);
    assert_eq!(sim.engine::<Echo>(echo).unwrap().released, [Cause::NORMAL]);
    assert_eq!(sim.fabric().vcs_open(echo) + sim.fabric().vcs_open(ping), 0);
    assert_eq!(sim.fabric().misuse(echo).0 + sim.fabric().misuse(ping).0, 0);
    assert!(
        sim.engine::<Echo>(ping).is_none(),
        "downcast checks the type"
    );
}

#[test]
fn crash_and_restart_an_engine() {
    let mut sim = Sim::new(6);
    let echo = sim.add_engine(test_address(1), Echo::default());
    let ping = sim.add_engine(test_address(2), Ping::new(test_address(1), 1_000));
    sim.with_engine::<Ping, _>(ping, |p, _| p.start());
    sim.run_until(secs(1)).unwrap();
    let dead = sim.crash(echo).expect("the echo engine");
    let dead = dead.as_any().downcast_ref::<Echo>().unwrap();
    assert!(dead.echoed > 0);
    assert!(sim.engine::<Echo>(echo).is_none());

    sim.run_until(secs(3)).unwrap();
    let p = sim.engine::<Ping>(ping).unwrap();
    assert_eq!(p.released, Some(Cause::DESTINATION_OUT_OF_ORDER));
    assert_eq!(p.rtts.len() as u64, dead.echoed);

    // A fresh engine on the same address serves a new pinger.
    sim.restart(echo, Echo::default());
    let ping2 = sim.add_engine(test_address(3), Ping::new(test_address(1), 3));
    sim.with_engine::<Ping, _>(ping2, |p, _| p.start());
    assert!(sim.run_until_idle(secs(10)).unwrap());
    assert_eq!(sim.engine::<Ping>(ping2).unwrap().rtts.len(), 3);
    assert_eq!(sim.engine::<Echo>(echo).unwrap().echoed, 3);
}

#[test]
fn quiet_idle_and_limits() {
    let mut sim = Sim::new(7);
    sim.add_engine(test_address(1), Echo::default());
    let ping = sim.add_engine(test_address(2), Ping::new(test_address(1), 100));
    sim.with_engine::<Ping, _>(ping, |p, _| p.start());
    // Quiet comes after the first round trip: the first ping waits on a timer.
    assert!(sim.run_until_quiet(secs(2)).unwrap());
    assert_eq!(sim.now(), Instant::ZERO + Duration::from_millis(2));
    // Idle never comes while pings are due; the run stops at its limit.
    assert!(!sim.run_until_idle(secs(2)).unwrap());
    assert_eq!(sim.now(), secs(2));
    // Pings at 2 ms, 102 ms, …, 1902 ms; replies 2 ms later.
    assert_eq!(sim.engine::<Ping>(ping).unwrap().rtts.len(), 20);
    sim.run_for(Duration::from_secs(1)).unwrap();
    assert_eq!(sim.now(), secs(3));
    assert_eq!(sim.engine::<Ping>(ping).unwrap().rtts.len(), 30);
}

/// An engine that always wants a timeout now and never advances it.
#[derive(Debug)]
struct Spinner;

impl AtmUser for Spinner {
    fn handle_vc_event(&mut self, _: Instant, _: VcEvent) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_request(&mut self) -> Option<VcRequest> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(Instant::ZERO)
    }
}

#[test]
fn a_spinning_engine_is_reported_not_looped_on() {
    let mut sim = Sim::new(8);
    sim.set_max_steps_per_instant(1_000);
    sim.add_engine(test_address(1), Spinner);
    let err = sim.run_until(secs(1)).unwrap_err();
    assert!(
        matches!(err, SimError::Stalled { steps: 1_001, .. }),
        "{err}"
    );
}

#[test]
fn endpoints_without_engines_keep_their_events() {
    let mut sim = Sim::new(9);
    sim.add_engine(test_address(1), Echo::default());
    let raw = sim.add_endpoint(test_address(2));
    sim.fabric_mut().request(
        raw,
        VcRequest::Connect {
            vc: VcId::local(4),
            to: test_address(1),
        },
    );
    assert!(sim.run_until_idle(secs(1)).unwrap());
    assert_eq!(
        sim.fabric_mut().poll_event(raw),
        Some(VcEvent::Connected { vc: VcId::local(4) })
    );
}
