//! Datagrams of the ATM emulation over UDP (`docs/atm-emulation.md`, the normative text).
//!
//! Every datagram starts with a four-octet common header:
//!
//! ```text
//!  0        1        2        3
//! +--------+--------+--------+--------+
//! |  0x41  |  0x45  | version|  type  |     magic "AE", version 1
//! +--------+--------+--------+--------+
//! ```
//!
//! Signalling messages (types taken from Q.2931 / Q.2971 where they exist) carry a call
//! reference and, depending on the type, a cause octet or the calling and called addresses.
//! A DATA datagram carries a call reference, a 64-bit sequence number and the AAL5 SDU.
//! A KEEPALIVE carries the sender's instance number.
//!
//! The decoder follows the crate's rules: it never panics, allocates nothing, names the
//! field and offset of every fault, rejects trailing octets, and anything it accepts
//! re-encodes to the same bytes.

use core::fmt;

use crate::atm::{AtmAddr, AtmAddress};
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, DecodeErrorKind};

/// The two magic octets "AE" (ATM Emulation) that open every datagram.
pub const MAGIC: [u8; 2] = [0x41, 0x45];
/// The only version this implementation speaks.
pub const VERSION: u8 = 1;
/// Length of the common header (magic, version, type).
pub const COMMON_LEN: usize = 4;
/// Length of a DATA header: common header, call reference, sequence number.
pub const DATA_HEADER_LEN: usize = 16;
/// The largest SDU a DATA datagram may carry: the AAL5 CPCS-SDU limit.
pub const MAX_SDU: usize = 65_535;

/// Message type codes (octet 3). Signalling codes are those of Q.2931 / Q.2971.
pub mod msg_type {
    /// SETUP (Q.2931): open a point-to-point call.
    pub const SETUP: u8 = 0x05;
    /// CALL PROCEEDING (Q.2931): the called side has the SETUP and is asking its user.
    pub const CALL_PROCEEDING: u8 = 0x02;
    /// CONNECT (Q.2931): the called side accepts.
    pub const CONNECT: u8 = 0x07;
    /// CONNECT ACKNOWLEDGE (Q.2931): the caller confirms CONNECT.
    pub const CONNECT_ACK: u8 = 0x0F;
    /// RELEASE (Q.2931): clear a call.
    pub const RELEASE: u8 = 0x4D;
    /// RELEASE COMPLETE (Q.2931): the call reference is free; also refuses a SETUP.
    pub const RELEASE_COMPLETE: u8 = 0x5A;
    /// ADD PARTY (Q.2971): add a leaf to a point-to-multipoint call.
    pub const ADD_PARTY: u8 = 0x80;
    /// ADD PARTY ACKNOWLEDGE (Q.2971): the leaf accepts.
    pub const ADD_PARTY_ACK: u8 = 0x81;
    /// ADD PARTY REJECT (Q.2971): the leaf refuses.
    pub const ADD_PARTY_REJECT: u8 = 0x82;
    /// PARTY ALERTING (Q.2971): the leaf has the ADD PARTY and is asking its user.
    pub const PARTY_ALERTING: u8 = 0x85;
    /// DROP PARTY (Q.2971): remove a leaf (sent by the root or by the leaf).
    pub const DROP_PARTY: u8 = 0x83;
    /// DROP PARTY ACKNOWLEDGE (Q.2971).
    pub const DROP_PARTY_ACK: u8 = 0x84;
    /// DATA: one AAL5 SDU on a call (emulation-specific).
    pub const DATA: u8 = 0xF0;
    /// KEEPALIVE: liveness between endpoints that share calls (emulation-specific).
    pub const KEEPALIVE: u8 = 0xF1;
}

