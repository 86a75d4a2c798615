//! What the unit tests of resources share: a client of a daemon that is not there.

use crate::supervisor::{Client, Endpoint, ServerSettings};
use std::time::Duration;

/// A client whose every call fails at once (no such socket).
pub fn nowhere() -> Client {
    let p = Endpoint::parse("unix:///nonexistent/supervisor.sock").unwrap_or_else(|_| unreachable!());
    let settings = ServerSettings {
        endpoint: p.endpoint,
        username: None,
        password: None,
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        tls: Default::default(),
    };
    Client::new(&settings).unwrap_or_else(|_| unreachable!())
}
