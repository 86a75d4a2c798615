//! A real supervisord for tests: started in a temp dir on a unix socket and on
//! loopback HTTP (optionally with basic auth), stopped on drop with every process it
//! started, and silent (its output goes to files in its dir). If supervisord cannot
//! be found the test fails with the command that installs it; it never skips.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "tester";
pub const PASSWORD: &str = "s3cret:with#chars";

/// What supervisord says (on stderr) when its HTTP port is taken.
const PORT_TAKEN: &str = "Another program is already listening";

/// Programs every test daemon runs (their logs are in the temp dir as NAME.out.log
/// and NAME.err.log).
const PROGRAMS: &str = r#"
[program:sleeper]
command=sleep 100000
stdout_logfile=%(here)s/sleeper.out.log
stderr_logfile=%(here)s/sleeper.err.log

[program:crasher]
command=sh -c 'echo "crasher: fatal error, config missing" >&2; exit 3'
autostart=false
startsecs=1
startretries=0
stdout_logfile=%(here)s/crasher.out.log
stderr_logfile=%(here)s/crasher.err.log

[program:colors]
command=sh -c 'printf "\033[32mINFO\033[0m started\n\033[31mERROR\033[0m red line\nprogress 10%%%%\rprogress 100%%%%\n"; exec sleep 100000'
stdout_logfile=%(here)s/colors.out.log
stderr_logfile=%(here)s/colors.err.log

[program:binary]
command=sh -c 'printf "first line\nbad \377\376 bytes\nafter é ok\n"; exec sleep 100000'
stdout_logfile=%(here)s/binary.out.log
stderr_logfile=%(here)s/binary.err.log

[program:fast]
command=sh -c 'i=0; while [ $i -lt 20000 ]; do echo "fast line $i"; i=$((i+1)); done; exec sleep 100000'
stdout_logfile=%(here)s/fast.out.log
stderr_logfile=%(here)s/fast.err.log

[program:stubborn]
command=sh -c 'trap "" TERM; while true; do sleep 0.2; done'
autostart=false
startsecs=0
stopwaitsecs=5
stdout_logfile=%(here)s/stubborn.out.log
stderr_logfile=%(here)s/stubborn.err.log

[program:quiet]
command=sleep 100000
autostart=false
redirect_stderr=true
stdout_logfile=%(here)s/quiet.out.log

[program:rotator]
command=sh -c 'i=0; while true; do i=$((i+1)); echo "rot line $i"; sleep 0.005; done'
autostart=false
stdout_logfile=%(here)s/rotator.out.log
stdout_logfile_maxbytes=8KB
stdout_logfile_backups=3
stderr_logfile=%(here)s/rotator.err.log

[program:echo]
command=cat
stdout_logfile=%(here)s/echo.out.log
stderr_logfile=%(here)s/echo.err.log

[program:worker]
command=sleep 100000
numprocs=3
process_name=%(program_name)s_%(process_num)02d
stdout_logfile=%(here)s/%(process_num)02d.worker.out.log
stderr_logfile=%(here)s/%(process_num)02d.worker.err.log

[program:web_a]
command=sleep 100000
autostart=false
stdout_logfile=%(here)s/web_a.out.log
stderr_logfile=%(here)s/web_a.err.log

[program:web_b]
command=sleep 100000
autostart=false
stdout_logfile=%(here)s/web_b.out.log
stderr_logfile=%(here)s/web_b.err.log

[group:web]
programs=web_a,web_b
"#;

/// Finds supervisord: $SUPERVISORD, the repo's .venv (made by scripts/setup.sh), PATH.
pub fn supervisord_bin() -> PathBuf {
    if let Ok(p) = std::env::var("SUPERVISORD") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/supervisord");
    if venv.is_file() {
        return venv;
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("supervisord");
            if p.is_file() {
                return p;
            }
        }
    }
    panic!(
        "supervisord not found. These tests need a real supervisord: run `scripts/setup.sh` \
         (creates .venv with supervisor==4.3.0 from PyPI), or `pip install supervisor==4.3.0`, \
         or set SUPERVISORD=/path/to/supervisord"
    );
}

/// supervisord run on `conf`, its stdout and stderr in files beside `conf`
/// (`supervisord.stdout`, `supervisord.stderr`), so none of its lines reach the test
/// output. For a daemon a test configures itself; [`Daemon`] is the usual way.
pub fn supervisord_command(conf: &Path) -> Command {
    let file = |name: &str| std::fs::File::create(conf.with_file_name(name)).expect("create a log file");
    let mut c = Command::new(supervisord_bin());
    c.arg("-c")
        .arg(conf)
        .stdin(Stdio::null())
        .stdout(file("supervisord.stdout"))
        .stderr(file("supervisord.stderr"));
    c
}