/// A call reference: a 31-bit value chosen by the side that originated the call (leg), and
/// the Q.2931 flag saying which side sent the message.
///
/// Wire form: one big-endian 32-bit field, the flag in bit 31 (the most significant bit).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallRef {
    /// The value, 1 to 2^31 − 1 (0 is reserved, as the Q.2931 dummy call reference).
    pub value: u32,
    /// The call reference flag: `false` in messages sent by the side that chose `value`,
    /// `true` in messages sent to it.
    pub to_originator: bool,
}

impl CallRef {
    const FLAG: u32 = 1 << 31;
    /// The largest value a call reference may have.
    pub const MAX_VALUE: u32 = Self::FLAG - 1;

    /// As sent by the side that chose `value`.
    pub const fn from_originator(value: u32) -> Self {
        CallRef {
            value: value & Self::MAX_VALUE,
            to_originator: false,
        }
    }

    /// As sent to the side that chose `value`.
    pub const fn to_originator(value: u32) -> Self {
        CallRef {
            value: value & Self::MAX_VALUE,
            to_originator: true,
        }
    }

    /// The same reference as the other side would send it.
    pub const fn reversed(self) -> Self {
        CallRef {
            value: self.value,
            to_originator: !self.to_originator,
        }
    }

    /// The 32-bit wire value.
    pub const fn to_wire(self) -> u32 {
        self.value | if self.to_originator { Self::FLAG } else { 0 }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let at = r.offset();
        let raw = r.u32("call reference")?;
        let value = raw & Self::MAX_VALUE;
        if value == 0 {
            return Err(DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from(raw),
                },
                "call reference",
                at,
            ));
        }
        Ok(CallRef {
            value,
            to_originator: raw & Self::FLAG != 0,
        })
    }
}

impl fmt::Debug for CallRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = if self.to_originator {
            "→orig"
        } else {
            "orig→"
        };
        write!(f, "cref {} {dir}", self.value)
    }
}

/// The body of SETUP and ADD PARTY: who calls whom.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CallSetup {
    /// The leg's call reference (always sent by its originator).
    pub cref: CallRef,
    /// The calling (root) endpoint's ATM address.
    pub calling: AtmAddress,
    /// The called (leaf) endpoint's ATM address.
    pub called: AtmAddress,
}

/// One datagram of the emulation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Datagram<'a> {
    /// Open a point-to-point call.
    Setup(CallSetup),
    /// The called side has the SETUP and is asking its user.
    CallProceeding(CallRef),
    /// The called side accepts.
    Connect(CallRef),
    /// The caller confirms CONNECT.
    ConnectAck(CallRef),
    /// Clear a call, with a Q.2610 cause.
    Release(CallRef, u8),
    /// The call reference is free (answers RELEASE; refuses SETUP).
    ReleaseComplete(CallRef, u8),
    /// Add a leaf to a point-to-multipoint call.
    AddParty(CallSetup),
    /// The leaf accepts.
    AddPartyAck(CallRef),
    /// The leaf refuses, with a cause.
    AddPartyReject(CallRef, u8),
    /// The leaf has the ADD PARTY and is asking its user.
    PartyAlerting(CallRef),
    /// Remove a leaf, with a cause (sent by the root or by the leaf).
    DropParty(CallRef, u8),
    /// Answers DROP PARTY.
    DropPartyAck(CallRef),
    /// Liveness, carrying the sender's instance number (random per start-up).
    Keepalive {
        /// The sender's instance number.
        instance: u32,
    },
    /// One AAL5 SDU.
    Data {
        /// The call (leg) it travels on.
        cref: CallRef,
        /// Per-direction sequence number, 1 for the first SDU, never 0, never wraps.
        seq: u64,
        /// The SDU (LLC/SNAP header and payload).
        sdu: &'a [u8],
    },
}

