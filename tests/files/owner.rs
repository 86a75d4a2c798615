//! Issue 17 item 2: a file that names where credentials go (the targets file, the
//! `-c` configuration) or holds one (a password file, a CA file, a client key) must
//! belong to the user running the command or root and be writable by no one else,
//! nor its directory; otherwise it is refused before anything is sent.

use super::*;

/// A targets file with two targets on `url`: one with its password in the
/// environment, one with it in `password_file`.
fn targets(dir: &Path, url: &str, password_file: &Path) -> PathBuf {
    write(
        dir,
        "fleet.toml",
        &format!(
            "[defaults]\ntimeout_s = 2\n\n[targets.env]\nurl = \"{url}\"\nusername = \"ops\"\npassword_env = \"TEST_PW\"\n\n\
             [targets.file]\nurl = \"{url}\"\nusername = \"ops\"\npassword_file = \"{}\"\n",
            password_file.display()
        ),
    )
}

/// `--fleet FILE status` as `who`.
fn fleet_status(who: User, file: &Path) -> Output {
    who.run(
        &["--fleet", file.to_str().unwrap(), "status"],
        &[("TEST_PW", "hunter2-pw")],
    )
}

/// Runs `--fleet FILE status` for a targets file that breaks the rule: exit 2 with
/// `expect` in stderr, nothing sent to the targets' URL, no password file opened.
/// Returns stderr.
fn assert_refused(who: User, dir: &Path, prepare: impl Fn(&Path), expect: &str) -> String {
    let recorder = Recorder::new();
    let fifo = Fifo::new(dir, "pw");
    let file = targets(dir, &recorder.url(), &fifo.path);
    prepare(&file);
    let o = fleet_status(who, &file);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{who:?}: {}", all(&o));
    assert!(
        err.contains(&format!("targets file {}: ", file.display())),
        "{who:?}: {err}"
    );
    assert!(err.contains(expect), "{who:?}: {err}");
    assert!(
        !recorder.connected(),
        "{who:?}: a connection was made to the file's URL"
    );
    assert!(!fifo.was_opened(), "{who:?}: the password file was opened");
    assert!(!all(&o).contains("hunter2"), "{who:?}: {}", all(&o));
    err
}

#[test]
fn a_targets_file_of_another_user_is_refused_before_anything_is_read_or_sent() {
    for who in USERS {
        let dir = open_dir();
        let other = who.other();
        let _ = assert_refused(
            who,
            dir.path(),
            |f| chown(f, other),
            &format!("it belongs to uid {other}, not to you"),
        );
    }
}

#[test]
fn a_targets_file_others_can_write_is_refused_with_the_chmod_to_run() {
    for who in USERS {
        for mode in [0o664, 0o646] {
            let dir = open_dir();
            // Group `users` (100): a group others may be in (not the owner's own).
            let shared = |f: &Path| {
                std::os::unix::fs::chown(f, None, Some(100)).unwrap();
                chmod(f, mode);
            };
            let err = assert_refused(who, dir.path(), shared, "can be written by group or others");
            let file = dir.path().join("fleet.toml");
            assert!(err.contains(&format!("run `chmod go-w {}`", file.display())), "{err}");
        }
    }
}

#[test]
fn a_targets_file_in_a_directory_others_can_write_is_refused() {
    for who in USERS {
        let dir = open_dir();
        chmod(dir.path(), 0o777);
        let expect = format!(
            "its directory {} can be written by group or others (mode 777): run `chmod go-w {}`",
            dir.path().display(),
            dir.path().display()
        );
        let _ = assert_refused(who, dir.path(), |_| {}, &expect);
    }
}

#[test]
fn a_password_file_of_another_user_is_refused_and_its_target_not_asked() {
    for who in USERS {
        let dir = open_dir();
        let recorder = Recorder::new();
        let pw = write(dir.path(), "pw", "hunter2-pw\n");
        chown(&pw, who.other());
        let file = write(
            dir.path(),
            "fleet.toml",
            &format!(
                "[targets.web]\nurl = \"{}\"\nusername = \"ops\"\npassword_file = \"{}\"\n",
                recorder.url(),
                pw.display()
            ),
        );
        let o = fleet_status(who, &file);
        let out = all(&o);
        assert_ne!(o.status.code(), Some(0), "{who:?}: {out}");
        let expect = format!("password file {}: it belongs to uid {}", pw.display(), who.other());
        assert!(out.contains(&expect), "{who:?}: {out}");
        // Its errors speak of the password file only (issue 17 item 10b).
        assert!(
            !out.contains("targets file") && !out.contains("supervisord.conf") && !out.contains("hunter2"),
            "{who:?}: {out}"
        );
        assert!(
            !recorder.connected(),
            "{who:?}: the target was asked without its password"
        );
    }
}

