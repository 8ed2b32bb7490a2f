//! RFC 2443 as an SCSP client protocol: the values of §4 and the CSA "MARS Specific Part" of
//! §3 behind the [`ClientProtocol`] trait.

use mars_wire::dmars::{self, CsaState, MarsCsa};
use mars_wire::scsp::{CacheKey, ScspId, PROTOCOL_MARS};
use mars_wire::DecodeErrorKind;

use crate::scsp::{ClientProtocol, InvalidRecord};

/// The MARS server group's side of SCSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarsScsp {
    /// Server Group ID: the Logical IP Subnet (RFC 2443 §2).
    pub server_group_id: u16,
}

impl ClientProtocol for MarsScsp {
    /// RFC 2443 §4.1: "Protocol ID = 0x0003".
    fn protocol_id(&self) -> u16 {
        PROTOCOL_MARS
    }

    fn server_group_id(&self) -> u16 {
        self.server_group_id
    }

    /// RFC 2443 §4.1: "Sender ID Len = 0x04, Recvr ID Len = 0x04" (and §4.2: "Orig ID Len =
    /// 0x04").
    fn id_len(&self) -> Option<u8> {
        Some(dmars::SERVER_ID_LEN as u8)
    }

    /// RFC 2443 §4.2: "Cache Key Len = 0x04".
    fn cache_key_len(&self) -> Option<u8> {
        Some(dmars::CACHE_KEY_LEN as u8)
    }

    /// A part that does not decode makes its message malformed — except an unknown State,
    /// which "should cause the CSA to be discarded" (§3): such a record is stored and flooded
    /// like any other (SCSP does not interpret parts) and ignored by every MARS server.
    fn validate(
        &self,
        _key: &CacheKey,
        _origin: &ScspId,
        part: &[u8],
    ) -> Result<(), InvalidRecord> {
        match MarsCsa::decode(part) {
            Ok(_) => Ok(()),
            Err(e)
                if e.field == "State" && matches!(e.kind, DecodeErrorKind::UnknownType { .. }) =>
            {
                Ok(())
            }
            Err(_) => Err(InvalidRecord(
                "the RFC 2443 MARS Specific Part does not decode",
            )),
        }
    }

    /// The purging record of B.2.0.2 for MARS: the entry's leave state — a join (state 3)
    /// becomes a leave (4), a serve (2) an unserve (5) — so that every server drops what the
    /// entry gave. A redirect entry or a leave is purged as it is.
    fn purge_part(&self, _key: &CacheKey, current: &[u8]) -> Vec<u8> {
        match MarsCsa::decode(current) {
            Ok(mut c) => {
                c.state = match c.state {
                    CsaState::ClientJoin => CsaState::ClientLeave,
                    CsaState::McsServe => CsaState::McsUnserve,
                    s => s,
                };
                c.to_vec().unwrap_or_else(|_| current.to_vec())
            }
            Err(_) => current.to_vec(),
        }
    }

    fn name(&self) -> &'static str {
        "MARS (RFC 2443)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::dmars::{CsaFlags, GroupRange};
    use mars_wire::{AtmAddr, AtmAddress, ProtoAddr, Protocol};

    fn join() -> MarsCsa {
        let mut o = [0u8; 20];
        o[0] = 0x47;
        MarsCsa {
            pro: Protocol::IPV4,
            unused: 0,
            state: CsaState::ClientJoin,
            flags: CsaFlags {
                layer3grp: true,
                register: false,
                sequence: 3,
            },
            cmi: 12,
            spa: ProtoAddr::NULL,
            source: AtmAddress::new(AtmAddr::nsap(o)),
            group: Some(GroupRange::single(ProtoAddr::v4_u32(0xE000_0001))),
        }
    }

    #[test]
    fn section_4_values() {
        let p = MarsScsp { server_group_id: 9 };
        // RFC 2443 §4.1 and §4.2.
        assert_eq!(p.protocol_id(), 3);
        assert_eq!(p.server_group_id(), 9);
        assert_eq!(p.id_len(), Some(4));
        assert_eq!(p.cache_key_len(), Some(4));
    }

    #[test]
    fn unknown_states_are_stored_but_mean_nothing() {
        let p = MarsScsp { server_group_id: 1 };
        let (k, o) = (CacheKey::from_u32(1), ScspId::from_u32(2));
        let mut part = join().to_vec().unwrap();
        assert_eq!(p.validate(&k, &o, &part), Ok(()));
        // §3: "All other State values should cause the CSA to be discarded": not malformed for
        // SCSP (the record is stored and flooded), ignored by every MARS server.
        part[11] = 9;
        assert_eq!(p.validate(&k, &o, &part), Ok(()));
        assert!(MarsCsa::decode(&part).is_err());
        // Anything else that does not decode makes the message malformed.
        part[11] = 3;
        part[10] = 1; // Version 1
        assert!(p.validate(&k, &o, &part).is_err());
        assert!(p.validate(&k, &o, &[0; 5]).is_err());
    }

    #[test]
    fn purging_records_are_the_leave_states() {
        let p = MarsScsp { server_group_id: 1 };
        let k = CacheKey::from_u32(1);
        let j = join();
        let purged = MarsCsa::decode(&p.purge_part(&k, &j.to_vec().unwrap())).unwrap();
        assert_eq!(purged.state, CsaState::ClientLeave);
        assert_eq!((purged.cmi, purged.group), (j.cmi, j.group));
        let mut s = j;
        s.state = CsaState::McsServe;
        s.flags.layer3grp = false;
        let purged = MarsCsa::decode(&p.purge_part(&k, &s.to_vec().unwrap())).unwrap();
        assert_eq!(purged.state, CsaState::McsUnserve);
    }
}
