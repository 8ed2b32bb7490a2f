//! The RFC 2149 §5 election FSM alone (`mars_proto::mars::mcs::Election`), driven with
//! virtual time: each test names the sentence it checks.

use std::net::Ipv4Addr;
use std::time::Duration;

use mars_proto::mars::mcs::election::Output;
use mars_proto::mars::mcs::{Election, ElectionEvent, ElectionState, McsList};
use mars_proto::vc::{PartyId, VcId, VcRequest};
use mars_proto::Instant;
use mars_wire::mcs_hello::{HelloState, McsHello};
use mars_wire::{AtmAddr, AtmAddress, ProtoAddr};

fn addr(i: u8) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[19] = i;
    AtmAddress::new(AtmAddr::nsap(o))
}

const G: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 9);

fn list(n: u8) -> McsList {
    let mut l = McsList::new((0..n).map(addr).collect(), vec![ProtoAddr::from(G)]);
    l.hello_interval = 1;
    l.dead_factor = 3;
    l
}

fn t(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

fn hello(from: u8, state: HelloState, receiver: Option<u8>, hi: u16, df: u16) -> McsHello {
    McsHello {
        state,
        hello_interval: hi,
        dead_factor: df,
        group: G,
        sender: addr(from).number,
        receiver: receiver.map_or(AtmAddr::NULL, |r| addr(r).number),
    }
}

/// Drain the outputs; run timers up to `until` first.
fn run(e: &mut Election, until: Instant) -> Vec<Output> {
    while let Some(d) = e.poll_timeout().filter(|d| *d <= until) {
        e.handle_timeout(d);
    }
    std::iter::from_fn(|| e.poll_output()).collect()
}

fn sent_hellos(out: &[Output]) -> Vec<McsHello> {
    out.iter()
        .filter_map(|o| match o {
            Output::Vc(VcRequest::Send { sdu, .. }) => McsHello::decode_sdu(sdu).ok(),
            _ => None,
        })
        .collect()
}

fn events(out: &[Output]) -> Vec<ElectionEvent> {
    out.iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

fn parties(out: &[Output]) -> Vec<(VcId, PartyId, AtmAddress)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Vc(VcRequest::AddParty { vc, party, to }) => Some((*vc, *party, *to)),
            _ => None,
        })
        .collect()
}

#[test]
fn first_serves_then_opens_the_hello_vc_and_sends_elected_hellos() {
    let mut e = Election::new(list(3), &addr(0), 0, t(0));
    // §5.2: the first "does register to support the group"; the HelloVC comes "After
    // registering" (§5.4).
    let out = run(&mut e, t(0));
    assert_eq!(out, vec![Output::Serve]);
    assert_eq!(e.state(), ElectionState::Starting);
    e.served(t(10));
    let out = run(&mut e, t(10));
    assert!(matches!(
        out[0],
        Output::Vc(VcRequest::OpenMultipoint { .. })
    ));
    let p = parties(&out);
    assert_eq!(
        p.iter().map(|x| x.2).collect::<Vec<_>>(),
        vec![addr(1), addr(2)]
    );
    for (vc, party, _) in &p {
        e.party_added(t(20), *vc, *party);
    }
    // §5.4: "MUST send HELLO messages HelloInterval seconds apart … Receiver Len set to zero,
    // the State field set to 'Elected'".
    let out = run(&mut e, t(5_010));
    let h = sent_hellos(&out);
    assert_eq!(
        h.len(),
        2 + 5,
        "one per added leaf, then one a second: {h:?}"
    );
    for x in &h {
        assert_eq!(*x, hello(0, HelloState::Elected, None, 1, 3));
    }
}

#[test]
fn the_others_do_not_register_and_fail_the_active_after_interval_times_factor() {
    let mut e = Election::new(list(3), &addr(1), 0, t(0));
    // §5.4: "They MUST NOT register to support the group with the MARS".
    assert!(run(&mut e, t(0)).is_empty());
    assert_eq!(e.state(), ElectionState::Inactive);
    // "If a HELLO message is received within this period, the inactive MCS does not initiate
    // any further action, other than restarting the timer."
    e.hello(
        t(2_500),
        &addr(0),
        hello(0, HelloState::Elected, None, 1, 3),
    );
    assert!(run(&mut e, t(5_499)).is_empty());
    let out = run(&mut e, t(5_500));
    assert_eq!(
        events(&out)[0],
        ElectionEvent::ActiveFailed {
            mcs: addr(0),
            vc_closed: false
        }
    );
    // §5.5.1: "the next MCS in mcslist becomes the candidate MCS" — this one.
    assert_eq!(e.state(), ElectionState::Candidate);
}

