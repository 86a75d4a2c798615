//! The MCP handler: lists the tools, parses arguments, calls `supervisor::ops`, and
//! answers with a compact text plus `structuredContent`. Supervisord's faults and an
//! unreachable daemon are `isError` results that name the fault and say what to do;
//! only arguments that do not fit the schema are protocol errors.

use super::render;
use super::resources;
use super::tools::{
    self, Action, ControlArgs, DiagnoseArgs, LogsArgs, LogsOut, ProcView, ProgramAction, ProgramArgs, ProgramOut,
    ReloadArgs, ResultsOut, StatusArgs, StatusOut, Stream, WaitArgs,
};
use crate::supervisor::local;
use crate::supervisor::ops::control::{self, ProcessResult, WaitOptions};
use crate::supervisor::ops::diagnose;
use crate::supervisor::ops::logfilter::LogFilter;
use crate::supervisor::ops::logs::{self, LogSource, TailOptions};
use crate::supervisor::ops::programs::{self, ProgramSpec};
use crate::supervisor::ops::ready::{self, ReadyCheck};
use crate::supervisor::ops::status::{StatusFilter, StatusReport, select_status};
use crate::supervisor::ops::{info, update};
use crate::supervisor::{Channel, Client, Error, Policy, ProcessState};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, JsonObject,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceTemplate, ServerCapabilities, ServerConfig, SubscribeRequestParams, Tool, UnsubscribeRequestParams,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Default page of `status`.
const DEFAULT_LIMIT: usize = 100;
/// Largest `lines` for `logs`.
const MAX_LINES: usize = 5000;
/// Poll interval while waiting.
const POLL: Duration = Duration::from_millis(100);

const INSTRUCTIONS: &str = "Controls processes of a Supervisord daemon. Names are namespecs: name, group:name, group:*, all; every name returned can be passed back.";

/// The server: a Supervisord client, the agent's permissions and the tool list,
/// shared by all sessions.
#[derive(Clone)]
pub struct SupervisorMcp {
    client: Client,
    policy: Arc<Policy>,
    tools: Arc<Vec<Tool>>,
    include_dir: Option<Arc<std::path::PathBuf>>,
    subscriptions: resources::Subscriptions,
}

impl SupervisorMcp {
    /// A server with every tool and no limits.
    pub fn new(client: Client) -> SupervisorMcp {
        Self::with_policy(client, Policy::default())
    }

    /// A server limited by `policy`: with `read_only`, only the tools that change
    /// nothing are offered.
    pub fn with_policy(client: Client, policy: Policy) -> SupervisorMcp {
        let tools = tools::all()
            .into_iter()
            .filter(|t| !policy.read_only || t.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true))
            .collect();
        SupervisorMcp {
            client,
            policy: Arc::new(policy),
            tools: Arc::new(tools),
            include_dir: None,
            subscriptions: resources::Subscriptions::default(),
        }
    }

    /// Where `program` writes program files (default: found from a local daemon's
    /// own `[include]`).
    pub fn with_include_dir(mut self, dir: Option<std::path::PathBuf>) -> SupervisorMcp {
        self.include_dir = dir.map(Arc::new);
        self
    }
}

fn parse<T: DeserializeOwned>(args: Option<JsonObject>) -> Result<T, McpError> {
    serde_json::from_value(serde_json::Value::Object(args.unwrap_or_default()))
        .map_err(|e| McpError::invalid_params(format!("invalid arguments: {e}"), None))
}

