//! The demo's child processes: `marsd --config FILE` started from this very executable,
//! waited for through their `ready {json}` line, and stopped.
//!
//! Every child is tied to the demo three ways, so that none outlives it:
//! - it runs with `--lifeline`: it shuts down cleanly when its standard input (a pipe from
//!   the demo) reaches end of file, which happens however the demo ends, even by SIGKILL;
//! - it is killed (SIGKILL) when its [`Child`] is dropped (`kill_on_drop`);
//! - [`Child::stop`] sends SIGTERM and waits for a clean exit, then kills after a deadline.
//!
//! Children run in a process group of their own, so that Ctrl-C in the terminal reaches the
//! demo only, and the demo stops them in order (clients first, so they deregister).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rustix::process::{kill_process, Pid, Signal};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{ChildStdin, ChildStdout, Command};

/// How long a child may take to print its `ready` line.
pub const READY_WITHIN: Duration = Duration::from_secs(10);
/// How long a child may take to exit after SIGTERM before it is killed.
pub const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A running `marsd` child.
#[derive(Debug)]
pub struct Child {
    child: tokio::process::Child,
    pid: u32,
    // Held open: closing stdin is the child's lifeline; stdout stays drained by nobody but
    // open, so a late write cannot fail in the child.
    _stdin: Option<ChildStdin>,
    _stdout: BufReader<ChildStdout>,
    /// The `ready` line's JSON.
    pub ready: Value,
}

impl Child {
    /// Start `exe --config config --lifeline`, standard error to `log`, and wait for its ready
    /// line.
    pub async fn start(exe: &Path, name: &str, config: &Path, log: &Path) -> Result<Child, String> {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let mut child = Command::new(exe)
            .arg("--config")
            .arg(config)
            .arg("--lifeline")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let pid = child.id().unwrap_or(0);
        let stdin = child.stdin.take();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| format!("{name}: no standard output"))?;
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        let read = tokio::time::timeout(READY_WITHIN, stdout.read_line(&mut line)).await;
        let why = match read {
            Err(_) => Some(format!("no ready line within {} s", READY_WITHIN.as_secs())),
            Ok(Err(e)) => Some(e.to_string()),
            Ok(Ok(0)) => Some("exited before it was ready".into()),
            Ok(Ok(_)) => None,
        };
        let ready = crate::runner::parse_ready_line(&line);
        match (why, ready) {
            (None, Some(ready)) => Ok(Child {
                child,
                pid,
                _stdin: stdin,
                _stdout: stdout,
                ready,
            }),
            (why, _) => {
                let _ = child.start_kill();
                let last = last_line(log);
                Err(format!(
                    "{name} did not start: {}{}",
                    why.unwrap_or_else(|| format!("unexpected output {:?}", line.trim())),
                    last.map(|l| format!(" (log: {l})")).unwrap_or_default()
                ))
            }
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The ATM address of its (only) role, from the ready line.
    pub fn atm(&self) -> String {
        self.ready["roles"][0]["atm"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Kill it at once (SIGKILL: no deregistration, no RELEASE) and reap it.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Stop it cleanly: SIGTERM, then SIGKILL after [`STOP_WITHIN`]. Whether it exited
    /// cleanly (status 0) in time.
    pub async fn stop(mut self) -> bool {
        if let Ok(Some(st)) = self.child.try_wait() {
            return st.success();
        }
        if let Some(pid) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
            let _ = kill_process(pid, Signal::TERM);
        }
        match tokio::time::timeout(STOP_WITHIN, self.child.wait()).await {
            Ok(Ok(st)) => st.success(),
            _ => {
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                false
            }
        }
    }

    /// Whether it has exited (and how), without waiting.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(st)) => Some(st.to_string()),
            _ => None,
        }
    }
}

/// The last non-empty line of a log file, for error messages.
fn last_line(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}
