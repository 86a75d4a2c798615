//! Text from the daemon is data, not terminal control (issue 17, item 5): process
//! names, the identification, configuration values, URLs and fault text holding ESC,
//! BEL, CR or C1 characters never reach stdout, stderr or an MCP text raw; they are
//! shown escaped (`\x1b`, `\r`, `\n`, `\x9b`), and a name with CR LF cannot start a
//! row of its own. A real supervisord sends what it can (it accepts such characters
//! in program names and in `identifier=`); a fake on loopback sends what it cannot
//! (a name with CR LF, a version with an OSC sequence). Against the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A program name with a colour (CSI), a bell and a C1 CSI: only shown, never sent
/// (XML-RPC cannot carry ESC or BEL in a request).
const EVIL: &str = "evil\x1b[31mred\x07\u{9b}2J";
const EVIL_SHOWN: &str = r"evil\x1b[31mred\x07\x9b2J";
/// A name with only a C1 control, which XML-RPC carries: it can be started.
const CSI: &str = "csi\u{9b}2J";
const CSI_SHOWN: &str = r"csi\x9b2J";
/// `[supervisord] identifier=`: an OSC (window title), a bell, a C1 CSI.
const IDENT: &str = "id\x1b]0;pwned\x07\u{9b}X";
const IDENT_SHOWN: &str = r"id\x1b]0;pwned\x07\x9bX";
/// A `command=` (of program `badcmd`) that does not exist, with an OSC in it.
const COMMAND: &str = "/nonexistent/x\x1b]0;t\x07\u{9b}y";
const COMMAND_SHOWN: &str = r"/nonexistent/x\x1b]0;t\x07\x9by";

/// A real supervisord whose programs and identification carry control characters.
fn hostile_daemon() -> Daemon {
    let log = |n: &str| format!("stdout_logfile=%(here)s/{n}.out.log\nstderr_logfile=%(here)s/{n}.err.log\n");
    let programs = format!(
        "[program:{EVIL}]\ncommand=sleep 100000\nautostart=false\n{}\n\
         [program:{CSI}]\ncommand=/nonexistent/csi\nautostart=false\nstartretries=0\n{}\n\
         [program:badcmd]\ncommand={COMMAND}\nautostart=false\nstartretries=0\n{}\n",
        log("evil"),
        log("csi"),
        log("badcmd")
    );
    Daemon::start_programs(false, &programs, &format!("[supervisord]\nidentifier={IDENT}\n"))
}

/// Where `bytes` hold a raw ESC, BEL, CR, or C1 character (UTF-8 0xc2 0x80..0x9f).
fn raw_control(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|b| matches!(b, 0x1b | 0x07 | 0x0d)).or_else(|| {
        bytes
            .windows(2)
            .position(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]))
    })
}

