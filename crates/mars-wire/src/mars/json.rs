//! `serde::Serialize` for MARS messages, as `marsctl decode --json` prints them.
//!
//! Each message is one flat object whose keys are the RFC 2022 field names without `mar$`, in
//! wire order: `afn`, `pro_type`, `pro_snap`, `hdrrsv`, `chksum`, `extoff`, `op_version`, `op`
//! (with `op_name` beside it), then the operation's fields (`shtl`, `sstl`, `spln`, …, `sha`,
//! `ssa`, `spa`, …). Counts (`tnum`, `pnum`) and lengths are included as they are on the wire;
//! `chksum` and `extoff` are the values the encoder writes (null if the message cannot be
//! encoded). Target lists are `[{"tha": …, "tsa": …}, …]`, `<min,max>` pairs `[[min, max], …]`,
//! ATM addresses and protocol addresses are their text forms (`null` for a null address).

use core::fmt;

use serde::ser::{SerializeMap, SerializeSeq, SerializeTuple};
use serde::{Serialize, Serializer};

use super::{
    Flags, GroupListReply, GroupPair, Join, MarsBody, MarsMessage, Migrate, Multi, RedirF,
    RedirectMap, Request, SeqXy, Tlv, TlvList, AFN_ATM, CHKSUM_OFFSET, EXTOFF_OFFSET, OP_VERSION,
};
use crate::atm::AtmAddress;

/// Octets as a lowercase hex string.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for Hex<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One `{mar$tha.i, mar$tsa.i}` pair.
struct Target<'a>(&'a AtmAddress);

impl Serialize for Target<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("tha", &self.0.number)?;
        m.serialize_entry("tsa", &self.0.sub)?;
        m.end()
    }
}

struct Targets<'a>(&'a [AtmAddress]);

impl Serialize for Targets<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(Some(self.0.len()))?;
        for t in self.0 {
            q.serialize_element(&Target(t))?;
        }
        q.end()
    }
}

impl Serialize for SeqXy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("x", &self.last())?;
        m.serialize_entry("y", &self.y())?;
        m.end()
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(7))?;
        m.serialize_entry("raw", &self.0)?;
        m.serialize_entry("layer3grp", &self.layer3grp())?;
        m.serialize_entry("copy", &self.copy())?;
        m.serialize_entry("register", &self.register())?;
        m.serialize_entry("punched", &self.punched())?;
        m.serialize_entry("reserved", &self.reserved())?;
        m.serialize_entry("sequence", &self.sequence())?;
        m.end()
    }
}

impl Serialize for RedirF {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("raw", &self.0)?;
        m.serialize_entry("hard", &self.hard())?;
        m.end()
    }
}

impl Serialize for GroupPair {
    /// `[min, max]`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(2)?;
        t.serialize_element(&self.min)?;
        t.serialize_element(&self.max)?;
        t.end()
    }
}

impl Serialize for Tlv {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("type", &self.ty)?;
        m.serialize_entry("x", &self.x())?;
        m.serialize_entry("y", &self.y())?;
        m.serialize_entry("length", &self.value.len())?;
        m.serialize_entry("value", &Hex(&self.value))?;
        m.end()
    }
}

impl Serialize for TlvList {
    /// The TLVs before the Null TLV, in order.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.tlvs.serialize(s)
    }
}

/// The entries an operation contributes to the flat message object.
trait Fields {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error>;
}

fn source_tl<M: SerializeMap>(m: &mut M, a: &AtmAddress) -> Result<(), M::Error> {
    m.serialize_entry("shtl", &a.number.type_len())?;
    m.serialize_entry("sstl", &a.sub.type_len())
}

fn source<M: SerializeMap>(m: &mut M, a: &AtmAddress) -> Result<(), M::Error> {
    m.serialize_entry("sha", &a.number)?;
    m.serialize_entry("ssa", &a.sub)
}

impl Fields for Request {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spa.len())?;
        m.serialize_entry("thtl", &self.target.number.type_len())?;
        m.serialize_entry("tstl", &self.target.sub.type_len())?;
        m.serialize_entry("tpln", &self.tpa.len())?;
        m.serialize_entry("pad", &Hex(&self.pad))?;
        source(m, &self.source)?;
        m.serialize_entry("spa", &self.spa)?;
        m.serialize_entry("tpa", &self.tpa)?;
        m.serialize_entry("tha", &self.target.number)?;
        m.serialize_entry("tsa", &self.target.sub)
    }
}

