//! Where an ATM address lives on the IP underlay: RFC 4548 §3.1 embedding and a static map.
//!
//! An endpoint's ATM address either *embeds* its UDP socket address — an NSAPA with AFI 0x35
//! and ICP 0x0001 carries the IPv4 address in the first four DSP octets (RFC 4548 §3.1); this
//! emulation puts the UDP port, big-endian, in the next two DSP octets — or is listed in a
//! static map (any NSAPA or E.164 number, with or without subaddress, to an IPv4 or IPv6
//! socket address). The map is consulted first, so it can override an embedding.
//!
//! ```text
//!  octet  0     1..=2    3..=6        7..=8       9..=19
//!        AFI    ICP      IPv4         UDP port    zero on output, ignored on input
//!        0x35   0x0001   (RFC 4548)   (ours)
//! ```

use mars_proto::hash::Map;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{PoisonError, RwLock};

use mars_wire::{AtmAddr, AtmAddress};

/// AFI of the IANA ICP format (RFC 4548 §3).
pub const AFI_IANA_ICP: u8 = 0x35;
/// ICP value for an embedded IPv4 address (RFC 4548 §3.1).
pub const ICP_IPV4: u16 = 0x0001;

/// The NSAPA that embeds `at` (RFC 4548 §3.1, port in DSP octets 5–6, the rest zero).
pub fn embed_ipv4(at: SocketAddrV4) -> AtmAddr {
    let mut o = [0u8; 20];
    o[0] = AFI_IANA_ICP;
    o[1..3].copy_from_slice(&ICP_IPV4.to_be_bytes());
    o[3..7].copy_from_slice(&at.ip().octets());
    o[7..9].copy_from_slice(&at.port().to_be_bytes());
    AtmAddr::nsap(o)
}

/// The UDP socket address an RFC 4548 §3.1 NSAPA embeds, if it is one and names a port.
/// Octets 9–19 are ignored, as RFC 4548 says only the IPv4 address may be considered.
pub fn extract_ipv4(a: &AtmAddr) -> Option<SocketAddrV4> {
    let o = a.as_nsap()?;
    if o[0] != AFI_IANA_ICP || o[1..3] != ICP_IPV4.to_be_bytes() {
        return None;
    }
    let ip = Ipv4Addr::new(o[3], o[4], o[5], o[6]);
    let port = u16::from_be_bytes([o[7], o[8]]);
    (port != 0).then(|| SocketAddrV4::new(ip, port))
}

/// Resolves ATM addresses to UDP socket addresses and back.
///
/// Shared by every endpoint of a process (`Arc<Underlay>`); entries may be added while they
/// run (a test network adds each endpoint as it binds), hence the lock.
#[derive(Debug)]
pub struct Underlay {
    /// Static entries, ATM address → socket address.
    forward: RwLock<Map<AtmAddress, SocketAddr>>,
    /// Whether RFC 4548 §3.1 addresses not in the map resolve by their embedding.
    embedding: bool,
}

impl Default for Underlay {
    fn default() -> Self {
        Underlay::new()
    }
}

impl Underlay {
    /// An empty map, with RFC 4548 embedding enabled.
    pub fn new() -> Self {
        Underlay {
            forward: RwLock::new(Map::default()),
            embedding: true,
        }
    }

    /// Enable or disable resolution by RFC 4548 embedding.
    pub fn with_embedding(mut self, on: bool) -> Self {
        self.embedding = on;
        self
    }

    /// Add (or replace) a static entry.
    pub fn insert(&self, atm: AtmAddress, at: SocketAddr) {
        self.map_mut().insert(atm, at);
    }

    fn map(&self) -> std::sync::RwLockReadGuard<'_, Map<AtmAddress, SocketAddr>> {
        self.forward.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn map_mut(&self) -> std::sync::RwLockWriteGuard<'_, Map<AtmAddress, SocketAddr>> {
        self.forward.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// A map built from `(ATM address, socket address)` pairs, embedding enabled.
    pub fn from_entries(entries: impl IntoIterator<Item = (AtmAddress, SocketAddr)>) -> Self {
        let u = Underlay::new();
        for (a, s) in entries {
            u.insert(a, s);
        }
        u
    }

    /// The socket address of `atm`: its static entry, else (when enabled) its embedding.
    /// A subaddress does not change where an embedded address lives.
    pub fn resolve(&self, atm: &AtmAddress) -> Option<SocketAddr> {
        if let Some(&s) = self.map().get(atm) {
            return Some(s);
        }
        if self.embedding {
            return extract_ipv4(&atm.number).map(SocketAddr::V4);
        }
        None
    }

