//! The inter-MCS HELLO message (RFC 2149 §5.3), used for the heartbeat of the active MCS and
//! for the election of a new one (§5.4, §5.5).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Sender Len    |    Recvr Len  | State | Type  |    unused     |   0
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         HelloInterval         |          DeadFactor           |   4
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        IP Multicast address                   |   8
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Sender ATM address (variable length)       |  12
//! |                  Receiver ATM address (variable length)       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Decisions where the RFC is silent (also in `docs/wire-decisions.md`):
//! - **Address plan by length.** The HELLO has a plain octet length per address and no type
//!   flag, so the plan follows from the length: 20 octets is an ATM Forum NSAPA, 1 to 15
//!   octets a native E.164 number in IA5 digits (the coding of [`crate::atm`]). Any other
//!   length is rejected. Subaddresses cannot be carried: an MCS in an "mcslist" is named by
//!   its ATM number alone.
//! - **Sender Len 0** is rejected: the sender is always known (§5.3). **Recvr Len 0** means
//!   the Receiver ATM address "does not exist in this HELLO message" (§5.4).
//! - **State** other than No-Op (0) and Elected (1) is rejected; **Type** other than 5 is
//!   an unknown type; the **unused** octet must be zero (so every accepted HELLO re-encodes
//!   to the same octets).
//! - **Encapsulation.** RFC 2149 does not say how the HELLO is framed on the HelloVC, and no
//!   IANA SNAP PID under 00-00-5E is assigned to it. dmars uses LLC/SNAP (RFC 2684 §4.1) with
//!   the locally administered OUI [`OUI_DMARS`] 02-44-4D and PID [`PID_MCS_HELLO`] 0x2149, so
//!   that it can never be taken for an IANA-assigned protocol (MARS, NHRP, SCSP) on any VC.

use std::net::Ipv4Addr;

use crate::atm::{AtmAddr, E164_MAX_DIGITS, NSAP_LEN};
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind, EncodeError};
use crate::llc::{LLC_SNAP, LLC_SNAP_LEN};

/// The locally administered OUI dmars frames the HELLO with ("\x02DM"; the 0x02 bit of the
/// first octet marks a local assignment, IEEE 802).
pub const OUI_DMARS: [u8; 3] = [0x02, 0x44, 0x4D];
/// The PID of the inter-MCS HELLO under [`OUI_DMARS`] (the RFC's number, for the reader).
pub const PID_MCS_HELLO: u16 = 0x2149;
/// "The Hello message type code is 5" (§5.3).
pub const HELLO_TYPE: u8 = 5;
/// Octets before the Sender ATM address.
pub const FIXED_LEN: usize = 12;

/// The State field (§5.3: "Currently two states: No-Op (0x00) and Elected (0x01)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum HelloState {
    /// 0x0: a heartbeat or election message of a candidate or inactive MCS.
    NoOp,
    /// 0x1: sent by the active MCS (§5.4) and by a candidate once elected (§5.5.1).
    Elected,
}

impl HelloState {
    /// The 4-bit code.
    pub const fn code(self) -> u8 {
        match self {
            HelloState::NoOp => 0,
            HelloState::Elected => 1,
        }
    }
}

/// One HELLO (RFC 2149 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct McsHello {
    /// State: No-Op or Elected.
    pub state: HelloState,
    /// HelloInterval, seconds between HELLOs of the active MCS.
    pub hello_interval: u16,
    /// DeadFactor, the multiplier of HelloInterval after which the active is dead.
    pub dead_factor: u16,
    /// IP Multicast address: the group the HELLO is associated with.
    pub group: Ipv4Addr,
    /// Sender ATM address (never null).
    pub sender: AtmAddr,
    /// Receiver ATM address; null when absent (Recvr Len 0).
    pub receiver: AtmAddr,
}

impl McsHello {
    /// Encoded length, without LLC/SNAP.
    pub fn wire_len(&self) -> usize {
        FIXED_LEN + self.sender.len() + self.receiver.len()
    }

