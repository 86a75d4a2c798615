//! Every XML-RPC method of Supervisord's API that this tool calls, one type each: its
//! name, its parameters and how its reply decodes. This is the only place a method
//! name is written; the client and the typed multicall take these types.

use crate::supervisor::error::{Error, Result};
use crate::supervisor::types::{BulkResult, Channel, ConfigDiff, ConfigInfo, DaemonState, ProcessInfo};
use crate::xmlrpc::Value;
use serde::de::DeserializeOwned;

/// One XML-RPC method call, typed.
/// Whether a call of method `name` changes what the daemon runs (its processes'
/// configuration): what is kept of it ([`crate::supervisor::config_cache`]) is
/// dropped before such a call.
pub fn changes_config(name: &str) -> bool {
    matches!(
        name,
        "supervisor.reloadConfig"
            | "supervisor.addProcessGroup"
            | "supervisor.removeProcessGroup"
            | "supervisor.restart"
    )
}

pub trait Method {
    /// What the reply decodes to.
    type Output;
    /// The method name, e.g. `supervisor.getProcessInfo`.
    fn name(&self) -> &'static str;
    /// The parameters, in order.
    fn params(&self) -> Vec<Value>;
    /// Decodes the reply. Errors: [`Error::Shape`] when it has another shape.
    fn decode(&self, v: Value) -> Result<Self::Output>;
}

/// Reads a reply into `T` with serde, straight from the decoded value.
pub(crate) fn decode_typed<T: DeserializeOwned>(method: &str, v: Value) -> Result<T> {
    T::deserialize(v).map_err(|e| Error::Shape {
        method: method.to_owned(),
        detail: e.to_string(),
    })
}

/// start/stop/signal of one process answer `true`, or an array for `group:*`.
fn accepted(method: &str, v: Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(b),
        Value::Array(_) => Ok(true),
        other => Err(Error::Shape {
            method: method.to_owned(),
            detail: format!("expected a boolean, got {}", kind_of(&other)),
        }),
    }
}

/// The XML-RPC type of a value, for error messages (never the value: it may be huge).
fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "an int",
        Value::Bool(_) => "a boolean",
        Value::String(_) => "a string",
        Value::Double(_) => "a double",
        Value::DateTime(_) => "a dateTime",
        Value::Base64(_) => "base64",
        Value::Nil => "nil",
        Value::Array(_) => "an array",
        Value::Struct(_) => "a struct",
    }
}

/// `reloadConfig` answers `[[added, changed, removed]]`, nested one level deeper.
fn config_diff(method: &str, v: Value) -> Result<ConfigDiff> {
    let v: Vec<Vec<Vec<String>>> = decode_typed(method, v)?;
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
            method: method.into(),
            detail: "expected [[added, changed, removed]]".into(),
        }),
    }
}

macro_rules! methods {
    ($(
        $(#[$doc:meta])*
        $ty:ident { $($field:ident : $fty:ty),* } => $name:literal -> $out:ty $(, with $decoder:path)? ;
    )*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $ty { $(pub $field: $fty),* }

        impl Method for $ty {
            type Output = $out;
            fn name(&self) -> &'static str {
                $name
            }
            fn params(&self) -> Vec<Value> {
                vec![$(Value::from(self.$field.clone())),*]
            }
            fn decode(&self, v: Value) -> Result<$out> {
                methods!(@decode $name, v $(, $decoder)?)
            }
        }
    )*};
    (@decode $name:literal, $v:ident) => { decode_typed($name, $v) };
    (@decode $name:literal, $v:ident, $decoder:path) => { $decoder($name, $v) };
}

