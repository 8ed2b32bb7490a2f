//! The client end of the control protocol (blocking; `marsctl` needs no runtime).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::protocol::{Request, Response};

/// Where `marsctl` looks for the control socket when not told: `$MARSD_SOCKET`, the system
/// default `/run/marsd/marsd.sock`, then the per-user path the embedded default uses.
pub fn candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("MARSD_SOCKET").filter(|p| !p.is_empty()) {
        v.push(PathBuf::from(p));
    }
    v.push(PathBuf::from(crate::config::DEFAULT_CONTROL_SOCKET));
    v.push(crate::config::user_socket_path());
    v
}

/// The first candidate that exists, or the one-line error naming every path tried.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, String> {
    let tried: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => candidates(),
    };
    tried
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| not_running(&tried))
}

fn not_running(tried: &[PathBuf]) -> String {
    format!(
        "is marsd running? looked at {}",
        tried
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A connection to a daemon.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    /// Connect to the socket at `path`.
    pub fn connect(path: &Path) -> Result<Client, String> {
        let s = UnixStream::connect(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                not_running(&[path.to_path_buf()])
            }
            _ => format!("{}: {e}", path.display()),
        })?;
        let writer = s.try_clone().map_err(|e| e.to_string())?;
        Ok(Client {
            reader: BufReader::new(s),
            writer,
        })
    }

    fn send(&mut self, req: &Request) -> Result<(), String> {
        let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
        line.push('\n');
        self.writer
            .write_all(line.as_bytes())
            .map_err(|e| format!("control socket: {e}"))
    }

    fn read(&mut self) -> Result<Response, String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Err("marsd closed the connection".into()),
            Ok(_) => serde_json::from_str(&line).map_err(|e| format!("bad answer from marsd: {e}")),
            Err(e) => Err(format!("control socket: {e}")),
        }
    }

    /// Send one request; its result, or the daemon's one-line error.
    pub fn request(&mut self, req: &Request) -> Result<Value, String> {
        self.send(req)?;
        let r = self.read()?;
        finish(r)
    }

    /// Send a streaming request (`recv`): `each` gets every datagram until it returns false
    /// or the final line arrives; the final result (or `Null` when `each` stopped).
    pub fn stream(
        &mut self,
        req: &Request,
        mut each: impl FnMut(Value) -> bool,
    ) -> Result<Value, String> {
        self.send(req)?;
        loop {
            let r = self.read()?;
            match r.datagram {
                Some(d) if r.ok => {
                    if !each(d) {
                        return Ok(Value::Null);
                    }
                }
                _ => return finish(r),
            }
        }
    }
}

fn finish(r: Response) -> Result<Value, String> {
    if r.ok {
        Ok(r.result.unwrap_or(Value::Null))
    } else {
        Err(r.error.unwrap_or_else(|| "marsd reported an error".into()))
    }
}
