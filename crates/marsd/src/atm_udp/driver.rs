//! The tokio driver: one task per endpoint owns the UDP socket and the sans-IO
//! [`Endpoint`], batches datagrams out (`sendmmsg`) and drains the socket in bursts.
//!
//! Two ways to attach a user:
//! - [`EngineEndpoint::spawn`] runs one [`AtmUser`] engine inside the task, with the loop of
//!   [`mars_proto::engine`]: deliver `VcEvent`s, honour `poll_timeout`, drain `poll_request`.
//! - [`RawEndpoint::bind`] exposes the `VcRequest`/`VcEvent` streams themselves (tests, the
//!   contract suite); [`BlockingEndpoint`] wraps it for callers without async.

use std::any::Any;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use mars_proto::{AtmUser, Instant, VcEvent, VcRequest};
use mars_wire::AtmAddress;
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::batch::{self, Sent};
use super::{Counters, Endpoint, EndpointConfig, Underlay};

/// Datagrams read from the socket before the loop turns to its other inputs.
const RECV_BURST: usize = 256;
/// Requests taken from the channel before the loop turns to its other inputs.
const COMMAND_BURST: usize = 256;
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

/// The user attached to an endpoint inside the driver loop.
trait Attached {
    /// The user itself, for [`Command::Call`] (the engine in engine mode).
    fn user(&mut self) -> &mut dyn Any;
    fn deliver(&mut self, now: Instant, ev: VcEvent);
    fn next_request(&mut self) -> Option<VcRequest>;
    fn deadline(&self) -> Option<Instant>;
    fn on_timeout(&mut self, now: Instant);
}

/// Raw mode: events go to a channel; requests arrive as commands.
struct RawUser(mpsc::UnboundedSender<VcEvent>);

impl Attached for RawUser {
    fn user(&mut self) -> &mut dyn Any {
        self
    }
    fn deliver(&mut self, _: Instant, ev: VcEvent) {
        let _ = self.0.send(ev);
    }
    fn next_request(&mut self) -> Option<VcRequest> {
        None
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    fn on_timeout(&mut self, _: Instant) {}
}

/// Engine mode.
struct EngineUser<E>(E);

impl<E: AtmUser + 'static> Attached for EngineUser<E> {
    fn user(&mut self) -> &mut dyn Any {
        &mut self.0
    }
    fn deliver(&mut self, now: Instant, ev: VcEvent) {
        self.0.handle_vc_event(now, ev);
    }
    fn next_request(&mut self) -> Option<VcRequest> {
        self.0.poll_request()
    }
    fn deadline(&self) -> Option<Instant> {
        self.0.poll_timeout()
    }
    fn on_timeout(&mut self, now: Instant) {
        self.0.handle_timeout(now);
    }
}

/// A closure run on the attached user inside the endpoint task, with the loop's `now`.
type Call = Box<dyn FnOnce(&mut dyn Any, Instant) + Send>;

enum Command {
    Request(VcRequest),
    /// Run a closure on the user (see [`EngineEndpoint::with`]); the loop then delivers
    /// and carries out whatever the closure made the engine produce.
    Call(Call),
    Stop,
}

