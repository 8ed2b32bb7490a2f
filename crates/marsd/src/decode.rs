//! `marsctl decode`: LLC/SNAP-framed AAL5 SDUs (from hex or a pcap) to readable text or JSON.
//!
//! Every SDU is classified by its LLC/SNAP header (RFC 2684) and decoded with the `mars-wire`
//! codecs: MARS control messages (RFC 2022), SCSP packets (RFC 2334) whose CSA records carry
//! the RFC 2443 MARS Specific Part when the Protocol ID is 3, and the MARS data-path
//! encapsulations (RFC 2022 §5.5). NHRP and other payloads are named, not decoded.

use std::fmt::Write as _;
use std::io::Read;

use mars_wire::data::DataPacket;
use mars_wire::dmars::MarsCsa;
use mars_wire::llc::Payload;
use mars_wire::mars::{MarsBody, MarsMessage};
use mars_wire::scsp::{ScspBody, ScspPacket, PROTOCOL_MARS};
use mars_wire::DecodeError;
use pcap_file::pcap::PcapReader;
use pcap_file::DataLink;
use serde_json::{json, Value};

/// One decoded SDU.
#[derive(Debug)]
pub enum Decoded<'a> {
    /// A MARS control message.
    Mars(MarsMessage),
    /// An SCSP packet.
    Scsp(ScspPacket),
    /// MARS data, Type #1 or #2.
    Data(DataPacket<'a>),
    /// NHRP (same LLC/SNAP codepoint as MARS, `ar$op.version` 1): not decoded.
    Nhrp(usize),
    /// Some other OUI/PID.
    Unknown { oui: [u8; 3], pid: u16, len: usize },
}

/// Decode one AAL5 SDU. Errors name the field and the offset from the start of the SDU.
pub fn decode_sdu(sdu: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    let llc = mars_wire::llc::LLC_SNAP_LEN;
    Ok(match Payload::parse(sdu)? {
        Payload::MarsControl(p) => {
            Decoded::Mars(MarsMessage::decode(p).map_err(|e| e.shifted(llc))?)
        }
        Payload::Scsp(p) => Decoded::Scsp(ScspPacket::decode(p).map_err(|e| e.shifted(llc))?),
        Payload::MarsDataType1(_) | Payload::MarsDataType2(_) => {
            Decoded::Data(DataPacket::decode_sdu(sdu)?)
        }
        Payload::Nhrp(p) => Decoded::Nhrp(p.len()),
        Payload::Unknown { oui, pid, payload } => Decoded::Unknown {
            oui,
            pid,
            len: payload.len(),
        },
    })
}

/// Where an SDU came from: its index and, from a SUNATM capture, VPI/VCI.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    /// 1-based record number.
    pub index: usize,
    /// VPI/VCI from the SunATM pseudo-header.
    pub vpi_vci: Option<(u8, u16)>,
}

/// One decoded SDU as a JSON object with the RFC's field names.
pub fn to_json(d: &Decoded<'_>, origin: Origin) -> Value {
    let mut v = match d {
        Decoded::Mars(m) => {
            let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
            v["protocol"] = json!("MARS");
            v
        }
        Decoded::Scsp(p) => scsp_json(p),
        Decoded::Data(p) => json!({
            "protocol": "MARS data",
            "encapsulation": match p { DataPacket::Type1(_) => 1, DataPacket::Type2(_) => 2 },
            "cmi": match p { DataPacket::Type1(t) => Some(t.cmi), DataPacket::Type2(_) => None },
            "pro_type": p.pro().ty,
            "payload_len": p.payload().len(),
        }),
        Decoded::Nhrp(len) => json!({ "protocol": "NHRP", "len": len }),
        Decoded::Unknown { oui, pid, len } => json!({
            "protocol": "unknown",
            "oui": format!("{:02x}-{:02x}-{:02x}", oui[0], oui[1], oui[2]),
            "pid": pid,
            "len": len,
        }),
    };
    v["index"] = json!(origin.index);
    if let Some((vpi, vci)) = origin.vpi_vci {
        v["vpi"] = json!(vpi);
        v["vci"] = json!(vci);
    }
    v
}

/// SCSP packet JSON, with every CSA record of a MARS server group (Protocol ID 3) carrying its
/// RFC 2443 part under `"mars"`.
fn scsp_json(p: &ScspPacket) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    v["protocol"] = json!("SCSP");
    v["type"] = json!(p.message_type().name());
    if let (ScspBody::CsuRequest(records), true) = (&p.body, p.common.protocol_id == PROTOCOL_MARS)
    {
        if let Some(arr) = v["body"]["csu-request"].as_array_mut() {
            for (rec, out) in records.iter().zip(arr.iter_mut()) {
                if rec.summary.null {
                    continue;
                }
                out["mars"] = match MarsCsa::decode_record(rec) {
                    Ok(m) => serde_json::to_value(m).unwrap_or(Value::Null),
                    Err(e) => json!({ "error": e.to_string() }),
                };
            }
        }
    }
    hex_octet_arrays(&mut v);
    v
}

