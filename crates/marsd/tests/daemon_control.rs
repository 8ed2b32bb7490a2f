//! The control protocol and the daemon's roles end to end, in process, on loopback: a MARS
//! server and two clients in two daemons; join, show, resolve (MULTI and NAK), send and
//! recv; errors as one line; metrics; reload accepted and refused; clean shutdown
//! deregistering the clients.

mod daemon_support;

use std::io::{Read, Write};
use std::time::Duration;

use daemon_support::{atm, ctl, show, start, tempdir, wait_for};
use marsd::control::protocol::Request;
use serde_json::Value;

fn server_toml(dir: &std::path::Path, extra: &str) -> String {
    format!(
        r#"
[daemon]
control_socket = "{}/server.sock"
shutdown_grace = "1s"
[metrics]
listen = "127.0.0.1:0"
[emulation]
retransmit_interval = "20ms"
keepalive_interval = "100ms"
[server]
bind = "127.0.0.1:0"
redirect_interval = "1s"
{extra}
"#,
        dir.display()
    )
}

fn clients_toml(dir: &std::path::Path, mars: &str) -> String {
    format!(
        r#"
[daemon]
control_socket = "{}/clients.sock"
shutdown_grace = "2s"
[emulation]
retransmit_interval = "20ms"
keepalive_interval = "100ms"
[[client]]
name = "c1"
bind = "127.0.0.2:0"
mars = ["{mars}"]
protocol_address = "10.0.0.2"
[client.timers]
scale = 20
[[client]]
name = "c2"
bind = "127.0.0.3:0"
mars = ["{mars}"]
groups = ["224.1.2.3"]
[client.timers]
scale = 20
"#,
        dir.display()
    )
}

fn req(v: Value) -> Request {
    serde_json::from_value(v).unwrap()
}

