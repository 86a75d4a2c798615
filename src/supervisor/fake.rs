//! A scripted fake Supervisord for unit tests of the operations and the MCP handlers:
//! an in-process XML-RPC server on loopback whose processes start from the replies
//! recorded from a real daemon (`fixtures/xmlrpc/`), and whose state changes the way
//! supervisord's does (start, stop, a crash before `startsecs`, logs, reloads). It
//! counts every call, so a test can say how much daemon work an operation costs.
//! Behaviour that only a real daemon shows is tested against one, in `tests/`.
//! This module is the daemon's model and its answers; the recorded processes are
//! seeded in `seed`, the HTTP server is in `server`.

mod seed;
mod server;

pub use server::{FakeDaemon, nowhere};

use crate::supervisor::FaultCode;
use crate::supervisor::types::{Channel, ConfigDiff, ConfigInfo, ProcessInfo, ProcessState};
use crate::xmlrpc::Value;
use std::collections::{BTreeMap, HashMap};

/// What a program does when started.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Reaches RUNNING at once.
    Runs,
    /// Exits before `startsecs`, writing `line` to stderr: BACKOFF then FATAL.
    Crashes { status: i64, line: String },
    /// Exits at once and is started again on the daemon's next turn: its first `slips`
    /// stops find it just exited (NOT_RUNNING), and the next look finds it running.
    Flaps { slips: u32 },
}

/// The fake daemon's state: its processes, their logs, its own log, and every call.
#[derive(Debug, Default)]
pub struct Model {
    pub processes: Vec<ProcessInfo>,
    pub configs: Vec<ConfigInfo>,
    pub behaviours: HashMap<String, Behaviour>,
    /// Log bytes by (namespec, channel).
    pub logs: HashMap<(String, Channel), Vec<u8>>,
    pub main_log: Vec<u8>,
    /// What the next `reloadConfig` answers.
    pub diff: ConfigDiff,
    /// Every call, in order, with its parameters (a multicall counts as itself and as
    /// each call in it).
    pub calls: Vec<(String, Vec<Value>)>,
    /// Methods the daemon never answers (a daemon too busy to list thousands of
    /// processes in time).
    pub stalled: std::collections::HashSet<String>,
    next_pid: i64,
}

/// Why a call failed: a fault, or an internal error (HTTP 500 on its own, a FAILED
/// fault inside a multicall, as supervisord does).
enum ModelError {
    Fault(FaultCode, String),
    Internal,
}

fn fault(code: FaultCode, text: impl Into<String>) -> ModelError {
    ModelError::Fault(code, text.into())
}

impl Model {
    /// How many times `method` (e.g. `supervisor.getAllProcessInfo`) was called.
    pub fn count(&self, method: &str) -> usize {
        self.calls.iter().filter(|(m, _)| m == method).count()
    }

