//! One running daemon: its roles, each an engine on its own emulated ATM endpoint, and what
//! the control socket and the metrics endpoint ask of them.
//!
//! [`Daemon::start`] binds every role's UDP socket (server first, then clients, then MCSs;
//! the order gives each role its capture VPI), the control socket and the metrics listener.
//! Everything the operator asks goes to a role's endpoint task as a closure
//! (`EngineEndpoint::with`), so an engine is only ever touched by its own task.
//! [`Daemon::reload`] applies what `config::reload` allows; [`Daemon::shutdown`] deregisters
//! clients and MCSs, releases every VC, and stops.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mars_proto::dmars::DistributedServer;
use mars_proto::mars::client::MarsClient;
use mars_proto::mars::mcs::Mcs;
use mars_proto::mars::server::MarsServer;
use mars_proto::Instant;
use mars_wire::AtmAddress;
use serde_json::{json, Value};

type Range = (mars_wire::ProtoAddr, mars_wire::ProtoAddr);
use tokio::sync::{mpsc, oneshot, watch};

use crate::atm_udp::{EndpointSpec, EngineEndpoint, Underlay};
use crate::capture::Capture;
use crate::config::{build, Config, Proto};
use crate::roles::resolver::Answer;
use crate::roles::views::{self, Show};
use crate::roles::{Datagram, Engine, Role, RoleKind};

/// One role as the daemon holds it.
#[derive(Debug)]
pub struct RoleHandle {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: RoleKind,
    /// Its ATM address.
    pub atm: AtmAddress,
    /// Its UDP socket address.
    pub udp: SocketAddr,
    /// How long `resolve` waits (clients).
    pub resolve_timeout: Duration,
    /// The layer 3 protocol of a client or MCS (IPv4 for a server).
    pub proto: Proto,
    endpoint: EngineEndpoint<Role>,
}

impl RoleHandle {
    /// Run `f` on the role inside its endpoint task.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Role, Instant) -> R + Send + 'static,
    ) -> Result<R, String> {
        self.endpoint
            .with(f)
            .await
            .ok_or_else(|| format!("role {} has stopped", self.name))
    }

    /// The emulation counters of the role's endpoint.
    pub fn udp_counters(&self) -> crate::atm_udp::Counters {
        self.endpoint.counters()
    }
}

/// Options that come from the command line rather than the file.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// The file the configuration came from (for reloads).
    pub config_path: Option<PathBuf>,
    /// `--capture`, overriding `daemon.capture`.
    pub capture: Option<PathBuf>,
}

/// A running daemon.
#[derive(Debug)]
pub struct Daemon {
    roles: Vec<RoleHandle>,
    running: Mutex<Config>,
    config_path: Option<PathBuf>,
    underlay: Arc<Underlay>,
    capture: Option<Arc<Capture>>,
    started: std::time::Instant,
    stop_tx: watch::Sender<bool>,
    /// The control socket path.
    pub control_socket: PathBuf,
    /// The metrics listener's address, once bound.
    pub metrics: Mutex<Option<SocketAddr>>,
}

fn build_engine(
    cfg: &Config,
    i: usize,
    atm: AtmAddress,
    base: Option<&std::path::Path>,
    failed: &Mutex<Option<String>>,
) -> Engine {
    let now = Instant::ZERO;
    let nc = cfg.client.len();
    match (i, &cfg.server) {
        (0, Some(s)) if s.peers.is_empty() => {
            Engine::Server(Box::new(MarsServer::new(build::server_config(s, atm), now)))
        }
        (0, Some(s)) => {
            let dc = build::distributed_config(s, atm, base);
            match DistributedServer::new(dc, now) {
                Ok(d) => Engine::Distributed(Box::new(d)),
                Err(e) => {
                    *failed.lock().unwrap_or_else(PoisonError::into_inner) =
                        Some(format!("server: {e}"));
                    Engine::Server(Box::new(MarsServer::new(build::server_config(s, atm), now)))
                }
            }
        }
        _ => {
            let j = i - usize::from(cfg.server.is_some());
            if j < nc {
                let m = &cfg.client[j];
                let mut c = MarsClient::new(build::member_endpoint(m, atm), now);
                for r in build::groups(m) {
                    let _ = if r.0 == r.1 {
                        c.join(now, r.0)
                    } else {
                        c.join_block(now, r.0, r.1)
                    };
                }
                Engine::Client(Box::new(c))
            } else {
                let m = &cfg.mcs[j - nc];
                Engine::Mcs(Box::new(Mcs::new(build::mcs_config(m, atm), now)))
            }
        }
    }
}

