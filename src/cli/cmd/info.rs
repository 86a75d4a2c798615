//! `info` (the daemon's identity beside this build's: [`version`]), `version` and
//! `diagnose`.

use crate::cli::exit::ExitStatus;
use crate::cli::output::Printer;
use crate::cli::version;
use crate::supervisor::Client;
use crate::supervisor::ops::{diagnose, info};
use anyhow::Result;

/// `diagnose NAME [-n LINES] [--cpu-sample [MS]]`.
pub async fn cmd_diagnose(
    c: &Client,
    p: Printer,
    name: &str,
    lines: usize,
    sample_ms: Option<usize>,
) -> Result<ExitStatus> {
    let sample = sample_ms.map(|ms| std::time::Duration::from_millis(ms as u64));
    let d = diagnose::diagnose(c, name, lines.clamp(1, 1000), sample).await?;
    if p.json {
        p.json(&d)?;
    } else {
        p.line(d.summary().trim_end())?;
    }
    Ok(ExitStatus::Success)
}

pub async fn cmd_info(c: &Client, p: Printer) -> Result<ExitStatus> {
    let i = info::info(c).await?;
    if p.json {
        let mut v = serde_json::to_value(&i)?;
        if let Some(o) = v.as_object_mut() {
            o.insert("client".into(), serde_json::to_value(version::BUILD)?);
        }
        p.json(&v)?;
    } else {
        p.pairs(&[
            ("server", i.server_url.clone()),
            ("state", i.state.to_string()),
            ("supervisor", i.supervisor_version.clone()),
            ("api", i.api_version.clone()),
            ("identification", i.identification.clone()),
            ("pid", i.pid.to_string()),
            ("client", format!("supervisord-mcp {}", version::LONG)),
        ])?;
    }
    Ok(ExitStatus::Success)
}

pub async fn cmd_version(c: &Client, p: Printer) -> Result<ExitStatus> {
    let v = c.get_supervisor_version().await?;
    if p.json {
        p.json(&serde_json::json!({"supervisor": v, "supervisord_mcp": version::VERSION}))?;
    } else {
        p.line(&crate::supervisor::text::escape(&v))?;
    }
    Ok(ExitStatus::Success)
}
