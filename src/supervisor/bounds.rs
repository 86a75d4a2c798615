//! Numbers that people and agents give, checked when they are parsed: durations in
//! seconds and bounded counts. Both front ends parse into these types (clap through
//! `FromStr`, MCP through serde), so a value out of range (`inf`, `NaN`, `1e30`, `-1`)
//! is refused with the same words before any work, and nothing later can panic on it.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

/// A duration in seconds: finite, from 0 to [`Seconds::MAX`] (a day), fractions allowed.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Seconds(Duration);

impl Seconds {
    /// The longest duration accepted, in seconds.
    pub const MAX: f64 = 86_400.0;

    /// Errors: a value that is not a finite number of seconds from 0 to [`Seconds::MAX`].
    pub fn new(secs: f64) -> Result<Seconds, String> {
        if secs.is_finite() && (0.0..=Self::MAX).contains(&secs) {
            Ok(Seconds(Duration::from_secs_f64(secs)))
        } else {
            Err(format!("{secs} is not a number of seconds from 0 to {}", Self::MAX))
        }
    }

    /// Errors: as [`Seconds::new`], and 0.
    pub fn positive(secs: f64) -> Result<Seconds, String> {
        match Seconds::new(secs)? {
            s if s.0.is_zero() => Err("0 seconds is too short: give more than 0".into()),
            s => Ok(s),
        }
    }

    pub const fn from_duration(d: Duration) -> Seconds {
        Seconds(d)
    }

    pub fn duration(self) -> Duration {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl From<Seconds> for Duration {
    fn from(s: Seconds) -> Duration {
        s.0
    }
}

impl std::fmt::Display for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.as_secs_f64())
    }
}

impl FromStr for Seconds {
    type Err = String;
    fn from_str(s: &str) -> Result<Seconds, String> {
        let v: f64 = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a number of seconds"))?;
        Seconds::new(v).map_err(|_| format!("{s} is not a number of seconds from 0 to {}", Self::MAX))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Seconds, D::Error> {
        Seconds::new(f64::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Seconds {
    fn schema_name() -> Cow<'static, str> {
        "Seconds".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number" })
    }
    fn inline_schema() -> bool {
        true
    }
}

/// A count from `MIN` to `MAX` (lines, a page size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count<const MIN: usize, const MAX: usize>(usize);

impl<const MIN: usize, const MAX: usize> Count<MIN, MAX> {
    /// Errors: a count outside `MIN..=MAX`.
    pub fn new(n: usize) -> Result<Self, String> {
        if (MIN..=MAX).contains(&n) {
            Ok(Count(n))
        } else {
            Err(format!("{n} is out of range: give {MIN} to {MAX}"))
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl<const MIN: usize, const MAX: usize> FromStr for Count<MIN, MAX> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let n: usize = s
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not a whole number from {MIN} to {MAX}"))?;
        Count::new(n)
    }
}

impl<'de, const MIN: usize, const MAX: usize> Deserialize<'de> for Count<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        let n = usize::try_from(n).map_err(|_| serde::de::Error::custom(format!("{n} is too large")))?;
        Count::new(n).map_err(serde::de::Error::custom)
    }
}

impl<const MIN: usize, const MAX: usize> JsonSchema for Count<MIN, MAX> {
    fn schema_name() -> Cow<'static, str> {
        "Count".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer" })
    }
    fn inline_schema() -> bool {
        true
    }
}

impl<const MIN: usize, const MAX: usize> std::fmt::Display for Count<MIN, MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_refuse_what_is_no_duration() {
        for bad in ["inf", "NaN", "-1", "1e30", "86401", "x", ""] {
            assert!(bad.parse::<Seconds>().is_err(), "{bad}");
        }
        assert_eq!(
            "1.5".parse::<Seconds>().map(Seconds::duration),
            Ok(Duration::from_millis(1500))
        );
        assert_eq!("0".parse::<Seconds>().map(Seconds::duration), Ok(Duration::ZERO));
        assert!(Seconds::positive(0.0).is_err());
        assert!(serde_json::from_str::<Seconds>("1e30").is_err());
        assert!(serde_json::from_str::<Seconds>("-0.5").is_err());
        assert!(serde_json::from_str::<Seconds>("2").is_ok());
    }

    #[test]
    fn counts_stay_in_their_range() {
        type Lines = Count<1, 5000>;
        assert!("0".parse::<Lines>().is_err());
        assert!("5001".parse::<Lines>().is_err());
        assert_eq!("20".parse::<Lines>().map(Lines::get), Ok(20));
        assert!(serde_json::from_str::<Lines>("-3").is_err());
        assert!(serde_json::from_str::<Lines>("18446744073709551615").is_err());
    }
}
