//! The daemon's configuration: one TOML file naming the roles this process plays — a MARS
//! **server** (plain RFC 2022, or one server of an RFC 2443 server group when it has
//! `peers`), any number of **clients** and **MCSs** — and the process-wide settings (control
//! socket, metrics, ATM emulation timers, underlay map).
//!
//! Every key is documented in `docs/configuration.md`, with its type, default and meaning.
//! Unknown keys are errors (`deny_unknown_fields`). [`Config::parse`] returns every problem
//! as a [`ConfigError`] naming its line and key, e.g.
//! `line 12, server.peers[1].address: not an ATM address: …`: syntax and type errors come
//! from the TOML deserializer (one at a time), semantic errors from [`check`] (all at once).
//!
//! Module map: [`duration`] (`"250ms"`-style durations), `spans` (lines and key paths),
//! [`check`] (semantic validation), [`build`] (engine configurations), [`reload`] (what a
//! SIGHUP may change).

pub mod build;
pub mod check;
pub mod duration;
pub mod reload;
mod spans;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use mars_wire::{AtmAddress, ProtoAddr};
use serde::{Deserialize, Serialize};

use crate::atm_udp::UnderlayConfig;
pub use duration::{Dur, OptDur};

/// The default UDP port of a role's emulated ATM endpoint (the number of RFC 2443).
pub const DEFAULT_PORT: u16 = 2443;
/// The default control socket.
pub const DEFAULT_CONTROL_SOCKET: &str = "/run/marsd/marsd.sock";

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Process-wide settings.
    #[serde(default)]
    pub daemon: DaemonConfig,
    /// Prometheus metrics (off unless `[metrics]` names a listen address).
    #[serde(default)]
    pub metrics: Option<MetricsConfig>,
    /// Timers and limits of every emulated ATM endpoint.
    #[serde(default)]
    pub emulation: EmulationConfig,
    /// ATM address → UDP socket address map (RFC 4548 embedding plus static entries).
    #[serde(default = "default_underlay")]
    pub underlay: UnderlayConfig,
    /// The MARS server role.
    #[serde(default)]
    pub server: Option<ServerRole>,
    /// Client roles.
    #[serde(default)]
    pub client: Vec<MemberRole>,
    /// MCS roles.
    #[serde(default)]
    pub mcs: Vec<MemberRole>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            daemon: DaemonConfig::default(),
            metrics: None,
            emulation: EmulationConfig::default(),
            underlay: default_underlay(),
            server: None,
            client: Vec::new(),
            mcs: Vec::new(),
        }
    }
}

fn default_underlay() -> UnderlayConfig {
    UnderlayConfig {
        embedding: true,
        entries: Vec::new(),
    }
}

/// `[daemon]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// The Unix socket `marsctl` talks to.
    pub control_socket: PathBuf,
    /// How long clients and MCSs are given to deregister on SIGTERM before VCs are released.
    pub shutdown_grace: Dur,
    /// Write every SDU sent and received to this SunATM pcap (`--capture` overrides).
    pub capture: Option<PathBuf>,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            control_socket: PathBuf::from(DEFAULT_CONTROL_SOCKET),
            shutdown_grace: Dur(std::time::Duration::from_secs(2)),
            capture: None,
        }
    }
}

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// TCP address of the Prometheus endpoint (`GET /metrics`).
    pub listen: SocketAddr,
}

/// `[emulation]`: the ATM emulation over UDP (`docs/atm-emulation.md`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmulationConfig {
    /// Interval between retransmissions of unanswered signalling.
    pub retransmit_interval: Dur,
    /// Transmissions of one signalling request before the call or party fails.
    pub max_transmissions: u32,
    /// Interval between KEEPALIVEs to each peer.
    pub keepalive_interval: Dur,
    /// A peer silent for `keepalive_interval × dead_factor` is declared dead.
    pub dead_factor: u32,
    /// Most incoming calls awaiting the engine's answer, per peer.
    pub max_pending_per_peer: usize,
    /// Most incoming calls awaiting the engine's answer, in all.
    pub max_pending: usize,
    /// Most call legs one endpoint holds.
    pub max_legs: usize,
    /// Most remembered ended incoming legs.
    pub max_tombstones: usize,
    /// Largest SDU accepted from an engine.
    pub max_sdu: usize,
}

