//! In-process engines for the daemon benchmarks, each a real [`MarsClient`] (so the server
//! sees a registered member: RFC 2022 §6.1.1 answers only those) with something around it:
//!
//! - [`LoadGen`]: once registered, opens a VC of its own to the MARS (as `marsctl resolve`
//!   does) and keeps `window` MARS_REQUESTs outstanding on it, sending the next one for each
//!   MARS_MULTI that comes back;
//! - [`Tap`]: hands every MARS_JOIN it receives (the copies on ClusterControlVC) to a channel
//!   with the time it arrived.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant as Wall;

use bytes::Bytes;
use mars_proto::mars::client::{ClientConfig, MarsClient};
use mars_proto::{AtmUser, Instant, VcEvent, VcId, VcRequest};
use mars_wire::mars::{MarsBody, MarsMessage, Request};
use mars_wire::{AtmAddress, ProtoAddr};
use tokio::sync::mpsc;

/// The blaster's VC id (far above the client engine's own ids).
const BLAST_VC: u64 = 1 << 48;

/// Counters a [`LoadGen`] shares with the benchmark.
#[derive(Debug, Default)]
pub struct LoadStats {
    /// Registered and blasting.
    pub running: AtomicBool,
    /// MARS_MULTIs received.
    pub replies: AtomicU64,
    /// Octets of the last MARS_MULTI SDU.
    pub reply_len: AtomicU64,
    /// Octets of the MARS_REQUEST SDU.
    pub request_len: AtomicU64,
    /// MARS_REQUESTs sent.
    pub requests: AtomicU64,
}

/// A registered client blasting MARS_REQUESTs for one group. See the module documentation.
#[derive(Debug)]
pub struct LoadGen {
    client: MarsClient,
    mars: AtmAddress,
    group: ProtoAddr,
    window: u64,
    paused: bool,
    started: bool,
    request: Option<Bytes>,
    out: VecDeque<VcRequest>,
    stats: Arc<LoadStats>,
}

impl LoadGen {
    /// A client at `cfg.address` asking its first MARS about `group`, `window` at a time.
    pub fn new(cfg: ClientConfig, group: ProtoAddr, window: u64, stats: Arc<LoadStats>) -> Self {
        let mars = cfg.mars[0];
        LoadGen {
            client: MarsClient::new(cfg, Instant::ZERO),
            mars,
            group,
            window,
            paused: false,
            started: false,
            request: None,
            out: VecDeque::new(),
            stats,
        }
    }

    fn kick(&mut self) {
        while self.client.poll_event().is_some() {}
        if self.started || !self.client.is_registered() {
            return;
        }
        let c = self.client.config();
        let req = MarsMessage::new(
            c.protocol,
            MarsBody::Request(Request::new(c.address, c.protocol_address, self.group)),
        );
        let sdu = Bytes::from(req.encode_sdu().expect("MARS_REQUEST encodes"));
        self.stats
            .request_len
            .store(sdu.len() as u64, Ordering::Relaxed);
        self.request = Some(sdu);
        self.started = true;
        self.out.push_back(VcRequest::Connect {
            vc: VcId::local(BLAST_VC),
            to: self.mars,
        });
    }

    /// Stop sending: the requests outstanding are answered, no new ones go out.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// Send again, keeping `window` requests outstanding.
    pub fn resume(&mut self, window: u64) {
        self.paused = false;
        self.window = window;
        let outstanding = self.stats.requests.load(Ordering::Relaxed)
            - self.stats.replies.load(Ordering::Relaxed);
        for _ in outstanding..window {
            self.send();
        }
    }

    fn send(&mut self) {
        if self.paused {
            return;
        }
        if let Some(sdu) = self.request.clone() {
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            self.out.push_back(VcRequest::Send {
                vc: VcId::local(BLAST_VC),
                sdu,
            });
        }
    }
}

impl AtmUser for LoadGen {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        let ours = !matches!(ev, VcEvent::IncomingCall { .. }) && ev.vc() == VcId::local(BLAST_VC);
        if !ours {
            self.client.handle_vc_event(now, ev);
            self.kick();
            return;
        }
        match ev {
            VcEvent::Connected { .. } => {
                self.stats.running.store(true, Ordering::Relaxed);
                for _ in 0..self.window {
                    self.send();
                }
            }
            VcEvent::Received { sdu, .. } => {
                self.stats.replies.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .reply_len
                    .store(sdu.len() as u64, Ordering::Relaxed);
                self.send();
            }
            VcEvent::Released { .. } => self.stats.running.store(false, Ordering::Relaxed),
            _ => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        self.kick();
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.out.pop_front().or_else(|| self.client.poll_request())
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }
}

/// A MARS_JOIN or MARS_LEAVE seen by a [`Tap`]: who saw it, its first group, its source,
/// and when it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The tap's index.
    pub tap: usize,
    /// `mar$min` of the first pair.
    pub group: ProtoAddr,
    /// `mar$sha`.
    pub source: AtmAddress,
    /// A MARS_LEAVE rather than a MARS_JOIN.
    pub leave: bool,
    /// Arrival.
    pub at: Wall,
}

/// A registered client reporting every MARS_JOIN and MARS_LEAVE it receives. See the module documentation.
#[derive(Debug)]
pub struct Tap {
    /// The client (commands go to it through `EngineEndpoint::with`).
    pub client: MarsClient,
    index: usize,
    tx: mpsc::UnboundedSender<Seen>,
}

impl Tap {
    /// Tap number `index` around a client of `cfg`, reporting to `tx`.
    pub fn new(cfg: ClientConfig, index: usize, tx: mpsc::UnboundedSender<Seen>) -> Self {
        Tap {
            client: MarsClient::new(cfg, Instant::ZERO),
            index,
            tx,
        }
    }
}

impl AtmUser for Tap {
    fn handle_vc_event(&mut self, now: Instant, ev: VcEvent) {
        if let VcEvent::Received { sdu, .. } = &ev {
            let at = Wall::now();
            let (j, leave) = match MarsMessage::decode_sdu(sdu).map(|m| m.body) {
                Ok(MarsBody::Join(j)) => (Some(j), false),
                Ok(MarsBody::Leave(j)) => (Some(j), true),
                _ => (None, false),
            };
            if let Some((j, p)) = j.as_ref().and_then(|j| Some((j, j.pairs.first()?))) {
                let _ = self.tx.send(Seen {
                    tap: self.index,
                    group: p.min,
                    source: j.source,
                    leave,
                    at,
                });
            }
        }
        self.client.handle_vc_event(now, ev);
        while self.client.poll_event().is_some() {}
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.client.poll_timeout().is_some_and(|t| t <= now) {
            self.client.handle_timeout(now);
        }
        while self.client.poll_event().is_some() {}
    }

    fn poll_request(&mut self) -> Option<VcRequest> {
        self.client.poll_request()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.client.poll_timeout()
    }
}
