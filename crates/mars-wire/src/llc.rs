//! LLC/SNAP encapsulation (RFC 2684 §4.1) and the codepoints dmars uses.
//!
//! ```text
//! [0xAA-AA-03][OUI (3)][PID (2)][payload]
//! ```
//!
//! Under the IANA OUI 00-00-5E: PID 0x0003 is MARS control (RFC 2022 §4.2) — and also NHRP
//! (RFC 2332), told apart by the octet at offset 16 of the payload (`mar$op.version` 0 vs
//! `ar$op.version` 1); PID 0x0005 is SCSP (RFC 2334 App. B); PIDs 0x0001 and 0x0004 are the
//! MARS data-path Type #1 and Type #2 encapsulations (RFC 2022 §5.5). Anything else is
//! reported as [`Payload::Unknown`], not as an error.

use crate::codec::Put;
use crate::error::{DecodeError, DecodeErrorKind};

/// The LLC header for SNAP: DSAP 0xAA, SSAP 0xAA, control 0x03 (UI).
pub const LLC_SNAP: [u8; 3] = [0xAA, 0xAA, 0x03];
/// The IANA OUI.
pub const OUI_IANA: [u8; 3] = [0x00, 0x00, 0x5E];
/// Length of the LLC/SNAP header.
pub const LLC_SNAP_LEN: usize = 8;

/// PID of MARS data-path Type #1 encapsulation (RFC 2022 §5.5).
pub const PID_MARS_DATA_TYPE1: u16 = 0x0001;
/// PID of MARS control messages and NHRP (RFC 2022 §4.2).
pub const PID_MARS_CONTROL: u16 = 0x0003;
/// PID of MARS data-path Type #2 encapsulation (RFC 2022 §5.5).
pub const PID_MARS_DATA_TYPE2: u16 = 0x0004;
/// PID of SCSP (RFC 2334 Appendix B).
pub const PID_SCSP: u16 = 0x0005;

/// Offset of `mar$op.version` / `ar$op.version` within a PID 0x0003 payload.
const OP_VERSION_OFFSET: usize = 16;

/// What an LLC/SNAP-framed SDU carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// A MARS control message (PID 0x0003, `mar$op.version` 0).
    MarsControl(&'a [u8]),
    /// An NHRP message (PID 0x0003, `ar$op.version` 1): not ours to decode.
    Nhrp(&'a [u8]),
    /// An SCSP packet (PID 0x0005).
    Scsp(&'a [u8]),
    /// MARS data-path Type #1 (PID 0x0001).
    MarsDataType1(&'a [u8]),
    /// MARS data-path Type #2 (PID 0x0004).
    MarsDataType2(&'a [u8]),
    /// Some other OUI/PID, or PID 0x0003 with an op version that is neither MARS nor NHRP.
    Unknown {
        oui: [u8; 3],
        pid: u16,
        payload: &'a [u8],
    },
}

impl<'a> Payload<'a> {
    /// Split an AAL5 SDU into its LLC/SNAP header and classify the payload.
    pub fn parse(sdu: &'a [u8]) -> Result<Self, DecodeError> {
        if sdu.len() < LLC_SNAP_LEN {
            return Err(DecodeError::new(
                DecodeErrorKind::Truncated {
                    needed: LLC_SNAP_LEN,
                    available: sdu.len(),
                },
                "LLC/SNAP header",
                0,
            ));
        }
        if sdu[..3] != LLC_SNAP {
            return Err(DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from(u32::from_be_bytes([0, sdu[0], sdu[1], sdu[2]])),
                },
                "LLC",
                0,
            ));
        }
        let oui = [sdu[3], sdu[4], sdu[5]];
        let pid = u16::from_be_bytes([sdu[6], sdu[7]]);
        let payload = &sdu[LLC_SNAP_LEN..];
        Ok(match (oui, pid) {
            (OUI_IANA, PID_MARS_CONTROL) => match payload.get(OP_VERSION_OFFSET) {
                Some(0) => Payload::MarsControl(payload),
                Some(1) => Payload::Nhrp(payload),
                // Too short to tell: let the MARS decoder report the truncation.
                None => Payload::MarsControl(payload),
                Some(_) => Payload::Unknown { oui, pid, payload },
            },
            (OUI_IANA, PID_SCSP) => Payload::Scsp(payload),
            (OUI_IANA, PID_MARS_DATA_TYPE1) => Payload::MarsDataType1(payload),
            (OUI_IANA, PID_MARS_DATA_TYPE2) => Payload::MarsDataType2(payload),
            _ => Payload::Unknown { oui, pid, payload },
        })
    }
}

/// Append the LLC/SNAP header for `oui`/`pid`.
pub fn put_header(out: &mut Vec<u8>, oui: [u8; 3], pid: u16) {
    out.put(&LLC_SNAP);
    out.put(&oui);
    out.put_u16(pid);
}

/// A buffer holding just the LLC/SNAP header for an IANA-OUI `pid`, ready for a payload.
pub fn with_header(pid: u16, capacity: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(LLC_SNAP_LEN + capacity);
    put_header(&mut v, OUI_IANA, pid);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify() {
        let mut mars = vec![0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x03];
        mars.extend_from_slice(&[0; 16]);
        mars.push(0); // op.version 0
        assert!(matches!(Payload::parse(&mars), Ok(Payload::MarsControl(p)) if p.len() == 17));
        let mut nhrp = mars.clone();
        nhrp[8 + 16] = 1;
        assert!(matches!(Payload::parse(&nhrp), Ok(Payload::Nhrp(_))));
        let scsp = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x05, 1];
        assert!(matches!(Payload::parse(&scsp), Ok(Payload::Scsp([1]))));
        let t1 = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x01];
        assert!(matches!(
            Payload::parse(&t1),
            Ok(Payload::MarsDataType1([]))
        ));
        let t2 = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x04];
        assert!(matches!(
            Payload::parse(&t2),
            Ok(Payload::MarsDataType2([]))
        ));
        // IPv4 routed PDU under OUI 00-00-00, ethertype 0x0800: unknown to us, not an error.
        let ip = [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45];
        assert_eq!(
            Payload::parse(&ip),
            Ok(Payload::Unknown {
                oui: [0, 0, 0],
                pid: 0x0800,
                payload: &[0x45]
            })
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            Payload::parse(&[0xAA, 0xAA, 0x03]),
            Err(DecodeError::new(
                DecodeErrorKind::Truncated {
                    needed: 8,
                    available: 3
                },
                "LLC/SNAP header",
                0
            ))
        );
        assert_eq!(
            Payload::parse(&[0xFE, 0xFE, 0x03, 0, 0, 0, 0, 0])
                .unwrap_err()
                .kind,
            DecodeErrorKind::BadValue { value: 0xFEFE03 }
        );
    }

    #[test]
    fn header_bytes() {
        assert_eq!(
            with_header(PID_SCSP, 0),
            [0xAA, 0xAA, 0x03, 0x00, 0x00, 0x5E, 0x00, 0x05]
        );
    }
}
