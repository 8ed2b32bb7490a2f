//! The roles of one daemon: each is one engine (`MarsServer`, `DistributedServer`,
//! `MarsClient` or `Mcs`) on its own emulated ATM endpoint, wrapped in a [`Role`] that the
//! endpoint's driver runs as its [`AtmUser`].
//!
//! The wrapper leaves the sans-IO engine untouched and adds what the daemon needs around it:
//! - a [`vcs::VcTable`] of the role's VCs (for `marsctl show vcs`, capture labels, and the
//!   releases of a clean shutdown);
//! - the capture tap (every SDU sent and received, see [`crate::capture`]);
//! - the engine's events drained after every input, logged through `tracing`, and received
//!   datagrams handed to `marsctl recv` subscribers;
//! - for a client, the [`resolver::Resolver`] behind `marsctl resolve`;
//! - the commands the control socket issues (join, leave, send, reload changes), run inside
//!   the endpoint task through `EngineEndpoint::with`.
//!
//! Views for `marsctl show` are in [`views`].

pub mod resolver;
pub mod vcs;
pub mod views;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::dmars::DistributedServer;
use mars_proto::mars::client::{ClientEvent, Delivery, MarsClient};
use mars_proto::mars::mcs::{ElectionEvent, Mcs};
use mars_proto::mars::server::{MarsServer, ServerEvent};
use mars_proto::scsp::DcsConfig;
use mars_proto::{AtmUser, Instant, VcEvent, VcRequest};
use mars_wire::{AtmAddress, ProtoAddr};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use self::resolver::{Answer, Asker, Resolver};
use self::vcs::VcTable;
use crate::capture::{Capture, RX, TX};
use crate::config::reload::{GroupChanges, PeerChange, PeerKeys};

/// The engine a role runs.
#[derive(Debug)]
pub enum Engine {
    /// A MARS server without peers (RFC 2022).
    Server(Box<MarsServer>),
    /// A server of a distributed MARS (RFC 2443).
    Distributed(Box<DistributedServer>),
    /// A cluster member.
    Client(Box<MarsClient>),
    /// A Multicast Server (RFC 2149).
    Mcs(Box<Mcs>),
}

/// What kind of role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleKind {
    /// A MARS server (plain or distributed).
    Server,
    /// A MARS client.
    Client,
    /// An MCS.
    Mcs,
}

/// A datagram delivered to a client role, as `marsctl recv` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Datagram {
    /// The role that received it.
    pub role: String,
    /// The group, from the layer 3 header.
    pub group: Option<ProtoAddr>,
    /// The sender's CMI (Type #1 encapsulation).
    pub source_cmi: Option<u16>,
    /// The payload after the layer 3 header, as text (lossy UTF-8).
    pub text: String,
    /// Length of the layer 3 packet.
    pub len: usize,
}

/// One role: an engine and what the daemon keeps around it.
#[derive(Debug)]
pub struct Role {
    name: String,
    engine: Engine,
    vcs: VcTable,
    tap: Option<Arc<Capture>>,
    resolver: Resolver,
    receivers: Vec<mpsc::UnboundedSender<Datagram>>,
    injected: VecDeque<VcRequest>,
    stopping: bool,
    deregistered: bool,
    now: Instant,
}

impl Role {
    /// A role named `name` with number `vpi` (its capture VPI) running `engine`.
    pub fn new(name: &str, vpi: u8, engine: Engine, tap: Option<Arc<Capture>>) -> Self {
        Role {
            name: name.to_string(),
            engine,
            vcs: VcTable::new(vpi),
            tap,
            resolver: Resolver::default(),
            receivers: Vec::new(),
            injected: VecDeque::new(),
            stopping: false,
            deregistered: false,
            now: Instant::ZERO,
        }
    }

