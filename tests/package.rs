//! The Debian package, installed for real on this machine (as root, as CI runs):
//! `scripts/package.sh --debug` packages the debug binary this suite built (and
//! lintian finds no error in it), `dpkg -i` installs it, the installed binary, man
//! page, completions, documents and systemd unit are used as a person would, the
//! service's user reaches a real supervisord through the socket's group, the unit's
//! command serves, and `dpkg --purge` leaves the machine as it was.
//!
//! Fails, never skips, when something it needs is missing, or when the package is
//! already on this machine (it would clash with that install).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::borrow::BorrowMut;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const PKG: &str = "supervisord-mcp";
/// The service's system user (and its group), made by the postinst.
const SERVICE_USER: &str = "supervisord-mcp";
const BIN: &str = "/usr/bin/supervisord-mcp";
const UNIT: &str = "/usr/lib/systemd/system/supervisord-mcp.service";
const DEFAULTS: &str = "/etc/default/supervisord-mcp";
const DOC: &str = "/usr/share/doc/supervisord-mcp";

/// Runs a command to its end; panics with its output unless it exited 0.
fn run(mut c: impl BorrowMut<Command>) -> Output {
    let c = c.borrow_mut();
    let o = c.stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(o.status.success(), "{c:?}: {}\n{}{}", o.status, stdout(&o), stderr(&o));
    o
}

fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}

/// Fails, saying how to get it, when a tool the test needs is missing.
fn need(tool: &str, install: &str) {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .any(|d| d.join(tool).is_file());
    assert!(found, "{tool} is missing: {install}");
}

/// What must hold before the test touches the machine: root, the tools, and no
/// other install of the package, its user or its files.
fn preconditions() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test installs a .deb with dpkg: run it as root (CI does)"
    );
    need("dpkg", "a Debian or Ubuntu machine");
    need("man", "apt-get install man-db");
    need("systemd-analyze", "apt-get install systemd");
    need("dpkg-reconfigure", "apt-get install debconf");
    need("setpriv", "apt-get install util-linux");
    need("groupadd", "apt-get install passwd");
    need("lintian", "apt-get install lintian");
    need("dpkg-shlibdeps", "apt-get install dpkg-dev");
    let deb = Command::new("cargo").args(["deb", "--version"]).output();
    assert!(
        deb.is_ok_and(|o| o.status.success()),
        "cargo-deb is missing: cargo install cargo-deb --version 3.8.0 --locked"
    );
    let known = Command::new("dpkg-query").args(["-W", PKG]).output().unwrap();
    let clash = [
        (
            known.status.success(),
            format!("dpkg knows the package {PKG} (dpkg -l {PKG})"),
        ),
        (account_exists("passwd"), format!("the user {SERVICE_USER} exists")),
        (account_exists("group"), format!("the group {SERVICE_USER} exists")),
        (Path::new(BIN).exists(), format!("{BIN} exists")),
        (Path::new(DEFAULTS).exists(), format!("{DEFAULTS} exists")),
    ];
    for (found, what) in clash {
        assert!(
            !found,
            "{what}: this test installs and purges {PKG}, which would clash with the install on this \
             machine; remove it first (dpkg --purge {PKG}) or run the test on another machine"
        );
    }
}