impl Default for EmulationConfig {
    fn default() -> Self {
        let d = crate::atm_udp::EndpointConfig::default();
        EmulationConfig {
            retransmit_interval: Dur(d.retransmit_interval),
            max_transmissions: d.max_transmissions,
            keepalive_interval: Dur(d.keepalive_interval),
            dead_factor: d.dead_factor,
            max_pending_per_peer: d.max_pending_per_peer,
            max_pending: d.max_pending,
            max_legs: d.max_legs,
            max_tombstones: d.max_tombstones,
            max_sdu: d.max_sdu,
        }
    }
}

/// A layer 3 protocol a cluster serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// IPv4 (`mar$pro` 0x0800).
    Ipv4,
    /// IPv6 (`mar$pro` 0x86DD).
    Ipv6,
}

impl Proto {
    /// The `mar$pro` value.
    pub fn protocol(self) -> mars_wire::Protocol {
        match self {
            Proto::Ipv4 => mars_wire::Protocol::IPV4,
            Proto::Ipv6 => mars_wire::Protocol::IPV6,
        }
    }

    /// Octets of a protocol address.
    pub fn addr_len(self) -> usize {
        match self {
            Proto::Ipv4 => 4,
            Proto::Ipv6 => 16,
        }
    }
}

/// `[server]`: a MARS server; with `peers`, one server of a distributed MARS (RFC 2443).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRole {
    /// Role name (for `marsctl --role`, logs, metrics labels).
    #[serde(default = "server_name")]
    pub name: String,
    /// UDP socket address of the emulated ATM endpoint.
    pub bind: SocketAddr,
    /// ATM address; default: the static underlay entry for `bind`, else its RFC 4548 embedding.
    #[serde(default)]
    pub atm: Option<AtmAddress>,
    /// Protocol address, the source of MARS_MIGRATE (RFC 2022 §6.2.2).
    #[serde(default)]
    pub protocol_address: Option<ProtoAddr>,
    /// Layer 3 protocols served, one cluster each.
    #[serde(default = "ipv4_only")]
    pub protocols: Vec<Proto>,
    /// CMIs this server allocates, `[first, last]`; disjoint from every peer's (RFC 2443 §2).
    #[serde(default = "full_cmi_range")]
    pub cmi_range: [u32; 2],
    /// MARS_REDIRECT_MAP interval; with peers also the redirect entry interval (RFC 2443 §2).
    #[serde(default = "sixty_seconds")]
    pub redirect_interval: Dur,
    /// Backup MARSs listed after this one in MARS_REDIRECT_MAP (RFC 2022 §5.4.3).
    #[serde(default)]
    pub backups: Vec<AtmAddress>,
    /// Set the hard-redirect bit of MARS_REDIRECT_MAP.
    #[serde(default = "yes")]
    pub redirect_hard: bool,
    /// Largest AAL5 SDU sent; MARS_MULTIs are split to fit.
    #[serde(default = "default_max_sdu")]
    pub max_sdu: usize,
    /// Drop messages whose source is not the calling party of their VC.
    #[serde(default = "yes")]
    pub verify_source: bool,
    /// Most client VCs accepted at once.
    #[serde(default = "default_max_vcs")]
    pub max_vcs: usize,
    /// Initial Cluster and Server Sequence Numbers (RFC 2022 §5.1.4.2).
    #[serde(default)]
    pub initial_msn: u32,
    /// SCSP and RFC 2443 settings (used only with peers).
    #[serde(default)]
    pub scsp: ScspSection,
    /// The other servers of the server group this server synchronises with (its DCSs).
    #[serde(default)]
    pub peers: Vec<PeerConfig>,
}

fn server_name() -> String {
    "server".into()
}
fn ipv4_only() -> Vec<Proto> {
    vec![Proto::Ipv4]
}
fn full_cmi_range() -> [u32; 2] {
    [1, 65535]
}
fn sixty_seconds() -> Dur {
    Dur(std::time::Duration::from_secs(60))
}
fn yes() -> bool {
    true
}
fn default_max_sdu() -> usize {
    mars_proto::vc::DEFAULT_MAX_SDU
}
fn default_max_vcs() -> usize {
    100_000
}

