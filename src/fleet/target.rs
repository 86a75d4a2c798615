//! The targets of a fleet call: one supervisord each, with its own client, deadline
//! and permissions; built from the targets file, or the one implicit target of the
//! `-s`/`-c`/environment chain when there is no file.

use super::error::TargetError;
use super::file::{Defaults, FleetError, FleetFile, TargetSpec, expand_home, password};
use super::select::Selectable;
use crate::supervisor::transport::{Endpoint, ServerSettings, TlsOptions};
use crate::supervisor::{Client, Secret};
use std::time::Duration;

/// The name of the implicit target (no targets file).
pub const IMPLICIT: &str = "default";

/// One supervisord of the fleet.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub tags: Vec<String>,
    /// Changes are refused here.
    pub read_only: bool,
    /// The server URL as shown (never with credentials).
    pub url: String,
    /// `none` or `basic` (what credentials are sent; never which).
    pub auth: &'static str,
    /// Bound on a whole read here (connect, request, reply).
    pub deadline: Duration,
    pub client: Client,
    /// Why this target cannot be asked, when its own settings are unusable (its
    /// password is missing: `unauthorized`; its CA or client certificate file is
    /// unusable: `tls`). Only this target fails, and only when it is selected.
    pub unusable: Option<TargetError>,
}

impl Selectable for Target {
    fn name(&self) -> &str {
        &self.name
    }
    fn tags(&self) -> &[String] {
        &self.tags
    }
}

/// Settings that come from the command line and apply to every target.
#[derive(Debug, Clone)]
pub struct Common {
    /// Bound on each reply (`--rpc-timeout`).
    pub rpc_timeout: Duration,
    /// Every target counts as remote (`--no-host-access`).
    pub no_host_access: bool,
    /// MiB of replies held at once across one call's targets (`--fleet-memory`);
    /// `None`: the file's `[defaults] fleet_memory_mib`.
    pub fleet_memory_mib: Option<usize>,
}

impl Target {
    /// The implicit target: the client resolved from `-s`/`-c`/the environment.
    pub fn implicit(client: Client, deadline: Duration) -> Target {
        Target {
            name: IMPLICIT.to_owned(),
            tags: Vec::new(),
            read_only: false,
            url: client.display_url().to_owned(),
            auth: "none",
            deadline,
            client,
            unusable: None,
        }
    }

    /// The client, when this target can be asked. Errors: why it cannot.
    pub fn usable(&self) -> Result<&Client, TargetError> {
        match &self.unusable {
            Some(e) => Err(e.clone()),
            None => Ok(&self.client),
        }
    }

    /// A target of the targets file. No I/O but reading its password (file or
    /// environment) and its TLS files (`ca_file`, `client_cert`, `client_key`, for
    /// `https://`). Errors: a bad URL, a missing password, an unusable TLS file.
    /// Warnings: those of [`ServerSettings::warnings`] (a password in clear text over
    /// `http://` to another host, TLS files for a URL that is not `https://`).
    pub fn from_spec(
        name: &str,
        spec: &TargetSpec,
        defaults: &Defaults,
        common: &Common,
        env: &dyn Fn(&str) -> Option<String>,
        warnings: &mut Vec<String>,
    ) -> Result<Target, FleetError> {
        let parsed = Endpoint::parse(&spec.url).map_err(|source| FleetError::Target {
            name: name.to_owned(),
            source,
        })?;
        let username = spec.username.clone().or(parsed.username);
        let (password, mut unusable) = target_password(name, spec, env, warnings, parsed.password);
        let deadline = Duration::from_secs_f64(spec.timeout_s.unwrap_or(defaults.timeout_s));
        let connect = Duration::from_secs_f64(defaults.connect_timeout_s).min(deadline);
        let auth = if username.is_some() || password.is_some() {
            "basic"
        } else {
            "none"
        };
        let settings = ServerSettings {
            endpoint: parsed.endpoint,
            username,
            password,
            connect_timeout: connect,
            timeout: common.rpc_timeout.min(deadline),
            tls: tls_options(spec, env),
        };
        warnings.extend(settings.warnings().into_iter().map(|w| format!("target {name}: {w}")));
        let client = client_for(name, settings, common, &mut unusable)?;
        Ok(Target {
            name: name.to_owned(),
            tags: spec.tags.clone(),
            read_only: spec.read_only,
            url: client.display_url().to_owned(),
            auth,
            deadline,
            client,
            unusable,
        })
    }
}

/// The password of a target: its own (environment or file), else the one in its URL.
/// A password that cannot be read makes this target `unauthorized` (the second
/// value), not the whole call fail.
fn target_password(
    name: &str,
    spec: &TargetSpec,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
    from_url: Option<Secret>,
) -> (Option<Secret>, Option<TargetError>) {
    match password(name, spec, env, warnings) {
        Ok(p) => (p.or(from_url), None),
        Err(e) => (
            None,
            Some(TargetError {
                kind: crate::supervisor::ErrorKind::Unauthorized,
                message: e.to_string(),
                fault: None,
            }),
        ),
    }
}

/// The target's TLS files, `~` expanded.
fn tls_options(spec: &TargetSpec, env: &dyn Fn(&str) -> Option<String>) -> TlsOptions {
    TlsOptions {
        ca_file: spec.ca_file.as_deref().map(|p| expand_home(p, env)),
        client_cert: spec.client_cert.as_deref().map(|p| expand_home(p, env)),
        client_key: spec.client_key.as_deref().map(|p| expand_home(p, env)),
    }
}

/// The client of `settings`, remote-only with `--no-host-access`. Unusable TLS files
/// fail this target only: the reason goes to `unusable` (unless it holds one already)
/// and the client without them is never asked. Errors: a client that cannot be built
/// even without TLS files.
fn client_for(
    name: &str,
    settings: ServerSettings,
    common: &Common,
    unusable: &mut Option<TargetError>,
) -> Result<Client, FleetError> {
    let client = match Client::new(&settings) {
        Ok(c) => c,
        Err(e) => {
            unusable.get_or_insert(TargetError {
                kind: e.kind(),
                message: format!("target {name}: {e}"),
                fault: None,
            });
            let plain = ServerSettings {
                tls: TlsOptions::default(),
                ..settings
            };
            Client::new(&plain).map_err(|source| FleetError::Target {
                name: name.to_owned(),
                source,
            })?
        }
    };
    if common.no_host_access {
        return Ok(Client::from_transport(client.transport().clone().without_host_access()));
    }
    Ok(client)
}

/// Every target of a targets file, sorted by name.
pub fn targets(
    file: &FleetFile,
    common: &Common,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Vec<Target>, FleetError> {
    file.targets
        .iter()
        .map(|(name, spec)| Target::from_spec(name, spec, &file.defaults, common, env, warnings))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--no-host-access` reaches every target: a unix socket or loopback target is
    /// then treated as remote (nothing read from this host's /proc or disk for it).
    #[test]
    fn no_host_access_makes_every_target_remote() -> Result<(), FleetError> {
        let text = "[targets.sock]\nurl = \"unix:///run/s.sock\"\n\n[targets.loop]\nurl = \"http://127.0.0.1:9001\"\n";
        let file = super::super::file::parse(text, std::path::Path::new("f.toml"))?;
        for no_host_access in [false, true] {
            let common = Common {
                rpc_timeout: Duration::from_secs(1),
                no_host_access,
                fleet_memory_mib: None,
            };
            for t in targets(&file, &common, &|_| None, &mut Vec::new())? {
                assert_eq!(t.client.transport().is_local(), !no_host_access, "{}", t.name);
            }
        }
        Ok(())
    }
}
