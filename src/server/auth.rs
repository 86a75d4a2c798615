//! Who is calling: the bearer tokens a server accepts, each with a name and a
//! scope. `mcp --http` and a `serve` without `--tokens-file` accept one token (the
//! configured or generated one, named `default`, scope `operate`); `serve
//! --tokens-file FILE` accepts the named tokens of a TOML file:
//!
//! ```toml
//! [tokens.grafana]
//! token = "..."          # at least 128 bits, as any configured token
//! scope = "read"         # status, logs, history, metrics
//!
//! [tokens.oncall]
//! token = "..."
//! scope = "operate"      # changes too
//! allow = ["web:*"]      # optional: --allow patterns this token is limited to
//! ```
//!
//! The file must be yours (or root's), writable and readable by no one else
//! (0600): it holds secrets. A token is found by comparing the one given with
//! every configured one in constant time; names, never tokens, are what logs and
//! the audit log show.

use super::HttpError;
use super::strength;
use crate::supervisor::files::{self, FileKind, Rule};
use crate::supervisor::{Policy, Secret};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use subtle::ConstantTimeEq;

/// The name of the one token of `mcp --http` and of a `serve` without a tokens file.
pub const DEFAULT_NAME: &str = "default";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Status, logs, history, metrics: nothing that changes a process.
    Read,
    /// Changes too (within the server's `--read-only`/`--allow` and its own `allow`).
    Operate,
}

/// Who a request comes from: a token's name, scope and own `allow` patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub scope: Scope,
    /// `--allow`-style patterns the token is limited to (empty: no limit of its own).
    pub allow: Vec<String>,
}

impl Identity {
    /// The server's permissions `base` narrowed by this token's scope: read-only for
    /// `read`, limited to its `allow` patterns when it has some.
    pub fn policy(&self, base: &Policy) -> Policy {
        let own = match self.scope {
            Scope::Read => {
                Policy::new(true, &[]).map(|p| p.read_only_target(format!("the token {} has scope read", self.name)))
            }
            Scope::Operate if self.allow.is_empty() => return base.clone(),
            Scope::Operate => Policy::new(false, &self.allow),
        };
        // The patterns were checked when the tokens were loaded; fail closed anyway.
        base.clone().narrowed(own.unwrap_or_else(|_| Policy {
            read_only: true,
            ..Policy::default()
        }))
    }

    /// Whether this token may change anything under `base` (offers actions).
    pub fn may_operate(&self, base: &Policy) -> bool {
        self.scope == Scope::Operate && !base.read_only
    }
}

/// One configured token.
#[derive(Debug, Clone)]
struct Named {
    id: Identity,
    secret: Secret,
}

/// The tokens a server accepts; `open` when it serves without one
/// (`--dangerously-serve-without-token`: every caller is `default`, `operate`).
#[derive(Debug, Clone)]
pub struct Tokens {
    named: Vec<Named>,
}

/// A tokens file: `[tokens.NAME]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tokens: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    token: String,
    scope: Scope,
    #[serde(default)]
    allow: Vec<String>,
}

impl Tokens {
    /// The one token (`None`: no token at all), named `default`, scope `operate`.
    pub fn single(token: Option<Secret>) -> Tokens {
        Tokens {
            named: token
                .into_iter()
                .map(|secret| Named {
                    id: Identity {
                        name: DEFAULT_NAME.into(),
                        scope: Scope::Operate,
                        allow: Vec::new(),
                    },
                    secret,
                })
                .collect(),
        }
    }

    /// Whether requests are served without a token.
    pub fn is_open(&self) -> bool {
        self.named.is_empty()
    }

    /// The names and scopes configured (never a token).
    pub fn identities(&self) -> impl Iterator<Item = &Identity> {
        self.named.iter().map(|n| &n.id)
    }

    /// Whose token `given` is: every configured token is compared, each in constant
    /// time. With no token configured, everyone is `default` with scope `operate`.
    pub fn find(&self, given: &str) -> Option<Identity> {
        if self.is_open() {
            return Self::anonymous();
        }
        let mut found = None;
        for n in &self.named {
            let hit: bool = given.as_bytes().ct_eq(n.secret.expose().as_bytes()).into();
            if hit && found.is_none() {
                found = Some(n.id.clone());
            }
        }
        found
    }

    /// Whose bearer token an `Authorization` header carries (`Bearer TOKEN`).
    pub fn bearer(&self, header: Option<&str>) -> Option<Identity> {
        if self.is_open() {
            return Self::anonymous();
        }
        self.find(header.and_then(|v| v.strip_prefix("Bearer ")).unwrap_or(""))
    }

    fn anonymous() -> Option<Identity> {
        Some(Identity {
            name: DEFAULT_NAME.into(),
            scope: Scope::Operate,
            allow: Vec::new(),
        })
    }