fn members(groups: &Value, group: &str) -> Vec<String> {
    groups["roles"][0]["clusters"][0]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["group"] == group)
        .flat_map(|g| g["members"].as_array().cloned().unwrap_or_default())
        .map(|m| m["address"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_and_clients_over_the_control_socket() {
    let dir = tempdir("control");
    let server = start(&dir, "server.toml", &server_toml(&dir, "")).await;
    let mars = atm(&server);
    let clients = start(&dir, "clients.toml", &clients_toml(&dir, &mars)).await;
    let (ss, cs) = (dir.join("server.sock"), dir.join("clients.sock"));
    let (c1, c2) = (
        clients.daemon.roles()[0].atm.to_string(),
        clients.daemon.roles()[1].atm.to_string(),
    );

    // Two client roles: the role must be named.
    let e = ctl(
        &cs,
        req(serde_json::json!({"cmd":"join","group":"224.1.2.3"})),
    )
    .await;
    assert_eq!(
        e.unwrap_err(),
        "several roles fit (c1, c2): choose one with --role"
    );
    let v = ctl(
        &cs,
        req(serde_json::json!({"cmd":"join","group":"224.1.2.3","role":"c1"})),
    )
    .await
    .unwrap();
    assert_eq!(v["joined"], true);

    // Both members appear at the server (c2 joined from its configuration).
    let groups = wait_for(Duration::from_secs(10), "two members", || {
        let ss = ss.clone();
        async move {
            let g = ctl(&ss, show("groups", None)).await.ok()?;
            (members(&g, "224.1.2.3").len() == 2).then_some(g)
        }
    })
    .await;
    let mut m = members(&groups, "224.1.2.3");
    m.sort();
    let mut want = vec![c1.clone(), c2.clone()];
    want.sort();
    assert_eq!(m, want);
    let cl = ctl(&ss, show("clients", None)).await.unwrap();
    assert_eq!(
        cl["roles"][0]["clusters"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        cl["roles"][0]["clusters"][0]["members"][0]["origin"],
        "local"
    );

    // resolve: what the MARS answers.
    let r = ctl(
        &cs,
        req(serde_json::json!({"cmd":"resolve","group":"224.1.2.3","role":"c1"})),
    )
    .await
    .unwrap();
    assert_eq!(r["answer"], "multi");
    assert_eq!(r["targets"].as_array().unwrap().len(), 2);
    assert_eq!(r["mars"], mars.as_str());
    let r = ctl(
        &cs,
        req(serde_json::json!({"cmd":"resolve","group":"224.9.9.9","role":"c2"})),
    )
    .await
    .unwrap();
    assert_eq!(r["answer"], "nak");

    // recv on c2 (a stream on its own connection), send from c1.
    let cs2 = cs.clone();
    let receiver = tokio::task::spawn_blocking(move || {
        let mut c = marsd::control::client::Client::connect(&cs2).unwrap();
        let mut got = Vec::new();
        let fin = c
            .stream(
                &req(serde_json::json!({"cmd":"recv","count":1,"role":"c2"})),
                |d| {
                    got.push(d);
                    true
                },
            )
            .unwrap();
        (got, fin)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s = ctl(
        &cs,
        req(serde_json::json!({"cmd":"send","group":"224.1.2.3","text":"hello group","role":"c1"})),
    )
    .await
    .unwrap();
    assert_eq!(s["octets"], 31);
    let (got, fin) = tokio::time::timeout(Duration::from_secs(10), receiver)
        .await
        .expect("datagram within 10 s")
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["text"], "hello group");
    assert_eq!(got[0]["group"], "224.1.2.3");
    assert_eq!(fin["received"], 1);

    // Views every role can answer.
    let vcs = ctl(&ss, show("vcs", None)).await.unwrap();
    let rows = vcs["roles"][0]["vcs"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["kind"] == "root"));
    assert!(rows
        .iter()
        .all(|r| r["label"].as_str().unwrap().starts_with("0/")));
    let st = ctl(&ss, show("stats", None)).await.unwrap();
    assert!(
        st["roles"][0]["mars"]["mars_stat_rx_join_msgs"]
            .as_u64()
            .unwrap()
            >= 4
    );
    assert!(
        st["roles"][0]["emulation"]["datagrams_in"]
            .as_u64()
            .unwrap()
            > 0
    );
    let rm = ctl(&ss, show("redirect-map", None)).await.unwrap();
    assert_eq!(rm["roles"][0]["servers"][0], mars.as_str());
    let rm = ctl(&cs, show("redirect-map", Some("c2"))).await.unwrap();
    assert_eq!(rm["roles"][0]["current"], mars.as_str());
    let topo = ctl(&ss, show("topology", None)).await.unwrap();
    let dot = marsd::render::topology_dot(&topo);
    assert!(
        dot.starts_with("digraph dmars {") && dot.contains(&format!("\"{c1}\" -> \"{mars}\"")),
        "{dot}"
    );
    let status = ctl(&cs, Request::Status {}).await.unwrap();
    assert_eq!(status["roles"].as_array().unwrap().len(), 2);

    // Errors are one line and leave the connection usable.
    for (r, want) in [
        (
            serde_json::json!({"cmd":"show","what":"peers"}),
            "nothing to show for peers: no role of this marsd has it (roles: server (server))",
        ),
        (
            serde_json::json!({"cmd":"show","what":"cache"}),
            "nothing to show for cache: no role of this marsd has it (roles: server (server))",
        ),
        (
            serde_json::json!({"cmd":"join","group":"224.1.2.3"}),
            "no client role in this marsd (roles: server)",
        ),
        (
            serde_json::json!({"cmd":"show","what":"groups","role":"nope"}),
            "no role \"nope\" in this marsd (roles: server)",
        ),
    ] {
        assert_eq!(ctl(&ss, req(r)).await.unwrap_err(), want);
    }
    for (r, want) in [
        (serde_json::json!({"cmd":"join","group":"224.1.2","role":"c1"}), "not a group: expected an IPv4 address or a block MIN-MAX (e.g. 224.1.2.3 or 224.1.0.0-224.1.0.255)"),
        (serde_json::json!({"cmd":"join","group":"224.1.2.3","role":"c1"}), "already joined"),
        (serde_json::json!({"cmd":"leave","group":"224.7.7.7","role":"c1"}), "not joined"),
        (serde_json::json!({"cmd":"resolve","group":"224.1.0.0-224.1.0.9","role":"c1"}), "resolve one group, not a block (MARS_REQUEST names one group)"),
    ] {
        assert_eq!(ctl(&cs, req(r)).await.unwrap_err(), want);
    }
    // Raw lines: malformed JSON and unknown commands or fields.
    let mut raw = std::os::unix::net::UnixStream::connect(&ss).unwrap();
    raw.write_all(
        b"{nope\n{\"cmd\":\"fly\"}\n{\"cmd\":\"status\",\"x\":1}\n{\"cmd\":\"status\"}\n",
    )
    .unwrap();
    raw.shutdown(std::net::Shutdown::Write).unwrap();
    let mut text = String::new();
    raw.read_to_string(&mut text).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("bad request: key must be a string"));
    assert!(lines[1]["error"]
        .as_str()
        .unwrap()
        .starts_with("bad request: unknown variant `fly`"));
    assert!(lines[2]["error"]
        .as_str()
        .unwrap()
        .starts_with("bad request: unknown field `x`"));
    assert_eq!(lines[3]["ok"], true);

    // Metrics: the MIB names, SCSP-less server, emulation drops.
    let addr = server.daemon.metrics.lock().unwrap().unwrap();
    let page = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
        let mut t = String::new();
        s.read_to_string(&mut t).unwrap();
        t
    })
    .await
    .unwrap();
    assert!(page.starts_with("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4"));
    for needle in [
        "# TYPE mars_stat_rx_join_msgs_total counter",
        "# HELP mars_stat_tx_multi_msgs_total RFC 2417 marsStatTxMultiMsgs",
        "mars_stat_reg_mem_groups{role=\"server\"} 1",
        "mars_server_registrations_total{role=\"server\"} 2",
        "atm_udp_drops_total{role=\"server\",reason=\"malformed\"} 0",
        "atm_udp_datagrams_in_total{role=\"server\"}",
        "marsd_role_info{role=\"server\",kind=\"server\"",
    ] {
        assert!(page.contains(needle), "{needle} missing from\n{page}");
    }

    // Reload: a backup list is applied; a changed bind is refused with its line.
    let backup = "47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00";
    let p = dir.join("server.toml");
    std::fs::write(&p, server_toml(&dir, &format!("backups = [\"{backup}\"]"))).unwrap();
    let v = ctl(&ss, Request::Reload {}).await.unwrap();
    assert_eq!(v["applied"][0], "server.backups: 1 entries");
    let rm = ctl(&ss, show("redirect-map", None)).await.unwrap();
    assert_eq!(rm["roles"][0]["servers"][1], backup);
    std::fs::write(
        &p,
        server_toml(&dir, "").replace("127.0.0.1:0\"\nredirect", "127.0.0.1:1\"\nredirect"),
    )
    .unwrap();
    let e = ctl(&ss, Request::Reload {}).await.unwrap_err();
    assert_eq!(e, "line 11, server.bind: this key cannot change while marsd runs: restart it (reload refused)");
    std::fs::write(&p, "[server\n").unwrap();
    let e = ctl(&ss, Request::Reload {}).await.unwrap_err();
    assert!(e.starts_with("line 1: invalid table header"), "{e}");

    // Clean shutdown: the clients deregister, the server forgets them.
    clients.stop().await;
    wait_for(Duration::from_secs(5), "members gone", || {
        let ss = ss.clone();
        async move {
            let c = ctl(&ss, show("clients", None)).await.ok()?;
            c["roles"][0]["clusters"][0]["members"]
                .as_array()?
                .is_empty()
                .then_some(())
        }
    })
    .await;
    assert!(!cs.exists(), "control socket removed at shutdown");
    server.stop().await;
}

