//! `--capture FILE`: every SDU every role sends and receives, in one SunATM pcap
//! (`LINKTYPE_SUNATM`, 123) that Wireshark and `marsctl decode --pcap` read.
//!
//! The writer is `mars_sim::pcap::SunAtmWriter` (the fabric's); this module shares one file
//! between the roles' endpoint tasks. Each record's pseudo-header carries the direction (Tx:
//! sent by the role, Rx: received) and the VC end's VPI/VCI label (see
//! [`crate::roles::vcs`]: VPI = role number, VCI from 32 per VC). Timestamps are wall-clock
//! time. Records are buffered and flushed every second and at shutdown. A write error stops
//! the capture (logged once); the daemon goes on.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use mars_sim::fabric::VcLabel;
use mars_sim::pcap::{Direction, SunAtmHeader, SunAtmWriter};

/// The file, shared by the writer and the flusher.
#[derive(Debug, Clone)]
struct Sink(Arc<Mutex<BufWriter<File>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
}

/// One capture file shared by every role.
#[derive(Debug)]
pub struct Capture {
    writer: Mutex<Option<SunAtmWriter<Sink>>>,
    sink: Sink,
}

impl Capture {
    /// Create (truncate) `path` and write the pcap header.
    pub fn create(path: &Path) -> Result<Capture, String> {
        let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sink = Sink(Arc::new(Mutex::new(BufWriter::new(f))));
        let w = SunAtmWriter::new(sink.clone()).map_err(|e| e.to_string())?;
        Ok(Capture {
            writer: Mutex::new(Some(w)),
            sink,
        })
    }

    /// Record one SDU.
    pub fn record(&self, direction: Direction, label: VcLabel, sdu: &[u8]) {
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let mut w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(wr) = w.as_mut() {
            if let Err(e) = wr.write(ts, SunAtmHeader::llc(direction, label), sdu) {
                tracing::error!(error = %e, "capture stopped");
                *w = None;
            }
        }
    }

    /// Push buffered records to the file.
    pub fn flush(&self) {
        let mut s = self.sink.clone();
        if let Err(e) = s.flush() {
            tracing::error!(error = %e, "capture stopped");
            *self.writer.lock().unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    /// Records written so far (`None` once stopped by an error).
    pub fn records(&self) -> Option<u64> {
        self.writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(SunAtmWriter::records)
    }
}

/// The direction of an SDU a role sent.
pub const TX: Direction = Direction::Tx;
/// The direction of an SDU a role received.
pub const RX: Direction = Direction::Rx;