#[test]
fn inactive_adopts_the_actives_interval_and_factor_but_elections_use_the_defaults() {
    let mut e = Election::new(list(3), &addr(2), 0, t(0));
    // §5.4: "The inactive MCSs MUST set their values of HelloInterval and DeadFactor to those
    // specified by the active MCS".
    e.hello(
        t(1_000),
        &addr(0),
        hello(0, HelloState::Elected, None, 2, 5),
    );
    assert!(run(&mut e, t(10_999)).is_empty());
    assert_eq!(e.snapshot().hello_interval, 2);
    let out = run(&mut e, t(11_000));
    assert!(matches!(
        events(&out)[0],
        ElectionEvent::ActiveFailed { .. }
    ));
    assert_eq!(e.state(), ElectionState::Voting);
    // §5.5.1: "the values used for HelloInterval and DeadFactor in the election phase are
    // the default ones": the candidate fails after 1 s * 3, not 2 s * 5.
    assert_eq!(e.snapshot().dead_factor, 3);
    let out = run(&mut e, t(14_000));
    assert!(events(&out).contains(&ElectionEvent::CandidateFailed { mcs: addr(1) }));
    // The last one alive: no inactive MCS remains, so it is elected at once.
    assert_eq!(e.state(), ElectionState::Active);
}

#[test]
fn hello_from_a_non_candidate_is_ignored() {
    let mut e = Election::new(list(4), &addr(3), 0, t(0));
    // An Elected HELLO from the third MCS while the first is active: ignored, the timer is
    // not restarted.
    e.hello(
        t(2_000),
        &addr(2),
        hello(2, HelloState::Elected, None, 1, 3),
    );
    assert_eq!(e.stats().hellos_ignored, 1);
    let out = run(&mut e, t(3_000));
    assert!(matches!(
        events(&out)[0],
        ElectionEvent::ActiveFailed { .. }
    ));
    // During the election for the second MCS, the third's No-Op HELLO is ignored too
    // (§5.5.1: "If a HELLO message is received by an inactive MCS from a non-candidate MCS,
    // it is ignored"): no VC is opened to it.
    e.hello(t(3_100), &addr(2), hello(2, HelloState::NoOp, None, 1, 3));
    assert_eq!(e.stats().hellos_ignored, 2);
    assert!(run(&mut e, t(3_100)).is_empty());
}

#[test]
fn inactive_answers_the_candidate_and_retransmits_until_elected() {
    let mut e = Election::new(list(3), &addr(2), 0, t(0));
    run(&mut e, t(3_000));
    assert_eq!(e.state(), ElectionState::Voting);
    // §5.5.1: "an inactive MCS MUST open a point-to-point VC to that candidate".
    e.hello(t(3_100), &addr(1), hello(1, HelloState::NoOp, None, 1, 3));
    let out = run(&mut e, t(3_100));
    let Some(Output::Vc(VcRequest::Connect { vc, to })) = out.first().cloned() else {
        panic!("{out:?}")
    };
    assert_eq!(to, addr(1));
    e.connected(t(3_150), vc);
    // "It MUST send a HELLO message back to it, with the Sender and Receiver fields
    // appropriately set (not zero), and the State field being No-Op."
    let out = run(&mut e, t(3_150));
    assert_eq!(
        sent_hellos(&out),
        vec![hello(2, HelloState::NoOp, Some(1), 1, 3)]
    );
    // "If no HELLO message is received from the candidate with the State field set to
    // 'Elected' in HelloInterval seconds, the inactive MCS MUST retransmit the HELLO."
    let out = run(&mut e, t(5_150));
    assert_eq!(sent_hellos(&out).len(), 2);
    e.hello(
        t(5_200),
        &addr(1),
        hello(1, HelloState::Elected, None, 1, 3),
    );
    let out = run(&mut e, t(5_200));
    assert!(out.contains(&Output::Vc(VcRequest::Release {
        vc,
        cause: mars_proto::vc::Cause::NORMAL
    })));
    assert!(events(&out).contains(&ElectionEvent::NewActive { mcs: addr(1) }));
    assert_eq!(e.state(), ElectionState::Inactive);
    assert!(
        sent_hellos(&run(&mut e, t(7_000))).is_empty(),
        "no more answers"
    );
}

