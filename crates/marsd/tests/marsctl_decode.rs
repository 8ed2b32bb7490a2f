//! `marsctl decode` end to end: the binary on the bundled sample, on hex, on stdin, and on
//! malformed input (one line naming field and offset, non-zero exit).

use std::io::Write;
use std::process::{Command, Stdio};

fn marsctl(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_marsctl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).unwrap();
    }
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn sample() -> String {
    format!(
        "{}/../../samples/mars-sample.pcap",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn sample_text_and_json() {
    let (rc, out, err) = marsctl(&["decode", "--pcap", &sample()], None);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("MARS_JOIN pro=IPv4"));
    assert!(out.contains("MARS_MULTI"));
    assert!(out.contains("SCSP CSU Request"));
    assert!(out.contains("ClientJoin cmi=1"));
    let (rc, out, _) = marsctl(&["decode", "--pcap", &sample(), "--json"], None);
    assert_eq!(rc, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 13);
    let join = &lines[2];
    assert_eq!(join["op"], 4);
    assert_eq!(join["afn"], 15);
    assert_eq!(join["pro_type"], 2048);
    assert_eq!(join["shtl"], 20);
    assert_eq!(join["spa"], "10.0.0.1");
    assert_eq!(
        join["groups"],
        serde_json::json!([["224.1.2.3", "224.1.2.3"]])
    );
    assert_eq!(join["vci"], 32);
    let csu = &lines[11];
    assert_eq!(csu["type"], "CSU Request");
    assert_eq!(csu["common"]["sender_id"], "0a000001");
    assert_eq!(
        csu["body"]["csu-request"][1]["mars"]["state"],
        "client-join"
    );
}

#[test]
fn hex_argument_and_stdin() {
    // A MARS_REQUEST: 24-octet header, 8 pad octets, a 20-octet NSAP source, group 224.1.2.3.
    let hex = concat!(
        "aaaa0300005e0003",
        "000f0800000000000000000000000000", // afn, pro, hdrrsv, chksum 0, extoff 0
        "0001140000000004",                 // op 1, shtl 20, sstl 0, spln 0, thtl 0, tstl 0, tpln 4
        "0000000000000000",                 // pad
        "47000580ffe1000000f21a3a3d0020481a3a3d00",
        "e0010203"
    );
    let (rc, out, err) = marsctl(&["decode", hex], None);
    assert_eq!(rc, 0, "{err}");
    assert!(out.starts_with("#1 MARS_REQUEST pro=IPv4"), "{out}");
    assert!(out.contains("group=224.1.2.3"));
    let (rc, out, _) = marsctl(&["decode"], Some(&format!("{hex}\n\n{hex}\n")));
    assert_eq!(rc, 0);
    assert_eq!(
        out.lines().filter(|l| l.contains("MARS_REQUEST")).count(),
        2
    );
}

#[test]
fn malformed_is_one_line_and_fails() {
    // The same request cut after the source address: mar$tpa is missing.
    let hex = "aaaa0300005e0003000f08000000000000000000000000000001140000000004000000000000000047000580ffe1000000f21a3a3d0020481a3a3d00";
    let (rc, out, err) = marsctl(&["decode", hex], None);
    assert_ne!(rc, 0);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("mar$tpa at offset 60"), "{err}");
    let (rc, _, err) = marsctl(&["decode", "--pcap", "/nonexistent.pcap"], None);
    assert_ne!(rc, 0);
    assert!(err.contains("/nonexistent.pcap"), "{err}");
}