/// Per-DCS protocol parameters (RFC 2334 §2.1–§2.3, B.2.0.2) as written in
/// `[server.scsp]` (defaults for every peer) or in a peer (overrides); `None`: inherited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerParams {
    /// HelloInterval (RFC 2334 §2.1).
    pub hello_interval: Option<Dur>,
    /// DeadFactor (§2.1).
    pub dead_factor: Option<u16>,
    /// CAReXmtInterval (§2.2).
    pub ca_rexmt_interval: Option<Dur>,
    /// CSUSReXmtInterval (§2.2.3).
    pub csus_rexmt_interval: Option<Dur>,
    /// CSUReXmtInterval (§2.3).
    pub csu_rexmt_interval: Option<Dur>,
    /// Retransmissions of one record before the DCS is reset (§2.3).
    pub rexmt_limit: Option<u32>,
    /// Hop count of originated CSA records (B.2.0.2).
    pub hop_count: Option<u16>,
    /// Largest SCSP SDU sent to the DCS.
    pub max_sdu: Option<usize>,
}

impl PeerParams {
    /// `self`, with unset values taken from `defaults`.
    pub fn or(self, defaults: PeerParams) -> PeerParams {
        PeerParams {
            hello_interval: self.hello_interval.or(defaults.hello_interval),
            dead_factor: self.dead_factor.or(defaults.dead_factor),
            ca_rexmt_interval: self.ca_rexmt_interval.or(defaults.ca_rexmt_interval),
            csus_rexmt_interval: self.csus_rexmt_interval.or(defaults.csus_rexmt_interval),
            csu_rexmt_interval: self.csu_rexmt_interval.or(defaults.csu_rexmt_interval),
            rexmt_limit: self.rexmt_limit.or(defaults.rexmt_limit),
            hop_count: self.hop_count.or(defaults.hop_count),
            max_sdu: self.max_sdu.or(defaults.max_sdu),
        }
    }
}

/// The per-DCS parameter keys, written out in both tables that hold them (serde's `flatten`
/// cannot be combined with `deny_unknown_fields`).
macro_rules! peer_params {
    ($t:ty) => {
        impl $t {
            /// The per-DCS parameters written in this table.
            pub fn params(&self) -> PeerParams {
                PeerParams {
                    hello_interval: self.hello_interval,
                    dead_factor: self.dead_factor,
                    ca_rexmt_interval: self.ca_rexmt_interval,
                    csus_rexmt_interval: self.csus_rexmt_interval,
                    csu_rexmt_interval: self.csu_rexmt_interval,
                    rexmt_limit: self.rexmt_limit,
                    hop_count: self.hop_count,
                    max_sdu: self.max_sdu,
                }
            }
        }
    };
}
peer_params!(ScspSection);
peer_params!(PeerConfig);

/// `[server.scsp]`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScspSection {
    /// This server's SCSP ID (4 octets, RFC 2443 §4); required with peers.
    pub server_id: Option<u32>,
    /// Server Group ID: the LIS (RFC 2443 §2).
    pub server_group_id: u16,
    /// Family ID advertised in Hellos.
    pub family_id: u16,
    /// Slack on top of two redirect intervals before a silent peer is flushed.
    pub flush_grace: Dur,
    /// How long a peer's leave/deregister record stays cached.
    pub tombstone_hold: Dur,
    /// Longest start-up: CMI range check against the peers.
    pub startup_hold: Dur,
    /// How long a purged SCSP cache entry is remembered.
    pub purge_hold: Dur,
    /// Originations held after start until the first alignment, at most this long (`"off"`).
    pub origination_hold: OptDur,
    /// Delay before calling a DCS again.
    pub connect_retry: Dur,
    /// The higher-addressed end calls itself after this long without a VC (`"off"`: never).
    pub callee_fallback: OptDur,
    /// Hellos go out up to this share of HelloInterval early (0–50).
    pub hello_jitter_percent: u8,
    /// Most SCSP cache entries.
    pub max_cache_entries: usize,
    /// Start as after a restart (B.2.0.2 sequence numbering).
    pub restarted: bool,
    /// The restart rule's "configured constant" (B.2.0.2).
    pub restart_seq_offset: u32,
    /// Own entries from before a restart: `"purge"` or `"accept"`.
    pub stale_own_entries: StaleOwn,
    /// Seed of the engine's RNG (Hello jitter, CA sequence numbers); default from the ID.
    pub rng_seed: Option<u64>,
    /// Default HelloInterval of every peer (RFC 2334 §2.1); the other seven keys below
    /// are likewise defaults a peer may override.
    pub hello_interval: Option<Dur>,
    /// DeadFactor (§2.1).
    pub dead_factor: Option<u16>,
    /// CAReXmtInterval (§2.2).
    pub ca_rexmt_interval: Option<Dur>,
    /// CSUSReXmtInterval (§2.2.3).
    pub csus_rexmt_interval: Option<Dur>,
    /// CSUReXmtInterval (§2.3).
    pub csu_rexmt_interval: Option<Dur>,
    /// Retransmissions of one record before the DCS is reset (§2.3).
    pub rexmt_limit: Option<u32>,
    /// Hop count of originated CSA records (B.2.0.2).
    pub hop_count: Option<u16>,
    /// Largest SCSP SDU sent to the DCS.
    pub max_sdu: Option<usize>,
}