fn assert_no_control(what: &str, bytes: &[u8]) {
    if let Some(i) = raw_control(bytes) {
        panic!(
            "{what}: a raw control character at byte {i}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Runs the CLI; its stdout and stderr hold no raw control character; returns both.
fn run_clean(mut cli: assert_cmd::Command, args: &[&str]) -> String {
    let o = cli.args(args).output().unwrap();
    assert_no_control(&format!("{args:?} stdout"), &o.stdout);
    assert_no_control(&format!("{args:?} stderr"), &o.stderr);
    format!("{}{}", stdout(&o), stderr(&o))
}

#[test]
fn the_cli_shows_the_daemon_s_control_characters_escaped() {
    let d = hostile_daemon();
    let cases: [(&[&str], &str); 8] = [
        (&["status"], EVIL_SHOWN),
        (&["avail"], EVIL_SHOWN),
        (&["info"], IDENT_SHOWN),
        (&["diagnose", "badcmd"], COMMAND_SHOWN),
        (&["diagnose", CSI], CSI_SHOWN),
        // A start that fails: the name in its result line.
        (&["start", CSI], &format!("{CSI_SHOWN}: ERROR")),
        // A typo: BAD_NAME, and the name it is closest to.
        (&["start", "csi2J"], &format!("did you mean `{CSI_SHOWN}`?")),
        (&["status", "csi2J"], &format!("did you mean `{CSI_SHOWN}`?")),
    ];
    for (args, shown) in cases {
        let out = run_clean(d.cli(Via::Unix), args);
        assert!(out.contains(shown), "{args:?}: no {shown:?} in {out:?}");
    }
    // JSON: valid, the exact names (escaped the JSON way), no raw control either.
    let o = d.cli(Via::Unix).args(["status", "--json"]).output().unwrap();
    assert_no_control("status --json", &o.stdout);
    let names: Vec<String> = json(&o)["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&EVIL.to_owned()) && names.contains(&CSI.to_owned()),
        "{names:?}"
    );
}

#[test]
fn targets_and_errors_show_a_hostile_url_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("x\x1b[31m\u{9b}z.sock");
    let file = dir.path().join("fleet.toml");
    let url = json!(format!("unix://{}", sock.display())).to_string();
    std::fs::write(&file, format!("[targets.a]\nurl = {url}\n")).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let fleet = || {
        let mut c = bare_cli();
        c.arg("--fleet").arg(&file);
        c
    };
    let shown = r"x\x1b[31m\x9bz.sock";
    for args in [&["targets"][..], &["status"], &["-t", "a", "info"]] {
        let out = run_clean(fleet(), args);
        assert!(out.contains(shown), "{args:?}: {out}");
    }
    let mut one = bare_cli();
    one.args(["-s", &format!("unix://{}", sock.display())]);
    let out = run_clean(one, &["status"]);
    assert!(out.contains(shown) && out.contains("error:"), "{out}");
}

/// The built binary's MCP server on stdio, driven line by line.
struct McpStdio {
    child: Child,
    _cache: tempfile::TempDir,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Vec<u8>>,
    next_id: u64,
}

impl McpStdio {
    fn start(url: &str) -> McpStdio {
        let cache = tempfile::tempdir().unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", url, "mcp"])
            .env("XDG_CACHE_HOME", cache.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            loop {
                let mut line = Vec::new();
                match r.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) if tx.send(line).is_err() => return,
                    Ok(_) => {}
                }
            }
        });
        let mut s = McpStdio {
            stdin: child.stdin.take(),
            child,
            _cache: cache,
            lines,
            next_id: 0,
        };
        let init = json!({"protocolVersion": "2025-06-18", "capabilities": {},
                          "clientInfo": {"name": "hostile-text", "version": "0"}});
        s.request("initialize", init);
        s.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        s
    }

    fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
    }

    /// The result of one request; every line of stdout read on the way holds no raw
    /// ESC, BEL or CR (JSON escapes them; C1 characters may stay raw in
    /// structuredContent, which is JSON for programs, and are checked in the text).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no answer to {method}: {e}"));
            assert!(!line.iter().any(|b| matches!(b, 0x1b | 0x07 | 0x0d)), "{line:?}");
            let v: Value = serde_json::from_slice(&line).unwrap();
            if v["id"] == json!(id) {
                return v["result"].clone();
            }
        }
    }

    /// A tool's text, which holds no raw control character.
    fn tool_text(&mut self, tool: &str, args: Value) -> String {
        let r = self.request("tools/call", json!({"name": tool, "arguments": args}));
        let text: String = r["content"]
            .as_array()
            .unwrap_or_else(|| panic!("{tool}: no content in {r}"))
            .iter()
            .filter_map(|c| c["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert_no_control(&format!("{tool} {args} text"), text.as_bytes());
        text
    }
}

impl Drop for McpStdio {
    fn drop(&mut self) {
        drop(self.stdin.take());
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn mcp_text_shows_the_daemon_s_control_characters_escaped() {
    let d = hostile_daemon();
    let mut mcp = McpStdio::start(&d.url(Via::Unix));
    let cases = [
        ("status", json!({}), EVIL_SHOWN.to_owned()),
        ("diagnose", json!({"name": "badcmd"}), COMMAND_SHOWN.to_owned()),
        (
            "status",
            json!({"names": ["csi2J"]}),
            format!("did you mean `{CSI_SHOWN}`?"),
        ),
        (
            "control",
            json!({"action": "start", "names": [CSI]}),
            format!("{CSI_SHOWN}: "),
        ),
    ];
    for (tool, args, shown) in cases {
        let text = mcp.tool_text(tool, args.clone());
        assert!(text.contains(&shown), "{tool} {args}: no {shown:?} in {text:?}");
    }
}

/// A name that tries to forge a row of its own, in a table or an MCP text.
const FORGED: &str = "api\r\nforged RUNNING pid 1, uptime 9:00:00";
const FORGED_SHOWN: &str = r"api\r\nforged RUNNING";
/// A version with an OSC sequence (a window title) and a C1 CSI.
const VERSION: &str = "4.3.0\x1b]0;owned\x07\u{9b}2J";
const VERSION_SHOWN: &str = r"4.3.0\x1b]0;owned\x07\x9b2J";

/// The XML of `s` as a fake supervisord sends it: CR as a character reference (a
/// literal one would be a line end to an XML parser), other characters as they are.
fn xml_string(s: &str) -> String {
    let s = s.replace('&', "&amp;").replace('<', "&lt;").replace('\r', "&#13;");
    format!("<value><string>{s}</string></value>")
}

/// The reply of the fake daemon to `method`.
fn fake_reply(method: &str) -> String {
    let int = |n: i64| format!("<value><int>{n}</int></value>");
    let member = |k: &str, v: String| format!("<member><name>{k}</name>{v}</member>");
    let process = || {
        let fields = [
            member("name", xml_string(FORGED)),
            member("group", xml_string(FORGED)),
            member("start", int(1)),
            member("stop", int(0)),
            member("now", int(100)),
            member("state", int(20)),
            member("statename", xml_string("RUNNING")),
            member("spawnerr", xml_string("")),
            member("exitstatus", int(0)),
            member("logfile", xml_string("/tmp/forged.log")),
            member("stdout_logfile", xml_string("/tmp/forged.log")),
            member("stderr_logfile", xml_string("/tmp/forged.err")),
            member("pid", int(4242)),
            member("description", xml_string("pid 4242, uptime 0:01:39")),
        ];
        format!("<value><struct>{}</struct></value>", fields.concat())
    };
    match method {
        "supervisor.getState" => format!(
            "<value><struct>{}{}</struct></value>",
            member("statecode", int(1)),
            member("statename", xml_string("RUNNING"))
        ),
        "supervisor.getSupervisorVersion" => xml_string(VERSION),
        "supervisor.getAPIVersion" => xml_string("3.0"),
        "supervisor.getIdentification" => xml_string("supervisor"),
        "supervisor.getPID" => int(4242),
        "supervisor.getAllProcessInfo" => format!("<value><array><data>{}</data></array></value>", process()),
        "supervisor.getProcessInfo" => process(),
        _ => format!(
            "<value><struct>{}{}</struct></value>",
            member("faultCode", int(1)),
            member("faultString", xml_string("UNKNOWN_METHOD"))
        ),
    }
}

/// The methods a request calls: its own, or those inside a `system.multicall`.
fn methods_of(body: &str) -> (bool, Vec<String>) {
    let names: Vec<String> = body
        .split("<string>")
        .skip(1)
        .chain(body.split("<methodName>").skip(1))
        .filter_map(|s| s.split('<').next())
        .filter(|m| m.starts_with("supervisor.") || m.starts_with("system."))
        .map(str::to_owned)
        .collect();
    let multi = names.iter().any(|m| m == "system.multicall");
    (multi, names.into_iter().filter(|m| m != "system.multicall").collect())
}

/// Serves one HTTP request of an XML-RPC client.
fn serve_one(mut sock: std::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let body = loop {
        let Ok(n) = sock.read(&mut chunk) else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let len = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        if body.len() >= len {
            break body.to_owned();
        }
    };
    let (multi, methods) = methods_of(&body);
    let value = if multi {
        // supervisord's multicall answers each call's value as it is (not in an array).
        let each: String = methods.iter().map(|m| fake_reply(m)).collect();
        format!("<value><array><data>{each}</data></array></value>")
    } else {
        fake_reply(methods.first().map_or("", String::as_str))
    };
    let xml = if value.contains("faultCode") {
        format!("<?xml version='1.0'?><methodResponse><fault>{value}</fault></methodResponse>")
    } else {
        format!("<?xml version='1.0'?><methodResponse><params><param>{value}</param></params></methodResponse>")
    };
    let _ = write!(
        sock,
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
        xml.len()
    );
}

/// A fake supervisord on loopback HTTP (for as long as the test runs): its URL.
fn fake_daemon() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    std::thread::spawn(move || {
        for sock in l.incoming().flatten() {
            std::thread::spawn(move || serve_one(sock));
        }
    });
    url
}

/// True when a line of `text` starts with `forged`: a row the daemon made.
fn forged_row(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with("forged"))
}

#[test]
fn a_name_with_cr_lf_cannot_start_a_row_of_its_own() {
    let url = fake_daemon();
    let cli = || {
        let mut c = bare_cli();
        c.args(["-s", &url]);
        c
    };
    let out = run_clean(cli(), &["status"]);
    assert!(!forged_row(&out) && out.contains(FORGED_SHOWN), "{out}");
    for args in [&["version"][..], &["info"]] {
        let out = run_clean(cli(), args);
        assert!(out.contains(VERSION_SHOWN), "{args:?}: {out}");
    }
    let mut mcp = McpStdio::start(&url);
    let text = mcp.tool_text("status", json!({}));
    assert!(!forged_row(&text) && text.contains(FORGED_SHOWN), "{text}");
    assert!(text.contains(VERSION_SHOWN), "{text}");
}

/// Said for a process whose name no XML-RPC request can carry.
const UNCARRIED: &str = "this name holds a control character that XML-RPC cannot carry; rename the program";

/// A program whose name holds ESC and BEL cannot be acted on: XML-RPC cannot carry
/// them (supervisord answers HTTP 400). It is refused per name, kind `invalid`, and
/// `start all`/`stop all` act on every other process, in the CLI and over MCP; a
/// command on that name alone is an error of kind `invalid`; nothing says "is this
/// supervisord's XML-RPC address?". Before, `start all` failed as a whole (HTTP 400).
#[test]
fn a_name_xml_rpc_cannot_carry_is_refused_alone_and_all_acts_on_the_rest() {
    let programs = format!(
        "[program:{EVIL}]\ncommand=sleep 100000\nautostart=false\nstartsecs=0\n\n\
         [program:plain]\ncommand=sleep 100000\nautostart=false\nstartsecs=0\n"
    );
    let d = Daemon::start_programs(false, &programs, "");
    let o = d.cli(Via::Unix).args(["start", "all"]).output().unwrap();
    let said = format!("{}{}", stdout(&o), stderr(&o));
    assert_no_control("start all", said.as_bytes());
    assert_eq!(o.status.code(), Some(1), "{said}");
    assert!(said.contains("plain: started"), "{said}");
    assert!(
        said.contains(&format!("{EVIL_SHOWN}: ERROR (INVALID) {UNCARRIED}")),
        "{said}"
    );
    assert!(!said.contains("XML-RPC address"), "{said}");
    assert_eq!(d.state("plain"), "RUNNING");
    // JSON: every process has its result; the one not asked is `invalid`.
    let o = d.cli(Via::Unix).args(["stop", "all", "--json"]).output().unwrap();
    let results = json(&o)["results"].as_array().cloned().unwrap_or_default();
    let outcome = |name: &str| {
        results
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["outcome"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(outcome("plain").as_deref(), Some("stopped"), "{results:?}");
    assert_eq!(outcome(EVIL).as_deref(), Some("invalid"), "{results:?}");
    // The name alone: per name as well; a command on it alone, an error of kind invalid.
    let said = run_clean(d.cli(Via::Unix), &["start", EVIL]);
    assert!(said.contains(&format!("ERROR (INVALID) {UNCARRIED}")), "{said}");
    for args in [&["diagnose", EVIL][..], &["logs", EVIL]] {
        let o = d.cli(Via::Unix).args(args).arg("--json").output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = &json(&o)["error"];
        assert_eq!(e["kind"], "invalid", "{args:?}: {e}");
        assert!(!e.to_string().contains("XML-RPC address"), "{e}");
    }
    // MCP: the same results.
    let mut mcp = McpStdio::start(&d.url(Via::Unix));
    let text = mcp.tool_text("control", json!({"action": "start", "names": ["all"]}));
    assert!(
        text.contains("plain: started") && text.contains(&format!("{EVIL_SHOWN}: INVALID: {UNCARRIED}")),
        "{text}"
    );
}