    /// The ATM address an endpoint bound at `at` should use: its static entry if one maps to
    /// `at`, else (IPv4, embedding enabled) the RFC 4548 embedding of `at`.
    pub fn address_for(&self, at: SocketAddr) -> Option<AtmAddress> {
        let listed = self
            .map()
            .iter()
            .filter(|(_, &s)| s == at)
            .map(|(a, _)| *a)
            .min();
        if listed.is_some() {
            return listed;
        }
        match at {
            SocketAddr::V4(v4) if self.embedding => Some(AtmAddress::new(embed_ipv4(v4))),
            _ => None,
        }
    }
}

/// One static entry as written in the daemon's configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StaticEntry {
    /// The ATM address (NSAPA in hex with optional dots, or E.164 digits; `/SUB` optional).
    pub atm: AtmAddress,
    /// Where it lives on the underlay (`192.0.2.1:5000`, `[2001:db8::1]:5000`).
    pub udp: SocketAddr,
}

/// The underlay section of the daemon's configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnderlayConfig {
    /// Resolve RFC 4548 §3.1 addresses by their embedding (default true).
    #[serde(default = "yes")]
    pub embedding: bool,
    /// Static entries.
    #[serde(default)]
    pub entries: Vec<StaticEntry>,
}

fn yes() -> bool {
    true
}

impl From<&UnderlayConfig> for Underlay {
    fn from(c: &UnderlayConfig) -> Self {
        Underlay::from_entries(c.entries.iter().map(|e| (e.atm, e.udp))).with_embedding(c.embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4548_embedding_both_ways() {
        let at: SocketAddrV4 = "192.0.2.7:4242".parse().unwrap();
        let a = embed_ipv4(at);
        assert_eq!(
            a.to_string(),
            "35.0001.C0000207109200000000.000000000000.00"
        );
        assert_eq!(
            a.as_bytes()[..9],
            [0x35, 0x00, 0x01, 192, 0, 2, 7, 0x10, 0x92]
        );
        assert_eq!(extract_ipv4(&a), Some(at));
    }

    #[test]
    fn extraction_ignores_the_unspecified_octets_and_refuses_others() {
        let mut o = *embed_ipv4("10.1.2.3:9".parse().unwrap()).as_nsap().unwrap();
        o[19] = 0x42;
        assert_eq!(
            extract_ipv4(&AtmAddr::nsap(o)),
            Some("10.1.2.3:9".parse().unwrap())
        );
        o[2] = 0; // ICP 0 is the IPv6 format (RFC 4548 §3.2), not ours.
        assert_eq!(extract_ipv4(&AtmAddr::nsap(o)), None);
        let port_zero = embed_ipv4("10.1.2.3:0".parse().unwrap());
        assert_eq!(extract_ipv4(&port_zero), None);
        assert_eq!(extract_ipv4(&AtmAddr::e164("123").unwrap()), None);
    }

    #[test]
    fn static_map_overrides_and_covers_e164_and_ipv6() {
        let e164: AtmAddress = "14085551212".parse().unwrap();
        let v6: SocketAddr = "[::1]:7000".parse().unwrap();
        let emb = AtmAddress::new(embed_ipv4("127.0.0.1:1".parse().unwrap()));
        let elsewhere: SocketAddr = "127.0.0.2:2".parse().unwrap();
        let u = Underlay::from_entries([(e164, v6), (emb, elsewhere)]);
        assert_eq!(u.resolve(&e164), Some(v6));
        assert_eq!(u.resolve(&emb), Some(elsewhere));
        assert_eq!(u.address_for(v6), Some(e164));
        let other = AtmAddress::new(embed_ipv4("127.0.0.3:3".parse().unwrap()));
        assert_eq!(u.resolve(&other), Some("127.0.0.3:3".parse().unwrap()));
        assert_eq!(Underlay::new().with_embedding(false).resolve(&other), None);
        assert_eq!(u.resolve(&"999".parse().unwrap()), None);
    }

    #[test]
    fn config_parses() {
        let c: UnderlayConfig = serde_json::from_str(
            r#"{"entries":[{"atm":"47.0005.80FFE1000000F21A3A3D.0020481A3A3D.00","udp":"[::1]:5000"}]}"#,
        )
        .unwrap();
        assert!(c.embedding);
        let u = Underlay::from(&c);
        assert_eq!(
            u.resolve(&c.entries[0].atm),
            Some("[::1]:5000".parse().unwrap())
        );
    }
}
