//! The demo's end of the control protocol (JSON lines over each child's Unix socket, as
//! `marsctl` speaks it), asynchronous, with the few readings the narration needs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

/// How often a condition is looked at while waiting for it.
pub const POLL: Duration = Duration::from_millis(20);
/// The longest a single control request may take.
const REQUEST_WITHIN: Duration = Duration::from_secs(5);

/// One request on a fresh connection; the result, or the daemon's one-line error.
pub async fn request(socket: &Path, req: Value) -> Result<Value, String> {
    let go = async {
        let s = UnixStream::connect(socket)
            .await
            .map_err(|e| format!("{}: {e}", socket.display()))?;
        let (r, mut w) = s.into_split();
        let mut line = req.to_string();
        line.push('\n');
        w.write_all(line.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        BufReader::new(r)
            .read_line(&mut answer)
            .await
            .map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&answer)
            .map_err(|e| format!("bad answer from {}: {e}", socket.display()))?;
        if v["ok"] == true {
            Ok(v["result"].clone())
        } else {
            Err(v["error"].as_str().unwrap_or("error").to_string())
        }
    };
    tokio::time::timeout(REQUEST_WITHIN, go)
        .await
        .unwrap_or_else(|_| Err(format!("{}: no answer", socket.display())))
}

/// `show what` of the only role behind `socket` (the first object of `roles`).
pub async fn show(socket: &Path, what: &str) -> Result<Value, String> {
    let v = request(socket, json!({"cmd": "show", "what": what})).await?;
    Ok(v["roles"][0].clone())
}

/// A deadline for observing something, polled every [`POLL`].
#[derive(Debug)]
pub struct Deadline {
    what: String,
    within: Duration,
    start: Instant,
}

impl Deadline {
    /// `what` must be observed within `within` from now.
    pub fn new(within: Duration, what: impl Into<String>) -> Self {
        Deadline {
            what: what.into(),
            within,
            start: Instant::now(),
        }
    }

    /// Time since the deadline was set.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Wait [`POLL`], or fail with "`what`: not observed within N s" once the time is up.
    pub async fn tick(&self) -> Result<(), String> {
        if self.start.elapsed() >= self.within {
            return Err(format!(
                "{}: not observed within {} s",
                self.what,
                self.within.as_secs_f64()
            ));
        }
        tokio::time::sleep(POLL).await;
        Ok(())
    }

    /// The instant the time is up (for `tokio::time::timeout_at`).
    pub fn end(&self) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.start + self.within)
    }

    /// The failure message for `what`.
    pub fn missed(&self) -> String {
        format!(
            "{}: not observed within {} s",
            self.what,
            self.within.as_secs_f64()
        )
    }
}

/// A client's registration as its `show clients` view reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The ATM address of its current MARS.
    pub mars: String,
    /// Its CMI (0 for an MCS).
    pub cmi: u64,
    /// Whether it is registered.
    pub registered: bool,
}

/// The registration of the client or MCS behind `socket`.
pub async fn registration(socket: &Path) -> Option<Registration> {
    let v = show(socket, "clients").await.ok()?;
    Some(Registration {
        mars: v["mars"].as_str()?.to_string(),
        cmi: v["cmi"].as_u64()?,
        registered: v["registration"] == "registered",
    })
}

/// The groups a client (or MCS) holds in state `Joined`, and whether every one it has is.
pub async fn joined(socket: &Path) -> Option<(Vec<String>, bool)> {
    let v = show(socket, "groups").await.ok()?;
    let ms = v["memberships"].as_array()?;
    let all = ms.iter().all(|m| m["state"] == "Joined");
    let groups = ms
        .iter()
        .filter(|m| m["state"] == "Joined")
        .filter_map(|m| m["min"].as_str().map(String::from))
        .collect();
    Some((groups, all))
}

/// The members of `group` at the server behind `socket` (ATM addresses).
pub async fn members(socket: &Path, group: &str) -> Option<Vec<String>> {
    let v = show(socket, "groups").await.ok()?;
    Some(
        v["clusters"][0]["groups"]
            .as_array()?
            .iter()
            .filter(|g| g["group"] == group)
            .flat_map(|g| g["members"].as_array().cloned().unwrap_or_default())
            .filter_map(|m| m["address"].as_str().map(String::from))
            .collect(),
    )
}

/// The cluster members and MCSs a server knows: (ATM address, CMI, origin) each.
pub async fn endpoints(socket: &Path) -> Option<Vec<(String, u64, String)>> {
    let v = show(socket, "clients").await.ok()?;
    let c = &v["clusters"][0];
    let rows = |k: &str, id: &str| {
        c[k].as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                (
                    m["address"].as_str().unwrap_or("").to_string(),
                    m[id].as_u64().unwrap_or(0),
                    m["origin"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut all = rows("members", "cmi");
    all.extend(rows("mcss", "id"));
    Some(all)
}

/// The SCSP IDs of the peer servers a server currently knows (from their redirect entries).
pub async fn peer_servers(socket: &Path) -> Option<Vec<u64>> {
    let v = show(socket, "servers").await.ok()?;
    Some(
        v["peers"]
            .as_array()?
            .iter()
            .filter_map(|p| p["id"].as_u64())
            .collect(),
    )
}

/// Whether a server's every DCS is aligned (Hello bidirectional, CA aligned, authentication
/// mandatory), and its SCSP cache size.
pub async fn aligned(socket: &Path) -> Option<(bool, u64)> {
    let p = show(socket, "peers").await.ok()?;
    let dcs = p["dcs"].as_array()?;
    let ok = !dcs.is_empty()
        && dcs.iter().all(|d| {
            d["hello"] == "bidirectional" && d["ca"] == "aligned" && d["auth"] == "mandatory"
        });
    let s = show(socket, "stats").await.ok()?;
    Some((ok, s["dmars"]["cache_entries"].as_u64()?))
}

/// A datagram a client received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The receiving process.
    pub by: String,
    /// Its text.
    pub text: String,
}

/// Stream the datagrams the client behind `socket` receives into `tx` (a `recv` request on
/// a connection of its own, for as long as the process lives).
pub fn subscribe(name: String, socket: PathBuf, tx: mpsc::UnboundedSender<Received>) {
    tokio::spawn(async move {
        let Ok(s) = UnixStream::connect(&socket).await else {
            return;
        };
        let (r, mut w) = s.into_split();
        if w.write_all(b"{\"cmd\":\"recv\"}\n").await.is_err() {
            return;
        }
        let mut lines = BufReader::new(r).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            let Ok(v) = serde_json::from_str::<Value>(&l) else {
                continue;
            };
            if let Some(text) = v["datagram"]["text"].as_str() {
                let r = Received {
                    by: name.clone(),
                    text: text.to_string(),
                };
                if tx.send(r).is_err() {
                    return;
                }
            }
        }
    });
}
