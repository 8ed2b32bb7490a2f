//! The scenario driver for the MARS client and MCS engines: a compact JSON notation for VC
//! events, MARS messages received, host commands, and everything the engine produces.
//!
//! Addresses are small numbers: ATM address `n` is the NSAP `47.00…00.n`, group `n` is
//! 224.1.0.n. VC ids: a number is a VC the engine opened (`VcId::local`), `"inN"` an
//! incoming VC (`VcId::incoming(N)`).
//!
//! Inputs (`{"in": …}`):
//! - `{"advance_ms": N}` — let time pass; due timers fire;
//! - `{"event": "connected"|"released"|"incoming_call"|"party_added"|"party_dropped", …}`;
//! - `{"recv": {"vc": …, "op": "join"|"leave"|"mserv"|"unserv"|"sjoin"|"sleave"|"multi"|
//!   "nak"|"redirect_map"|"migrate"|"grouplist_reply", …}}` — a MARS message arrives;
//! - `{"recv_raw": {"vc": …, "hex": "…"}}` — any octets arrive;
//! - `{"recv_data": {"vc": …, "cmi": N, "group": G, "seq": S}}` — a Type #1 datagram;
//! - `{"cmd": "join"|"leave"|"join_block"|"send"|"deregister"|"serve"|"unserve", …}`;
//! - `{"recv_hello": {"vc": …, "state": "noop"|"elected", "sender": N, "receiver": N,
//!   "interval": S, "dead_factor": F, "group": G}}` — an RFC 2149 §5.3 HELLO arrives
//!   (`receiver` absent: Recvr Len 0).
//!
//! An MCS header may carry `"mcslist": [N…]` (with `"hello_interval"`, `"dead_factor"`): its
//! groups are then the list's (RFC 2149 §5). The elections' VCs are written `"eN"`.
//!
//! Outputs (`{"out": …}`): network requests and events, each stamped with the time `t` (ms);
//! a HELLO sent is `{"send_hello": …}` in the input's notation, an election event
//! `{"election": …}`.
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::mars::client::datapath::{
    decapsulate, encapsulate, ipv4_packet, layer3_destination,
};
use mars_proto::mars::client::{ClientConfig, ClientEvent, Discard, MarsClient, TimerConfig};
use mars_proto::mars::mcs::{Mcs, McsConfig, McsList};
use mars_proto::{AtmUser, Cause, Instant, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::llc::Payload;
use mars_wire::mars::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, Migrate, Multi, RedirF,
    RedirectMap, Request, SeqXy,
};
use mars_wire::mcs_hello::{HelloState, McsHello};
use mars_wire::{AtmAddr, AtmAddress, Csn, ProtoAddr, Protocol};
use serde_json::{json, Value};

#[path = "../common/scenario.rs"]
pub mod scenario;

/// ATM address number `n`.
pub fn addr(n: u64) -> AtmAddress {
    let mut o = [0u8; 20];
    o[0] = 0x47;
    o[19] = n as u8;
    AtmAddress::new(AtmAddr::nsap(o))
}

/// Group number `n`.
pub fn group(n: u64) -> ProtoAddr {
    ProtoAddr::v4(Ipv4Addr::new(224, 1, 0, n as u8))
}

fn addr_no(a: &AtmAddress) -> Value {
    match a.number.as_nsap() {
        Some(o) if o[0] == 0x47 && o[1..19].iter().all(|&b| b == 0) && a.sub.is_null() => {
            json!(o[19])
        }
        _ => json!(a.to_string()),
    }
}

fn group_no(g: &ProtoAddr) -> Value {
    match g.to_v4() {
        Some(v) if v.octets()[..3] == [224, 1, 0] => json!(v.octets()[3]),
        _ => json!(g.to_string()),
    }
}

/// Where the MCS numbers its elections' VCs (`mcs/mod.rs`); written `"eN"` here.
const ELECTION_VCS: u64 = 1 << 42;

fn vc_of(v: &Value) -> Result<VcId, String> {
    match v {
        Value::Number(n) => n.as_u64().map(VcId::local).ok_or("bad vc".into()),
        Value::String(s) => {
            if let Some(n) = s.strip_prefix("e").and_then(|n| n.parse::<u64>().ok()) {
                return Ok(VcId::local(ELECTION_VCS + n));
            }
            s.strip_prefix("in")
                .and_then(|n| n.parse().ok())
                .map(VcId::incoming)
                .ok_or(format!("bad vc {s}"))
        }
        _ => Err("vc must be a number, \"inN\" or \"eN\"".into()),
    }
}

