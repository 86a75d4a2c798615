//! Times of the journal: UTC, milliseconds since the epoch, written as RFC 3339
//! (`2026-01-02T03:04:05.678Z`); and the `--since`/`--until` values people give (a
//! duration back from now, or a UTC time).

use crate::supervisor::error::{Error, Result};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in ms since the epoch.
pub fn now_ms() -> i64 {
    ms_of(SystemTime::now())
}

/// `t` in ms since the epoch (0 before it).
pub fn ms_of(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `ms` since the epoch as RFC 3339 UTC with milliseconds.
pub fn format_ms(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_millis(t).to_string()
}

/// An RFC 3339 time (with `Z`, or without a zone: UTC) in ms since the epoch.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z')).ok().map(ms_of)
}

/// A `--since`/`--until` value as ms since the epoch, relative to `now_ms`: a
/// duration back from now (`90s`, `10m`, `2h`, `1day`), a UTC time
/// (`2026-01-02T03:04:05Z`, `2026-01-02 03:04`), or a UTC day (`2026-01-02`).
/// Errors ([`Error::Invalid`]): anything else.
pub fn parse_when(s: &str, now_ms: i64) -> Result<i64> {
    let s = s.trim();
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok(now_ms.saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)));
    }
    let full = match s.len() {
        10 => format!("{s}T00:00:00"),
        16 => format!("{s}:00"),
        _ => s.to_owned(),
    };
    parse_rfc3339(&full).ok_or_else(|| {
        Error::Invalid(format!(
            "{s:?} is neither a duration (10m, 2h, 1day) nor a UTC time (2026-01-02T03:04:05Z, 2026-01-02 03:04, 2026-01-02)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_and_people_may_write_them_loosely() {
        let ms = 1_767_323_045_678;
        assert_eq!(format_ms(ms), "2026-01-02T03:04:05.678Z");
        assert_eq!(parse_rfc3339("2026-01-02T03:04:05.678Z"), Some(ms));
        let now = ms + 3_600_000;
        assert_eq!(parse_when("1h", now).ok(), Some(ms));
        assert_eq!(parse_when("2026-01-02 03:04", now).ok(), Some(ms - 5_678));
        assert_eq!(parse_when("2026-01-02", now).ok(), Some(ms - 11_045_678));
        assert!(parse_when("yesterday-ish", now).is_err());
    }
}
