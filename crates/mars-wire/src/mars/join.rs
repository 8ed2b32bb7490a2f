//! MARS_JOIN and the six operations that share its layout (RFC 2022 §5.2.1, §5.3, §6.2.2,
//! §6.2.4).

use super::addrs::{
    check_nonzero_len, check_protos, pln, put_atm_address, read_atm_address, read_proto,
};
use super::fields::{read_proto_len, Flags, GroupPair};
use crate::atm::AtmAddress;
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, EncodeError};
use crate::proto_addr::ProtoAddr;
use crate::seq::Csn;

/// MARS_JOIN (`mar$op` 4) and MARS_LEAVE (5), RFC 2022 §5.2.1:
///
/// ```text
///  off  field        size     meaning
///    0  mar$afn      16 bits  Address Family (0x000F).
///    2  mar$pro      56 bits  Protocol Identification.
///    9  mar$hdrrsv   24 bits  Reserved. Unused by MARS control protocol.
///   12  mar$chksum   16 bits  Checksum across entire MARS message.
///   14  mar$extoff   16 bits  Extensions Offset.
///   16  mar$op       16 bits  Operation code (MARS_JOIN or MARS_LEAVE).
///   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
///   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
///   20  mar$spln      8 bits  Length of source protocol address (s)
///   21  mar$tpln      8 bits  Length of group address (z)
///   22  mar$pnum     16 bits  Number of group address pairs (N)
///   24  mar$flags    16 bits  layer3grp, copy, and register flags.
///   26  mar$cmi      16 bits  Cluster Member ID
///   28  mar$msn      32 bits  MARS Sequence Number.
///   32  mar$sha      roctets  source ATM number.
///       mar$ssa      qoctets  source ATM subaddress.
///       mar$spa      soctets  source protocol address
///       mar$min.1    zoctets  Minimum multicast group address - pair.1
///       mar$max.1    zoctets  Maximum multicast group address - pair.1
///                 [.......]
///       mar$min.N    zoctets  Minimum multicast group address - pair.N
///       mar$max.N    zoctets  Maximum multicast group address - pair.N
/// ```
///
/// The same layout serves MARS_MSERV (3) and MARS_UNSERV (7) ("identical to the MARS_JOIN
/// message", §6.2.2), MARS_SJOIN (8) and MARS_SLEAVE (9) ("identical to MARS_JOIN", §6.2.4)
/// and MARS_GROUPLIST_REQUEST (10) ("built from a MARS_JOIN", §5.3).
///
/// `tpln` is kept even when there are no pairs (a registration carries none), so that the
/// message re-encodes exactly; with pairs, every address must be `tpln` octets long. The
/// pairs are decoded as they come: the §5.2.1 ordering rule is checked by
/// [`super::validate_pairs`], not by the decoder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Join {
    /// `mar$sha`/`mar$ssa`.
    pub source: AtmAddress,
    /// `mar$spa` (may be null in a registration, §5.2.3).
    pub spa: ProtoAddr,
    /// `mar$tpln`: the length of every `mar$min.N`/`mar$max.N`.
    pub tpln: u8,
    /// `mar$flags`.
    pub flags: Flags,
    /// `mar$cmi`: zero from a cluster member; the assigned CMI in a returned registration.
    pub cmi: u16,
    /// `mar$msn`: zero from an endpoint; the CSN (or SSN) when retransmitted by the MARS.
    pub msn: Csn,
    /// The `<mar$min.N, mar$max.N>` pairs; `mar$pnum` is their number.
    pub pairs: Vec<GroupPair>,
}

impl Join {
    /// A join (or leave, etc.) for `pairs`, with `mar$tpln` taken from the first pair (0 if
    /// there is none: set [`Join::tpln`] yourself if your protocol wants e.g. 4 in a
    /// registration) and zero `mar$cmi`/`mar$msn`.
    pub fn new(source: AtmAddress, spa: ProtoAddr, flags: Flags, pairs: Vec<GroupPair>) -> Self {
        let tpln = pairs.first().map_or(0, |p| pln(&p.min));
        Join {
            source,
            spa,
            tpln,
            flags,
            cmi: 0,
            msn: Csn(0),
            pairs,
        }
    }

    /// Decode from `mar$spln` (offset 20) on; `shtl`/`sstl` were read by the caller.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let spln = read_proto_len(r, "mar$spln")?;
        let tpln_at = r.offset();
        let tpln = read_proto_len(r, "mar$tpln")?;
        let pnum_at = r.offset();
        let pnum = usize::from(r.u16("mar$pnum")?);
        check_nonzero_len(pnum, usize::from(tpln), "mar$tpln", tpln_at)?;
        let flags = Flags(r.u16("mar$flags")?);
        let cmi = r.u16("mar$cmi")?;
        let msn = Csn(r.u32("mar$msn")?);
        let source = read_atm_address(r, shtl, sstl, "mar$sha", "mar$ssa")?;
        let spa = read_proto(r, spln, "mar$spa")?;
        r.check_count(pnum, 2 * usize::from(tpln), "mar$pnum", pnum_at)?;
        let mut pairs = Vec::with_capacity(pnum);
        for _ in 0..pnum {
            let min = read_proto(r, tpln, "mar$min")?;
            let max = read_proto(r, tpln, "mar$max")?;
            pairs.push(GroupPair { min, max });
        }
        Ok(Join {
            source,
            spa,
            tpln,
            flags,
            cmi,
            msn,
            pairs,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let addrs = self.pairs.iter().flat_map(|p| [&p.min, &p.max]);
        let pnum = check_protos(self.tpln, addrs, self.pairs.len(), "mar$pnum")?;
        out.put_u8(self.source.number.type_len());
        out.put_u8(self.source.sub.type_len());
        out.put_u8(pln(&self.spa));
        out.put_u8(self.tpln);
        out.put_u16(pnum);
        out.put_u16(self.flags.0);
        out.put_u16(self.cmi);
        out.put_u32(self.msn.0);
        put_atm_address(out, &self.source);
        out.put(self.spa.as_bytes());
        for p in &self.pairs {
            out.put(p.min.as_bytes());
            out.put(p.max.as_bytes());
        }
        Ok(())
    }
}
