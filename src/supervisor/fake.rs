//! A scripted fake Supervisord for unit tests of the operations and the MCP handlers:
//! an in-process XML-RPC server on loopback whose processes start from the replies
//! recorded from a real daemon (`fixtures/xmlrpc/`), and whose state changes the way
//! supervisord's does (start, stop, a crash before `startsecs`, logs, reloads). It
//! counts every call, so a test can say how much daemon work an operation costs.
//! Behaviour that only a real daemon shows is tested against one, in `tests/`.

use crate::supervisor::client::methods::decode_json;
use crate::supervisor::transport::{Endpoint, ServerSettings};
use crate::supervisor::types::{Channel, ConfigDiff, ConfigInfo, ProcessInfo, ProcessState};
use crate::supervisor::{Client, FaultCode};
use crate::xmlrpc::{Value, decode_call, decode_response, encode_fault, encode_response};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// What a program does when started.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Reaches RUNNING at once.
    Runs,
    /// Exits before `startsecs`, writing `line` to stderr: BACKOFF then FATAL.
    Crashes { status: i64, line: String },
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
    next_pid: i64,
}

/// Why a call failed: a fault, or an internal error (HTTP 500 on its own, a FAILED
/// fault inside a multicall, as supervisord does).
enum Failure {
    Fault(FaultCode, String),
    Internal,
}

fn fault(code: FaultCode, text: impl Into<String>) -> Failure {
    Failure::Fault(code, text.into())
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/xmlrpc/{name}", env!("CARGO_MANIFEST_DIR"));
    match std::fs::read(&path).map(|b| decode_response(&b)) {
        Ok(Ok(Ok(v))) => v,
        other => panic!("fixture {path}: {other:?}"),
    }
}

impl Model {
    /// The seven processes a real daemon answered (fixtures/xmlrpc/getAllProcessInfo.xml:
    /// colors, ticker, worker:worker_00/01 RUNNING; crasher FATAL; web:web_a/b STOPPED),
    /// with their configuration; every program runs when started, but `crasher`.
    pub fn recorded() -> Model {
        let processes: Vec<ProcessInfo> =
            decode_json("fixture", fixture("getAllProcessInfo.xml")).unwrap_or_else(|e| panic!("{e}"));
        let configs: Vec<ConfigInfo> =
            decode_json("fixture", fixture("getAllConfigInfo.xml")).unwrap_or_else(|e| panic!("{e}"));
        let mut m = Model {
            processes,
            configs,
            next_pid: 5000,
            ..Model::default()
        };
        m.behaviours.insert(
            "crasher".into(),
            Behaviour::Crashes {
                status: 3,
                line: "crasher: fatal error, config missing".into(),
            },
        );
        m
    }

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

