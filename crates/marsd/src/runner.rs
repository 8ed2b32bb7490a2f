//! A whole running `marsd`: the roles ([`Daemon`]), the control socket, the metrics
//! listener and the capture flusher, started and stopped together. The binary and the
//! in-process tests use the same [`Running`].

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::control::ControlServer;
use crate::daemon::{Daemon, StartOptions};
use crate::metrics::MetricsServer;

/// A started daemon.
#[derive(Debug)]
pub struct Running {
    /// The roles.
    pub daemon: Arc<Daemon>,
    control: ControlServer,
    metrics: Option<MetricsServer>,
    flusher: Option<JoinHandle<()>>,
}

impl Running {
    /// Start everything `cfg` asks for.
    pub async fn start(cfg: Config, opts: StartOptions) -> Result<Running, String> {
        let metrics_at = cfg.metrics.as_ref().map(|m| m.listen);
        let socket = cfg.daemon.control_socket.clone();
        let daemon = Daemon::start(cfg, opts).await?;
        let control = ControlServer::start(daemon.clone(), &socket).await?;
        let metrics = match metrics_at {
            Some(a) => match MetricsServer::start(daemon.clone(), a).await {
                Ok(m) => {
                    *daemon
                        .metrics
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(m.addr);
                    Some(m)
                }
                Err(e) => {
                    control.stop();
                    daemon.shutdown().await;
                    return Err(e);
                }
            },
            None => None,
        };
        let flusher = daemon.capture().cloned().map(|c| {
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    c.flush();
                }
            })
        });
        Ok(Running {
            daemon,
            control,
            metrics,
            flusher,
        })
    }

    /// The line printed on standard output once every socket is bound:
    /// `ready {"control_socket": …, "metrics": …, "roles": [{"name", "kind", "atm", "udp"}]}`.
    pub fn ready_line(&self) -> String {
        let d = &self.daemon;
        let v = json!({
            "pid": std::process::id(),
            "control_socket": d.control_socket,
            "metrics": self.metrics.as_ref().map(|m| m.addr),
            "roles": d.roles().iter().map(|r| json!({
                "name": r.name, "kind": r.kind, "atm": r.atm, "udp": r.udp,
            })).collect::<Vec<_>>(),
        });
        format!("ready {v}")
    }

    /// Clean shutdown of everything.
    pub async fn stop(self) {
        self.daemon.shutdown().await;
        self.control.stop();
        if let Some(m) = self.metrics {
            m.stop();
        }
        if let Some(f) = self.flusher {
            f.abort();
        }
    }
}

/// The JSON of a `ready` line ([`Running::ready_line`]), for whoever started `marsd` (the demo,
/// tests, benchmarks); `None` when `line` is not one.
pub fn parse_ready_line(line: &str) -> Option<serde_json::Value> {
    let json = line.trim().strip_prefix("ready ")?;
    serde_json::from_str(json).ok()
}

#[cfg(test)]
mod tests {
    use super::parse_ready_line;

    #[test]
    fn ready_lines_parse_and_nothing_else_does() {
        let v = parse_ready_line("ready {\"pid\":7,\"roles\":[]}\n").unwrap();
        assert_eq!(v["pid"], 7);
        assert_eq!(parse_ready_line("marsd: listening"), None);
        assert_eq!(parse_ready_line("ready {not json"), None);
        assert_eq!(parse_ready_line("ready"), None);
    }
}
