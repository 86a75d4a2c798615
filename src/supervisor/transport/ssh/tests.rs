//! The tunnel against scripted `ssh` programs: what a failing ssh says reaches the
//! error, and nothing is left behind.

use super::*;
use std::os::unix::fs::PermissionsExt;

/// Writes an executable `/bin/sh` script named `ssh` in `dir`.
fn fake_ssh(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("ssh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn tunnel(program: PathBuf, connect_timeout: Duration) -> Tunnel {
    let target = Remote {
        user: Some("deploy".into()),
        host: "web-1.example".into(),
        port: Some(2222),
        socket: "/run/supervisor.sock".into(),
    };
    Tunnel::new(
        target,
        "ssh://web-1.example:2222/run/supervisor.sock".into(),
        connect_timeout,
        Some(program),
    )
    .unwrap()
}

/// True when process `pid` is gone (or a zombie nobody waits for).
fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "not within 10 s: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failing_ssh_is_an_ssh_error_with_its_words_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let program = fake_ssh(
        dir.path(),
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho 'deploy@web-1.example: Permission denied (publickey).' >&2\nexit 255",
            args_file.display()
        ),
    );
    let t = tunnel(program, Duration::from_secs(2));
    let err = t.ensure().await.unwrap_err();
    assert!(matches!(err, Error::Ssh { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("Permission denied (publickey)"), "{text}");
    assert!(text.contains("status 255"), "{text}");
    assert!(!t.dir.exists(), "the tunnel's directory is left: {}", t.dir.display());
    let args = std::fs::read_to_string(&args_file).unwrap();
    let args: Vec<&str> = args.lines().collect();
    let forward = format!("{}:/run/supervisor.sock", t.local_socket().display());
    for want in [
        "BatchMode=yes",
        "ExitOnForwardFailure=yes",
        "-N",
        "-L",
        forward.as_str(),
        "-p",
        "2222",
    ] {
        assert!(args.contains(&want), "{want} not in {args:?}");
    }
    assert_eq!(&args[args.len() - 2..], ["--", "deploy@web-1.example"]);
}

#[tokio::test]
async fn an_ssh_that_never_forwards_is_given_up_within_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let program = fake_ssh(
        dir.path(),
        &format!(
            "echo $$ > '{}'\necho 'connecting...' >&2\nexec sleep 100000",
            pid_file.display()
        ),
    );
    let t = tunnel(program, Duration::from_millis(200));
    let started = Instant::now();
    let err = t.ensure().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let text = err.to_string();
    assert!(
        matches!(err, Error::Ssh { .. }) && text.contains("no tunnel within"),
        "{text}"
    );
    assert!(text.contains("connecting..."), "{text}");
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    eventually("the fake ssh is stopped", || gone(pid)).await;
    assert!(!t.dir.exists());
}

#[tokio::test]
async fn a_dropped_tunnel_stops_ssh_and_removes_its_socket() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    // Binds the -L socket (the part before ':') and holds it, as ssh does.
    let program = fake_ssh(
        dir.path(),
        &format!(
            "for a in \"$@\"; do case $a in /*:/*) local=${{a%%:*}};; esac; done\n\
             echo $$ > '{}'\n\
             exec python3 -c 'import socket,sys,time\ns=socket.socket(socket.AF_UNIX)\ns.bind(sys.argv[1])\ns.listen()\ntime.sleep(100000)' \"$local\"",
            pid_file.display()
        ),
    );
    let t = tunnel(program, Duration::from_secs(5));
    t.ensure().await.unwrap();
    let local = t.local_socket().to_owned();
    let private = t.dir.clone();
    assert!(local.exists());
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the tunnel's directory is private");
    // Up already: a second ensure starts nothing.
    t.ensure().await.unwrap();
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();
    assert!(!gone(pid));
    drop(t);
    eventually("the fake ssh is stopped", || gone(pid)).await;
    eventually("the socket and its directory are removed", || !private.exists()).await;
}

/// The real `ssh -G` (which prints the configuration a command line makes, and
/// connects nowhere) reads our `-L` paths literally: no `%` token, `${VAR}` or `\`
/// is ever in them, and the other characters a path may hold pass unchanged.
#[test]
fn ssh_takes_the_forwarded_paths_literally() {
    let Some(ssh) = find_on_path("ssh") else {
        panic!("this test needs OpenSSH's client: apt-get install openssh-client");
    };
    for socket in [
        "/run/supervisor.sock",
        "/srv/it's a \"dir\"/[x]#~é.sock",
        "/home/~u/s.sock",
    ] {
        let path = parsed_socket(socket);
        let target = Remote {
            user: None,
            host: "h.example".into(),
            port: None,
            socket: path.clone(),
        };
        let t = Tunnel::new(target, "ssh://h.example".into(), Duration::from_secs(1), None).unwrap();
        let out = std::process::Command::new(&ssh)
            .args(["-F", "/dev/null", "-G"])
            .args(t.ssh_args())
            .output()
            .unwrap();
        let config = String::from_utf8_lossy(&out.stdout);
        let want = format!("localforward {} {}", t.local_socket().display(), path.display());
        assert!(config.lines().any(|l| l == want), "{want:?} not in:\n{config}");
    }
}

/// The socket path of an `ssh://h.example{path}` URL as parsed (percent-decoded).
fn parsed_socket(path: &str) -> PathBuf {
    let encoded = percent_encoding::utf8_percent_encode(path, percent_encoding::NON_ALPHANUMERIC);
    let url = format!("ssh://h.example{}", encoded.to_string().replace("%2F", "/"));
    match super::super::Endpoint::parse(&url).unwrap().endpoint {
        super::super::Endpoint::Ssh { socket, .. } => socket,
        other => panic!("{other:?}"),
    }
}
