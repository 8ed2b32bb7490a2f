//! The demo's voice: numbered steps, one plain line per observed fact, and short
//! explanations that `--quiet` leaves out. Everything goes to standard output, flushed line
//! by line so that a pipe (or a test) sees it as it happens.

use std::io::Write;
use std::time::{Duration, Instant};

/// Prints the narration.
#[derive(Debug)]
pub struct Narrator {
    quiet: bool,
    step: u32,
    started: Instant,
}

impl Narrator {
    /// A narrator; `quiet` drops the explanations.
    pub fn new(quiet: bool) -> Self {
        Narrator {
            quiet,
            step: 0,
            started: Instant::now(),
        }
    }

    fn out(&self, line: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{line}");
        let _ = o.flush();
    }

    /// A line as is (headings, the closing guide).
    pub fn say(&self, line: &str) {
        self.out(line);
    }

    /// An explanation (left out with `--quiet`).
    pub fn explain(&self, line: &str) {
        if !self.quiet {
            self.out(line);
        }
    }

    /// The next numbered step.
    pub fn step(&mut self, title: &str) {
        self.step += 1;
        self.out("");
        self.out(&format!("{}. {title}", self.step));
    }

    /// The step being narrated.
    pub fn current(&self) -> u32 {
        self.step
    }

    /// One observed fact.
    pub fn fact(&self, line: &str) {
        self.out(&format!("   {line}"));
    }

    /// Time since the demo started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// Seconds with one decimal: `3.2 s`.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Milliseconds below a second (`40 ms`), else seconds (`1.2 s`).
pub fn short(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        secs(d)
    }
}

/// `a, b and c`.
pub fn list(items: &[String]) -> String {
    match items {
        [] => "nobody".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
