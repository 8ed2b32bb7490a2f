//! Signals and service-manager notifications.
//!
//! - SIGTERM, SIGINT: clean shutdown (clients and MCSs deregister, VCs are released).
//! - SIGHUP: reload the configuration file; a bad file is refused and logged, the running
//!   configuration stays.
//!
//! With systemd (`Type=notify`), `READY=1` is sent once every socket is bound,
//! `RELOADING=1`/`READY=1` around a reload and `STOPPING=1` at shutdown, to `$NOTIFY_SOCKET`
//! (sd_notify(3)); without it nothing is sent.

use std::os::unix::net::UnixDatagram;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// What a signal asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// SIGTERM or SIGINT.
    Shutdown,
    /// SIGHUP.
    Reload,
}

/// The daemon's signal handlers.
#[derive(Debug)]
pub struct Signals {
    term: Signal,
    int: Signal,
    hup: Signal,
}

impl Signals {
    /// Install the handlers (on the current tokio runtime).
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal's action.
    pub async fn next(&mut self) -> Action {
        tokio::select! {
            _ = self.term.recv() => Action::Shutdown,
            _ = self.int.recv() => Action::Shutdown,
            _ = self.hup.recv() => Action::Reload,
        }
    }
}

/// Send `state` to the service manager, if there is one (sd_notify(3)).
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let Ok(sock) = UnixDatagram::unbound() else {
        return;
    };
    let bytes = path.as_encoded_bytes();
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        // An abstract socket name (Linux).
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name)
            .and_then(|a| sock.send_to_addr(state.as_bytes(), &a))
    } else {
        sock.send_to(state.as_bytes(), &path)
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "sd_notify failed");
    }
}
