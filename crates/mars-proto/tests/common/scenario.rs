//! Conformance scenarios as data (design brief, principle 5).
//!
//! A scenario is a JSON-lines file:
//!
//! ```text
//! {"scenario": "registration", "rfc": "RFC 2022 §6.1.2", "config": {...}}   ← header
//! {"in": {...}}                 ← an input: a VC event, a received message, a command…
//! {"out": {...}}                ← an output the engine must produce, in order
//! {"in": {"advance_ms": 1000}}  ← let virtual time pass (timers fire)
//! # a comment line
//! ```
//!
//! The runner feeds every `in` to a [`Driver`] and compares what the engine produced with the
//! `out` lines that follow it, exactly and in order. With `DMARS_BLESS=1` it rewrites the file
//! instead, keeping the header, comments and inputs and replacing the outputs with what the
//! engine produced: review the diff before committing it.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// The engine-specific half of a scenario: turn inputs into engine calls and engine outputs
/// into JSON.
pub trait Driver {
    /// Apply one input. `Err` is a mistake in the scenario file, not in the engine.
    fn input(&mut self, input: &Value) -> Result<(), String>;
    /// Everything the engine produced since the last call, as output lines.
    fn outputs(&mut self) -> Vec<Value>;
}

enum Line {
    Comment(String),
    In(Value),
    Out(Value),
}

/// Run (or, with `DMARS_BLESS=1`, regenerate) the scenario at `path`. `make` builds the
/// driver from the header line.
pub fn run(path: &Path, make: impl FnOnce(&Value) -> Box<dyn Driver>) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: cannot read: {e}", path.display()));
    let mut header: Option<(String, Value)> = None;
    let mut lines = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('#') {
            lines.push((n + 1, Line::Comment(raw.to_string())));
            continue;
        }
        let v: Value = serde_json::from_str(t)
            .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", path.display(), n + 1));
        if header.is_none() {
            assert!(
                v.get("scenario").is_some() && v.get("rfc").is_some(),
                "{}:{}: the first line must name the scenario and its RFC section",
                path.display(),
                n + 1
            );
            header = Some((raw.to_string(), v));
            continue;
        }
        if let Some(i) = v.get("in") {
            lines.push((n + 1, Line::In(i.clone())));
        } else if let Some(o) = v.get("out") {
            lines.push((n + 1, Line::Out(o.clone())));
        } else {
            panic!(
                "{}:{}: a line is {{\"in\": …}} or {{\"out\": …}}",
                path.display(),
                n + 1
            );
        }
    }
    let (header_raw, header) =
        header.unwrap_or_else(|| panic!("{}: empty scenario", path.display()));
    let mut driver = make(&header);
    let bless = std::env::var_os("DMARS_BLESS").is_some();
    let mut blessed = String::new();
    blessed.push_str(&header_raw);
    blessed.push('\n');
    let mut failures = String::new();
    let mut i = 0;
    while i < lines.len() {
        let (n, line) = &lines[i];
        i += 1;
        match line {
            Line::Comment(c) => {
                blessed.push_str(c);
                blessed.push('\n');
            }
            Line::Out(_) => {
                let _ = writeln!(failures, "line {n}: an output with no input before it");
            }
            Line::In(input) => {
                blessed.push_str(&serde_json::json!({ "in": input }).to_string());
                blessed.push('\n');
                if let Err(e) = driver.input(input) {
                    panic!("{}:{n}: bad input: {e}", path.display());
                }
                let got = driver.outputs();
                let mut want = Vec::new();
                while let Some((m, Line::Out(o))) = lines.get(i) {
                    want.push((*m, o.clone()));
                    i += 1;
                }
                for g in &got {
                    blessed.push_str(&serde_json::json!({ "out": g }).to_string());
                    blessed.push('\n');
                }
                for k in 0..got.len().max(want.len()) {
                    match (got.get(k), want.get(k)) {
                        (Some(g), Some((m, w))) if g != w => {
                            let _ = writeln!(failures, "line {m}: expected {w}\n          got {g}");
                        }
                        (Some(g), None) => {
                            let _ = writeln!(failures, "after line {n}: unexpected output {g}");
                        }
                        (None, Some((m, w))) => {
                            let _ = writeln!(failures, "line {m}: expected {w}, got nothing");
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    if bless {
        std::fs::write(path, blessed).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    assert!(
        failures.is_empty(),
        "{} ({}):\n{failures}(run with DMARS_BLESS=1 to regenerate, then review the diff)",
        path.display(),
        header["rfc"]
    );
}

/// Run every `*.jsonl` scenario in `dir` (relative to the crate), in name order.
pub fn run_dir(dir: &str, make: impl Fn(&Value) -> Box<dyn Driver>) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    for f in &files {
        run(f, &make);
    }
    files.len()
}
