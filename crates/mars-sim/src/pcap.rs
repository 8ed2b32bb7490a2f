//! Capture of AAL5 SDUs as pcap files with link type `LINKTYPE_SUNATM` (123), which tcpdump
//! and Wireshark decode down to LLC/SNAP and, for MARS and SCSP, beyond.
//!
//! ## The SunATM pseudo-header
//!
//! Each record is a 4-octet pseudo-header followed by the AAL5 SDU (CPCS-PDU payload, no
//! trailer):
//!
//! ```text
//!   octet 0     octet 1   octets 2-3
//!  +-+-----+----+---------+-------------------+----------
//!  |D| 000 |type|   VPI   |   VCI (big-endian) |  SDU ...
//!  +-+-----+----+---------+-------------------+----------
//! ```
//!
//! What we checked, and where:
//! - tcpdump.org, `LINKTYPE_SUNATM`: one flag octet, one VPI octet, a two-octet VCI in
//!   network byte order, then the payload; traffic types 0 raw, 1 LANE, 2 LLC-encapsulated
//!   (payload starts with an 802.2 LLC header), 3 MARS, 4 IFMP, 5 ILMI, 6 Q.2931.
//! - libpcap `sunatmpos.h`: direction/type at offset 0, VPI at 1, VCI at 2, packet at 4; the
//!   protocol type is "in the bottom four bits" of octet 0 (`PT_LLC` = 0x02).
//! - tcpdump `print-sunatm.c`: prints `Tx:` when octet 0 has bit 0x80 set, `Rx:` otherwise.
//! - Wireshark `wiretap/pcap-common.c` (`pcap_read_sunatm_pseudoheader`): low nibble 0x02 is
//!   AAL5 with `TRAF_LLCMX` (RFC 1483/2684 LLC multiplexing, dissected as LLC); 0x03 "MARS"
//!   and 0x04 map to AAL5 of *unknown* traffic type, so Wireshark would not dissect the LLC
//!   header — which is why we write 0x02, not 0x03, for MARS control traffic too. The
//!   direction bit becomes `atm.channel`: 0x80 set → channel 0 ("DTE->DCE", sent by the
//!   capturing host), clear → channel 1 ("DCE->DTE", received); its writer sets 0x80 for
//!   channel 0.
//!
//! So: 0x82 for an SDU the endpoint sent, 0x02 for one it received.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};

use crate::fabric::VcLabel;

/// The pcap link type number of SunATM captures.
pub const LINKTYPE_SUNATM: u32 = 123;
/// Length of the SunATM pseudo-header.
pub const HEADER_LEN: usize = 4;
/// The largest record we write: the pseudo-header and the largest AAL5 CPCS-SDU (65,535
/// octets, ITU-T I.363.5), so no SDU an AAL5 VC can carry is ever truncated.
pub const SNAPLEN: u32 = HEADER_LEN as u32 + 65_535;

/// Octet-0 bit set when the capturing endpoint sent the SDU.
const DIR_TX: u8 = 0x80;
/// Octet-0 low-nibble mask for the traffic type.
const TYPE_MASK: u8 = 0x0F;

/// Which way an SDU went, seen from the endpoint whose VC end the label names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sent by the endpoint (bit 0x80 set; Wireshark "DTE->DCE", tcpdump "Tx").
    Tx,
    /// Received by the endpoint (bit 0x80 clear; Wireshark "DCE->DTE", tcpdump "Rx").
    Rx,
}

/// The traffic type in the low nibble of octet 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TrafficType(pub u8);

impl TrafficType {
    /// Raw traffic.
    pub const RAW: TrafficType = TrafficType(0);
    /// LLC-multiplexed (RFC 2684 LLC/SNAP): what every dmars VC carries.
    pub const LLC: TrafficType = TrafficType(2);
}

/// The 4-octet SunATM pseudo-header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SunAtmHeader {
    /// Sent or received.
    pub direction: Direction,
    /// Traffic type (low nibble).
    pub traffic: TrafficType,
    /// Virtual path identifier.
    pub vpi: u8,
    /// Virtual channel identifier.
    pub vci: u16,
}

impl SunAtmHeader {
    /// The header for an LLC-encapsulated SDU on the VC end `label`.
    pub fn llc(direction: Direction, label: VcLabel) -> Self {
        SunAtmHeader {
            direction,
            traffic: TrafficType::LLC,
            vpi: label.vpi,
            vci: label.vci,
        }
    }

    /// The header's four octets.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let dir = match self.direction {
            Direction::Tx => DIR_TX,
            Direction::Rx => 0,
        };
        let [hi, lo] = self.vci.to_be_bytes();
        [dir | (self.traffic.0 & TYPE_MASK), self.vpi, hi, lo]
    }

    /// Split a record into its header and payload; `None` if it is shorter than a header.
    pub fn parse(record: &[u8]) -> Option<(SunAtmHeader, &[u8])> {
        let (h, payload) = record.split_first_chunk::<HEADER_LEN>()?;
        let direction = if h[0] & DIR_TX != 0 {
            Direction::Tx
        } else {
            Direction::Rx
        };
        Some((
            SunAtmHeader {
                direction,
                traffic: TrafficType(h[0] & TYPE_MASK),
                vpi: h[1],
                vci: u16::from_be_bytes([h[2], h[3]]),
            },
            payload,
        ))
    }
}

/// Why a capture could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The sink failed.
    #[error("pcap capture: {0}")]
    Io(std::io::Error),
    /// The pcap writer refused a record or header.
    #[error("pcap capture: {0}")]
    Pcap(pcap_file::PcapError),
    /// The capture was stopped earlier by this error; later records were not written.
    #[error("pcap capture stopped after an earlier error: {0}")]
    Stopped(String),
}