fn vc_json(vc: VcId) -> Value {
    if vc.is_incoming() {
        json!(vc.to_string().trim_start_matches("vc:"))
    } else if vc.0 >= ELECTION_VCS {
        json!(format!("e{}", vc.0 - ELECTION_VCS))
    } else {
        json!(vc.0)
    }
}

/// The HELLO a `recv_hello` input describes.
fn hello_of(v: &Value) -> Result<McsHello, String> {
    let state = match v.get("state").and_then(Value::as_str) {
        Some("elected") => HelloState::Elected,
        Some("noop") => HelloState::NoOp,
        other => return Err(format!("state must be noop or elected, not {other:?}")),
    };
    let receiver = v
        .get("receiver")
        .and_then(Value::as_u64)
        .map_or(AtmAddr::NULL, |n| addr(n).number);
    Ok(McsHello {
        state,
        hello_interval: opt(v, "interval", 3) as u16,
        dead_factor: opt(v, "dead_factor", 3) as u16,
        group: group(num(v, "group")?).to_v4().ok_or("group")?,
        sender: addr(num(v, "sender")?).number,
        receiver,
    })
}

/// `v` with every ATM address `n` of this notation written as the number `n`.
fn compact(v: Value) -> Value {
    const PREFIX: &str = "47.0000.00000000000000000000.000000000000.";
    match v {
        Value::String(s) => match s
            .strip_prefix(PREFIX)
            .and_then(|n| u8::from_str_radix(n, 16).ok())
        {
            Some(n) => json!(n),
            None => Value::String(s),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(compact).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, x)| (k, compact(x))).collect()),
        other => other,
    }
}

/// A HELLO sent by the engine, in `recv_hello`'s notation.
fn render_hello(h: &McsHello) -> Value {
    let mut v = json!({
        "state": if h.state == HelloState::Elected { "elected" } else { "noop" },
        "sender": addr_no(&AtmAddress::new(h.sender)),
        "interval": h.hello_interval,
        "dead_factor": h.dead_factor,
        "group": group_no(&ProtoAddr::v4(h.group)),
    });
    if !h.receiver.is_null() {
        v["receiver"] = addr_no(&AtmAddress::new(h.receiver));
    }
    v
}

fn num(v: &Value, k: &str) -> Result<u64, String> {
    v.get(k)
        .and_then(Value::as_u64)
        .ok_or(format!("missing number {k}"))
}

fn opt(v: &Value, k: &str, d: u64) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(d)
}

fn flags_of(v: &Value) -> Flags {
    let mut f = Flags(0);
    if let Some(a) = v.get("flags").and_then(Value::as_array) {
        for x in a {
            f = match x.as_str() {
                Some("copy") => f.with_copy(true),
                Some("register") => f.with_register(true),
                Some("punched") => f.with_punched(true),
                Some("layer3grp") => f.with_layer3grp(true),
                _ => f,
            };
        }
    }
    f.with_sequence(opt(v, "seq", 0) as u8)
}

fn flags_json(f: Flags) -> Value {
    let mut v = Vec::new();
    for (on, n) in [
        (f.layer3grp(), "layer3grp"),
        (f.copy(), "copy"),
        (f.register(), "register"),
        (f.punched(), "punched"),
    ] {
        if on {
            v.push(json!(n));
        }
    }
    json!(v)
}

fn targets_of(v: &Value) -> Vec<AtmAddress> {
    v.get("targets")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).map(addr).collect())
        .unwrap_or_default()
}

fn seqxy_of(v: &Value) -> SeqXy {
    SeqXy::new(opt(v, "x", 1) == 1, opt(v, "y", 1) as u16).unwrap_or(SeqXy::SINGLE)
}