/// Show opaque octet strings (`protocol_specific`, authentication `data`, `snap`, …) as hex
/// rather than as arrays of numbers.
fn hex_octet_arrays(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let octets: Option<Vec<u8>> = match (k.as_str(), &*x) {
                    ("protocol_specific" | "data" | "snap" | "value", Value::Array(a)) => a
                        .iter()
                        .map(|n| n.as_u64().and_then(|n| u8::try_from(n).ok()))
                        .collect(),
                    _ => None,
                };
                match octets {
                    Some(o) => *x = Value::String(hex::encode(o)),
                    None => hex_octet_arrays(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(hex_octet_arrays),
        _ => {}
    }
}

/// One decoded SDU as readable text (one or more lines).
pub fn to_text(d: &Decoded<'_>, origin: Origin) -> String {
    let mut s = format!("#{}", origin.index);
    if let Some((vpi, vci)) = origin.vpi_vci {
        let _ = write!(s, " {vpi}/{vci}");
    }
    s.push(' ');
    match d {
        Decoded::Mars(m) => mars_text(&mut s, m),
        Decoded::Scsp(p) => scsp_text(&mut s, p),
        Decoded::Data(p) => {
            let _ = match p {
                DataPacket::Type1(t) => write!(
                    s,
                    "MARS data type #1 cmi={} pro={} payload {} octets",
                    t.cmi,
                    t.pro,
                    t.payload.len()
                ),
                DataPacket::Type2(t) => write!(
                    s,
                    "MARS data type #2 pro={} payload {} octets",
                    t.pro,
                    t.payload.len()
                ),
            };
        }
        Decoded::Nhrp(len) => {
            let _ = write!(s, "NHRP ({len} octets, not decoded)");
        }
        Decoded::Unknown { oui, pid, len } => {
            let _ = write!(
                s,
                "unknown LLC/SNAP OUI {:02x}-{:02x}-{:02x} PID {pid:#06x} ({len} octets)",
                oui[0], oui[1], oui[2]
            );
        }
    }
    s
}

fn mars_text(s: &mut String, m: &MarsMessage) {
    let b = &m.body;
    let _ = write!(s, "{} pro={} src={}", b.op().name(), m.pro, b.source());
    if let Some(msn) = b.msn() {
        let _ = write!(s, " msn={msn}");
    }
    match b {
        MarsBody::Request(r) | MarsBody::Nak(r) => {
            let _ = write!(s, " spa={} group={}", r.spa, r.tpa);
        }
        MarsBody::Multi(r) => {
            let _ = write!(
                s,
                " group={} part={}{} targets={}",
                r.tpa,
                r.seqxy.y(),
                if r.seqxy.last() { " (last)" } else { "" },
                r.targets.len()
            );
            for t in &r.targets {
                let _ = write!(s, "\n    {t}");
            }
        }
        MarsBody::Migrate(r) => {
            let _ = write!(s, " group={} to {} target(s)", r.tpa, r.targets.len());
            for t in &r.targets {
                let _ = write!(s, "\n    {t}");
            }
        }
        MarsBody::RedirectMap(r) => {
            let kind = if r.redirf.hard() { "hard" } else { "soft" };
            let _ = write!(
                s,
                " {kind} part={} servers={}",
                r.seqxy.y(),
                r.targets.len()
            );
            for t in &r.targets {
                let _ = write!(s, "\n    {t}");
            }
        }
        MarsBody::GroupListReply(r) => {
            let _ = write!(s, " part={} groups={}", r.seqxy.y(), r.groups.len());
            for g in &r.groups {
                let _ = write!(s, "\n    {g}");
            }
        }
        _ => {
            if let Some(j) = b.as_join() {
                let f = j.flags;
                let mut flags = Vec::new();
                for (on, name) in [
                    (f.layer3grp(), "layer3grp"),
                    (f.copy(), "copy"),
                    (f.register(), "register"),
                    (f.punched(), "punched"),
                ] {
                    if on {
                        flags.push(name);
                    }
                }
                let _ = write!(
                    s,
                    " cmi={} flags=[{}] seq={} spa={}",
                    j.cmi,
                    flags.join(","),
                    f.sequence(),
                    j.spa
                );
                for p in &j.pairs {
                    let _ = write!(s, "\n    <{}, {}>", p.min, p.max);
                }
            }
        }
    }
    if let Some(t) = &m.tlvs {
        let _ = write!(s, "\n    TLVs: {}", t.tlvs.len());
    }
}

fn scsp_text(s: &mut String, p: &ScspPacket) {
    let c = &p.common;
    let _ = write!(
        s,
        "SCSP {} pid={} sgid={} sender={} receiver={}",
        p.message_type().name(),
        c.protocol_id,
        c.server_group_id,
        c.sender_id,
        c.receiver_id
    );
    match &p.body {
        ScspBody::Ca(ca) => {
            let bit = |m: u16, n: &'static str| if c.flags & m != 0 { n } else { "" };
            let _ = write!(
                s,
                " seq={} flags={}{}{} records={}",
                ca.sequence,
                bit(mars_wire::scsp::CA_FLAG_M, "M"),
                bit(mars_wire::scsp::CA_FLAG_I, "I"),
                bit(mars_wire::scsp::CA_FLAG_O, "O"),
                ca.records.len()
            );
            for r in &ca.records {
                let _ = write!(
                    s,
                    "\n    CSAS key={} oid={} seq={}",
                    r.cache_key, r.originator_id, r.seq
                );
            }
        }
        ScspBody::CsuRequest(v) => {
            let _ = write!(s, " records={}", v.len());
            for r in v {
                let h = &r.summary;
                let _ = write!(
                    s,
                    "\n    CSA key={} oid={} seq={} hops={}{}",
                    h.cache_key,
                    h.originator_id,
                    h.seq,
                    h.hop_count,
                    if h.null { " NULL" } else { "" }
                );
                if c.protocol_id == PROTOCOL_MARS && !h.null {
                    match MarsCsa::decode_record(r) {
                        Ok(m) => {
                            let _ = write!(
                                s,
                                " {:?} cmi={} src={}{}",
                                m.state,
                                m.cmi,
                                m.source,
                                m.group
                                    .map(|g| format!(" <{}, {}>", g.min, g.max))
                                    .unwrap_or_default()
                            );
                        }
                        Err(e) => {
                            let _ = write!(s, " (MARS part: {e})");
                        }
                    }
                }
            }
        }
        ScspBody::CsuReply(v) | ScspBody::Csus(v) => {
            let _ = write!(s, " records={}", v.len());
            for r in v {
                let _ = write!(
                    s,
                    "\n    CSAS key={} oid={} seq={}",
                    r.cache_key, r.originator_id, r.seq
                );
            }
        }
        ScspBody::Hello(h) => {
            let _ = write!(
                s,
                " interval={}s dead_factor={} family={} also_heard={}",
                h.hello_interval,
                h.dead_factor,
                h.family_id,
                h.additional_receivers.len()
            );
        }
    }
    if let Some(spi) = p.auth_spi() {
        let _ = write!(s, "\n    authenticated, SPI {spi}");
    }
}

/// One SDU read from a source.
#[derive(Debug)]
pub struct Sdu {
    /// Where it came from.
    pub origin: Origin,
    /// Its octets.
    pub bytes: Vec<u8>,
}

/// Errors reading input (not decoding it).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Not hexadecimal.
    #[error("line {line}: not hexadecimal: {reason}")]
    Hex { line: usize, reason: String },
    /// The pcap could not be read.
    #[error("{0}")]
    Pcap(String),
    /// A link type we do not read.
    #[error("unsupported pcap link type {0}: expected ATM_RFC1483 (100) or SUNATM (123)")]
    LinkType(u32),
    /// A SUNATM record shorter than its pseudo-header.
    #[error("record {0}: shorter than the 4-octet SunATM pseudo-header")]
    ShortRecord(usize),
}

