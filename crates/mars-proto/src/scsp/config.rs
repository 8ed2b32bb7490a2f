//! Configuration of an SCSP engine (RFC 2334): the Local Server, the would-be DCSs it is
//! configured with (§2.1: "An LS must be configured with a list of NBMA addresses"), the
//! protocol timers of §2.1–§2.3 and B.2.5, manual keying for authentication (B.3.1.3), and the
//! limits that keep memory in proportion to the cache.
//!
//! The RFC names the timers but gives no values; the defaults here are those of the only other
//! open implementation (HARP `scspd`: HelloInterval 3 s, DeadFactor 3, CAReXmtInterval 3 s,
//! CSUSReXmtInterval 3 s, CSUReXmtInterval 2 s, 5 retransmissions) with a hop count of 32.

use std::fmt;
use std::time::Duration;

use mars_wire::scsp::{AuthAlgorithm, ScspId};
use mars_wire::AtmAddress;

use crate::vc::DEFAULT_MAX_SDU;

/// The smallest `max_sdu` accepted: room for headers and a few records with short IDs.
pub const MIN_SDU: usize = 128;

/// The per-DCS protocol parameters: the timers of RFC 2334 §2.1–§2.3 and the Hop Count of
/// B.2.0.2. Every one is configurable per DCS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcsParams {
    /// HelloInterval (§2.1, B.2.5): how often this LS sends Hellos to the DCS. Advertised in
    /// whole seconds (rounded up, 1 to 65535); Hellos actually go out up to
    /// [`ScspConfig::hello_jitter_percent`] earlier, never later.
    pub hello_interval: Duration,
    /// DeadFactor (§2.1, B.2.5) advertised to the DCS: it declares this LS stalled after
    /// HelloInterval × DeadFactor without a Hello listing it.
    pub dead_factor: u16,
    /// CAReXmtInterval (§2.2): resend the last CA when the DCS has not answered.
    pub ca_rexmt_interval: Duration,
    /// CSUSReXmtInterval (§2.2.3): resend the outstanding CSUS when not all its CSAs came.
    pub csus_rexmt_interval: Duration,
    /// CSUReXmtInterval (§2.3): resend unacknowledged CSA records.
    pub csu_rexmt_interval: Duration,
    /// How many times one CSA record (or one CSUS) is retransmitted before the failure is an
    /// "abnormal event" (§2.3) and the HFSM goes to Waiting.
    pub rexmt_limit: u32,
    /// Hop Count of the CSA records this LS originates (B.2.0.2: "an administratively defined
    /// value which is almost certainly greater than or equal to the cardinality of the SG
    /// minus one").
    pub hop_count: u16,
}

impl Default for DcsParams {
    fn default() -> Self {
        DcsParams {
            hello_interval: Duration::from_secs(3),
            dead_factor: 3,
            ca_rexmt_interval: Duration::from_secs(3),
            csus_rexmt_interval: Duration::from_secs(3),
            csu_rexmt_interval: Duration::from_secs(2),
            rexmt_limit: 5,
            hop_count: 32,
        }
    }
}

impl DcsParams {
    /// The HelloInterval field this LS advertises: whole seconds, rounded up, 1 to 65535.
    pub fn advertised_hello_interval(&self) -> u16 {
        let ns = self.hello_interval.as_nanos();
        let s = ns.div_ceil(1_000_000_000);
        s.clamp(1, u128::from(u16::MAX)) as u16
    }
}

/// Whether packets to and from a DCS carry the SCSP Authentication Extension (B.3.1: "The
/// presence or absence of authentication is a local matter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMode {
    /// Nothing is signed; an Authentication Extension in a received packet is not checked.
    #[default]
    Off,
    /// Packets are signed when an active security association exists. A received packet
    /// without the extension is accepted; one with it must verify.
    Optional,
    /// Every packet is signed; one that cannot be (no active association) is dropped and
    /// logged (B.3.1.4). A received packet must carry a verifying extension.
    Mandatory,
}