impl Default for ScspSection {
    fn default() -> Self {
        let s = std::time::Duration::from_secs;
        ScspSection {
            server_id: None,
            server_group_id: 1,
            family_id: 0,
            flush_grace: Dur(s(15)),
            tombstone_hold: Dur(s(600)),
            startup_hold: Dur(s(30)),
            purge_hold: Dur(s(600)),
            origination_hold: OptDur(Some(s(30))),
            connect_retry: Dur(s(5)),
            callee_fallback: OptDur(Some(s(30))),
            hello_jitter_percent: 10,
            max_cache_entries: 16_000_000,
            restarted: false,
            restart_seq_offset: 1 << 16,
            stale_own_entries: StaleOwn::Purge,
            rng_seed: None,
            hello_interval: None,
            dead_factor: None,
            ca_rexmt_interval: None,
            csus_rexmt_interval: None,
            csu_rexmt_interval: None,
            rexmt_limit: None,
            hop_count: None,
            max_sdu: None,
        }
    }
}

/// What to do with own entries from before a restart (B.2.0.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StaleOwn {
    /// Purge them from the server group.
    Purge,
    /// Keep them like learned entries.
    Accept,
}

/// `[[server.peers]]`: one would-be DCS.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// Its ATM address.
    pub address: AtmAddress,
    /// Its SCSP ID, if known (else learned from its first Hello).
    #[serde(default)]
    pub id: Option<u32>,
    /// `"off"`, `"optional"` or `"mandatory"`; default mandatory with keys, off without.
    #[serde(default)]
    pub auth: Option<Auth>,
    /// SPI to sign with (default: the peer's last, else the newest key).
    #[serde(default)]
    pub send_spi: Option<u32>,
    /// Manually keyed security associations (B.3.1.3).
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// HelloInterval for this peer, overriding `[server.scsp]` (likewise the seven keys
    /// below).
    pub hello_interval: Option<Dur>,
    /// DeadFactor (§2.1).
    pub dead_factor: Option<u16>,
    /// CAReXmtInterval (§2.2).
    pub ca_rexmt_interval: Option<Dur>,
    /// CSUSReXmtInterval (§2.2.3).
    pub csus_rexmt_interval: Option<Dur>,
    /// CSUReXmtInterval (§2.3).
    pub csu_rexmt_interval: Option<Dur>,
    /// Retransmissions of one record before the DCS is reset (§2.3).
    pub rexmt_limit: Option<u32>,
    /// Hop count of originated CSA records (B.2.0.2).
    pub hop_count: Option<u16>,
    /// Largest SCSP SDU sent to the DCS.
    pub max_sdu: Option<usize>,
}

/// Authentication mode towards a peer (B.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// Nothing signed or checked.
    Off,
    /// Signed when a key is active; unsigned packets accepted.
    Optional,
    /// Every packet signed and checked.
    Mandatory,
}

/// `[[server.peers.keys]]`: one security association.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Security Parameter Index.
    pub spi: u32,
    /// `"hmac-md5-128"` (default) or `"hmac-sha-256"`.
    #[serde(default = "default_algorithm")]
    pub algorithm: mars_wire::scsp::AuthAlgorithm,
    /// The key in hexadecimal.
    #[serde(default)]
    pub key: Option<String>,
    /// A file holding the key in hexadecimal (instead of `key`).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Validity from installation (default: unlimited).
    #[serde(default)]
    pub lifetime: Option<Dur>,
}

