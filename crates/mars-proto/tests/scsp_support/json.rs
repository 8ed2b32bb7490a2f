//! A readable JSON form of SCSP packets, with the RFC's field names, for the conformance
//! scenarios.
//!
//! ```text
//! {"type": "Hello", "HelloInterval": 10, "DeadFactor": 3, "receivers": ["00000005"]}
//! {"type": "CA", "seq": 7, "flags": ["M", "I", "O"], "records": [{"key": "00000001", "seq": "FIRST"}]}
//! {"type": "CSU Request", "records": [{"key": "00000001", "seq": "FIRST+2", "hop": 8, "part": "a"}]}
//! {"type": "CSU Reply", "records": [...]}      {"type": "CSUS", "records": [...]}
//! ```
//!
//! Defaults keep the files short: an input packet comes from the DCS it is received from
//! (Sender ID its ID, Receiver ID the LSID, records originated by it); an output packet's
//! Sender ID (the LSID) and Receiver ID (the DCS's ID) are shown only when they differ from
//! that. Protocol ID and SGID are shown when they are not the scenario's. Sequence numbers near
//! the ends of the space read `FIRST+k` (−2^31+1+k), `LAST-k` (2^31−2−k) and `PURGE` (2^31−1).
//! A CSAS record's Hop Count is shown when it is not 1, a CSA record's always; N when set. A
//! part is text, or `hex:…` when it is not printable.

use mars_wire::scsp::{
    Ca, CommonPart, CsaRecord, CsasRecord, Extension, ScspBody, ScspId, ScspPacket, CA_FLAG_I,
    CA_FLAG_M, CA_FLAG_O,
};
use mars_wire::CsaSeq;
use serde_json::{json, Map, Value};

/// Who is talking: the IDs and PID/SGID that are left implicit.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub local: ScspId,
    pub dcs: ScspId,
    pub pid: u16,
    pub sgid: u16,
}

pub fn seq_to_json(s: CsaSeq) -> Value {
    let v = i64::from(s.get());
    let first = i64::from(CsaSeq::FIRST.get());
    let last = i64::from(CsaSeq::LAST.get());
    if s == CsaSeq::PURGE {
        json!("PURGE")
    } else if v == first {
        json!("FIRST")
    } else if v - first <= 100_000 {
        json!(format!("FIRST+{}", v - first))
    } else if v == last {
        json!("LAST")
    } else if last - v <= 100_000 {
        json!(format!("LAST-{}", last - v))
    } else {
        json!(v)
    }
}

pub fn seq_from_json(v: &Value) -> Result<CsaSeq, String> {
    let n: i64 = match v {
        Value::Number(n) => n.as_i64().ok_or("bad seq")?,
        Value::String(s) => {
            let (base, rest) = if let Some(r) = s.strip_prefix("FIRST") {
                (i64::from(CsaSeq::FIRST.get()), r)
            } else if let Some(r) = s.strip_prefix("LAST") {
                (i64::from(CsaSeq::LAST.get()), r)
            } else if s == "PURGE" {
                (i64::from(CsaSeq::PURGE.get()), "")
            } else {
                return Err(format!("bad seq {s}"));
            };
            let off: i64 = if rest.is_empty() {
                0
            } else {
                rest.parse().map_err(|_| format!("bad seq {s}"))?
            };
            base + off
        }
        _ => return Err("bad seq".into()),
    };
    let n = i32::try_from(n).map_err(|_| "seq out of range")?;
    CsaSeq::new(n).ok_or_else(|| "reserved seq".into())
}

pub fn part_to_json(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) if s.chars().all(|c| !c.is_control()) && !s.starts_with("hex:") => json!(s),
        _ => json!(format!("hex:{}", hex::encode(b))),
    }
}

pub fn part_from_json(v: Option<&Value>) -> Result<Vec<u8>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::String(s)) => match s.strip_prefix("hex:") {
            Some(h) => hex::decode(h).map_err(|e| e.to_string()),
            None => Ok(s.as_bytes().to_vec()),
        },
        Some(_) => Err("part must be a string".into()),
    }
}

fn id_from(v: Option<&Value>, default: &ScspId) -> Result<ScspId, String> {
    match v {
        None => Ok(default.clone()),
        Some(Value::String(s)) => s.parse().map_err(|e| format!("{e}")),
        Some(_) => Err("an ID is a hex string".into()),
    }
}

fn csas_fields(r: &CsasRecord, m: &mut Map<String, Value>, show_hop: bool) {
    m.insert("key".into(), json!(r.cache_key.to_string()));
    m.insert("orig".into(), json!(r.originator_id.to_string()));
    m.insert("seq".into(), seq_to_json(r.seq));
    if show_hop || r.hop_count != 1 {
        m.insert("hop".into(), json!(r.hop_count));
    }
    if r.null {
        m.insert("N".into(), json!(true));
    }
}

pub fn csas_to_json(r: &CsasRecord) -> Value {
    let mut m = Map::new();
    csas_fields(r, &mut m, false);
    Value::Object(m)
}

pub fn csa_to_json(r: &CsaRecord) -> Value {
    let mut m = Map::new();
    csas_fields(&r.summary, &mut m, true);
    if !r.protocol_specific.is_empty() || !r.summary.null {
        m.insert("part".into(), part_to_json(&r.protocol_specific));
    }
    Value::Object(m)
}

pub fn csas_from_json(v: &Value, origin: &ScspId) -> Result<CsasRecord, String> {
    let key = v
        .get("key")
        .and_then(Value::as_str)
        .ok_or("record without key")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let orig = id_from(v.get("orig"), origin)?;
    let seq = seq_from_json(v.get("seq").ok_or("record without seq")?)?;
    let mut r = CsasRecord::new(seq, key, orig);
    if let Some(h) = v.get("hop") {
        r.hop_count = h.as_u64().ok_or("bad hop")? as u16;
    }
    r.null = v.get("N").and_then(Value::as_bool).unwrap_or(false);
    Ok(r)
}