/// The MARS message a `recv` input describes.
fn message_of(v: &Value, own: u64) -> Result<MarsMessage, String> {
    let op = v.get("op").and_then(Value::as_str).ok_or("missing op")?;
    let source = addr(opt(v, "source", own));
    let msn = Csn(opt(v, "msn", 0) as u32);
    let g = group(opt(v, "group", 0));
    let body = match op {
        "join" | "leave" | "mserv" | "unserv" | "sjoin" | "sleave" => {
            let pairs: Vec<GroupPair> = v
                .get("pairs")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| {
                            let p = p.as_array()?;
                            Some(GroupPair::new(
                                group(p.first()?.as_u64()?),
                                group(p.get(1)?.as_u64()?),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut j = Join::new(source, ProtoAddr::NULL, flags_of(v), pairs);
            j.cmi = opt(v, "cmi", 0) as u16;
            j.msn = msn;
            let code = match op {
                "join" => mars_wire::mars::MarsOp::Join,
                "leave" => mars_wire::mars::MarsOp::Leave,
                "mserv" => mars_wire::mars::MarsOp::Mserv,
                "unserv" => mars_wire::mars::MarsOp::Unserv,
                "sjoin" => mars_wire::mars::MarsOp::Sjoin,
                _ => mars_wire::mars::MarsOp::Sleave,
            };
            MarsBody::join_layout(code, j).ok_or("op")?
        }
        "multi" => MarsBody::Multi(Multi::new(
            source,
            ProtoAddr::NULL,
            g,
            targets_of(v),
            seqxy_of(v),
            msn,
        )),
        "nak" => MarsBody::Nak(Request::new(source, ProtoAddr::NULL, g)),
        "redirect_map" => {
            let hard = v.get("hard").and_then(Value::as_bool).unwrap_or(true);
            MarsBody::RedirectMap(RedirectMap::new(
                source,
                RedirF(if hard { RedirF::HARD } else { 0 }),
                targets_of(v),
                seqxy_of(v),
                msn,
            ))
        }
        "migrate" => {
            MarsBody::Migrate(Migrate::new(source, ProtoAddr::NULL, g, targets_of(v), msn))
        }
        "grouplist_reply" => {
            let groups = v
                .get("groups")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).map(group).collect())
                .unwrap_or_default();
            MarsBody::GroupListReply(GroupListReply::new(
                source,
                ProtoAddr::NULL,
                groups,
                seqxy_of(v),
                msn,
            ))
        }
        "request" => MarsBody::Request(Request::new(source, ProtoAddr::NULL, g)),
        other => return Err(format!("unknown op {other}")),
    };
    let mut m = MarsMessage::new(Protocol::IPV4, body);
    if let Some(t) = v.get("pro").and_then(Value::as_u64) {
        m.pro = Protocol::short(t as u16);
    }
    Ok(m)
}

/// A compact JSON rendering of a MARS message sent by the engine.
fn render_message(m: &MarsMessage) -> Value {
    let op = m.op().name().trim_start_matches("MARS_").to_lowercase();
    match &m.body {
        MarsBody::Request(r) => json!({"op": op, "group": group_no(&r.tpa)}),
        b => match b.as_join() {
            Some(j) => {
                let pairs: Vec<Value> = j
                    .pairs
                    .iter()
                    .map(|p| json!([group_no(&p.min), group_no(&p.max)]))
                    .collect();
                json!({"op": op, "flags": flags_json(j.flags), "seq": j.flags.sequence(),
                       "pairs": pairs, "cmi": j.cmi, "msn": j.msn.0})
            }
            None => json!({"op": op}),
        },
    }
}

/// Either engine.
pub enum Engine {
    Client(MarsClient),
    Mcs(Mcs),
}

impl Engine {
    fn user(&mut self) -> &mut dyn AtmUser {
        match self {
            Engine::Client(c) => c,
            Engine::Mcs(m) => m,
        }
    }
    fn poll_event(&mut self) -> Option<ClientEvent> {
        match self {
            Engine::Client(c) => c.poll_event(),
            Engine::Mcs(m) => m.poll_event(),
        }
    }
}

/// The driver.
pub struct Driver {
    pub engine: Engine,
    pub now: Instant,
    pub own: u64,
    out: Vec<Value>,
}

fn render_event(e: &ClientEvent) -> Value {
    match e {
        ClientEvent::Registered { mars, cmi, cause } => {
            json!({"event": "registered", "mars": addr_no(mars), "cmi": cmi, "cause": format!("{cause:?}")})
        }
        ClientEvent::Deregistered => json!({"event": "deregistered"}),
        ClientEvent::MarsFailure { mars, reason } => {
            json!({"event": "mars_failure", "mars": addr_no(mars), "reason": format!("{reason:?}")})
        }
        ClientEvent::MarsChanged { from, to } => {
            json!({"event": "mars_changed", "from": addr_no(from), "to": addr_no(to)})
        }
        ClientEvent::LoopingGuard { until } => {
            json!({"event": "looping_guard", "until_ms": until.as_nanos() / 1_000_000})
        }
        ClientEvent::SequenceJump { hsn, msn } => {
            json!({"event": "sequence_jump", "hsn": hsn.0, "msn": msn.0})
        }
        ClientEvent::Joined(r) => {
            json!({"event": "joined", "range": [group_no(&r.0), group_no(&r.1)]})
        }
        ClientEvent::Left(r) => json!({"event": "left", "range": [group_no(&r.0), group_no(&r.1)]}),
        ClientEvent::Resolved { group, leaves } => {
            json!({"event": "resolved", "group": group_no(group), "leaves": leaves})
        }
        ClientEvent::GroupEmpty(g) => json!({"event": "group_empty", "group": group_no(g)}),
        ClientEvent::Migrated { group, to } => {
            let to: Vec<Value> = to.iter().map(addr_no).collect();
            json!({"event": "migrated", "group": group_no(group), "to": to})
        }
        ClientEvent::GroupList { range, groups } => {
            let gs: Vec<Value> = groups.iter().map(group_no).collect();
            json!({"event": "group_list", "range": [group_no(&range.0), group_no(&range.1)], "groups": gs})
        }
        ClientEvent::Delivered(d) => {
            let seq = d
                .packet
                .get(24..28)
                .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            json!({"event": "delivered", "vc": vc_json(d.vc), "cmi": d.source_cmi,
                   "group": d.group.as_ref().map(group_no), "seq": seq})
        }
        ClientEvent::Discarded { vc, reason } => {
            let detail = match reason {
                Discard::Malformed(e) => json!(e.to_string()),
                Discard::NotJoined(g)
                | Discard::NoPath(g)
                | Discard::QueueFull(g)
                | Discard::SetupFailed(g) => group_no(g),
                Discard::Reassembly(e) => json!(format!("{e:?}")),
                Discard::UnexpectedOp(op) => json!(op),
                _ => Value::Null,
            };
            json!({"event": "discarded", "vc": vc.map(vc_json), "reason": reason.name(), "detail": detail})
        }
    }
}

impl Driver {
    /// A driver from a scenario header: `{"config": {"role": "client"|"mcs", "address": N,
    /// "mars": [N…], "groups": [G…], "seed": S}}`.
    pub fn from_header(h: &Value) -> Driver {
        let c = h.get("config").cloned().unwrap_or(json!({}));
        let own = opt(&c, "address", 1);
        let mars: Vec<AtmAddress> = c
            .get("mars")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).map(addr).collect())
            .unwrap_or_else(|| vec![addr(200)]);
        let now = Instant::ZERO;
        let mut timers = TimerConfig::default();
        if c.get("timers").and_then(Value::as_str) == Some("fast") {
            timers = TimerConfig::scaled_down(10);
        }
        let seed = opt(&c, "seed", 1);
        let engine = if c.get("role").and_then(Value::as_str) == Some("mcs") {
            let groups: Vec<ProtoAddr> = c
                .get("groups")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).map(group).collect())
                .unwrap_or_default();
            let list: Vec<AtmAddress> = c
                .get("mcslist")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_u64).map(addr).collect())
                .unwrap_or_default();
            let mut cfg = McsConfig::new(addr(own), mars, groups.clone());
            if !list.is_empty() {
                let mut l = McsList::new(list, groups);
                l.hello_interval = opt(&c, "hello_interval", 3) as u16;
                l.dead_factor = opt(&c, "dead_factor", 3) as u16;
                cfg.mcslists = vec![l];
            }
            cfg.endpoint.timers = timers;
            cfg.endpoint.timers.vc_idle = None;
            cfg.endpoint.seed = seed;
            Engine::Mcs(Mcs::new(cfg, now))
        } else {
            let mut cfg = ClientConfig::new(addr(own), mars);
            cfg.timers = timers;
            cfg.seed = seed;
            cfg.queue_limit = opt(&c, "queue_limit", 64) as usize;
            Engine::Client(MarsClient::new(cfg, now))
        };
        let mut d = Driver {
            engine,
            now,
            own,
            out: Vec::new(),
        };
        d.drain();
        d
    }

    fn drain(&mut self) {
        let t = self.now.as_nanos() / 1_000_000;
        while let Some(r) = self.engine.user().poll_request() {
            let mut v = render_request(&r);
            v["t"] = json!(t);
            self.out.push(v);
        }
        while let Some(e) = self.engine.poll_event() {
            let mut v = render_event(&e);
            v["t"] = json!(t);
            self.out.push(v);
        }
        if let Engine::Mcs(m) = &mut self.engine {
            while let Some((_, e)) = m.poll_election_event() {
                let e = compact(serde_json::to_value(&e).unwrap_or_default());
                self.out.push(json!({"election": e, "t": t}));
            }
        }
    }

    fn advance(&mut self, ms: u64) {
        let target = self.now + Duration::from_millis(ms);
        while let Some(t) = self.engine.user().poll_timeout() {
            if t > target {
                break;
            }
            self.now = t.max(self.now);
            let now = self.now;
            self.engine.user().handle_timeout(now);
            self.drain();
        }
        self.now = target;
    }

    fn vc_event(&mut self, v: &Value) -> Result<(), String> {
        let kind = v.get("event").and_then(Value::as_str).ok_or("event")?;
        let vc = vc_of(v.get("vc").ok_or("vc")?)?;
        let cause = Cause(opt(v, "cause", 16) as u8);
        let party = PartyId(opt(v, "party", 0) as u32);
        let ev = match kind {
            "connected" => VcEvent::Connected { vc },
            "released" => VcEvent::Released { vc, cause },
            "incoming_call" => VcEvent::IncomingCall {
                vc,
                from: addr(num(v, "from")?),
                multipoint: v.get("multipoint").and_then(Value::as_bool).unwrap_or(true),
            },
            "party_added" => VcEvent::PartyAdded { vc, party },
            "party_dropped" => VcEvent::PartyDropped { vc, party, cause },
            other => return Err(format!("unknown event {other}")),
        };
        let now = self.now;
        self.engine.user().handle_vc_event(now, ev);
        Ok(())
    }

    fn receive(&mut self, vc: VcId, sdu: Vec<u8>) {
        let now = self.now;
        self.engine.user().handle_vc_event(
            now,
            VcEvent::Received {
                vc,
                sdu: Bytes::from(sdu),
            },
        );
    }

    fn command(&mut self, v: &Value) -> Result<(), String> {
        let cmd = v.get("cmd").and_then(Value::as_str).ok_or("cmd")?;
        let now = self.now;
        let g = group(opt(v, "group", 0));
        let r = match (&mut self.engine, cmd) {
            (Engine::Client(c), "join") => c.join(now, g),
            (Engine::Client(c), "leave") => c.leave(now, g),
            (Engine::Client(c), "join_block") => {
                c.join_block(now, group(num(v, "min")?), group(num(v, "max")?))
            }
            (Engine::Client(c), "leave_block") => {
                c.leave_block(now, group(num(v, "min")?), group(num(v, "max")?))
            }
            (Engine::Client(c), "group_list") => {
                c.group_list(now, group(num(v, "min")?), group(num(v, "max")?))
            }
            (Engine::Client(c), "send") => {
                let seq = opt(v, "seq", 0) as u32;
                let mut payload = 0u32.to_be_bytes().to_vec();
                payload.extend_from_slice(&seq.to_be_bytes());
                let pkt = ipv4_packet(
                    Ipv4Addr::new(10, 0, 0, 1),
                    g.to_v4().unwrap_or(Ipv4Addr::UNSPECIFIED),
                    &payload,
                );
                c.send(now, g, &pkt)
            }
            (Engine::Client(c), "deregister") => {
                c.deregister(now);
                Ok(())
            }
            (Engine::Mcs(m), "serve") => m.serve(now, g),
            (Engine::Mcs(m), "unserve") => m.unserve(now, g),
            (Engine::Mcs(m), "deregister") => {
                m.deregister(now);
                Ok(())
            }
            (_, other) => return Err(format!("unknown command {other}")),
        };
        if let Err(e) = r {
            self.out
                .push(json!({"error": e.to_string(), "t": now.as_nanos() / 1_000_000}));
        }
        Ok(())
    }
}