fn default_algorithm() -> mars_wire::scsp::AuthAlgorithm {
    mars_wire::scsp::AuthAlgorithm::HmacMd5_128
}

/// `[[mcs.lists]]`: one RFC 2149 §5 mcslist and the groups of the role it backs up.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct McsListConfig {
    /// The ordered ATM numbers of the MCSs of the list, identical at each of them.
    pub mcslist: Vec<AtmAddress>,
    /// Groups of the role's `groups` this list serves.
    pub groups: Vec<String>,
}

/// `[[client]]` or `[[mcs]]`: a cluster member or a Multicast Server.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    /// Role name; default `client-N` / `mcs-N` (1-based, in file order).
    #[serde(default)]
    pub name: Option<String>,
    /// UDP socket address of the emulated ATM endpoint.
    pub bind: SocketAddr,
    /// ATM address (default from `bind`, as for the server).
    #[serde(default)]
    pub atm: Option<AtmAddress>,
    /// MARS table in order of preference (RFC 2022 §5.4).
    pub mars: Vec<AtmAddress>,
    /// Groups joined (client) or served (MCS) at start: `"224.1.2.3"` or a block
    /// `"224.1.0.0-224.1.0.255"` (client only).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Layer 3 protocol of the interface.
    #[serde(default = "ipv4")]
    pub protocol: Proto,
    /// Protocol address (`mar$spa`).
    #[serde(default)]
    pub protocol_address: Option<ProtoAddr>,
    /// Deliver own datagrams to a joined group locally too (client only).
    #[serde(default)]
    pub loopback: bool,
    /// Seed of the endpoint's RNG (random delays).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Largest AAL5 SDU for data.
    #[serde(default = "default_max_sdu")]
    pub max_sdu: usize,
    /// Datagrams held per group while its VC is set up.
    #[serde(default = "default_queue_limit")]
    pub queue_limit: usize,
    /// Most outgoing multipoint VCs.
    #[serde(default = "default_vc_limit")]
    pub max_out_vcs: usize,
    /// Most incoming VCs.
    #[serde(default = "default_vc_limit")]
    pub max_in_vcs: usize,
    /// RFC 2149 §5 "mcslist" (MCS only): the ordered ATM numbers of the MCSs that back up
    /// each other for this role's `groups`, identical at every MCS of the list and naming
    /// this MCS. The groups are served only while this MCS is the active one.
    #[serde(default)]
    pub mcslist: Vec<AtmAddress>,
    /// `[[mcs.lists]]` (MCS only, instead of `mcslist`): several RFC 2149 §5 mcslists, each
    /// for some of the role's `groups`, for an MCS first in one list and a backup in another
    /// ("it MUST register to support those groups for which it is the first MCS, and MUST NOT
    /// register for other groups", §5.4).
    #[serde(default)]
    pub lists: Vec<McsListConfig>,
    /// Timers of RFC 2022 Appendix E.
    #[serde(default)]
    pub timers: TimersConfig,
}

fn ipv4() -> Proto {
    Proto::Ipv4
}
fn default_queue_limit() -> usize {
    64
}
fn default_vc_limit() -> usize {
    4096
}

/// `[client.timers]` / `[mcs.timers]`: RFC 2022 Appendix E. Unset keys take the RFC
/// default divided by `scale`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimersConfig {
    /// Divide every RFC default by this (1: the RFC's minutes-scale values).
    pub scale: u32,
    /// Idle time of the VC to the MARS.
    pub mars_vc_idle: Option<Dur>,
    /// Idle time of outgoing multipoint VCs (`"off"`: never; client only).
    pub vc_idle: Option<OptDur>,
    /// Allowed time between MARS_MULTI parts.
    pub multi_part_timeout: Option<Dur>,
    /// Initial random L_MULTI_RQ/ADD retry range `[low, high]`.
    pub add_retry: Option<[Dur; 2]>,
    /// Random VC_revalidate delay range.
    pub revalidate_delay: Option<[Dur; 2]>,
    /// MARS_JOIN/LEAVE retransmit interval.
    pub join_leave_interval: Option<Dur>,
    /// MARS_JOIN/LEAVE retransmit limit.
    pub join_leave_limit: Option<u32>,
    /// Random re-registration delay range.
    pub reregister_delay: Option<[Dur; 2]>,
    /// Force-wait when re-registration loops.
    pub force_wait: Option<Dur>,
    /// MARS_REDIRECT_MAP silence that fails the MARS.
    pub redirect_map_miss_limit: Option<Dur>,
    /// MARS_REQUEST retransmit interval.
    pub request_interval: Option<Dur>,
    /// MARS_REQUEST retransmit limit.
    pub request_limit: Option<u32>,
    /// NAK hold-down range.
    pub nak_holddown: Option<[Dur; 2]>,
    /// Random re-join delay range after re-registration.
    pub rejoin_delay: Option<[Dur; 2]>,
    /// Re-registrations allowed within `force_wait` before the looping guard.
    pub loop_limit: Option<u32>,
    /// RFC 2149 §5 HelloInterval, whole seconds (MCS with `mcslist` only; default 3).
    pub hello_interval: Option<u16>,
    /// RFC 2149 §5 DeadFactor (MCS with `mcslist` only; default 3).
    pub dead_factor: Option<u16>,
}

