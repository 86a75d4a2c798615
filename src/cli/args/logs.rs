//! Arguments of `logs`: how many lines, which channel, and the filters.

use crate::supervisor::bounds::Count;
use clap::Args;

/// `--max-bytes`: a byte count of at least [`MIN_MAX_BYTES`](crate::supervisor::ops::logs::MIN_MAX_BYTES).
fn parse_max_bytes(s: &str) -> Result<u64, String> {
    let min = crate::supervisor::ops::logs::MIN_MAX_BYTES;
    match s.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        Ok(n) => Err(format!(
            "{n} bytes is too small to find lines in: use at least {min} (the default is {})",
            crate::supervisor::ops::logs::DEFAULT_MAX_BYTES
        )),
        Err(_) => Err(format!("{s:?} is not a byte count: use a whole number such as 65536")),
    }
}

/// `logs NAME [--lines N] [--stderr] [-f]`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Process namespec (name or group:name)
    pub name: String,
    /// Number of lines (lines, not bytes; 1 to 100000)
    #[arg(short = 'n', long, default_value = "20")]
    pub lines: Count<1, 100_000>,
    /// Read stderr instead of stdout
    #[arg(long, conflicts_with = "both")]
    pub stderr: bool,
    /// Read stdout, then stderr
    #[arg(long)]
    pub both: bool,
    /// Keep following new lines, across rotation and truncation (Ctrl-C to stop)
    #[arg(short = 'f', long, conflicts_with = "both")]
    pub follow: bool,
    /// Keep ANSI escapes, `\r` and control characters as written
    #[arg(long)]
    pub raw: bool,
    /// Most bytes to read to find the lines (at least 1024)
    #[arg(long, value_name = "BYTES", default_value_t = crate::supervisor::ops::logs::DEFAULT_MAX_BYTES, value_parser = parse_max_bytes)]
    pub max_bytes: u64,
    /// Only lines matching this regex
    #[arg(long, value_name = "REGEX")]
    pub grep: Option<String>,
    /// Lines of context around --grep matches (0 to 1000)
    #[arg(short = 'C', long, default_value = "0")]
    pub context: Count<0, 1000>,
    /// Only lines of this level or above: debug, info, warn, error, fatal (JSON fields
    /// of pino, bunyan, winston, structlog; or a level word in plain text)
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<String>,
    /// Only lines of exactly this level
    #[arg(long, value_name = "LEVEL")]
    pub level: Option<String>,
    /// Only JSON lines where FIELD=VALUE, FIELD~=REGEX, or FIELD exists (repeatable;
    /// dotted paths such as req.path)
    #[arg(long = "where", value_name = "COND")]
    pub wheres: Vec<String>,
    /// Only JSON lines whose timestamp field (time, timestamp, ts) is at or after
    /// this time (ISO 8601, or epoch seconds)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}
