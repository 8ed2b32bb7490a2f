//! The client/server protocol's side of SCSP.
//!
//! RFC 2334 §1: "The SCSP specification is not useful as a stand alone protocol. It must be
//! coupled with the use of an SCSP Protocol Specific specification which defines how a given
//! protocol would make use of the synchronization primitives supplied by SCSP." This trait is
//! that coupling: everything the engine needs to know about the protocol whose caches it
//! synchronises (RFC 2443 for MARS, RFC 2335 for NHRP, ATMARP…). The engine never looks inside
//! a Client/Server Protocol Specific Part; it stores, compares and floods it as octets.

use mars_wire::scsp::{CacheKey, ScspId};

/// Why a Client/Server Protocol Specific Part was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InvalidRecord(pub &'static str);

impl core::fmt::Display for InvalidRecord {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

/// The protocol-specific part of SCSP for one protocol instance (PID/SGID, RFC 2334 §2).
pub trait ClientProtocol {
    /// Protocol ID (B.2.0.1): 1 ATMARP, 2 NHRP, 3 MARS, ...
    fn protocol_id(&self) -> u16;

    /// Server Group ID (B.2.0.1): the instance of the protocol.
    fn server_group_id(&self) -> u16;

    /// The length every Sender, Receiver and Originator ID must have, if the protocol fixes
    /// one (RFC 2443 §4.1: 4 octets). Messages breaking it are malformed.
    fn id_len(&self) -> Option<u8> {
        None
    }

    /// The length every Cache Key must have, if the protocol fixes one (RFC 2443 §4.2: 4).
    fn cache_key_len(&self) -> Option<u8> {
        None
    }

    /// Check the Client/Server Protocol Specific Part of a received CSA record (B.2.2.1) for
    /// the entry (`key`, `origin`). A record that fails makes its message malformed (an
    /// "abnormal event", §2.1). Null records (N bit) carry no part and are not checked.
    fn validate(&self, key: &CacheKey, origin: &ScspId, part: &[u8]) -> Result<(), InvalidRecord>;

    /// The Client/Server Protocol Specific Part of the CSA record that purges the entry `key`
    /// from the server group, given the part the entry holds now (B.2.0.2: "The exact packet
    /// format and mechanism by which a cache entry is purged is defined in the appropriate
    /// protocol specific document"). The engine sends it with CSA Sequence Number 2^31−1.
    fn purge_part(&self, key: &CacheKey, current: &[u8]) -> Vec<u8>;

    /// A short name for logs and reports.
    fn name(&self) -> &'static str {
        "scsp-client"
    }
}