/// The Python of the repo's .venv, where `scripts/setup.sh --test` installs the MCP
/// Python SDK, jsonschema and tiktoken.
pub fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    assert!(
        p.is_file(),
        "{} is missing: run scripts/setup.sh --test (installs the MCP Python SDK)",
        p.display()
    );
    p
}

/// A script of `tests/py/` (the MCP probe and its helpers).
pub fn py_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py").join(name)
}

/// A loopback port nobody listened on a moment ago (another process may take it
/// before the caller binds it: see [`listens`]).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

/// True when process `pid` itself listens on 127.0.0.1:`port` (TCP): a listening
/// socket of `/proc/net/tcp` on that address is one of its open files. A test that
/// picks a free port and hands it to a server waits for this rather than for any
/// answer on the port: another process may have taken the port in between.
pub fn listens(pid: u32, port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let local = format!("0100007F:{port:04X}");
    // Columns: sl, local_address, rem_address, st (0A: LISTEN), ..., inode (10th).
    let sockets: Vec<String> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|f| f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A"))
        .filter_map(|f| f.get(9).map(|inode| format!("socket:[{inode}]")))
        .collect();
    !sockets.is_empty()
        && std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| sockets.iter().any(|s| t.as_os_str() == s.as_str())))
}

/// Starts a server on a free loopback port (`command(port)` binds it; its stderr goes
/// to the file `stderr`) and waits, at most 10 s, until the server itself listens
/// there. Another process may take the port between [`free_port`] and the server's
/// bind (tests run in parallel): a server that exits saying "Address already in use"
/// is started again on another port. Panics, with its stderr, if it exits otherwise.
pub fn spawn_on_free_port(mut command: impl FnMut(u16) -> Command, stderr: &Path) -> (Child, u16) {
    for _ in 0..5 {
        let port = free_port();
        let file = std::fs::File::create(stderr).expect("create the server's stderr file");
        let mut child = command(port).stderr(file).spawn().expect("spawn the server");
        if listening(&mut child, port, stderr) {
            return (child, port);
        }
    }
    panic!("no free port after 5 tries");
}

/// Waits until `child` listens on `port` (true), or has exited (reaped) because the
/// port was taken (false). Panics (the child killed) otherwise, or after 10 s.
fn listening(child: &mut Child, port: u16, stderr: &Path) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !listens(child.id(), port) {
        if let Some(st) = child.try_wait().expect("try_wait") {
            let err = std::fs::read_to_string(stderr).unwrap_or_default();
            assert!(
                err.contains("Address already in use"),
                "the server exited ({st}): {err}"
            );
            return false;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not listen on port {port} within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// How to reach the daemon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Via {
    Unix,
    Http,
}

pub const BOTH: [Via; 2] = [Via::Unix, Via::Http];

pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub sock: PathBuf,
    pub port: u16,
    pub auth: bool,
    child: Child,
}

impl Daemon {
    pub fn start() -> Daemon {
        Self::start_with(false, "")
    }

    pub fn with_auth() -> Daemon {
        Self::start_with(true, "")
    }

    /// Starts supervisord with the standard programs plus `extra` config text.
    pub fn start_with(auth: bool, extra: &str) -> Daemon {
        Self::start_programs(auth, PROGRAMS, extra)
    }

    /// Starts supervisord with only the `programs` given (config text): a light daemon,
    /// for tests that run many.
    pub fn start_programs(auth: bool, programs: &str, extra: &str) -> Daemon {
        // Another process may take the port between `free_port` and supervisord's
        // bind (tests run in parallel): supervisord then exits at once, saying so, and
        // is started again on another port.
        let mut attempt = 0;
        loop {
            attempt += 1;
            match Self::try_start(auth, programs, extra) {
                Ok(d) => return d,
                Err(why) if why.contains(PORT_TAKEN) && attempt < 5 => continue,
                Err(why) => panic!("supervisord exited at start: {why}"),
            }
        }
    }

