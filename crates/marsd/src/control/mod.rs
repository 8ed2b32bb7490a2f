//! The control socket: a Unix stream socket speaking [`protocol`] (JSON lines), served by
//! one task per connection; and [`client`], the other end, used by `marsctl`.
//!
//! The socket is created with mode 0660 (owner and group may operate the daemon). A stale
//! socket file left by a crashed daemon is replaced; a live one (another marsd answering) is
//! an error. The file is removed at shutdown.

pub mod client;
pub mod protocol;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

use self::protocol::{parse_request, Request, Response, MAX_LINE};
use crate::daemon::Daemon;

/// The listening control socket.
#[derive(Debug)]
pub struct ControlServer {
    path: PathBuf,
    task: JoinHandle<()>,
}

impl ControlServer {
    /// Bind `path` and serve `daemon` on it.
    pub async fn start(daemon: Arc<Daemon>, path: &Path) -> Result<ControlServer, String> {
        let shown = path.display();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("control socket {shown}: {e}"))?;
        }
        if path.exists() {
            if UnixStream::connect(path).await.is_ok() {
                return Err(format!(
                    "control socket {shown}: another marsd is listening there"
                ));
            }
            let _ = std::fs::remove_file(path);
        }
        let listener =
            UnixListener::bind(path).map_err(|e| format!("control socket {shown}: {e}"))?;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660));
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        tokio::spawn(serve(daemon.clone(), stream));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "control socket accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(ControlServer {
            path: path.to_path_buf(),
            task,
        })
    }

    /// Stop accepting and remove the socket file.
    pub fn stop(self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn write_line(w: &mut tokio::net::unix::OwnedWriteHalf, r: &Response) -> bool {
    let mut line = r.to_line();
    line.push('\n');
    w.write_all(line.as_bytes()).await.is_ok()
}

/// Serve one connection until it closes or the daemon stops.
async fn serve(daemon: Arc<Daemon>, stream: UnixStream) {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r);
    let mut stopping = daemon.stopping();
    let mut buf = String::new();
    loop {
        buf.clear();
        let read = tokio::select! {
            n = lines.read_line(&mut buf) => n,
            _ = stopping.changed() => return,
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(_) if buf.len() > MAX_LINE => {
                let _ = write_line(&mut w, &Response::error("request longer than 64 KiB")).await;
                return;
            }
            Ok(_) => {}
        }
        let line = buf.trim();
        if line.is_empty() {
            continue;
        }
        let req = match parse_request(line) {
            Ok(r) => r,
            Err(e) => {
                if !write_line(&mut w, &Response::error(e)).await {
                    return;
                }
                continue;
            }
        };
        tracing::debug!(request = %line, "control request");
        let resp = match req {
            Request::Recv { count, role } => {
                match stream_datagrams(&daemon, &mut w, role.as_deref(), count, &mut stopping).await
                {
                    Some(r) => r,
                    None => return,
                }
            }
            other => answer(&daemon, other).await,
        };
        if !write_line(&mut w, &resp).await {
            return;
        }
    }
}

/// Answer a non-streaming request.
pub async fn answer(daemon: &Daemon, req: Request) -> Response {
    let r = match req {
        Request::Status {} => Ok(status(daemon)),
        Request::Show { what, role } => daemon.show(what, role.as_deref()).await,
        Request::Join { group, role } => daemon.join_leave(role.as_deref(), &group, true).await,
        Request::Leave { group, role } => daemon.join_leave(role.as_deref(), &group, false).await,
        Request::Resolve { group, role } => daemon
            .resolve(role.as_deref(), &group)
            .await
            .map(|a| json!(a)),
        Request::Send { group, text, role } => daemon.send(role.as_deref(), &group, text).await,
        Request::Reload {} => match daemon.reload().await {
            Ok(applied) => {
                for a in &applied {
                    tracing::info!(change = %a, "reload applied");
                }
                Ok(json!({ "applied": applied }))
            }
            Err(e) => {
                tracing::error!(error = %e, "reload refused");
                Err(e)
            }
        },
        Request::Recv { .. } => Err("recv streams: use a connection of its own".into()),
    };
    match r {
        Ok(v) => Response::result(v),
        Err(e) => Response::error(e),
    }
}

fn status(daemon: &Daemon) -> serde_json::Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "pid": std::process::id(),
        "uptime_s": daemon.uptime(),
        "control_socket": daemon.control_socket,
        "metrics": *daemon.metrics.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        "capture_records": daemon.capture().and_then(|c| c.records()),
        "roles": daemon.roles().iter().map(|r| json!({
            "name": r.name, "kind": r.kind, "atm": r.atm, "udp": r.udp,
        })).collect::<Vec<_>>(),
    })
}

/// `recv`: stream datagrams; `None` when the connection is gone.
async fn stream_datagrams(
    daemon: &Daemon,
    w: &mut tokio::net::unix::OwnedWriteHalf,
    role: Option<&str>,
    count: Option<u64>,
    stopping: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Response> {
    let mut rx = match daemon.subscribe(role).await {
        Ok(rx) => rx,
        Err(e) => return Some(Response::error(e)),
    };
    let mut n = 0u64;
    while count.is_none_or(|c| n < c) {
        let d = tokio::select! {
            d = rx.recv() => d,
            _ = stopping.changed() => None,
        };
        let Some(d) = d else {
            return Some(Response::error("the role stopped"));
        };
        if !write_line(w, &Response::datagram(json!(d))).await {
            return None;
        }
        n += 1;
    }
    Some(Response::result(json!({ "received": n })))
}