#[test]
fn candidate_elected_by_half_of_the_remaining_inactives() {
    // Five MCSs; the first fails; the second is candidate with three remaining inactives:
    // it needs two answers.
    let mut e = Election::new(list(5), &addr(1), 0, t(0));
    let out = run(&mut e, t(3_000));
    assert_eq!(e.state(), ElectionState::Candidate);
    // "It MUST open a point-to-multipoint VC to the remaining inactive MCSs (HelloVC)".
    let p = parties(&out);
    assert_eq!(
        p.iter().map(|x| x.2).collect::<Vec<_>>(),
        vec![addr(2), addr(3), addr(4)]
    );
    for (vc, party, _) in &p {
        e.party_added(t(3_010), *vc, *party);
    }
    // "It MUST transmit HELLO messages with State field set to No-Op at HelloInterval
    // seconds interval during this period."
    let out = run(&mut e, t(5_010));
    let h = sent_hellos(&out);
    assert!(
        h.len() >= 4
            && h.iter()
                .all(|x| x.state == HelloState::NoOp && x.receiver.is_null())
    );
    // An answer addressed to another MCS does not count.
    e.hello(
        t(5_100),
        &addr(2),
        hello(2, HelloState::NoOp, Some(3), 1, 3),
    );
    e.hello(
        t(5_100),
        &addr(2),
        hello(2, HelloState::NoOp, Some(1), 1, 3),
    );
    assert_eq!(e.state(), ElectionState::Candidate);
    e.hello(
        t(5_200),
        &addr(4),
        hello(4, HelloState::NoOp, Some(1), 1, 3),
    );
    // "If it receives messages from atleast half of the remaining inactive MCSs during this
    // period, it considers itself elected … registers … and starts sending HELLO messages …
    // 'Elected' on the already existing HelloVC."
    let out = run(&mut e, t(5_200));
    assert_eq!(e.state(), ElectionState::Active);
    assert!(out.contains(&Output::Serve));
    assert!(!out
        .iter()
        .any(|o| matches!(o, Output::Vc(VcRequest::OpenMultipoint { .. }))));
    assert_eq!(sent_hellos(&out)[0].state, HelloState::Elected);
}

#[test]
fn candidate_without_enough_answers_fails_after_its_period() {
    let mut e = Election::new(list(3), &addr(1), 0, t(0));
    run(&mut e, t(3_000));
    assert_eq!(e.state(), ElectionState::Candidate);
    // "The candidate MCS MUST wait for a period of HelloInterval*DeadFactor seconds".
    assert!(events(&run(&mut e, t(5_999))).is_empty());
    let out = run(&mut e, t(6_000));
    assert_eq!(
        events(&out),
        vec![ElectionEvent::NotElected {
            heard: 0,
            needed: 1
        }]
    );
    assert_eq!(e.state(), ElectionState::Failed);
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Vc(VcRequest::Release { .. }))));
    assert!(!out.contains(&Output::Serve));
}

#[test]
fn last_mcs_alone_elects_itself() {
    let mut e = Election::new(list(2), &addr(1), 0, t(0));
    let out = run(&mut e, t(3_000));
    // No inactive MCS remains: half of none is none.
    assert_eq!(e.state(), ElectionState::Active);
    assert!(out.contains(&Output::Serve));
}

#[test]
fn active_re_adds_a_dropped_inactive_three_times() {
    let mut e = Election::new(list(2), &addr(0), 0, t(0));
    e.served(t(0));
    let out = run(&mut e, t(0));
    let (vc, party, _) = parties(&out)[0];
    e.party_added(t(10), vc, party);
    run(&mut e, t(10));
    e.party_dropped(t(1_000), vc, party);
    let mut attempts = Vec::new();
    let mut now = 1_000;
    // §5.5.2: three attempts, spaced HelloInterval*DeadFactor apart, then dead.
    while now < 20_000 {
        let out = run(&mut e, t(now));
        for (vc, party, to) in parties(&out) {
            assert_eq!(to, addr(1));
            attempts.push(now);
            e.party_dropped(t(now), vc, party);
        }
        now += 100;
    }
    assert_eq!(attempts, vec![1_000, 4_000, 7_000]);
    assert_eq!(e.snapshot().dead, vec![addr(1)]);
    assert_eq!(e.stats().readds, 3);
}

#[test]
fn bad_hellos_are_counted_and_dropped() {
    let mut e = Election::new(list(3), &addr(1), 0, t(0));
    // The sender is not the calling party; a zero HelloInterval; not a member of the list.
    e.hello(t(1), &addr(2), hello(0, HelloState::Elected, None, 1, 3));
    e.hello(t(1), &addr(0), hello(0, HelloState::Elected, None, 0, 3));
    e.hello(t(1), &addr(9), hello(9, HelloState::Elected, None, 1, 3));
    e.bad_hello();
    assert_eq!(e.stats().hellos_bad, 4);
    // None of them restarted the timer.
    let out = run(&mut e, t(3_000));
    assert!(matches!(
        events(&out)[0],
        ElectionEvent::ActiveFailed { .. }
    ));
}
