//! `marsctl`: the operator's CLI for dmars.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use marsd::control::client::{self, Client};
use marsd::control::protocol::Request;
use marsd::decode::{self, Sdu};
use marsd::render;
use marsd::roles::views::Show;
use serde_json::Value;

/// Operate and inspect dmars, the Distributed MARS service (RFC 2443).
///
/// marsctl talks to a running marsd over its control socket (JSON lines; see
/// docs/operations.md). Every command prints readable text, or with --json the daemon's
/// JSON result. Errors are one line on standard error, with a non-zero exit.
///
/// Examples:
///   marsctl show peers                      SCSP peers: Hello and CA states
///   marsctl show groups --json | jq .       groups with members and MCSs
///   marsctl --role c1 join 224.1.2.3        join a group on client role c1
///   marsctl join 224.1.0.0-224.1.0.255      join a block (a router, RFC 2022 §8)
///   marsctl resolve 224.1.2.3               what the MARS answers (MULTI or NAK)
///   marsctl send 224.1.2.3 "hello"          send a datagram to the group
///   marsctl recv --count 1                  print datagrams as they arrive
///   marsctl show topology --dot | dot -Tsvg > lis.svg
///   marsctl decode --pcap /tmp/mars.pcap    decode a marsd --capture file
///
/// The socket is --socket, else the control_socket of --config FILE, else $MARSD_SOCKET,
/// /run/marsd/marsd.sock, or $XDG_RUNTIME_DIR/marsd.sock (/tmp/marsd.sock), whichever exists.
#[derive(Parser, Debug)]
#[command(name = "marsctl", version, verbatim_doc_comment)]
struct Cli {
    /// The control socket of the marsd to talk to.
    #[arg(long, global = true, value_name = "PATH")]
    socket: Option<PathBuf>,
    /// Take the control socket from this marsd configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The role to act on, when the daemon has several of the kind needed.
    #[arg(long, global = true, value_name = "NAME")]
    role: Option<String>,
    /// Print the daemon's JSON result instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the daemon's state.
    ///
    /// Examples:
    ///   marsctl show servers
    ///   marsctl show cache --role server --json
    ///   marsctl show topology --dot | dot -Tpng > lis.png
    #[command(verbatim_doc_comment)]
    Show {
        /// What to show.
        what: Show,
        /// With `topology`: print Graphviz (dot) instead of text.
        #[arg(long)]
        dot: bool,
    },
    /// The daemon: version, uptime, sockets, roles.
    Status,
    /// Join a group (224.1.2.3) or a block (224.1.0.0-224.1.0.255) on a client role.
    Join {
        /// GROUP or MIN-MAX.
        group: String,
    },
    /// Leave a group or block, exactly as joined.
    Leave {
        /// GROUP or MIN-MAX.
        group: String,
    },
    /// Ask the client role's MARS what it answers for GROUP (MARS_REQUEST → MULTI or NAK).
    Resolve {
        /// One group.
        group: String,
    },
    /// Send TEXT to GROUP from a client role (in a minimal IPv4 packet).
    Send {
        /// One group.
        group: String,
        /// The payload.
        text: String,
    },
    /// Print datagrams as the client role receives them, until Ctrl-C or --count.
    Recv {
        /// Stop after N datagrams.
        #[arg(long, value_name = "N")]
        count: Option<u64>,
    },
    /// Reload marsd's configuration file (as SIGHUP does) and print what changed.
    Reload,
    /// Decode LLC/SNAP-framed MARS, SCSP and MARS data SDUs and print them readably.
    ///
    /// Input is one SDU in hex on the command line, hex SDUs one per line on standard input,
    /// or a pcap with link type ATM_RFC1483 (100) or SUNATM (123).
    ///
    /// Examples:
    ///   marsctl decode aaaa0300005e0003000f0800…
    ///   marsctl decode --pcap samples/mars-sample.pcap
    ///   marsctl decode --pcap capture.pcap --json | jq 'select(.op_name=="MARS_JOIN")'
    ///   xxd -p sdu.bin | tr -d '\n' | marsctl decode
    #[command(verbatim_doc_comment)]
    Decode {
        /// One SDU in hex (spaces and colons allowed). Omit to read hex lines from stdin.
        hex: Option<String>,
        /// Read SDUs from a pcap file instead.
        #[arg(long, value_name = "FILE", conflicts_with = "hex")]
        pcap: Option<PathBuf>,
    },
    /// Generate a man page or shell completions from this CLI's definition.
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        what: Generate,
    },
}

#[derive(Subcommand, Debug)]
enum Generate {
    /// man pages (marsctl.1 and one per subcommand) into DIR.
    Man {
        /// Output directory.
        dir: PathBuf,
    },
    /// Completions for SHELL on standard output.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match cli.command {
        Command::Decode { hex, pcap } => run_decode(hex, pcap, json),
        Command::Generate { what } => generate(what),
        ref cmd => match talk(&cli, cmd) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("marsctl: {msg}");
    ExitCode::FAILURE
}

fn socket(cli: &Cli) -> Result<PathBuf, String> {
    if let Some(s) = &cli.socket {
        return client::locate(Some(s));
    }
    if let Some(c) = &cli.config {
        let cfg = marsd::config::Config::load(c).map_err(|e| {
            let first = e.0.first().map(ToString::to_string).unwrap_or_default();
            format!("{}: {first}", c.display())
        })?;
        return client::locate(Some(&cfg.daemon.control_socket));
    }
    client::locate(None)
}

