//! RFC 2334 conformance as data: every `tests/scenarios/scsp/*.jsonl` file drives one SCSP
//! engine (the LS under test, with the MARS-shaped toy client protocol) through received
//! packets, VC events, timer expiries and local updates, and checks every packet it sends,
//! every VC request and every event, in order. `docs/scsp-conformance.md` maps each FSM
//! transition and abnormal event of the RFC to the file covering it.
//!
//! Header `config` keys (all optional): `local` (server number, default 5: ID 00000005,
//! address 5), `dcs` (list of `{"n": number, "id": bool}`: DCS server number, and whether its
//! ID is configured), `hello_s` (10), `dead_factor` (3), `ca_ms`, `csus_ms`, `csu_ms` (2000),
//! `limit` (3), `hop` (8), `max_sdu` (9188), `jitter` (0), `seed` (0), `restarted`,
//! `restart_offset` (1000), `stale_own` ("purge"|"accept"), `fallback_ms` (none), `retry_ms`
//! (5000), `hold_ms` (the origination hold; none), `auth` (`{"mode": "mandatory", "keys": [{"spi": 1, "alg": "hmac-md5-128", "key":
//! "hex"}]}`, applied to every DCS), `max_entries`.
//!
//! Inputs: `start` (first; shows what the engine did when created), `advance_ms`, `connected` (DCS index), `released` (`{"dcs", "cause"}`),
//! `incoming_call` (`{"from": number, "multipoint": bool}`), `recv` (a packet, see
//! `scsp_support::json`, plus `dcs`, optional `sign: {"spi", "key"?, "alg"?}` and `tamper`: fields
//! replaced after signing), `recv_hex` (`{"dcs", "hex"}`: a raw SDU), `originate` (`{"key",
//! "part"}`), `purge` (`{"key"}`), `remove_local` (`{"key", "orig"}`), `add_sa`, `remove_sa`,
//! `send_spi`, `show` ("dcs" | "cache" | "counters").

mod common;
mod scsp_support;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::scsp::{
    AuthMode, ScspConfig, ScspEngine, ScspEvent, SecurityAssociation, StaleOwnPolicy,
};
use mars_proto::{AtmUser, Cause, Instant, VcEvent, VcId, VcRequest};
use mars_wire::scsp::{sdu_payload, verify_mac, AuthAlgorithm, ScspId, ScspPacket};
use serde_json::{json, Value};

use common::scenario::{run_dir, Driver};
use scsp_support::clients::Toy;
use scsp_support::json::{packet_from_json, packet_to_json, part_to_json, seq_to_json, Ctx};
use scsp_support::{addr, fast_params};

fn num(c: &Value, k: &str, d: u64) -> u64 {
    c.get(k).and_then(Value::as_u64).unwrap_or(d)
}

fn ms(c: &Value, k: &str, d: u64) -> Duration {
    Duration::from_millis(num(c, k, d))
}

fn sa_from(v: &Value) -> Result<SecurityAssociation, String> {
    let alg = match v
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("hmac-md5-128")
    {
        "hmac-md5-128" => AuthAlgorithm::HmacMd5_128,
        "hmac-sha-256" => AuthAlgorithm::HmacSha256,
        a => return Err(format!("unknown algorithm {a}")),
    };
    Ok(SecurityAssociation {
        spi: v
            .get("spi")
            .and_then(Value::as_u64)
            .ok_or("sa without spi")? as u32,
        algorithm: alg,
        key: hex::decode(
            v.get("key")
                .and_then(Value::as_str)
                .ok_or("sa without key")?,
        )
        .map_err(|e| e.to_string())?,
        lifetime: v
            .get("lifetime_s")
            .and_then(Value::as_u64)
            .map(Duration::from_secs),
    })
}

struct ScspDriver {
    engine: ScspEngine<Toy>,
    now: Instant,
    ctx: Vec<Ctx>,
    dcs_addr: Vec<u64>,
    /// VC → DCS index.
    vcs: HashMap<VcId, usize>,
    /// The VC the scenario means by "DCS i".
    current: Vec<Option<VcId>>,
    keys: Vec<Vec<SecurityAssociation>>,
    next_incoming: u64,
    /// Incoming multipoint VCs (leaves).
    leaves: Vec<VcId>,
    out: Vec<Value>,
}