/// One manually keyed security association, the parameters B.3.1.3 ties to the tuple
/// <SPI, DCS ID>: algorithm, key and lifetime.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityAssociation {
    /// Security Parameter Index; "the receiving SCSP entity always allocates the SPI"
    /// (B.3.1.1), so both ends configure the same number for one direction of use.
    pub spi: u32,
    /// The MAC algorithm (B.3.1.2).
    pub algorithm: AuthAlgorithm,
    /// The key.
    pub key: Vec<u8>,
    /// How long the key is valid, from when it is installed; `None` is infinite (B.3.1.3:
    /// "In case of manual keying, this duration can be infinite").
    pub lifetime: Option<Duration>,
}

impl fmt::Debug for SecurityAssociation {
    /// Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityAssociation")
            .field("spi", &self.spi)
            .field("algorithm", &self.algorithm)
            .field("key", &format_args!("<{} octets>", self.key.len()))
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

/// Authentication towards one DCS (B.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthConfig {
    /// Off, optional or mandatory.
    pub mode: AuthMode,
    /// The security associations for this DCS. Several may be active at once (B.3.1.3:
    /// "there may be multiple tuples active at the same time"), for key rollover: a receiver
    /// picks the association by the SPI in the packet.
    pub associations: Vec<SecurityAssociation>,
    /// The SPI to sign with; `None`: the one the DCS last authenticated with, if active here,
    /// else the most recently installed active association (see `scsp::auth` for the
    /// rollover procedure this allows).
    pub send_spi: Option<u32>,
}

/// One would-be DCS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcsConfig {
    /// Its ATM address (the NBMA address of §2.1).
    pub address: AtmAddress,
    /// Its Server ID, if known in advance. When set, Hellos with another Sender ID are
    /// discarded; when not, the ID is learned from the first Hello (§2.1: "the LS saves the
    /// Sender ID from that Hello message").
    pub id: Option<ScspId>,
    /// Timers, retransmission limit and hop count.
    pub params: DcsParams,
    /// The largest AAL5 SDU (LLC/SNAP header included) to send on the VC: CA, CSU and CSUS
    /// messages are packed with records up to it. A record that alone does not fit is not
    /// sent (it is counted as a discard).
    pub max_sdu: usize,
    /// Authentication.
    pub auth: AuthConfig,
}

impl DcsConfig {
    /// A DCS at `address` with default parameters, no fixed ID and no authentication.
    pub fn new(address: AtmAddress) -> Self {
        DcsConfig {
            address,
            id: None,
            params: DcsParams::default(),
            max_sdu: DEFAULT_MAX_SDU,
            auth: AuthConfig::default(),
        }
    }
}

/// What to do with a CSA that carries this LS's own Originator ID, is newer than anything this
/// LS holds, and names an entry this LS has not originated since it started: an entry from
/// before a restart (B.2.0.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StaleOwnPolicy {
    /// Purge it from the server group (B.2.0.2's purge: a CSA with sequence number 2^31−1
    /// built by the client protocol). The default: the client protocol no longer has it.
    #[default]
    Purge,
    /// Keep it like any learned entry; if the client protocol originates the key again, the
    /// restart rule numbers it past the old one.
    Accept,
}

