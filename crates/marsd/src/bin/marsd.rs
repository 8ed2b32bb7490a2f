//! `marsd`: the Distributed MARS daemon.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use marsd::config::Config;
use marsd::daemon::StartOptions;
use marsd::demo::{self, DemoOptions};
use marsd::logging::{self, LogFormat};
use marsd::runner::Running;
use marsd::signals::{self, Action, Signals};
use tokio::sync::oneshot;

/// The Distributed MARS daemon (RFC 2443): MARS servers (RFC 2022) kept consistent by SCSP
/// (RFC 2334), MARS clients and Multicast Servers, on an ATM service emulated over UDP.
///
/// The roles this process plays come from a TOML file (docs/configuration.md). Without one,
/// marsd runs a single MARS server on 127.0.0.1:2443.
///
/// Examples:
///   marsd                                   one server on the loopback address
///   marsd --config /etc/marsd/marsd.toml    the roles of the file
///   marsd --config marsd.toml --validate    check the file, explain every error
///   marsd --config marsd.toml --capture /tmp/mars.pcap --log-format json
///   marsd demo                              a whole LIS on this machine, narrated
///
/// Signals: SIGTERM/SIGINT shut down cleanly (clients deregister, VCs are released);
/// SIGHUP reloads the server-group peers (added, removed, keys), backups, underlay entries
/// and groups. Once every socket is bound, one line `ready {json}` is printed on standard
/// output; logs go to standard error (levels from RUST_LOG). Operate it with marsctl.
#[derive(Parser, Debug)]
#[command(name = "marsd", version, verbatim_doc_comment)]
struct Cli {
    /// The configuration file.
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check the configuration, print every problem with its line and key, and exit.
    #[arg(long)]
    validate: bool,
    /// Write every SDU sent and received to this SunATM pcap (Wireshark, marsctl decode).
    #[arg(long, value_name = "FILE")]
    capture: Option<PathBuf>,
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Human)]
    log_format: LogFormat,
    /// Control socket path, overriding the configuration's `daemon.control_socket`.
    #[arg(long, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Shut down cleanly when standard input reaches end of file (how `marsd demo` and
    /// tests make sure their daemons never outlive them).
    #[arg(long, hide = true)]
    lifeline: bool,
    #[command(subcommand)]
    command: Option<Sub>,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// A self-contained Logical IP Subnet on this machine, narrated: three servers in one
    /// server group, four clients and an MCS, each its own marsd process; joins, multicast
    /// data, a server killed and restarted. Stays up until Ctrl-C for marsctl.
    Demo(DemoOptions),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Sub::Demo(opts)) = cli.command {
        return demo::run(opts);
    }
    logging::init(cli.log_format);
    let (mut cfg, default) = match &cli.config {
        Some(path) => match Config::load(path) {
            Ok(c) => (c, false),
            Err(errors) => {
                for e in &errors.0 {
                    eprintln!("marsd: {}: {e}", path.display());
                }
                return ExitCode::FAILURE;
            }
        },
        None => (Config::embedded_default(), true),
    };
    if let Some(s) = &cli.socket {
        cfg.daemon.control_socket = s.clone();
    }
    if cli.validate {
        let what = if default {
            "the embedded default".to_string()
        } else {
            cli.config
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        println!("{what}: OK ({})", summary(&cfg));
        return ExitCode::SUCCESS;
    }
    let rt = match marsd::atm_udp::driver::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("marsd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = StartOptions {
        config_path: cli.config.clone(),
        capture: cli.capture.clone(),
    };
    let lifeline = cli.lifeline.then(watch_stdin);
    rt.block_on(run(cfg, opts, default, lifeline))
}

/// A receiver that completes when standard input reaches end of file (or fails).
fn watch_stdin() -> oneshot::Receiver<()> {
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        let mut stdin = std::io::stdin();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        let _ = tx.send(());
    });
    rx
}

/// Completes when the lifeline is cut; never without one.
async fn cut(lifeline: &mut Option<oneshot::Receiver<()>>) {
    match lifeline {
        Some(rx) => {
            let _ = rx.await;
        }
        None => std::future::pending().await,
    }
}

fn summary(cfg: &Config) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &cfg.server {
        if s.peers.is_empty() {
            parts.push(format!("server {:?}", s.name));
        } else {
            parts.push(format!("server {:?} with {} peers", s.name, s.peers.len()));
        }
    }
    if !cfg.client.is_empty() {
        parts.push(format!("{} client(s)", cfg.client.len()));
    }
    if !cfg.mcs.is_empty() {
        parts.push(format!("{} MCS(s)", cfg.mcs.len()));
    }
    parts.join(", ")
}

async fn run(
    cfg: Config,
    opts: StartOptions,
    default: bool,
    mut lifeline: Option<oneshot::Receiver<()>>,
) -> ExitCode {
    let mut sigs = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("marsd: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let running = match Running::start(cfg, opts).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("marsd: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", running.ready_line());
    if default {
        let d = &running.daemon;
        let sock = d.control_socket.display();
        for r in d.roles() {
            eprintln!(
                "marsd: no configuration given: running MARS server {:?} at ATM address {} (UDP {}).",
                r.name, r.atm, r.udp
            );
        }
        eprintln!("marsd: talk to it with: marsctl --socket {sock} show servers");
        eprintln!(
            "marsd: point a client at it: [[client]] bind = \"127.0.0.2:2443\", mars = [\"{}\"] \
             (see examples/ and docs/configuration.md)",
            d.roles()
                .first()
                .map(|r| r.atm.to_string())
                .unwrap_or_default()
        );
    }
    signals::notify("READY=1");
    loop {
        let action = tokio::select! {
            a = sigs.next() => a,
            _ = cut(&mut lifeline) => {
                tracing::info!("standard input closed (--lifeline)");
                Action::Shutdown
            }
        };
        match action {
            Action::Shutdown => break,
            Action::Reload => {
                signals::notify("RELOADING=1");
                match running.daemon.reload().await {
                    Ok(applied) => {
                        for a in applied {
                            tracing::info!(change = %a, "reload applied");
                        }
                    }
                    Err(e) => {
                        for line in e.lines() {
                            tracing::error!(error = %line, "reload refused");
                        }
                    }
                }
                signals::notify("READY=1");
            }
        }
    }
    signals::notify("STOPPING=1");
    tracing::info!("shutting down");
    running.stop().await;
    ExitCode::SUCCESS
}
