//! A point-to-multipoint VC with 1,000 leaves spread over several processes.
//!
//! The test re-executes its own binary as children (`fanout_child`, selected by environment
//! variables); each child hosts 250 leaf endpoints on its own loopback address, accepts the
//! root's ADD PARTYs, checks every SDU arrives once and in order, and reports on stdout.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mars_proto::{Cause, PartyId, VcEvent, VcId, VcRequest};
use mars_wire::AtmAddress;
use marsd::atm_udp::{EndpointConfig, EndpointSpec, RawEndpoint};

const CHILDREN: usize = 4;
const LEAVES_PER_CHILD: usize = 250;
const SDUS: u32 = 20;
const WAIT: Duration = Duration::from_secs(30);

fn config() -> EndpointConfig {
    EndpointConfig {
        retransmit_interval: Duration::from_millis(100),
        ..EndpointConfig::default()
    }
}

/// Kills the children if the test fails half-way.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousand_leaves_across_processes() {
    let exe = std::env::current_exe().unwrap();
    let mut children = Children(Vec::new());
    let mut readers = Vec::new();
    let mut leaves: Vec<AtmAddress> = Vec::new();
    for i in 0..CHILDREN {
        let mut child = Command::new(&exe)
            .args(["fanout_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("ATM_UDP_FANOUT_CHILD", format!("127.0.0.{}", 20 + i))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "child {i} ended early"
            );
            // libtest's "test fanout_child ... " may precede the first line.
            let l = line.trim();
            if let Some((_, a)) = l.split_once("ADDR ") {
                leaves.push(a.parse().unwrap());
            } else if l.ends_with("READY") {
                break;
            }
        }
        readers.push(out);
        children.0.push(child);
    }
    assert_eq!(leaves.len(), CHILDREN * LEAVES_PER_CHILD);

    let mut root = RawEndpoint::bind(EndpointSpec {
        config: config(),
        ..EndpointSpec::new("127.0.0.1:0".parse().unwrap())
    })
    .await
    .unwrap();
    let vc = VcId::local(1);
    root.request(VcRequest::OpenMultipoint { vc });
    for (i, to) in leaves.iter().enumerate() {
        root.request(VcRequest::AddParty {
            vc,
            party: PartyId(i as u32),
            to: *to,
        });
    }
    let mut added = 0;
    while added < leaves.len() {
        match root.next_event(WAIT).await {
            Some(VcEvent::PartyAdded { .. }) => added += 1,
            other => panic!("after {added} leaves: {other:?}"),
        }
    }
    for k in 0..SDUS {
        root.request(VcRequest::Send {
            vc,
            sdu: Bytes::from(k.to_be_bytes().to_vec()),
        });
    }
    // Each child says when all its leaves have every SDU; then the root releases the VC.
    let mut readers = tokio::task::spawn_blocking(move || {
        for (i, r) in readers.iter_mut().enumerate() {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            assert_eq!(line.trim(), "ALLDATA", "child {i}");
        }
        readers
    })
    .await
    .unwrap();
    root.request(VcRequest::Release {
        vc,
        cause: Cause::NORMAL,
    });
    let c = root.counters();
    assert!(c.sdus_sent >= u64::from(SDUS) * 1_000);
    let reports = tokio::task::spawn_blocking(move || {
        readers
            .iter_mut()
            .map(|r| {
                let mut line = String::new();
                r.read_line(&mut line).unwrap();
                // Drain libtest's own closing lines so the child never writes to a closed pipe.
                let mut rest = String::new();
                let _ = std::io::Read::read_to_string(r, &mut rest);
                line.trim().to_string()
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r, &format!("RELEASED {LEAVES_PER_CHILD}"), "child {i}");
    }
    for c in &mut children.0 {
        assert!(c.wait().unwrap().success());
    }
    children.0.clear();
}

/// The child's side. Does nothing unless started by `thousand_leaves_across_processes`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_child() {
    let Ok(ip) = std::env::var("ATM_UDP_FANOUT_CHILD") else {
        return;
    };
    let mut eps = Vec::new();
    for _ in 0..LEAVES_PER_CHILD {
        let spec = EndpointSpec {
            config: config(),
            ..EndpointSpec::new(format!("{ip}:0").parse().unwrap())
        };
        eps.push(RawEndpoint::bind(spec).await.unwrap());
    }
    let mut stdout = std::io::stdout();
    for ep in &eps {
        writeln!(stdout, "ADDR {}", ep.address()).unwrap();
    }
    writeln!(stdout, "READY").unwrap();
    stdout.flush().unwrap();

    let complete = Arc::new(AtomicUsize::new(0));
    let released = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for mut ep in eps {
        let (complete, released) = (complete.clone(), released.clone());
        tasks.push(tokio::spawn(async move {
            let mut next = 0u32;
            while let Some(ev) = ep.next_event(WAIT).await {
                match ev {
                    VcEvent::IncomingCall {
                        vc,
                        multipoint: true,
                        ..
                    } => ep.request(VcRequest::Accept { vc }),
                    VcEvent::Received { sdu, .. } => {
                        let k = u32::from_be_bytes(sdu[..4].try_into().unwrap());
                        assert_eq!(k, next, "once and in order");
                        next += 1;
                        if next == SDUS {
                            complete.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    VcEvent::Released {
                        cause: Cause::NORMAL,
                        ..
                    } => {
                        released.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    other => panic!("leaf saw {other:?}"),
                }
            }
            ep.shutdown().await;
        }));
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while complete.load(Ordering::SeqCst) < LEAVES_PER_CHILD
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    writeln!(stdout, "ALLDATA").unwrap();
    stdout.flush().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    writeln!(stdout, "RELEASED {}", released.load(Ordering::SeqCst)).unwrap();
    stdout.flush().unwrap();
}