fn render_request(r: &VcRequest) -> Value {
    match r {
        VcRequest::Connect { vc, to } => {
            json!({"connect": {"vc": vc_json(*vc), "to": addr_no(to)}})
        }
        VcRequest::Accept { vc } => json!({"accept": vc_json(*vc)}),
        VcRequest::Refuse { vc, cause } => {
            json!({"refuse": {"vc": vc_json(*vc), "cause": cause.0}})
        }
        VcRequest::OpenMultipoint { vc } => json!({"open_multipoint": vc_json(*vc)}),
        VcRequest::AddParty { vc, party, to } => {
            json!({"add_party": {"vc": vc_json(*vc), "party": party.0, "to": addr_no(to)}})
        }
        VcRequest::DropParty { vc, party, cause } => {
            json!({"drop_party": {"vc": vc_json(*vc), "party": party.0, "cause": cause.0}})
        }
        VcRequest::Release { vc, cause } => {
            json!({"release": {"vc": vc_json(*vc), "cause": cause.0}})
        }
        VcRequest::Send { vc, sdu } => match (McsHello::decode_sdu(sdu), Payload::parse(sdu)) {
            (Ok(h), _) => json!({"send_hello": {"vc": vc_json(*vc), "hello": render_hello(&h)}}),
            (_, Ok(Payload::MarsControl(_))) => match MarsMessage::decode_sdu(sdu) {
                Ok(m) => json!({"send": {"vc": vc_json(*vc), "msg": render_message(&m)}}),
                Err(e) => json!({"send": {"vc": vc_json(*vc), "undecodable": e.to_string()}}),
            },
            (_, _) => match decapsulate(sdu) {
                Ok(d) => {
                    let seq = d
                        .packet
                        .get(24..28)
                        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    json!({"send_data": {"vc": vc_json(*vc), "cmi": d.cmi,
                        "group": layer3_destination(d.pro, &d.packet).as_ref().map(group_no), "seq": seq}})
                }
                Err(e) => json!({"send_data": {"vc": vc_json(*vc), "undecodable": e.to_string()}}),
            },
        },
    }
}

