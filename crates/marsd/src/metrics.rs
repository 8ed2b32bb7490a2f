//! `[metrics] listen = "127.0.0.1:9464"`: the Prometheus text exposition format (0.0.4) at
//! `GET /metrics`, over a small hand-written HTTP/1.0 responder.
//!
//! Why not `metrics-exporter-prometheus`: the engines already keep every counter (named
//! after the MARS MIB) and hand out snapshots; a scrape reads them through the roles'
//! endpoint tasks. A push-style registry would duplicate each counter and add an HTTP stack
//! for one fixed page whose format is a few lines of text.
//!
//! Names: RFC 2417 statistics keep their MIB names in snake case with `_total`
//! (`marsStatTxMultiMsgs` → `mars_stat_tx_multi_msgs_total`, `marsClientStat…` →
//! `mars_client_stat_…_total`, `marsMcsStat…` → `mars_mcs_stat_…_total`); the engines'
//! other counters are `mars_server_*`, `mars_client_*`, `mars_mcs_*`, `scsp_*` (per peer)
//! and `atm_udp_*` (the emulation, drops by `reason`). Every sample has a `role` label.
//! The full list is in `docs/operations.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::daemon::Daemon;
use crate::roles::Engine;

/// One metric family.
#[derive(Debug, Default)]
struct Family {
    kind: &'static str,
    help: String,
    samples: Vec<(String, f64)>,
}