impl ScspDriver {
    fn new(header: &Value) -> Self {
        let c = header.get("config").cloned().unwrap_or(json!({}));
        let local = num(&c, "local", 5) as u32;
        let mut cfg = ScspConfig::new(ScspId::from_u32(local), addr(u64::from(local)));
        cfg.rng_seed = num(&c, "seed", 0);
        cfg.hello_jitter_percent = num(&c, "jitter", 0) as u8;
        cfg.restarted = c.get("restarted").and_then(Value::as_bool).unwrap_or(false);
        cfg.restart_seq_offset = num(&c, "restart_offset", 1000) as u32;
        cfg.stale_own_entries = match c.get("stale_own").and_then(Value::as_str) {
            Some("accept") => StaleOwnPolicy::Accept,
            _ => StaleOwnPolicy::Purge,
        };
        cfg.callee_fallback = c
            .get("fallback_ms")
            .and_then(Value::as_u64)
            .map(Duration::from_millis);
        cfg.connect_retry = ms(&c, "retry_ms", 5000);
        cfg.tombstone_hold = ms(&c, "tombstone_ms", 600_000);
        cfg.origination_hold = c
            .get("hold_ms")
            .and_then(Value::as_u64)
            .map(Duration::from_millis);
        cfg.max_cache_entries = num(&c, "max_entries", 1_000_000) as usize;
        let mut params = fast_params();
        params.hello_interval = Duration::from_secs(num(&c, "hello_s", 10));
        params.dead_factor = num(&c, "dead_factor", 3) as u16;
        params.ca_rexmt_interval = ms(&c, "ca_ms", 2000);
        params.csus_rexmt_interval = ms(&c, "csus_ms", 2000);
        params.csu_rexmt_interval = ms(&c, "csu_ms", 2000);
        params.rexmt_limit = num(&c, "limit", 3) as u32;
        params.hop_count = num(&c, "hop", 8) as u16;
        let (mode, sas) = match c.get("auth") {
            None => (AuthMode::Off, Vec::new()),
            Some(a) => {
                let mode = match a.get("mode").and_then(Value::as_str) {
                    Some("optional") => AuthMode::Optional,
                    Some("off") => AuthMode::Off,
                    _ => AuthMode::Mandatory,
                };
                let keys = a
                    .get("keys")
                    .and_then(Value::as_array)
                    .map(|v| v.iter().map(|k| sa_from(k).unwrap()).collect())
                    .unwrap_or_default();
                (mode, keys)
            }
        };
        let dcs_list = c
            .get("dcs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_else(|| vec![json!({"n": 9})]);
        let mut ctx = Vec::new();
        let mut dcs_addr = Vec::new();
        for d in &dcs_list {
            let n = num(d, "n", 9);
            let mut dc = mars_proto::scsp::DcsConfig::new(addr(n));
            dc.params = params.clone();
            dc.max_sdu = num(&c, "max_sdu", 9188) as usize;
            dc.auth.mode = mode;
            dc.auth.associations = sas.clone();
            if d.get("id").and_then(Value::as_bool).unwrap_or(false) {
                dc.id = Some(ScspId::from_u32(n as u32));
            }
            cfg.dcs.push(dc);
            dcs_addr.push(n);
            ctx.push(Ctx {
                local: ScspId::from_u32(local),
                dcs: ScspId::from_u32(n as u32),
                pid: 3,
                sgid: 1,
            });
        }
        let n = cfg.dcs.len();
        let engine = ScspEngine::new(cfg, Toy::default(), Instant::ZERO).expect("config");
        let mut d = ScspDriver {
            engine,
            now: Instant::ZERO,
            ctx,
            dcs_addr,
            vcs: HashMap::new(),
            current: vec![None; n],
            keys: vec![sas; n],
            next_incoming: 1,
            leaves: Vec::new(),
            out: Vec::new(),
        };
        d.collect();
        d
    }

    fn dcs_index(&self, v: &Value) -> Result<usize, String> {
        let i = v
            .as_u64()
            .or_else(|| v.get("dcs").and_then(Value::as_u64))
            .unwrap_or(0) as usize;
        if i < self.ctx.len() {
            Ok(i)
        } else {
            Err(format!("no DCS {i}"))
        }
    }

    fn t(&self) -> Value {
        json!(self.now.to_string())
    }

    fn push(&mut self, mut v: Value) {
        if let Value::Object(m) = &mut v {
            let mut o = serde_json::Map::new();
            o.insert("t".into(), self.t());
            o.extend(std::mem::take(m));
            v = Value::Object(o);
        }
        self.out.push(v);
    }

    fn event_json(e: &ScspEvent) -> Value {
        let mut v = serde_json::to_value(e).expect("events serialise");
        if let Value::Object(m) = &mut v {
            for k in ["seq", "previous", "old", "new", "found"] {
                if let Some(s) = m.get(k).and_then(Value::as_i64) {
                    let seq = mars_wire::CsaSeq::new(s as i32).expect("valid");
                    m.insert(k.into(), seq_to_json(seq));
                }
            }
            if let Some(p) = m.get("part").and_then(Value::as_str) {
                let b = hex::decode(p).expect("hex");
                m.insert("part".into(), part_to_json(&b));
            }
            if m.get("detail") == Some(&Value::Null) {
                m.remove("detail");
            }
        }
        v
    }

    /// Everything the engine produced: events first, then VC requests.
    fn collect(&mut self) {
        while let Some(e) = self.engine.poll_event() {
            let v = Self::event_json(&e);
            self.push(json!({ "event": v }));
        }
        while let Some(r) = self.engine.poll_request() {
            let v = self.request_json(r);
            self.push(v);
        }
    }

    fn request_json(&mut self, r: VcRequest) -> Value {
        let dcs_of = |s: &Self, vc: VcId| s.vcs.get(&vc).copied();
        match r {
            VcRequest::Connect { vc, to } => {
                let i = (0..self.dcs_addr.len())
                    .find(|&i| addr(self.dcs_addr[i]) == to)
                    .expect("calls go to DCSs");
                self.vcs.insert(vc, i);
                self.current[i] = Some(vc);
                json!({"connect": {"dcs": i}})
            }
            VcRequest::Accept { vc } => {
                let i = dcs_of(self, vc);
                if let Some(i) = i.filter(|_| !self.leaves.contains(&vc)) {
                    self.current[i] = Some(vc);
                }
                json!({"accept": {"dcs": i}})
            }
            VcRequest::Refuse { vc, cause } => {
                json!({"refuse": {"dcs": dcs_of(self, vc), "cause": cause.0}})
            }
            VcRequest::Release { vc, cause } => {
                json!({"release": {"dcs": dcs_of(self, vc), "cause": cause.0}})
            }
            VcRequest::Send { vc, sdu } => {
                let i = dcs_of(self, vc).expect("sends go to DCS VCs");
                let payload = sdu_payload(&sdu).expect("SCSP LLC/SNAP");
                let pkt = ScspPacket::decode(payload).expect("the engine sends valid packets");
                let mut v = packet_to_json(&pkt, &self.ctx[i]);
                if let Some(spi) = pkt.auth_spi() {
                    let ok = self.keys[i]
                        .iter()
                        .find(|k| k.spi == spi)
                        .is_some_and(|k| verify_mac(payload, k.algorithm, &k.key).is_ok());
                    v["mac"] = json!(if ok { "ok" } else { "bad" });
                }
                let mut o = serde_json::Map::new();
                o.insert("dcs".into(), json!(i));
                o.extend(v.as_object().cloned().unwrap_or_default());
                json!({ "send": o })
            }
            other => json!({"other": format!("{other:?}")}),
        }
    }

    fn deliver(&mut self, ev: VcEvent) {
        self.engine.handle_vc_event(self.now, ev);
        self.collect();
    }

    fn recv(&mut self, v: &Value) -> Result<(), String> {
        let i = self.dcs_index(v)?;
        let vc = self.current[i].ok_or("no VC to that DCS")?;
        let pkt = packet_from_json(v, &self.ctx[i])?;
        let mut sdu = Vec::new();
        match v.get("sign") {
            None => pkt.encode_sdu(&mut sdu).map_err(|e| e.to_string())?,
            Some(s) => {
                let spi = s
                    .get("spi")
                    .and_then(Value::as_u64)
                    .ok_or("sign without spi")? as u32;
                let sa = if s.get("key").is_some() {
                    sa_from(s)?
                } else {
                    self.keys[i]
                        .iter()
                        .find(|k| k.spi == spi)
                        .cloned()
                        .ok_or("no such key")?
                };
                pkt.encode_sdu_authenticated(spi, sa.algorithm, &sa.key, &mut sdu)
                    .map_err(|e| e.to_string())?;
                if let Some(t) = v.get("tamper") {
                    // Replayed with modification: the signed packet's extension, on other
                    // contents (the checksum is right, the MAC is not).
                    let signed = ScspPacket::decode_sdu(&sdu).map_err(|e| e.to_string())?;
                    let mut merged = v.clone();
                    for (k, x) in t.as_object().ok_or("tamper is an object")? {
                        merged[k] = x.clone();
                    }
                    let mut changed = packet_from_json(&merged, &self.ctx[i])?;
                    changed.extensions = signed.extensions.clone();
                    sdu.clear();
                    changed.encode_sdu(&mut sdu).map_err(|e| e.to_string())?;
                }
            }
        }
        self.deliver(VcEvent::Received {
            vc,
            sdu: Bytes::from(sdu),
        });
        Ok(())
    }

    fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        while let Some(t) = self.engine.poll_timeout() {
            if t > until {
                break;
            }
            self.now = self.now.max(t);
            self.engine.handle_timeout(self.now);
            self.collect();
        }
        self.now = until;
    }

