//! A scrape as metric families, written by `prometheus-client`: OpenMetrics text
//! when the scraper asks for it (Prometheus does), else the Prometheus text format
//! 0.0.4 (`curl`, `promtool check metrics`). Names follow Prometheus' conventions:
//! base units in names (`_seconds`, `_bytes`), `_total` on counters (added by the
//! encoder), labels `target`, `group`, `name`; a state as a state set (one series per
//! state, 1 for the current one). Label values are the daemon's text, escaped by the
//! encoder.

use super::scrape::{Daemon, Scrape, kind};
use crate::supervisor::ProcessState;
use crate::supervisor::types::SupervisorState;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::Arc;

type Labels = Vec<(&'static str, String)>;

/// The scrape as a collector of const metrics.
#[derive(Debug)]
struct View(Arc<Scrape>);

/// Every process state, in a fixed order (the state set's series).
const PROCESS_STATES: [ProcessState; 8] = [
    ProcessState::Stopped,
    ProcessState::Starting,
    ProcessState::Running,
    ProcessState::Backoff,
    ProcessState::Stopping,
    ProcessState::Exited,
    ProcessState::Fatal,
    ProcessState::Unknown,
];

const DAEMON_STATES: [SupervisorState; 4] = [
    SupervisorState::Fatal,
    SupervisorState::Running,
    SupervisorState::Restarting,
    SupervisorState::Shutdown,
];

/// The scrape written in OpenMetrics text (`openmetrics`) or the Prometheus text
/// format.
pub fn render(scrape: Arc<Scrape>, openmetrics: bool) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(View(scrape)));
    let mut out = String::new();
    let written = if openmetrics {
        prometheus_client::encoding::text::encode(&mut out, &registry)
    } else {
        prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
    };
    if written.is_err() {
        tracing::error!("cannot write the metrics");
    }
    out
}

/// The content type of [`render`]'s text.
pub fn content_type(openmetrics: bool) -> &'static str {
    if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        prometheus_client::encoding::prometheus_text::CONTENT_TYPE
    }
}

fn target(t: &str) -> Labels {
    vec![("target", t.to_owned())]
}

/// `target`, `group` and `name` (the process's own name, without its group).
fn process(t: &str, p: &crate::supervisor::ops::status::ProcessStatus) -> Labels {
    let name = p.name.rsplit(':').next().unwrap_or(&p.name).to_owned();
    vec![("target", t.to_owned()), ("group", p.group.clone()), ("name", name)]
}

/// One family: its descriptor, then each series as `f` writes it.
fn family(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: MetricType,
    series: Vec<(Labels, f64)>,
) -> Result<(), std::fmt::Error> {
    if series.is_empty() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for (labels, v) in &series {
        let e = m.encode_family(labels)?;
        // Whole numbers as integers (`1`, not `1.0`).
        let whole = v.fract() == 0.0 && v.abs() < 9.0e15;
        match (kind, whole) {
            (MetricType::Counter, true) => ConstCounter::new(*v as u64).encode(e)?,
            (MetricType::Counter, false) => ConstCounter::new(*v).encode(e)?,
            (_, true) => ConstGauge::new(*v as i64).encode(e)?,
            (_, false) => ConstGauge::new(*v).encode(e)?,
        }
    }
    Ok(())
}

impl Collector for View {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        let mut up = Vec::new();
        let mut took = Vec::new();
        let mut asked = Vec::new();
        let mut errors = Vec::new();
        for o in &s.targets {
            up.push((target(&o.target), f64::from(u8::from(o.result.is_ok()))));
            took.push((target(&o.target), o.elapsed.as_secs_f64()));
            asked.push((target(&o.target), s.asked_at_s));
            if let Err(e) = &o.result {
                let mut l = target(&o.target);
                l.push(("kind", kind(e).to_owned()));
                errors.push((l, 1.0));
            }
        }
        let gauge = MetricType::Gauge;
        family(
            &mut enc,
            "supervisord_up",
            "Whether the target answered this scrape (1) or not (0).",
            gauge,
            up,
        )?;
        family(
            &mut enc,
            "supervisord_scrape_duration_seconds",
            "How long asking the target took.",
            gauge,
            took,
        )?;
        family(
            &mut enc,
            "supervisord_scrape_timestamp_seconds",
            "When the fan-out that asked the target started (Unix time): the answer's age is time() minus this.",
            gauge,
            asked,
        )?;
        family(
            &mut enc,
            "supervisord_scrape_error",
            "Why the target did not answer: 1 for the error's kind.",
            gauge,
            errors,
        )?;
        let daemons: Vec<(&str, &Daemon)> = s
            .targets
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|d| (o.target.as_str(), d)))
            .collect();
        daemon_families(&mut enc, &daemons)?;
        process_families(&mut enc, &daemons)?;
        counter_families(&mut enc, s, &daemons)
    }
}