    fn index(&self, name: &str) -> Result<usize, Failure> {
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

    fn start(&mut self, name: &str) -> Result<Value, Failure> {
        let i = self.index(name)?;
        let p = &self.processes[i];
        if p.state().is_running() {
            return Err(fault(FaultCode::AlreadyStarted, format!("ALREADY_STARTED: {name}")));
        }
        let behaviour = self.behaviours.get(&p.name).cloned().unwrap_or(Behaviour::Runs);
        match behaviour {
            Behaviour::Runs => {
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

    fn stop(&mut self, name: &str) -> Result<Value, Failure> {
        let i = self.index(name)?;
        if self.processes[i].state().is_stopped() {
            return Err(fault(FaultCode::NotRunning, format!("NOT_RUNNING: {name}")));
        }
        self.set_state(i, ProcessState::Stopped);
        let p = &mut self.processes[i];
        p.pid = 0;
        p.description = "Nov 22 10:00 AM".into();
        Ok(Value::Bool(true))
    }

    fn read(&self, bytes: &[u8], offset: i64, length: i64) -> Result<Value, Failure> {
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
            .map_err(|_| Failure::Internal)
    }

    fn log(&self, name: &str, ch: Channel) -> Result<&[u8], Failure> {
        self.index(name)?;
        Ok(self.logs.get(&(name.to_owned(), ch)).map_or(&[][..], Vec::as_slice))
    }

    fn info(&self, name: &str) -> Result<Value, Failure> {
        let i = self.index(name)?;
        Ok(to_value(&self.processes[i]))
    }

    /// One call, as supervisord would answer it.
    fn call(&mut self, method: &str, params: &[Value]) -> Result<Value, Failure> {
        self.calls.push((method.to_owned(), params.to_vec()));
        let s = |i: usize| match params.get(i) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        let n = |i: usize| match params.get(i) {
            Some(Value::Int(n)) => *n,
            _ => 0,
        };
        let channel = |m: &str| {
            if m.contains("Stderr") {
                Channel::Stderr
            } else {
                Channel::Stdout
            }
        };
        match method {
            "supervisor.getAPIVersion" => Ok("3.0".into()),
            "supervisor.getSupervisorVersion" => Ok("4.3.0".into()),
            "supervisor.getIdentification" => Ok("supervisor".into()),
            "supervisor.getPID" => Ok(Value::Int(4242)),
            "supervisor.getState" => Ok(Value::Struct(BTreeMap::from([
                ("statecode".to_owned(), Value::Int(1)),
                ("statename".to_owned(), "RUNNING".into()),
            ]))),
            "supervisor.getAllProcessInfo" => Ok(Value::Array(self.processes.iter().map(to_value).collect())),
            "supervisor.getProcessInfo" => self.info(&s(0)),
            "supervisor.getAllConfigInfo" => Ok(Value::Array(self.configs.iter().map(to_value).collect())),
            "supervisor.startProcess" => self.start(&s(0)),
            "supervisor.stopProcess" => self.stop(&s(0)),
            "supervisor.signalProcess" => {
                let i = self.index(&s(0))?;
                if !matches!(
                    self.processes[i].state(),
                    ProcessState::Running | ProcessState::Starting | ProcessState::Stopping
                ) {
                    return Err(fault(FaultCode::NotRunning, format!("NOT_RUNNING: {}", s(0))));
                }
                Ok(Value::Bool(true))
            }
            "supervisor.readProcessStdoutLog" | "supervisor.readProcessStderrLog" => {
                let bytes = self.log(&s(0), channel(method))?.to_vec();
                self.read(&bytes, n(1), n(2))
            }
            "supervisor.tailProcessStdoutLog" | "supervisor.tailProcessStderrLog" => {
                let size = self.log(&s(0), channel(method))?.len();
                Ok(Value::Array(vec![
                    "".into(),
                    Value::Int(i64::try_from(size).unwrap_or(0)),
                    Value::Bool(true),
                ]))
            }
            "supervisor.readLog" => {
                let bytes = self.main_log.clone();
                self.read(&bytes, n(0), n(1))
            }
            "supervisor.clearProcessLogs" => {
                self.index(&s(0))?;
                for ch in [Channel::Stdout, Channel::Stderr] {
                    self.logs.remove(&(s(0), ch));
                }
                Ok(Value::Bool(true))
            }
            "supervisor.reloadConfig" => {
                let list = |v: &[String]| Value::Array(v.iter().map(|g| Value::from(g.as_str())).collect());
                let d = &self.diff;
                Ok(Value::Array(vec![Value::Array(vec![
                    list(&d.added),
                    list(&d.changed),
                    list(&d.removed),
                ])]))
            }
            "supervisor.addProcessGroup" | "supervisor.removeProcessGroup" => Ok(Value::Bool(true)),
            "supervisor.stopProcessGroup" => Ok(Value::Array(Vec::new())),
            "system.multicall" => self.multicall(params),
            other => Err(fault(FaultCode::UnknownMethod, format!("UNKNOWN_METHOD: {other}"))),
        }
    }

    fn multicall(&mut self, params: &[Value]) -> Result<Value, Failure> {
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
                Err(Failure::Fault(code, text)) => fault_struct(code_number(code), &text),
                Err(Failure::Internal) => fault_struct(30, "FAILED: <class 'AttributeError'>:utf-8"),
            });
        }
        Ok(Value::Array(out))
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

/// A running fake daemon on loopback; stopped when dropped.
pub struct FakeDaemon {
    pub model: Arc<Mutex<Model>>,
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl FakeDaemon {
    /// Serves `model` on 127.0.0.1 (an ephemeral port).
    pub async fn start(model: Model) -> FakeDaemon {
        let model = Arc::new(Mutex::new(model));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let url = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
        let m = model.clone();
        let app = axum::Router::new().route(
            "/RPC2",
            axum::routing::post(move |body: axum::body::Bytes| {
                let m = m.clone();
                async move { answer(&m, &body) }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDaemon { model, url, task }
    }

    /// A client of this daemon, with a short reply timeout.
    pub fn client(&self) -> Client {
        let parsed = Endpoint::parse(&self.url).unwrap_or_else(|e| panic!("{e}"));
        Client::new(&ServerSettings {
            endpoint: parsed.endpoint,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            tls: Default::default(),
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The model, locked.
    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FakeDaemon {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(model: &Mutex<Model>, body: &[u8]) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok((method, params)) = decode_call(body) else {
        return (axum::http::StatusCode::BAD_REQUEST, "bad request").into_response();
    };
    let reply = model.lock().unwrap_or_else(|e| e.into_inner()).call(&method, &params);
    let xml = match reply {
        Ok(v) => encode_response(&v),
        Err(Failure::Fault(code, text)) => encode_fault(code_number(code), &text),
        Err(Failure::Internal) => {
            return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "<html>500</html>").into_response();
        }
    };
    ([(axum::http::header::CONTENT_TYPE, "text/xml")], xml).into_response()
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