    /// Encode the message (without LLC/SNAP). Fails only for a null sender; every non-null
    /// [`AtmAddr`] is a valid NSAPA or E.164 number, so its length alone tells its plan.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.sender.is_null() {
            return Err(EncodeError::Invalid {
                field: "Sender ATM address",
                detail: "the sender of a HELLO is never null (RFC 2149 §5.3)",
            });
        }
        out.reserve(self.wire_len());
        out.put_u8(self.sender.len() as u8);
        out.put_u8(self.receiver.len() as u8);
        out.put_u8((self.state.code() << 4) | HELLO_TYPE);
        out.put_u8(0);
        out.put_u16(self.hello_interval);
        out.put_u16(self.dead_factor);
        out.put(&self.group.octets());
        out.put(self.sender.as_bytes());
        out.put(self.receiver.as_bytes());
        Ok(())
    }

    /// Encode as an AAL5 SDU with the LLC/SNAP header of the module documentation.
    pub fn encode_sdu(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(LLC_SNAP_LEN + self.wire_len());
        crate::llc::put_header(&mut out, OUI_DMARS, PID_MCS_HELLO);
        self.encode(&mut out)?;
        Ok(out)
    }

    /// Decode a HELLO (without LLC/SNAP). Offsets in errors are from its first octet.
    pub fn decode(buf: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(buf);
        let slen = r.u8("Sender Len")?;
        let rlen = r.u8("Recvr Len")?;
        let st = r.u8("State/Type")?;
        if st & 0x0F != HELLO_TYPE {
            return Err(DecodeError::new(
                DecodeErrorKind::UnknownType {
                    value: u64::from(st & 0x0F),
                },
                "Type",
                2,
            ));
        }
        let state = match st >> 4 {
            0 => HelloState::NoOp,
            1 => HelloState::Elected,
            v => {
                return Err(DecodeError::new(
                    DecodeErrorKind::BadValue {
                        value: u64::from(v),
                    },
                    "State",
                    2,
                ))
            }
        };
        let unused = r.u8("unused")?;
        if unused != 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::ReservedNonZero {
                    value: u64::from(unused),
                },
                "unused",
                3,
            ));
        }
        let hello_interval = r.u16("HelloInterval")?;
        let dead_factor = r.u16("DeadFactor")?;
        let group = Ipv4Addr::from(r.array::<4>("IP Multicast address")?);
        if slen == 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::BadLength { value: 0 },
                "Sender Len",
                0,
            ));
        }
        let sender = read_addr(&mut r, slen, "Sender Len", 0, "Sender ATM address")?;
        let receiver = read_addr(&mut r, rlen, "Recvr Len", 1, "Receiver ATM address")?;
        r.finish("end of HELLO")?;
        Ok(McsHello {
            state,
            hello_interval,
            dead_factor,
            group,
            sender,
            receiver,
        })
    }

    /// Decode an AAL5 SDU: the LLC/SNAP header must be [`OUI_DMARS`] / [`PID_MCS_HELLO`].
    /// Offsets in errors are from the first octet of the SDU.
    pub fn decode_sdu(sdu: &[u8]) -> Result<Self, DecodeError> {
        if !is_hello_sdu(sdu) {
            let mut r = Reader::new(sdu);
            let hdr = r.array::<LLC_SNAP_LEN>("LLC/SNAP header")?;
            return Err(DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from_be_bytes(hdr),
                },
                "LLC/SNAP header",
                0,
            ));
        }
        McsHello::decode(&sdu[LLC_SNAP_LEN..]).map_err(|e| e.shifted(LLC_SNAP_LEN))
    }
}

/// Whether an SDU carries the LLC/SNAP header of a HELLO.
pub fn is_hello_sdu(sdu: &[u8]) -> bool {
    sdu.len() >= LLC_SNAP_LEN
        && sdu[..3] == LLC_SNAP
        && sdu[3..6] == OUI_DMARS
        && sdu[6..8] == PID_MCS_HELLO.to_be_bytes()
}

/// An ATM number of `len` octets, its plan told by the length (module documentation).
fn read_addr(
    r: &mut Reader<'_>,
    len: u8,
    len_field: &'static str,
    len_offset: usize,
    field: &'static str,
) -> Result<AtmAddr, DecodeError> {
    let n = usize::from(len);
    let tl = match n {
        0 => return Ok(AtmAddr::NULL),
        NSAP_LEN => len,
        1..=E164_MAX_DIGITS => 0x40 | len,
        _ => {
            return Err(DecodeError::new(
                DecodeErrorKind::BadLength { value: n },
                len_field,
                len_offset,
            ))
        }
    };
    AtmAddr::read(r, tl, len_field, len_offset, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_sender_decodes_as_e164() {
        let h = McsHello {
            state: HelloState::Elected,
            hello_interval: 3,
            dead_factor: 3,
            group: Ipv4Addr::new(224, 1, 2, 3),
            sender: "14085551212".parse().unwrap(),
            receiver: AtmAddr::NULL,
        };
        let sdu = h.encode_sdu().unwrap();
        assert_eq!(McsHello::decode_sdu(&sdu), Ok(h));
    }
}