fn account_exists(db: &str) -> bool {
    Command::new("getent")
        .args([db, SERVICE_USER])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One run of this test at a time on a machine (two checkouts' suites may run at
/// once): an exclusive lock, held until dropped.
fn machine_lock() -> nix::fcntl::Flock<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/run/lock/supervisord-mcp-package-test.lock")
        .unwrap();
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap_or_else(|(_, e)| panic!("lock: {e}"))
}

/// What the package may leave behind: every path naming it in the places a package,
/// its maintainer scripts and systemd write, and the account databases' contents.
#[derive(Debug, PartialEq)]
struct Traces {
    paths: Vec<PathBuf>,
    accounts: BTreeMap<&'static str, String>,
}

impl Traces {
    fn take() -> Traces {
        let roots = [
            "/etc",
            "/usr/bin",
            "/usr/lib/systemd",
            "/usr/share/doc",
            "/usr/share/man/man1",
            "/usr/share/bash-completion",
            "/usr/share/zsh",
            "/usr/share/fish",
            "/var/lib/dpkg/info",
            "/var/lib/systemd",
            "/var/lib/supervisord-mcp",
            "/var/cache/supervisord-mcp",
            "/run/supervisord-mcp",
        ];
        let mut paths = Vec::new();
        for r in roots {
            walk(Path::new(r), &mut paths);
        }
        paths.sort();
        let accounts = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"]
            .into_iter()
            .map(|f| (f, std::fs::read_to_string(f).unwrap_or_default()))
            .collect();
        Traces { paths, accounts }
    }
}

/// Paths under `dir` (symlinks not followed) whose name contains the package's.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.to_string_lossy().contains(PKG) && std::fs::symlink_metadata(dir).is_ok() {
        out.push(dir.to_owned());
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            walk(&p, out);
        } else if p.to_string_lossy().contains(PKG) {
            out.push(p);
        }
    }
}

/// Undoes what the test did to the machine, even when it fails half-way: purges
/// the package, removes the test's group.
struct Cleanup {
    group: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", PKG]).output();
        let _ = Command::new("groupdel").arg(&self.group).output();
    }
}

/// A real supervisord whose socket belongs to `group` (mode 0770), with one program.
struct SocketDaemon {
    dir: tempfile::TempDir,
    child: Child,
}

impl SocketDaemon {
    fn start(group: &str) -> SocketDaemon {
        let dir = tempfile::tempdir().unwrap();
        // The service's user must get through the directory to the socket.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let conf = dir.path().join("supervisord.conf");
        std::fs::write(
            &conf,
            format!(
                "[unix_http_server]\nfile=%(here)s/supervisor.sock\nchmod=0770\nchown=root:{group}\n\n\
                 [supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n\
                 childlogdir=%(here)s\nnodaemon=true\n\n\
                 [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory=supervisor.rpcinterface:make_main_rpcinterface\n\n\
                 [program:sleeper]\ncommand=sleep 100000\nstartsecs=0\n"
            ),
        )
        .unwrap();
        let child = supervisord_command(&conf).spawn().unwrap();
        let d = SocketDaemon { dir, child };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !d.sock().exists() {
            assert!(Instant::now() < deadline, "supervisord did not make its socket in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        d
    }

    fn sock(&self) -> PathBuf {
        self.dir.path().join("supervisor.sock")
    }

    fn url(&self) -> String {
        format!("unix://{}", self.sock().display())
    }
}

impl Drop for SocketDaemon {
    fn drop(&mut self) {
        let (log, sock) = (self.dir.path().join("supervisord.log"), self.sock());
        stop_supervisord(&mut self.child, &log, &sock);
    }
}

/// `args` run as the service's user, with its groups, in `env` only (as systemd
/// would start it): setpriv execs, so the child is the command itself.
fn as_service(args: &[&str], env: &[(String, String)]) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={SERVICE_USER}"),
        &format!("--regid={SERVICE_USER}"),
        "--init-groups",
        "--",
    ])
    .args(args)
    .env_clear()
    .env("PATH", "/usr/bin:/bin")
    .env("HOME", "/var/lib/supervisord-mcp")
    .envs(env.iter().map(|(k, v)| (k, v)))
    .current_dir("/");
    c
}

