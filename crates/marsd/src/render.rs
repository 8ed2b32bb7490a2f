//! `marsctl`'s human output: the JSON results of the control protocol as aligned text, and
//! the topology as Graphviz. (`--json` prints the results as they come.)

use std::fmt::Write as _;

use serde_json::Value;

/// Left-aligned columns; the first row is the header.
fn table(rows: &[Vec<String>]) -> String {
    let mut w = vec![0; rows.iter().map(Vec::len).max().unwrap_or(0)];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<width$}  ", width = w[i]);
            }
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn t(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "-".into(),
        Value::Array(a) => a.iter().map(t).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn heading(r: &Value) -> String {
    format!(
        "{} ({}) {}  udp {}\n",
        t(&r["role"]),
        t(&r["kind"]),
        t(&r["atm"]),
        t(&r["udp"])
    )
}

fn roles(v: &Value) -> impl Iterator<Item = &Value> {
    v["roles"].as_array().into_iter().flatten()
}

/// The human form of `show WHAT`'s result.
pub fn show(what: &str, v: &Value) -> String {
    let mut s = String::new();
    for (i, r) in roles(v).enumerate() {
        if i > 0 {
            s.push('\n');
        }
        if what != "roles" {
            s.push_str(&heading(r));
        }
        s.push_str(&match what {
            "roles" => table(&[vec![
                t(&r["role"]),
                t(&r["kind"]),
                t(&r["engine"]),
                t(&r["atm"]),
                t(&r["udp"]),
                format!("{} VCs", t(&r["vcs"])),
            ]]),
            "servers" => servers(r),
            "peers" => peers(r),
            "clients" => clients(r),
            "groups" => groups(r),
            "cache" => cache(r),
            "redirect-map" => redirect_map(r),
            "vcs" => vcs(r),
            "stats" => stats(r),
            "topology" => serde_json::to_string_pretty(r).unwrap_or_default() + "\n",
            _ => String::new(),
        });
    }
    s
}

fn servers(r: &Value) -> String {
    let mut s = format!(
        "  {} server, ready {}, CMIs {}, redirect map {}, backups {}\n",
        t(&r["engine"]),
        t(&r["ready"]),
        t(&r["cmi_range"]).replace(',', "-"),
        t(&r["redirect_map"]),
        t(&r["backups"])
    );
    if let Some(f) = r["fatal"].as_str() {
        let _ = writeln!(s, "  REFUSING CLIENTS: {f}");
    }
    for c in r["clusters"].as_array().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  {}: CSN {} SSN {}, {} members ({} local), {} MCSs, {} groups",
            t(&c["pro"]),
            t(&c["csn"]),
            t(&c["ssn"]),
            t(&c["members"]),
            t(&c["local_members"]),
            t(&c["mcss"]),
            t(&c["groups"])
        );
    }
    if let Some(p) = r["peers"].as_array().filter(|p| !p.is_empty()) {
        let mut rows = vec![vec![
            "  SERVER ID".into(),
            "ADDRESS".into(),
            "LAST REDIRECT (s ago)".into(),
            "CLIENTS".into(),
        ]];
        for x in p {
            rows.push(vec![
                format!("  {:#010x}", x["id"].as_u64().unwrap_or(0)),
                t(&x["address"]),
                t(&x["last_redirect_age_s"]),
                t(&x["clients"]),
            ]);
        }
        s.push_str(&table(&rows));
    }
    s
}