/// The configuration of one SCSP engine: one protocol instance (PID/SGID, given by the client
/// protocol) on one ATM endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScspConfig {
    /// This server's ID, the LSID: Sender ID of everything it sends and Originator ID of
    /// everything it originates.
    pub local_id: ScspId,
    /// This endpoint's ATM address: compared with each DCS's to decide who calls (see
    /// [`crate::scsp`]'s connection rule).
    pub address: AtmAddress,
    /// Family ID advertised in Hellos (B.2.5). The engine runs one PID/SGID and does not
    /// interpret Family IDs it receives.
    pub family_id: u16,
    /// The would-be DCSs.
    pub dcs: Vec<DcsConfig>,
    /// First local VC id this engine allocates, so that a composite endpoint can give each
    /// inner engine its own range.
    pub vc_id_base: u64,
    /// Seed of the engine's random number generator (Hello jitter, CA sequence numbers).
    pub rng_seed: u64,
    /// Hellos go out up to this share of HelloInterval early (0 to 50).
    pub hello_jitter_percent: u8,
    /// The "configured constant" of the restart rule (B.2.0.2): after a restart, an entry is
    /// numbered from its existing sequence number (zero if none) plus this.
    pub restart_seq_offset: u32,
    /// Whether this engine starts after a restart: then entries it creates start at
    /// `restart_seq_offset` ("zero if not plus a configured constant"), not at −2^31+1.
    pub restarted: bool,
    /// Own-origin entries from before a restart.
    pub stale_own_entries: StaleOwnPolicy,
    /// B.2.0.2: after a restart, the number of an entry this LS originates is chosen "after
    /// the restarting LS's CAFSM has achieved the Aligned state", so that it is unique within
    /// the server group. Originations are therefore held until the first CAFSM reaches
    /// Aligned, or this long after start, whichever comes first. `None`: no hold (for an
    /// engine that knows it has never run before, or that has no DCS).
    pub origination_hold: Option<Duration>,
    /// How long a purged entry is remembered (so that the purge is flooded once and reaches a
    /// DCS that aligns later).
    pub tombstone_hold: Duration,
    /// The most cache entries (live and purged) held; also bounds each CRL and retransmit
    /// queue. Records beyond it are dropped unacknowledged (§2.3: "dropped ... because there
    /// are insufficient resources").
    pub max_cache_entries: usize,
    /// Delay before calling a DCS again after a call failed or the VC was released.
    pub connect_retry: Duration,
    /// The endpoint with the higher ATM address waits for the call; if no VC exists after
    /// this long, it calls itself (for peers that never call). `None`: never.
    pub callee_fallback: Option<Duration>,
}

impl ScspConfig {
    /// Defaults for a server with ID `local_id` at `address`, with no DCS yet.
    pub fn new(local_id: ScspId, address: AtmAddress) -> Self {
        ScspConfig {
            local_id,
            address,
            family_id: 0,
            dcs: Vec::new(),
            vc_id_base: 0,
            rng_seed: 0,
            hello_jitter_percent: 10,
            restart_seq_offset: 1 << 16,
            restarted: false,
            stale_own_entries: StaleOwnPolicy::Purge,
            origination_hold: Some(Duration::from_secs(30)),
            tombstone_hold: Duration::from_secs(600),
            max_cache_entries: 16_000_000,
            connect_retry: Duration::from_secs(5),
            callee_fallback: Some(Duration::from_secs(30)),
        }
    }

    /// Check the configuration against itself and the client protocol's ID length.
    pub fn validate(&self, id_len: Option<u8>) -> Result<(), ConfigError> {
        if self.local_id.is_empty() || self.local_id.len() > 255 {
            return Err(ConfigError::LocalId);
        }
        if id_len.is_some_and(|n| usize::from(n) != self.local_id.len()) {
            return Err(ConfigError::LocalId);
        }
        if self.hello_jitter_percent > 50 {
            return Err(ConfigError::Jitter);
        }
        if self.max_cache_entries == 0 {
            return Err(ConfigError::Limit("max_cache_entries"));
        }
        if self.connect_retry.is_zero() {
            return Err(ConfigError::Limit("connect_retry"));
        }
        for (i, d) in self.dcs.iter().enumerate() {
            if d.address == self.address {
                return Err(ConfigError::DcsIsSelf(i));
            }
            if self.dcs[..i].iter().any(|o| o.address == d.address) {
                return Err(ConfigError::DuplicateDcs(i));
            }
            self.validate_dcs(i, d, id_len)?;
        }
        Ok(())
    }

