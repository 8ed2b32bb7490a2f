//! RFC 2022 conformance of the MARS server, as data: every `*.jsonl` file under
//! `tests/scenarios/server/` is one RFC behaviour (its section on the first line), run by the
//! JSON-lines runner in `tests/common/scenario.rs` (`DMARS_BLESS=1` regenerates the outputs).
//!
//! Header: `{"scenario": …, "rfc": …, "config": {…}}`; `config` may set `address` (default
//! `9000`), `protocol_address`, `protocols` (`["IPv4"]`), `cmi_range` (`[1, 65535]`),
//! `redirect_interval_ms` (60000), `backups`, `redirect_hard`, `max_sdu`, `verify_source`,
//! `max_vcs`, `initial_msn`.
//!
//! Inputs (`{"in": …}`), applied at the current virtual time:
//! - `{"call": {"vc": "vc:in1", "from": "1001", "multipoint": false}}` — an incoming call;
//! - `{"released": {"vc": …, "cause": 16}}` — a VC released by the network or the peer;
//! - `{"party_added": {"vc": "vc:0", "party": 1}}`,
//!   `{"party_dropped": {"vc": "vc:0", "party": 1, "cause": 27}}` — control VC leaves;
//! - `{"recv": {"vc": "vc:in1", "msg": {…}}}` — a MARS message received (built by
//!   `server_support/msg_json.rs` from the codec's JSON field names);
//! - `{"recv_hex": {"vc": …, "hex": "aaaa03…"}}` — raw octets received;
//! - `{"advance_ms": 60000}` — virtual time passes, timers fire;
//! - `{"show": "stats" | "state", "fields": […]}` — print counters or the state snapshot
//!   (optionally only the named top-level fields).
//!
//! Outputs (`{"out": …}`), in order: every VC request the engine made
//! (`{"request": "send", "vc": …, "msg": <codec JSON of the decoded SDU>}`,
//! `{"request": "add_party", …}`, …), then every event (`{"event": "registered", …}`), then
//! what `show` printed.

mod common;
#[path = "server_support/msg_json.rs"]
mod msg_json;

use std::time::Duration;