    /// One start on a free port: the daemon once it answers, or what supervisord
    /// said when it exited instead.
    fn try_start(auth: bool, programs: &str, extra: &str) -> Result<Daemon, String> {
        let bin = supervisord_bin();
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("supervisor.sock");
        let port = free_port();
        let creds = if auth {
            format!("username={USER}\npassword={PASSWORD}\n")
        } else {
            String::new()
        };
        let conf = format!(
            "[unix_http_server]\nfile=%(here)s/supervisor.sock\nchmod=0700\n{creds}\n\
             [inet_http_server]\nport=127.0.0.1:{port}\n{creds}\n\
             [supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n\
             childlogdir=%(here)s\nnodaemon=true\nloglevel=info\n\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n\n\
             [include]\nfiles=%(here)s/conf.d/*.conf\n\
             {programs}\n{extra}\n"
        );
        std::fs::create_dir_all(dir.path().join("conf.d")).expect("conf.d");
        let conf_path = dir.path().join("supervisord.conf");
        std::fs::write(&conf_path, conf).expect("write conf");
        let child = supervisord_command(&conf_path)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let mut d = Daemon {
            dir,
            sock,
            port,
            auth,
            child,
        };
        d.wait_ready()?;
        Ok(d)
    }

    /// Waits until the daemon answers on both its socket and its port. Err (what
    /// supervisord said) when it exited instead; panics after 20 s.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let read = |name: &str| std::fs::read_to_string(self.path(name)).unwrap_or_default();
                return Err(format!(
                    "{status}: {}{}",
                    read("supervisord.stderr"),
                    read("supervisord.log")
                ));
            }
            if self.sock.exists() && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                let out = self.cli(Via::Unix).args(["status"]).output().expect("run cli");
                // 0 or 3 (some process not running) both mean the daemon answers.
                if matches!(out.status.code(), Some(0 | 3)) {
                    return Ok(());
                }
            }
            assert!(Instant::now() < deadline, "supervisord did not become ready in 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A client of this daemon's unix socket (reply timeout 30 s), for tests that call
    /// the library directly.
    pub fn client(&self) -> supervisord_mcp::supervisor::Client {
        use supervisord_mcp::supervisor::{Client, Endpoint, ServerSettings};
        let p = Endpoint::parse(&self.url(Via::Unix)).expect("url");
        Client::new(&ServerSettings {
            endpoint: p.endpoint,
            username: None,
            password: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            tls: Default::default(),
        })
        .expect("client")
    }

    /// supervisorctl (beside supervisord) against this daemon's socket: another
    /// client, whose changes this tool learns only from the daemon.
    pub fn supervisorctl(&self, args: &[&str]) -> std::process::Output {
        let conf = self.path("supervisorctl.conf");
        std::fs::write(&conf, format!("[supervisorctl]\nserverurl={}\n", self.url(Via::Unix))).expect("write");
        let mut c = Command::new(supervisord_bin().with_file_name("supervisorctl"));
        c.arg("-c").arg(conf);
        if self.auth {
            c.args(["-u", USER, "-p", PASSWORD]);
        }
        c.args(args).output().expect("run supervisorctl")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn conf_path(&self) -> PathBuf {
        self.path("supervisord.conf")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, via: Via) -> String {
        match via {
            Via::Unix => format!("unix://{}", self.sock.display()),
            Via::Http => format!("http://127.0.0.1:{}", self.port),
        }
    }

    /// The CLI, pointed at this daemon (with credentials when it needs them).
    pub fn cli(&self, via: Via) -> assert_cmd::Command {
        let mut c = bare_cli();
        c.args(["-s", &self.url(via)]).env("XDG_CACHE_HOME", self.path("cache"));
        if self.auth {
            c.env("SUPERVISOR_USERNAME", USER).env("SUPERVISOR_PASSWORD", PASSWORD);
        }
        c
    }

    /// Writes (appends) bytes to a file in the daemon's dir (e.g. a log).
    pub fn append(&self, name: &str, bytes: &[u8]) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.path(name))
            .expect("open");
        f.write_all(bytes).expect("write");
    }

    /// Grows a file in the daemon's dir to `len` bytes without writing them (sparse).
    pub fn sparse(&self, name: &str, len: u64) {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path(name))
            .expect("open");
        f.set_len(len).expect("set_len");
    }

    /// Waits until `cond` holds on `status --json` output, or panics after `secs`.
    pub fn wait_for(&self, secs: u64, what: &str, cond: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let out = self.cli(Via::Unix).args(["status", "--json"]).output().expect("status");
            if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout)
                && cond(&v)
            {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The state of one process, from `status --json`.
    pub fn state(&self, name: &str) -> String {
        let out = self
            .cli(Via::Unix)
            .args(["status", name, "--json"])
            .output()
            .expect("status");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        v["processes"][0]["state"].as_str().unwrap_or("?").to_owned()
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the daemon.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(ok.success());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let log = self.path("supervisord.log");
        stop_supervisord(&mut self.child, &log, &self.sock);
    }
}

