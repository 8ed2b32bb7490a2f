//! `marsd demo` as the README runs it: it tells its story to the end within a time limit,
//! its narration states the key facts (registration, propagation across the server group,
//! delivery directly and via the MCS, failover, flush, data again with nothing lost,
//! recovery), and every process and file is gone afterwards — both with `--exit-when-done`
//! and when it is stopped with SIGTERM while it waits for Ctrl-C.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::{kill_process, Pid, Signal};

/// The whole demo's time limit.
const LIMIT: Duration = Duration::from_secs(120);

/// The demo process; killed if the test fails (its children follow: they hold a lifeline
/// to it).
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    fn start(args: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_marsd"))
            .arg("demo")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    return;
                }
            }
        });
        Demo {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Read lines until one contains `needle` (or the output ends), before `end`.
    fn until(&mut self, needle: &str, end: Instant) -> bool {
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l.contains(needle);
                    self.seen.push(l);
                    if hit {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    fn wait(&mut self, end: Instant) -> Option<ExitStatus> {
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return Some(st);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn text(&self) -> String {
        self.seen.join("\n")
    }

    /// The demo's directory, from its first line ("… Files: DIR").
    fn dir(&self) -> PathBuf {
        let first = self.seen.first().cloned().unwrap_or_default();
        PathBuf::from(first.rsplit("Files: ").next().unwrap_or("").trim())
    }

    /// The process ids the narration names ("pid N").
    fn pids(&self) -> Vec<u32> {
        self.text()
            .split("pid ")
            .skip(1)
            .filter_map(|s| {
                s.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse().ok())
            })
            .collect()
    }
}

/// The line of the narration that contains every one of `parts`.
fn line_with<'a>(text: &'a str, parts: &[&str]) -> &'a str {
    text.lines()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no line with {parts:?} in the narration:\n{text}"))
}

/// The number after `key` in `line`.
fn number_after(line: &str, key: &str) -> u64 {
    line.split(key)
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number after {key:?} in {line:?}"))
}

fn assert_gone(d: &Demo) {
    let dir = d.dir();
    assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
    assert!(!dir.exists(), "{} was not removed", dir.display());
    let pids = d.pids();
    assert!(pids.len() >= 6, "{pids:?}");
    for pid in pids {
        assert!(
            !PathBuf::from(format!("/proc/{pid}")).exists(),
            "process {pid} outlived the demo"
        );
    }
}

#[test]
fn the_demo_tells_its_story_within_the_time_limit() {
    let started = Instant::now();
    let end = started + LIMIT;
    let mut d = Demo::start(&["--exit-when-done"]);
    // Read to the end of the output.
    d.until("\u{0}", end);
    let st = d.wait(end).expect("the demo ended within its time limit");
    let text = d.text();
    assert!(st.success(), "demo failed ({st}):\n{text}");
    eprintln!(
        "{text}\n(wall time {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    // Servers aligned, authenticated.
    line_with(&text, &["A, B and C aligned pairwise", "HMAC-SHA-256"]);
    // Registrations, each CMI from its server's range.
    for (c, server, lo) in [
        ("c1", "A", 1),
        ("c2", "B", 1000),
        ("c3", "B", 1000),
        ("c4", "C", 2000),
    ] {
        let l = line_with(
            &text,
            &[&format!("client {c} registered with server {server}, CMI")],
        );
        let cmi = number_after(l, "CMI ");
        assert!((lo..lo + 1000).contains(&cmi), "{l}");
    }
    line_with(
        &text,
        &["MCS m1 registered with server A", "serves 224.9.9.9"],
    );
    line_with(&text, &["each list all 4 clients and the MCS"]);
    // Propagation across the server group.
    line_with(
        &text,
        &["c3 joins 224.1.0.1 at B: seen at A after", "C after"],
    );
    line_with(
        &text,
        &["c4 joins 224.1.0.1 at C: seen at A after", "B after"],
    );
    // Data, directly and via the MCS.
    line_with(
        &text,
        &["datagram 1 from c1 to 224.1.0.1 delivered to c2, c3 and c4"],
    );
    line_with(
        &text,
        &["from c1 to 224.9.9.9 delivered to c2 and c4 via MCS m1"],
    );
    // Failure, failover, flush.
    line_with(&text, &["killed server B (pid", "SIGKILL"]);
    for c in ["c2", "c3"] {
        line_with(
            &text,
            &[
                &format!("{c} lost server B after"),
                "failed over to server C",
            ],
        );
    }
    let flush = line_with(&text, &["A flushed B after", "C after"]);
    assert!(flush.contains("no longer list B"), "{flush}");
    line_with(&text, &["A now knows c2 and c3 as C's clients"]);
    // Data again, nothing lost.
    line_with(
        &text,
        &["from c3 (now a client of C) to 224.1.0.1 delivered to c1, c2 and c4"],
    );
    let lost = line_with(&text, &["nothing lost:"]);
    assert_eq!(number_after(lost, "lost: "), 9, "{lost}");
    assert_eq!(number_after(lost, "in all, "), 25, "{lost}");
    // Recovery.
    line_with(&text, &["restarted server B (pid"]);
    line_with(
        &text,
        &["B re-aligned with A and C after", "the same as A's and C's"],
    );
    line_with(
        &text,
        &["list all three servers in their redirect maps again"],
    );
    line_with(&text, &["c1 joins 224.1.0.2 at A: seen at B after"]);
    line_with(&text, &["Every step observed"]);
    assert_gone(&d);
}

#[test]
fn the_demo_waits_for_a_signal_and_cleans_up() {
    let end = Instant::now() + LIMIT;
    let mut d = Demo::start(&["--quiet"]);
    assert!(
        d.until("Ctrl-C stops every process", end),
        "the demo did not finish its story:\n{}",
        d.text()
    );
    // Still up: the processes answer.
    let dir = d.dir();
    let out = Command::new(env!("CARGO_BIN_EXE_marsctl"))
        .arg("--socket")
        .arg(dir.join("B.sock"))
        .args(["show", "peers", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["roles"][0]["dcs"].as_array().unwrap().len(), 2);
    kill_process(Pid::from_raw(d.child.id() as i32).unwrap(), Signal::TERM).unwrap();
    let st = d
        .wait(Instant::now() + Duration::from_secs(20))
        .expect("the demo stopped on SIGTERM");
    assert!(st.success(), "{st}");
    assert_gone(&d);
}