#[test]
fn tls_files_of_another_user_are_refused() {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    for who in USERS {
        let dir = open_dir();
        let ca = write(dir.path(), "ca.pem", &cert.pem());
        let client_cert = write(dir.path(), "client.pem", &cert.pem());
        let client_key = write(dir.path(), "client.key", &key.serialize_pem());
        let url = "https://127.0.0.1:1";
        let file = write(
            dir.path(),
            "fleet.toml",
            &format!(
                "[targets.ca]\nurl = \"{url}\"\nca_file = \"{}\"\n\n[targets.key]\nurl = \"{url}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"\n",
                ca.display(),
                client_cert.display(),
                client_key.display()
            ),
        );
        chown(&ca, who.other());
        chown(&client_key, who.other());
        let out = all(&fleet_status(who, &file));
        for (what, path) in [("CA file", &ca), ("client key file", &client_key)] {
            let expect = format!("{what} {}: it belongs to uid {}", path.display(), who.other());
            assert!(out.contains(&expect), "{who:?}: {out}");
        }
    }
}

#[test]
fn a_configuration_of_another_user_is_refused_when_it_names_the_server_or_credentials() {
    for who in USERS {
        let dir = open_dir();
        let recorder = Recorder::new();
        let conf = write(
            dir.path(),
            "supervisord.conf",
            &format!(
                "[supervisorctl]\nserverurl = {}\nusername = ops\npassword = hunter2-pw\n",
                recorder.url()
            ),
        );
        chown(&conf, who.other());
        let args = ["-c", conf.to_str().unwrap(), "--rpc-timeout", "1", "status"];
        let o = who.run(&args, &[]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{who:?}: {}", all(&o));
        let expect = format!(
            "configuration file {}: it belongs to uid {}",
            conf.display(),
            who.other()
        );
        assert!(err.contains(&expect) && !all(&o).contains("hunter2"), "{who:?}: {err}");
        assert!(
            !recorder.connected(),
            "{who:?}: a connection was made to the file's serverurl"
        );
        // Without [supervisorctl] values nothing is taken from it: not refused.
        write(dir.path(), "supervisord.conf", "[supervisord]\nlogfile = /dev/null\n");
        let env = [("SUPERVISOR_SERVER_URL", recorder.url())];
        let o = who.run(&args, &[(env[0].0, env[0].1.as_str())]);
        assert!(!stderr(&o).contains("belongs to uid"), "{who:?}: {}", all(&o));
        assert!(recorder.connected(), "{who:?}: {}", all(&o));
    }
}

/// /etc-like files (root's, 0644, in a root directory 0755) keep working for every
/// user: the targets file, its password file, a CA file and a `-c` configuration.
#[test]
fn root_files_in_root_directories_are_accepted_by_an_unprivileged_user() {
    let dir = open_dir();
    let recorder = Recorder::new();
    let pw = write(dir.path(), "pw", "hunter2-pw\n");
    let ca = write(dir.path(), "ca.pem", "not a certificate\n");
    let file = write(
        dir.path(),
        "fleet.toml",
        &format!(
            "[defaults]\ntimeout_s = 1\n\n[targets.web]\nurl = \"{}\"\nusername = \"ops\"\npassword_file = \"{}\"\n\n\
             [targets.tls]\nurl = \"https://127.0.0.1:1\"\nca_file = \"{}\"\n",
            recorder.url(),
            pw.display(),
            ca.display()
        ),
    );
    let out = all(&fleet_status(User::Nobody, &file));
    assert!(
        !out.contains("belongs to uid") && !out.contains("can be written"),
        "{out}"
    );
    // Read, and found not to be PEM: the rule let it through.
    assert!(
        out.contains(&format!("CA file {}: no PEM certificate", ca.display())),
        "{out}"
    );
    assert!(recorder.connected(), "the target was not asked: {out}");
    let recorder = Recorder::new();
    let conf = write(
        dir.path(),
        "supervisord.conf",
        &format!("[supervisorctl]\nserverurl = {}\n", recorder.url()),
    );
    let o = User::Nobody.run(&["-c", conf.to_str().unwrap(), "--rpc-timeout", "1", "status"], &[]);
    assert!(!stderr(&o).contains("belongs to uid"), "{}", all(&o));
    assert!(recorder.connected(), "{}", all(&o));
}

/// Debian's and Ubuntu's user private groups (umask 002): a file and directory
/// writable by the owner's own group, whose only member is the owner (root's group
/// `root`), are writable by the owner alone, and accepted, as Debian's OpenSSH
/// accepts them for ~/.ssh. A group with other members is not: `nogroup` is the
/// primary group of `nobody` and of system users (`sync`, `_apt`).
#[test]
fn a_targets_file_writable_by_the_owner_s_private_group_only_is_accepted() {
    for (who, owner, accepted) in [(User::Root, 0, true), (User::Nobody, NOBODY, false)] {
        let dir = open_dir();
        let recorder = Recorder::new();
        let file = write(
            dir.path(),
            "fleet.toml",
            &format!("[targets.a]\nurl = \"{}\"\n", recorder.url()),
        );
        for p in [dir.path(), file.as_path()] {
            chown(p, owner);
        }
        chmod(dir.path(), 0o775);
        chmod(&file, 0o664);
        let o = who.run(&["--fleet", file.to_str().unwrap(), "status"], &[]);
        assert_eq!(
            !stderr(&o).contains("can be written by group"),
            accepted,
            "{who:?}: {}",
            all(&o)
        );
        assert_eq!(recorder.connected(), accepted, "{who:?}: {}", all(&o));
    }
}