    /// The calls of `method`, each as its first parameter (a name).
    pub fn calls_of(&self, method: &str) -> Vec<String> {
        self.calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, p)| match p.first() {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            })
            .collect()
    }

    /// The methods called, in order, each with its first parameter: `stopProcessGroup(web)`.
    pub fn trace(&self) -> Vec<String> {
        self.calls
            .iter()
            .map(|(m, p)| {
                let m = m.rsplit('.').next().unwrap_or(m);
                match p.first() {
                    Some(Value::String(s)) => format!("{m}({s})"),
                    _ => format!("{m}()"),
                }
            })
            .collect()
    }

    /// A process, by namespec.
    pub fn process(&self, namespec: &str) -> Option<&ProcessInfo> {
        self.processes.iter().find(|p| p.namespec() == namespec)
    }

    fn index(&self, name: &str) -> Result<usize, ModelError> {
        self.processes
            .iter()
            .position(|p| p.namespec() == name)
            .ok_or_else(|| fault(FaultCode::BadName, format!("BAD_NAME: {name}")))
    }

    fn set_state(&mut self, i: usize, s: ProcessState) {
        let code = match s {
            ProcessState::Stopped => 0,
            ProcessState::Starting => 10,
            ProcessState::Running => 20,
            ProcessState::Backoff => 30,
            ProcessState::Stopping => 40,
            ProcessState::Exited => 100,
            ProcessState::Fatal => 200,
            ProcessState::Unknown => 1000,
        };
        if let Some(p) = self.processes.get_mut(i) {
            p.state = code;
            p.statename = s.name().to_owned();
        }
    }

    fn start(&mut self, name: &str) -> Result<Value, ModelError> {
        let i = self.index(name)?;
        let p = &self.processes[i];
        if p.state().is_running() {
            return Err(fault(FaultCode::AlreadyStarted, format!("ALREADY_STARTED: {name}")));
        }
        let behaviour = self.behaviours.get(&p.name).cloned().unwrap_or(Behaviour::Runs);
        match behaviour {
            Behaviour::Runs | Behaviour::Flaps { .. } => {
                self.next_pid += 1;
                let pid = self.next_pid;
                self.set_state(i, ProcessState::Running);
                let p = &mut self.processes[i];
                p.pid = pid;
                p.spawnerr.clear();
                p.description = format!("pid {pid}, uptime 0:00:00");
            }
            Behaviour::Crashes { status, line } => {
                let pname = p.name.clone();
                self.logs
                    .entry((name.to_owned(), Channel::Stderr))
                    .or_default()
                    .extend_from_slice(format!("{line}\n").as_bytes());
                self.main_log.extend_from_slice(
                    format!("WARN exited: {pname} (exit status {status}; not expected)\n").as_bytes(),
                );
                self.set_state(i, ProcessState::Fatal);
                let p = &mut self.processes[i];
                p.pid = 0;
                p.exitstatus = 0;
                p.spawnerr = "Exited too quickly (process log may have details)".into();
                p.description = p.spawnerr.clone();
            }
        }
        Ok(Value::Bool(true))
    }

    fn stop(&mut self, name: &str) -> Result<Value, ModelError> {
        let i = self.index(name)?;
        let short = self.processes[i].name.clone();
        if let Some(Behaviour::Flaps { slips }) = self.behaviours.get_mut(&short)
            && *slips > 0
        {
            *slips -= 1;
            self.set_state(i, ProcessState::Exited);
        }
        if self.processes[i].state().is_stopped() {
            return Err(fault(FaultCode::NotRunning, format!("NOT_RUNNING: {name}")));
        }
        self.set_state(i, ProcessState::Stopped);
        let p = &mut self.processes[i];
        p.pid = 0;
        p.description = "Nov 22 10:00 AM".into();
        Ok(Value::Bool(true))
    }

    fn read(&self, bytes: &[u8], offset: i64, length: i64) -> Result<Value, ModelError> {
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let (from, to) = match (offset, length) {
            (o, 0) if o < 0 => ((size + o).max(0), size),
            (o, l) if o >= 0 && l > 0 => (o.min(size), (o + l).min(size)),
            (o, 0) => (o.min(size), size),
            _ => return Err(fault(FaultCode::BadArguments, "BAD_ARGUMENTS")),
        };
        let slice = bytes.get(from as usize..to as usize).unwrap_or_default();
        // supervisord decodes each window as strict UTF-8 and fails otherwise.
        String::from_utf8(slice.to_vec())
            .map(Value::String)
            .map_err(|_| ModelError::Internal)
    }

    fn log(&self, name: &str, ch: Channel) -> Result<&[u8], ModelError> {
        self.index(name)?;
        Ok(self.logs.get(&(name.to_owned(), ch)).map_or(&[][..], Vec::as_slice))
    }

    fn info(&self, name: &str) -> Result<Value, ModelError> {
        let i = self.index(name)?;
        Ok(to_value(&self.processes[i]))
    }

    /// One call, as supervisord would answer it.
    fn call(&mut self, method: &str, params: &[Value]) -> Result<Value, ModelError> {
        self.calls.push((method.to_owned(), params.to_vec()));
        if let Some(v) = daemon_reply(method) {
            return Ok(v);
        }
        if let Some(reply) = self.log_call(method, params) {
            return reply;
        }
        self.process_call(method, params)
    }

    /// A call about logs (read, tail, clear, supervisord's own); `None` for any other
    /// method.
    fn log_call(&mut self, method: &str, params: &[Value]) -> Option<Result<Value, ModelError>> {
        let name = string_param(params, 0);
        Some(match method {
            "supervisor.readProcessStdoutLog" | "supervisor.readProcessStderrLog" => self
                .log(&name, channel_of(method))
                .map(<[u8]>::to_vec)
                .and_then(|bytes| self.read(&bytes, int_param(params, 1), int_param(params, 2))),
            "supervisor.tailProcessStdoutLog" | "supervisor.tailProcessStderrLog" => {
                self.log(&name, channel_of(method)).map(|bytes| {
                    Value::Array(vec![
                        "".into(),
                        Value::Int(i64::try_from(bytes.len()).unwrap_or(0)),
                        Value::Bool(true),
                    ])
                })
            }
            "supervisor.readLog" => {
                let bytes = self.main_log.clone();
                self.read(&bytes, int_param(params, 0), int_param(params, 1))
            }
            "supervisor.clearProcessLogs" => self.index(&name).map(|_| {
                for ch in [Channel::Stdout, Channel::Stderr] {
                    self.logs.remove(&(name.clone(), ch));
                }
                Value::Bool(true)
            }),
            _ => return None,
        })
    }

    /// A call about processes, groups or the configuration, a multicall, or an
    /// unknown method.
    fn process_call(&mut self, method: &str, params: &[Value]) -> Result<Value, ModelError> {
        let name = string_param(params, 0);
        // A turn of supervisord's loop: what flaps and exited runs again.
        for i in 0..self.processes.len() {
            let flaps = matches!(
                self.behaviours.get(&self.processes[i].name),
                Some(Behaviour::Flaps { .. })
            );
            if flaps && self.processes[i].state() == ProcessState::Exited && method != "supervisor.stopProcess" {
                self.set_state(i, ProcessState::Running);
            }
        }
        match method {
            "supervisor.getAllProcessInfo" => Ok(Value::Array(self.processes.iter().map(to_value).collect())),
            "supervisor.getProcessInfo" => self.info(&name),
            "supervisor.getAllConfigInfo" => Ok(Value::Array(self.configs.iter().map(to_value).collect())),
            "supervisor.startProcess" => self.start(&name),
            "supervisor.stopProcess" => self.stop(&name),
            "supervisor.signalProcess" => self.signal(&name),
            "supervisor.reloadConfig" => Ok(self.reload_reply()),
            "supervisor.addProcessGroup" | "supervisor.removeProcessGroup" => Ok(Value::Bool(true)),
            "supervisor.stopProcessGroup" => Ok(Value::Array(Vec::new())),
            "system.multicall" => self.multicall(params),
            other => Err(fault(FaultCode::UnknownMethod, format!("UNKNOWN_METHOD: {other}"))),
        }
    }

    /// A signal to a process: accepted while it is RUNNING, STARTING or STOPPING.
    fn signal(&self, name: &str) -> Result<Value, ModelError> {
        let i = self.index(name)?;
        if !matches!(
            self.processes[i].state(),
            ProcessState::Running | ProcessState::Starting | ProcessState::Stopping
        ) {
            return Err(fault(FaultCode::NotRunning, format!("NOT_RUNNING: {name}")));
        }
        Ok(Value::Bool(true))
    }

    /// `reloadConfig`'s reply: `[[added, changed, removed]]` from [`Model::diff`].
    fn reload_reply(&self) -> Value {
        let list = |v: &[String]| Value::Array(v.iter().map(|g| Value::from(g.as_str())).collect());
        let d = &self.diff;
        Value::Array(vec![Value::Array(vec![
            list(&d.added),
            list(&d.changed),
            list(&d.removed),
        ])])
    }

    fn multicall(&mut self, params: &[Value]) -> Result<Value, ModelError> {
        let Some(Value::Array(calls)) = params.first() else {
            return Err(fault(FaultCode::IncorrectParameters, "INCORRECT_PARAMETERS"));
        };
        let mut out = Vec::with_capacity(calls.len());
        for c in calls {
            let Value::Struct(m) = c else { continue };
            let name = match m.get("methodName") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            let args = match m.get("params") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            out.push(match self.call(&name, &args) {
                Ok(v) => v,
                Err(ModelError::Fault(code, text)) => fault_struct(code_number(code), &text),
                Err(ModelError::Internal) => fault_struct(30, "FAILED: <class 'AttributeError'>:utf-8"),
            });
        }
        Ok(Value::Array(out))
    }
}