fn peers(r: &Value) -> String {
    let mut rows = vec![[
        "  #", "ADDRESS", "ID", "HELLO", "CA", "ROLE", "CA SEQ", "VC", "AUTH", "SENT", "RCVD",
        "DISC",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect::<Vec<_>>()];
    for d in r["dcs"].as_array().into_iter().flatten() {
        rows.push(vec![
            format!("  {}", t(&d["index"])),
            t(&d["address"]),
            t(&d["id"]),
            t(&d["hello"]),
            t(&d["ca"]),
            t(&d["role"]),
            t(&d["ca_seq"]),
            t(&d["vc"]),
            t(&d["auth"]),
            t(&d["sent"]),
            t(&d["received"]),
            t(&d["discards"]),
        ]);
    }
    table(&rows)
}

fn clients(r: &Value) -> String {
    if r.get("clusters").is_none() {
        let mut s = format!(
            "  {} (CMI {}) with MARS {}, HSN {}\n",
            t(&r["registration"]),
            t(&r["cmi"]),
            t(&r["mars"]),
            t(&r["hsn"])
        );
        for e in r["elections"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "  mcslist for {}: {}, following {}; HelloInterval {} s × DeadFactor {}; dead: {}",
                t(&e["groups"]),
                t(&e["state"]),
                t(&e["leader"]),
                t(&e["hello_interval"]),
                t(&e["dead_factor"]),
                t(&e["dead"])
            );
        }
        return s;
    }
    let mut s = String::new();
    for c in r["clusters"].as_array().into_iter().flatten() {
        let mut rows = vec![vec![
            format!("  {} CMI", t(&c["pro"])),
            "ATM ADDRESS".into(),
            "ORIGIN".into(),
            "GROUPS".into(),
        ]];
        for m in c["members"].as_array().into_iter().flatten() {
            rows.push(vec![
                format!("  {}", t(&m["cmi"])),
                t(&m["address"]),
                t(&m["origin"]),
                t(&m["groups"]),
            ]);
        }
        for m in c["mcss"].as_array().into_iter().flatten() {
            rows.push(vec![
                format!("  mcs {}", t(&m["id"])),
                t(&m["address"]),
                t(&m["origin"]),
                t(&m["groups"]),
            ]);
        }
        s.push_str(&table(&rows));
    }
    s
}

fn groups(r: &Value) -> String {
    if let Some(ms) = r["memberships"].as_array() {
        let mut rows = vec![vec!["  GROUP".into(), "STATE".into(), "LAYER3".into()]];
        for m in ms {
            let g = if m["min"] == m["max"] {
                t(&m["min"])
            } else {
                format!("{}-{}", t(&m["min"]), t(&m["max"]))
            };
            rows.push(vec![format!("  {g}"), t(&m["state"]), t(&m["layer3"])]);
        }
        return table(&rows);
    }
    let mut s = String::new();
    for c in r["clusters"].as_array().into_iter().flatten() {
        let mut rows = vec![vec![
            format!("  {} GROUP", t(&c["pro"])),
            "MEMBERS (CMI address)".into(),
            "MCSS".into(),
        ]];
        let who = |a: &Value, k: &str| -> String {
            let v: Vec<String> = a
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| format!("{} {}", t(&m[k]), t(&m["address"])))
                .collect();
            if v.is_empty() {
                "-".into()
            } else {
                v.join("; ")
            }
        };
        for g in c["groups"].as_array().into_iter().flatten() {
            rows.push(vec![
                format!("  {}", t(&g["group"])),
                who(&g["members"], "cmi"),
                who(&g["mcss"], "id"),
            ]);
        }
        for b in c["blocks"].as_array().into_iter().flatten() {
            rows.push(vec![
                format!("  {}-{}", t(&b["min"]), t(&b["max"])),
                format!("{} {}", t(&b["cmi"]), t(&b["address"])),
                "-".into(),
            ]);
        }
        s.push_str(&table(&rows));
    }
    s
}

