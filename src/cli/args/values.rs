//! Parsers of flag values shared by several commands: durations in seconds, and
//! process states in any case.

use crate::supervisor::ProcessState;
use crate::supervisor::bounds::Seconds;

/// A duration in seconds that must be more than 0.
pub(super) fn positive_seconds(s: &str) -> Result<Seconds, String> {
    let v: Seconds = s.parse()?;
    Seconds::positive(v.as_secs_f64())
}

/// A period of 0 (off) or at least 1 second.
pub(super) fn refresh_seconds(s: &str) -> Result<Seconds, String> {
    let v: Seconds = s.parse()?;
    match v.as_secs_f64() {
        x if x == 0.0 || x >= 1.0 => Ok(v),
        x => Err(format!("{x} s is too short: give 0 (off) or at least 1 second")),
    }
}

/// Process states on the command line, in any case (`running`, `FATAL`).
impl clap::ValueEnum for ProcessState {
    fn value_variants<'a>() -> &'a [Self] {
        &ProcessState::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}
