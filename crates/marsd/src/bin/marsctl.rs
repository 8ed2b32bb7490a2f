//! `marsctl`: the operator's CLI for dmars.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use marsd::decode::{self, Sdu};

/// Operate and inspect dmars, the Distributed MARS service (RFC 2443).
#[derive(Parser, Debug)]
#[command(name = "marsctl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
        /// Print one JSON object per message (RFC field names without the `mar$` prefix).
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode { hex, pcap, json } => run_decode(hex, pcap, json),
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("marsctl: {msg}");
    ExitCode::FAILURE
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
