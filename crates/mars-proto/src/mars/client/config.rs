//! Configuration of a MARS client or MCS endpoint: addresses, the MARS table, the timers of
//! RFC 2022 Appendix E, and resource bounds.

use std::time::Duration;

use mars_wire::{AtmAddress, ProtoAddr, Protocol};

use crate::vc::DEFAULT_MAX_SDU;

/// The timers and limits of RFC 2022 Appendix E ("Summary of timer values"), with the RFC's
/// recommended values as defaults. Ranges `(lo, hi)` are drawn uniformly from the endpoint's
/// seeded RNG. The MIB names (RFC 2417 `marsClientEntry`) are given where one exists.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimerConfig {
    /// Idle time for the MARS – client point-to-point VC, `[1 min, 20 min, -]` (§5).
    pub mars_vc_idle: Duration,
    /// Idle time for multipoint VCs from the client, `[1 min, 20 min, -]` (§5.1.3;
    /// `marsClientIdleTimer`). `None`: never (an MCS keeps its VCs up, RFC 2149 §4.3).
    pub vc_idle: Option<Duration>,
    /// Allowed time between MARS_MULTI components, `[-, -, 10 sec]` (§5.1.1;
    /// `marsClientFailureTimer`).
    pub multi_part_timeout: Duration,
    /// Initial random L_MULTI_RQ/ADD retransmit range, `[5 sec, -, 10 sec]` (§5.1.3;
    /// `marsClientRdmMulReqAddRetrTimer`); doubled after each further failure.
    pub add_retry: (Duration, Duration),
    /// Random time to set VC_revalidate, `[1 sec, -, 10 sec]` (§5.1.5;
    /// `marsClientRdmVcRevalidateTimer`).
    pub revalidate_delay: (Duration, Duration),
    /// MARS_JOIN/LEAVE retransmit interval, `[5 sec, 10 sec, -]` (§5.2.2;
    /// `marsClientJoinLeaveRetrInterval`).
    pub join_leave_interval: Duration,
    /// MARS_JOIN/LEAVE retransmit limit, `[-, -, 5]` (§5.2.2; `marsClientJoinLeaveRetrLimit`).
    pub join_leave_limit: u32,
    /// Random time to re-register with the MARS, `[1 sec, -, 10 sec]` (§5.4.1;
    /// `marsClientRegWithMarsRdmTimer`).
    pub reregister_delay: (Duration, Duration),
    /// Force wait if MARS re-registration is looping, `[1 min, -, -]` (§5.4.1, §5.4.2;
    /// `marsClientForceWaitTimer`).
    pub force_wait: Duration,
    /// Limit for the client to miss MARS_REDIRECT_MAPs, `[-, -, 4 min]` (§5.4;
    /// `marsClientLmtToMissRedirMapTimer`).
    pub redirect_map_miss_limit: Duration,
    /// MARS_REQUEST retransmit interval when nothing comes back (not in Appendix E: the
    /// JOIN/LEAVE interval is used).
    pub request_interval: Duration,
    /// MARS_REQUEST retransmit limit; exceeding it is a MARS failure (§5.4 "MARS_REQUESTs
    /// fail").
    pub request_limit: u32,
    /// Hold-down after a MARS_NAK or a MARS_MULTI naming only this endpoint, "no less than
    /// 5 seconds and no more than 10 seconds" (§5.1.1).
    pub nak_holddown: (Duration, Duration),
    /// Random delay before each re-join after re-registration, recommended 1–10 s (§5.4.1).
    pub rejoin_delay: (Duration, Duration),
    /// Re-registrations (after faults or redirects) allowed within `force_wait` before the
    /// looping guard makes the next one wait `force_wait` (Appendix E).
    pub loop_limit: u32,
}

impl Default for TimerConfig {
    fn default() -> Self {
        let s = Duration::from_secs;
        TimerConfig {
            mars_vc_idle: s(20 * 60),
            vc_idle: Some(s(20 * 60)),
            multi_part_timeout: s(10),
            add_retry: (s(5), s(10)),
            revalidate_delay: (s(1), s(10)),
            join_leave_interval: s(10),
            join_leave_limit: 5,
            reregister_delay: (s(1), s(10)),
            force_wait: s(60),
            redirect_map_miss_limit: s(4 * 60),
            request_interval: s(10),
            request_limit: 5,
            nak_holddown: (s(5), s(10)),
            rejoin_delay: (s(1), s(10)),
            loop_limit: 3,
        }
    }
}

