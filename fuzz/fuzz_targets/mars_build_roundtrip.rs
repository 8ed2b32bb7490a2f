//! Structured round trip: build MARS messages of every shape from fuzz input, encode them, and
//! check that decoding gives the same message back (`decode(encode(m)) == m`).
#![no_main]
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mars_wire::mars::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Migrate, Multi, RedirF, RedirectMap, Request, SeqXy,
};
use mars_wire::{AtmAddr, AtmAddress, Csn, ProtoAddr, Protocol};

fn atm(u: &mut Unstructured<'_>) -> Result<AtmAddr> {
    Ok(match u.int_in_range(0..=2u8)? {
        0 => AtmAddr::NULL,
        1 => AtmAddr::nsap(u.arbitrary()?),
        _ => {
            let n = u.int_in_range(1..=15usize)?;
            let digits: String = (0..n).map(|_| u.int_in_range(b'0'..=b'9').map(char::from)).collect::<Result<_>>()?;
            AtmAddr::e164(&digits).unwrap_or(AtmAddr::NULL)
        }
    })
}

fn address(u: &mut Unstructured<'_>, allow_null: bool) -> Result<AtmAddress> {
    let mut number = atm(u)?;
    if number.is_null() && !allow_null {
        number = AtmAddr::nsap(u.arbitrary()?);
    }
    let sub = if u.arbitrary()? { AtmAddr::nsap(u.arbitrary()?) } else { AtmAddr::NULL };
    Ok(AtmAddress { number, sub })
}

fn v4(u: &mut Unstructured<'_>) -> Result<ProtoAddr> {
    Ok(ProtoAddr::v4_u32(u.arbitrary()?))
}

fn body(u: &mut Unstructured<'_>) -> Result<MarsBody> {
    let source = address(u, false)?;
    let spa = if u.arbitrary()? { v4(u)? } else { ProtoAddr::NULL };
    let op = MarsOp::ALL[u.choose_index(MarsOp::ALL.len())?];
    let msn = Csn(u.arbitrary()?);
    // One shared type & length for every target of a message.
    let template = address(u, false)?;
    let n = u.int_in_range(1..=20usize)?;
    let mut targets = Vec::with_capacity(n);
    for _ in 0..n {
        let mut t = template;
        if let Some(o) = t.number.as_nsap() {
            let mut o = *o;
            o[19] = u.arbitrary()?;
            t.number = AtmAddr::nsap(o);
        }
        targets.push(t);
    }
    let seq = SeqXy::new(u.arbitrary()?, u.int_in_range(1..=SeqXy::Y_MAX)?).unwrap_or(SeqXy::SINGLE);
    Ok(match op {
        MarsOp::Request | MarsOp::Nak => {
            let r = Request::new(source, spa, v4(u)?);
            if op == MarsOp::Request { MarsBody::Request(r) } else { MarsBody::Nak(r) }
        }
        MarsOp::Multi => MarsBody::Multi(Multi::new(source, spa, v4(u)?, targets, seq, msn)),
        MarsOp::Migrate => MarsBody::Migrate(Migrate::new(source, spa, v4(u)?, targets, msn)),
        MarsOp::RedirectMap => MarsBody::RedirectMap(RedirectMap::new(source, RedirF(u.arbitrary()?), targets, seq, msn)),
        MarsOp::GroupListReply => {
            let k = u.int_in_range(1..=20usize)?;
            let groups = (0..k).map(|_| v4(u)).collect::<Result<_>>()?;
            MarsBody::GroupListReply(GroupListReply::new(source, spa, groups, seq, msn))
        }
        _ => {
            let k = u.int_in_range(0..=4usize)?;
            let pairs = (0..k).map(|_| Ok(GroupPair::new(v4(u)?, v4(u)?))).collect::<Result<_>>()?;
            let mut j = Join::new(source, spa, Flags(u.arbitrary()?), pairs);
            j.cmi = u.arbitrary()?;
            j.msn = msn;
            MarsBody::join_layout(op, j).expect("JOIN-layout op")
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(b) = body(&mut u) else { return };
    let mut m = MarsMessage::new(Protocol::IPV4, b);
    m.checksum = u.arbitrary().unwrap_or(true);
    let bytes = m.to_vec().expect("built messages encode");
    let back = MarsMessage::decode(&bytes).expect("encoded messages decode");
    assert_eq!(back, m);
    assert_eq!(back.to_vec().unwrap(), bytes);
});