/// The driver loop. Returns the user when told to stop (or when every handle is dropped).
async fn run<A: Attached>(
    sock: UdpSocket,
    mut ep: Endpoint,
    mut user: A,
    mut commands: mpsc::UnboundedReceiver<Command>,
    shared: Arc<Mutex<Counters>>,
) -> A {
    let epoch = tokio::time::Instant::now();
    let clock = move || Instant::from_nanos(epoch.elapsed().as_nanos() as u64);
    let to_tokio = move |t: Instant| epoch + t.since_epoch();
    let mut buf = vec![0u8; 65_536];
    let mut out = Vec::new();
    let mut pending: Option<Command> = None;
    // "No deadline" is a deadline far away.
    let idle = epoch + Duration::from_secs(86_400 * 365);
    let sleep = tokio::time::sleep_until(idle);
    tokio::pin!(sleep);
    loop {
        // 1. Inputs first, without blocking: both queues, so that a steady stream of requests
        //    cannot starve the socket (and its keepalives) or the reverse; and before timers,
        //    so that a peer is never declared dead while its datagrams wait unread.
        if let Some(cmd) = pending.take() {
            if !handle_command(&mut ep, &mut user, cmd, clock()) {
                return user;
            }
        }
        for _ in 0..COMMAND_BURST {
            match commands.try_recv() {
                Ok(cmd) => {
                    if !handle_command(&mut ep, &mut user, cmd, clock()) {
                        return user;
                    }
                }
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => return user,
            }
        }
        for _ in 0..RECV_BURST {
            match batch::recv_now(&sock, &mut buf) {
                Ok((n, from)) => ep.handle_datagram(clock(), from, &buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Bring tokio's readiness in line (else `readable()` below would fire
                    // at once forever): retry through it, which clears it on WouldBlock.
                    match sock.try_io(Interest::READABLE, || batch::recv_now(&sock, &mut buf)) {
                        Ok((n, from)) => ep.handle_datagram(clock(), from, &buf[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => ep.note_recv_error(),
                    }
                }
                // E.g. ECONNREFUSED from an ICMP port unreachable: count, go on.
                Err(e) => {
                    tracing::debug!(error = %e, "receive error");
                    ep.note_recv_error();
                }
            }
        }
        // 2. Timers.
        let now = clock();
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
        }
        if user.deadline().is_some_and(|t| t <= now) {
            user.on_timeout(now);
        }
        // 3. Deliver events and carry out requests until both sides are quiet.
        loop {
            let mut busy = false;
            while let Some(ev) = ep.poll_event() {
                user.deliver(now, ev);
                busy = true;
            }
            while let Some(r) = user.next_request() {
                ep.handle_request(now, r);
                busy = true;
            }
            if !busy {
                break;
            }
        }
        // 4. Output, in batches.
        if ep.has_transmits() {
            out.extend(ep.drain_transmits());
            let Sent { failed, .. } = batch::send_all(&sock, &out).await;
            out.clear();
            if failed > 0 {
                tracing::debug!(failed, "the socket refused datagrams");
                ep.note_send_errors(failed);
            }
        }
        *shared.lock().unwrap_or_else(PoisonError::into_inner) = ep.counters().clone();

        // 5. Wait for the next input or deadline. One timer, re-armed only when the deadline
        //    moves (a timer-wheel entry per turn costs more than the rest of a turn under load).
        let deadline = [ep.poll_timeout(), user.deadline()]
            .into_iter()
            .flatten()
            .min();
        let wake_at = deadline.map_or(idle, to_tokio);
        if sleep.deadline() != wake_at {
            sleep.as_mut().reset(wake_at);
        }
        tokio::select! {
            _ = commands_ready(&mut commands, &mut pending) => {}
            _ = sock.readable() => {}
            _ = &mut sleep => {}
        }
    }
}

/// Resolves when a command is waiting (stored in `pending`), or the channel closed.
async fn commands_ready(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    pending: &mut Option<Command>,
) {
    *pending = Some(commands.recv().await.unwrap_or(Command::Stop));
}

/// Carry out one command; false means stop.
fn handle_command<A: Attached>(
    ep: &mut Endpoint,
    user: &mut A,
    cmd: Command,
    now: Instant,
) -> bool {
    match cmd {
        Command::Request(r) => {
            ep.handle_request(now, r);
            true
        }
        Command::Call(f) => {
            f(user.user(), now);
            true
        }
        Command::Stop => false,
    }
}

/// An endpoint in raw mode: the caller submits [`VcRequest`]s and reads [`VcEvent`]s.
#[derive(Debug)]
pub struct RawEndpoint {
    commands: mpsc::UnboundedSender<Command>,
    events: mpsc::UnboundedReceiver<VcEvent>,
    counters: Arc<Mutex<Counters>>,
    local: SocketAddr,
    atm: AtmAddress,
    task: JoinHandle<()>,
}

impl RawEndpoint {
    /// Bind and start an endpoint on the current tokio runtime.
    pub async fn bind(spec: EndpointSpec) -> io::Result<Self> {
        let (sock, ep) = open(&spec).await?;
        let (local, atm) = (sock.local_addr()?, ep.address());
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Mutex::new(Counters::default()));
        let shared = counters.clone();
        let task = tokio::spawn(async move {
            run(sock, ep, RawUser(ev_tx), cmd_rx, shared).await;
        });
        Ok(RawEndpoint {
            commands: cmd_tx,
            events: ev_rx,
            counters,
            local,
            atm,
            task,
        })
    }

    /// Submit a request (carried out in order; never blocks).
    pub fn request(&self, r: VcRequest) {
        let _ = self.commands.send(Command::Request(r));
    }

    /// The next event, waiting at most `within`.
    pub async fn next_event(&mut self, within: Duration) -> Option<VcEvent> {
        tokio::time::timeout(within, self.events.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next event if one is waiting.
    pub fn try_next_event(&mut self) -> Option<VcEvent> {
        self.events.try_recv().ok()
    }

    /// The endpoint's counters as of its last loop turn.
    pub fn counters(&self) -> Counters {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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
    /// only by silence.
    pub fn kill(&self) {
        self.task.abort();
    }

    /// Stop and wait for the task to end.
    pub async fn shutdown(self) {
        let _ = self.commands.send(Command::Stop);
        let _ = self.task.await;
    }
}

/// An endpoint running one engine.
#[derive(Debug)]
pub struct EngineEndpoint<E> {
    commands: mpsc::UnboundedSender<Command>,
    counters: Arc<Mutex<Counters>>,
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
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Mutex::new(Counters::default()));
        let shared = counters.clone();
        let task =
            tokio::spawn(async move { run(sock, ep, EngineUser(engine), cmd_rx, shared).await.0 });
        Ok(EngineEndpoint {
            commands: cmd_tx,
            counters,
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
        self.commands.send(Command::Call(call)).ok()?;
        rx.await.ok()
    }

    /// Stop the loop and hand back the engine (for inspection).
    pub async fn stop(self) -> Result<E, tokio::task::JoinError> {
        let _ = self.commands.send(Command::Stop);
        self.task.await
    }

    /// The endpoint's counters as of its last loop turn.
    pub fn counters(&self) -> Counters {
        self.counters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
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

/// A multi-threaded runtime suitable for [`BlockingEndpoint`]s.
pub fn blocking_runtime() -> io::Result<Arc<tokio::runtime::Runtime>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map(Arc::new)
}
