//! supervisord's event-listener protocol, listener side: `READY\n`; a header line
//! (`ver:3.0 server:supervisor serial:21 pool:listener poolserial:10
//! eventname:PROCESS_STATE_RUNNING len:54`); exactly `len` bytes of payload; the
//! answer `RESULT 2\nOK` (or `RESULT 4\nFAIL`: redeliver it). Nothing else is ever
//! written on stdout: any other byte there makes supervisord stop sending events.
//! Parsing is pure; [`serve`] does the blocking I/O on stdin and stdout.

use super::super::event::{ProcessChange, What};
use crate::supervisor::ProcessState;
use std::io::{BufRead, Read, Write};

/// Most payload bytes kept (the rest of a longer payload is read and dropped).
pub const MAX_PAYLOAD: usize = 64 * 1024;
/// Most bytes of a header line (a longer one is an error, read to its end).
const MAX_HEADER: usize = 8 * 1024;

pub const READY: &[u8] = b"READY\n";
pub const OK: &[u8] = b"RESULT 2\nOK";
pub const FAIL: &[u8] = b"RESULT 4\nFAIL";

/// A header line's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub serial: Option<u64>,
    pub eventname: String,
    pub len: usize,
}

/// A header line (without its newline). Errors: what is wrong with it.
pub fn parse_header(line: &str) -> Result<Header, String> {
    let mut serial = None;
    let mut eventname = None;
    let mut len = None;
    for token in line.split_whitespace() {
        match token.split_once(':') {
            Some(("serial", v)) => serial = v.parse().ok(),
            Some(("eventname", v)) => eventname = Some(v.to_owned()),
            Some(("len", v)) => len = v.parse().ok(),
            _ => {}
        }
    }
    match (eventname, len) {
        (Some(eventname), Some(len)) => Ok(Header { serial, eventname, len }),
        _ => Err(format!("bad header (no eventname or len): {}", shorten(line))),
    }
}

/// The event a payload describes. Errors: what is wrong with it.
pub fn parse_payload(eventname: &str, payload: &str) -> Result<What, String> {
    let fields: Vec<(&str, &str)> = payload.split_whitespace().filter_map(|t| t.split_once(':')).collect();
    let get = |k: &str| fields.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    let bad = |what: &str| format!("{eventname}: bad payload ({what}): {}", shorten(payload));
    if let Some(to) = eventname.strip_prefix("PROCESS_STATE_") {
        let to = ProcessState::from_name(to).ok_or_else(|| bad("unknown state"))?;
        let name = get("processname").ok_or_else(|| bad("no processname"))?;
        let group = get("groupname").unwrap_or(name);
        let number = |k: &str| get(k).map(|v| v.parse::<i64>().map_err(|_| bad(k))).transpose();
        return Ok(What::Process(ProcessChange {
            process: if group == name {
                name.to_owned()
            } else {
                format!("{group}:{name}")
            },
            group: group.to_owned(),
            from: get("from_state").and_then(ProcessState::from_name),
            to,
            pid: number("pid")?,
            tries: number("tries")?.and_then(|t| u32::try_from(t).ok()),
            expected: number("expected")?.map(|e| e != 0),
            exitstatus: None,
        }));
    }
    Ok(match eventname {
        "SUPERVISOR_STATE_CHANGE_RUNNING" => What::Daemon { running: true },
        "SUPERVISOR_STATE_CHANGE_STOPPING" => What::Daemon { running: false },
        "PROCESS_GROUP_ADDED" | "PROCESS_GROUP_REMOVED" => What::Group {
            group: get("groupname").ok_or_else(|| bad("no groupname"))?.to_owned(),
            added: eventname == "PROCESS_GROUP_ADDED",
        },
        other => What::Other {
            event: other.to_owned(),
        },
    })
}

/// At most 200 characters of `s`, for an error line.
fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(200).collect();
    if out.len() < s.len() {
        out.push_str("...");
    }
    out
}

/// What [`serve`] read: an event, or why it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Event { header: Header, payload: String },
    Malformed(String),
}

/// Serves the protocol until stdin ends: `READY`, then for each event its header and
/// payload read, answered at once (`OK`, or `FAIL` when `reject` says so: the event is
/// then sent again and not handed on), then handed to `on_event`. A malformed header
/// or payload is answered `OK` too and handed on as [`Received::Malformed`]: the relay
/// goes on. Errors: stdout or stdin failing (supervisord is gone).
pub fn serve(
    input: &mut impl BufRead,
    output: &mut impl Write,
    mut reject: impl FnMut() -> bool,
    mut on_event: impl FnMut(Received),
) -> std::io::Result<()> {
    output.write_all(READY)?;
    output.flush()?;
    loop {
        let Some(line) = read_line(input)? else {
            return Ok(());
        };
        let received = match parse_header(&line) {
            Ok(header) => {
                let payload = read_payload(input, header.len)?;
                Received::Event { header, payload }
            }
            Err(e) => Received::Malformed(e),
        };
        let refused = matches!(received, Received::Event { .. }) && reject();
        output.write_all(if refused { FAIL } else { OK })?;
        output.write_all(READY)?;
        output.flush()?;
        if !refused {
            on_event(received);
        }
    }
}

