//! "Did you mean": the known name closest to one that matched nothing, and the error
//! that says so.

use crate::supervisor::Client;
use crate::supervisor::error::{Error, FaultCode};
use crate::supervisor::types::ProcessInfo;

/// The known name closest to `name` (namespecs, `group:*` forms and bare group names),
/// when it is close enough to be a typo: at most a third of the name's characters
/// differ (and at least one may).
pub fn suggest(all: &[ProcessInfo], name: &str) -> Option<String> {
    let mut known: Vec<String> = all.iter().map(ProcessInfo::namespec).collect();
    for p in all {
        if p.group != p.name {
            let g = format!("{}:*", p.group);
            if !known.contains(&g) {
                known.push(g);
                known.push(p.group.clone());
            }
        }
    }
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(name, &k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)))
        .map(|(_, k)| k)
}

/// The error for a name the daemon does not know, with the closest known name
/// (one `getAllProcessInfo`, on this error path only).
pub async fn no_such_process(client: &Client, name: &str) -> Error {
    let suggestion = match client.get_all_process_info().await {
        Ok(all) => suggest(&all, name),
        Err(_) => None,
    };
    Error::NoSuchProcess {
        name: name.to_owned(),
        suggestion,
    }
}

/// `e`, with a BAD_NAME fault about `name` turned into [`Error::NoSuchProcess`] (with
/// its suggestion); any other error as it is.
pub async fn explain(client: &Client, name: &str, e: Error) -> Error {
    match &e {
        Error::Fault(f) if f.code == FaultCode::BadName => no_such_process(client, name).await,
        _ => e,
    }
}