use bytes::Bytes;
use common::scenario::{self, Driver};
use mars_proto::mars::server::{MarsServer, ServerConfig};
use mars_proto::{AtmUser, Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::mars::MarsMessage;
use serde_json::{json, Value};

struct ServerDriver {
    s: MarsServer,
    now: Instant,
    shown: Vec<Value>,
}

fn vc_id(v: &Value) -> Result<VcId, String> {
    let t = v.as_str().ok_or("vc: a string like vc:in1 or vc:0")?;
    let t = t.strip_prefix("vc:").unwrap_or(t);
    match t.strip_prefix("in") {
        Some(n) => n
            .parse()
            .map(VcId::incoming)
            .map_err(|e| format!("vc {t}: {e}")),
        None => t
            .parse()
            .map(VcId::local)
            .map_err(|e| format!("vc {t}: {e}")),
    }
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a Value, String> {
    v.get(k).ok_or_else(|| format!("missing {k:?} in {v}"))
}

fn num<T: TryFrom<u64>>(v: &Value, k: &str, default: Option<T>) -> Result<T, String> {
    match v.get(k).and_then(Value::as_u64) {
        Some(n) => T::try_from(n).map_err(|_| format!("{k}: out of range")),
        None => default.ok_or_else(|| format!("missing {k:?} in {v}")),
    }
}

fn config(h: &Value) -> Result<ServerConfig, String> {
    let c = h.get("config").cloned().unwrap_or(json!({}));
    let addr = c.get("address").and_then(Value::as_str).unwrap_or("9000");
    let mut cfg = ServerConfig::new(msg_json::atm(addr)?);
    if let Some(p) = c.get("protocol_address").and_then(Value::as_str) {
        cfg.protocol_address = msg_json::proto(p)?;
    }
    if let Some(Value::Array(ps)) = c.get("protocols") {
        cfg.protocols = ps
            .iter()
            .map(|p| msg_json::protocol(Some(p)))
            .collect::<Result<_, _>>()?;
    }
    if let Some(Value::Array(r)) = c.get("cmi_range") {
        let n = |i: usize| {
            r.get(i)
                .and_then(Value::as_u64)
                .and_then(|n| u16::try_from(n).ok())
        };
        cfg.cmi_range = (n(0).ok_or("cmi_range")?, n(1).ok_or("cmi_range")?);
    }
    if let Some(ms) = c.get("redirect_interval_ms").and_then(Value::as_u64) {
        cfg.redirect_interval = Duration::from_millis(ms);
    }
    if let Some(Value::Array(b)) = c.get("backups") {
        cfg.backups = b
            .iter()
            .map(|a| msg_json::atm(a.as_str().unwrap_or("")))
            .collect::<Result<_, _>>()?;
    }
    if let Some(h) = c.get("redirect_hard").and_then(Value::as_bool) {
        cfg.redirect_hard = h;
    }
    cfg.max_sdu = num(&c, "max_sdu", Some(cfg.max_sdu))?;
    cfg.max_vcs = num(&c, "max_vcs", Some(cfg.max_vcs))?;
    cfg.initial_msn = num(&c, "initial_msn", Some(0))?;
    if let Some(v) = c.get("verify_source").and_then(Value::as_bool) {
        cfg.verify_source = v;
    }
    Ok(cfg)
}

impl ServerDriver {
    fn new(header: &Value) -> Self {
        let cfg = config(header).unwrap_or_else(|e| panic!("bad config: {e}"));
        ServerDriver {
            s: MarsServer::new(cfg, Instant::ZERO),
            now: Instant::ZERO,
            shown: Vec::new(),
        }
    }

    fn ev(&mut self, e: VcEvent) {
        self.s.handle_vc_event(self.now, e);
    }

    fn show(&mut self, what: &str, fields: Option<&Value>) -> Result<(), String> {
        let full = match what {
            "stats" => serde_json::to_value(self.s.stats()),
            "state" => serde_json::to_value(self.s.state()),
            other => return Err(format!("show {other:?}: stats or state")),
        }
        .map_err(|e| e.to_string())?;
        let shown = match fields {
            Some(Value::Array(keys)) => {
                let mut m = serde_json::Map::new();
                for k in keys.iter().filter_map(Value::as_str) {
                    m.insert(k.to_string(), full.get(k).cloned().unwrap_or(Value::Null));
                }
                Value::Object(m)
            }
            _ => full,
        };
        self.shown.push(json!({ what: shown }));
        Ok(())
    }
}

fn cause(v: &Value) -> Result<Cause, String> {
    num(v, "cause", Some(16)).map(Cause)
}

impl Driver for ServerDriver {
    fn input(&mut self, v: &Value) -> Result<(), String> {
        if let Some(ms) = v.get("advance_ms").and_then(Value::as_u64) {
            let end = self.now + Duration::from_millis(ms);
            while let Some(t) = self.s.poll_timeout().filter(|&t| t <= end) {
                self.now = t.max(self.now);
                self.s.handle_timeout(self.now);
            }
            self.now = end;
            return Ok(());
        }
        if let Some(c) = v.get("call") {
            let from = msg_json::atm(field(c, "from")?.as_str().ok_or("from")?)?;
            let multipoint = c
                .get("multipoint")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let vc = vc_id(field(c, "vc")?)?;
            self.ev(VcEvent::IncomingCall {
                vc,
                from,
                multipoint,
            });
        } else if let Some(r) = v.get("released") {
            let vc = vc_id(field(r, "vc")?)?;
            self.ev(VcEvent::Released {
                vc,
                cause: cause(r)?,
            });
        } else if let Some(p) = v.get("party_added") {
            let vc = vc_id(field(p, "vc")?)?;
            let party = PartyId(num(p, "party", None)?);
            self.ev(VcEvent::PartyAdded { vc, party });
        } else if let Some(p) = v.get("party_dropped") {
            let vc = vc_id(field(p, "vc")?)?;
            let party = PartyId(num(p, "party", None)?);
            self.ev(VcEvent::PartyDropped {
                vc,
                party,
                cause: cause(p)?,
            });
        } else if let Some(r) = v.get("recv") {
            let vc = vc_id(field(r, "vc")?)?;
            let msg = msg_json::message(field(r, "msg")?)?;
            let sdu = msg
                .encode_sdu()
                .map_err(|e| format!("cannot encode: {e}"))?;
            self.ev(VcEvent::Received {
                vc,
                sdu: Bytes::from(sdu),
            });
        } else if let Some(r) = v.get("recv_hex") {
            let vc = vc_id(field(r, "vc")?)?;
            let hex = field(r, "hex")?.as_str().ok_or("hex")?;
            let sdu = hex::decode(hex.replace([' ', '.'], "")).map_err(|e| e.to_string())?;
            self.ev(VcEvent::Received {
                vc,
                sdu: Bytes::from(sdu),
            });
        } else if let Some(w) = v.get("show").and_then(Value::as_str) {
            self.show(w, v.get("fields"))?;
        } else {
            return Err(format!("unknown input {v}"));
        }
        Ok(())
    }

    fn outputs(&mut self) -> Vec<Value> {
        let mut out = Vec::new();
        while let Some(r) = self.s.poll_request() {
            out.push(request_json(&r));
        }
        while let Some(e) = self.s.poll_event() {
            out.push(
                serde_json::to_value(&e).unwrap_or_else(|e| json!({ "bad_event": e.to_string() })),
            );
        }
        out.append(&mut self.shown);
        out
    }
}

fn request_json(r: &VcRequest) -> Value {
    let vc = r.vc().to_string();
    match r {
        VcRequest::Send { sdu, .. } => match MarsMessage::decode_sdu(sdu) {
            Ok(m) => json!({"request": "send", "vc": vc, "msg": m}),
            Err(e) => {
                json!({"request": "send", "vc": vc, "undecodable": hex::encode(sdu), "error": e.to_string()})
            }
        },
        VcRequest::Accept { .. } => json!({"request": "accept", "vc": vc}),
        VcRequest::Refuse { cause, .. } => json!({"request": "refuse", "vc": vc, "cause": cause.0}),
        VcRequest::OpenMultipoint { .. } => json!({"request": "open_multipoint", "vc": vc}),
        VcRequest::AddParty { party, to, .. } => {
            json!({"request": "add_party", "vc": vc, "party": party.0, "to": to.to_string()})
        }
        VcRequest::DropParty { party, cause, .. } => {
            json!({"request": "drop_party", "vc": vc, "party": party.0, "cause": cause.0})
        }
        VcRequest::Release { cause, .. } => {
            json!({"request": "release", "vc": vc, "cause": cause.0})
        }
        VcRequest::Connect { to, .. } => {
            json!({"request": "connect", "vc": vc, "to": to.to_string()})
        }
    }
}

#[test]
fn server_scenarios() {
    let n = scenario::run_dir("tests/scenarios/server", |h| Box::new(ServerDriver::new(h)));
    assert!(
        n >= 30,
        "expected the full set of server scenarios, found {n}"
    );
}
