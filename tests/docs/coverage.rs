//! Nothing a user can pass goes undocumented: every flag of every command (clap's own
//! definition, as `--help` shows it) is named where it belongs (a command's own flags
//! in its row of docs/cli.md's table of commands), and every argument of
//! every MCP tool (`tools/list` of the built binary, with a targets file so that the
//! fleet's `targets` argument is there too) is named in its row of docs/mcp.md's
//! table of tools.

use crate::demo::{root, serve_mcp};
use serde_json::Value;
use std::io::Write;
use std::process::Command;

fn page(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Whether `text` names `flag` as a flag: not inside a longer word or flag.
fn names(text: &str, flag: &str) -> bool {
    let part = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(flag).any(|(i, _)| {
        !text[..i].chars().next_back().is_some_and(part) && !text[i + flag.len()..].chars().next().is_some_and(part)
    })
}

/// Where a flag of `command` (its path of subcommands) must be named: the options of
/// every command anywhere in the docs; `mcp`'s on its pages; `targets`' on the fleet
/// page; any other command's in its rows of the table of commands of docs/cli.md
/// (the rows whose first cell starts with the command).
fn documented(command: &[String], flag: &str) -> bool {
    let pages: &[&str] = match command.first().map(String::as_str) {
        None => &[
            "README.md",
            "docs/cli.md",
            "docs/fleet.md",
            "docs/mcp.md",
            "docs/security.md",
        ],
        Some("mcp") => &["docs/mcp.md", "docs/security.md"],
        Some("targets") => &["docs/fleet.md"],
        Some(_) => {
            let head = format!("| `{}", command.join(" "));
            return page("docs/cli.md")
                .lines()
                .filter(|l| l.strip_prefix(&head).is_some_and(|rest| rest.starts_with([' ', '`'])))
                .any(|row| names(row.split(" | ").next().unwrap_or_default(), flag));
        }
    };
    pages.iter().any(|p| names(&page(p), flag))
}

/// Every (command path, flag) of `cmd` and its subcommands: `--long` and `-s` forms.
fn flags(cmd: &clap::Command, path: &[String], out: &mut Vec<(Vec<String>, String)>) {
    for a in cmd.get_arguments() {
        if matches!(a.get_id().as_str(), "help" | "version") {
            continue;
        }
        if let Some(l) = a.get_long() {
            out.push((path.to_vec(), format!("--{l}")));
        }
        if let Some(s) = a.get_short() {
            out.push((path.to_vec(), format!("-{s}")));
        }
    }
    for sub in cmd.get_subcommands() {
        let mut p = path.to_vec();
        p.push(sub.get_name().to_owned());
        flags(sub, &p, out);
    }
}

#[test]
fn every_flag_of_every_command_is_documented() {
    let mut all = Vec::new();
    flags(&supervisord_mcp::cli::command(), &[], &mut all);
    assert!(all.len() > 50, "only {} flags found", all.len());
    let missing: Vec<String> = all
        .iter()
        .filter(|(path, flag)| !documented(path, flag))
        .map(|(path, flag)| format!("supervisord-mcp {} {flag}", path.join(" ")))
        .collect();
    assert!(
        missing.is_empty(),
        "flags not in the docs (a command's own flags go in the first cell of its row of the \
         table of commands in docs/cli.md; mcp's on docs/mcp.md or docs/security.md; targets' \
         on docs/fleet.md; the options of every command anywhere):\n{}",
        missing.join("\n")
    );
}

/// `tools/list` of the built binary serving MCP over stdio with a targets file.
fn tools() -> Vec<Value> {
    let mut c = Command::new(env!("CARGO_BIN_EXE_supervisord-mcp"));
    c.current_dir(root()).args(["--fleet", "fixtures/docs/fleet.demo.toml"]);
    let mut child = serve_mcp(c);
    let mut stdin = child.stdin.take().expect("stdin");
    for line in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"docs","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    ] {
        writeln!(stdin, "{line}").expect("write");
    }
    drop(stdin);
    let out = child.wait_with_output().expect("mcp");
    let text = String::from_utf8_lossy(&out.stdout);
    let list = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|m| m["id"] == 2)
        .unwrap_or_else(|| panic!("no tools/list answer: {text}"));
    list["result"]["tools"].as_array().expect("tools").clone()
}

/// The arguments of `tool`.
fn properties(tool: &Value) -> Vec<String> {
    tool["inputSchema"]["properties"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// An argument every tool takes (the fleet's `targets`) may be named once instead,
/// on a line of the page that says it is for every tool.
#[test]
fn every_argument_of_every_tool_is_in_its_row_of_the_mcp_page() {
    let doc = page("docs/mcp.md");
    let tools = tools();
    assert!(tools.len() >= 7, "{tools:?}");
    let shared = |prop: &str| {
        tools.iter().all(|t| properties(t).iter().any(|p| p == prop))
            && doc
                .lines()
                .any(|l| l.to_lowercase().contains("every tool") && l.contains(&format!("`{prop}`")))
    };
    let mut missing = Vec::new();
    for t in &tools {
        let name = t["name"].as_str().expect("name");
        let Some(row) = doc.lines().find(|l| l.starts_with(&format!("| `{name}` |"))) else {
            missing.push(format!(
                "the tool `{name}` has no row `| `{name}` | ...` in docs/mcp.md"
            ));
            continue;
        };
        for prop in properties(t) {
            if !row.contains(&format!("`{prop}`")) && !shared(&prop) {
                missing.push(format!(
                    "`{name}` argument `{prop}` is not named in its row of docs/mcp.md"
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
