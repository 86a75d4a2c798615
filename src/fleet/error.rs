//! The fleet's errors. [`FleetError`]: why a fleet call cannot go ahead (the targets
//! file, the selection, the names, the targets of a change), each of one
//! [`ErrorKind`] (the core's words): mostly `usage`; a change refused `refused`; a
//! target that cannot be asked, its own kind. [`TargetError`]: why one target of a
//! call gave no result. Neither ever holds a password.

use super::file::ENV_FLEET;
use crate::supervisor::files::FileError;
use crate::supervisor::{Error, ErrorKind, FaultCode};
use serde::Serialize;
use std::path::PathBuf;

/// Why a fleet call cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// The targets file or a password file cannot be used (unreadable, not a small
    /// regular file, not yours).
    #[error(transparent)]
    File(#[from] FileError),
    #[error("targets file {path}: {detail}")]
    Invalid { path: PathBuf, detail: String },
    /// `-t` without a targets file.
    #[error(
        "-t needs a targets file: --fleet FILE, {ENV_FLEET}, $XDG_CONFIG_HOME/supervisord-mcp/fleet.toml or /etc/supervisord-mcp/fleet.toml"
    )]
    NoTargetsFile,
    /// A name qualified by a target (`web-1/api`) without a targets file.
    #[error("{name}: a name qualified by a target needs a targets file (--fleet FILE or {ENV_FLEET})")]
    QualifiedWithoutFile { name: String },
    /// A target whose settings cannot name a daemon (its URL).
    #[error("target {name}: {source}")]
    Target {
        name: String,
        #[source]
        source: Error,
    },
    /// A target's `password_env` names a variable that is not set.
    #[error("target {target}: the environment variable {var} (password_env) is not set")]
    PasswordEnv { target: String, var: String },
    #[error("tag {term:?}: use @ and a tag name")]
    BadTag { term: String },
    #[error("target pattern {term:?} is not a glob over target names")]
    BadPattern { term: String },
    #[error("target {term:?}: a name, a glob (web-*), a tag (@prod) or all")]
    BadTerm { term: String },
    #[error("empty target selection {given:?}: name targets, @tags or all")]
    EmptySelection { given: String },
    /// A target name that names no target (a typo must not quietly select less).
    #[error(
        "no target named {name:?}{} (targets: {})",
        suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default(),
        targets.join(", ")
    )]
    UnknownTarget {
        name: String,
        suggestion: Option<String>,
        targets: Vec<String>,
    },
    #[error("no target has the tag @{tag}")]
    UnknownTag { tag: String },
    #[error("the target selection matches no target")]
    NothingSelected,
    /// A name qualified by a target outside the selection.
    #[error("{name}: no selected target is {term:?} (the targets are {})", targets.join(", "))]
    OutsideSelection {
        name: String,
        term: String,
        targets: Vec<String>,
    },
    /// Some names qualified by a target, some not, and no selection.
    #[error(
        "some names are qualified by a target and some are not: qualify every name (TARGET/name), or select the targets"
    )]
    MixedNames,
    /// An operation on one daemon (`program`, `run`) with a selection of several.
    #[error(
        "this acts on one target; the selection has {} ({}): select one, or qualify the name (TARGET/name)",
        targets.len(),
        targets.join(", ")
    )]
    NotOneTarget { targets: Vec<String> },
    /// The one target of an operation cannot be asked (its password or TLS files).
    #[error("{}", error.message)]
    Unusable { target: String, error: TargetError },
    /// A change on several targets that were not selected explicitly.
    #[error(
        "this changes {} targets ({}): select them explicitly, or qualify the names (TARGET/name)",
        targets.len(),
        targets.join(", ")
    )]
    NotExplicit { targets: Vec<String> },
    /// The core's error: the policy gate's refusal ([`Error::Refused`]), or the one
    /// target's failure.
    #[error(transparent)]
    Core(#[from] Error),
}

impl FleetError {
    /// The kind, in the core's words: `usage` for the file, the selection and the
    /// names; `refused` for a change without an explicit selection and the policy
    /// gate; a target that cannot be asked, its own kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FleetError::NotExplicit { .. } => ErrorKind::Refused,
            FleetError::Unusable { error, .. } => error.kind,
            FleetError::Target { source, .. } | FleetError::Core(source) => source.kind(),
            _ => ErrorKind::Usage,
        }
    }
}

/// Why a target gave no result: its [`ErrorKind`] (the core's words), the message,
/// and for a fault its code (`BAD_NAME`...). JSON: `{"kind", "message", "fault"?}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultCode>,
}

impl TargetError {
    /// The target's error for `e`; a name the daemon does not know with the closest
    /// known one, as one daemon's answer says it beside.
    pub fn from_error(e: &Error) -> TargetError {
        let mut message = e.to_string();
        if let Error::NoSuchProcess {
            suggestion: Some(s), ..
        } = e
        {
            message.push_str(&format!("; did you mean `{s}`?"));
        }
        TargetError {
            kind: e.kind(),
            message,
            fault: e.fault_code(),
        }
    }

    /// An error of `kind` with `message` (no fault).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> TargetError {
        TargetError {
            kind,
            message: message.into(),
            fault: None,
        }
    }
}