    /// Check one DCS, to be DCS `i`, against this server (its address and ID) and the client
    /// protocol's ID length; whether another DCS has its address is the caller's check.
    pub fn validate_dcs(
        &self,
        i: usize,
        d: &DcsConfig,
        id_len: Option<u8>,
    ) -> Result<(), ConfigError> {
        if d.address == self.address {
            return Err(ConfigError::DcsIsSelf(i));
        }
        if let Some(id) = &d.id {
            if *id == self.local_id || id_len.is_some_and(|n| usize::from(n) != id.len()) {
                return Err(ConfigError::DcsId(i));
            }
        }
        let p = &d.params;
        if p.hello_interval.is_zero()
            || p.hello_interval > Duration::from_secs(u64::from(u16::MAX))
            || p.dead_factor == 0
            || p.ca_rexmt_interval.is_zero()
            || p.csus_rexmt_interval.is_zero()
            || p.csu_rexmt_interval.is_zero()
            || p.hop_count == 0
        {
            return Err(ConfigError::Params(i));
        }
        // A record that does not fit is dropped and counted, so only a floor is needed.
        if d.max_sdu < MIN_SDU || d.max_sdu > 8 + usize::from(u16::MAX) {
            return Err(ConfigError::MaxSdu(i));
        }
        if d.auth.mode == AuthMode::Mandatory && d.auth.associations.is_empty() {
            return Err(ConfigError::NoKeys(i));
        }
        for (k, sa) in d.auth.associations.iter().enumerate() {
            if d.auth.associations[..k].iter().any(|o| o.spi == sa.spi) {
                return Err(ConfigError::DuplicateSpi(i, sa.spi));
            }
        }
        Ok(())
    }
}

/// A configuration the engine cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The local ID is empty, too long, or not the client protocol's ID length.
    #[error("local server ID is empty, longer than 255 octets, or not the protocol's ID length")]
    LocalId,
    /// Hello jitter above 50%.
    #[error("hello_jitter_percent must be at most 50")]
    Jitter,
    /// A limit or interval is zero.
    #[error("{0} must be positive")]
    Limit(&'static str),
    /// A DCS has this endpoint's own address.
    #[error("DCS {0} has this server's own ATM address")]
    DcsIsSelf(usize),
    /// Two DCSs share an address.
    #[error("DCS {0} repeats the address of an earlier DCS")]
    DuplicateDcs(usize),
    /// A DCS's fixed ID is the local ID or has the wrong length.
    #[error("DCS {0}: its ID equals the local ID or is not the protocol's ID length")]
    DcsId(usize),
    /// A DCS timer, DeadFactor or hop count is zero, or HelloInterval exceeds 65535 s.
    #[error(
        "DCS {0}: timers, DeadFactor and hop count must be positive; HelloInterval at most 65535 s"
    )]
    Params(usize),
    /// A DCS's max SDU is out of range.
    #[error("DCS {0}: max_sdu must be between 128 and 65543 octets")]
    MaxSdu(usize),
    /// Mandatory authentication without a key.
    #[error("DCS {0}: mandatory authentication needs at least one security association")]
    NoKeys(usize),
    /// Two associations of one DCS share an SPI.
    #[error("DCS {0}: SPI {1} is configured twice")]
    DuplicateSpi(usize, u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_interval_rounds_up() {
        let mut p = DcsParams::default();
        assert_eq!(p.advertised_hello_interval(), 3);
        p.hello_interval = Duration::from_millis(1500);
        assert_eq!(p.advertised_hello_interval(), 2);
        p.hello_interval = Duration::from_millis(10);
        assert_eq!(p.advertised_hello_interval(), 1);
    }

    #[test]
    fn key_is_not_printed() {
        let sa = SecurityAssociation {
            spi: 7,
            algorithm: AuthAlgorithm::HmacSha256,
            key: b"secret".to_vec(),
            lifetime: None,
        };
        let s = format!("{sa:?}");
        assert!(!s.contains("secret") && s.contains("6 octets"), "{s}");
    }
}
