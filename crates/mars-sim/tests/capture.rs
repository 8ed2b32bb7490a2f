//! SunATM captures: written by the fabric, read back with `pcap-file`, and decoded by tshark.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{PartyId, VcEvent, VcId, VcRequest};
use mars_sim::pcap::{CaptureBuffer, Direction, SunAtmHeader, TrafficType, LINKTYPE_SUNATM};
use mars_sim::{test_address, EndpointId, Fabric, LinkConfig, VcLabel};
use mars_wire::llc;
use pcap_file::pcap::PcapReader;

/// An SDU with an LLC/SNAP header for IANA OUI 00-00-5E and `pid`, then `body`.
fn snap(pid: u16, body: &[u8]) -> Bytes {
    let mut v = llc::with_header(pid, body.len());
    v.extend_from_slice(body);
    Bytes::from(v)
}

/// A captured record, decoded.
#[derive(Debug, PartialEq)]
struct Rec {
    at: Duration,
    dir: Direction,
    label: VcLabel,
    sdu: Vec<u8>,
}

fn records(pcap: &[u8]) -> Vec<Rec> {
    let mut r = PcapReader::new(pcap).expect("a pcap file");
    assert_eq!(u32::from(r.header().datalink), LINKTYPE_SUNATM);
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.expect("a readable record");
        let (h, sdu) = SunAtmHeader::parse(&p.data).expect("a SunATM header");
        assert_eq!(h.traffic, TrafficType::LLC);
        out.push(Rec {
            at: p.timestamp,
            dir: h.direction,
            label: VcLabel {
                vpi: h.vpi,
                vci: h.vci,
            },
            sdu: sdu.to_vec(),
        });
    }
    out
}

/// A fabric with a point-to-point call from 1 to 2 and a multipoint VC from 1 to 2 and 3,
/// all set up before capturing starts. Returns the fabric, endpoints and the VC ids at each.
struct Net {
    f: Fabric,
    eps: [EndpointId; 3],
    p2p: [VcId; 2],
    mp: [VcId; 3],
}

fn net() -> Net {
    let mut f = Fabric::new(9);
    f.set_default_link(LinkConfig::with_latency(Duration::from_millis(2)));
    let eps = [1, 2, 3].map(|n| f.add_endpoint(test_address(n)));
    let p2p0 = VcId::local(1);
    f.request(
        eps[0],
        VcRequest::Connect {
            vc: p2p0,
            to: test_address(2),
        },
    );
    let mp0 = VcId::local(2);
    f.request(eps[0], VcRequest::OpenMultipoint { vc: mp0 });
    for n in [2, 3] {
        let to = test_address(n);
        f.request(
            eps[0],
            VcRequest::AddParty {
                vc: mp0,
                party: PartyId(n as u32),
                to,
            },
        );
    }
    f.run_until_idle();
    let mut ids = Vec::new();
    for ep in [eps[1], eps[1], eps[2]] {
        let Some(VcEvent::IncomingCall { vc, .. }) = f.poll_event(ep) else {
            panic!()
        };
        f.request(ep, VcRequest::Accept { vc });
        ids.push(vc);
    }
    f.run_until_idle();
    for ep in eps {
        while f.poll_event(ep).is_some() {}
    }
    Net {
        f,
        eps,
        p2p: [p2p0, ids[0]],
        mp: [mp0, ids[1], ids[2]],
    }
}

/// Send MARS control and SCSP SDUs both ways on the call and one down the multipoint VC.
fn traffic(n: &mut Net) {
    let [a, b, _] = n.eps;
    n.f.request(
        a,
        VcRequest::Send {
            vc: n.p2p[0],
            sdu: snap(llc::PID_MARS_CONTROL, b"mars"),
        },
    );
    n.f.run_for(Duration::from_millis(5));
    n.f.request(
        b,
        VcRequest::Send {
            vc: n.p2p[1],
            sdu: snap(llc::PID_SCSP, b"scsp"),
        },
    );
    n.f.run_for(Duration::from_millis(5));
    n.f.request(
        a,
        VcRequest::Send {
            vc: n.mp[0],
            sdu: snap(llc::PID_MARS_CONTROL, b"cluster"),
        },
    );
    n.f.run_until_idle();
}

#[test]
fn every_sdu_is_captured_at_both_ends() {
    let mut n = net();
    let buf = CaptureBuffer::new();
    n.f.start_capture(buf.clone()).unwrap();
    let t0 = n.f.now().since_epoch();
    traffic(&mut n);
    assert_eq!(n.f.stop_capture().unwrap(), 7);

    let [a, b, c] = n.eps;
    let label = |ep, vc| n.f.label(ep, vc).unwrap();
    let ms = |m| t0 + Duration::from_millis(m);
    let rec = |at, dir, label, sdu: Bytes| Rec {
        at,
        dir,
        label,
        sdu: sdu.to_vec(),
    };
    let mars = snap(llc::PID_MARS_CONTROL, b"mars");
    let scsp = snap(llc::PID_SCSP, b"scsp");
    let cluster = snap(llc::PID_MARS_CONTROL, b"cluster");
    assert_eq!(
        records(&buf.contents()),
        [
            rec(ms(0), Direction::Tx, label(a, n.p2p[0]), mars.clone()),
            rec(ms(2), Direction::Rx, label(b, n.p2p[1]), mars),
            rec(ms(5), Direction::Tx, label(b, n.p2p[1]), scsp.clone()),
            rec(ms(7), Direction::Rx, label(a, n.p2p[0]), scsp),
            rec(ms(10), Direction::Tx, label(a, n.mp[0]), cluster.clone()),
            rec(ms(12), Direction::Rx, label(b, n.mp[1]), cluster.clone()),
            rec(ms(12), Direction::Rx, label(c, n.mp[2]), cluster),
        ]
    );
}

