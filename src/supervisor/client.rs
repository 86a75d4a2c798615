//! The typed client: every `supervisor.*` and `system.*` method, one Rust method each.
//! No policy here (no idempotency, no waiting): that is [`super::ops`].

use super::error::{Error, Fault, FaultCode, Result};
use super::transport::{ServerSettings, Transport};
use super::types::{BulkResult, Channel, ConfigDiff, ConfigInfo, DaemonState, ProcessInfo};
use crate::xmlrpc::Value;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::time::Duration;

/// A Supervisord XML-RPC client (API version 3.0).
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
}

/// One call of a `system.multicall` batch.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: Vec<Value>,
}

impl Call {
    pub fn new(method: &str, params: Vec<Value>) -> Call {
        Call {
            method: method.to_owned(),
            params,
        }
    }
}

fn decode<T: DeserializeOwned>(method: &str, v: Value) -> Result<T> {
    serde_json::from_value(v.into_json()).map_err(|e| Error::Shape {
        method: method.to_owned(),
        detail: e.to_string(),
    })
}

fn string_list(method: &str, v: Value) -> Result<Vec<String>> {
    decode(method, v)
}

impl Client {
    /// Builds a client from resolved settings; no I/O happens until the first call.
    pub fn new(settings: &ServerSettings) -> Result<Client> {
        Ok(Client {
            transport: Transport::new(settings)?,
        })
    }

    pub fn from_transport(transport: Transport) -> Client {
        Client { transport }
    }

    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The server URL as shown to people (no credentials).
    pub fn display_url(&self) -> &str {
        self.transport.display_url()
    }