impl Daemon {
    /// Start every role of `cfg` (a checked configuration) on the current tokio runtime.
    pub async fn start(cfg: Config, opts: StartOptions) -> Result<Arc<Daemon>, String> {
        let underlay = Arc::new(Underlay::from(&cfg.underlay));
        let capture_path = opts.capture.clone().or_else(|| cfg.daemon.capture.clone());
        let capture = match &capture_path {
            Some(p) => Some(Arc::new(Capture::create(p)?)),
            None => None,
        };
        let names = cfg.role_names();
        type Bind = (SocketAddr, Option<AtmAddress>, RoleKind, Duration, Proto);
        let mut binds: Vec<Bind> = Vec::new();
        if let Some(s) = &cfg.server {
            binds.push((s.bind, s.atm, RoleKind::Server, Duration::ZERO, Proto::Ipv4));
        }
        for c in &cfg.client {
            let t = build::resolve_timeout(c);
            binds.push((c.bind, c.atm, RoleKind::Client, t, c.protocol));
        }
        for m in &cfg.mcs {
            binds.push((m.bind, m.atm, RoleKind::Mcs, Duration::ZERO, m.protocol));
        }
        let ep_cfg = build::endpoint_config(&cfg.emulation);
        let mut roles = Vec::new();
        for (i, (bind, atm, kind, resolve_timeout, proto)) in binds.into_iter().enumerate() {
            let spec = EndpointSpec {
                bind,
                atm,
                config: ep_cfg.clone(),
                underlay: underlay.clone(),
            };
            let failed = Arc::new(Mutex::new(None));
            let (f2, c2, tap, name) = (
                failed.clone(),
                cfg.clone(),
                capture.clone(),
                names[i].clone(),
            );
            let base = opts
                .config_path
                .as_ref()
                .and_then(|p| p.parent().map(PathBuf::from));
            let vpi = u8::try_from(i).unwrap_or(u8::MAX);
            let endpoint = EngineEndpoint::spawn(spec, move |atm| {
                let engine = build_engine(&c2, i, atm, base.as_deref(), &f2);
                Role::new(&name, vpi, engine, tap)
            })
            .await
            .map_err(|e| format!("{}: cannot bind {bind}: {e}", names[i]))?;
            if let Some(e) = failed.lock().unwrap_or_else(PoisonError::into_inner).take() {
                return Err(e);
            }
            let (atm, udp) = (endpoint.address(), endpoint.local_addr());
            // Roles of one process find each other even with addresses the map lacks.
            underlay.insert(atm, udp);
            tracing::info!(role = %names[i], kind = ?kind, %atm, %udp, "role started");
            roles.push(RoleHandle {
                name: names[i].clone(),
                kind,
                atm,
                udp,
                resolve_timeout,
                proto,
                endpoint,
            });
        }
        let (stop_tx, _) = watch::channel(false);
        Ok(Arc::new(Daemon {
            roles,
            control_socket: cfg.daemon.control_socket.clone(),
            running: Mutex::new(cfg),
            config_path: opts.config_path,
            underlay,
            capture,
            started: std::time::Instant::now(),
            stop_tx,
            metrics: Mutex::new(None),
        }))
    }

