//! SCSP authentication (RFC 2334 B.3.1) between engines: key rollover with two active SPIs
//! loses nothing, and forged or modified packets never change a cache or an FSM.

mod scsp_support;

use std::time::Duration;

use bytes::Bytes;
use mars_proto::scsp::{AuthMode, CaState, ScspConfig, ScspEngine, SecurityAssociation};
use mars_proto::{AtmUser, Instant, VcEvent};
use mars_wire::checksum::checksum_with_zeroed;
use mars_wire::scsp::{AuthAlgorithm, CommonPart, CsaRecord, CsasRecord, ScspBody, ScspPacket};
use mars_wire::CsaSeq;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scsp_support::clients::Toy;
use scsp_support::net::Net;
use scsp_support::{config, key, live, sid};

fn sa(spi: u32, algorithm: AuthAlgorithm, k: u8) -> SecurityAssociation {
    SecurityAssociation {
        spi,
        algorithm,
        key: vec![k; 20],
        lifetime: None,
    }
}

fn secured(n: u32, dcs: &[u32]) -> ScspConfig {
    let mut c = config(n, dcs);
    for d in &mut c.dcs {
        d.auth.mode = AuthMode::Mandatory;
        d.auth.associations = vec![sa(1, AuthAlgorithm::HmacMd5_128, 0x11)];
    }
    c
}

/// Roll the key of a pair of servers while updates flow both ways every 100 ms; `switch`
/// says how the senders move to the new key.
fn rollover(explicit_switch: bool) -> (u64, bool) {
    let mut net = Net::new(3, Duration::from_millis(1), 0.0);
    let a = net.add(secured(1, &[2]), Toy::default());
    let b = net.add(secured(2, &[1]), Toy::default());
    let new = sa(2, AuthAlgorithm::HmacSha256, 0x22);
    let mut k = 0;
    for step in 0..100 {
        match step {
            // Install the new key at both ends (in either order): both keep signing with the
            // old one, which each sees the other use.
            20 => net
                .with(a, |e, now| e.add_security_association(now, 0, new.clone()))
                .unwrap(),
            30 => net
                .with(b, |e, now| e.add_security_association(now, 0, new.clone()))
                .unwrap(),
            // Switch one end; the other follows as soon as it sees the new SPI.
            40 if explicit_switch => net.with(b, |e, _| e.set_sending_spi(0, Some(2))).unwrap(),
            // Remove the old key at both ends.
            50 => assert!(net
                .with(b, |e, _| e.remove_security_association(0, 1))
                .unwrap()),
            65 => assert!(net
                .with(a, |e, _| e.remove_security_association(0, 1))
                .unwrap()),
            _ => {}
        }
        for n in [a, b] {
            k += 1;
            net.with(n, |e, now| {
                e.originate(now, key(k), format!("v{k}")).map(|_| ())
            })
            .unwrap();
        }
        net.run_for(Duration::from_millis(100));
    }
    net.run_for(Duration::from_secs(2));
    let failures = [a, b]
        .iter()
        .map(|&n| net.nodes[n].engine.counters().auth_failures())
        .sum();
    let converged = [a, b]
        .iter()
        .all(|&n| live(&net.nodes[n].engine).len() == 200)
        && live(&net.nodes[a].engine) == live(&net.nodes[b].engine);
    (failures, converged)
}

#[test]
fn key_rollover_loses_nothing() {
    // Install, switch, remove: not one packet fails authentication.
    assert_eq!(rollover(true), (0, true));
    // Install, remove: the end that removes first switches; packets already in flight with
    // the old key are lost at it, and retransmission recovers them.
    let (failures, converged) = rollover(false);
    assert!(converged && failures <= 2, "{failures} failures");
}

/// Put a correct checksum on an SDU whose SCSP packet was modified.
fn fix_checksum(sdu: &mut [u8]) {
    let cs = checksum_with_zeroed(&sdu[8..], 4);
    sdu[12..14].copy_from_slice(&cs.to_be_bytes());
}