impl<'a> Datagram<'a> {
    /// The type code of this datagram.
    pub fn type_code(&self) -> u8 {
        use msg_type::*;
        match self {
            Datagram::Setup(_) => SETUP,
            Datagram::CallProceeding(_) => CALL_PROCEEDING,
            Datagram::Connect(_) => CONNECT,
            Datagram::ConnectAck(_) => CONNECT_ACK,
            Datagram::Release(..) => RELEASE,
            Datagram::ReleaseComplete(..) => RELEASE_COMPLETE,
            Datagram::AddParty(_) => ADD_PARTY,
            Datagram::AddPartyAck(_) => ADD_PARTY_ACK,
            Datagram::AddPartyReject(..) => ADD_PARTY_REJECT,
            Datagram::PartyAlerting(_) => PARTY_ALERTING,
            Datagram::DropParty(..) => DROP_PARTY,
            Datagram::DropPartyAck(_) => DROP_PARTY_ACK,
            Datagram::Keepalive { .. } => KEEPALIVE,
            Datagram::Data { .. } => DATA,
        }
    }

    /// The call reference, for every type but KEEPALIVE.
    pub fn call_ref(&self) -> Option<CallRef> {
        match *self {
            Datagram::Setup(s) | Datagram::AddParty(s) => Some(s.cref),
            Datagram::Connect(c)
            | Datagram::CallProceeding(c)
            | Datagram::PartyAlerting(c)
            | Datagram::ConnectAck(c)
            | Datagram::Release(c, _)
            | Datagram::ReleaseComplete(c, _)
            | Datagram::AddPartyAck(c)
            | Datagram::AddPartyReject(c, _)
            | Datagram::DropParty(c, _)
            | Datagram::DropPartyAck(c)
            | Datagram::Data { cref: c, .. } => Some(c),
            Datagram::Keepalive { .. } => None,
        }
    }