    /// Calls a method and decodes its result into `T`.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Vec<Value>) -> Result<T> {
        let v = self.transport.call(method, &params).await?;
        decode(method, v)
    }

    async fn call_bool(&self, method: &str, params: Vec<Value>) -> Result<bool> {
        match self.transport.call(method, &params).await? {
            Value::Bool(b) => Ok(b),
            // startProcess/stopProcess/signalProcess on `group:*` answer an array.
            Value::Array(_) => Ok(true),
            other => Err(Error::Shape {
                method: method.to_owned(),
                detail: format!("expected a boolean, got {other:?}"),
            }),
        }
    }

    // ---- status and control of the daemon -------------------------------------

    /// `supervisor.getAPIVersion`: `"3.0"` for every supervisor 3.x/4.x.
    pub async fn get_api_version(&self) -> Result<String> {
        self.call("supervisor.getAPIVersion", vec![]).await
    }
    /// `supervisor.getSupervisorVersion`, e.g. `"4.3.0"`.
    pub async fn get_supervisor_version(&self) -> Result<String> {
        self.call("supervisor.getSupervisorVersion", vec![]).await
    }
    /// `supervisor.getIdentification`: `[supervisord] identifier`.
    pub async fn get_identification(&self) -> Result<String> {
        self.call("supervisor.getIdentification", vec![]).await
    }
    /// `supervisor.getState`: the daemon's state (RUNNING, RESTARTING, SHUTDOWN, FATAL).
    pub async fn get_state(&self) -> Result<DaemonState> {
        self.call("supervisor.getState", vec![]).await
    }
    /// `supervisor.getPID`: the daemon's own pid.
    pub async fn get_pid(&self) -> Result<i64> {
        self.call("supervisor.getPID", vec![]).await
    }
    /// `supervisor.readLog(offset, length)`: bytes of the main log (see
    /// [`Client::read_process_log`] for the offset rules). Errors: NO_FILE, BAD_ARGUMENTS,
    /// HTTP 500 on a window that is not valid UTF-8.
    pub async fn read_log(&self, offset: i64, length: i64) -> Result<String> {
        self.call("supervisor.readLog", vec![offset.into(), length.into()])
            .await
    }
    /// `supervisor.clearLog`: empties the main log.
    pub async fn clear_log(&self) -> Result<bool> {
        self.call_bool("supervisor.clearLog", vec![]).await
    }
    /// `supervisor.shutdown`: asks the daemon to exit.
    pub async fn shutdown(&self) -> Result<bool> {
        self.call_bool("supervisor.shutdown", vec![]).await
    }
    /// `supervisor.restart`: restarts the daemon in place (every child is stopped).
    pub async fn restart(&self) -> Result<bool> {
        self.call_bool("supervisor.restart", vec![]).await
    }

    // ---- configuration ----------------------------------------------------------

    /// `supervisor.reloadConfig`: re-reads the configuration and returns the group
    /// diff. Applies nothing. Errors: CANT_REREAD.
    pub async fn reload_config(&self) -> Result<ConfigDiff> {
        const M: &str = "supervisor.reloadConfig";
        let v: Vec<Vec<Vec<String>>> = self.call(M, vec![]).await?;
        match v.into_iter().next() {
            Some(parts) if parts.len() == 3 => {
                let mut it = parts.into_iter();
                Ok(ConfigDiff {
                    added: it.next().unwrap_or_default(),
                    changed: it.next().unwrap_or_default(),
                    removed: it.next().unwrap_or_default(),
                })
            }
            _ => Err(Error::Shape {
                method: M.into(),
                detail: "expected [[added, changed, removed]]".into(),
            }),
        }
    }
    /// `supervisor.addProcessGroup(name)`. Errors: BAD_NAME, ALREADY_ADDED.
    pub async fn add_process_group(&self, name: &str) -> Result<bool> {
        self.call_bool("supervisor.addProcessGroup", vec![name.into()]).await
    }
    /// `supervisor.removeProcessGroup(name)`. Errors: BAD_NAME, STILL_RUNNING.
    pub async fn remove_process_group(&self, name: &str) -> Result<bool> {
        self.call_bool("supervisor.removeProcessGroup", vec![name.into()]).await
    }
    /// `supervisor.getAllConfigInfo`: one entry per configured process.
    pub async fn get_all_config_info(&self) -> Result<Vec<ConfigInfo>> {
        self.call("supervisor.getAllConfigInfo", vec![]).await
    }

    // ---- processes ----------------------------------------------------------------

    /// `supervisor.getProcessInfo(namespec)`. Errors: BAD_NAME (also for `group:*`).
    pub async fn get_process_info(&self, name: &str) -> Result<ProcessInfo> {
        self.call("supervisor.getProcessInfo", vec![name.into()]).await
    }
    /// `supervisor.getAllProcessInfo`: every process, sorted by group then name.
    pub async fn get_all_process_info(&self) -> Result<Vec<ProcessInfo>> {
        self.call("supervisor.getAllProcessInfo", vec![]).await
    }
    /// `supervisor.startProcess(namespec, wait)`. With `wait`, the daemon answers
    /// once the process is RUNNING (after `startsecs`), so `timeout` must allow for
    /// it. Errors: BAD_NAME, NO_FILE, NOT_EXECUTABLE, ALREADY_STARTED, SPAWN_ERROR,
    /// ABNORMAL_TERMINATION; HTTP 500 while the process is STOPPING.
    pub async fn start_process(&self, name: &str, wait: bool, timeout: Duration) -> Result<bool> {
        const M: &str = "supervisor.startProcess";
        let v = self
            .transport
            .call_with_timeout(M, &[name.into(), wait.into()], timeout)
            .await?;
        Ok(!matches!(v, Value::Bool(false)))
    }
    /// `supervisor.startProcessGroup(group, wait)`: running members are skipped.
    pub async fn start_process_group(&self, group: &str, wait: bool, timeout: Duration) -> Result<Vec<BulkResult>> {
        const M: &str = "supervisor.startProcessGroup";
        decode(
            M,
            self.transport
                .call_with_timeout(M, &[group.into(), wait.into()], timeout)
                .await?,
        )
    }
    /// `supervisor.startAllProcesses(wait)`.
    pub async fn start_all_processes(&self, wait: bool, timeout: Duration) -> Result<Vec<BulkResult>> {
        const M: &str = "supervisor.startAllProcesses";
        decode(M, self.transport.call_with_timeout(M, &[wait.into()], timeout).await?)
    }
    /// `supervisor.stopProcess(namespec, wait)`: with `wait`, answers once stopped
    /// (up to `stopwaitsecs` and the SIGKILL). Errors: BAD_NAME, NOT_RUNNING, FAILED.
    pub async fn stop_process(&self, name: &str, wait: bool, timeout: Duration) -> Result<bool> {
        const M: &str = "supervisor.stopProcess";
        let v = self
            .transport
            .call_with_timeout(M, &[name.into(), wait.into()], timeout)
            .await?;
        Ok(!matches!(v, Value::Bool(false)))
    }
    /// `supervisor.stopProcessGroup(group, wait)`.
    pub async fn stop_process_group(&self, group: &str, wait: bool, timeout: Duration) -> Result<Vec<BulkResult>> {
        const M: &str = "supervisor.stopProcessGroup";
        decode(
            M,
            self.transport
                .call_with_timeout(M, &[group.into(), wait.into()], timeout)
                .await?,
        )
    }
    /// `supervisor.stopAllProcesses(wait)`.
    pub async fn stop_all_processes(&self, wait: bool, timeout: Duration) -> Result<Vec<BulkResult>> {
        const M: &str = "supervisor.stopAllProcesses";
        decode(M, self.transport.call_with_timeout(M, &[wait.into()], timeout).await?)
    }
    /// `supervisor.signalProcess(namespec, signal)`: `signal` is a name (`HUP`,
    /// `SIGUSR1`) or a number. Errors: BAD_NAME, BAD_SIGNAL, NOT_RUNNING, FAILED.
    pub async fn signal_process(&self, name: &str, signal: &str) -> Result<bool> {
        self.call_bool("supervisor.signalProcess", vec![name.into(), signal.into()])
            .await
    }
    /// `supervisor.signalProcessGroup(group, signal)`.
    pub async fn signal_process_group(&self, group: &str, signal: &str) -> Result<Vec<BulkResult>> {
        self.call("supervisor.signalProcessGroup", vec![group.into(), signal.into()])
            .await
    }
    /// `supervisor.signalAllProcesses(signal)`.
    pub async fn signal_all_processes(&self, signal: &str) -> Result<Vec<BulkResult>> {
        self.call("supervisor.signalAllProcesses", vec![signal.into()]).await
    }
    /// `supervisor.sendProcessStdin(namespec, chars)`: UTF-8 text only.
    pub async fn send_process_stdin(&self, name: &str, chars: &str) -> Result<bool> {
        self.call_bool("supervisor.sendProcessStdin", vec![name.into(), chars.into()])
            .await
    }
    /// `supervisor.sendRemoteCommEvent(type, data)`.
    pub async fn send_remote_comm_event(&self, kind: &str, data: &str) -> Result<bool> {
        self.call_bool("supervisor.sendRemoteCommEvent", vec![kind.into(), data.into()])
            .await
    }

    // ---- process logs -----------------------------------------------------------

    /// `supervisor.readProcessStdoutLog`/`readProcessStderrLog(namespec, offset,
    /// length)`, in bytes: `offset < 0, length 0` is the last `|offset|` bytes;
    /// `offset >= 0, length > 0` is `length` bytes from `offset` (`''` past the end);
    /// `length 0` reads to the end (unbounded: avoid). Errors: BAD_NAME, NO_FILE,
    /// BAD_ARGUMENTS, FAILED; HTTP 500 when the window is not valid UTF-8.
    pub async fn read_process_log(&self, name: &str, channel: Channel, offset: i64, length: i64) -> Result<String> {
        let m = match channel {
            Channel::Stdout => "supervisor.readProcessStdoutLog",
            Channel::Stderr => "supervisor.readProcessStderrLog",
        };
        self.call(m, vec![name.into(), offset.into(), length.into()]).await
    }
    /// `supervisor.tailProcessStdoutLog`/`tailProcessStderrLog(namespec, offset,
    /// length)` → `(bytes, size, overflow)`. Not "new data since offset": it returns
    /// the last `length` bytes (see supervisord-api.md §1.9); `(0, 0)` is a size probe.
    /// HTTP 500 for logs over 2 GiB.
    pub async fn tail_process_log(
        &self,
        name: &str,
        channel: Channel,
        offset: i64,
        length: i64,
    ) -> Result<(String, i64, bool)> {
        let m = match channel {
            Channel::Stdout => "supervisor.tailProcessStdoutLog",
            Channel::Stderr => "supervisor.tailProcessStderrLog",
        };
        self.call(m, vec![name.into(), offset.into(), length.into()]).await
    }
    /// `supervisor.clearProcessLogs(namespec)`: empties both logs of a process.
    pub async fn clear_process_logs(&self, name: &str) -> Result<bool> {
        self.call_bool("supervisor.clearProcessLogs", vec![name.into()]).await
    }
    /// `supervisor.clearAllProcessLogs`.
    pub async fn clear_all_process_logs(&self) -> Result<Vec<BulkResult>> {
        self.call("supervisor.clearAllProcessLogs", vec![]).await
    }

    // ---- system.* -------------------------------------------------------------------

    /// `system.listMethods`: every method name, plugins included.
    pub async fn list_methods(&self) -> Result<Vec<String>> {
        let v = self.transport.call("system.listMethods", &[]).await?;
        string_list("system.listMethods", v)
    }
    /// `system.methodHelp(name)`: the method's docstring.
    pub async fn method_help(&self, name: &str) -> Result<String> {
        self.call("system.methodHelp", vec![name.into()]).await
    }
    /// `system.methodSignature(name)`: `[return type, param types…]`.
    pub async fn method_signature(&self, name: &str) -> Result<Vec<String>> {
        let v = self.transport.call("system.methodSignature", &[name.into()]).await?;
        match v {
            Value::Array(mut a) if matches!(a.first(), Some(Value::Array(_))) => {
                string_list("system.methodSignature", a.swap_remove(0))
            }
            v => string_list("system.methodSignature", v),
        }
    }
    /// `system.multicall`: runs the calls in order on the daemon, in one round trip.
    /// Each entry is the raw value or that call's fault (the daemon does not wrap
    /// results in one-element arrays, whatever its docstring says).
    pub async fn multicall(&self, calls: &[Call]) -> Result<Vec<Result<Value, Fault>>> {
        const M: &str = "system.multicall";
        if calls.is_empty() {
            return Ok(Vec::new());
        }
        let param = Value::Array(
            calls
                .iter()
                .map(|c| {
                    let mut m = BTreeMap::new();
                    m.insert("methodName".to_owned(), Value::String(c.method.clone()));
                    m.insert("params".to_owned(), Value::Array(c.params.clone()));
                    Value::Struct(m)
                })
                .collect(),
        );
        let Value::Array(results) = self.transport.call(M, &[param]).await? else {
            return Err(Error::Shape {
                method: M.into(),
                detail: "expected an array".into(),
            });
        };
        if results.len() != calls.len() {
            return Err(Error::Shape {
                method: M.into(),
                detail: format!("{} results for {} calls", results.len(), calls.len()),
            });
        }
        Ok(results
            .into_iter()
            .zip(calls)
            .map(|(v, c)| match v.as_fault() {
                Some(f) => Err(Fault {
                    code: FaultCode::from_code(f.code),
                    text: f.text,
                    method: c.method.clone(),
                }),
                None => Ok(v),
            })
            .collect())
    }
}

/// Decodes one multicall result into `T`.
pub fn decode_value<T: DeserializeOwned>(method: &str, v: Value) -> Result<T> {
    decode(method, v)
}