    /// The roles.
    pub fn roles(&self) -> &[RoleHandle] {
        &self.roles
    }

    /// The running configuration.
    pub fn config(&self) -> Config {
        self.running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Seconds since start.
    pub fn uptime(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// The capture, if one is being written.
    pub fn capture(&self) -> Option<&Arc<Capture>> {
        self.capture.as_ref()
    }

    /// A receiver that turns true when the daemon stops.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop_tx.subscribe()
    }

    /// The role `name`; with `None`, the only role of `kind`.
    pub fn pick(&self, name: Option<&str>, kind: Option<RoleKind>) -> Result<&RoleHandle, String> {
        let all = || {
            self.roles
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(n) = name {
            let r = self
                .roles
                .iter()
                .find(|r| r.name == n)
                .ok_or_else(|| format!("no role {n:?} in this marsd (roles: {})", all()))?;
            if let Some(k) = kind {
                if r.kind != k {
                    return Err(format!("role {n} is a {:?}, not a {k:?}", r.kind).to_lowercase());
                }
            }
            return Ok(r);
        }
        let matching: Vec<&RoleHandle> = self
            .roles
            .iter()
            .filter(|r| kind.is_none_or(|k| r.kind == k))
            .collect();
        match matching.as_slice() {
            [one] => Ok(one),
            [] => Err(format!(
                "no {} role in this marsd (roles: {})",
                kind.map_or("".into(), |k| format!("{k:?}").to_lowercase()),
                all()
            )),
            many => Err(format!(
                "several roles fit ({}): choose one with --role",
                many.iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The view `what` of every role (or of `role`), skipping roles it says nothing about.
    pub async fn show(&self, what: Show, role: Option<&str>) -> Result<Value, String> {
        let selected: Vec<&RoleHandle> = match role {
            Some(_) => vec![self.pick(role, None)?],
            None => self.roles.iter().collect(),
        };
        let mut out = Vec::new();
        for r in selected {
            let v = r
                .with(move |role, now| views::view(role, what, now))
                .await?;
            if v.is_null() {
                continue;
            }
            let mut o = json!({
                "role": r.name,
                "kind": r.kind,
                "atm": r.atm,
                "udp": r.udp,
            });
            if let (Some(m), Value::Object(extra)) = (o.as_object_mut(), v) {
                m.extend(extra);
            }
            if what == Show::Stats {
                o["emulation"] = json!(r.udp_counters());
            }
            out.push(o);
        }
        if out.is_empty() {
            return Err(format!(
                "nothing to show for {}: no role of this marsd has it (roles: {})",
                what.name(),
                self.roles
                    .iter()
                    .map(|r| format!("{} ({:?})", r.name, r.kind).to_lowercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Ok(json!({ "roles": out }))
    }

    /// Join (or leave) a group or block on a client role.
    pub async fn join_leave(
        &self,
        role: Option<&str>,
        group: &str,
        join: bool,
    ) -> Result<Value, String> {
        let r = self.pick(role, Some(RoleKind::Client))?;
        let range = self.parse_group(r, group)?;
        r.with(move |role, now| {
            if join {
                role.join(now, range)
            } else {
                role.leave(now, range)
            }
        })
        .await??;
        Ok(json!({ "role": r.name, "group": group, "joined": join }))
    }

    fn parse_group(&self, r: &RoleHandle, group: &str) -> Result<Range, String> {
        crate::config::check::parse_range(group, r.proto)
    }

    /// Send `text` to `group` from a client role.
    pub async fn send(
        &self,
        role: Option<&str>,
        group: &str,
        text: String,
    ) -> Result<Value, String> {
        let r = self.pick(role, Some(RoleKind::Client))?;
        let (g, max) = self.parse_group(r, group)?;
        if g != max {
            return Err("send to one group, not a block".into());
        }
        let len = r.with(move |role, now| role.send(now, g, &text)).await??;
        Ok(json!({ "role": r.name, "group": g, "octets": len }))
    }

    /// Ask a client role's MARS about `group`.
    pub async fn resolve(&self, role: Option<&str>, group: &str) -> Result<Answer, String> {
        let r = self.pick(role, Some(RoleKind::Client))?;
        let (g, max) = self.parse_group(r, group)?;
        if g != max {
            return Err("resolve one group, not a block (MARS_REQUEST names one group)".into());
        }
        let (tx, rx) = oneshot::channel();
        let within = r.resolve_timeout;
        r.with(move |role, now| role.resolve(now, g, within, tx))
            .await??;
        rx.await.map_err(|_| format!("role {} stopped", r.name))?
    }

    /// Subscribe to the datagrams a client role receives.
    pub async fn subscribe(
        &self,
        role: Option<&str>,
    ) -> Result<mpsc::UnboundedReceiver<Datagram>, String> {
        let r = self.pick(role, Some(RoleKind::Client))?;
        let (tx, rx) = mpsc::unbounded_channel();
        r.with(move |role, _| role.subscribe(tx)).await??;
        Ok(rx)
    }

    /// Reload the configuration file (SIGHUP, `marsctl reload`): the changes applied, or why
    /// the reload was refused (the running configuration then stays in force).
    pub async fn reload(&self) -> Result<Vec<String>, String> {
        let Some(path) = &self.config_path else {
            return Err(
                "marsd runs its embedded default configuration: there is no file to reload".into(),
            );
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let old = self.config();
        let (new, plan) =
            crate::config::reload::plan(&old, &text, path.parent()).map_err(|e| e.to_string())?;
        let mut applied = plan.summary();
        if let Some(b) = plan.backups.clone() {
            let r = self.pick(None, Some(RoleKind::Server))?;
            r.with(move |role, _| role.set_backups(b)).await?;
        }
        for p in plan.peers.clone() {
            let r = self.pick(None, Some(RoleKind::Server))?;
            r.with(move |role, now| role.rekey(now, &p)).await??;
        }
        for e in &plan.underlay {
            self.underlay.insert(e.atm, e.udp);
        }
        for g in plan.groups.clone() {
            let r = self.pick(Some(&g.role), None)?;
            let errors = r.with(move |role, now| role.apply_groups(now, &g)).await?;
            applied.extend(errors.into_iter().map(|e| format!("{}: {e}", r.name)));
        }
        *self.running.lock().unwrap_or_else(PoisonError::into_inner) = new;
        if applied.is_empty() {
            applied.push("no change".into());
        }
        Ok(applied)
    }

    /// Clean shutdown: clients and MCSs deregister (waiting up to `daemon.shutdown_grace`),
    /// then every role releases its VCs; the endpoints stop when the daemon is dropped.
    pub async fn shutdown(&self) {
        let _ = self.stop_tx.send(true);
        let grace = self.config().daemon.shutdown_grace.0;
        let mut waiting = Vec::new();
        for r in &self.roles {
            if let Ok(true) = r.with(|role, now| role.begin_shutdown(now)).await {
                waiting.push(r);
            }
        }
        let deadline = tokio::time::Instant::now() + grace;
        while !waiting.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut still = Vec::new();
            for r in waiting {
                if let Ok(false) = r.with(|role, _| role.is_deregistered()).await {
                    still.push(r);
                }
            }
            waiting = still;
        }
        for r in &waiting {
            tracing::warn!(role = %r.name, "did not deregister in time");
        }
        let mut released = 0;
        for r in &self.roles {
            released += r.with(|role, _| role.release_all()).await.unwrap_or(0);
        }
        // Give the RELEASEs a retransmission's time to be answered.
        let linger = self.config().emulation.retransmit_interval.0 * 2;
        tokio::time::sleep(linger.min(Duration::from_secs(1))).await;
        if let Some(c) = &self.capture {
            c.flush();
        }
        tracing::info!(released, "stopped");
    }
}