    fn show(&mut self, what: &str) -> Result<(), String> {
        match what {
            "dcs" => {
                for i in 0..self.engine.dcs_count() {
                    let s = self.engine.dcs_status(i).expect("dcs");
                    let v = json!({"dcs": {
                        "index": i, "hello": s.hello, "ca": s.ca, "role": s.role,
                        "crl": s.crl, "csus": s.csus_outstanding,
                        "queue": s.retransmit_queue, "unsent": s.unsent,
                    }});
                    self.push(v);
                }
            }
            "cache" => {
                let rows: Vec<Value> = self
                    .engine
                    .cache()
                    .iter()
                    .map(|(id, e)| {
                        let mut r = json!({
                            "key": id.key.to_string(), "orig": id.origin.to_string(),
                            "seq": seq_to_json(e.seq), "part": part_to_json(&e.part),
                        });
                        if e.purged {
                            r["purged"] = json!(true);
                        }
                        r
                    })
                    .collect();
                self.push(json!({ "cache": rows }));
            }
            "counters" => {
                let c = self.engine.counters();
                self.push(json!({"counters": {
                    "abnormal": c.abnormal, "discards": c.discards,
                    "retransmissions": {"ca": c.ca_retransmissions, "csus": c.csus_retransmissions,
                        "csa": c.csa_retransmissions},
                }}));
            }
            _ => return Err(format!("cannot show {what}")),
        }
        Ok(())
    }
}