/// A successful (or, with `is_error`, failed) result: text for the model,
/// structured content for programs.
fn answer<T: Serialize>(text: String, value: &T, is_error: bool) -> Result<CallToolResult, McpError> {
    let structured = serde_json::to_value(value).map_err(|e| McpError::internal_error(e.to_string(), None))?;
    let mut r = if is_error {
        CallToolResult::error(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::success(vec![ContentBlock::text(text)])
    };
    r.structured_content = Some(structured);
    Ok(r)
}

/// A failure the agent can act on: `KIND: message` and what to do next.
fn failure(e: &Error) -> CallToolResult {
    let mut text = match e {
        // The daemon's text already starts with the fault's name: "BAD_NAME: nope".
        Error::Fault(f) if f.text.starts_with(&e.kind()) => f.text.clone(),
        _ => format!("{}: {e}", e.kind()),
    };
    if let Some(h) = e.hint() {
        text.push_str("\nnext: ");
        text.push_str(&h);
    }
    CallToolResult::error(vec![ContentBlock::text(text)])
}

fn secs(v: Option<f64>, default: f64) -> Duration {
    Duration::from_secs_f64(v.unwrap_or(default).clamp(0.0, 3600.0))
}

fn results(rs: Vec<ProcessResult>) -> Result<CallToolResult, McpError> {
    let failed = rs.iter().any(|r| !r.outcome.is_success());
    answer(render::results(&rs), &ResultsOut { results: rs }, failed)
}

impl SupervisorMcp {
    async fn status(&self, a: StatusArgs) -> Result<CallToolResult, McpError> {
        let filter = StatusFilter {
            states: a.state,
            group: None,
        };
        let (daemon, all) = match info::overview(&self.client).await {
            Ok(r) => r,
            Err(e) => return Ok(failure(&e)),
        };
        let mut names = a.names.clone();
        let mut listeners = Vec::new();
        let mut note = None;
        let mut nothing_on_port = false;
        if let Some(port) = a.port {
            match local::port_listeners(&self.client, &all, port).await {
                Ok(Some(owners)) => {
                    nothing_on_port = owners.supervised.is_empty();
                    names = owners.supervised;
                    listeners = owners.listeners;
                }
                Ok(None) => note = Some(format!("port: {}", local::NOT_LOCAL)),
                Err(e) => return Ok(failure(&e)),
            }
        }
        // No supervised process on the port: an empty list (no names would mean all).
        let report = if nothing_on_port {
            StatusReport::default()
        } else {
            select_status(&all, &names, &filter)
        };
        let counts: BTreeMap<String, usize> = report
            .counts()
            .into_iter()
            .map(|(s, n)| (s.name().to_owned(), n))
            .collect();
        let total = report.processes.len();
        let limit = a.limit.unwrap_or(DEFAULT_LIMIT).max(1);
        let mut processes: Vec<ProcView> = report
            .processes
            .iter()
            .skip(a.offset)
            .take(limit)
            .map(|p| ProcView {
                name: p.name.clone(),
                state: p.state,
                pid: p.pid,
                uptime_s: p.uptime_secs,
                info: match p.state {
                    ProcessState::Running | ProcessState::Starting | ProcessState::Stopping => String::new(),
                    ProcessState::Exited => format!("exit {}, {}", p.exitstatus, p.description),
                    // The logs and diagnose tools are where the details are.
                    _ => p
                        .description
                        .trim_end_matches(" (process log may have details)")
                        .to_owned(),
                },
                metrics: None,
            })
            .collect();
        if a.metrics {
            let pids: Vec<i64> = processes.iter().map(|p| p.pid).collect();
            match local::process_metrics(&self.client, &pids).await {
                Ok(Some(mut m)) => processes.iter_mut().for_each(|p| p.metrics = m.remove(&p.pid)),
                Ok(None) => note = Some(format!("metrics: {}", local::NOT_LOCAL)),
                Err(e) => return Ok(failure(&e)),
            }
        }
        let end = a.offset + processes.len();
        let out = StatusOut {
            daemon: tools::DaemonView {
                version: daemon.supervisor_version,
                state: daemon.state,
                pid: daemon.pid,
                identification: daemon.identification,
            },
            total,
            counts,
            processes,
            next_offset: (end < total).then_some(end),
            unknown: report.unknown,
            listeners,
            note,
        };
        let is_error = !out.unknown.is_empty();
        answer(render::status(&out), &out, is_error)
    }

    async fn control(&self, a: ControlArgs) -> Result<CallToolResult, McpError> {
        let opts = WaitOptions {
            wait: a.wait.unwrap_or(true),
            timeout: secs(a.timeout_s, 60.0),
            ..WaitOptions::default()
        };
        let c = &self.client;
        let what = format!("{:?}", a.action).to_lowercase();
        if let Err(e) = self.policy.check_names(c, &what, &a.names).await {
            return Ok(failure(&e));
        }
        let r = match a.action {
            Action::Start => control::start(c, &a.names, &opts).await,
            Action::Stop => control::stop(c, &a.names, &opts).await,
            Action::Restart => control::restart(c, &a.names, &opts).await,
            Action::Signal => {
                let Some(sig) = a.signal.as_deref() else {
                    return Err(McpError::invalid_params(
                        "action signal needs `signal` (e.g. HUP, TERM, USR1)",
                        None,
                    ));
                };
                if a.tree.unwrap_or(false) {
                    control::signal_tree(c, sig, &a.names).await
                } else {
                    control::signal(c, sig, &a.names).await
                }
            }
            Action::Stdin => {
                let Some(text) = a.text.as_deref() else {
                    return Err(McpError::invalid_params("action stdin needs `text`", None));
                };
                let mut out = Vec::new();
                for n in &a.names {
                    match control::send_stdin(c, n, text).await {
                        Ok(r) => out.push(r),
                        Err(e) => return Ok(failure(&e)),
                    }
                }
                Ok(out)
            }
            Action::ClearLogs => match logs::clear(c, &a.names).await {
                Ok(cleared) => {
                    let out: Vec<ProcessResult> = cleared.into_iter().map(ProcessResult::from).collect();
                    Ok(out)
                }
                Err(e) => Err(e),
            },
        };
        match r {
            Ok(rs) => results(rs),
            Err(e) => Ok(failure(&e)),
        }
    }

    async fn logs(&self, a: LogsArgs) -> Result<CallToolResult, McpError> {
        let src = match &a.name {
            Some(n) => LogSource::process(
                n,
                match a.stream.unwrap_or(Stream::Stdout) {
                    Stream::Stdout => Channel::Stdout,
                    Stream::Stderr => Channel::Stderr,
                },
            ),
            None => LogSource::Main,
        };
        let opts = TailOptions {
            lines: a.lines.unwrap_or(20).clamp(1, MAX_LINES),
            raw: a.raw.unwrap_or(false),
            ..TailOptions::default()
        };
        let filter = LogFilter::from_args(
            a.grep.as_deref(),
            a.context.unwrap_or(0).min(50),
            a.level.as_deref(),
            a.min_level.as_deref(),
            &a.wheres,
            a.since.as_deref(),
        )
        .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
        let out = match a.cursor {
            Some(cursor) => logs::read_since(&self.client, &src, cursor, &opts, &filter)
                .await
                .map(|c| LogsOut {
                    lines: c.lines,
                    cursor: c.cursor,
                    truncated: false,
                    reset: c.reset,
                    more: c.more,
                }),
            None => logs::tail_filtered(&self.client, &src, &opts, &filter)
                .await
                .map(|t| LogsOut {
                    cursor: t.end_offset.unwrap_or(0),
                    truncated: t.truncated,
                    lines: t.lines,
                    reset: false,
                    more: false,
                }),
        };
        match out {
            Ok(out) => answer(render::logs(&out), &out, false),
            Err(e) => Ok(failure(&e)),
        }
    }

    async fn wait(&self, a: WaitArgs, ctx: &RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        let target: ProcessState = a.state.map_or(ProcessState::Running, Into::into);
        let timeout = secs(a.timeout_s, 30.0);
        let check = ReadyCheck {
            url: a.url,
            expect_status: None,
            port: a.port,
            pattern: a
                .pattern
                .as_deref()
                .map(regex::Regex::new)
                .transpose()
                .map_err(|e| McpError::invalid_params(format!("pattern is not a valid regex: {e}"), None))?,
        };
        let single = match (check.is_empty(), a.names.as_slice()) {
            (true, _) => None,
            (false, [one]) => Some(one.clone()),
            (false, _) => {
                return Err(McpError::invalid_params(
                    "url, port and pattern check one process: give one name",
                    None,
                ));
            }
        };
        // Progress notifications go out from a task, so that polling never waits on the client.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<control::WaitProgress>();
        let forwarder = ctx.meta.get_progress_token().map(|token| {
            let peer = ctx.peer.clone();
            tokio::spawn(async move {
                while let Some(p) = rx.recv().await {
                    let param = ProgressNotificationParam::new(token.clone(), p.elapsed.as_secs_f64())
                        .with_total(p.timeout.as_secs_f64())
                        .with_message(format!("{}/{} checks passed", p.settled, p.total));
                    if peer.notify_progress(param).await.is_err() {
                        break;
                    }
                }
            })
        });
        let r = match single {
            Some(name) => ready::wait_ready(&self.client, &name, &check, timeout, |p| {
                let _ = tx.send(p.clone());
            })
            .await
            .map(|r| vec![r]),
            None => {
                control::wait_for_state(&self.client, &a.names, target, timeout, POLL, |p| {
                    let _ = tx.send(p.clone());
                })
                .await
            }
        };
        drop(tx);
        if let Some(f) = forwarder {
            let _ = f.await;
        }
        match r {
            Ok(rs) => results(rs),
            Err(e) => Ok(failure(&e)),
        }
    }

    async fn diagnose(&self, a: DiagnoseArgs) -> Result<CallToolResult, McpError> {
        let lines = a.lines.unwrap_or(10).clamp(1, 200);
        match diagnose::diagnose(&self.client, &a.name, lines).await {
            Ok(d) => answer(d.summary(), &d, false),
            Err(e) => Ok(failure(&e)),
        }
    }

    async fn program(&self, a: ProgramArgs) -> Result<CallToolResult, McpError> {
        let need = |v: &Option<String>, what: &str| {
            v.clone()
                .ok_or_else(|| McpError::invalid_params(format!("action {:?} needs `{what}`", a.action), None))
        };
        let check = match a.action {
            ProgramAction::Run => self.policy.check_global("run"),
            _ => {
                let name = need(&a.name, "name")?;
                self.policy.check_write("program").and_then(|()| {
                    if self.policy.allows_name(&name) {
                        Ok(())
                    } else {
                        Err(Error::Refused(format!("program {name} is not allowed (--allow)")))
                    }
                })
            }
        };
        if let Err(e) = check {
            return Ok(failure(&e));
        }
        let dir = match programs::include_dir(&self.client, self.include_dir.as_deref().map(|p| p.as_path())).await {
            Ok(d) => d,
            Err(e) => return Ok(failure(&e)),
        };
        let c = &self.client;
        let outcome = match a.action {
            ProgramAction::Add => {
                let spec = ProgramSpec {
                    name: need(&a.name, "name")?,
                    command: need(&a.command, "command")?,
                    directory: a.directory,
                    environment: a.env,
                    autostart: a.autostart,
                    autorestart: a.autorestart,
                    startsecs: a.startsecs,
                    startretries: None,
                    numprocs: a.numprocs,
                    redirect_stderr: None,
                };
                let wait = WaitOptions {
                    timeout: secs(a.timeout_s, 60.0),
                    ..WaitOptions::default()
                };
                programs::add(c, &dir, &spec, a.start.unwrap_or(true), &wait)
                    .await
                    .map(|added| {
                        let failed = added.processes.iter().any(|r| !r.outcome.is_success());
                        let mut text = format!("{}: {} ({})\n", added.name, added.action, added.file);
                        text.push_str(&render::results(&added.processes));
                        (
                            text,
                            ProgramOut {
                                added: Some(added),
                                run: None,
                                removed: None,
                            },
                            failed,
                        )
                    })
            }
            ProgramAction::Remove => programs::remove(c, &dir, &need(&a.name, "name")?, Duration::from_secs(60))
                .await
                .map(|msg| {
                    (
                        msg.clone(),
                        ProgramOut {
                            added: None,
                            run: None,
                            removed: Some(msg),
                        },
                        false,
                    )
                }),
            ProgramAction::Run => {
                let command = need(&a.command, "command")?;
                let timeout = secs(a.timeout_s, 60.0);
                programs::run(c, &dir, &command, a.directory.as_deref(), &a.env, timeout, 50)
                    .await
                    .map(|r| {
                        let mut text = programs::run_summary(&r);
                        for (label, lines) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                            if !lines.is_empty() {
                                text.push_str(&format!("\n{label}:\n  {}", lines.join("\n  ")));
                            }
                        }
                        let failed = r.timed_out || r.error.is_some();
                        (
                            text,
                            ProgramOut {
                                added: None,
                                run: Some(r),
                                removed: None,
                            },
                            failed,
                        )
                    })
            }
        };
        match outcome {
            Ok((text, out, failed)) => answer(text, &out, failed),
            Err(e) => Ok(failure(&e)),
        }
    }

    async fn reload(&self, a: ReloadArgs) -> Result<CallToolResult, McpError> {
        if !a.dry_run
            && let Err(e) = self.policy.check_global("reload")
        {
            return Ok(failure(&e));
        }
        match update::update(&self.client, &[], a.dry_run, Duration::from_secs(120)).await {
            Ok(r) => {
                let failed = !r.all_applied();
                let text = render::update(&r);
                answer(
                    text,
                    &tools::ReloadOut {
                        changes: r.changes,
                        dry_run: r.dry_run,
                    },
                    failed,
                )
            }
            Err(e) => Ok(failure(&e)),
        }
    }

    /// Runs one tool call.
    pub async fn call(
        &self,
        name: &str,
        args: Option<JsonObject>,
        ctx: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        match name {
            tools::STATUS => self.status(parse(args)?).await,
            tools::CONTROL => self.control(parse(args)?).await,
            tools::LOGS => self.logs(parse(args)?).await,
            tools::WAIT => self.wait(parse(args)?, ctx).await,
            tools::DIAGNOSE => self.diagnose(parse(args)?).await,
            tools::PROGRAM => self.program(parse(args)?).await,
            tools::RELOAD => self.reload(parse(args)?).await,
            other => Err(McpError::invalid_params(
                format!("unknown tool {other:?}; the tools are status, control, logs, wait, diagnose, program, reload"),
                None,
            )),
        }
    }
}

