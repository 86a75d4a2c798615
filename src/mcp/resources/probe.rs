//! What the watcher asks the daemon: the state of each subscribed process and the
//! size of each subscribed log, all in one `system.multicall` (`getProcessInfo`,
//! `tailProcessStdoutLog(name, 0, 0)`), whatever the number of other processes.

use super::uri::{Target, parse_uri};
use crate::supervisor::client::methods::{GetProcessInfo, TailProcessLog};
use crate::supervisor::client::multicall::{Batch, Slot};
use crate::supervisor::ops::logs::{self, LogSource};
use crate::supervisor::{Client, Error, Fault, FaultCode, ProcessInfo, Result};
use std::collections::HashMap;

/// What the watcher compares between polls for one URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// A process's state, pid, exit status, start and stop times; `None` while the
    /// daemon does not know the name (BAD_NAME).
    Process(Option<(i64, i64, i64, i64, i64)>),
    /// A log's size in bytes; `None` while the daemon does not know the process.
    Log(Option<u64>),
}

/// The part of a process that makes its resource change.
pub(super) fn fingerprint(p: &ProcessInfo) -> Seen {
    Seen::Process(Some((p.state, p.pid, p.exitstatus, p.start, p.stop)))
}

enum Asked {
    Process(Slot<GetProcessInfo>),
    Log(Slot<TailProcessLog>),
}

/// Looks at each URI in one multicall. A URI is missing from the answer when it
/// could not be looked at this time (a fault other than BAD_NAME). When the daemon
/// answers the whole batch HTTP 500 (a log over 2 GiB), each URI is asked alone.
/// Errors: the daemon cannot be asked.
pub(super) async fn probe(client: &Client, uris: &[String]) -> Result<HashMap<String, Seen>> {
    let mut batch = Batch::new();
    let mut asked = Vec::new();
    for uri in uris {
        let slot = match parse_uri(uri) {
            Some(Target::Process(name)) => Asked::Process(batch.add(GetProcessInfo { name })),
            Some(Target::Log(name, channel)) => Asked::Log(batch.add(TailProcessLog {
                name,
                channel,
                offset: 0,
                length: 0,
            })),
            None => continue,
        };
        asked.push((uri.clone(), slot));
    }
    let mut replies = match client.multicall(batch).await {
        Ok(r) => r,
        Err(Error::HttpStatus { status: 500, .. }) => return Ok(one_by_one(client, uris).await),
        Err(e) => return Err(e),
    };
    let mut seen = HashMap::new();
    for (uri, slot) in asked {
        let value = match slot {
            Asked::Process(s) => match replies.take_each(s)? {
                Ok(info) => Some(fingerprint(&info)),
                Err(f) => unknown(&f).then_some(Seen::Process(None)),
            },
            Asked::Log(s) => match replies.take_each(s)? {
                Ok((_, size, _)) => Some(Seen::Log(Some(u64::try_from(size).unwrap_or(0)))),
                Err(f) => unknown(&f).then_some(Seen::Log(None)),
            },
        };
        if let Some(v) = value {
            seen.insert(uri, v);
        }
    }
    Ok(seen)
}

fn unknown(f: &Fault) -> bool {
    f.code == FaultCode::BadName
}

fn unknown_error(e: &Error) -> bool {
    matches!(e, Error::NoSuchProcess { .. }) || matches!(e, Error::Fault(f) if unknown(f))
}

/// [`probe`], one call per URI.
async fn one_by_one(client: &Client, uris: &[String]) -> HashMap<String, Seen> {
    let mut seen = HashMap::new();
    for uri in uris {
        let value = match parse_uri(uri) {
            Some(Target::Process(name)) => match client.get_process_info(&name).await {
                Ok(info) => Some(fingerprint(&info)),
                Err(e) => unknown_error(&e).then_some(Seen::Process(None)),
            },
            Some(Target::Log(name, ch)) => match logs::size(client, &LogSource::process(&name, ch)).await {
                Ok(size) => Some(Seen::Log(Some(size))),
                Err(e) => unknown_error(&e).then_some(Seen::Log(None)),
            },
            None => None,
        };
        if let Some(v) = value {
            seen.insert(uri.clone(), v);
        }
    }
    seen
}
