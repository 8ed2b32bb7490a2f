//! The tokio driver: one task per endpoint owns the UDP socket and the sans-IO
//! [`Endpoint`], batches datagrams out (`sendmmsg`) and drains the socket in bursts.
//!
//! Two ways to attach a user:
//! - [`EngineEndpoint::spawn`] runs one [`AtmUser`] engine inside the task, with the loop of
//!   [`mars_proto::engine`]: deliver `VcEvent`s, honour `poll_timeout`, drain `poll_request`.
//! - [`RawEndpoint::bind`] exposes the `VcRequest`/`VcEvent` streams themselves (tests, the
//!   contract suite); [`BlockingEndpoint`] wraps it for callers without async. The caller's
//!   requests are carried out on its own thread, under the endpoint's lock, at the point of
//!   the event stream it has read to, so that they mean what they would in engine mode.

use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use mars_proto::{AtmUser, Instant, VcEvent, VcRequest};
use mars_wire::AtmAddress;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use super::batch::{self, Sent};
use super::{Counters, Endpoint, EndpointConfig, Underlay};

/// Datagrams read from the socket before the loop turns to its other inputs.
const RECV_BURST: usize = 256;
/// Socket buffer size asked of the kernel (a 1,000-leaf fan-out must not overflow it).
const SOCKET_BUFFER: usize = 4 << 20;

/// What an endpoint is, once bound.
#[derive(Debug, Clone)]
pub struct EndpointSpec {
    /// Socket address to bind (port 0 picks one).
    pub bind: SocketAddr,
    /// The endpoint's ATM address; `None` derives it from the bound address (static map
    /// entry, else RFC 4548 embedding).
    pub atm: Option<AtmAddress>,
    /// Timers and limits.
    pub config: EndpointConfig,
    /// Address resolution.
    pub underlay: Arc<Underlay>,
}

impl EndpointSpec {
    /// An endpoint at `bind` with the default configuration and an embedding-only underlay.
    pub fn new(bind: SocketAddr) -> Self {
        EndpointSpec {
            bind,
            atm: None,
            config: EndpointConfig::default(),
            underlay: Arc::new(Underlay::new()),
        }
    }
}

/// Bind the socket and build the sans-IO endpoint.
async fn open(spec: &EndpointSpec) -> io::Result<(UdpSocket, Endpoint)> {
    let sock = UdpSocket::bind(spec.bind).await?;
    // Larger buffers are a wish, not a requirement.
    let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&sock, SOCKET_BUFFER);
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(&sock, SOCKET_BUFFER);
    let local = sock.local_addr()?;
    let atm = match spec.atm {
        Some(a) => a,
        None => spec.underlay.address_for(local).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no ATM address for {local}: add a static entry (IPv6 has no embedding)"),
            )
        })?,
    };
    let instance = rand::random::<u32>();
    let ep = Endpoint::new(spec.config.clone(), atm, spec.underlay.clone(), instance);
    Ok((sock, ep))
}

/// What the driver task shares with the handles of its endpoint.
#[derive(Debug)]
struct Shared {
    /// The endpoint. A raw user's requests and event reads lock it from the user's own
    /// thread, so that each request is carried out exactly where it stands in the stream of
    /// events the user has read (see [`Endpoint::handle_request`]).
    ep: Mutex<Endpoint>,
    /// Time zero of the endpoint's clock.
    epoch: tokio::time::Instant,
    /// A request was carried out: datagrams may wait, timers may have moved.
    to_driver: Notify,
    /// Events are waiting for the raw user.
    to_user: Notify,
    /// The endpoint was killed: it takes no more requests and tells nothing more.
    killed: AtomicBool,
}