/// Stops the supervisord `child` (its main log `log`, its socket `sock`) and every
/// process it started. Once supervisord has taken a TERM in (its log says so) it
/// starts nothing more, so its processes are killed at once instead of waiting for
/// its own shutdown, which stops one group per one-second tick and takes minutes
/// with hundreds of groups: cut short by a timeout, that would orphan them
/// (supervisord makes each child a process-group leader, so they do not die with
/// it). A last sweep kills what survived anyway.
pub fn stop_supervisord(child: &mut Child, log: &Path, sock: &Path) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        // It exited by itself and is reaped: its pid may be reused, so by
        // environment only.
        kill_all(&started_by(None, sock));
        return;
    }
    let pid = Pid::from_raw(child.id() as i32);
    let logged = std::fs::metadata(log).map_or(0, |m| m.len() as usize);
    let _ = kill(pid, Signal::SIGCONT);
    let _ = kill(pid, Signal::SIGTERM);
    let taken_in = || {
        std::fs::read(log)
            .map(|b| String::from_utf8_lossy(b.get(logged..).unwrap_or_default()).contains("indicating exit request"))
            .unwrap_or(false)
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut exited = false;
    while !taken_in() && Instant::now() < deadline {
        exited = matches!(child.try_wait(), Ok(Some(_)));
        if exited {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // Once reaped, its pid may be reused: then by environment only.
    kill_all(&started_by((!exited).then(|| child.id()), sock));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(child.try_wait(), Ok(Some(_))) {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The daemon is gone and its pid may be reused: by environment only.
    kill_all(&started_by(None, sock));
}

/// Every live process the supervisord listening on `sock` started, directly or not:
/// every process whose environment names its socket (supervisord sets
/// `SUPERVISOR_SERVER_URL` for each child, and their children inherit it), which
/// finds them even once orphaned, and, given the daemon's pid while it runs, its
/// descendants by parent pid (a program may clear its environment).
pub fn started_by(daemon_pid: Option<u32>, sock: &Path) -> Vec<i32> {
    let marker = format!("SUPERVISOR_SERVER_URL=unix://{}", sock.display());
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut found = Vec::new();
    let pids = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok());
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        let mut fields = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace();
        let (Some(state), Some(Ok(ppid))) = (fields.next(), fields.next().map(str::parse::<i32>)) else {
            continue;
        };
        if state == "Z" || state == "X" {
            continue;
        }
        children.entry(ppid).or_default().push(pid);
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if env.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
            found.push(pid);
        }
    }
    let daemon = daemon_pid.map_or(-1, |p| p as i32);
    let mut todo = vec![daemon];
    while let Some(p) = todo.pop() {
        for &c in children.get(&p).into_iter().flatten() {
            if !found.contains(&c) {
                found.push(c);
            }
            todo.push(c);
        }
    }
    let me = std::process::id() as i32;
    found.retain(|&p| p != me && p != daemon);
    found
}

fn kill_all(pids: &[i32]) {
    for &p in pids {
        let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
    }
}

/// The CLI with a clean environment (no SUPERVISOR_* from the caller).
pub fn bare_cli() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("supervisord-mcp").expect("binary");
    c.env_remove("SUPERVISOR_SERVER_URL")
        .env_remove("SUPERVISOR_USERNAME")
        .env_remove("SUPERVISOR_PASSWORD")
        .env_remove("SUPERVISOR_CA_FILE")
        .env_remove("SUPERVISOR_CLIENT_CERT")
        .env_remove("SUPERVISOR_CLIENT_KEY")
        .current_dir(std::env::temp_dir())
        .timeout(Duration::from_secs(60));
    c
}

/// stdout as a string.
pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as a string.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Parses stdout as one JSON document.
pub fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// A running `logs -f` (or any long-running CLI command), its stdout read line by line
/// on a thread. Killed on drop.
pub struct Follower {
    child: Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Follower {
    /// Runs the CLI against `d` over `via` with `args`.
    pub fn start(d: &Daemon, via: Via, args: &[&str]) -> Follower {
        use std::io::{BufRead, BufReader};
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("supervisord-mcp"))
            .args(["-s", &d.url(via)])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the CLI");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        Follower { child, lines: rx }
    }

    /// The next line, waiting at most 10 s.
    pub fn next(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a line within 10 s")
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
