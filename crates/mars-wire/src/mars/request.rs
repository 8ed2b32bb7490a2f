//! MARS_REQUEST and MARS_NAK (RFC 2022 §5.1.2).

use super::addrs::{pln, put_atm_address, read_atm_address, read_proto};
use super::fields::{read_proto_len, read_type_len};
use crate::atm::AtmAddress;
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, EncodeError};
use crate::proto_addr::ProtoAddr;

/// MARS_REQUEST (`mar$op` 1) and MARS_NAK (`mar$op` 6), RFC 2022 §5.1.2:
///
/// ```text
///  off  field        size     meaning
///    0  mar$afn      16 bits  Address Family (0x000F).
///    2  mar$pro      56 bits  Protocol Identification.
///    9  mar$hdrrsv   24 bits  Reserved. Unused by MARS control protocol.
///   12  mar$chksum   16 bits  Checksum across entire MARS message.
///   14  mar$extoff   16 bits  Extensions Offset.
///   16  mar$op       16 bits  Operation code (MARS_REQUEST = 1)
///   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
///   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
///   20  mar$spln      8 bits  Length of source protocol address (s)
///   21  mar$thtl      8 bits  Type & length of target ATM number (x)
///   22  mar$tstl      8 bits  Type & length of target ATM subaddress (y)
///   23  mar$tpln      8 bits  Length of target group address (z)
///   24  mar$pad      64 bits  Padding (aligns mar$sha with MARS_MULTI).
///   32  mar$sha      roctets  source ATM number
///       mar$ssa      qoctets  source ATM subaddress
///       mar$spa      soctets  source protocol address
///       mar$tpa      zoctets  target multicast group address
///       mar$tha      xoctets  target ATM number
///       mar$tsa      yoctets  target ATM subaddress
/// ```
///
/// "MARS_NAK is the MARS_REQUEST returned with operation type value of 6. All other fields
/// are left unchanged", so one struct serves both. The target ATM address "is set to null"
/// in a request; it is carried anyway, as are the `mar$pad` octets, so that a NAK built from
/// a request returns it unchanged and every message re-encodes exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Request {
    /// `mar$sha`/`mar$ssa`: the ATM address of the client issuing the request.
    pub source: AtmAddress,
    /// `mar$spa`: its protocol address.
    pub spa: ProtoAddr,
    /// `mar$tpa`: the multicast group being resolved.
    pub tpa: ProtoAddr,
    /// `mar$tha`/`mar$tsa`: null in a request.
    pub target: AtmAddress,
    /// `mar$pad`, as received (zero when built).
    pub pad: [u8; 8],
}

impl Request {
    /// A request from `source`/`spa` for group `tpa`, with a null target and zero padding.
    pub fn new(source: AtmAddress, spa: ProtoAddr, tpa: ProtoAddr) -> Self {
        Request {
            source,
            spa,
            tpa,
            ..Request::default()
        }
    }

    /// Decode from `mar$spln` (offset 20) on; `shtl`/`sstl` were read by the caller.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let spln = read_proto_len(r, "mar$spln")?;
        let thtl = read_type_len(r, "mar$thtl")?;
        let tstl = read_type_len(r, "mar$tstl")?;
        let tpln = read_proto_len(r, "mar$tpln")?;
        let pad = r.array::<8>("mar$pad")?;
        let source = read_atm_address(r, shtl, sstl, "mar$sha", "mar$ssa")?;
        let spa = read_proto(r, spln, "mar$spa")?;
        let tpa = read_proto(r, tpln, "mar$tpa")?;
        let target = read_atm_address(r, thtl, tstl, "mar$tha", "mar$tsa")?;
        Ok(Request {
            source,
            spa,
            tpa,
            target,
            pad,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // Every `AtmAddr` is valid by construction, so nothing here can fail; the `Result`
        // keeps the shape of the other operations.
        out.put_u8(self.source.number.type_len());
        out.put_u8(self.source.sub.type_len());
        out.put_u8(pln(&self.spa));
        out.put_u8(self.target.number.type_len());
        out.put_u8(self.target.sub.type_len());
        out.put_u8(pln(&self.tpa));
        out.put(&self.pad);
        put_atm_address(out, &self.source);
        out.put(self.spa.as_bytes());
        out.put(self.tpa.as_bytes());
        put_atm_address(out, &self.target);
        Ok(())
    }
}