impl ServerHandler for SupervisorMcp {
    fn get_info(&self) -> ServerConfig {
        let caps = ServerCapabilities::builder()
            .enable_tools()
            .enable_resources()
            .enable_resources_subscribe()
            .enable_resources_list_changed()
            .build();
        ServerConfig::new(caps)
            .with_server_info(Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let all = self
            .client
            .get_all_process_info()
            .await
            .map_err(|e| McpError::internal_error(e.to_string(), None))?;
        let list = all
            .iter()
            .map(|p| {
                let ns = p.namespec();
                Resource::new(resources::process_uri(&ns), ns.clone())
                    .with_description(format!("{ns}: state, pid, exit status (JSON); subscribe for changes"))
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(format!("{}{{name}}", resources::PREFIX), "process")
                .with_description("A process's state, pid and exit status (JSON)"),
            ResourceTemplate::new(format!("{}{{name}}/{{stream}}", resources::PREFIX), "process log")
                .with_description("Last 50 lines of a process's stdout or stderr"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        match resources::read(&self.client, &request.uri).await {
            Ok(c) => Ok(ReadResourceResult::new(vec![c]).into()),
            Err(e) => Err(McpError::resource_not_found(
                format!("{}: {e}", e.kind()),
                Some(serde_json::json!({ "uri": request.uri })),
            )),
        }
    }

    #[allow(deprecated)]
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        if resources::parse_uri(&request.uri).is_none() {
            return Err(McpError::resource_not_found(
                format!("unknown resource {:?}", request.uri),
                None,
            ));
        }
        self.subscriptions.add(&request.uri);
        self.subscriptions.watch(self.client.clone(), context.peer.clone());
        Ok(())
    }

    #[allow(deprecated)]
    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), McpError> {
        self.subscriptions.remove(&request.uri);
        Ok(())
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        tracing::debug!(tool = %name, "call");
        self.call(&name, request.arguments, &context).await.map(Into::into)
    }
}
