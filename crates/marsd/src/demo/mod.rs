//! `marsd demo`: a self-contained Logical IP Subnet on this machine, narrated.
//!
//! Three MARS servers in one server group (RFC 2443), four clients and one MCS, each a
//! `marsd` process of its own started from this executable with a configuration written to a
//! directory ([`plan`]). The demo then drives them through their control sockets as an
//! operator with `marsctl` would — joins groups, sends multicast data, kills a server with
//! SIGKILL and restarts it — and narrates each fact it observes ([`script`]): registrations,
//! propagation across the server group, delivery, failover, flush and re-alignment. Every
//! fact has a deadline; one not observed in time ends the demo with a one-line reason and a
//! non-zero exit.
//!
//! Afterwards the LIS stays up until Ctrl-C (SIGINT or SIGTERM), so that `marsctl --socket
//! DIR/NAME.sock` can be pointed at any process; `--exit-when-done` ends it at once (CI).
//! Either way every child is shut down cleanly (clients first, so they deregister) and a
//! temporary directory is removed. Children cannot outlive the demo: see [`procs`].

mod ctl;
mod narrator;
pub mod plan;
mod procs;
mod script;

use std::path::PathBuf;
use std::process::ExitCode;

use tokio::signal::unix::{signal, SignalKind};

use self::narrator::Narrator;
use self::plan::Plan;
use self::script::Demo;

/// The demo's command-line options.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DemoOptions {
    /// End (stopping every process) once the story is told, instead of waiting for Ctrl-C.
    #[arg(long)]
    pub exit_when_done: bool,
    /// Write configurations, sockets and logs here (kept afterwards) instead of a temporary
    /// directory (removed afterwards).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print the observed facts only, without explanations and the marsctl guide.
    #[arg(long)]
    pub quiet: bool,
}

/// Run the demo to its end; the process exit status.
pub fn run(opts: DemoOptions) -> ExitCode {
    let rt = match crate::atm_udp::driver::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("marsd demo: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(run_async(opts))
}

async fn run_async(opts: DemoOptions) -> ExitCode {
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(t), Ok(i)) => (t, i),
        _ => {
            eprintln!("marsd demo: cannot install signal handlers");
            return ExitCode::FAILURE;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("marsd demo: cannot find this executable to start the processes: {e}");
            return ExitCode::FAILURE;
        }
    };
    let temporary = opts.dir.is_none();
    let dir = opts
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("marsd-demo-{}", std::process::id())));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("marsd demo: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let plan = match Plan::new(&dir).and_then(|p| p.write().map(|()| p)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("marsd demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut demo = Demo::new(plan, exe, Narrator::new(opts.quiet));
    let outcome = {
        let story = demo.tell();
        tokio::select! {
            r = story => Some(r),
            _ = term.recv() => None,
            _ = int.recv() => None,
        }
    };
    let ok = match outcome {
        Some(Ok(())) => {
            demo.guide(opts.exit_when_done, !temporary);
            if !opts.exit_when_done {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = int.recv() => {},
                }
            }
            true
        }
        Some(Err(e)) => {
            eprintln!(
                "marsd demo: step {} failed: {e}{}",
                demo.step(),
                demo.casualties()
            );
            false
        }
        None => {
            eprintln!("marsd demo: interrupted");
            true
        }
    };
    demo.shutdown().await;
    if temporary && ok {
        let _ = std::fs::remove_dir_all(&dir);
    } else if !ok {
        eprintln!(
            "marsd demo: configurations and logs are in {}",
            dir.display()
        );
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
