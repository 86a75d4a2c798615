//! The demo daemon of the docs' examples: supervisord.conf.example, as scripts/demo.sh
//! runs it (unix socket ./run/supervisor.sock, HTTP 127.0.0.1:9001, programs added
//! into ./run/programs), but in a temp dir of its own (a copy of the file and of
//! fixtures/programs/colors.py), in the foreground, stopped on drop with every
//! process it started.

use crate::common::{stop_supervisord, supervisord_command};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One demo at a time: they share the port.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `supervisord-mcp ARGS... mcp`, from `c`, serving MCP over stdio: stdin and stdout
/// piped, stderr dropped.
pub fn serve_mcp(mut c: Command) -> Child {
    c.arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run supervisord-mcp mcp")
}

/// The files a docs example may use, copied from the repository into the demo's dir.
const FILES: [(&str, &str); 3] = [
    ("supervisord.conf.example", "supervisord.conf.example"),
    ("fixtures/programs/colors.py", "fixtures/programs/colors.py"),
    ("fixtures/docs/fleet.demo.toml", "fleet.demo.toml"),
];

/// The demo's HTTP address (supervisord.conf.example's `[inet_http_server]`).
pub const HTTP: &str = "127.0.0.1:9001";

pub struct Demo {
    dir: tempfile::TempDir,
    child: Child,
    _turn: MutexGuard<'static, ()>,
}

impl Demo {
    /// Starts the demo daemon and waits until it has settled: the autostart programs
    /// RUNNING, `crasher` FATAL, and `colors` has written two lines to stderr (6 s).
    pub fn start() -> Demo {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        assert!(
            std::net::TcpListener::bind(HTTP).is_ok(),
            "{HTTP} is taken: the docs' examples need the demo daemon's port. Is the demo of \
             scripts/demo.sh running? Stop it: .venv/bin/supervisorctl -c supervisord.conf.example shutdown"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        for (from, to) in FILES {
            let to = dir.path().join(to);
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("mkdir");
            std::fs::copy(root().join(from), &to).unwrap_or_else(|e| panic!("copy {from}: {e}"));
        }
        std::fs::create_dir_all(dir.path().join("run/programs")).expect("mkdir run/programs");
        let conf = dir.path().join("supervisord.conf.example");
        let child = supervisord_command(&conf)
            .arg("-n")
            .current_dir(dir.path())
            .spawn()
            .expect("run supervisord");
        let mut demo = Demo {
            dir,
            child,
            _turn: turn,
        };
        demo.settle();
        demo
    }

    /// The demo's directory (the examples' working directory).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The CLI against the demo, from its directory, with `args`.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run the CLI")
    }

    /// The binary, in the demo's directory, with `-c supervisord.conf.example` and
    /// the demo's own cache and config directories.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"));
        c.current_dir(self.dir())
            .args(["-c", "supervisord.conf.example"])
            .env("XDG_CACHE_HOME", self.dir().join("cache"))
            .env("XDG_CONFIG_HOME", self.dir().join("config"));
        c
    }

    fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let sock = self.dir().join("run/supervisor.sock");
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                let err = std::fs::read_to_string(self.dir().join("supervisord.stderr")).unwrap_or_default();
                panic!("the demo supervisord exited ({st}): {err}");
            }
            if sock.exists() && matches!(self.cli(&["status"]).status.code(), Some(0 | 3)) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the demo supervisord did not answer within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for args in [
            &["start", "ticker", "colors", "worker:*"][..],
            &["wait", "crasher", "--state", "FATAL", "--timeout", "30"],
        ] {
            let out = self.cli(args);
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        while self.stderr_lines("colors") < 2 {
            assert!(Instant::now() < deadline, "colors wrote no 2 stderr lines within 30 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn stderr_lines(&self, name: &str) -> usize {
        let out = self.cli(&["logs", name, "--stderr", "-n", "2", "--json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .ok()
            .and_then(|v| v["lines"].as_array().map(Vec::len))
            .unwrap_or(0)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let run = self.dir.path().join("run");
        stop_supervisord(
            &mut self.child,
            &run.join("supervisord.log"),
            &run.join("supervisor.sock"),
        );
    }
}