    /// The named tokens of the file at `path`: yours (or root's), 0600 or
    /// stricter, each token strong ([`strength::weakness`]), names as target names,
    /// `allow` patterns valid globs, no token twice. Errors never quote a token.
    pub fn load(path: &Path) -> Result<Tokens, HttpError> {
        let contents = files::read(path, FileKind::Tokens, Rule::Yours)?;
        let fail = |detail: String| HttpError::TokenFile {
            what: FileKind::Tokens.name(),
            path: path.to_owned(),
            detail,
        };
        if contents.mode() & 0o077 != 0 {
            return Err(fail(format!(
                "it is open to group or others (mode {:o}); run `chmod 600 {}`",
                contents.mode(),
                path.display()
            )));
        }
        let text = contents.into_text()?;
        let file: File = toml::from_str(&text).map_err(|e| fail(crate::fleet::file::toml_error(&e, &text)))?;
        if file.tokens.is_empty() {
            return Err(fail("no [tokens.NAME] table".into()));
        }
        let mut named: Vec<Named> = Vec::new();
        for (name, e) in file.tokens {
            Self::check_entry(&name, &e).map_err(&fail)?;
            if named.iter().any(|n| n.secret.expose() == e.token) {
                return Err(fail(format!(
                    "tokens.{name}: the same token as another entry; give each its own"
                )));
            }
            named.push(Named {
                id: Identity {
                    name,
                    scope: e.scope,
                    allow: e.allow,
                },
                secret: Secret::new(e.token),
            });
        }
        Ok(Tokens { named })
    }

    /// An entry's name, token and patterns. Errors: why, never the token.
    fn check_entry(name: &str, e: &Entry) -> Result<(), String> {
        if !crate::fleet::valid_name(name) {
            return Err(format!(
                "tokens.{name}: a name is letters, digits, '.', '_', '-' (at most 64)"
            ));
        }
        if let Some(why) = strength::weakness(&e.token) {
            return Err(format!(
                "tokens.{name}: the token is too weak: {why}; {}",
                strength::ADVICE
            ));
        }
        Policy::new(false, &e.allow).map_err(|err| format!("tokens.{name}: {err}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::ProcessInfo;
    use std::os::unix::fs::PermissionsExt;

    const A: &str = "3f1c9a7e52b04d6e8a1f0c3b7d9e2a4f6b8c0d1e";
    const B: &str = "9b2e4d6f8a0c1e3a5c7e9b1d3f5a7c9e0b2d4f6a";

    fn write(body: &str, mode: u32) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, body).unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap_or_else(|e| unreachable!("{e}"));
        (dir, path)
    }

    #[test]
    fn named_tokens_are_found_with_their_scope() {
        let body = format!(
            "[tokens.grafana]\ntoken = \"{A}\"\nscope = \"read\"\n\n[tokens.oncall]\ntoken = \"{B}\"\nscope = \"operate\"\nallow = [\"web:*\"]\n"
        );
        let (_d, path) = write(&body, 0o600);
        let t = Tokens::load(&path).unwrap_or_else(|e| unreachable!("{e}"));
        let g = t.bearer(Some(&format!("Bearer {A}"))).unwrap_or_else(|| unreachable!());
        assert_eq!((g.name.as_str(), g.scope), ("grafana", Scope::Read));
        let o = t.find(B).unwrap_or_else(|| unreachable!());
        assert_eq!((o.name.as_str(), o.allow.clone()), ("oncall", vec!["web:*".to_owned()]));
        assert!(t.find("nope").is_none() && t.bearer(None).is_none());
        assert!(t.bearer(Some(A)).is_none(), "the Bearer prefix is required");
        let read = g.policy(&Policy::default());
        assert!(read.read_only);
        let e = read
            .for_target("web-1", &[])
            .check_change("stop", &crate::supervisor::Change::Processes(&[]));
        assert!(
            e.as_ref()
                .is_err_and(|e| e.to_string().contains("the token grafana has scope read")),
            "{e:?}"
        );
        let p = o.policy(&Policy::default());
        let web = ProcessInfo {
            group: "web".into(),
            name: "a".into(),
            ..Default::default()
        };
        let api = ProcessInfo {
            group: "api".into(),
            name: "api".into(),
            ..Default::default()
        };
        assert!(p.allows(&web) && !p.allows(&api));
    }

    #[test]
    fn an_unsafe_or_bad_file_is_refused_without_quoting_a_token() {
        let cases = [
            (
                format!("[tokens.a]\ntoken = \"{A}\"\nscope = \"read\"\n"),
                0o644,
                "chmod 600",
            ),
            (
                "[tokens.a]\ntoken = \"short-secret\"\nscope = \"read\"\n".into(),
                0o600,
                "too weak",
            ),
            (
                format!("[tokens.a]\ntoken = \"{A}\"\nscope = \"root\"\n"),
                0o600,
                "tokens.a.scope",
            ),
            (
                format!(
                    "[tokens.a]\ntoken = \"{A}\"\nscope = \"read\"\n[tokens.b]\ntoken = \"{A}\"\nscope = \"read\"\n"
                ),
                0o600,
                "same token",
            ),
            (
                format!("[tokens.a]\ntoken = \"{A}\"\nscope = \"read\"\nallow = [\"[\"]\n"),
                0o600,
                "--allow",
            ),
            ("".into(), 0o600, "no [tokens.NAME]"),
        ];
        for (body, mode, says) in cases {
            let (_d, path) = write(&body, mode);
            let e = Tokens::load(&path).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(says), "{says}: {e}");
            assert!(!e.contains(A) && !e.contains("short-secret"), "{e}");
        }
    }

    #[test]
    fn without_a_token_everyone_operates() {
        let t = Tokens::single(None);
        assert!(t.is_open());
        assert_eq!(t.bearer(None).map(|i| i.scope), Some(Scope::Operate));
        let one = Tokens::single(Some(Secret::new(A)));
        assert_eq!(one.find(A).map(|i| i.name), Some(DEFAULT_NAME.to_owned()));
        assert!(one.bearer(None).is_none());
    }
}