impl TimerConfig {
    /// Every timer divided by `factor` (counts and limits unchanged): for tests and demos
    /// that want the RFC's proportions in less time.
    pub fn scaled_down(factor: u32) -> Self {
        let f = factor.max(1);
        let d = TimerConfig::default();
        let r = |(a, b): (Duration, Duration)| (a / f, b / f);
        TimerConfig {
            mars_vc_idle: d.mars_vc_idle / f,
            vc_idle: d.vc_idle.map(|v| v / f),
            multi_part_timeout: d.multi_part_timeout / f,
            add_retry: r(d.add_retry),
            revalidate_delay: r(d.revalidate_delay),
            join_leave_interval: d.join_leave_interval / f,
            join_leave_limit: d.join_leave_limit,
            reregister_delay: r(d.reregister_delay),
            force_wait: d.force_wait / f,
            redirect_map_miss_limit: d.redirect_map_miss_limit / f,
            request_interval: d.request_interval / f,
            request_limit: d.request_limit,
            nak_holddown: r(d.nak_holddown),
            rejoin_delay: r(d.rejoin_delay),
            loop_limit: d.loop_limit,
        }
    }
}

/// Configuration shared by the MARS client and the MCS: one logical "layer 3 over ATM"
/// interface (§5: "each with its own configured MARS (or table of MARSs)").
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// This endpoint's ATM address (the source of every message it sends, §5.2.3).
    pub address: AtmAddress,
    /// This endpoint's protocol address (`mar$spa`); may be null (§5.2.3).
    pub protocol_address: ProtoAddr,
    /// The layer 3 protocol of this interface (`mar$pro`, §4.3.2); one cluster.
    pub protocol: Protocol,
    /// The MARS table, in descending order of preference (§5.4); at least one entry.
    pub mars: Vec<AtmAddress>,
    /// Timers and limits (Appendix E).
    pub timers: TimerConfig,
    /// Seed of the endpoint's RNG (random delays of §5.1.3, §5.1.5, §5.4.1).
    pub seed: u64,
    /// Largest AAL5 SDU (LLC/SNAP header included) sent or accepted for data.
    pub max_sdu: usize,
    /// Datagrams held per group while its VC is being set up (§5.1.3); more are dropped.
    pub queue_limit: usize,
    /// Most outgoing multipoint VCs (groups being sent to) at once.
    pub max_out_vcs: usize,
    /// Most incoming VCs (leaf ends) accepted at once; further calls are refused (#47).
    pub max_in_vcs: usize,
    /// Most ATM addresses accepted in one reassembled MARS_MULTI or MARS_REDIRECT_MAP.
    pub max_targets: usize,
    /// Most events held for [`poll_event`](super::MarsClient::poll_event); more are counted
    /// and dropped.
    pub max_events: usize,
    /// First local VC id this engine uses.
    pub vc_id_base: u64,
    /// Deliver a datagram sent to a group this endpoint has joined to the local API too
    /// (the IP_MULTICAST_LOOP behaviour); the network never returns it (§5.5.1).
    pub loopback: bool,
}

impl EndpointConfig {
    /// An endpoint at `address` using the MARS table `mars`, IPv4, RFC default timers.
    pub fn new(address: AtmAddress, mars: Vec<AtmAddress>) -> Self {
        EndpointConfig {
            address,
            protocol_address: ProtoAddr::NULL,
            protocol: Protocol::IPV4,
            mars,
            timers: TimerConfig::default(),
            seed: 0,
            max_sdu: DEFAULT_MAX_SDU,
            queue_limit: 64,
            max_out_vcs: 4096,
            max_in_vcs: 4096,
            max_targets: 16_384,
            max_events: 65_536,
            vc_id_base: 1,
            loopback: false,
        }
    }
}

/// The client's configuration is the shared endpoint configuration.
pub type ClientConfig = EndpointConfig;
