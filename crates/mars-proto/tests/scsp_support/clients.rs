//! Two tiny client protocols for SCSP tests, neither of them MARS: the engine must not care.

use mars_proto::scsp::{ClientProtocol, InvalidRecord};
use mars_wire::scsp::{CacheKey, ScspId};

/// A MARS-shaped protocol (RFC 2443 §4: 4-octet IDs and keys) that stores text. Parts
/// starting with `BAD` are invalid; the purge record's part is `PURGED`.
#[derive(Debug, Clone)]
pub struct Toy {
    pub pid: u16,
    pub sgid: u16,
}

impl Default for Toy {
    fn default() -> Self {
        Toy { pid: 3, sgid: 1 }
    }
}

impl ClientProtocol for Toy {
    fn protocol_id(&self) -> u16 {
        self.pid
    }
    fn server_group_id(&self) -> u16 {
        self.sgid
    }
    fn id_len(&self) -> Option<u8> {
        Some(4)
    }
    fn cache_key_len(&self) -> Option<u8> {
        Some(4)
    }
    fn validate(&self, _: &CacheKey, _: &ScspId, part: &[u8]) -> Result<(), InvalidRecord> {
        if part.starts_with(b"BAD") {
            Err(InvalidRecord("part starts with BAD"))
        } else if part.len() > 1000 {
            Err(InvalidRecord("part longer than 1000 octets"))
        } else {
            Ok(())
        }
    }
    fn purge_part(&self, _: &CacheKey, _: &[u8]) -> Vec<u8> {
        b"PURGED".to_vec()
    }
    fn name(&self) -> &'static str {
        "toy"
    }
}

/// An NHRP-shaped protocol with IDs and keys of any length, parts that must be UTF-8, and an
/// empty purge part.
#[derive(Debug, Clone, Default)]
pub struct Wide;

impl ClientProtocol for Wide {
    fn protocol_id(&self) -> u16 {
        2
    }
    fn server_group_id(&self) -> u16 {
        7
    }
    fn validate(&self, _: &CacheKey, _: &ScspId, part: &[u8]) -> Result<(), InvalidRecord> {
        std::str::from_utf8(part)
            .map(|_| ())
            .map_err(|_| InvalidRecord("not UTF-8"))
    }
    fn purge_part(&self, _: &CacheKey, _: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}
