//! Next steps in people's words: the flags, variables and commands of this CLI.

use crate::supervisor::NextStep;

/// The `hint:` line for a next step.
pub fn hint(step: &NextStep) -> String {
    match step {
        NextStep::CheckServerUrl => {
            "is supervisord running? check the server URL (-s, SUPERVISOR_SERVER_URL or [supervisorctl] serverurl)".into()
        }
        NextStep::CheckSocketPath => {
            "is supervisord running? the socket appears when it starts; check [unix_http_server] file and the server URL".into()
        }
        NextStep::CheckSocketPermissions => {
            "run as the socket's owner, or set [unix_http_server] chmod/chown so this user may connect".into()
        }
        NextStep::GiveCredentials => {
            "this server requires a username and password: pass -u/-p, set SUPERVISOR_USERNAME/SUPERVISOR_PASSWORD, or [supervisorctl] username/password".into()
        }
        NextStep::CheckCredentials => {
            "check the username and password (-u/-p, SUPERVISOR_USERNAME/SUPERVISOR_PASSWORD, [supervisorctl])".into()
        }
        NextStep::RaiseRpcTimeout => {
            "supervisord may be frozen or overloaded; raise --rpc-timeout if it is just slow".into()
        }
        NextStep::CheckRpcPath => {
            "is this supervisord's XML-RPC address? it is served at /RPC2 (e.g. http://127.0.0.1:9001)".into()
        }
        NextStep::ReadMainLog => "supervisord hit an internal error; see its main log (`maintail`)".into(),
        NextStep::ListNames { suggestion } => {
            let names = "run `status` to list the valid names (name, group:name, group:*, all)";
            match suggestion {
                Some(s) => format!("did you mean `{s}`? {names}"),
                None => names.into(),
            }
        }
        NextStep::UseSignalName => "use a signal name such as HUP, TERM, USR1, or a number".into(),
        NextStep::CheckCommand => "the command or log file does not exist; check the program's configuration".into(),
        NextStep::CheckExecutable => "the command is not executable; check its path and permissions".into(),
        NextStep::ReadStderr { name } => format!(
            "the program exited while starting; read its stderr with `logs {} --stderr` (or `diagnose {0}`)",
            name.as_deref().unwrap_or("NAME")
        ),
        NextStep::RetryLater => "supervisord is shutting down or restarting; retry in a moment".into(),
        NextStep::FixConfigFile => "the configuration file has an error; fix it and retry".into(),
        NextStep::StopGroupFirst => "stop the group's processes first".into(),
        NextStep::EnableRpcInterface => {
            "is [rpcinterface:supervisor] enabled in supervisord's configuration?".into()
        }
        NextStep::AskOperator => "nothing was changed: the message says which rule refuses it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_this_cli_s_flags_and_commands() {
        assert!(hint(&NextStep::RaiseRpcTimeout).contains("--rpc-timeout"));
        assert!(
            hint(&NextStep::ReadStderr {
                name: Some("web".into())
            })
            .contains("`logs web --stderr`")
        );
        assert_eq!(
            hint(&NextStep::ListNames {
                suggestion: Some("ticker".into())
            }),
            "did you mean `ticker`? run `status` to list the valid names (name, group:name, group:*, all)"
        );
    }
}