    /// Decode one datagram. Never panics; trailing octets are an error (for DATA, every
    /// octet after the header is SDU).
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        use msg_type::*;
        let mut r = Reader::new(buf);
        let magic: [u8; 2] = r.array("magic")?;
        if magic != MAGIC {
            return Err(DecodeError::new(
                DecodeErrorKind::BadValue {
                    value: u64::from(u16::from_be_bytes(magic)),
                },
                "magic",
                0,
            ));
        }
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(DecodeError::new(
                DecodeErrorKind::UnsupportedVersion {
                    value: u64::from(version),
                },
                "version",
                2,
            ));
        }
        let ty = r.u8("type")?;
        let d = match ty {
            KEEPALIVE => Datagram::Keepalive {
                instance: r.u32("instance")?,
            },
            DATA => {
                let cref = CallRef::read(&mut r)?;
                let at = r.offset();
                let seq = r.array::<8>("sequence number").map(u64::from_be_bytes)?;
                if seq == 0 {
                    return Err(DecodeError::new(
                        DecodeErrorKind::BadValue { value: 0 },
                        "sequence number",
                        at,
                    ));
                }
                if r.remaining() > MAX_SDU {
                    return Err(r.error(
                        DecodeErrorKind::BadLength {
                            value: r.remaining(),
                        },
                        "SDU",
                    ));
                }
                let sdu = r.take(r.remaining(), "SDU")?;
                Datagram::Data { cref, seq, sdu }
            }
            SETUP | ADD_PARTY => {
                let s = read_setup(&mut r)?;
                if ty == SETUP {
                    Datagram::Setup(s)
                } else {
                    Datagram::AddParty(s)
                }
            }
            CALL_PROCEEDING => Datagram::CallProceeding(CallRef::read(&mut r)?),
            PARTY_ALERTING => Datagram::PartyAlerting(CallRef::read(&mut r)?),
            CONNECT => Datagram::Connect(CallRef::read(&mut r)?),
            CONNECT_ACK => Datagram::ConnectAck(CallRef::read(&mut r)?),
            ADD_PARTY_ACK => Datagram::AddPartyAck(CallRef::read(&mut r)?),
            DROP_PARTY_ACK => Datagram::DropPartyAck(CallRef::read(&mut r)?),
            RELEASE | RELEASE_COMPLETE | ADD_PARTY_REJECT | DROP_PARTY => {
                let c = CallRef::read(&mut r)?;
                let cause = r.u8("cause")?;
                match ty {
                    RELEASE => Datagram::Release(c, cause),
                    RELEASE_COMPLETE => Datagram::ReleaseComplete(c, cause),
                    ADD_PARTY_REJECT => Datagram::AddPartyReject(c, cause),
                    _ => Datagram::DropParty(c, cause),
                }
            }
            other => {
                return Err(DecodeError::new(
                    DecodeErrorKind::UnknownType {
                        value: u64::from(other),
                    },
                    "type",
                    3,
                ))
            }
        };
        r.finish("end of datagram")?;
        Ok(d)
    }

    /// Append the datagram's wire form to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.put(&MAGIC);
        out.put_u8(VERSION);
        out.put_u8(self.type_code());
        match *self {
            Datagram::Keepalive { instance } => out.put_u32(instance),
            Datagram::Data { cref, seq, sdu } => {
                out.put_u32(cref.to_wire());
                out.put(&seq.to_be_bytes());
                out.put(sdu);
            }
            Datagram::Setup(s) | Datagram::AddParty(s) => write_setup(&s, out),
            Datagram::Connect(c)
            | Datagram::CallProceeding(c)
            | Datagram::PartyAlerting(c)
            | Datagram::ConnectAck(c)
            | Datagram::AddPartyAck(c)
            | Datagram::DropPartyAck(c) => out.put_u32(c.to_wire()),
            Datagram::Release(c, cause)
            | Datagram::ReleaseComplete(c, cause)
            | Datagram::AddPartyReject(c, cause)
            | Datagram::DropParty(c, cause) => {
                out.put_u32(c.to_wire());
                out.put_u8(cause);
            }
        }
    }

    /// The wire form as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.encoded_len());
        self.encode(&mut v);
        v
    }

    /// Length of the wire form.
    pub fn encoded_len(&self) -> usize {
        COMMON_LEN
            + match self {
                Datagram::Keepalive { .. } => 4,
                Datagram::Data { sdu, .. } => DATA_HEADER_LEN - COMMON_LEN + sdu.len(),
                Datagram::Setup(s) | Datagram::AddParty(s) => {
                    8 + s.calling.wire_len() + s.called.wire_len()
                }
                Datagram::Connect(_)
                | Datagram::CallProceeding(_)
                | Datagram::PartyAlerting(_)
                | Datagram::ConnectAck(_)
                | Datagram::AddPartyAck(_)
                | Datagram::DropPartyAck(_) => 4,
                _ => 5,
            }
    }
}

/// The 16-octet header of a DATA datagram, for senders that keep the SDU in a separate
/// buffer (scatter/gather I/O); followed by the SDU it equals `Datagram::Data` encoded.
pub fn data_header(cref: CallRef, seq: u64) -> [u8; DATA_HEADER_LEN] {
    let mut h = [0u8; DATA_HEADER_LEN];
    h[..2].copy_from_slice(&MAGIC);
    h[2] = VERSION;
    h[3] = msg_type::DATA;
    h[4..8].copy_from_slice(&cref.to_wire().to_be_bytes());
    h[8..16].copy_from_slice(&seq.to_be_bytes());
    h
}

/// SETUP / ADD PARTY body after the call reference:
///
/// ```text
/// 8   calling number type & length      (RFC 2022 §5.1.2 coding)
/// 9   calling subaddress type & length
/// 10  called number type & length
/// 11  called subaddress type & length
/// 12  calling number, calling subaddress, called number, called subaddress octets
/// ```
fn read_setup(r: &mut Reader<'_>) -> Result<CallSetup, DecodeError> {
    let cref = CallRef::read(r)?;
    let tl_at = r.offset();
    let [cgn, cgs, cdn, cds]: [u8; 4] = r.array("address type & length")?;
    let calling = AtmAddress {
        number: read_number(r, cgn, "calling number type & length", tl_at)?,
        sub: AtmAddr::read(
            r,
            cgs,
            "calling subaddress type & length",
            tl_at + 1,
            "calling subaddress",
        )?,
    };
    let called = AtmAddress {
        number: read_number(r, cdn, "called number type & length", tl_at + 2)?,
        sub: AtmAddr::read(
            r,
            cds,
            "called subaddress type & length",
            tl_at + 3,
            "called subaddress",
        )?,
    };
    Ok(CallSetup {
        cref,
        calling,
        called,
    })
}