    /// The role's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The kind.
    pub fn kind(&self) -> RoleKind {
        match self.engine {
            Engine::Server(_) | Engine::Distributed(_) => RoleKind::Server,
            Engine::Client(_) => RoleKind::Client,
            Engine::Mcs(_) => RoleKind::Mcs,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The VC table.
    pub fn vcs(&self) -> &VcTable {
        &self.vcs
    }

    // ----- commands ----------------------------------------------------------------------

    fn client_mut(&mut self) -> Result<&mut MarsClient, String> {
        match &mut self.engine {
            Engine::Client(c) => Ok(c),
            _ => Err(format!("role {} is not a client", self.name)),
        }
    }

    /// Join a group or block (`layer3grp` set for a single group, RFC 2022 §5.3).
    pub fn join(&mut self, now: Instant, (min, max): (ProtoAddr, ProtoAddr)) -> Result<(), String> {
        let c = self.client_mut()?;
        let r = if min == max {
            c.join(now, min)
        } else {
            c.join_block(now, min, max)
        };
        r.map_err(|e| e.to_string())?;
        self.after_input();
        Ok(())
    }

    /// Leave a group or block, exactly as joined.
    pub fn leave(
        &mut self,
        now: Instant,
        (min, max): (ProtoAddr, ProtoAddr),
    ) -> Result<(), String> {
        let c = self.client_mut()?;
        let r = if min == max {
            c.leave(now, min)
        } else {
            c.leave_block(now, min, max)
        };
        r.map_err(|e| e.to_string())?;
        self.after_input();
        Ok(())
    }

    /// Send `text` to `group` as the payload of a minimal IPv4 packet (RFC 2022 §5.5).
    pub fn send(&mut self, now: Instant, group: ProtoAddr, text: &str) -> Result<usize, String> {
        let c = self.client_mut()?;
        let packet = match group.to_v4() {
            Some(dst) => {
                let src = c
                    .config()
                    .protocol_address
                    .to_v4()
                    .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
                mars_proto::mars::client::datapath::ipv4_packet(src, dst, text.as_bytes())
            }
            None => text.as_bytes().to_vec(),
        };
        let len = packet.len();
        c.send(now, group, &packet).map_err(|e| e.to_string())?;
        self.after_input();
        Ok(len)
    }

    /// Hand every datagram delivered from now on to `tx` (until it is closed).
    pub fn subscribe(&mut self, tx: mpsc::UnboundedSender<Datagram>) -> Result<(), String> {
        self.client_mut()?;
        self.receivers.push(tx);
        Ok(())
    }

    /// Ask the client's MARS about `group` (see [`resolver`]).
    pub fn resolve(
        &mut self,
        now: Instant,
        group: ProtoAddr,
        within: Duration,
        reply: oneshot::Sender<Result<Answer, String>>,
    ) -> Result<(), String> {
        let name = self.name.clone();
        let c = self.client_mut()?;
        if !c.is_registered() {
            return Err(format!(
                "role {name} is not registered with a MARS yet (state {:?})",
                c.state().state
            ));
        }
        let st = c.state();
        let cfg = c.config();
        let who = Asker {
            address: cfg.address,
            spa: cfg.protocol_address,
            pro: cfg.protocol,
            mars: st.mars,
        };
        self.resolver.start(now, who, group, within, reply);
        Ok(())
    }

    /// Replace the server's backup list (reload).
    pub fn set_backups(&mut self, backups: Vec<AtmAddress>) {
        match &mut self.engine {
            Engine::Server(s) => s.set_backups(backups),
            Engine::Distributed(d) => d.server_mut().set_backups(backups),
            _ => {}
        }
    }

    /// Apply one change of a reload to the server's peers: add, remove, re-address or
    /// restart a peer (the SCSP engine's DCSs, `DistributedServer::add_peer` …), or re-key
    /// one (B.3.1.3 rollover). Idempotent, so that a reload that failed half way converges
    /// when tried again: removing a peer already gone does nothing, adding one already there
    /// replaces it.
    pub fn rekey(&mut self, now: Instant, change: &PeerChange) -> Result<(), String> {
        let r = self.apply_peer(now, change);
        self.after_input();
        r
    }

    fn apply_peer(&mut self, now: Instant, change: &PeerChange) -> Result<(), String> {
        let Engine::Distributed(d) = &mut self.engine else {
            return Err(format!(
                "{}: this server runs without peers (no SCSP engine): restart marsd",
                change.summary()
            ));
        };
        let err = |e: mars_proto::scsp::ScspError| format!("{}: {e}", change.summary());
        // Add `dcs`, replacing the DCS at `old` (or at its own address) if there is one.
        // Put `dcs` in place of the DCS at `old`, or at its own address; a DCS that already
        // runs with exactly this configuration (a reload tried again) is left alone.
        let put = |d: &mut DistributedServer, old: Option<AtmAddress>, dcs: DcsConfig| {
            let e = d.scsp();
            let old = old.filter(|a| *a != dcs.address && e.dcs_index(a).is_some());
            match (old, e.dcs_index(&dcs.address)) {
                (Some(a), _) => d.replace_peer(now, a, dcs).map(|_| ()),
                (None, Some(i)) if e.dcs_config(i) == Some(&dcs) => Ok(()),
                (None, Some(i)) => d.replace_peer(now, i, dcs).map(|_| ()),
                (None, None) => d.add_peer(now, dcs).map(|_| ()),
            }
        };
        match change {
            PeerChange::Remove { address } => match d.remove_peer(now, *address) {
                Ok(_) | Err(mars_proto::scsp::ScspError::NoDcsAt(_)) => Ok(()),
                Err(e) => Err(err(e)),
            },
            PeerChange::Readdress { from, dcs, .. } => {
                put(d, Some(*from), dcs.clone()).map_err(err)
            }
            PeerChange::Restart { dcs, .. } | PeerChange::Add { dcs, .. } => {
                put(d, None, dcs.clone()).map_err(err)
            }
            PeerChange::Keys(p) => rekey(d.scsp_mut(), now, p).map_err(err),
        }
    }

    /// Join/leave (client) or serve/unserve (MCS) what a reload changed.
    pub fn apply_groups(&mut self, now: Instant, g: &GroupChanges) -> Vec<String> {
        let mut errors = Vec::new();
        for &r in &g.leave {
            let res = match &mut self.engine {
                Engine::Mcs(m) => m.unserve(now, r.0).map_err(|e| e.to_string()),
                _ => self.leave(now, r),
            };
            if let Err(e) = res {
                errors.push(format!("leave {}: {e}", r.0));
            }
        }
        for &r in &g.join {
            let res = match &mut self.engine {
                Engine::Mcs(m) => m.serve(now, r.0).map_err(|e| e.to_string()),
                _ => self.join(now, r),
            };
            if let Err(e) = res {
                errors.push(format!("join {}: {e}", r.0));
            }
        }
        self.after_input();
        errors
    }

    /// First step of a clean shutdown: clients and MCSs deregister (RFC 2022 §5.2.3, RFC
    /// 2149 §4.1.1). Returns whether there is anything to wait for.
    pub fn begin_shutdown(&mut self, now: Instant) -> bool {
        let wait = match &mut self.engine {
            Engine::Client(c) if c.is_registered() => {
                c.deregister(now);
                true
            }
            Engine::Mcs(m) if m.is_registered() => {
                m.deregister(now);
                true
            }
            _ => false,
        };
        self.deregistered = !wait;
        self.after_input();
        wait
    }

    /// Whether the deregistration started by [`Role::begin_shutdown`] completed.
    pub fn is_deregistered(&self) -> bool {
        self.deregistered
    }

    /// Last step of a clean shutdown: release every VC the role holds and stop passing the
    /// engine's requests on. Returns how many VCs were released.
    pub fn release_all(&mut self) -> usize {
        self.stopping = true;
        let v = self.vcs.release_all();
        let n = v.len();
        self.injected.extend(v);
        n
    }

    // ----- events ------------------------------------------------------------------------

    /// Drain and act on everything the engine reported.
    fn after_input(&mut self) {
        let name = self.name.clone();
        let mut delivered = Vec::new();
        match &mut self.engine {
            Engine::Server(s) => {
                while let Some(ev) = s.poll_event() {
                    log_server(&name, &ev);
                }
            }
            Engine::Distributed(d) => {
                while let Some(ev) = d.poll_event() {
                    let json = serde_json::to_string(&ev).unwrap_or_default();
                    tracing::info!(role = %name, event = %json, "distributed server");
                }
                while let Some(ev) = d.poll_server_event() {
                    log_server(&name, &ev);
                }
                while let Some(ev) = d.poll_scsp_event() {
                    let json = || serde_json::to_string(&ev).unwrap_or_default();
                    // One event per record at debug, the rest at info; the JSON is built only
                    // when the level is on (an alignment of a million records would otherwise
                    // spend a sixth of its CPU formatting JSON nobody reads).
                    match ev {
                        mars_proto::scsp::ScspEvent::Learned { .. }
                        | mars_proto::scsp::ScspEvent::Withdrawn { .. }
                        | mars_proto::scsp::ScspEvent::Discarded { .. } => {
                            tracing::debug!(role = %name, event = %json(), "scsp")
                        }
                        _ => tracing::info!(role = %name, event = %json(), "scsp"),
                    }
                }
            }
            Engine::Client(c) => {
                while let Some(ev) = c.poll_event() {
                    if matches!(ev, ClientEvent::Deregistered) {
                        self.deregistered = true;
                    }
                    log_client(&name, &ev, &mut delivered);
                }
            }
            Engine::Mcs(m) => {
                while let Some(ev) = m.poll_event() {
                    if matches!(ev, ClientEvent::Deregistered) {
                        self.deregistered = true;
                    }
                    log_client(&name, &ev, &mut delivered);
                }
                while let Some((list, ev)) = m.poll_election_event() {
                    log_election(&name, list, &ev);
                }
            }
        }
        if !delivered.is_empty() && !self.receivers.is_empty() {
            for d in delivered {
                let dg = datagram(&name, &d);
                self.receivers.retain(|tx| tx.send(dg.clone()).is_ok());
            }
        }
    }

    fn engine_user(&mut self) -> &mut dyn AtmUser {
        match &mut self.engine {
            Engine::Server(s) => s.as_mut(),
            Engine::Distributed(d) => d.as_mut(),
            Engine::Client(c) => c.as_mut(),
            Engine::Mcs(m) => m.as_mut(),
        }
    }
}

/// New keying for the DCS at `p.address`.
fn rekey(
    e: &mut mars_proto::scsp::ScspEngine<mars_proto::dmars::MarsScsp>,
    now: Instant,
    p: &PeerKeys,
) -> Result<(), mars_proto::scsp::ScspError> {
    let i = e
        .dcs_index(&p.address)
        .ok_or(mars_proto::scsp::ScspError::NoDcsAt(p.address))?;
    for spi in &p.remove {
        e.remove_security_association(i, *spi)?;
    }
    for sa in &p.install {
        e.add_security_association(now, i, sa.clone())?;
    }
    e.set_sending_spi(i, p.send_spi)?;
    e.set_auth_mode(i, p.mode)?;
    Ok(())
}

fn log_server(role: &str, ev: &ServerEvent) {
    // A closure, so that the JSON is built only when the event's level is on (tracing
    // evaluates field values after its enabled check): a learned membership change is a debug
    // event, a million of them in a cache alignment.
    let json = || serde_json::to_string(ev).unwrap_or_default();
    match ev {
        ServerEvent::Registered { .. }
        | ServerEvent::Deregistered { .. }
        | ServerEvent::McsRegistered { .. }
        | ServerEvent::McsDeregistered { .. }
        | ServerEvent::RegistrationFailed { .. }
        | ServerEvent::Migrated { .. } => tracing::info!(role, event = %json(), "mars server"),
        ServerEvent::Conflict { .. } => tracing::warn!(role, event = %json(), "mars server"),
        _ => tracing::debug!(role, event = %json(), "mars server"),
    }
}

/// RFC 2149 §5 election events: a failure or an MCS that will never serve is a warning.
fn log_election(role: &str, list: usize, ev: &ElectionEvent) {
    let json = || serde_json::to_string(ev).unwrap_or_default();
    match ev {
        ElectionEvent::ActiveFailed { .. }
        | ElectionEvent::CandidateFailed { .. }
        | ElectionEvent::NotElected { .. }
        | ElectionEvent::InactiveDead { .. }
        | ElectionEvent::NotInList => {
            tracing::warn!(role, mcslist = list + 1, event = %json(), "mcs election")
        }
        _ => tracing::info!(role, mcslist = list + 1, event = %json(), "mcs election"),
    }
}

fn log_client(role: &str, ev: &ClientEvent, delivered: &mut Vec<Delivery>) {
    match ev {
        ClientEvent::Delivered(d) => {
            tracing::debug!(role, group = ?d.group, len = d.packet.len(), "datagram delivered");
            delivered.push(d.clone());
        }
        ClientEvent::Discarded { .. } | ClientEvent::Resolved { .. } => {
            tracing::debug!(role, event = ?ev, "client")
        }
        ClientEvent::MarsFailure { .. } | ClientEvent::LoopingGuard { .. } => {
            tracing::warn!(role, event = ?ev, "client")
        }
        _ => tracing::info!(role, event = ?ev, "client"),
    }
}

/// The layer 3 payload of an IPv4 packet (after its header), else the whole packet.
fn payload(packet: &Bytes) -> &[u8] {
    if packet.len() >= 20 && packet[0] >> 4 == 4 {
        let ihl = usize::from(packet[0] & 0x0F) * 4;
        if ihl >= 20 && packet.len() >= ihl {
            return &packet[ihl..];
        }
    }
    packet
}

fn datagram(role: &str, d: &Delivery) -> Datagram {
    Datagram {
        role: role.to_string(),
        group: d.group,
        source_cmi: d.source_cmi,
        text: String::from_utf8_lossy(payload(&d.packet)).into_owned(),
        len: d.packet.len(),
    }
}

impl AtmUser for Role {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        self.now = now;
        self.vcs.on_event(&ev);
        if let (Some(tap), VcEvent::Received { vc, sdu }) = (&self.tap, &ev) {
            tap.record(RX, self.vcs.label(*vc), sdu);
        }
        let mine = !matches!(ev, VcEvent::IncomingCall { .. }) && self.resolver.owns(ev.vc());
        if mine {
            self.resolver.on_event(ev);
        } else {
            self.engine_user().handle_vc_event(now, ev);
        }
        self.after_input();
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        let e = self.engine_user();
        if e.poll_timeout().is_some_and(|t| t <= now) {
            e.handle_timeout(now);
        }
        if self.resolver.poll_timeout().is_some_and(|t| t <= now) {
            self.resolver.on_timeout(now);
        }
        self.after_input();
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        let r = loop {
            if let Some(r) = self.injected.pop_front() {
                break r;
            }
            if let Some(r) = self.resolver.poll_request() {
                break r;
            }
            let r = self.engine_user().poll_request()?;
            if !self.stopping {
                break r;
            }
        };
        self.vcs.on_request(&r);
        if let (Some(tap), VcRequest::Send { vc, sdu }) = (&self.tap, &r) {
            tap.record(TX, self.vcs.label(*vc), sdu);
        }
        Some(r)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let e = match &self.engine {
            Engine::Server(s) => s.poll_timeout(),
            Engine::Distributed(d) => d.poll_timeout(),
            Engine::Client(c) => c.poll_timeout(),
            Engine::Mcs(m) => m.poll_timeout(),
        };
        [e, self.resolver.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }
}
