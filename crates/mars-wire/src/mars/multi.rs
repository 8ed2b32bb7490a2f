//! The replies that carry lists: MARS_MULTI and MARS_MIGRATE (RFC 2022 §5.1.2, §5.1.6),
//! MARS_GROUPLIST_REPLY (§5.3) and MARS_REDIRECT_MAP (§5.4.3).
//!
//! In MARS_MULTI, MARS_MIGRATE and MARS_REDIRECT_MAP every target ATM address shares the one
//! `mar$thtl`/`mar$tstl` pair of the header ("each MARS_MULTI message may only return ATM
//! addresses of the same type and length", §5.1.1). The structs keep that pair as fields:
//! the decoder fills them from the header (also when N = 0, so the input re-encodes
//! exactly); the encoder writes them and returns [`EncodeError::Inconsistent`] if a target
//! differs. The `new` constructors derive them from the first target.

use super::addrs::{
    check_nonzero_len, check_protos, check_targets, pln, put_atm_address, read_atm_address,
    read_groups, read_proto, read_targets, shared_type_len,
};
use super::fields::{read_proto_len, read_type_len, RedirF, SeqXy};
use crate::atm::AtmAddress;
use crate::codec::{Put, Reader};
use crate::error::{DecodeError, EncodeError};
use crate::proto_addr::ProtoAddr;
use crate::seq::Csn;

/// MARS_MULTI (`mar$op` 2), RFC 2022 §5.1.2:
///
/// ```text
///  off  field        size     meaning
///    0  mar$afn      16 bits  Address Family (0x000F).
///    2  mar$pro      56 bits  Protocol Identification.
///    9  mar$hdrrsv   24 bits  Reserved. Unused by MARS control protocol.
///   12  mar$chksum   16 bits  Checksum across entire MARS message.
///   14  mar$extoff   16 bits  Extensions Offset.
///   16  mar$op       16 bits  Operation code (MARS_MULTI = 2).
///   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
///   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
///   20  mar$spln      8 bits  Length of source protocol address (s)
///   21  mar$thtl      8 bits  Type & length of target ATM number (x)
///   22  mar$tstl      8 bits  Type & length of target ATM subaddress (y)
///   23  mar$tpln      8 bits  Length of target group address (z)
///   24  mar$tnum     16 bits  Number of target ATM addresses returned (N)
///   26  mar$seqxy    16 bits  Boolean flag x and sequence number y.
///   28  mar$msn      32 bits  MARS Sequence Number.
///   32  mar$sha      roctets  source ATM number
///       mar$ssa      qoctets  source ATM subaddress
///       mar$spa      soctets  source protocol address
///       mar$tpa      zoctets  target multicast group address
///       mar$tha.1    xoctets  target ATM number 1
///       mar$tsa.1    yoctets  target ATM subaddress 1
///                 [.......]
///       mar$tha.N    xoctets  target ATM number N
///       mar$tsa.N    yoctets  target ATM subaddress N
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Multi {
    /// `mar$sha`/`mar$ssa`, copied from the MARS_REQUEST answered.
    pub source: AtmAddress,
    /// `mar$spa`, copied from the MARS_REQUEST answered.
    pub spa: ProtoAddr,
    /// `mar$tpa`: the group.
    pub tpa: ProtoAddr,
    /// `mar$thtl`, shared by every `mar$tha.i`.
    pub thtl: u8,
    /// `mar$tstl`, shared by every `mar$tsa.i`.
    pub tstl: u8,
    /// `mar$seqxy`.
    pub seqxy: SeqXy,
    /// `mar$msn`.
    pub msn: Csn,
    /// `{mar$tha.i, mar$tsa.i}`; `mar$tnum` is their number.
    pub targets: Vec<AtmAddress>,
}

/// MARS_MIGRATE (`mar$op` 13), RFC 2022 §5.1.6: the MARS_MULTI layout with `mar$resv`
/// in place of `mar$seqxy`:
///
/// ```text
///   24  mar$tnum     16 bits  Number of target ATM addresses returned (N)
///   26  mar$resv     16 bits  Reserved.
///   28  mar$msn      32 bits  MARS Sequence Number.
/// ```
///
/// `mar$resv` is kept as received so that the message re-encodes exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Migrate {
    /// `mar$sha`/`mar$ssa`: the MARS itself (§6.2.2).
    pub source: AtmAddress,
    /// `mar$spa`: the MARS itself.
    pub spa: ProtoAddr,
    /// `mar$tpa`: the group being migrated.
    pub tpa: ProtoAddr,
    /// `mar$thtl`, shared by every `mar$tha.i`.
    pub thtl: u8,
    /// `mar$tstl`, shared by every `mar$tsa.i`.
    pub tstl: u8,
    /// `mar$resv`.
    pub resv: u16,
    /// `mar$msn`.
    pub msn: Csn,
    /// The group's new set of members (typically one MCS).
    pub targets: Vec<AtmAddress>,
}

