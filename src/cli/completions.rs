//! `vaultrot completions SHELL`: the shell completion script on stdout
//! (bash, zsh, fish, powershell), generated from the command definitions.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::common::CliResult;
use super::output::write_stdout;

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete in: bash, zsh, fish or powershell.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells vaultrot writes completions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

pub fn run(args: &CompletionsArgs) -> CliResult {
    let shell = match args.shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "vaultrot", &mut script);
    write_stdout(&script)
}