impl From<pcap_file::PcapError> for CaptureError {
    /// Keep the sink's own error: `pcap-file` displays every I/O error as "Error reading
    /// bytes".
    fn from(e: pcap_file::PcapError) -> Self {
        match e {
            pcap_file::PcapError::IoError(e) => CaptureError::Io(e),
            e => CaptureError::Pcap(e),
        }
    }
}

/// A pcap writer for SunATM records (nanosecond timestamps, native byte order).
#[derive(Debug)]
pub struct SunAtmWriter<W: Write> {
    inner: PcapWriter<W>,
    records: u64,
}

impl<W: Write> SunAtmWriter<W> {
    /// Write the pcap file header to `sink`.
    pub fn new(sink: W) -> Result<Self, CaptureError> {
        let header = PcapHeader {
            snaplen: SNAPLEN,
            datalink: DataLink::SUNATM,
            ts_resolution: TsResolution::NanoSecond,
            endianness: Endianness::native(),
            ..PcapHeader::default()
        };
        Ok(SunAtmWriter {
            inner: PcapWriter::with_header(sink, header)?,
            records: 0,
        })
    }

    /// Write one record. `timestamp` is time since the Unix epoch (the fabric passes virtual
    /// time, so captures start on 1 January 1970). An SDU longer than AAL5 allows is
    /// truncated to [`SNAPLEN`] with its full length kept as the original length (libpcap and
    /// Wireshark accept that; the `pcap-file` reader does not).
    pub fn write(
        &mut self,
        timestamp: Duration,
        header: SunAtmHeader,
        sdu: &[u8],
    ) -> Result<(), CaptureError> {
        let keep = sdu.len().min(SNAPLEN as usize - HEADER_LEN);
        let mut data = Vec::with_capacity(HEADER_LEN + keep);
        data.extend_from_slice(&header.to_bytes());
        data.extend_from_slice(&sdu[..keep]);
        let orig_len = u32::try_from(HEADER_LEN + sdu.len()).unwrap_or(u32::MAX);
        self.inner
            .write_packet(&PcapPacket::new(timestamp, orig_len, &data))?;
        self.records += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// The sink, for flushing or reuse.
    pub fn into_inner(self) -> W {
        self.inner.into_writer()
    }
}

/// An in-memory capture sink that can be handed to the fabric and read back later.
///
/// Clones share one buffer.
#[derive(Clone, Debug, Default)]
pub struct CaptureBuffer(Arc<Mutex<Vec<u8>>>);

impl CaptureBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        CaptureBuffer::default()
    }

    /// A copy of everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Write for CaptureBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::pcap::PcapReader;

    #[test]
    fn header_octets() {
        let label = VcLabel {
            vpi: 1,
            vci: 0x1234,
        };
        let tx = SunAtmHeader::llc(Direction::Tx, label);
        assert_eq!(tx.to_bytes(), [0x82, 0x01, 0x12, 0x34]);
        let rx = SunAtmHeader::llc(Direction::Rx, label);
        assert_eq!(rx.to_bytes(), [0x02, 0x01, 0x12, 0x34]);
        let rec = [0x82, 0x01, 0x12, 0x34, 0xAA];
        assert_eq!(SunAtmHeader::parse(&rec), Some((tx, &[0xAA][..])));
        assert_eq!(SunAtmHeader::parse(&rec[..3]), None);
    }

    #[test]
    fn writes_linktype_123_and_whole_aal5_sdus() {
        let buf = CaptureBuffer::new();
        let mut w = SunAtmWriter::new(buf.clone()).unwrap();
        let label = VcLabel { vpi: 0, vci: 32 };
        let ts = Duration::new(3, 500);
        w.write(ts, SunAtmHeader::llc(Direction::Tx, label), b"\xAA\xAA\x03")
            .unwrap();
        let biggest = vec![7u8; 65_535];
        w.write(ts, SunAtmHeader::llc(Direction::Rx, label), &biggest)
            .unwrap();
        assert_eq!(w.records(), 2);

        let bytes = buf.contents();
        let mut r = PcapReader::new(&bytes[..]).unwrap();
        assert_eq!(u32::from(r.header().datalink), LINKTYPE_SUNATM);
        assert_eq!(r.header().ts_resolution, TsResolution::NanoSecond);
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.timestamp, ts);
        assert_eq!(&p.data[..], &[0x82, 0, 0, 32, 0xAA, 0xAA, 0x03]);
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(p.data.len(), HEADER_LEN + 65_535);
        assert_eq!(p.orig_len as usize, HEADER_LEN + 65_535);
        assert!(r.next_packet().is_none());
    }

    #[test]
    fn oversized_sdus_are_truncated_with_their_true_length() {
        let buf = CaptureBuffer::new();
        let mut w = SunAtmWriter::new(buf.clone()).unwrap();
        let label = VcLabel { vpi: 0, vci: 32 };
        w.write(
            Duration::ZERO,
            SunAtmHeader::llc(Direction::Tx, label),
            &[1; 70_000],
        )
        .unwrap();
        let bytes = buf.contents();
        // Global header (24 octets), then ts_sec, ts_frac, incl_len, orig_len in native order.
        let field = |i: usize| {
            let at = 24 + 4 * i;
            u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap())
        };
        assert_eq!((field(2), field(3)), (SNAPLEN, 70_004));
        assert_eq!(bytes.len(), 24 + 16 + SNAPLEN as usize);
    }
}