fn print(out: &str) -> Result<(), String> {
    let mut o = std::io::stdout().lock();
    o.write_all(out.as_bytes())
        .and_then(|_| o.flush())
        .map_err(|e| format!("stdout: {e}"))
}

fn talk(cli: &Cli, cmd: &Command) -> Result<(), String> {
    let path = socket(cli)?;
    let mut c = Client::connect(&path)?;
    let role = cli.role.clone();
    let json_line = |v: &Value| format!("{v}\n");
    match cmd {
        Command::Show { what, dot } => {
            if *dot && !matches!(what, Show::Topology) {
                return Err("--dot applies to `show topology` only".into());
            }
            let v = c.request(&Request::Show { what: *what, role })?;
            let out = if cli.json {
                json_line(&v)
            } else if *dot {
                render::topology_dot(&v)
            } else {
                render::show(what.name(), &v)
            };
            print(&out)
        }
        Command::Status => {
            let v = c.request(&Request::Status {})?;
            print(&if cli.json {
                json_line(&v)
            } else {
                render::status(&v)
            })
        }
        Command::Join { group } | Command::Leave { group } => {
            let join = matches!(cmd, Command::Join { .. });
            let req = if join {
                Request::Join {
                    group: group.clone(),
                    role,
                }
            } else {
                Request::Leave {
                    group: group.clone(),
                    role,
                }
            };
            let v = c.request(&req)?;
            let verb = if join { "joining" } else { "leaving" };
            print(&if cli.json {
                json_line(&v)
            } else {
                format!(
                    "{}: {verb} {group} (MARS_{} sent once registered)\n",
                    v["role"].as_str().unwrap_or("?"),
                    if join { "JOIN" } else { "LEAVE" }
                )
            })
        }
        Command::Resolve { group } => {
            let v = c.request(&Request::Resolve {
                group: group.clone(),
                role,
            })?;
            print(&if cli.json {
                json_line(&v)
            } else {
                render::resolve(&v)
            })
        }
        Command::Send { group, text } => {
            let v = c.request(&Request::Send {
                group: group.clone(),
                text: text.clone(),
                role,
            })?;
            print(&if cli.json {
                json_line(&v)
            } else {
                format!(
                    "{}: sent {} octets to {group}\n",
                    v["role"].as_str().unwrap_or("?"),
                    v["octets"]
                )
            })
        }
        Command::Recv { count } => {
            let mut failed = None;
            let v = c.stream(
                &Request::Recv {
                    count: *count,
                    role,
                },
                |d| {
                    let line = if cli.json {
                        json_line(&d)
                    } else {
                        render::datagram(&d) + "\n"
                    };
                    match print(&line) {
                        Ok(()) => true,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    }
                },
            )?;
            if let Some(e) = failed {
                return Err(e);
            }
            if cli.json && !v.is_null() {
                print(&json_line(&v))?;
            }
            Ok(())
        }
        Command::Reload => {
            let v = c.request(&Request::Reload {})?;
            print(&if cli.json {
                json_line(&v)
            } else {
                v["applied"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| format!("applied: {}\n", a.as_str().unwrap_or("")))
                    .collect()
            })
        }
        Command::Decode { .. } | Command::Generate { .. } => Ok(()),
    }
}

fn generate(what: Generate) -> ExitCode {
    let cmd = Cli::command();
    match what {
        Generate::Man { dir } => match write_man(&cmd, &dir) {
            Ok(n) => {
                eprintln!("marsctl: wrote {n} man pages to {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Generate::Completions { shell } => {
            let mut cmd = cmd;
            clap_complete::generate(shell, &mut cmd, "marsctl", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
    }
}

fn write_man(cmd: &clap::Command, dir: &Path) -> Result<usize, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut n = 0;
    let mut pages = vec![(cmd.get_name().to_string(), cmd.clone())];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{}-{}", cmd.get_name(), sub.get_name());
        pages.push((name, sub.clone()));
    }
    for (name, c) in pages {
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(c)
            .title(name.to_uppercase())
            .render(&mut buf)
            .map_err(|e| format!("{name}: {e}"))?;
        std::fs::write(&path, buf).map_err(|e| format!("{}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

fn run_decode(hex: Option<String>, pcap: Option<PathBuf>, json: bool) -> ExitCode {
    let sdus: Vec<Sdu> = match (hex, pcap) {
        (Some(h), _) => match decode::sdus_from_hex(&h) {
            Ok(s) => s,
            Err(e) => return fail(e),
        },
        (None, Some(path)) => {
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) => return fail(format_args!("{}: {e}", path.display())),
            };
            match decode::sdus_from_pcap(std::io::BufReader::new(file)) {
                Ok(s) => s,
                Err(e) => return fail(format_args!("{}: {e}", path.display())),
            }
        }
        (None, None) => {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                return fail(format_args!("stdin: {e}"));
            }
            match decode::sdus_from_hex(&text) {
                Ok(s) => s,
                Err(e) => return fail(format_args!("stdin: {e}")),
            }
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut bad = 0usize;
    for sdu in &sdus {
        match decode::decode_sdu(&sdu.bytes) {
            Ok(d) => {
                let line = if json {
                    decode::to_json(&d, sdu.origin).to_string()
                } else {
                    decode::to_text(&d, sdu.origin)
                };
                if writeln!(out, "{line}").is_err() {
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                bad += 1;
                let _ = out.flush();
                eprintln!("marsctl: message #{}: {e}", sdu.origin.index);
            }
        }
    }
    if bad > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
