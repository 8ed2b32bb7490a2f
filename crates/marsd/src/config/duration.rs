//! Durations in the configuration: a number and a unit, `"250ms"`, `"3s"`, `"20m"`, `"1h"`.
//!
//! Days (`"30d"`) serve key lifetimes. Every timer of the configuration is written this way, so that no key needs its unit in its
//! name and no reader has to guess whether `10` means seconds or milliseconds. Fractions are
//! allowed (`"1.5s"`). `"off"` is accepted only where a key documents it (an optional timer).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A configured duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub Duration);

/// A configured duration that may be `"off"` (no timer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OptDur(pub Option<Duration>);

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a duration: expected a number and a unit (ms, s, m, h, d), e.g. \"250ms\", \"3s\", \"20m\""
)]
pub struct DurationError;

/// Parse `"250ms"`, `"3s"`, `"1.5s"`, `"20m"`, `"1h"`.
pub fn parse(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or(DurationError)?;
    let (num, unit) = s.split_at(split);
    let unit_secs = match unit.trim() {
        "ms" => 0.001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(DurationError),
    };
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(DurationError);
    }
    let n: f64 = num.parse().map_err(|_| DurationError)?;
    let secs = n * unit_secs;
    if !secs.is_finite() || secs > 10.0 * 365.0 * 86_400.0 {
        return Err(DurationError);
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The text form: the largest unit that expresses the value exactly.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 && !d.is_zero() {
        return format!("{}ms", d.as_secs_f64() * 1000.0);
    }
    if ms.checked_rem(3_600_000) == Some(0) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.checked_rem(60_000) == Some(0) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.checked_rem(1000) == Some(0) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format(self.0))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse(&s).map(Dur).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OptDur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.trim() == "off" {
            return Ok(OptDur(None));
        }
        parse(&s)
            .map(|d| OptDur(Some(d)))
            .map_err(|_| serde::de::Error::custom("not a duration: expected \"off\" or a number and a unit (ms, s, m, h, d), e.g. \"30s\""))
    }
}

impl Serialize for OptDur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(d) => s.collect_str(&Dur(d)),
            None => s.serialize_str("off"),
        }
    }
}

impl From<Duration> for Dur {
    fn from(d: Duration) -> Self {
        Dur(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_fractions() {
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse(" 2 s "), Ok(Duration::from_secs(2)));
        for bad in ["", "3", "s", "3x", "-1s", ".5s", "1.s", "1e9h", "99999999h"] {
            assert_eq!(parse(bad), Err(DurationError), "{bad}");
        }
    }

    #[test]
    fn format_round_trips() {
        for s in ["250ms", "3s", "20m", "1h", "0s", "1500ms"] {
            assert_eq!(format(parse(s).unwrap()), s);
        }
    }
}
