//! SCSP authentication (RFC 2334 B.3.1): the manual keying table of B.3.1.3 for one DCS, and
//! the receive-side check.
//!
//! "The following parameters are associated with the tuple <SPI, DCS ID>- lifetime, Algorithm,
//! Key ... there may be multiple tuples active at the same time (DCS ID being the same)." The
//! table is per DCS (the DCS ID is implied by the VC), indexed by SPI, and used for both
//! directions (manual keying configures both ends alike). A receiver selects the association by
//! the SPI in the packet (B.3.1.4).
//!
//! # Which association signs
//! The configured [`super::AuthConfig::send_spi`] if set; otherwise the one the DCS last
//! authenticated with, if it is active here; otherwise the most recently installed active one.
//! Key rollover that loses nothing: install the new key at both ends (in any order: both keep
//! signing with the old one, which each sees the other use); set [`super::AuthConfig::send_spi`]
//! to the new SPI at one end (the other follows as soon as it sees the new SPI); remove the old
//! key at both ends. Skipping the switch also works — the first end to lose the old key signs
//! with the new one and the other follows — but packets already in flight under the old key are
//! then lost at that end (and retransmitted).
//!
//! # A failed check changes no state
//! B.3.1 calls a failed check an "abnormal event", and §2.1 sends the HFSM to Waiting on any
//! abnormal event. Doing so would let anyone able to inject one bad packet on a VC tear down
//! the alignment at will — the very attack authentication exists to stop (B.3.1.5: "SCSP
//! databases will not become corrupted, as the bogus packets will be discarded"). Decision:
//! the packet is discarded, counted and reported ("The packet is discarded and this event is
//! logged", B.3.1), and nothing else happens.

use mars_wire::scsp::{verify_mac, ScspPacket};
use mars_wire::DecodeError;

use super::config::{AuthMode, SecurityAssociation};
use super::events::Discard;
use crate::time::Instant;

#[derive(Debug, Clone)]
struct Installed {
    sa: SecurityAssociation,
    installed: Instant,
    order: u64,
}

impl Installed {
    fn active(&self, now: Instant) -> bool {
        match self.sa.lifetime {
            Some(l) => now < self.installed + l,
            None => true,
        }
    }
}

/// The security associations of one DCS.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyTable {
    entries: Vec<Installed>,
    order: u64,
    /// The SPI of the last packet from the DCS that authenticated.
    pub peer_spi: Option<u32>,
}

impl KeyTable {
    pub fn new(sas: &[SecurityAssociation], now: Instant) -> Self {
        let mut t = KeyTable::default();
        for sa in sas {
            t.install(sa.clone(), now);
        }
        t
    }

    /// Install (or replace) an association; its lifetime runs from `now`.
    pub fn install(&mut self, sa: SecurityAssociation, now: Instant) {
        self.order += 1;
        self.entries.retain(|e| e.sa.spi != sa.spi);
        self.entries.push(Installed {
            sa,
            installed: now,
            order: self.order,
        });
    }

    /// Remove the association `spi`.
    pub fn remove(&mut self, spi: u32) -> bool {
        let n = self.entries.len();
        self.entries.retain(|e| e.sa.spi != spi);
        self.entries.len() != n
    }

    /// The active association with this SPI.
    pub fn lookup(&self, spi: u32, now: Instant) -> Option<&SecurityAssociation> {
        self.entries
            .iter()
            .find(|e| e.sa.spi == spi && e.active(now))
            .map(|e| &e.sa)
    }

    /// The association to sign with: `spi` if given (and active); else the one the DCS last
    /// used, if active; else the newest active one.
    pub fn signer(&self, spi: Option<u32>, now: Instant) -> Option<&SecurityAssociation> {
        if let Some(spi) = spi {
            return self.lookup(spi, now);
        }
        self.peer_spi.and_then(|p| self.lookup(p, now)).or_else(|| {
            self.entries
                .iter()
                .filter(|e| e.active(now))
                .max_by_key(|e| e.order)
                .map(|e| &e.sa)
        })
    }
}

/// Decode a received SCSP packet and check it under `mode`. `Err` carries the discard reason
/// and detail: for an authentication failure the caller changes no state; for
/// [`Discard::Malformed`] it records an abnormal event. A packet that authenticates sets the
/// table's `peer_spi`.
pub(crate) fn admit(
    payload: &[u8],
    mode: AuthMode,
    keys: &mut KeyTable,
    now: Instant,
) -> Result<ScspPacket, (Discard, String)> {
    let decoded = ScspPacket::decode(payload);
    let malformed = |e: DecodeError| (Discard::Malformed, e.to_string());
    match mode {
        AuthMode::Off => decoded.map_err(malformed),
        AuthMode::Optional | AuthMode::Mandatory => {
            let pkt = match decoded {
                Ok(p) => p,
                Err(e) if mode == AuthMode::Mandatory => {
                    return Err((Discard::AuthUndecodable, e.to_string()))
                }
                Err(e) => return Err(malformed(e)),
            };
            let Some(spi) = pkt.auth_spi() else {
                return if mode == AuthMode::Mandatory {
                    Err((Discard::AuthMissing, "no Authentication Extension".into()))
                } else {
                    Ok(pkt)
                };
            };
            let Some(sa) = keys.lookup(spi, now) else {
                return Err((Discard::AuthUnknownSpi, format!("SPI {spi}")));
            };
            verify_mac(payload, sa.algorithm, &sa.key)
                .map_err(|e| (Discard::AuthBadMac, format!("SPI {spi}: {e}")))?;
            keys.peer_spi = Some(spi);
            Ok(pkt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mars_wire::scsp::AuthAlgorithm;
    use std::time::Duration;

    fn sa(spi: u32, life: Option<u64>) -> SecurityAssociation {
        SecurityAssociation {
            spi,
            algorithm: AuthAlgorithm::HmacMd5_128,
            key: vec![spi as u8; 16],
            lifetime: life.map(Duration::from_secs),
        }
    }

    #[test]
    fn newest_active_signs_and_lifetimes_expire() {
        let t0 = Instant::ZERO;
        let mut t = KeyTable::new(&[sa(1, None), sa(2, Some(10))], t0);
        assert_eq!(t.signer(None, t0).map(|s| s.spi), Some(2));
        t.peer_spi = Some(1);
        assert_eq!(
            t.signer(None, t0).map(|s| s.spi),
            Some(1),
            "mirrors the DCS"
        );
        t.peer_spi = None;
        assert_eq!(t.signer(Some(1), t0).map(|s| s.spi), Some(1));
        let later = t0 + Duration::from_secs(10);
        assert!(t.lookup(2, later).is_none(), "expired");
        assert_eq!(t.signer(None, later).map(|s| s.spi), Some(1));
        assert!(t.remove(1));
        assert!(!t.remove(1));
        assert!(t.signer(None, later).is_none());
    }
}