impl Default for TimersConfig {
    fn default() -> Self {
        TimersConfig {
            scale: 1,
            mars_vc_idle: None,
            vc_idle: None,
            multi_part_timeout: None,
            add_retry: None,
            revalidate_delay: None,
            join_leave_interval: None,
            join_leave_limit: None,
            reregister_delay: None,
            force_wait: None,
            redirect_map_miss_limit: None,
            request_interval: None,
            request_limit: None,
            nak_holddown: None,
            rejoin_delay: None,
            hello_interval: None,
            dead_factor: None,
            loop_limit: None,
        }
    }
}

/// One configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Key path (`server.peers[1].address`), when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    /// `line 12, server.peers[1].address: message` (parts omitted when unknown).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.line, &self.key) {
            (Some(l), Some(k)) => write!(f, "line {l}, {k}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            (None, Some(k)) => write!(f, "{k}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl std::fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// Parse and check a configuration. `base` resolves relative `key_file` paths.
    pub fn parse(text: &str, base: Option<&Path>) -> Result<Config, ConfigErrors> {
        let cfg: Config = match toml::from_str(text) {
            Ok(c) => c,
            Err(e) => return Err(ConfigErrors(vec![spans::from_toml_error(text, &e)])),
        };
        let problems = check::check(&cfg, base);
        if problems.is_empty() {
            Ok(cfg)
        } else {
            let lines = spans::Locator::new(text);
            Err(ConfigErrors(
                problems.into_iter().map(|p| lines.locate(p)).collect(),
            ))
        }
    }

    /// Read, parse and check `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors(vec![ConfigError {
                line: None,
                key: None,
                message: format!("{}: {e}", path.display()),
            }])
        })?;
        Config::parse(&text, path.parent())
    }

    /// The embedded default: one MARS server on `127.0.0.1:2443`, control socket under
    /// `$XDG_RUNTIME_DIR` (else `/tmp`).
    pub fn embedded_default() -> Config {
        let mut c = Config::parse(DEFAULT_CONFIG, None).unwrap_or_default();
        c.daemon.control_socket = user_socket_path();
        c
    }

    /// The role names, in the order roles are started (server, clients, MCSs).
    pub fn role_names(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(s) = &self.server {
            v.push(s.name.clone());
        }
        for (i, c) in self.client.iter().enumerate() {
            v.push(member_name(c, "client", i));
        }
        for (i, m) in self.mcs.iter().enumerate() {
            v.push(member_name(m, "mcs", i));
        }
        v
    }
}

/// The name of client or MCS `i` (`kind-N`, 1-based, unless named).
pub fn member_name(m: &MemberRole, kind: &str, i: usize) -> String {
    m.name
        .clone()
        .unwrap_or_else(|| format!("{kind}-{}", i + 1))
}

/// The control socket used without a configuration: `$XDG_RUNTIME_DIR/marsd.sock`, else
/// `/tmp/marsd.sock`.
pub fn user_socket_path() -> PathBuf {
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d).join("marsd.sock"),
        _ => PathBuf::from("/tmp/marsd.sock"),
    }
}

/// The configuration `marsd` runs with when given none.
pub const DEFAULT_CONFIG: &str = r#"# marsd's embedded default: one MARS server on the loopback address.
[server]
name = "server"
bind = "127.0.0.1:2443"
"#;
