//! The bundled sample capture `samples/mars-sample.pcap` (README "Run"): a short, realistic
//! exchange in a two-server Logical IP Subnet, built with the codecs and written as a SUNATM
//! pcap. The test checks that the committed file is exactly what this code builds, and that
//! every record decodes; `DMARS_BLESS=1` rewrites it.

use std::path::PathBuf;
use std::time::Duration;

use mars_wire::data::{DataPacket, Type1};
use mars_wire::dmars::{CsaFlags, CsaState, GroupRange, MarsCsa};
use mars_wire::mars::{
    Flags, GroupPair, Join, MarsBody, MarsMessage, Multi, RedirF, RedirectMap, Request, SeqXy,
};
use mars_wire::scsp::{
    AuthAlgorithm, Ca, CacheKey, CommonPart, CsaRecord, CsasRecord, ScspBody, ScspId, ScspPacket,
    CA_FLAG_I, CA_FLAG_M, CA_FLAG_O, PROTOCOL_MARS,
};
use mars_wire::{AtmAddress, CsaSeq, Csn, ProtoAddr, Protocol};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;

fn addr(s: &str) -> AtmAddress {
    s.parse().unwrap()
}

fn v4(s: &str) -> ProtoAddr {
    s.parse().unwrap()
}

/// (VCI, SDU) records of the sample, in order.
fn records() -> Vec<(u16, Vec<u8>)> {
    let mars_a = addr("47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00");
    let mars_b = addr("47.0005.80FFE1000000F21A3A3D.0020481A3A3E.00");
    let host1 = addr("47.0005.80FFE1000000F21A3A3D.002048000001.00");
    let host2 = addr("39.840F.80112233000000000001.00A03E000002.00");
    let host3 = addr("14085551212");
    let pro = Protocol::IPV4;
    let g = v4("224.1.2.3");
    let mars = |body| MarsMessage::new(pro, body).encode_sdu().unwrap();
    let mut v = Vec::new();
    // host1 registers with MARS A (§5.2.3) on its point-to-point VC (VCI 32)...
    let reg = Join::new(host1, v4("10.0.0.1"), Flags(0).with_register(true), vec![]);
    v.push((32, mars(MarsBody::Join(reg.clone()))));
    let mut back = reg;
    back.flags = back.flags.with_copy(true);
    back.cmi = 1;
    back.msn = Csn(100);
    v.push((32, mars(MarsBody::Join(back))));
    // ...joins 224.1.2.3 with layer3grp set, seen again on ClusterControlVC (VCI 40).
    let join = Join::new(
        host1,
        v4("10.0.0.1"),
        Flags(0).with_layer3grp(true),
        vec![GroupPair::single(g)],
    );
    v.push((32, mars(MarsBody::Join(join.clone()))));
    let mut copy = join;
    copy.flags = copy.flags.with_copy(true);
    copy.msn = Csn(100);
    v.push((40, mars(MarsBody::Join(copy))));
    // host2 resolves the group and gets a MARS_MULTI listing host1 and host3.
    let req = Request::new(host2, v4("10.0.0.2"), g);
    v.push((33, mars(MarsBody::Request(req))));
    let multi = Multi::new(
        host2,
        v4("10.0.0.2"),
        g,
        vec![host1],
        SeqXy::new(false, 1).unwrap(),
        Csn(101),
    );
    v.push((33, mars(MarsBody::Multi(multi))));
    let multi = Multi::new(
        host2,
        v4("10.0.0.2"),
        g,
        vec![host3],
        SeqXy::new(true, 2).unwrap(),
        Csn(101),
    );
    v.push((33, mars(MarsBody::Multi(multi))));
    // MARS A's redirect map on ClusterControlVC (§5.4.3).
    let map = RedirectMap::new(
        mars_a,
        RedirF(RedirF::HARD),
        vec![mars_a, mars_b],
        SeqXy::SINGLE,
        Csn(101),
    );
    v.push((40, mars(MarsBody::RedirectMap(map))));
    // host2 sends a datagram to the group (Type #1, §5.5.1) on its multipoint VC (VCI 50).
    let data = DataPacket::Type1(Type1 {
        cmi: 2,
        pro,
        pad: [0; 3],
        payload: b"hello, 224.1.2.3",
    });
    v.push((50, data.encode_sdu().unwrap()));
    // MARS A and MARS B synchronise over SCSP (VCI 60): Hello, CA, CSU Request/Reply.
    let id_a = ScspId::from_u32(0x0A00_0001);
    let id_b = ScspId::from_u32(0x0A00_0002);
    let common = |recv: &ScspId| CommonPart::new(PROTOCOL_MARS, 1, id_a.clone(), recv.clone());
    let sdu = |p: ScspPacket| {
        let mut out = Vec::new();
        p.encode_sdu(&mut out).unwrap();
        out
    };
    v.push((
        60,
        sdu(ScspPacket::hello(
            common(&id_b),
            5,
            3,
            0,
            std::slice::from_ref(&id_b),
        )),
    ));
    let mut c = common(&id_b);
    c.flags = CA_FLAG_M | CA_FLAG_I | CA_FLAG_O;
    v.push((
        60,
        sdu(ScspPacket::new(
            c,
            ScspBody::Ca(Ca {
                sequence: 7,
                records: vec![],
            }),
        )),
    ));
    let key = CacheKey::from_u32(0x0001_0001);
    let seq = CsaSeq::FIRST;
    let csa = MarsCsa {
        pro,
        unused: 0,
        state: CsaState::ClientJoin,
        flags: CsaFlags {
            layer3grp: true,
            register: false,
            sequence: 0,
        },
        cmi: 1,
        spa: v4("10.0.0.1"),
        source: host1,
        group: Some(GroupRange::single(g)),
    };
    let mut summary = CsasRecord::new(seq, key.clone(), id_a.clone());
    summary.hop_count = 4;
    let rec: CsaRecord = csa.to_record(summary).unwrap();
    let redirect = MarsCsa::redirect_entry(pro, mars_a);
    let mut rsum = CsasRecord::new(
        CsaSeq::new(-2_147_483_600).unwrap(),
        CacheKey::from_u32(0),
        id_a.clone(),
    );
    rsum.hop_count = 4;
    let rrec = redirect.to_record(rsum).unwrap();
    let csu = ScspPacket::new(common(&id_b), ScspBody::CsuRequest(vec![rrec, rec]));
    let mut out = Vec::new();
    csu.encode_sdu_authenticated(0x100, AuthAlgorithm::HmacMd5_128, b"sample key", &mut out)
        .unwrap();
    v.push((60, out));
    let reply_common = CommonPart::new(PROTOCOL_MARS, 1, id_b.clone(), id_a.clone());
    let ack = CsasRecord::new(seq, key, id_a);
    v.push((
        61,
        sdu(ScspPacket::new(reply_common, ScspBody::CsuReply(vec![ack]))),
    ));
    v
}