impl Fields for Multi {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spa.len())?;
        m.serialize_entry("thtl", &self.thtl)?;
        m.serialize_entry("tstl", &self.tstl)?;
        m.serialize_entry("tpln", &self.tpa.len())?;
        m.serialize_entry("tnum", &self.targets.len())?;
        m.serialize_entry("seqxy", &self.seqxy)?;
        m.serialize_entry("msn", &self.msn)?;
        source(m, &self.source)?;
        m.serialize_entry("spa", &self.spa)?;
        m.serialize_entry("tpa", &self.tpa)?;
        m.serialize_entry("targets", &Targets(&self.targets))
    }
}

impl Fields for Migrate {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spa.len())?;
        m.serialize_entry("thtl", &self.thtl)?;
        m.serialize_entry("tstl", &self.tstl)?;
        m.serialize_entry("tpln", &self.tpa.len())?;
        m.serialize_entry("tnum", &self.targets.len())?;
        m.serialize_entry("resv", &self.resv)?;
        m.serialize_entry("msn", &self.msn)?;
        source(m, &self.source)?;
        m.serialize_entry("spa", &self.spa)?;
        m.serialize_entry("tpa", &self.tpa)?;
        m.serialize_entry("targets", &Targets(&self.targets))
    }
}

impl Fields for Join {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spa.len())?;
        m.serialize_entry("tpln", &self.tpln)?;
        m.serialize_entry("pnum", &self.pairs.len())?;
        m.serialize_entry("flags", &self.flags)?;
        m.serialize_entry("cmi", &self.cmi)?;
        m.serialize_entry("msn", &self.msn)?;
        source(m, &self.source)?;
        m.serialize_entry("spa", &self.spa)?;
        m.serialize_entry("groups", &self.pairs)
    }
}

impl Fields for GroupListReply {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spa.len())?;
        m.serialize_entry("thtl", &self.thtl)?;
        m.serialize_entry("tstl", &self.tstl)?;
        m.serialize_entry("tpln", &self.tpln)?;
        m.serialize_entry("tnum", &self.groups.len())?;
        m.serialize_entry("seqxy", &self.seqxy)?;
        m.serialize_entry("msn", &self.msn)?;
        source(m, &self.source)?;
        m.serialize_entry("spa", &self.spa)?;
        m.serialize_entry("mgrp", &self.groups)
    }
}

impl Fields for RedirectMap {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        source_tl(m, &self.source)?;
        m.serialize_entry("spln", &self.spln)?;
        m.serialize_entry("thtl", &self.thtl)?;
        m.serialize_entry("tstl", &self.tstl)?;
        m.serialize_entry("redirf", &self.redirf)?;
        m.serialize_entry("tnum", &self.targets.len())?;
        m.serialize_entry("seqxy", &self.seqxy)?;
        m.serialize_entry("msn", &self.msn)?;
        source(m, &self.source)?;
        m.serialize_entry("targets", &Targets(&self.targets))
    }
}

impl Fields for MarsBody {
    fn fields<M: SerializeMap>(&self, m: &mut M) -> Result<(), M::Error> {
        match self {
            MarsBody::Request(b) | MarsBody::Nak(b) => b.fields(m),
            MarsBody::Multi(b) => b.fields(m),
            MarsBody::Migrate(b) => b.fields(m),
            MarsBody::GroupListReply(b) => b.fields(m),
            MarsBody::RedirectMap(b) => b.fields(m),
            MarsBody::Mserv(b)
            | MarsBody::Join(b)
            | MarsBody::Leave(b)
            | MarsBody::Unserv(b)
            | MarsBody::Sjoin(b)
            | MarsBody::Sleave(b)
            | MarsBody::GroupListRequest(b) => b.fields(m),
        }
    }
}

/// `Serialize` for a body struct: its fields as one object.
macro_rules! serialize_fields {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(None)?;
                self.fields(&mut m)?;
                m.end()
            }
        }
    )*};
}

serialize_fields!(
    Request,
    Multi,
    Migrate,
    Join,
    GroupListReply,
    RedirectMap,
    MarsBody
);

impl Serialize for MarsMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wire = self.to_vec().ok();
        let word = |at: usize| {
            wire.as_ref()
                .and_then(|w| w.get(at..at + 2))
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
        };
        let op = self.op();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("afn", &AFN_ATM)?;
        m.serialize_entry("pro_type", &self.pro.ty)?;
        m.serialize_entry("pro_snap", &Hex(&self.pro.snap))?;
        m.serialize_entry("hdrrsv", &self.hdrrsv)?;
        m.serialize_entry("chksum", &word(CHKSUM_OFFSET))?;
        m.serialize_entry("extoff", &word(EXTOFF_OFFSET))?;
        m.serialize_entry("op_version", &OP_VERSION)?;
        m.serialize_entry("op", &(op as u8))?;
        m.serialize_entry("op_name", op.name())?;
        self.body.fields(&mut m)?;
        m.serialize_entry("tlvs", &self.tlvs)?;
        m.end()
    }
}