/// Two servers of one server group (RFC 2443) in two daemons, with HMAC keys: SCSP aligns,
/// a client registered with one is learned by the other, the views show peers and cache,
/// and a key rollover is applied by reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_synchronise() {
    let dir = tempdir("dmars");
    // Fixed ports: each server names the other as a peer before either is bound.
    let base = 20_000 + (std::process::id() % 20_000) as u16;
    let (pa, pb) = (base, base + 1);
    let a_atm = marsd::atm_udp::embed_ipv4(format!("127.0.0.1:{pa}").parse().unwrap()).to_string();
    let b_atm = marsd::atm_udp::embed_ipv4(format!("127.0.0.4:{pb}").parse().unwrap()).to_string();
    let server = |name: &str,
                  ip: &str,
                  port: u16,
                  id: u32,
                  cmi: &str,
                  peer: &str,
                  peer_id: u32,
                  keys: &str| {
        format!(
            r#"
[daemon]
control_socket = "{d}/{name}.sock"
[emulation]
retransmit_interval = "20ms"
keepalive_interval = "100ms"
[server]
name = "{name}"
bind = "{ip}:{port}"
cmi_range = {cmi}
redirect_interval = "1s"
[server.scsp]
server_id = {id}
origination_hold = "off"
startup_hold = "2s"
connect_retry = "200ms"
callee_fallback = "1s"
hello_interval = "200ms"
ca_rexmt_interval = "200ms"
csus_rexmt_interval = "200ms"
csu_rexmt_interval = "200ms"
[[server.peers]]
address = "{peer}"
id = {peer_id}
{keys}
"#,
            d = dir.display()
        )
    };
    let keys = "[[server.peers.keys]]\nspi = 7\nalgorithm = \"hmac-sha-256\"\nkey = \"00112233445566778899aabbccddeeff\"\n";
    let a = start(
        &dir,
        "a.toml",
        &server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, keys),
    )
    .await;
    let b = start(
        &dir,
        "b.toml",
        &server("b", "127.0.0.4", pb, 2, "[1000, 1999]", &a_atm, 1, keys),
    )
    .await;
    let (sa, sb) = (dir.join("a.sock"), dir.join("b.sock"));
    let peers = wait_for(Duration::from_secs(15), "alignment", || {
        let sa = sa.clone();
        async move {
            let p = ctl(&sa, show("peers", None)).await.ok()?;
            (p["roles"][0]["dcs"][0]["ca"] == "aligned").then_some(p)
        }
    })
    .await;
    let d = &peers["roles"][0]["dcs"][0];
    assert_eq!(
        (d["hello"].as_str(), d["auth"].as_str()),
        (Some("bidirectional"), Some("mandatory"))
    );
    assert_eq!(d["address"], b_atm.as_str());

    let clients = start(
        &dir,
        "c.toml",
        &format!(
            "[daemon]\ncontrol_socket = \"{}/c.sock\"\n[[client]]\nbind = \"127.0.0.2:0\"\nmars = [\"{a_atm}\", \"{b_atm}\"]\ngroups = [\"224.5.5.5\"]\n[client.timers]\nscale = 20\n",
            dir.display()
        ),
    )
    .await;
    let me = atm(&clients);
    // Learned by b from a (RFC 2443 client join record).
    let groups = wait_for(Duration::from_secs(15), "learned member", || {
        let sb = sb.clone();
        async move {
            let g = ctl(&sb, show("groups", None)).await.ok()?;
            (members(&g, "224.5.5.5").len() == 1).then_some(g)
        }
    })
    .await;
    assert_eq!(members(&groups, "224.5.5.5"), vec![me.clone()]);
    let cl = ctl(&sb, show("clients", None)).await.unwrap();
    assert_eq!(
        cl["roles"][0]["clusters"][0]["members"][0]["origin"],
        "peer 0x00000001"
    );
    let cache = ctl(&sb, show("cache", None)).await.unwrap();
    let entries = cache["roles"][0]["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["state"] == "ClientJoin" && e["address"] == me.as_str()),
        "{cache}"
    );
    assert!(
        entries.iter().any(|e| e["state"] == "ServerRedirect"),
        "{cache}"
    );
    let servers = ctl(&sa, show("servers", None)).await.unwrap();
    assert_eq!(servers["roles"][0]["engine"], "distributed");
    assert_eq!(servers["roles"][0]["server_id"], "00000001");
    assert_eq!(servers["roles"][0]["redirect_map"][1], b_atm.as_str());
    let topo = ctl(&sb, show("topology", None)).await.unwrap();
    let dot = marsd::render::topology_dot(&topo);
    assert!(
        dot.contains(&format!(
            "\"{me}\" -> \"{a_atm}\" [style=dashed, label=\"learned by b\"]"
        )),
        "{dot}"
    );

    // Key rollover by reload: a second SPI is installed and used for sending.
    let newkeys = format!("{keys}send_spi = 8\n[[server.peers.keys]]\nspi = 8\nkey = \"ffeeddccbbaa99887766554433221100\"\n")
        .replacen("send_spi = 8\n", "", 1);
    let text = server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, &newkeys);
    std::fs::write(dir.join("a.toml"), text).unwrap();
    let v = ctl(&sa, Request::Reload {}).await.unwrap();
    assert_eq!(
        v["applied"][0],
        format!("server.peers[0] ({b_atm}): auth Mandatory, 2 keys, 0 removed")
    );
    // A third server, c, names a; a adds c by reload: they align and c learns the member.
    let pc = base + 2;
    let c_atm = marsd::atm_udp::embed_ipv4(format!("127.0.0.5:{pc}").parse().unwrap()).to_string();
    let c = start(
        &dir,
        "c3.toml",
        &server("c3", "127.0.0.5", pc, 3, "[2000, 2999]", &a_atm, 1, ""),
    )
    .await;
    let sc = dir.join("c3.sock");
    let with_c = format!("{newkeys}[[server.peers]]\naddress = \"{c_atm}\"\nid = 3\n");
    std::fs::write(
        dir.join("a.toml"),
        server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, &with_c),
    )
    .unwrap();
    let v = ctl(&sa, Request::Reload {}).await.unwrap();
    assert_eq!(
        v["applied"],
        serde_json::json!([format!("server.peers[1] ({c_atm}): added")])
    );
    let peers = wait_for(Duration::from_secs(15), "a aligned with c", || {
        let sa = sa.clone();
        async move {
            let p = ctl(&sa, show("peers", None)).await.ok()?;
            let dcs = p["roles"][0]["dcs"].as_array()?.clone();
            (dcs.len() == 2 && dcs.iter().all(|d| d["ca"] == "aligned")).then_some(dcs)
        }
    })
    .await;
    assert_eq!(
        (peers[1]["index"].as_u64(), peers[1]["address"].as_str()),
        (Some(1), Some(c_atm.as_str()))
    );
    wait_for(Duration::from_secs(15), "learned by c", || {
        let sc = sc.clone();
        let me = me.clone();
        async move {
            let g = ctl(&sc, show("groups", None)).await.ok()?;
            (members(&g, "224.5.5.5") == vec![me]).then_some(())
        }
    })
    .await;
    // New settings for c: the peer restarts with them (same index) and realigns.
    let slower = format!("{with_c}hello_interval = \"300ms\"\n");
    std::fs::write(
        dir.join("a.toml"),
        server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, &slower),
    )
    .unwrap();
    let v = ctl(&sa, Request::Reload {}).await.unwrap();
    assert_eq!(
        v["applied"],
        serde_json::json!([format!(
            "server.peers[1] ({c_atm}): settings changed, peer restarted"
        )])
    );
    wait_for(Duration::from_secs(15), "a realigned with c", || {
        let sa = sa.clone();
        async move {
            let p = ctl(&sa, show("peers", None)).await.ok()?;
            let d = &p["roles"][0]["dcs"][1];
            (d["index"] == 1 && d["ca"] == "aligned").then_some(())
        }
    })
    .await;
    // Reloading the same file again changes nothing.
    let v = ctl(&sa, Request::Reload {}).await.unwrap();
    assert_eq!(v["applied"], serde_json::json!(["no change"]));
    // A peer that is invalid refuses the whole reload, with line and key.
    let own = format!("{with_c}[[server.peers]]\naddress = \"{a_atm}\"\n");
    std::fs::write(
        dir.join("a.toml"),
        server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, &own),
    )
    .unwrap();
    let e = ctl(&sa, Request::Reload {}).await.unwrap_err();
    assert_eq!(
        e,
        "line 36, server.peers[2].address: is this server's own ATM address"
    );
    // a removes c by reload: its VC goes, c sees a down; b is undisturbed.
    std::fs::write(
        dir.join("a.toml"),
        server("a", "127.0.0.1", pa, 1, "[1, 999]", &b_atm, 2, &newkeys),
    )
    .unwrap();
    let v = ctl(&sa, Request::Reload {}).await.unwrap();
    assert_eq!(
        v["applied"],
        serde_json::json!([format!("server.peers: {c_atm} removed")])
    );
    let p = ctl(&sa, show("peers", None)).await.unwrap();
    let dcs = p["roles"][0]["dcs"].as_array().unwrap();
    assert_eq!(dcs.len(), 1);
    assert_eq!(dcs[0]["address"], b_atm.as_str());
    assert_eq!(dcs[0]["ca"], "aligned");
    wait_for(Duration::from_secs(5), "c sees a gone", || {
        let sc = sc.clone();
        async move {
            let p = ctl(&sc, show("peers", None)).await.ok()?;
            (p["roles"][0]["dcs"][0]["hello"] != "bidirectional").then_some(())
        }
    })
    .await;
    let servers = ctl(&sa, show("servers", None)).await.unwrap();
    assert!(
        !servers["roles"][0]["redirect_map"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == c_atm.as_str()),
        "{servers}"
    );

    clients.stop().await;
    a.stop().await;
    b.stop().await;
    c.stop().await;
}