methods! {
    /// `supervisor.getAPIVersion`: `"3.0"` for every supervisor 3.x/4.x.
    GetApiVersion {} => "supervisor.getAPIVersion" -> String;
    /// `supervisor.getSupervisorVersion`, e.g. `"4.3.0"`.
    GetSupervisorVersion {} => "supervisor.getSupervisorVersion" -> String;
    /// `supervisor.getIdentification`: the `[supervisord] identifier`.
    GetIdentification {} => "supervisor.getIdentification" -> String;
    /// `supervisor.getState`: the daemon's own state.
    GetState {} => "supervisor.getState" -> DaemonState;
    /// `supervisor.getPID`: the daemon's pid.
    GetPid {} => "supervisor.getPID" -> i64;
    /// `supervisor.readLog(offset, length)`: bytes of the main log.
    ReadLog { offset: i64, length: i64 } => "supervisor.readLog" -> String;
    /// `supervisor.restart`: restarts the daemon in place.
    Restart {} => "supervisor.restart" -> bool, with accepted;
    /// `supervisor.reloadConfig`: the group diff; applies nothing.
    ReloadConfig {} => "supervisor.reloadConfig" -> ConfigDiff, with config_diff;
    /// `supervisor.addProcessGroup(name)`.
    AddProcessGroup { name: String } => "supervisor.addProcessGroup" -> bool, with accepted;
    /// `supervisor.removeProcessGroup(name)`.
    RemoveProcessGroup { name: String } => "supervisor.removeProcessGroup" -> bool, with accepted;
    /// `supervisor.getAllConfigInfo`: one entry per configured process.
    GetAllConfigInfo {} => "supervisor.getAllConfigInfo" -> Vec<ConfigInfo>;
    /// `supervisor.getProcessInfo(namespec)`.
    GetProcessInfo { name: String } => "supervisor.getProcessInfo" -> ProcessInfo;
    /// `supervisor.getAllProcessInfo`: every process, sorted by group then name.
    GetAllProcessInfo {} => "supervisor.getAllProcessInfo" -> Vec<ProcessInfo>;
    /// `supervisor.startProcess(namespec, wait)`.
    StartProcess { name: String, wait: bool } => "supervisor.startProcess" -> bool, with accepted;
    /// `supervisor.stopProcess(namespec, wait)`.
    StopProcess { name: String, wait: bool } => "supervisor.stopProcess" -> bool, with accepted;
    /// `supervisor.stopProcessGroup(group, wait)`.
    StopProcessGroup { name: String, wait: bool } => "supervisor.stopProcessGroup" -> Vec<BulkResult>;
    /// `supervisor.signalProcess(namespec, signal)`.
    SignalProcess { name: String, signal: String } => "supervisor.signalProcess" -> bool, with accepted;
    /// `supervisor.sendProcessStdin(namespec, chars)`: UTF-8 text only.
    SendProcessStdin { name: String, chars: String } => "supervisor.sendProcessStdin" -> bool, with accepted;
    /// `supervisor.clearProcessLogs(namespec)`: empties both logs of a process.
    ClearProcessLogs { name: String } => "supervisor.clearProcessLogs" -> bool, with accepted;
}

/// `supervisor.readProcessStdoutLog`/`readProcessStderrLog(namespec, offset, length)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadProcessLog {
    pub name: String,
    pub channel: Channel,
    pub offset: i64,
    pub length: i64,
}

impl Method for ReadProcessLog {
    type Output = String;
    fn name(&self) -> &'static str {
        match self.channel {
            Channel::Stdout => "supervisor.readProcessStdoutLog",
            Channel::Stderr => "supervisor.readProcessStderrLog",
        }
    }
    fn params(&self) -> Vec<Value> {
        vec![self.name.clone().into(), self.offset.into(), self.length.into()]
    }
    fn decode(&self, v: Value) -> Result<String> {
        decode_typed(self.name(), v)
    }
}

/// `supervisor.tailProcessStdoutLog`/`tailProcessStderrLog(namespec, offset, length)`
/// -> `(bytes, size, overflow)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TailProcessLog {
    pub name: String,
    pub channel: Channel,
    pub offset: i64,
    pub length: i64,
}

impl Method for TailProcessLog {
    type Output = (String, i64, bool);
    fn name(&self) -> &'static str {
        match self.channel {
            Channel::Stdout => "supervisor.tailProcessStdoutLog",
            Channel::Stderr => "supervisor.tailProcessStderrLog",
        }
    }
    fn params(&self) -> Vec<Value> {
        vec![self.name.clone().into(), self.offset.into(), self.length.into()]
    }
    fn decode(&self, v: Value) -> Result<(String, i64, bool)> {
        decode_typed(self.name(), v)
    }
}

/// The name of `system.multicall` (used by [`super::multicall`]).
pub(crate) const MULTICALL: &str = "system.multicall";