/// A page under construction.
#[derive(Debug, Default)]
pub struct Page {
    families: BTreeMap<String, Family>,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `mars_stat_tx_multi_msgs` → `marsStatTxMultiMsgs`.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    for (i, w) in snake.split('_').enumerate() {
        if i == 0 {
            out.push_str(w);
        } else {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    out
}

impl Page {
    fn add(&mut self, name: &str, kind: &'static str, help: &str, labels: &[(&str, &str)], v: f64) {
        let f = self.families.entry(name.to_string()).or_default();
        f.kind = kind;
        if f.help.is_empty() {
            f.help = help.to_string();
        }
        let l: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        f.samples.push((l.join(","), v));
    }

    /// Every numeric field of `obj` as a counter `prefix + field + _total`; maps of numbers
    /// (by reason, by kind) as one counter with the map key as label `key_label`.
    fn counters(&mut self, obj: &Value, prefix: &str, labels: &[(&str, &str)], key_label: &str) {
        let Some(m) = obj.as_object() else { return };
        for (k, v) in m {
            let name = format!("{prefix}{k}_total");
            let help = if k.starts_with("mars_") {
                format!("RFC 2417 {}", camel(k))
            } else {
                k.replace('_', " ")
            };
            match v {
                Value::Number(n) => {
                    self.add(&name, "counter", &help, labels, n.as_f64().unwrap_or(0.0))
                }
                Value::Object(sub) if sub.values().all(Value::is_number) => {
                    for (sk, sv) in sub {
                        let mut l = labels.to_vec();
                        l.push((key_label, sk));
                        self.add(&name, "counter", &help, &l, sv.as_f64().unwrap_or(0.0));
                    }
                }
                _ => {}
            }
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for (name, f) in &self.families {
            let _ = writeln!(s, "# HELP {name} {}", f.help);
            let _ = writeln!(s, "# TYPE {name} {}", f.kind);
            for (labels, v) in &f.samples {
                if labels.is_empty() {
                    let _ = writeln!(s, "{name} {v}");
                } else {
                    let _ = writeln!(s, "{name}{{{labels}}} {v}");
                }
            }
        }
        s
    }
}

/// Everything one role exposes, read inside its endpoint task.
fn role_sample(role: &crate::roles::Role) -> Value {
    match role.engine() {
        Engine::Server(s) => json!({ "server": s.stats(), "vcs": role.vcs().len() }),
        Engine::Distributed(d) => {
            let snap = d.scsp().snapshot();
            json!({
                "server": d.server().stats(),
                "vcs": role.vcs().len(),
                "dcs": snap.dcs.iter().map(|s| json!({
                    "peer": s.address.to_string(),
                    "hello": s.hello,
                    "ca": s.ca,
                    "counters": s.counters,
                })).collect::<Vec<_>>(),
                "cache_entries": snap.cache_entries,
                "ready": d.is_ready(),
                "learned_clients": d.snapshot().learned_clients,
                "advertised_clients": d.snapshot().advertised_clients,
            })
        }
        Engine::Client(c) => json!({ "client": c.stats(), "vcs": role.vcs().len(),
            "registered": c.is_registered() }),
        Engine::Mcs(m) => json!({ "mcs": m.stats(), "vcs": role.vcs().len(),
            "registered": m.is_registered() }),
    }
}

/// Build the page for `daemon`.
pub async fn collect(daemon: &Daemon) -> Page {
    let mut p = Page::default();
    p.add(
        "marsd_uptime_seconds",
        "gauge",
        "seconds since marsd started",
        &[],
        daemon.uptime(),
    );
    for r in daemon.roles() {
        let name = r.name.as_str();
        let role = [("role", name)];
        let kind = format!("{:?}", r.kind).to_lowercase();
        let (atm, udp) = (r.atm.to_string(), r.udp.to_string());
        p.add(
            "marsd_role_info",
            "gauge",
            "the roles of this marsd",
            &[
                ("role", name),
                ("kind", &kind),
                ("atm", &atm),
                ("udp", &udp),
            ],
            1.0,
        );
        let Ok(v) = r.with(|role, _| role_sample(role)).await else {
            continue;
        };
        p.add(
            "marsd_vcs",
            "gauge",
            "VCs the role holds",
            &role,
            v["vcs"].as_f64().unwrap_or(0.0),
        );
        if let Some(s) = v.get("server") {
            let mut s = s.clone();
            if let Some(m) = s.as_object_mut() {
                for g in ["mars_stat_reg_mem_groups", "mars_stat_reg_mcs_groups"] {
                    if let Some(x) = m.remove(g) {
                        p.add(
                            g,
                            "gauge",
                            &format!("RFC 2417 {}", camel(g)),
                            &role,
                            x.as_f64().unwrap_or(0.0),
                        );
                    }
                }
                let (mib, other): (
                    serde_json::Map<String, Value>,
                    serde_json::Map<String, Value>,
                ) = m
                    .clone()
                    .into_iter()
                    .partition(|(k, _)| k.starts_with("mars_stat_"));
                p.counters(&Value::Object(mib), "", &role, "reason");
                p.counters(&Value::Object(other), "mars_server_", &role, "reason");
            }
        }
        for (key, prefix) in [("client", "mars_client_"), ("mcs", "mars_mcs_")] {
            if let Some(s) = v.get(key) {
                let mut s = s.clone();
                let other = s.as_object_mut().and_then(|m| m.remove("other"));
                p.counters(&s, "", &role, "reason");
                if let Some(o) = other {
                    p.counters(&o, prefix, &role, "reason");
                }
                let reg = if v["registered"].as_bool() == Some(true) {
                    1.0
                } else {
                    0.0
                };
                p.add(
                    &format!("{prefix}registered"),
                    "gauge",
                    "1 when registered with a MARS",
                    &role,
                    reg,
                );
            }
        }
        if let Some(dcs) = v.get("dcs").and_then(Value::as_array) {
            for d in dcs {
                let peer = d["peer"].as_str().unwrap_or("");
                let l = [("role", name), ("peer", peer)];
                let mut c = d["counters"].clone();
                if let Some(m) = c.as_object_mut() {
                    for dir in ["sent", "received"] {
                        if let Some(Value::Object(by)) = m.remove(dir) {
                            for (ty, n) in by {
                                p.add(
                                    &format!("scsp_messages_{dir}_total"),
                                    "counter",
                                    &format!("SCSP messages {dir}, by type"),
                                    &[("role", name), ("peer", peer), ("type", &ty)],
                                    n.as_f64().unwrap_or(0.0),
                                );
                            }
                        }
                    }
                }
                p.counters(&c, "scsp_", &l, "kind");
                for (fsm, family) in [
                    ("hello", "scsp_peer_hello_state"),
                    ("ca", "scsp_peer_ca_state"),
                ] {
                    let st = d[fsm].as_str().unwrap_or("");
                    p.add(
                        family,
                        "gauge",
                        "1 for the current FSM state of the peer (RFC 2334 §2.1, §2.2)",
                        &[("role", name), ("peer", peer), ("state", st)],
                        1.0,
                    );
                }
            }
            p.add(
                "scsp_cache_entries",
                "gauge",
                "live SCSP cache entries",
                &role,
                v["cache_entries"].as_f64().unwrap_or(0.0),
            );
            p.add(
                "dmars_ready",
                "gauge",
                "1 once start-up (CMI range check) is over",
                &role,
                if v["ready"].as_bool() == Some(true) {
                    1.0
                } else {
                    0.0
                },
            );
            p.add(
                "dmars_learned_clients",
                "gauge",
                "peers' clients known",
                &role,
                v["learned_clients"].as_f64().unwrap_or(0.0),
            );
            p.add(
                "dmars_advertised_clients",
                "gauge",
                "own clients advertised",
                &role,
                v["advertised_clients"].as_f64().unwrap_or(0.0),
            );
        }
        let udp = json!(r.udp_counters());
        if let Some(m) = udp.as_object() {
            for (k, n) in m {
                let v = n.as_f64().unwrap_or(0.0);
                match k.strip_prefix("drop_") {
                    Some(reason) => p.add(
                        "atm_udp_drops_total",
                        "counter",
                        "datagrams the ATM emulation dropped, by reason",
                        &[("role", name), ("reason", reason)],
                        v,
                    ),
                    None => p.add(
                        &format!("atm_udp_{k}_total"),
                        "counter",
                        &k.replace('_', " "),
                        &role,
                        v,
                    ),
                }
            }
        }
    }
    p
}

/// The metrics listener.
#[derive(Debug)]
pub struct MetricsServer {
    /// The bound address.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl MetricsServer {
    /// Listen on `addr` and serve `daemon`'s metrics.
    pub async fn start(daemon: Arc<Daemon>, addr: SocketAddr) -> Result<MetricsServer, String> {
        let l = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("metrics listener {addr}: {e}"))?;
        let addr = l.local_addr().map_err(|e| e.to_string())?;
        let task = tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let d = daemon.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 8192];
                    let mut n = 0;
                    while n < buf.len() {
                        match s.read(&mut buf[n..]).await {
                            Ok(0) | Err(_) => break,
                            Ok(k) => n += k,
                        }
                        if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let head = String::from_utf8_lossy(&buf[..n]);
                    let resp = if head.starts_with("GET /metrics ") || head.starts_with("GET / ") {
                        let body = collect(&d).await.render();
                        format!("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n{body}", body.len())
                    } else {
                        {
                            let body = "try GET /metrics\n";
                            format!(
                                "HTTP/1.0 404 Not Found\r\nContent-Length: {}\r\n\r\n{body}",
                                body.len()
                            )
                        }
                    };
                    let _ = s.write_all(resp.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        Ok(MetricsServer { addr, task })
    }

    /// Stop listening.
    pub fn stop(self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mib_names_and_format() {
        assert_eq!(camel("mars_stat_tx_multi_msgs"), "marsStatTxMultiMsgs");
        let mut p = Page::default();
        p.counters(
            &json!({"mars_stat_tx_multi_msgs": 3, "by": {"a": 1}}),
            "",
            &[("role", "s")],
            "reason",
        );
        let t = p.render();
        assert!(
            t.contains("# HELP mars_stat_tx_multi_msgs_total RFC 2417 marsStatTxMultiMsgs\n"),
            "{t}"
        );
        assert!(
            t.contains("mars_stat_tx_multi_msgs_total{role=\"s\"} 3\n"),
            "{t}"
        );
        assert!(t.contains("by_total{role=\"s\",reason=\"a\"} 1\n"), "{t}");
    }
}
