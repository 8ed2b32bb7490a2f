//! Timers and limits of one emulated ATM endpoint. Every value is configurable; the defaults
//! suit a LAN and are those `docs/atm-emulation.md` lists.

use std::time::Duration;

/// Timers and limits of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EndpointConfig {
    /// Interval between retransmissions of an unanswered SETUP, CONNECT, RELEASE, ADD PARTY
    /// or DROP PARTY (the role of Q.2931 T303/T313/T308 and Q.2971 T399/T398).
    #[serde(with = "millis")]
    pub retransmit_interval: Duration,
    /// How many times a request is sent in all before the call (or party) fails.
    pub max_transmissions: u32,
    /// Interval between KEEPALIVEs to each peer with which the endpoint shares a call.
    #[serde(with = "millis")]
    pub keepalive_interval: Duration,
    /// A peer silent for `keepalive_interval × dead_factor` is declared dead (cause #27).
    pub dead_factor: u32,
    /// Most incoming calls (and parties) awaiting the local engine's answer, per peer.
    pub max_pending_per_peer: usize,
    /// Most incoming calls (and parties) awaiting the local engine's answer, in all.
    pub max_pending: usize,
    /// Most call legs (calls and parties, in any state) the endpoint holds.
    pub max_legs: usize,
    /// Most remembered recently ended incoming legs (duplicate suppression).
    pub max_tombstones: usize,
    /// Largest SDU accepted from the engine (AAL5 allows 65,535).
    pub max_sdu: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            retransmit_interval: Duration::from_millis(250),
            max_transmissions: 8,
            keepalive_interval: Duration::from_secs(1),
            dead_factor: 3,
            max_pending_per_peer: 256,
            max_pending: 4096,
            max_legs: 65_536,
            max_tombstones: 16_384,
            max_sdu: mars_proto::vc::DEFAULT_MAX_SDU,
        }
    }
}

impl EndpointConfig {
    /// Short timers for tests: 20 ms retransmissions, 50 ms keepalives.
    pub fn fast() -> Self {
        EndpointConfig {
            retransmit_interval: Duration::from_millis(20),
            keepalive_interval: Duration::from_millis(50),
            ..EndpointConfig::default()
        }
    }

    /// How long a silent peer stays alive.
    pub fn dead_after(&self) -> Duration {
        self.keepalive_interval * self.dead_factor.max(1)
    }

    /// How long a peer may go on retransmitting one request: what a tombstone must cover.
    pub fn request_lifetime(&self) -> Duration {
        self.retransmit_interval * self.max_transmissions.max(1)
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}
