//! Writing every SDU the fabric carries to a SunATM pcap (see [`crate::pcap`]).

use std::collections::BTreeSet;
use std::io::Write;

use super::{EndpointId, Fabric, VcLabel};
use crate::pcap::{CaptureError, Direction, SunAtmHeader, SunAtmWriter};

/// An open capture.
pub(super) struct Capture {
    writer: SunAtmWriter<Box<dyn Write + Send>>,
    /// Capture only these endpoints' SDUs; all when `None`.
    only: Option<BTreeSet<EndpointId>>,
    /// The first write error; nothing more is written after it.
    error: Option<String>,
}

impl Fabric {
    /// Capture every SDU from now on: one `Tx` record at the sender when an engine sends it
    /// and one `Rx` record at each receiver when it is delivered, labelled with that end's
    /// VPI/VCI and stamped with virtual time. Replaces an earlier capture (without flushing
    /// it: call [`Fabric::stop_capture`] first to keep it).
    pub fn start_capture<W: Write + Send + 'static>(
        &mut self,
        sink: W,
    ) -> Result<(), CaptureError> {
        self.start_capture_of(sink, None)
    }

    /// Like [`Fabric::start_capture`], but only the SDUs sent or received by `endpoints` (when
    /// `Some`), as a capture on those hosts' interfaces would show them.
    pub fn start_capture_of<W: Write + Send + 'static>(
        &mut self,
        sink: W,
        endpoints: Option<&[EndpointId]>,
    ) -> Result<(), CaptureError> {
        let sink: Box<dyn Write + Send> = Box::new(sink);
        self.capture = Some(Capture {
            writer: SunAtmWriter::new(sink)?,
            only: endpoints.map(|eps| eps.iter().copied().collect()),
            error: None,
        });
        Ok(())
    }

    /// Stop capturing and flush the sink. Returns how many records were written, or the error
    /// that stopped the capture. `Ok(0)` if no capture was running.
    pub fn stop_capture(&mut self) -> Result<u64, CaptureError> {
        let Some(cap) = self.capture.take() else {
            return Ok(0);
        };
        if let Some(e) = cap.error {
            return Err(CaptureError::Stopped(e));
        }
        let records = cap.writer.records();
        cap.writer.into_inner().flush().map_err(CaptureError::Io)?;
        Ok(records)
    }

    /// Record `sdu` as sent or received by `ep` on the VC end `label`.
    pub(super) fn capture_sdu(
        &mut self,
        ep: EndpointId,
        direction: Direction,
        label: Option<VcLabel>,
        sdu: &[u8],
    ) {
        let Some(cap) = &mut self.capture else {
            return;
        };
        if cap.error.is_some() || cap.only.as_ref().is_some_and(|only| !only.contains(&ep)) {
            return;
        }
        // Labels run out only past 16.7 million live VC ends; show such ends as 0/0.
        let label = label.unwrap_or(VcLabel { vpi: 0, vci: 0 });
        let header = SunAtmHeader::llc(direction, label);
        if let Err(e) = cap.writer.write(self.now.since_epoch(), header, sdu) {
            tracing::warn!(error = %e, "capture stopped");
            cap.error = Some(e.to_string());
        }
    }
}