/// A MARS server, and a second daemon with two MCS roles `m1` and `m2` on 127.0.0.2 and .3
/// (UDP ports `port` and `port + 1`, so their ATM addresses are known beforehand for the
/// mcslists); `lists(m1, m2)` is what each `[[mcs]]` adds: its groups and lists.
struct McsPair {
    _server: marsd::runner::Running,
    _mcs: marsd::runner::Running,
    server_sock: std::path::PathBuf,
    mcs_sock: std::path::PathBuf,
    m1: String,
    m2: String,
}

impl McsPair {
    async fn start(name: &str, port: u16, lists: impl Fn(&str, &str) -> String) -> McsPair {
        let dir = tempdir(name);
        let server = start(&dir, "server.toml", &server_toml(&dir, "")).await;
        let mars = atm(&server);
        let (b1, b2) = (
            format!("127.0.0.2:{port}"),
            format!("127.0.0.3:{}", port + 1),
        );
        let a = |b: &str| marsd::atm_udp::embed_ipv4(b.parse().unwrap()).to_string();
        let (m1, m2) = (a(&b1), a(&b2));
        let role = |name: &str, bind: &str| {
            format!(
                "[[mcs]]\nname = \"{name}\"\nbind = \"{bind}\"\nmars = [\"{mars}\"]\n{}\
                 [mcs.timers]\nscale = 20\nhello_interval = 1\n",
                lists(&m1, &m2)
            )
        };
        let toml = format!(
            "[daemon]\ncontrol_socket = \"{dir}/mcs.sock\"\nshutdown_grace = \"1s\"\n\
             [emulation]\nretransmit_interval = \"20ms\"\nkeepalive_interval = \"100ms\"\n{}{}",
            role("m1", &b1),
            role("m2", &b2),
            dir = dir.display()
        );
        let mcs = start(&dir, "mcs.toml", &toml).await;
        McsPair {
            _server: server,
            _mcs: mcs,
            server_sock: dir.join("server.sock"),
            mcs_sock: dir.join("mcs.sock"),
            m1,
            m2,
        }
    }
}