/// supervisord's state (a state set) and version (an info).
fn daemon_families(enc: &mut DescriptorEncoder, daemons: &[(&str, &Daemon)]) -> Result<(), std::fmt::Error> {
    let mut states = Vec::new();
    for (t, d) in daemons {
        for s in DAEMON_STATES {
            let mut l = target(t);
            l.push(("state", s.to_string()));
            states.push((l, f64::from(u8::from(d.info.state == s))));
        }
    }
    family(
        enc,
        "supervisord_state",
        "supervisord's own state: 1 for the current one.",
        MetricType::Gauge,
        states,
    )?;
    if daemons.is_empty() {
        return Ok(());
    }
    let mut m = enc.encode_descriptor("supervisord_build", "supervisord's version.", None, MetricType::Info)?;
    for (t, d) in daemons {
        let version = vec![("version", d.info.supervisor_version.clone())];
        Info::new(version).encode(m.encode_family(&target(t))?)?;
    }
    Ok(())
}

/// Per process: state set, start time, uptime, pid, last exit status, CPU, memory.
fn process_families(enc: &mut DescriptorEncoder, daemons: &[(&str, &Daemon)]) -> Result<(), std::fmt::Error> {
    let (mut state, mut start, mut uptime, mut pid, mut exit, mut cpu, mut rss) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (t, d) in daemons {
        for p in &d.processes {
            let l = process(t, p);
            for s in PROCESS_STATES {
                let mut ls = l.clone();
                ls.push(("state", s.to_string()));
                state.push((ls, f64::from(u8::from(p.state == s))));
            }
            start.push((l.clone(), p.start as f64));
            uptime.push((l.clone(), p.uptime_secs.unwrap_or(0) as f64));
            pid.push((l.clone(), p.pid as f64));
            exit.push((l.clone(), p.exitstatus as f64));
            if let Some((secs, bytes)) = d.usage.as_ref().and_then(|u| u.get(&p.pid)) {
                cpu.push((l.clone(), *secs));
                rss.push((l, *bytes as f64));
            }
        }
    }
    let g = MetricType::Gauge;
    family(
        enc,
        "supervisord_process_state",
        "The process's state: 1 for the current one.",
        g,
        state,
    )?;
    family(
        enc,
        "supervisord_process_start_time_seconds",
        "When the process last started (Unix time; 0: never).",
        g,
        start,
    )?;
    family(
        enc,
        "supervisord_process_uptime_seconds",
        "How long the process has been RUNNING (0 otherwise).",
        g,
        uptime,
    )?;
    family(
        enc,
        "supervisord_process_pid",
        "The process's pid (0 when not running).",
        g,
        pid,
    )?;
    family(
        enc,
        "supervisord_process_exit_status",
        "The exit status of the process's last exit.",
        g,
        exit,
    )?;
    family(
        enc,
        "supervisord_process_cpu_seconds",
        "CPU time used by the process tree (daemon on this host).",
        MetricType::Counter,
        cpu,
    )?;
    family(
        enc,
        "supervisord_process_resident_memory_bytes",
        "Resident memory of the process tree (daemon on this host).",
        g,
        rss,
    )
}

/// Starts and unexpected exits, counted since this server began counting.
fn counter_families(
    enc: &mut DescriptorEncoder,
    s: &Scrape,
    daemons: &[(&str, &Daemon)],
) -> Result<(), std::fmt::Error> {
    let (mut starts, mut crashes) = (Vec::new(), Vec::new());
    for (t, d) in daemons {
        let Some(counts) = s.counters.get(*t) else { continue };
        for p in &d.processes {
            let (n, c) = counts.get(&p.name).copied().unwrap_or_default();
            starts.push((process(t, p), n as f64));
            if d.journal {
                crashes.push((process(t, p), c as f64));
            }
        }
    }
    family(
        enc,
        "supervisord_process_restarts",
        "Starts of the process seen since this server began counting (from the event journal, else start times seen).",
        MetricType::Counter,
        starts,
    )?;
    family(
        enc,
        "supervisord_process_unexpected_exits",
        "Exits with a status not in exitcodes since this server began counting (event journal only).",
        MetricType::Counter,
        crashes,
    )
}
