//! Helpers for the daemon tests: temporary directories, in-process daemons from TOML text,
//! control requests, and waiting for a condition.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use marsd::config::Config;
use marsd::control::client::Client;
use marsd::control::protocol::Request;
use marsd::daemon::StartOptions;
use marsd::runner::Running;
use serde_json::Value;

/// A fresh directory under the system temporary directory.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("marsd-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Write `text` to `dir/file` and start the daemon it describes.
pub async fn start(dir: &Path, file: &str, text: &str) -> Running {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    let cfg = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    Running::start(
        cfg,
        StartOptions {
            config_path: Some(path),
            capture: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"))
}

/// One control request (on a blocking thread).
pub async fn ctl(socket: &Path, req: Request) -> Result<Value, String> {
    let socket = socket.to_path_buf();
    tokio::task::spawn_blocking(move || Client::connect(&socket)?.request(&req))
        .await
        .unwrap()
}

/// Poll `f` every 50 ms until it yields `Some`, for at most `within`.
pub async fn wait_for<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The ATM address of the first role of a running daemon.
pub fn atm(r: &Running) -> String {
    r.daemon.roles()[0].atm.to_string()
}

/// `show what` as JSON.
pub fn show(what: &str, role: Option<&str>) -> Request {
    serde_json::from_value(serde_json::json!({"cmd": "show", "what": what, "role": role})).unwrap()
}