/// Parse hex SDUs, one per non-empty line; spaces, colons and dashes are ignored.
pub fn sdus_from_hex(text: &str) -> Result<Vec<Sdu>, InputError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let clean: String = line
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ':' && *c != '-')
            .collect();
        if clean.is_empty() || clean.starts_with('#') {
            continue;
        }
        let clean = clean.trim_start_matches("0x");
        let bytes = hex::decode(clean).map_err(|e| InputError::Hex {
            line: i + 1,
            reason: e.to_string(),
        })?;
        out.push(Sdu {
            origin: Origin {
                index: out.len() + 1,
                vpi_vci: None,
            },
            bytes,
        });
    }
    Ok(out)
}

/// Read every record of a pcap with link type ATM_RFC1483 (100: the record is the SDU) or
/// SUNATM (123: a 4-octet pseudo-header — flags/type, VPI, VCI — then the SDU).
pub fn sdus_from_pcap(r: impl Read) -> Result<Vec<Sdu>, InputError> {
    let mut reader = PcapReader::new(r).map_err(|e| InputError::Pcap(e.to_string()))?;
    let link = reader.header().datalink;
    let sunatm = match link {
        DataLink::SUNATM => true,
        DataLink::ATM_RFC1483 => false,
        other => return Err(InputError::LinkType(u32::from(other))),
    };
    let mut out = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.map_err(|e| InputError::Pcap(e.to_string()))?;
        let index = out.len() + 1;
        let data = p.data.as_ref();
        let (vpi_vci, bytes) = if sunatm {
            if data.len() < 4 {
                return Err(InputError::ShortRecord(index));
            }
            (
                Some((data[1], u16::from_be_bytes([data[2], data[3]]))),
                data[4..].to_vec(),
            )
        } else {
            (None, data.to_vec())
        };
        out.push(Sdu {
            origin: Origin { index, vpi_vci },
            bytes,
        });
    }
    Ok(out)
}