/// One header line (`None` at the end of input); a longer one is cut.
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = input.by_ref().take(MAX_HEADER as u64).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if !buf.ends_with(b"\n") {
        // Too long: drop the rest of the line.
        let mut rest = Vec::new();
        input.read_until(b'\n', &mut rest)?;
    }
    Ok(Some(String::from_utf8_lossy(&buf).trim_end().to_owned()))
}

/// Exactly `len` bytes (the first [`MAX_PAYLOAD`] kept), or fewer at the end of input.
fn read_payload(input: &mut impl BufRead, len: usize) -> std::io::Result<String> {
    let mut kept = Vec::new();
    input
        .by_ref()
        .take(len.min(MAX_PAYLOAD) as u64)
        .read_to_end(&mut kept)?;
    if len > MAX_PAYLOAD {
        std::io::copy(
            &mut input.by_ref().take((len - MAX_PAYLOAD) as u64),
            &mut std::io::sink(),
        )?;
    }
    Ok(String::from_utf8_lossy(&kept).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_payloads_parse_as_supervisord_writes_them() {
        let h = parse_header(
            "ver:3.0 server:supervisor serial:21 pool:listener poolserial:10 eventname:PROCESS_STATE_EXITED len:71",
        );
        assert_eq!(
            h,
            Ok(Header {
                serial: Some(21),
                eventname: "PROCESS_STATE_EXITED".into(),
                len: 71
            })
        );
        let w = parse_payload(
            "PROCESS_STATE_EXITED",
            "processname:web_00 groupname:web from_state:RUNNING expected:0 pid:2766",
        );
        let Ok(What::Process(p)) = w else { panic!("{w:?}") };
        assert_eq!(
            (p.process.as_str(), p.from, p.to, p.pid, p.expected),
            (
                "web:web_00",
                Some(ProcessState::Running),
                ProcessState::Exited,
                Some(2766),
                Some(false)
            )
        );
        let starting = parse_payload(
            "PROCESS_STATE_STARTING",
            "processname:cat groupname:cat from_state:STOPPED tries:0",
        );
        assert!(matches!(starting, Ok(What::Process(ref p)) if p.process == "cat" && p.tries == Some(0)));
        assert_eq!(
            parse_payload("PROCESS_GROUP_ADDED", "groupname:x\n"),
            Ok(What::Group {
                group: "x".into(),
                added: true
            })
        );
        assert_eq!(
            parse_payload("SUPERVISOR_STATE_CHANGE_STOPPING", ""),
            Ok(What::Daemon { running: false })
        );
        assert!(parse_header("garbage").is_err());
        assert!(parse_payload("PROCESS_STATE_RUNNING", "groupname:x").is_err());
        assert!(parse_payload("PROCESS_STATE_EXITED", "processname:a pid:x").is_err());
    }

    #[test]
    fn every_event_is_answered_at_once_and_nothing_else_is_written() {
        let input = "ver:3.0 serial:1 eventname:PROCESS_GROUP_ADDED len:12\ngroupname:x\n\
                     this is not a header\n\
                     ver:3.0 serial:2 eventname:SUPERVISOR_STATE_CHANGE_RUNNING len:0\n\
                     ver:3.0 serial:3 eventname:PROCESS_STATE_RUNNING len:5\nab";
        let mut out = Vec::new();
        let mut got = Vec::new();
        let mut calls = 0;
        let reject_second = || {
            calls += 1;
            calls == 2
        };
        let r = serve(&mut input.as_bytes(), &mut out, reject_second, |e| got.push(e));
        assert!(r.is_ok());
        assert_eq!(
            String::from_utf8_lossy(&out),
            "READY\nRESULT 2\nOKREADY\nRESULT 2\nOKREADY\nRESULT 4\nFAILREADY\nRESULT 2\nOKREADY\n"
        );
        assert_eq!(got.len(), 3, "the rejected event is not handed on: {got:?}");
        assert!(matches!(got[1], Received::Malformed(_)));
        assert!(
            matches!(&got[2], Received::Event { payload, .. } if payload == "ab"),
            "a short payload at the end"
        );
    }
}
