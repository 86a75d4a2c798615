//! The typed client: every `supervisor.*` and `system.*` method this tool uses, one
//! Rust method each, built on the method types of [`methods`] (the only place a method
//! name is written) and the typed `system.multicall` of [`multicall`]. No policy here
//! (no idempotency, no waiting): that is [`super::ops`].

pub(crate) mod methods;
pub(crate) mod multicall;

use super::config_cache;
use super::error::{Fault, Result};
use super::transport::{ServerSettings, Transport};
use super::types::{BulkResult, Channel, ConfigDiff, ConfigInfo, DaemonState, ProcessInfo};
use methods::*;
use multicall::{Batch, Each, Replies};
use std::time::Duration;

/// A Supervisord XML-RPC client (API version 3.0).
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
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

    /// Calls one method with the default timeout and decodes its reply.
    /// Errors: unreachable daemon, 401, other HTTP statuses, a reply that is not
    /// XML-RPC or not of the method's shape, or the daemon's fault as `Error::Fault`.
    pub async fn call<M: Method>(&self, method: M) -> Result<M::Output> {
        self.call_with_timeout(method, self.transport.timeout()).await
    }

    /// Calls one method, the reply bounded by `timeout` (deferred calls such as
    /// `startProcess` with `wait` answer only when done).
    pub async fn call_with_timeout<M: Method>(&self, method: M, timeout: Duration) -> Result<M::Output> {
        if changes_config(method.name()) {
            config_cache::forget(self.display_url()).await;
        }
        let v = self
            .transport
            .call_with_timeout(method.name(), &method.params(), timeout)
            .await?;
        method.decode(v)
    }

    /// Runs a batch in one `system.multicall` round trip; take each result from the
    /// replies with the slot [`Batch::add`] gave. An empty batch costs nothing.
    pub async fn multicall(&self, batch: Batch) -> Result<Replies> {
        if batch.is_empty() {
            return batch.replies(crate::xmlrpc::Value::Array(Vec::new()));
        }
        if batch.names().any(changes_config) {
            config_cache::forget(self.display_url()).await;
        }
        let v = self.transport.call(MULTICALL, &[batch.param()]).await?;
        batch.replies(v)
    }

    /// Calls each method in one `system.multicall`; one result per method, in order,
    /// each its value or its own fault.
    pub async fn call_each<M: Method>(
        &self,
        methods: impl IntoIterator<Item = M>,
    ) -> Result<Vec<std::result::Result<M::Output, Fault>>> {
        let each = Each::new(methods);
        let mut replies = self.multicall(each.batch).await?;
        each.slots.into_iter().map(|s| replies.take_each(s)).collect()
    }

    // ---- the daemon ---------------------------------------------------------------

    /// `supervisor.getSupervisorVersion`, e.g. `"4.3.0"`.
    pub async fn get_supervisor_version(&self) -> Result<String> {
        self.call(GetSupervisorVersion {}).await
    }
    /// `supervisor.getState`: the daemon's state (RUNNING, RESTARTING, SHUTDOWN, FATAL).
    pub async fn get_state(&self) -> Result<DaemonState> {
        self.call(GetState {}).await
    }
    /// `supervisor.getPID`: the daemon's own pid.
    pub async fn get_pid(&self) -> Result<i64> {
        self.call(GetPid {}).await
    }
    /// `supervisor.readLog(offset, length)`: bytes of the main log (see
    /// [`Client::read_process_log`] for the offset rules). Errors: NO_FILE, BAD_ARGUMENTS,
    /// HTTP 500 on a window that is not valid UTF-8.
    pub async fn read_log(&self, offset: i64, length: i64) -> Result<String> {
        self.call(ReadLog { offset, length }).await
    }
    /// `supervisor.restart`: restarts the daemon in place (every child is stopped).
    pub async fn restart(&self) -> Result<bool> {
        self.call(Restart {}).await
    }

    // ---- configuration ----------------------------------------------------------

    /// `supervisor.reloadConfig`: re-reads the configuration and returns the group
    /// diff. Applies nothing. Errors: CANT_REREAD.
    pub async fn reload_config(&self) -> Result<ConfigDiff> {
        self.call(ReloadConfig {}).await
    }
    /// `supervisor.addProcessGroup(name)`. Errors: BAD_NAME, ALREADY_ADDED.
    pub async fn add_process_group(&self, name: &str) -> Result<bool> {
        self.call(AddProcessGroup { name: name.into() }).await
    }
    /// `supervisor.removeProcessGroup(name)`. Errors: BAD_NAME, STILL_RUNNING.
    pub async fn remove_process_group(&self, name: &str) -> Result<bool> {
        self.call(RemoveProcessGroup { name: name.into() }).await
    }
    /// `supervisor.getAllConfigInfo`: one entry per configured process.
    pub async fn get_all_config_info(&self) -> Result<Vec<ConfigInfo>> {
        self.call(GetAllConfigInfo {}).await
    }

    // ---- processes ----------------------------------------------------------------

    /// `supervisor.getProcessInfo(namespec)`. Errors: BAD_NAME (also for `group:*`).
    pub async fn get_process_info(&self, name: &str) -> Result<ProcessInfo> {
        self.call(GetProcessInfo { name: name.into() }).await
    }
    /// `supervisor.getAllProcessInfo`: every process, sorted by group then name.
    pub async fn get_all_process_info(&self) -> Result<Vec<ProcessInfo>> {
        self.call(GetAllProcessInfo {}).await
    }
    /// `supervisor.startProcess(namespec, wait)`. With `wait`, the daemon answers
    /// once the process is RUNNING (after `startsecs`), so `timeout` must allow for
    /// it. Errors: BAD_NAME, NO_FILE, NOT_EXECUTABLE, ALREADY_STARTED, SPAWN_ERROR,
    /// ABNORMAL_TERMINATION; HTTP 500 while the process is STOPPING.
    pub async fn start_process(&self, name: &str, wait: bool, timeout: Duration) -> Result<bool> {
        self.call_with_timeout(
            StartProcess {
                name: name.into(),
                wait,
            },
            timeout,
        )
        .await
    }
    /// `supervisor.stopProcessGroup(group, wait)`: with `wait`, answers once every
    /// member is stopped (up to `stopwaitsecs` and the SIGKILL), bounded by `timeout`.
    pub async fn stop_process_group(&self, group: &str, wait: bool, timeout: Duration) -> Result<Vec<BulkResult>> {
        self.call_with_timeout(
            StopProcessGroup {
                name: group.into(),
                wait,
            },
            timeout,
        )
        .await
    }
    /// `supervisor.sendProcessStdin(namespec, chars)`: UTF-8 text only.
    pub async fn send_process_stdin(&self, name: &str, chars: &str) -> Result<bool> {
        self.call(SendProcessStdin {
            name: name.into(),
            chars: chars.into(),
        })
        .await
    }

    // ---- process logs -----------------------------------------------------------

    /// `supervisor.readProcessStdoutLog`/`readProcessStderrLog(namespec, offset,
    /// length)`, in bytes: `offset < 0, length 0` is the last `|offset|` bytes;
    /// `offset >= 0, length > 0` is `length` bytes from `offset` (`''` past the end);
    /// `length 0` reads to the end (unbounded: avoid). Errors: BAD_NAME, NO_FILE,
    /// BAD_ARGUMENTS, FAILED; HTTP 500 when the window is not valid UTF-8.
    pub async fn read_process_log(&self, name: &str, channel: Channel, offset: i64, length: i64) -> Result<String> {
        self.call(ReadProcessLog {
            name: name.into(),
            channel,
            offset,
            length,
        })
        .await
    }
    /// `supervisor.tailProcessStdoutLog`/`tailProcessStderrLog(namespec, offset,
    /// length)` -> `(bytes, size, overflow)`. Not "new data since offset": it returns
    /// the last `length` bytes (docs/supervisord-api.md); `(0, 0)` is a size probe.
    /// HTTP 500 for logs over 2 GiB.
    pub async fn tail_process_log(
        &self,
        name: &str,
        channel: Channel,
        offset: i64,
        length: i64,
    ) -> Result<(String, i64, bool)> {
        self.call(TailProcessLog {
            name: name.into(),
            channel,
            offset,
            length,
        })
        .await
    }
}