#[test]
fn forged_and_modified_packets_change_nothing() {
    let key_a = sa(1, AuthAlgorithm::HmacSha256, 0x33);
    let mut cfg = config(5, &[9]);
    cfg.origination_hold = None;
    cfg.dcs[0].auth.mode = AuthMode::Mandatory;
    cfg.dcs[0].auth.associations = vec![key_a.clone()];
    let mut e = ScspEngine::new(cfg, Toy::default(), Instant::ZERO).unwrap();
    let vc = e.poll_request().unwrap().vc();
    let now = Instant::ZERO;
    e.handle_vc_event(now, VcEvent::Connected { vc });
    let signed = |p: &ScspPacket| {
        let mut sdu = Vec::new();
        p.encode_sdu_authenticated(1, key_a.algorithm, &key_a.key, &mut sdu)
            .unwrap();
        sdu
    };
    let deliver = |e: &mut ScspEngine<Toy>, sdu: Vec<u8>| {
        e.handle_vc_event(
            now,
            VcEvent::Received {
                vc,
                sdu: Bytes::from(sdu),
            },
        );
        while e.poll_request().is_some() {}
        while e.poll_event().is_some() {}
    };
    let common = |flags| {
        let mut c = CommonPart::new(3, 1, sid(9), sid(5));
        c.flags = flags;
        c
    };
    use mars_wire::scsp::{Ca, CA_FLAG_I, CA_FLAG_M, CA_FLAG_O};
    deliver(
        &mut e,
        signed(&ScspPacket::hello(common(0), 10, 3, 0, &[sid(5)])),
    );
    let ca = |seq, flags| {
        ScspPacket::new(
            common(flags),
            ScspBody::Ca(Ca {
                sequence: seq,
                records: vec![],
            }),
        )
    };
    deliver(&mut e, signed(&ca(100, CA_FLAG_M | CA_FLAG_I | CA_FLAG_O)));
    deliver(&mut e, signed(&ca(101, CA_FLAG_M)));
    assert_eq!(e.dcs_status(0).unwrap().ca, CaState::Aligned);

    let genuine = ScspPacket::new(
        common(0),
        ScspBody::CsuRequest(vec![CsaRecord::new(
            CsasRecord::new(CsaSeq::FIRST, key(1), sid(9)),
            b"genuine".to_vec(),
        )]),
    );
    let good = signed(&genuine);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let before = e.dcs_status(0).unwrap();
    for round in 0..2000 {
        let mut sdu = good.clone();
        match round % 3 {
            // Modified in flight, checksum repaired.
            0 => {
                let i = rng.gen_range(8..sdu.len());
                sdu[i] ^= 1 << rng.gen_range(0..8);
                fix_checksum(&mut sdu);
            }
            // Forged: signed with a guessed key.
            1 => {
                sdu.clear();
                let guess: Vec<u8> = (0..20).map(|_| rng.gen()).collect();
                genuine
                    .encode_sdu_authenticated(1, AuthAlgorithm::HmacSha256, &guess, &mut sdu)
                    .unwrap();
            }
            // Unsigned.
            _ => {
                sdu.clear();
                genuine.encode_sdu(&mut sdu).unwrap();
            }
        }
        if sdu == good {
            continue;
        }
        deliver(&mut e, sdu);
        assert!(
            e.cache().is_empty(),
            "round {round}: a forged record reached the cache"
        );
    }
    let after = e.dcs_status(0).unwrap();
    assert_eq!(
        (after.hello, after.ca, after.ca_seq),
        (before.hello, before.ca, before.ca_seq)
    );
    assert_eq!(e.counters().abnormal_total(), 0);
    assert!(e.counters().auth_failures() >= 1300);
    // The genuine packet still gets through.
    deliver(&mut e, good);
    assert_eq!(e.cache().len(), 1);
}