#[test]
fn a_capture_can_be_limited_to_some_endpoints() {
    let mut n = net();
    let buf = CaptureBuffer::new();
    let c = n.eps[2];
    n.f.start_capture_of(buf.clone(), Some(&[c])).unwrap();
    let t0 = n.f.now().since_epoch();
    traffic(&mut n);
    assert_eq!(n.f.stop_capture().unwrap(), 1);
    let cluster = snap(llc::PID_MARS_CONTROL, b"cluster").to_vec();
    assert_eq!(
        records(&buf.contents()),
        [Rec {
            at: t0 + Duration::from_millis(12),
            dir: Direction::Rx,
            label: n.f.label(c, n.mp[2]).unwrap(),
            sdu: cluster,
        }]
    );
}

/// A failing sink stops the capture, and `stop_capture` says why; the fabric carries on.
#[test]
fn a_failing_sink_stops_the_capture_not_the_fabric() {
    /// Takes `left` octets, then fails.
    struct Flaky {
        left: usize,
    }
    impl std::io::Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.left < buf.len() {
                return Err(std::io::Error::other("disk on fire"));
            }
            self.left -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut n = net();
    assert!(
        n.f.start_capture(Flaky { left: 0 }).is_err(),
        "no room for the file header"
    );
    n.f.start_capture(Flaky { left: 24 }).unwrap();
    traffic(&mut n);
    assert_eq!(n.f.totals().sdus_delivered, 4);
    let err = n.f.stop_capture().unwrap_err();
    assert!(err.to_string().contains("disk on fire"), "{err}");
    assert_eq!(
        n.f.stop_capture().unwrap(),
        0,
        "no capture running any more"
    );
}

/// Whether tshark can run here. Missing tshark fails the caller unless `DMARS_SKIP_TSHARK=1`.
fn have_tshark() -> bool {
    if Command::new("tshark")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    if std::env::var("DMARS_SKIP_TSHARK").as_deref() == Ok("1") {
        eprintln!("tshark not found; skipped because DMARS_SKIP_TSHARK=1");
        return false;
    }
    panic!(
        "tshark is not installed, so the capture cannot be checked against Wireshark's \
         dissectors. Install it (`apt-get install tshark`; .ci/run does) or set \
         DMARS_SKIP_TSHARK=1 to skip this test."
    );
}

/// A number as tshark prints it: decimal, or hexadecimal with `0x`.
fn num(field: &str) -> u32 {
    match field.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => field.parse(),
    }
    .unwrap_or_else(|_| panic!("not a number: {field:?}"))
}

#[test]
fn tshark_decodes_vpi_vci_direction_and_llc_snap() {
    if !have_tshark() {
        return;
    }
    let mut n = net();
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mars-sim-capture.pcap");
    let file = std::fs::File::create(&path).unwrap();
    n.f.start_capture(std::io::BufWriter::new(file)).unwrap();
    traffic(&mut n);
    n.f.stop_capture().unwrap();

    // Field names from `tshark -G fields`: atm.channel is 0 for DTE->DCE (our Tx) and 1 for
    // DCE->DTE (Rx); under OUI 00-00-5E the SNAP PID is llc.iana_pid.
    let fields = [
        "atm.channel",
        "atm.vpi",
        "atm.vci",
        "llc.oui",
        "llc.iana_pid",
    ];
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(&path)
        .args(["-T", "fields", "-E", "separator=,"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<Vec<u32>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split(',').map(num).collect())
        .collect();

    let [a, b, c] = n.eps;
    let vci = |ep, vc| u32::from(n.f.label(ep, vc).unwrap().vci);
    let (tx, rx, iana) = (0, 1, 0x00_005E);
    let (mars, scsp) = (u32::from(llc::PID_MARS_CONTROL), u32::from(llc::PID_SCSP));
    assert_eq!(
        got,
        [
            [tx, 0, vci(a, n.p2p[0]), iana, mars],
            [rx, 0, vci(b, n.p2p[1]), iana, mars],
            [tx, 0, vci(b, n.p2p[1]), iana, scsp],
            [rx, 0, vci(a, n.p2p[0]), iana, scsp],
            [tx, 0, vci(a, n.mp[0]), iana, mars],
            [rx, 0, vci(b, n.mp[1]), iana, mars],
            [rx, 0, vci(c, n.mp[2]), iana, mars],
        ]
    );
}
