//! A readable JSON → [`MarsMessage`] builder for scenario inputs, mirroring the field names of
//! the codec's JSON output (`mars_wire::mars::json`): `op` (number) or `op_name`, `pro`,
//! `sha`, `ssa`, `spa`, `flags`, `cmi`, `msn`, `groups`, `tpa`, `tha`, `tsa`, `targets`,
//! `seqxy`, `mgrp`, `redirf`, `tlvs`, plus the header's `hdrrsv`, `checksum`, `extoff_rsv`.
//!
//! Defaults: `pro` IPv4, null subaddress and protocol address, zero flags, `cmi`, `msn`,
//! checksum on, no TLVs. `flags` is a number or an object of the named bits
//! (`{"register": true, "sequence": 3}`). `groups` is `[[min, max], …]` (a lone string `X`
//! stands for `[X, X]`). `tpln` defaults to the first group's length, else 4 for IPv4 and 16
//! for IPv6.

use mars_wire::mars::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, MarsOp, Migrate, Multi, RedirF,
    RedirectMap, Request, SeqXy, Tlv, TlvList,
};
use mars_wire::{AtmAddr, AtmAddress, Csn, ProtoAddr, Protocol};
use serde_json::Value;

type R<T> = Result<T, String>;

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn u(v: &Value, key: &str) -> R<u64> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(x) => x.as_u64().ok_or_else(|| format!("{key}: not a number")),
    }
}

/// An ATM address from its text form (`1001`, `47.0005…`, `null`).
pub fn atm(text: &str) -> R<AtmAddress> {
    text.parse().map_err(|e| format!("{text:?}: {e}"))
}

fn atm_parts(v: &Value, num: &str, sub: &str) -> R<AtmAddress> {
    let number: AtmAddr = match s(v, num) {
        Some(t) => t.parse().map_err(|e| format!("{num} {t:?}: {e}"))?,
        None => AtmAddr::NULL,
    };
    let sub: AtmAddr = match s(v, sub) {
        Some(t) => t.parse().map_err(|e| format!("{sub} {t:?}: {e}"))?,
        None => AtmAddr::NULL,
    };
    Ok(AtmAddress { number, sub })
}

/// A protocol address (`224.0.0.1`, `ff02::1`, `0x0102`, `null`).
pub fn proto(text: &str) -> R<ProtoAddr> {
    text.parse()
        .map_err(|_| format!("{text:?}: not a protocol address"))
}

fn proto_opt(v: &Value, key: &str) -> R<ProtoAddr> {
    s(v, key).map_or(Ok(ProtoAddr::NULL), proto)
}

/// `IPv4`, `IPv6`, a number, or `{"type": n, "snap": "0102030405"}`.
pub fn protocol(v: Option<&Value>) -> R<Protocol> {
    match v {
        None | Some(Value::Null) => Ok(Protocol::IPV4),
        Some(Value::String(t)) if t == "IPv4" => Ok(Protocol::IPV4),
        Some(Value::String(t)) if t == "IPv6" => Ok(Protocol::IPV6),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Protocol::short)
            .ok_or_else(|| "pro: not a 16-bit number".to_string()),
        Some(o @ Value::Object(_)) => {
            let ty = u16::try_from(u(o, "type")?).map_err(|_| "pro.type".to_string())?;
            let mut snap = [0u8; 5];
            if let Some(h) = s(o, "snap") {
                let b = hex::decode(h).map_err(|e| format!("pro.snap: {e}"))?;
                if b.len() != 5 {
                    return Err("pro.snap: 5 octets".into());
                }
                snap.copy_from_slice(&b);
            }
            Ok(Protocol { ty, snap })
        }
        Some(other) => Err(format!("pro: {other}")),
    }
}

fn flags(v: Option<&Value>) -> R<Flags> {
    let Some(v) = v else {
        return Ok(Flags(0));
    };
    if let Some(n) = v.as_u64() {
        return u16::try_from(n)
            .map(Flags)
            .map_err(|_| "flags: 16 bits".into());
    }
    let b = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    let mut f = Flags(0)
        .with_layer3grp(b("layer3grp"))
        .with_copy(b("copy"))
        .with_register(b("register"))
        .with_punched(b("punched"))
        .with_sequence(u8::try_from(u(v, "sequence")?).map_err(|_| "flags.sequence")?);
    let reserved = u16::try_from(u(v, "reserved")?).map_err(|_| "flags.reserved")?;
    f.0 |= (reserved & 0xF) << 8;
    Ok(f)
}

fn pairs(v: Option<&Value>) -> R<Vec<GroupPair>> {
    let Some(Value::Array(a)) = v else {
        return Ok(Vec::new());
    };
    a.iter()
        .map(|p| match p {
            Value::String(x) => Ok(GroupPair::single(proto(x)?)),
            Value::Array(mm) if mm.len() == 2 => {
                let min = proto(mm[0].as_str().ok_or("groups: strings")?)?;
                let max = proto(mm[1].as_str().ok_or("groups: strings")?)?;
                Ok(GroupPair::new(min, max))
            }
            other => Err(format!("groups: {other}")),
        })
        .collect()
}