impl Shared {
    fn new(ep: Endpoint) -> Arc<Self> {
        Arc::new(Shared {
            ep: Mutex::new(ep),
            epoch: tokio::time::Instant::now(),
            to_driver: Notify::new(),
            to_user: Notify::new(),
            killed: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Endpoint> {
        self.ep.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The endpoint's clock. Read it with the lock held, so that the endpoint sees time
    /// move forward whichever thread calls it.
    fn now(&self) -> Instant {
        Instant::from_nanos(self.epoch.elapsed().as_nanos() as u64)
    }

    fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// Carry out a raw user's request now, on the caller's thread, and wake the driver to
    /// send what it produced.
    fn request(&self, r: VcRequest) {
        if self.killed() {
            return;
        }
        {
            let mut ep = self.lock();
            let now = self.now();
            ep.handle_request(now, r);
        }
        self.to_driver.notify_one();
    }

    fn poll_event(&self) -> Option<VcEvent> {
        if self.killed() {
            return None;
        }
        self.lock().poll_event()
    }

    /// The next event, waiting until `deadline`.
    async fn next_event(&self, deadline: tokio::time::Instant) -> Option<VcEvent> {
        loop {
            if let Some(ev) = self.poll_event() {
                return Some(ev);
            }
            if self.killed() {
                return None;
            }
            // A wake-up given while nobody waits is kept for the next wait: none is lost.
            if tokio::time::timeout_at(deadline, self.to_user.notified())
                .await
                .is_err()
            {
                return self.poll_event();
            }
        }
    }

    fn counters(&self) -> Counters {
        self.lock().counters().clone()
    }
}

/// The user attached to an endpoint inside the driver loop.
trait Attached {
    /// Hand over what the endpoint has told, and carry out what the user asks, until both
    /// sides are quiet.
    fn exchange(&mut self, now: Instant, ep: &mut Endpoint, shared: &Shared);
    /// The user itself, for [`EngineEndpoint::with`] (the engine in engine mode).
    fn user(&mut self) -> &mut dyn Any;
    fn deadline(&self) -> Option<Instant>;
    fn on_timeout(&mut self, now: Instant);
}

/// Raw mode: events wait in the endpoint until the user takes them; the user's requests are
/// carried out by [`Shared::request`].
struct RawUser;

impl Attached for RawUser {
    fn user(&mut self) -> &mut dyn Any {
        self
    }
    fn exchange(&mut self, _: Instant, ep: &mut Endpoint, shared: &Shared) {
        if ep.pending_events() > 0 {
            shared.to_user.notify_one();
        }
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    fn on_timeout(&mut self, _: Instant) {}
}

/// Engine mode: the loop of [`mars_proto::engine`], all in the driver task.
struct EngineUser<E>(E);

impl<E: AtmUser + 'static> Attached for EngineUser<E> {
    fn user(&mut self) -> &mut dyn Any {
        &mut self.0
    }
    fn exchange(&mut self, now: Instant, ep: &mut Endpoint, _: &Shared) {
        loop {
            let mut busy = false;
            while let Some(ev) = ep.poll_event() {
                self.0.handle_vc_event(now, ev);
                busy = true;
            }
            while let Some(r) = self.0.poll_request() {
                ep.handle_request(now, r);
                busy = true;
            }
            if !busy {
                break;
            }
        }
    }
    fn deadline(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now);
    }
}

/// Receive one datagram if the kernel holds one, with one system call per datagram and one
/// for "empty". Through tokio's readiness first, so that an empty socket clears it (else
/// `readable()` would fire at once forever); when tokio does not think the socket readable it
/// makes no call at all, and then the kernel is asked directly: under load the I/O driver may
/// not have noticed a datagram yet, and a peer must not be declared dead while its datagrams
/// sit unread.
fn recv(sock: &UdpSocket, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let mut asked = false;
    let r = sock.try_io(Interest::READABLE, || {
        asked = true;
        batch::recv_now(sock, buf)
    });
    match r {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock && !asked => batch::recv_now(sock, buf),
        r => r,
    }
}

/// A closure run on the attached user inside the endpoint task, with the loop's `now`.
type Call = Box<dyn FnOnce(&mut dyn Any, Instant) + Send>;

/// The driver loop. Returns the user when told to stop (or when every handle is dropped).
/// `calls` carries closures to run on the user (see [`EngineEndpoint::with`]).
async fn run<A: Attached>(
    sock: UdpSocket,
    shared: Arc<Shared>,
    mut user: A,
    mut stop: mpsc::UnboundedReceiver<()>,
    mut calls: mpsc::UnboundedReceiver<Call>,
) -> A {
    let mut pending: Option<Call> = None;
    let epoch = shared.epoch;
    let to_tokio = move |t: Instant| epoch + t.since_epoch();
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::new();
    // "No deadline" is a deadline far away.
    let idle = epoch + Duration::from_secs(86_400 * 365);
    let sleep = tokio::time::sleep_until(idle);
    tokio::pin!(sleep);
    loop {
        match stop.try_recv() {
            Err(mpsc::error::TryRecvError::Empty) => {}
            Ok(()) | Err(mpsc::error::TryRecvError::Disconnected) => return user,
        }
        let deadline = {
            let mut ep = shared.lock();
            // 1. The socket, without blocking, before timers, so that a peer is never
            //    declared dead while its datagrams wait unread.
            for _ in 0..RECV_BURST {
                match recv(&sock, &mut buf) {
                    Ok((n, from)) => ep.handle_datagram(shared.now(), from, &buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // E.g. ECONNREFUSED from an ICMP port unreachable: count, go on.
                    Err(e) => {
                        tracing::debug!(error = %e, "receive error");
                        ep.note_recv_error();
                    }
                }
            }
            // 2. Closures on the user (control-socket queries and commands), then timers.
            let now = shared.now();
            if let Some(f) = pending.take() {
                f(user.user(), now);
            }
            while let Ok(f) = calls.try_recv() {
                f(user.user(), now);
            }
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
            if user.deadline().is_some_and(|t| t <= now) {
                user.on_timeout(now);
            }
            // 3. Events and requests.
            user.exchange(now, &mut ep, &shared);
            out.extend(ep.drain_transmits());
            [ep.poll_timeout(), user.deadline()]
                .into_iter()
                .flatten()
                .min()
        };
        // 4. Output, in batches, without the lock.
        if !out.is_empty() {
            let Sent { failed, .. } = batch::send_all(&sock, &out).await;
            out.clear();
            if failed > 0 {
                tracing::debug!(failed, "the socket refused datagrams");
                shared.lock().note_send_errors(failed);
            }
        }

        // 5. Wait for the next input or deadline. One timer, re-armed only when the deadline
        //    moves (a timer-wheel entry per turn costs more than the rest of a turn under load).
        let wake_at = deadline.map_or(idle, to_tokio);
        if sleep.deadline() != wake_at {
            sleep.as_mut().reset(wake_at);
        }
        tokio::select! {
            _ = stop.recv() => return user,
            Some(f) = calls.recv() => pending = Some(f),
            _ = shared.to_driver.notified() => {}
            _ = sock.readable() => {}
            _ = &mut sleep => {}
        }
    }
}

/// An endpoint in raw mode: the caller submits [`VcRequest`]s and reads [`VcEvent`]s.
///
/// A request is carried out at once, at the point of the event stream the caller has read
/// to: events it has not read yet come after it, with the meaning that gives them (see
/// [`Endpoint::handle_request`]). So raw mode means exactly what engine mode means, where
/// the driver hands over every event before it takes requests.
#[derive(Debug)]
pub struct RawEndpoint {
    shared: Arc<Shared>,
    stop: mpsc::UnboundedSender<()>,
    local: SocketAddr,
    atm: AtmAddress,
    task: JoinHandle<()>,
}

impl RawEndpoint {
    /// Bind and start an endpoint on the current tokio runtime.
    pub async fn bind(spec: EndpointSpec) -> io::Result<Self> {
        let (sock, ep) = open(&spec).await?;
        let (local, atm) = (sock.local_addr()?, ep.address());
        let (stop, stop_rx) = mpsc::unbounded_channel();
        let shared = Shared::new(ep);
        let inner = shared.clone();
        let task = tokio::spawn(async move {
            let (_calls, calls_rx) = mpsc::unbounded_channel();
            run(sock, inner, RawUser, stop_rx, calls_rx).await;
        });
        Ok(RawEndpoint {
            shared,
            stop,
            local,
            atm,
            task,
        })
    }

    /// Carry out a request (never blocks for long: the endpoint's lock only).
    pub fn request(&self, r: VcRequest) {
        self.shared.request(r);
    }

    /// The next event, waiting at most `within`.
    pub async fn next_event(&mut self, within: Duration) -> Option<VcEvent> {
        let deadline = tokio::time::Instant::now() + within;
        self.shared.next_event(deadline).await
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&mut self) -> Option<VcEvent> {
        self.shared.poll_event()
    }

    /// How many events are waiting to be read.
    pub fn pending_events(&self) -> usize {
        if self.shared.killed() {
            return 0;
        }
        self.shared.lock().pending_events()
    }

    /// The endpoint's counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The endpoint's ATM address.
    pub fn address(&self) -> AtmAddress {
        self.atm
    }

    /// Stop at once, as a crash would: no RELEASE is sent, the socket closes, peers notice
    /// only by silence; events not yet read are lost.
    pub fn kill(&self) {
        self.shared.killed.store(true, Ordering::Release);
        self.task.abort();
    }

    /// Stop and wait for the task to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// An endpoint running one engine.
#[derive(Debug)]
pub struct EngineEndpoint<E> {
    shared: Arc<Shared>,
    stop: mpsc::UnboundedSender<()>,
    calls: mpsc::UnboundedSender<Call>,
    local: SocketAddr,
    atm: AtmAddress,
    task: JoinHandle<E>,
}

impl<E: AtmUser + Send + 'static> EngineEndpoint<E> {
    /// Bind and run `engine` on the endpoint, on the current tokio runtime. `make` receives
    /// the endpoint's ATM address (engines usually need their own address) and builds the
    /// engine.
    pub async fn spawn(spec: EndpointSpec, make: impl FnOnce(AtmAddress) -> E) -> io::Result<Self> {
        let (sock, ep) = open(&spec).await?;
        let (local, atm) = (sock.local_addr()?, ep.address());
        let engine = make(atm);
        let (stop, stop_rx) = mpsc::unbounded_channel();
        let (calls, calls_rx) = mpsc::unbounded_channel();
        let shared = Shared::new(ep);
        let inner = shared.clone();
        let task = tokio::spawn(async move {
            run(sock, inner, EngineUser(engine), stop_rx, calls_rx)
                .await
                .0
        });
        Ok(EngineEndpoint {
            shared,
            stop,
            calls,
            local,
            atm,
            task,
        })
    }

    /// Run `f` on the engine inside the endpoint task, with the loop's current time, and
    /// return its result; `None` if the endpoint has stopped. Whatever the closure makes the
    /// engine produce (requests, a changed deadline) is carried out by the same loop turn.
    /// This is how the daemon's control socket queries state and issues commands on a
    /// running engine without sharing it.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut E, Instant) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let call: Call = Box::new(move |user, now| {
            if let Some(engine) = user.downcast_mut::<E>() {
                let _ = tx.send(f(engine, now));
            }
        });
        self.calls.send(call).ok()?;
        rx.await.ok()
    }

    /// Stop the loop and hand back the engine (for inspection).
    pub async fn stop(self) -> Result<E, tokio::task::JoinError> {
        let _ = self.stop.send(());
        self.task.await
    }

    /// The endpoint's counters.
    pub fn counters(&self) -> Counters {
        self.shared.counters()
    }

    /// The bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The endpoint's ATM address.
    pub fn address(&self) -> AtmAddress {
        self.atm
    }
}

/// Raw mode for callers without async (the contract suite's `ContractNet`): every call
/// blocks on a runtime this value shares with its other endpoints.
#[derive(Debug)]
pub struct BlockingEndpoint {
    inner: RawEndpoint,
    rt: Arc<tokio::runtime::Runtime>,
}

impl BlockingEndpoint {
    /// Bind an endpoint on `rt`.
    pub fn bind(rt: Arc<tokio::runtime::Runtime>, spec: EndpointSpec) -> io::Result<Self> {
        let inner = rt.block_on(RawEndpoint::bind(spec))?;
        Ok(BlockingEndpoint { inner, rt })
    }

    /// Submit a request.
    pub fn request(&self, r: VcRequest) {
        self.inner.request(r);
    }

    /// The next event, waiting at most `within`.
    pub fn next_event(&mut self, within: Duration) -> Option<VcEvent> {
        let rt = self.rt.clone();
        rt.block_on(self.inner.next_event(within))
    }

    /// Crash the endpoint.
    pub fn kill(&self) {
        self.inner.kill();
    }

    /// The raw endpoint (address, counters).
    pub fn raw(&self) -> &RawEndpoint {
        &self.inner
    }
}

/// The runtime the emulation runs on — `marsd`, its demo and [`BlockingEndpoint`]s alike:
/// two worker threads (each endpoint is one task; the control socket and timers share them).
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

/// [`runtime`], shared, for [`BlockingEndpoint`]s.
pub fn blocking_runtime() -> io::Result<Arc<tokio::runtime::Runtime>> {
    runtime().map(Arc::new)
}