/// The unit's values of `key`, in order.
fn unit_values(unit: &str, key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    unit.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

/// The service's environment: the unit's `Environment=` and the variables set in
/// its `EnvironmentFile` (/etc/default/supervisord-mcp).
fn service_env(unit: &str) -> Vec<(String, String)> {
    let defaults = std::fs::read_to_string(DEFAULTS).unwrap();
    let assignments = unit_values(unit, "Environment")
        .iter()
        .flat_map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .chain(
            defaults
                .lines()
                .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
                .map(str::to_owned),
        )
        .collect::<Vec<_>>();
    assignments
        .iter()
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// `GET /health` on loopback `port`: the JSON body.
fn health(port: u16) -> serde_json::Value {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let body = reply.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {reply}"))
}

/// Builds the .deb from the debug binary (lintian included): its path.
fn build_deb() -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package.sh");
    let o = run(Command::new(script).arg("--debug"));
    let deb = PathBuf::from(stdout(&o).lines().last().unwrap_or_default());
    assert!(deb.is_file(), "scripts/package.sh --debug made no .deb: {}", stderr(&o));
    assert!(stderr(&o).contains("lintian found no errors"), "{}", stderr(&o));
    deb
}

/// What a person finds after `dpkg -i`: the binary (stripped, this build), its man
/// page, completions, documents and settings file.
fn check_installed_files(deb: &Path) {
    let built = env!("CARGO_BIN_EXE_supervisord-mcp");
    let version = |bin: &str| stdout(&run(cmd(bin, &["--version"])));
    assert_eq!(version(BIN), version(built), "the installed binary is not this build");
    let size = |p: &str| std::fs::metadata(p).unwrap().len();
    assert!(size(BIN) < size(built) / 2, "{BIN} is not stripped");
    let man = run(cmd("man", &["-P", "cat", "supervisord-mcp"]).env("MANWIDTH", "80"));
    let page = stdout(&man);
    assert!(page.contains("SYNOPSIS") && page.contains("completions"), "{page}");
    let bash = run(cmd(
        "bash",
        &[
            "-c",
            "source /usr/share/bash-completion/completions/supervisord-mcp && complete -p supervisord-mcp",
        ],
    ));
    assert!(stdout(&bash).contains("supervisord-mcp"), "{}", stdout(&bash));
    let zsh = std::fs::read_to_string("/usr/share/zsh/vendor-completions/_supervisord-mcp").unwrap();
    assert!(zsh.starts_with("#compdef supervisord-mcp"), "{zsh:.80}");
    let fish = std::fs::read_to_string("/usr/share/fish/vendor_completions.d/supervisord-mcp.fish").unwrap();
    assert!(fish.contains("complete -c supervisord-mcp"), "{fish:.80}");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for example in ["supervisord.conf.example", "fleet.toml.example"] {
        let shipped = std::fs::read(format!("{DOC}/examples/{example}")).unwrap();
        assert_eq!(shipped, std::fs::read(repo.join(example)).unwrap(), "{example}");
    }
    // The changelog's newest entry is this version (what apt-listchanges shows).
    let version = stdout(&run(cmd("dpkg-deb", &["--field", &deb.to_string_lossy(), "Version"])));
    let log = run(cmd(
        "sh",
        &["-c", &format!("zcat {DOC}/changelog.Debian.gz | head -n 1")],
    ));
    assert!(
        stdout(&log).contains(&format!("({})", version.trim())),
        "{}",
        stdout(&log)
    );
    assert!(Path::new(&format!("{DOC}/copyright")).is_file());
    assert!(Path::new(DEFAULTS).is_file());
}

/// The unit: accepted by systemd-analyze, disabled, run as the service's user with
/// the hardening the issue names; its command exists in the installed binary.
fn check_unit() -> String {
    let verify = run(cmd("systemd-analyze", &["verify", UNIT]));
    assert!(stderr(&verify).trim().is_empty(), "{}", stderr(&verify));
    let unit = std::fs::read_to_string(UNIT).unwrap();
    for line in [
        "User=supervisord-mcp",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "StateDirectory=supervisord-mcp",
        "RuntimeDirectory=supervisord-mcp",
    ] {
        assert!(unit.lines().any(|l| l == line), "no {line} in {UNIT}");
    }
    let wants = Path::new("/etc/systemd/system/multi-user.target.wants/supervisord-mcp.service");
    assert!(!wants.exists(), "the unit is enabled at install");
    unit
}

/// The unit's command as the service starts it, with `addr` for its address and
/// without the `$VARIABLES` systemd would expand (none set).
fn exec_start(unit: &str, addr: &str) -> Vec<String> {
    let line = unit_values(unit, "ExecStart").pop().expect("ExecStart=");
    line.split_whitespace()
        .filter(|w| !w.starts_with('$'))
        .map(|w| {
            if w.starts_with("127.0.0.1:") {
                addr.to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect()
}

/// The service's user reaches the daemon only through the socket's group, which the
/// postinst joins once /etc/default names that daemon (`dpkg-reconfigure`).
fn check_socket_group(d: &SocketDaemon) {
    let status = |env: &[(String, String)]| as_service(&[BIN, "-s", &d.url(), "status"], env).output().unwrap();
    let o = status(&[]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "reached a 0770 socket without its group: {}",
        stdout(&o)
    );
    let mut defaults = std::fs::OpenOptions::new().append(true).open(DEFAULTS).unwrap();
    // Options as systemd's EnvironmentFile takes them, unquoted: the postinst reads
    // the file, it does not run it as shell (where `--allow` would be a command).
    writeln!(defaults, "SUPERVISORD_MCP_ARGS=--read-only --allow web:*").unwrap();
    writeln!(defaults, "SUPERVISOR_SERVER_URL={}", d.url()).unwrap();
    run(cmd("dpkg-reconfigure", &[PKG]).env("DEBIAN_FRONTEND", "noninteractive"));
    let o = status(&[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("sleeper"), "{}", stdout(&o));
}

/// The unit's command, run as systemd would (its user, environment and directories),
/// serves: its token is kept, private, in the state directory, and /health reaches
/// the daemon named in /etc/default/supervisord-mcp.
fn check_service_serves(unit: &str, scratch: &Path) {
    let user = nix::unistd::User::from_name(SERVICE_USER)
        .unwrap()
        .expect("the service's user");
    for (key, base) in [
        ("StateDirectory", "/var/lib"),
        ("CacheDirectory", "/var/cache"),
        ("RuntimeDirectory", "/run"),
    ] {
        for name in unit_values(unit, key) {
            let dir = Path::new(base).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
            nix::unistd::chown(&dir, Some(user.uid), Some(user.gid)).unwrap();
        }
    }
    let env = service_env(unit);
    let err = scratch.join("service.stderr");
    let (mut child, port) = spawn_on_free_port(
        |port| {
            let argv = exec_start(unit, &format!("127.0.0.1:{port}"));
            let args: Vec<&str> = argv.iter().map(String::as_str).collect();
            as_service(&args, &env)
        },
        &err,
    );
    let h = health(port);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        h["supervisord"]["reachable"],
        true,
        "{h}: {}",
        std::fs::read_to_string(&err).unwrap()
    );
    let token = std::fs::metadata("/var/lib/supervisord-mcp/token").expect("the service's token");
    assert_eq!((token.uid(), token.mode() & 0o777), (user.uid.as_raw(), 0o600));
}

#[test]
fn the_debian_package_installs_serves_and_purges_without_a_trace() {
    let _lock = machine_lock();
    preconditions();
    let before = Traces::take();
    let deb = build_deb();
    let group = format!("smcp-test-{}", std::process::id());
    run(cmd("groupadd", &["--system", &group]));
    let cleanup = Cleanup { group };

    run(cmd("dpkg", &["-i", &deb.to_string_lossy()]));
    check_installed_files(&deb);
    let unit = check_unit();
    let d = SocketDaemon::start(&cleanup.group);
    let o = run(cmd(BIN, &["-s", &d.url(), "status", "sleeper"]));
    assert!(stdout(&o).contains("sleeper"), "{}", stdout(&o));
    check_socket_group(&d);
    check_service_serves(&unit, d.dir.path());
    drop(d);

    run(cmd("dpkg", &["--purge", PKG]));
    run(cmd("groupdel", &[&cleanup.group]));
    drop(cleanup);
    let known = Command::new("dpkg-query").args(["-W", PKG]).output().unwrap();
    assert!(!known.status.success(), "dpkg still knows {PKG}: {}", stdout(&known));
    let after = Traces::take();
    assert_eq!(before.paths, after.paths, "left behind after dpkg --purge");
    for (file, was) in &before.accounts {
        let now = &after.accounts[file];
        let added: Vec<&str> = now.lines().filter(|l| !was.lines().any(|w| w == *l)).collect();
        let removed: Vec<&str> = was.lines().filter(|l| !now.lines().any(|n| n == *l)).collect();
        assert_eq!(was, now, "{file} changed: added {added:?}, removed {removed:?}");
    }
}