/// A calling or called number must not be null.
fn read_number(
    r: &mut Reader<'_>,
    tl: u8,
    field: &'static str,
    at: usize,
) -> Result<AtmAddr, DecodeError> {
    let a = AtmAddr::read(r, tl, field, at, field)?;
    if a.is_null() {
        return Err(DecodeError::new(
            DecodeErrorKind::BadValue {
                value: u64::from(tl),
            },
            field,
            at,
        ));
    }
    Ok(a)
}

fn write_setup(s: &CallSetup, out: &mut Vec<u8>) {
    out.put_u32(s.cref.to_wire());
    out.put_u8(s.calling.number.type_len());
    out.put_u8(s.calling.sub.type_len());
    out.put_u8(s.called.number.type_len());
    out.put_u8(s.called.sub.type_len());
    out.put(s.calling.number.as_bytes());
    out.put(s.calling.sub.as_bytes());
    out.put(s.called.number.as_bytes());
    out.put(s.called.sub.as_bytes());
}

/// Classify a datagram cheaply without decoding it fully: `Some(type)` when it opens with
/// our magic and version.
pub fn peek_type(buf: &[u8]) -> Option<u8> {
    match buf {
        [m0, m1, v, t, ..] if [*m0, *m1] == MAGIC && *v == VERSION => Some(*t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> AtmAddress {
        s.parse().unwrap()
    }

    #[test]
    fn call_ref_flag_is_bit_31() {
        let c = CallRef::to_originator(5);
        assert_eq!(c.to_wire(), 0x8000_0005);
        assert_eq!(c.reversed(), CallRef::from_originator(5));
    }

    #[test]
    fn setup_layout() {
        let d = Datagram::Setup(CallSetup {
            cref: CallRef::from_originator(1),
            calling: addr("12345"),
            called: addr("678"),
        });
        let v = d.to_vec();
        assert_eq!(
            v,
            [
                0x41, 0x45, 1, 0x05, 0, 0, 0, 1, 0x45, 0, 0x43, 0, b'1', b'2', b'3', b'4', b'5',
                b'6', b'7', b'8'
            ]
        );
        assert_eq!(v.len(), d.encoded_len());
        assert_eq!(Datagram::decode(&v).unwrap(), d);
    }

    #[test]
    fn data_header_matches_encoding() {
        let d = Datagram::Data {
            cref: CallRef::to_originator(7),
            seq: 3,
            sdu: b"hello",
        };
        let v = d.to_vec();
        assert_eq!(&v[..16], &data_header(CallRef::to_originator(7), 3));
        assert_eq!(Datagram::decode(&v).unwrap(), d);
    }

    #[test]
    fn rejections_name_field_and_offset() {
        let e = Datagram::decode(&[0x41, 0x45, 2, 5]).unwrap_err();
        assert_eq!((e.field, e.offset), ("version", 2));
        let e = Datagram::decode(&[0x41, 0x45, 1, 0x99]).unwrap_err();
        assert_eq!((e.field, e.offset), ("type", 3));
        let e = Datagram::decode(&[0x41, 0x45, 1, 0x07, 0x80, 0, 0, 0]).unwrap_err();
        assert_eq!((e.field, e.offset), ("call reference", 4));
        let e = Datagram::decode(&[0x41, 0x45, 1, 0x07, 0, 0, 0, 1, 9]).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::TrailingBytes { extra: 1 });
    }
}