/// The fields MARS_MULTI and MARS_MIGRATE share; `word` is `mar$seqxy` or `mar$resv`.
struct TargetMsg {
    source: AtmAddress,
    spa: ProtoAddr,
    tpa: ProtoAddr,
    thtl: u8,
    tstl: u8,
    word: u16,
    msn: Csn,
    targets: Vec<AtmAddress>,
}

impl TargetMsg {
    fn decode(
        r: &mut Reader<'_>,
        shtl: u8,
        sstl: u8,
        word_field: &'static str,
    ) -> Result<Self, DecodeError> {
        let spln = read_proto_len(r, "mar$spln")?;
        let thtl_at = r.offset();
        let thtl = read_type_len(r, "mar$thtl")?;
        let tstl = read_type_len(r, "mar$tstl")?;
        let tpln = read_proto_len(r, "mar$tpln")?;
        let tnum_at = r.offset();
        let tnum = usize::from(r.u16("mar$tnum")?);
        check_nonzero_len(tnum, usize::from(thtl & 0x3F), "mar$thtl", thtl_at)?;
        let word = r.u16(word_field)?;
        let msn = Csn(r.u32("mar$msn")?);
        let source = read_atm_address(r, shtl, sstl, "mar$sha", "mar$ssa")?;
        let spa = read_proto(r, spln, "mar$spa")?;
        let tpa = read_proto(r, tpln, "mar$tpa")?;
        let targets = read_targets(r, tnum, thtl, tstl, tnum_at)?;
        Ok(TargetMsg {
            source,
            spa,
            tpa,
            thtl,
            tstl,
            word,
            msn,
            targets,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn encode(
        out: &mut Vec<u8>,
        source: &AtmAddress,
        spa: &ProtoAddr,
        tpa: &ProtoAddr,
        (thtl, tstl): (u8, u8),
        word: u16,
        msn: Csn,
        targets: &[AtmAddress],
    ) -> Result<(), EncodeError> {
        let tnum = check_targets(thtl, tstl, targets)?;
        out.put_u8(source.number.type_len());
        out.put_u8(source.sub.type_len());
        out.put_u8(pln(spa));
        out.put_u8(thtl);
        out.put_u8(tstl);
        out.put_u8(pln(tpa));
        out.put_u16(tnum);
        out.put_u16(word);
        out.put_u32(msn.0);
        put_atm_address(out, source);
        out.put(spa.as_bytes());
        out.put(tpa.as_bytes());
        for t in targets {
            put_atm_address(out, t);
        }
        Ok(())
    }
}

impl Multi {
    /// A MARS_MULTI part answering `source`/`spa` for group `tpa`; `mar$thtl`/`mar$tstl` are
    /// taken from the first target.
    pub fn new(
        source: AtmAddress,
        spa: ProtoAddr,
        tpa: ProtoAddr,
        targets: Vec<AtmAddress>,
        seqxy: SeqXy,
        msn: Csn,
    ) -> Self {
        let (thtl, tstl) = shared_type_len(&targets);
        Multi {
            source,
            spa,
            tpa,
            thtl,
            tstl,
            seqxy,
            msn,
            targets,
        }
    }

    /// Decode from `mar$spln` (offset 20) on.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let m = TargetMsg::decode(r, shtl, sstl, "mar$seqxy")?;
        Ok(Multi {
            source: m.source,
            spa: m.spa,
            tpa: m.tpa,
            thtl: m.thtl,
            tstl: m.tstl,
            seqxy: SeqXy(m.word),
            msn: m.msn,
            targets: m.targets,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        TargetMsg::encode(
            out,
            &self.source,
            &self.spa,
            &self.tpa,
            (self.thtl, self.tstl),
            self.seqxy.0,
            self.msn,
            &self.targets,
        )
    }
}

impl Migrate {
    /// A MARS_MIGRATE from the MARS `source`/`spa` moving group `tpa` to `targets`;
    /// `mar$thtl`/`mar$tstl` are taken from the first target, `mar$resv` is zero.
    pub fn new(
        source: AtmAddress,
        spa: ProtoAddr,
        tpa: ProtoAddr,
        targets: Vec<AtmAddress>,
        msn: Csn,
    ) -> Self {
        let (thtl, tstl) = shared_type_len(&targets);
        Migrate {
            source,
            spa,
            tpa,
            thtl,
            tstl,
            resv: 0,
            msn,
            targets,
        }
    }

    /// Decode from `mar$spln` (offset 20) on.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let m = TargetMsg::decode(r, shtl, sstl, "mar$resv")?;
        Ok(Migrate {
            source: m.source,
            spa: m.spa,
            tpa: m.tpa,
            thtl: m.thtl,
            tstl: m.tstl,
            resv: m.word,
            msn: m.msn,
            targets: m.targets,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        TargetMsg::encode(
            out,
            &self.source,
            &self.spa,
            &self.tpa,
            (self.thtl, self.tstl),
            self.resv,
            self.msn,
            &self.targets,
        )
    }
}

/// MARS_GROUPLIST_REPLY (`mar$op` 11), RFC 2022 §5.3:
///
/// ```text
///  off  field        size     meaning
///   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
///   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
///   20  mar$spln      8 bits  Length of source protocol address (s)
///   21  mar$thtl      8 bits  Unused - set to zero.
///   22  mar$tstl      8 bits  Unused - set to zero.
///   23  mar$tpln      8 bits  Length of target group address (z)
///   24  mar$tnum     16 bits  Number of group addresses returned (N).
///   26  mar$seqxy    16 bits  Boolean flag x and sequence number y.
///   28  mar$msn      32 bits  MARS Sequence Number.
///   32  mar$sha      roctets  source ATM number.
///       mar$ssa      qoctets  source ATM subaddress.
///       mar$spa      soctets  source protocol address
///       mar$mgrp.1   zoctets  Group address 1
///                 [.......]
///       mar$mgrp.N   zoctets  Group address N
/// ```
///
/// (Offsets 0–17 are the fixed header.) The unused `mar$thtl`/`mar$tstl` octets are kept as
/// received, uninterpreted, so that the message re-encodes exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct GroupListReply {
    /// `mar$sha`/`mar$ssa`.
    pub source: AtmAddress,
    /// `mar$spa`.
    pub spa: ProtoAddr,
    /// `mar$thtl` (unused, zero when built).
    pub thtl: u8,
    /// `mar$tstl` (unused, zero when built).
    pub tstl: u8,
    /// `mar$tpln`: the length of every `mar$mgrp.i`.
    pub tpln: u8,
    /// `mar$seqxy`.
    pub seqxy: SeqXy,
    /// `mar$msn`.
    pub msn: Csn,
    /// `mar$mgrp.1 … mar$mgrp.N`; `mar$tnum` is their number.
    pub groups: Vec<ProtoAddr>,
}

impl GroupListReply {
    /// A reply part listing `groups`; `mar$tpln` is taken from the first group.
    pub fn new(
        source: AtmAddress,
        spa: ProtoAddr,
        groups: Vec<ProtoAddr>,
        seqxy: SeqXy,
        msn: Csn,
    ) -> Self {
        let tpln = groups.first().map_or(0, pln);
        GroupListReply {
            source,
            spa,
            thtl: 0,
            tstl: 0,
            tpln,
            seqxy,
            msn,
            groups,
        }
    }

    /// Decode from `mar$spln` (offset 20) on.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let spln = read_proto_len(r, "mar$spln")?;
        // "Unused - set to zero": not type & length octets here, so not checked as such.
        let thtl = r.u8("mar$thtl")?;
        let tstl = r.u8("mar$tstl")?;
        let tpln_at = r.offset();
        let tpln = read_proto_len(r, "mar$tpln")?;
        let tnum_at = r.offset();
        let tnum = usize::from(r.u16("mar$tnum")?);
        check_nonzero_len(tnum, usize::from(tpln), "mar$tpln", tpln_at)?;
        let seqxy = SeqXy(r.u16("mar$seqxy")?);
        let msn = Csn(r.u32("mar$msn")?);
        let source = read_atm_address(r, shtl, sstl, "mar$sha", "mar$ssa")?;
        let spa = read_proto(r, spln, "mar$spa")?;
        let groups = read_groups(r, tnum, tpln, tnum_at)?;
        Ok(GroupListReply {
            source,
            spa,
            thtl,
            tstl,
            tpln,
            seqxy,
            msn,
            groups,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let tnum = check_protos(self.tpln, self.groups.iter(), self.groups.len(), "mar$tnum")?;
        out.put_u8(self.source.number.type_len());
        out.put_u8(self.source.sub.type_len());
        out.put_u8(pln(&self.spa));
        out.put_u8(self.thtl);
        out.put_u8(self.tstl);
        out.put_u8(self.tpln);
        out.put_u16(tnum);
        out.put_u16(self.seqxy.0);
        out.put_u32(self.msn.0);
        put_atm_address(out, &self.source);
        out.put(self.spa.as_bytes());
        for g in &self.groups {
            out.put(g.as_bytes());
        }
        Ok(())
    }
}

/// MARS_REDIRECT_MAP (`mar$op` 12), RFC 2022 §5.4.3: "based on the MARS_MULTI message, with
/// the following changes: mar$tpln field replaced by mar$redirf; mar$spln field reserved;
/// mar$tpa and mar$spa eliminated."
///
/// ```text
///  off  field        size     meaning
///   18  mar$shtl      8 bits  Type & length of source ATM number. (r)
///   19  mar$sstl      8 bits  Type & length of source ATM subaddress. (q)
///   20  mar$spln      8 bits  Length of source protocol address (s)  [reserved]
///   21  mar$thtl      8 bits  Type & length of target ATM number (x)
///   22  mar$tstl      8 bits  Type & length of target ATM subaddress (y)
///   23  mar$redirf    8 bits  Flag controlling client redirect behaviour.
///   24  mar$tnum     16 bits  Number of MARS addresses returned (N).
///   26  mar$seqxy    16 bits  Boolean flag x and sequence number y.
///   28  mar$msn      32 bits  MARS Sequence Number.
///   32  mar$sha      roctets  source ATM number
///       mar$ssa      qoctets  source ATM subaddress
///       mar$tha.1    xoctets  ATM number for MARS 1
///       mar$tsa.1    yoctets  ATM subaddress for MARS 1
///                 [.......]
///       mar$tha.N    xoctets  ATM number for MARS N
///       mar$tsa.N    yoctets  ATM subaddress for MARS N
/// ```
///
/// The reserved `mar$spln` octet is kept as received and does not announce any octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RedirectMap {
    /// `mar$sha`/`mar$ssa`: the originating MARS.
    pub source: AtmAddress,
    /// `mar$spln`, reserved here (zero when built).
    pub spln: u8,
    /// `mar$thtl`, shared by every `mar$tha.i`.
    pub thtl: u8,
    /// `mar$tstl`, shared by every `mar$tsa.i`.
    pub tstl: u8,
    /// `mar$redirf`.
    pub redirf: RedirF,
    /// `mar$seqxy`.
    pub seqxy: SeqXy,
    /// `mar$msn`.
    pub msn: Csn,
    /// The MARS addresses, current MARS first; `mar$tnum` is their number.
    pub targets: Vec<AtmAddress>,
}

impl RedirectMap {
    /// A redirect map from `source` listing `targets`; `mar$thtl`/`mar$tstl` are taken from
    /// the first target.
    pub fn new(
        source: AtmAddress,
        redirf: RedirF,
        targets: Vec<AtmAddress>,
        seqxy: SeqXy,
        msn: Csn,
    ) -> Self {
        let (thtl, tstl) = shared_type_len(&targets);
        RedirectMap {
            source,
            spln: 0,
            thtl,
            tstl,
            redirf,
            seqxy,
            msn,
            targets,
        }
    }

    /// Decode from `mar$spln` (offset 20) on.
    pub(crate) fn decode(r: &mut Reader<'_>, shtl: u8, sstl: u8) -> Result<Self, DecodeError> {
        let spln = r.u8("mar$spln")?;
        let thtl_at = r.offset();
        let thtl = read_type_len(r, "mar$thtl")?;
        let tstl = read_type_len(r, "mar$tstl")?;
        let redirf = RedirF(r.u8("mar$redirf")?);
        let tnum_at = r.offset();
        let tnum = usize::from(r.u16("mar$tnum")?);
        check_nonzero_len(tnum, usize::from(thtl & 0x3F), "mar$thtl", thtl_at)?;
        let seqxy = SeqXy(r.u16("mar$seqxy")?);
        let msn = Csn(r.u32("mar$msn")?);
        let source = read_atm_address(r, shtl, sstl, "mar$sha", "mar$ssa")?;
        let targets = read_targets(r, tnum, thtl, tstl, tnum_at)?;
        Ok(RedirectMap {
            source,
            spln,
            thtl,
            tstl,
            redirf,
            seqxy,
            msn,
            targets,
        })
    }

    /// Encode from `mar$shtl` (offset 18) on.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let tnum = check_targets(self.thtl, self.tstl, &self.targets)?;
        out.put_u8(self.source.number.type_len());
        out.put_u8(self.source.sub.type_len());
        out.put_u8(self.spln);
        out.put_u8(self.thtl);
        out.put_u8(self.tstl);
        out.put_u8(self.redirf.0);
        out.put_u16(tnum);
        out.put_u16(self.seqxy.0);
        out.put_u32(self.msn.0);
        put_atm_address(out, &self.source);
        for t in &self.targets {
            put_atm_address(out, t);
        }
        Ok(())
    }
}
