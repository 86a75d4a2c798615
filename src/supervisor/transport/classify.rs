//! Sorting what went wrong with a request into the core [`Error`]s a user can act
//! on: an HTTP status, or a reqwest error (timeout, refused, missing socket, TLS, a
//! peer that does not speak HTTP, anything else).

use super::{TlsOptions, Transport, redact_url, tls};
use crate::supervisor::error::{Error, Result};
use reqwest::StatusCode;
use std::error::Error as StdError;
use std::time::Duration;

impl Transport {
    /// 401 is [`Error::Unauthorized`]; a redirect (3xx, never followed) is
    /// [`Error::Redirect`]; any other status that is not a success is
    /// [`Error::HttpStatus`].
    pub(super) fn check_status(&self, status: StatusCode, method: &str) -> Result<()> {
        if status.is_redirection() {
            return Err(Error::Redirect {
                url: self.display.clone(),
                method: method.to_owned(),
                status: status.as_u16(),
            });
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Error::Unauthorized {
                url: self.display.clone(),
                sent_credentials: self.auth.is_some(),
            });
        }
        if !status.is_success() {
            return Err(Error::HttpStatus {
                url: self.display.clone(),
                method: method.to_owned(),
                status: status.as_u16(),
            });
        }
        Ok(())
    }

    /// Sorts a reqwest error into what the user can act on. A timeout while
    /// connecting (a listen backlog full, packets dropped) is the connect timeout's
    /// ([`Error::ConnectTimeout`]), not the call's.
    pub(super) fn classify(&self, err: reqwest::Error, method: &str, timeout: Duration) -> Error {
        let url = self.display.clone();
        let timed_out = || Error::Timeout {
            url: self.display.clone(),
            method: method.to_owned(),
            secs: timeout.as_secs_f64(),
        };
        if err.is_timeout() && err.is_connect() {
            return Error::ConnectTimeout {
                url,
                secs: self.connect_timeout.as_secs_f64(),
            };
        }
        if err.is_timeout() {
            return timed_out();
        }
        if let Some(tls_err) = chain(&err).find_map(rustls_error) {
            let opts = self.tls.as_deref().cloned().unwrap_or_else(TlsOptions::default);
            return Error::Tls {
                url,
                detail: tls::explain(tls_err, &opts),
            };
        }
        for e in chain(&err) {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => return Error::ConnectionRefused { url },
                    std::io::ErrorKind::NotFound => return Error::SocketMissing { url },
                    std::io::ErrorKind::PermissionDenied => return Error::PermissionDenied { url },
                    std::io::ErrorKind::TimedOut => return timed_out(),
                    _ => {}
                }
            }
            if let Some(h) = e.downcast_ref::<hyper::Error>()
                && (h.is_parse() || h.is_parse_status())
            {
                return Error::NotHttp {
                    url,
                    detail: redact_url(&h.to_string()),
                };
            }
        }
        let detail = chain(&err).map(ToString::to_string).collect::<Vec<_>>().join(": ");
        Error::Transport {
            url,
            detail: redact_url(&detail),
        }
    }
}

/// The error and its sources, outermost first.
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// The rustls error in `e`, itself or inside `io::Error`s (how tokio-rustls and
/// hyper-rustls report a failed handshake: an `io::Error` of kind `Other` around one
/// of kind `InvalidData` around the rustls error; `io::Error::source` skips its inner
/// error). At most 4 levels deep.
fn rustls_error<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut e: &(dyn StdError + 'static) = e;
    for _ in 0..4 {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let inner = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref())?;
        e = inner;
    }
    None
}
