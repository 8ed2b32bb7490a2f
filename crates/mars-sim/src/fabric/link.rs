//! Link properties between endpoints: latency, jitter, loss and bandwidth.

use std::collections::HashMap;
use std::time::Duration;

use super::EndpointId;

/// How one direction of the path between two endpoints behaves.
///
/// Loss applies to SDUs only: signalling is reliable, as Q.2931 over SSCOP is. Jitter and
/// bandwidth never reorder SDUs within a VC (see [`crate::fabric`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkConfig {
    /// One-way propagation delay, for SDUs and signalling messages alike.
    pub latency: Duration,
    /// Extra delay drawn uniformly from `0..=jitter` for each SDU.
    pub jitter: Duration,
    /// Probability in `0.0..=1.0` that an SDU is lost.
    pub loss: f64,
    /// The VC's peak rate in bits per second: each SDU occupies its VC for `8 * len / rate`
    /// before it starts propagating. `None` means infinitely fast.
    pub bandwidth: Option<u64>,
}

impl Default for LinkConfig {
    /// 1 ms latency, no jitter, no loss, infinite bandwidth.
    fn default() -> Self {
        LinkConfig {
            latency: Duration::from_millis(1),
            jitter: Duration::ZERO,
            loss: 0.0,
            bandwidth: None,
        }
    }
}

impl LinkConfig {
    /// A lossless link with `latency` and nothing else.
    pub fn with_latency(latency: Duration) -> Self {
        LinkConfig {
            latency,
            ..LinkConfig::default()
        }
    }

    /// The time an SDU of `len` octets occupies the VC.
    pub(crate) fn serialisation(&self, len: usize) -> Duration {
        match self.bandwidth {
            None | Some(0) => Duration::ZERO,
            Some(bps) => {
                let nanos = (len as u128 * 8 * 1_000_000_000).div_ceil(u128::from(bps));
                Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
            }
        }
    }
}

/// A default link plus per-direction overrides.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub(crate) default: LinkConfig,
    overrides: HashMap<(EndpointId, EndpointId), LinkConfig>,
}

impl Links {
    pub(crate) fn new(default: LinkConfig) -> Self {
        Links {
            default,
            overrides: HashMap::new(),
        }
    }

    /// The link from `from` to `to`.
    pub(crate) fn get(&self, from: EndpointId, to: EndpointId) -> &LinkConfig {
        if self.overrides.is_empty() {
            return &self.default;
        }
        self.overrides.get(&(from, to)).unwrap_or(&self.default)
    }

    pub(crate) fn set(&mut self, from: EndpointId, to: EndpointId, cfg: LinkConfig) {
        self.overrides.insert((from, to), cfg);
    }

    pub(crate) fn clear(&mut self, from: EndpointId, to: EndpointId) {
        self.overrides.remove(&(from, to));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialisation_delay() {
        let l = LinkConfig {
            bandwidth: Some(155_520_000),
            ..LinkConfig::default()
        };
        // 9188 octets at OC-3: about 472.6 us, rounded up to the nanosecond.
        assert_eq!(l.serialisation(9188), Duration::from_nanos(472_634));
        assert_eq!(LinkConfig::default().serialisation(9188), Duration::ZERO);
    }

    #[test]
    fn overrides_are_per_direction() {
        let mut links = Links::new(LinkConfig::default());
        let (a, b) = (EndpointId(0), EndpointId(1));
        links.set(a, b, LinkConfig::with_latency(Duration::from_millis(7)));
        assert_eq!(links.get(a, b).latency, Duration::from_millis(7));
        assert_eq!(links.get(b, a).latency, Duration::from_millis(1));
        links.clear(a, b);
        assert_eq!(links.get(a, b).latency, Duration::from_millis(1));
    }
}
