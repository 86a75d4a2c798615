//! What the command line says about the MCP server, generated from the tool table so
//! that it cannot drift: the tools `--read-only` keeps, and all the tools.

use super::tools;

/// The `mcp` subcommand's help, completed from the tool table.
pub fn describe(command: clap::Command) -> clap::Command {
    let kept = tools::names(true).join(", ");
    let all = tools::names(false).join(", ");
    command.mut_subcommand("mcp", |mcp| {
        mcp.mut_arg("read_only", |a| {
            a.help(format!("Offer only the tools that change nothing ({kept})"))
        })
        .after_help(format!("Tools: {all}."))
    })
}