fn build() -> Vec<u8> {
    let header = PcapHeader {
        datalink: DataLink::SUNATM,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).unwrap();
    for (i, (vci, sdu)) in records().into_iter().enumerate() {
        // SunATM pseudo-header: flags/type (0x02: LLC-multiplexed), VPI, VCI (big-endian).
        let mut rec = vec![0x02, 0, (vci >> 8) as u8, vci as u8];
        rec.extend_from_slice(&sdu);
        let ts = Duration::from_millis(1_000 + 10 * i as u64);
        w.write_packet(&PcapPacket::new(ts, rec.len() as u32, &rec))
            .unwrap();
    }
    w.into_writer()
}

#[test]
fn sample_capture_is_current_and_decodes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/mars-sample.pcap");
    let built = build();
    if std::env::var_os("DMARS_BLESS").is_some() {
        std::fs::write(&path, &built).unwrap();
    }
    let committed =
        std::fs::read(&path).expect("samples/mars-sample.pcap (DMARS_BLESS=1 writes it)");
    assert_eq!(
        committed, built,
        "the sample capture is stale: regenerate with DMARS_BLESS=1"
    );
    let sdus = marsd::decode::sdus_from_pcap(&committed[..]).unwrap();
    assert_eq!(sdus.len(), records().len());
    for s in &sdus {
        marsd::decode::decode_sdu(&s.bytes)
            .unwrap_or_else(|e| panic!("record {}: {e}", s.origin.index));
    }
}