/// The replies of the methods about the daemon itself, which change nothing; `None`
/// for any other method.
fn daemon_reply(method: &str) -> Option<Value> {
    Some(match method {
        "supervisor.getAPIVersion" => "3.0".into(),
        "supervisor.getSupervisorVersion" => "4.3.0".into(),
        "supervisor.getIdentification" => "supervisor".into(),
        "supervisor.getPID" => Value::Int(4242),
        "supervisor.getState" => Value::Struct(BTreeMap::from([
            ("statecode".to_owned(), Value::Int(1)),
            ("statename".to_owned(), "RUNNING".into()),
        ])),
        _ => return None,
    })
}

/// Parameter `i` as a string (empty when it is not one).
fn string_param(params: &[Value], i: usize) -> String {
    match params.get(i) {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// Parameter `i` as an int (0 when it is not one).
fn int_param(params: &[Value], i: usize) -> i64 {
    match params.get(i) {
        Some(Value::Int(n)) => *n,
        _ => 0,
    }
}

/// The log channel a `...StdoutLog`/`...StderrLog` method reads.
fn channel_of(method: &str) -> Channel {
    if method.contains("Stderr") {
        Channel::Stderr
    } else {
        Channel::Stdout
    }
}

fn fault_struct(code: i64, text: &str) -> Value {
    Value::Struct(BTreeMap::from([
        ("faultCode".to_owned(), Value::Int(code)),
        ("faultString".to_owned(), text.into()),
    ]))
}

fn code_number(code: FaultCode) -> i64 {
    (1..=100).find(|n| FaultCode::from_code(*n) == code).unwrap_or(30)
}

/// A serde value as an XML-RPC value (ints, strings, booleans, arrays, structs).
fn to_value<T: serde::Serialize>(v: &T) -> Value {
    fn conv(j: serde_json::Value) -> Value {
        match j {
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Int(n.as_i64().unwrap_or(0)),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::Array(a.into_iter().map(conv).collect()),
            serde_json::Value::Object(m) => Value::Struct(m.into_iter().map(|(k, v)| (k, conv(v))).collect()),
            serde_json::Value::Null => Value::String(String::new()),
        }
    }
    conv(serde_json::to_value(v).unwrap_or(serde_json::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_as_the_recorded_daemon_did() {
        let d = FakeDaemon::start(Model::recorded()).await;
        let c = d.client();
        let all = c.get_all_process_info().await.unwrap_or_default();
        assert_eq!(all.len(), 7);
        assert!(c.get_process_info("nope").await.is_err());
        assert_eq!(d.model().count("supervisor.getAllProcessInfo"), 1);
    }
}