fn cache(r: &Value) -> String {
    let mut rows = vec![[
        "  KEY",
        "ORIGINATOR",
        "SEQ",
        "STATE",
        "CMI",
        "ADDRESS",
        "AGE ms",
        "SOURCE",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect::<Vec<_>>()];
    for e in r["entries"].as_array().into_iter().flatten() {
        let state = if e["purged"] == Value::Bool(true) {
            "purged".into()
        } else {
            t(&e["state"])
        };
        rows.push(vec![
            format!("  {}", t(&e["key"])),
            t(&e["origin"]),
            t(&e["seq"]),
            state,
            t(&e["cmi"]),
            t(&e["address"]),
            t(&e["age_ms"]),
            t(&e["source"]),
        ]);
    }
    table(&rows)
}

fn redirect_map(r: &Value) -> String {
    let mut s = String::new();
    if let Some(list) = r["servers"].as_array() {
        let _ = writeln!(
            s,
            "  MARS_REDIRECT_MAP every {}s, {} redirect:",
            t(&r["interval_s"]),
            if r["hard"] == Value::Bool(true) {
                "hard"
            } else {
                "soft"
            }
        );
        for (i, a) in list.iter().enumerate() {
            let _ = writeln!(s, "  {}. {}", i + 1, t(a));
        }
    } else {
        let _ = writeln!(s, "  current MARS {}", t(&r["current"]));
        for (i, a) in r["table"].as_array().into_iter().flatten().enumerate() {
            let _ = writeln!(s, "  {}. {}", i + 1, t(a));
        }
    }
    s
}

fn vcs(r: &Value) -> String {
    let mut rows = vec![[
        "  VC",
        "VPI/VCI",
        "KIND",
        "STATE",
        "PEER / LEAVES",
        "TX",
        "RX",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect::<Vec<_>>()];
    for v in r["vcs"].as_array().into_iter().flatten() {
        let peer = match v["parties"].as_array().filter(|p| !p.is_empty()) {
            Some(ps) => ps
                .iter()
                .map(|p| t(&p["to"]))
                .collect::<Vec<_>>()
                .join(", "),
            None => t(&v["peer"]),
        };
        rows.push(vec![
            format!("  {}", t(&v["vc"])),
            t(&v["label"]),
            t(&v["kind"]),
            t(&v["state"]),
            peer,
            t(&v["sdus_tx"]),
            t(&v["sdus_rx"]),
        ]);
    }
    table(&rows)
}

fn flat(prefix: &str, v: &Value, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flat(&p, x, out);
            }
        }
        other => out.push(vec![format!("  {prefix}"), t(other)]),
    }
}

fn stats(r: &Value) -> String {
    let mut rows = Vec::new();
    for k in ["mars", "dmars", "scsp", "client", "mcs", "emulation"] {
        if let Some(x) = r.get(k) {
            flat(k, x, &mut rows);
        }
    }
    for (k, x) in r.as_object().into_iter().flatten() {
        if k.starts_with("election") {
            flat(k, x, &mut rows);
        }
    }
    table(&rows)
}

/// `resolve`'s answer.
pub fn resolve(v: &Value) -> String {
    match v["answer"].as_str() {
        Some("multi") => {
            let mut s = format!(
                "MARS_MULTI from {} for {}: {} member(s) in {} part(s), CSN {}\n",
                t(&v["mars"]),
                t(&v["group"]),
                v["targets"].as_array().map_or(0, Vec::len),
                t(&v["parts"]),
                t(&v["msn"])
            );
            for a in v["targets"].as_array().into_iter().flatten() {
                let _ = writeln!(s, "  {}", t(a));
            }
            s
        }
        Some("nak") => format!(
            "MARS_NAK from {} for {}: no member\n",
            t(&v["mars"]),
            t(&v["group"])
        ),
        _ => format!("{v}\n"),
    }
}

/// `status`'s result.
pub fn status(v: &Value) -> String {
    let mut s = format!(
        "marsd {} (pid {}), up {:.0}s, control {}, metrics {}\n",
        t(&v["version"]),
        t(&v["pid"]),
        v["uptime_s"].as_f64().unwrap_or(0.0),
        t(&v["control_socket"]),
        t(&v["metrics"])
    );
    let mut rows = Vec::new();
    for r in v["roles"].as_array().into_iter().flatten() {
        rows.push(vec![
            format!("  {}", t(&r["name"])),
            t(&r["kind"]),
            t(&r["atm"]),
            t(&r["udp"]),
        ]);
    }
    s.push_str(&table(&rows));
    s
}