/// RFC 2149 §5 through the daemon: two MCS roles in one mcslist. The first serves the group
/// (the MARS lists it alone) and sends HELLOs; the second stands by; `marsctl show clients`
/// and `show stats` say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcslist_shows_its_election() {
    let m = McsPair::start("mcslist", 39461, |m1, m2| {
        format!("groups = [\"224.5.5.5\"]\nmcslist = [\"{m1}\", \"{m2}\"]\n")
    })
    .await;
    let (ss, ms, m1) = (m.server_sock.clone(), m.mcs_sock.clone(), m.m1.clone());
    let election = |role: &'static str| {
        let ms = ms.clone();
        async move {
            let v = ctl(&ms, show("clients", Some(role))).await.ok()?;
            Some(v["roles"][0]["elections"][0].clone())
        }
    };
    // m1 is the first of the list: it serves 224.5.5.5 and has sent HELLOs to m2.
    let e1 = wait_for(
        Duration::from_secs(10),
        "m1 active with HELLOs sent",
        || async {
            let e = election("m1").await?;
            (e["state"] == "Active" && e["stats"]["hellos_sent"].as_u64() > Some(0)).then_some(e)
        },
    )
    .await;
    assert_eq!(e1["leader"], m1.as_str(), "{e1}");
    // m2 stands by, following m1, having heard its HELLOs.
    let e2 = wait_for(
        Duration::from_secs(10),
        "m2 inactive, hearing m1",
        || async {
            let e = election("m2").await?;
            (e["state"] == "Inactive" && e["stats"]["hellos_received"].as_u64() > Some(0))
                .then_some(e)
        },
    )
    .await;
    assert_eq!(e2["leader"], m1.as_str(), "{e2}");
    // §5.2: only the active MCS registered to support the group.
    let g = ctl(&ss, show("groups", None)).await.unwrap();
    let served: Vec<&Value> = g["roles"][0]["clusters"][0]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| g["group"] == "224.5.5.5")
        .flat_map(|g| g["mcss"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(served.len(), 1, "{g}");
    assert_eq!(served[0]["address"], m1.as_str(), "{g}");
    // The counters are in `show stats`, and the human form names the state.
    let st = ctl(&ms, show("stats", Some("m1"))).await.unwrap();
    assert!(
        st["roles"][0]["election1"]["hellos_sent"].as_u64() > Some(0),
        "{st}"
    );
    let v = ctl(&ms, show("clients", Some("m2"))).await.unwrap();
    let text = marsd::render::show("clients", &v);
    assert!(
        text.contains("mcslist for 224.5.5.5: Inactive, following"),
        "{text}"
    );
}

/// RFC 2149 §5.4 through the daemon, with `[[mcs.lists]]`: two MCSs, each first in one list
/// and the standby in the other. "It MUST register to support those groups for which it is
/// the first MCS, and MUST NOT register for other groups": the MARS lists m1 alone for
/// 224.6.6.1 and m2 alone for 224.6.6.2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mcs_lists_serve_each_group_from_its_first_mcs() {
    let m = McsPair::start("mcslists", 39471, |m1, m2| {
        format!(
            "groups = [\"224.6.6.1\", \"224.6.6.2\"]\n\
             [[mcs.lists]]\nmcslist = [\"{m1}\", \"{m2}\"]\ngroups = [\"224.6.6.1\"]\n\
             [[mcs.lists]]\nmcslist = [\"{m2}\", \"{m1}\"]\ngroups = [\"224.6.6.2\"]\n"
        )
    })
    .await;
    let (ss, ms, m1, m2) = (
        m.server_sock.clone(),
        m.mcs_sock.clone(),
        m.m1.clone(),
        m.m2.clone(),
    );
    // Each MCS: Active in the list it heads, Inactive (hearing HELLOs) in the other.
    for (role, states) in [
        ("m1", ["Active", "Inactive"]),
        ("m2", ["Inactive", "Active"]),
    ] {
        let ms = ms.clone();
        wait_for(Duration::from_secs(10), role, || {
            let ms = ms.clone();
            async move {
                let v = ctl(&ms, show("clients", Some(role))).await.ok()?;
                let e = v["roles"][0]["elections"].as_array()?.clone();
                (e.len() == 2 && e[0]["state"] == states[0] && e[1]["state"] == states[1])
                    .then_some(())
            }
        })
        .await;
    }
    let served = |g: &Value, group: &str| -> Vec<String> {
        g["roles"][0]["clusters"][0]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|x| x["group"] == group)
            .flat_map(|x| x["mcss"].as_array().cloned().unwrap_or_default())
            .map(|m| m["address"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let g = ctl(&ss, show("groups", None)).await.unwrap();
    assert_eq!(served(&g, "224.6.6.1"), vec![m1.clone()], "{g}");
    assert_eq!(served(&g, "224.6.6.2"), vec![m2.clone()], "{g}");
}
