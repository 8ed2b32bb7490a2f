//! The binaries as an operator runs them: `marsd` processes with a server and a client
//! configuration on 127.0.0.1 and 127.0.0.2, each printing its `ready` line; `marsctl join`
//! on the client, `marsctl show groups --json` on the server shows the member; SIGTERM
//! stops both cleanly. Also `--validate`, marsctl's one-line errors, and `marsd` without a
//! configuration (the embedded default server).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("marsd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Start `marsd --config FILE` and read its `ready {json}` line.
fn marsd(config: &Path) -> (Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_marsd"))
        .arg("--config")
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready =
        marsd::runner::parse_ready_line(&line).unwrap_or_else(|| panic!("no ready line: {line:?}"));
    (child, ready)
}

fn marsctl(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_marsctl"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn terminate(mut c: Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(c.id().to_string())
        .status();
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = c.try_wait().unwrap() {
            assert!(st.success(), "marsd exited with {st}");
            return;
        }
        assert!(Instant::now() < end, "marsd did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn server_and_client_processes() {
    let dir = tempdir("process");
    let ssock = dir.join("s.sock");
    let csock = dir.join("c.sock");
    std::fs::write(
        dir.join("server.toml"),
        format!(
            "[daemon]\ncontrol_socket = \"{}\"\n[server]\nbind = \"127.0.0.1:0\"\n",
            ssock.display()
        ),
    )
    .unwrap();
    let (server, ready) = marsd(&dir.join("server.toml"));
    let mars = ready["roles"][0]["atm"].as_str().unwrap().to_string();
    assert_eq!(ready["control_socket"], ssock.display().to_string());
    std::fs::write(
        dir.join("client.toml"),
        format!(
            "[daemon]\ncontrol_socket = \"{}\"\n[[client]]\nname = \"host\"\nbind = \"127.0.0.2:0\"\n\
             mars = [\"{mars}\"]\n[client.timers]\nscale = 20\n",
            csock.display()
        ),
    )
    .unwrap();
    let (client, cready) = marsd(&dir.join("client.toml"));
    let me = cready["roles"][0]["atm"].as_str().unwrap().to_string();

    let (rc, out, err) = marsctl(&["--socket", csock.to_str().unwrap(), "join", "224.1.2.3"]);
    assert_eq!(rc, 0, "{err}");
    assert_eq!(
        out,
        "host: joining 224.1.2.3 (MARS_JOIN sent once registered)\n"
    );

    let end = Instant::now() + Duration::from_secs(10);
    loop {
        let (rc, out, err) = marsctl(&[
            "--config",
            dir.join("server.toml").to_str().unwrap(),
            "show",
            "groups",
            "--json",
        ]);
        assert_eq!(rc, 0, "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        let g = &v["roles"][0]["clusters"][0]["groups"];
        if g[0]["group"] == "224.1.2.3" && g[0]["members"][0]["address"] == me.as_str() {
            break;
        }
        assert!(Instant::now() < end, "member not shown: {out}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (rc, out, _) = marsctl(&["--socket", ssock.to_str().unwrap(), "show", "groups"]);
    assert_eq!(rc, 0);
    assert!(out.contains(&format!("224.1.2.3   1 {me}")), "{out}");

    terminate(client);
    terminate(server);
    assert!(!ssock.exists() && !csock.exists());

    // Nothing listens any more: one line naming the path.
    let (rc, _, err) = marsctl(&["--socket", ssock.to_str().unwrap(), "show", "servers"]);
    assert_eq!(rc, 1);
    assert_eq!(
        err,
        format!("marsctl: is marsd running? looked at {}\n", ssock.display())
    );
}

#[test]
fn validate_explains_errors_and_accepts_good_files() {
    let dir = tempdir("validate");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[server]\nbind = \"127.0.0.1:2443\"\ncmi_range = [10, 1]\n[[server.peers]]\naddress = \"12345\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_marsd"))
        .args(["--validate", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    let b = bad.display();
    assert_eq!(
        err,
        format!(
            "marsd: {b}: line 3, server.cmi_range: [10, 1] is not a CMI range: need 1 <= first <= last <= 65535\n\
             marsd: {b}: line 1, server.scsp.server_id: required when [[server.peers]] are configured (this server's SCSP ID)\n"
        )
    );
    let good = dir.join("good.toml");
    std::fs::write(&good, "[server]\nbind = \"127.0.0.1:2443\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_marsd"))
        .args(["--validate", "--config"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}: OK (server \"server\")\n", good.display())
    );
}

#[test]
fn marsctl_help_teaches_and_generates() {
    let (rc, out, _) = marsctl(&["--help"]);
    assert_eq!(rc, 0);
    assert!(
        out.contains("marsctl show topology --dot | dot -Tsvg"),
        "{out}"
    );
    let (rc, out, _) = marsctl(&["generate", "completions", "bash"]);
    assert_eq!(rc, 0);
    assert!(out.contains("marsctl"));
    let dir = tempdir("man");
    let (rc, _, err) = marsctl(&["generate", "man", dir.to_str().unwrap()]);
    assert_eq!(rc, 0, "{err}");
    assert!(dir.join("marsctl.1").exists() && dir.join("marsctl-show.1").exists());
}

/// `marsd` with no configuration runs the embedded default — one MARS server on
/// 127.0.0.1:2443 — and says how to talk to it; `marsctl` then can.
#[test]
fn no_configuration_runs_one_server_and_says_how_to_reach_it() {
    let dir = tempdir("default");
    let sock = dir.join("default.sock");
    let sock_s = sock.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_marsd"))
        .args(["--socket", sock_s])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready =
        marsd::runner::parse_ready_line(&line).unwrap_or_else(|| panic!("no ready line: {line:?}"));
    assert_eq!(ready["roles"][0]["kind"], "server", "{ready}");
    assert_eq!(ready["roles"][0]["udp"], "127.0.0.1:2443", "{ready}");
    let (code, out, err) = marsctl(&["--socket", sock_s, "--json", "show", "servers"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(ready["roles"][0]["atm"].as_str().unwrap()),
        "{out}"
    );
    // The hints come before the first request is served; read them after stopping.
    let mut stderr = child.stderr.take().unwrap();
    terminate(child);
    let mut hints = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut hints).unwrap();
    assert!(
        hints.contains("no configuration given: running MARS server"),
        "{hints}"
    );
    assert!(
        hints.contains(&format!("marsctl --socket {sock_s} show servers")),
        "{hints}"
    );
}