impl Driver for ScspDriver {
    fn input(&mut self, input: &Value) -> Result<(), String> {
        let (k, v) = input
            .as_object()
            .and_then(|m| m.iter().next())
            .ok_or("an input is an object with one key")?;
        match k.as_str() {
            // A no-op: shows what the engine did when it was created.
            "start" => {}
            "advance_ms" => self.advance(Duration::from_millis(v.as_u64().ok_or("ms")?)),
            "connected" => {
                let i = self.dcs_index(v)?;
                let vc = self.current[i].ok_or("no call")?;
                self.deliver(VcEvent::Connected { vc });
            }
            "released" => {
                let i = self.dcs_index(v)?;
                let vc = self.current[i].ok_or("no VC")?;
                let cause = Cause(v.get("cause").and_then(Value::as_u64).unwrap_or(27) as u8);
                self.deliver(VcEvent::Released { vc, cause });
            }
            "incoming_call" => {
                let from = num(v, "from", 9);
                let vc = VcId::incoming(self.next_incoming);
                self.next_incoming += 1;
                let multipoint = v
                    .get("multipoint")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if let Some(i) = self.dcs_addr.iter().position(|&a| a == from) {
                    self.vcs.insert(vc, i);
                    if multipoint {
                        self.leaves.push(vc);
                    }
                }
                self.deliver(VcEvent::IncomingCall {
                    vc,
                    from: addr(from),
                    multipoint,
                });
            }
            "recv" => self.recv(v)?,
            "recv_hex" => {
                let i = self.dcs_index(v)?;
                let vc = self.current[i].ok_or("no VC")?;
                let sdu = hex::decode(v.get("hex").and_then(Value::as_str).ok_or("hex")?)
                    .map_err(|e| e.to_string())?;
                self.deliver(VcEvent::Received {
                    vc,
                    sdu: Bytes::from(sdu),
                });
            }
            "originate" => {
                let key = parsed(v, "key")?;
                let part = scsp_support::json::part_from_json(v.get("part"))?;
                let r = self.engine.originate(self.now, key, part);
                let res = match r {
                    Ok(mars_proto::scsp::Origination::Sent(s)) => json!({"sent": seq_to_json(s)}),
                    Ok(mars_proto::scsp::Origination::AfterPurge) => json!("after-purge"),
                    Ok(mars_proto::scsp::Origination::Held) => json!("held"),
                    Err(e) => json!({"error": e.to_string()}),
                };
                self.push(json!({ "originated": res }));
                self.collect();
            }
            "purge" => {
                let key = parsed(v, "key")?;
                if let Err(e) = self.engine.purge(self.now, &key) {
                    self.push(json!({"error": e.to_string()}));
                }
                self.collect();
            }
            "remove_local" => {
                let key = parsed(v, "key")?;
                let orig: ScspId = parsed(v, "orig")?;
                let removed = self.engine.remove_local(self.now, &key, &orig);
                self.push(json!({ "removed": removed }));
                self.collect();
            }
            "add_sa" => {
                let i = self.dcs_index(v)?;
                let sa = sa_from(v)?;
                self.keys[i].retain(|k| k.spi != sa.spi);
                self.keys[i].push(sa.clone());
                self.engine
                    .add_security_association(self.now, i, sa)
                    .map_err(|e| e.to_string())?;
            }
            "remove_sa" => {
                let i = self.dcs_index(v)?;
                let spi = num(v, "spi", 0) as u32;
                self.engine
                    .remove_security_association(i, spi)
                    .map_err(|e| e.to_string())?;
            }
            "send_spi" => {
                let i = self.dcs_index(v)?;
                let spi = v.get("spi").and_then(Value::as_u64).map(|s| s as u32);
                self.engine
                    .set_sending_spi(i, spi)
                    .map_err(|e| e.to_string())?;
            }
            "show" => self.show(v.as_str().ok_or("show what")?)?,
            _ => return Err(format!("unknown input {k}")),
        }
        Ok(())
    }

    fn outputs(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.out)
    }
}

#[test]
fn scsp_scenarios() {
    let n = run_dir("tests/scenarios/scsp", |h| Box::new(ScspDriver::new(h)));
    assert!(n > 0, "no scenarios found");
}

/// The string field `k` of `v`, parsed (a cache key, an ID).
fn parsed<T: std::str::FromStr>(v: &Value, k: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let s = v.get(k).and_then(Value::as_str).ok_or(k.to_string())?;
    s.parse().map_err(|e| format!("{e}"))
}