fn targets(v: Option<&Value>) -> R<Vec<AtmAddress>> {
    let Some(Value::Array(a)) = v else {
        return Ok(Vec::new());
    };
    a.iter()
        .map(|t| match t {
            Value::String(x) => atm(x),
            o @ Value::Object(_) => atm_parts(o, "tha", "tsa"),
            other => Err(format!("targets: {other}")),
        })
        .collect()
}

fn seqxy(v: Option<&Value>) -> R<SeqXy> {
    match v {
        None => Ok(SeqXy::SINGLE),
        Some(o) => {
            let x = o.get("x").and_then(Value::as_bool).unwrap_or(true);
            let y = u16::try_from(u(o, "y")?).map_err(|_| "seqxy.y")?;
            SeqXy::new(x, y).ok_or_else(|| "seqxy.y: 15 bits".into())
        }
    }
}

fn tlvs(v: Option<&Value>) -> R<Option<TlvList>> {
    let Some(Value::Array(a)) = v else {
        return Ok(None);
    };
    let tlvs = a
        .iter()
        .map(|t| {
            let ty = u16::try_from(u(t, "type")?).map_err(|_| "tlv type")?;
            let value = hex::decode(s(t, "value").unwrap_or("")).map_err(|e| e.to_string())?;
            Ok(Tlv::new(ty, value))
        })
        .collect::<R<Vec<Tlv>>>()?;
    Ok(Some(TlvList { tlvs }))
}

fn op(v: &Value) -> R<MarsOp> {
    if let Some(n) = v.get("op").and_then(Value::as_u64) {
        return u8::try_from(n)
            .ok()
            .and_then(|n| MarsOp::try_from(n).ok())
            .ok_or_else(|| format!("op {n}: unknown"));
    }
    let name = s(v, "op_name")
        .or_else(|| s(v, "op"))
        .ok_or("a message needs op or op_name")?;
    MarsOp::ALL
        .into_iter()
        .find(|o| o.name() == name || o.name().trim_start_matches("MARS_") == name)
        .ok_or_else(|| format!("op {name:?}: unknown"))
}

/// Build a message from its JSON description.
pub fn message(v: &Value) -> R<MarsMessage> {
    let op = op(v)?;
    let pro = protocol(v.get("pro"))?;
    let source = atm_parts(v, "sha", "ssa")?;
    let spa = proto_opt(v, "spa")?;
    let msn = Csn(u32::try_from(u(v, "msn")?).map_err(|_| "msn")?);
    let body = match op {
        MarsOp::Request | MarsOp::Nak => {
            let mut r = Request::new(source, spa, proto_opt(v, "tpa")?);
            r.target = atm_parts(v, "tha", "tsa")?;
            if op == MarsOp::Nak {
                MarsBody::Nak(r)
            } else {
                MarsBody::Request(r)
            }
        }
        MarsOp::Multi => MarsBody::Multi(Multi::new(
            source,
            spa,
            proto_opt(v, "tpa")?,
            targets(v.get("targets"))?,
            seqxy(v.get("seqxy"))?,
            msn,
        )),
        MarsOp::Migrate => MarsBody::Migrate(Migrate::new(
            source,
            spa,
            proto_opt(v, "tpa")?,
            targets(v.get("targets"))?,
            msn,
        )),
        MarsOp::GroupListReply => {
            let groups = match v.get("mgrp") {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|g| proto(g.as_str().unwrap_or("")))
                    .collect::<R<Vec<_>>>()?,
                _ => Vec::new(),
            };
            MarsBody::GroupListReply(GroupListReply::new(
                source,
                spa,
                groups,
                seqxy(v.get("seqxy"))?,
                msn,
            ))
        }
        MarsOp::RedirectMap => {
            let hard = v
                .get("redirf")
                .and_then(|r| r.get("hard"))
                .and_then(Value::as_bool)
                .unwrap_or(true);
            MarsBody::RedirectMap(RedirectMap::new(
                source,
                RedirF(if hard { RedirF::HARD } else { 0 }),
                targets(v.get("targets"))?,
                seqxy(v.get("seqxy"))?,
                msn,
            ))
        }
        _ => {
            let mut j = Join::new(source, spa, flags(v.get("flags"))?, pairs(v.get("groups"))?);
            j.cmi = u16::try_from(u(v, "cmi")?).map_err(|_| "cmi")?;
            j.msn = msn;
            j.tpln = match v.get("tpln").and_then(Value::as_u64) {
                Some(n) => u8::try_from(n).map_err(|_| "tpln")?,
                None if !j.pairs.is_empty() => j.tpln,
                None if pro.key() == Protocol::IPV6.key() => 16,
                None => 4,
            };
            MarsBody::join_layout(op, j).ok_or("not a JOIN-layout op")?
        }
    };
    Ok(MarsMessage {
        pro,
        hdrrsv: u32::try_from(u(v, "hdrrsv")?).map_err(|_| "hdrrsv")?,
        checksum: v.get("checksum").and_then(Value::as_bool).unwrap_or(true),
        extoff_rsv: u8::try_from(u(v, "extoff_rsv")?).map_err(|_| "extoff_rsv")?,
        body,
        tlvs: tlvs(v.get("tlvs"))?,
    })
}