/// One received datagram.
pub fn datagram(v: &Value) -> String {
    format!(
        "{} <- cmi {} [{}]: {}",
        t(&v["group"]),
        t(&v["source_cmi"]),
        t(&v["role"]),
        t(&v["text"])
    )
}

/// A quoted DOT string; `\n` in labels is DOT's line break and is kept.
fn q(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

/// The server group and who is registered where, as Graphviz (`show topology --dot`):
/// servers are boxes (solid edges: SCSP DCS links labelled with their Hello/CA states),
/// members are ellipses (MCSs diamonds) joined to the server they are registered with.
pub fn topology_dot(v: &Value) -> String {
    let mut s = String::from("digraph dmars {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
    let mut edges = Vec::new();
    for r in roles(v) {
        let Some(addr) = r["address"].as_str() else {
            continue;
        };
        if r.get("members").is_some() {
            let id = r["server_id"]
                .as_str()
                .map(|i| format!("\\nSCSP ID {i}"))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "  {} [shape=box, style=bold, label={}];",
                q(addr),
                q(&format!("{}{id}", t(&r["role"])))
            );
            for d in r["dcs"].as_array().into_iter().flatten() {
                let other = t(&d["address"]);
                let _ = writeln!(s, "  {} [shape=box];", q(&other));
                edges.push(format!(
                    "  {} -> {} [label={}, dir=none];",
                    q(addr),
                    q(&other),
                    q(&format!("{}/{}", t(&d["hello"]), t(&d["ca"])))
                ));
            }
            // SCSP IDs of the peers, to draw learned members at the server they registered with.
            let mut ids = std::collections::BTreeMap::new();
            for p in r["servers"].as_array().into_iter().flatten() {
                if let (Some(id), Some(a)) = (p["id"].as_u64(), p["address"].as_str()) {
                    ids.insert(id, a.to_string());
                }
            }
            for m in r["members"].as_array().into_iter().flatten() {
                let ma = t(&m["address"]);
                let shape = if m["mcs"] == Value::Bool(true) {
                    "diamond"
                } else {
                    "ellipse"
                };
                let _ = writeln!(
                    s,
                    "  {} [shape={shape}, label={}];",
                    q(&ma),
                    q(&format!("CMI {}\\n{ma}", t(&m["cmi"])))
                );
                let origin = t(&m["origin"]);
                let home = origin
                    .strip_prefix("peer 0x")
                    .and_then(|h| u64::from_str_radix(h, 16).ok())
                    .and_then(|id| ids.get(&id).cloned());
                match home {
                    _ if origin == "local" => edges.push(format!("  {} -> {};", q(&ma), q(addr))),
                    Some(h) => edges.push(format!(
                        "  {} -> {} [style=dashed, label=\"learned by {}\"];",
                        q(&ma),
                        q(&h),
                        t(&r["role"])
                    )),
                    None => edges.push(format!(
                        "  {} -> {} [style=dashed, label={}];",
                        q(&ma),
                        q(addr),
                        q(&origin)
                    )),
                }
            }
        } else {
            let _ = writeln!(
                s,
                "  {} [shape=ellipse, label={}];",
                q(addr),
                q(&format!("{}\\n{addr}", t(&r["role"])))
            );
            let style = if r["registered"] == Value::Bool(true) {
                "solid"
            } else {
                "dotted"
            };
            edges.push(format!(
                "  {} -> {} [style={style}];",
                q(addr),
                q(&t(&r["mars"]))
            ));
        }
    }
    edges.sort();
    edges.dedup();
    for e in edges {
        s.push_str(&e);
        s.push('\n');
    }
    s.push_str("}\n");
    s
}