impl scenario::Driver for Driver {
    fn input(&mut self, v: &Value) -> Result<(), String> {
        if let Some(ms) = v.get("advance_ms").and_then(Value::as_u64) {
            self.advance(ms);
        } else if v.get("event").is_some() {
            self.vc_event(v)?;
        } else if let Some(r) = v.get("recv") {
            let vc = vc_of(r.get("vc").ok_or("vc")?)?;
            let m = message_of(r, self.own)?;
            let sdu = m.encode_sdu().map_err(|e| e.to_string())?;
            self.receive(vc, sdu);
        } else if let Some(r) = v.get("recv_raw") {
            let vc = vc_of(r.get("vc").ok_or("vc")?)?;
            let hex = r.get("hex").and_then(Value::as_str).ok_or("hex")?;
            self.receive(vc, hex::decode(hex).map_err(|e| e.to_string())?);
        } else if let Some(r) = v.get("recv_data") {
            let vc = vc_of(r.get("vc").ok_or("vc")?)?;
            let g = group(num(r, "group")?);
            let seq = opt(r, "seq", 0) as u32;
            let mut payload = 9u32.to_be_bytes().to_vec();
            payload.extend_from_slice(&seq.to_be_bytes());
            let pkt = ipv4_packet(
                Ipv4Addr::new(10, 0, 0, 9),
                g.to_v4().unwrap_or(Ipv4Addr::UNSPECIFIED),
                &payload,
            );
            let sdu = encapsulate(opt(r, "cmi", 9) as u16, Protocol::IPV4, &pkt);
            self.receive(vc, sdu.to_vec());
        } else if let Some(r) = v.get("recv_hello") {
            let vc = vc_of(r.get("vc").ok_or("vc")?)?;
            let sdu = hello_of(r)?.encode_sdu().map_err(|e| e.to_string())?;
            self.receive(vc, sdu);
        } else if v.get("cmd").is_some() {
            self.command(v)?;
        } else {
            return Err(format!("unknown input {v}"));
        }
        self.drain();
        Ok(())
    }

    fn outputs(&mut self) -> Vec<Value> {
        std::mem::take(&mut self.out)
    }
}