pub fn csa_from_json(v: &Value, origin: &ScspId) -> Result<CsaRecord, String> {
    let mut s = csas_from_json(v, origin)?;
    if v.get("hop").is_none() {
        s.hop_count = 8;
    }
    Ok(CsaRecord::new(s, part_from_json(v.get("part"))?))
}

fn records<T>(v: &Value, f: impl Fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    match v.get("records") {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(f).collect(),
        Some(_) => Err("records must be a list".into()),
    }
}

/// The JSON form of a packet the LS sent to the DCS of `ctx`.
pub fn packet_to_json(p: &ScspPacket, ctx: &Ctx) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(p.message_type().name()));
    let c = &p.common;
    if c.sender_id != ctx.local {
        m.insert("sender".into(), json!(c.sender_id.to_string()));
    }
    let hello = matches!(p.body, ScspBody::Hello(_));
    if !hello && c.receiver_id != ctx.dcs {
        m.insert("receiver".into(), json!(c.receiver_id.to_string()));
    }
    if c.protocol_id != ctx.pid || c.server_group_id != ctx.sgid {
        m.insert("pid".into(), json!(c.protocol_id));
        m.insert("sgid".into(), json!(c.server_group_id));
    }
    match &p.body {
        ScspBody::Hello(h) => {
            m.insert("HelloInterval".into(), json!(h.hello_interval));
            m.insert("DeadFactor".into(), json!(h.dead_factor));
            if h.family_id != 0 {
                m.insert("FamilyID".into(), json!(h.family_id));
            }
            let r: Vec<String> = p.hello_receivers().map(|id| id.to_string()).collect();
            m.insert("receivers".into(), json!(r));
        }
        ScspBody::Ca(ca) => {
            m.insert("seq".into(), json!(ca.sequence));
            let mut f = Vec::new();
            for (bit, name) in [(CA_FLAG_M, "M"), (CA_FLAG_I, "I"), (CA_FLAG_O, "O")] {
                if c.flag(bit) {
                    f.push(name);
                }
            }
            m.insert("flags".into(), json!(f));
            if !ca.records.is_empty() {
                m.insert(
                    "records".into(),
                    Value::Array(ca.records.iter().map(csas_to_json).collect()),
                );
            }
        }
        ScspBody::CsuRequest(v) => {
            m.insert(
                "records".into(),
                Value::Array(v.iter().map(csa_to_json).collect()),
            );
        }
        ScspBody::CsuReply(v) | ScspBody::Csus(v) => {
            m.insert(
                "records".into(),
                Value::Array(v.iter().map(csas_to_json).collect()),
            );
        }
    }
    if let Some(a) = p.authentication() {
        m.insert("auth".into(), json!({ "spi": a.spi }));
    }
    Value::Object(m)
}

/// A packet from the DCS of `ctx` to the LS, from its JSON form.
pub fn packet_from_json(v: &Value, ctx: &Ctx) -> Result<ScspPacket, String> {
    let ty = v
        .get("type")
        .and_then(Value::as_str)
        .ok_or("packet without type")?;
    let sender = id_from(v.get("sender"), &ctx.dcs)?;
    let receiver = id_from(v.get("receiver"), &ctx.local)?;
    let pid = v
        .get("pid")
        .and_then(Value::as_u64)
        .map_or(ctx.pid, |x| x as u16);
    let sgid = v
        .get("sgid")
        .and_then(Value::as_u64)
        .map_or(ctx.sgid, |x| x as u16);
    let common = CommonPart::new(pid, sgid, sender.clone(), receiver);
    let mut pkt = match ty {
        "Hello" => {
            let heard: Vec<ScspId> = match v.get("receivers") {
                None => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| id_from(Some(x), &ctx.local))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("receivers must be a list".into()),
            };
            let num = |k: &str, d: u64| v.get(k).and_then(Value::as_u64).unwrap_or(d) as u16;
            ScspPacket::hello(
                common,
                num("HelloInterval", 10),
                num("DeadFactor", 3),
                num("FamilyID", 0),
                &heard,
            )
        }
        "CA" => {
            let mut common = common;
            for f in v
                .get("flags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match f.as_str() {
                    Some("M") => common.set_flag(CA_FLAG_M, true),
                    Some("I") => common.set_flag(CA_FLAG_I, true),
                    Some("O") => common.set_flag(CA_FLAG_O, true),
                    _ => return Err(format!("bad CA flag {f}")),
                }
            }
            let sequence = v
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or("CA without seq")? as u32;
            let records = records(v, |r| csas_from_json(r, &sender))?;
            ScspPacket::new(common, ScspBody::Ca(Ca { sequence, records }))
        }
        "CSU Request" => {
            let recs = records(v, |r| csa_from_json(r, &sender))?;
            ScspPacket::new(common, ScspBody::CsuRequest(recs))
        }
        "CSU Reply" => {
            let recs = records(v, |r| csas_from_json(r, &ctx.local))?;
            ScspPacket::new(common, ScspBody::CsuReply(recs))
        }
        "CSUS" => {
            let recs = records(v, |r| csas_from_json(r, &ctx.local))?;
            ScspPacket::new(common, ScspBody::Csus(recs))
        }
        _ => return Err(format!("unknown type {ty}")),
    };
    if let Some(ext) = v.get("vendor") {
        let vendor_id = ext.as_u64().ok_or("bad vendor")? as u32;
        pkt.extensions = Some(vec![Extension::VendorPrivate {
            vendor_id,
            data: vec![],
        }]);
    }
    Ok(pkt)
}
