//! The fake daemon's starting state: the processes and configuration a real daemon
//! answered, as recorded in `fixtures/xmlrpc/`.

use super::{Behaviour, Model};
use crate::supervisor::client::methods::decode_typed;
use crate::supervisor::types::{ConfigInfo, ProcessInfo};
use crate::xmlrpc::{Value, decode_response};

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/xmlrpc/{name}", env!("CARGO_MANIFEST_DIR"));
    match std::fs::read(&path).map(|b| decode_response(&b)) {
        Ok(Ok(Ok(v))) => v,
        other => panic!("fixture {path}: {other:?}"),
    }
}

impl Model {
    /// The seven processes a real daemon answered (fixtures/xmlrpc/getAllProcessInfo.xml:
    /// colors, ticker, worker:worker_00/01 RUNNING; crasher FATAL; web:web_a/b STOPPED),
    /// with their configuration; every program runs when started, but `crasher`.
    pub fn recorded() -> Model {
        let processes: Vec<ProcessInfo> =
            decode_typed("fixture", fixture("getAllProcessInfo.xml")).unwrap_or_else(|e| panic!("{e}"));
        let configs: Vec<ConfigInfo> =
            decode_typed("fixture", fixture("getAllConfigInfo.xml")).unwrap_or_else(|e| panic!("{e}"));
        let mut m = Model {
            processes,
            configs,
            next_pid: 5000,
            ..Model::default()
        };
        m.behaviours.insert(
            "crasher".into(),
            Behaviour::Crashes {
                status: 3,
                line: "crasher: fatal error, config missing".into(),
            },
        );
        m
    }
}
