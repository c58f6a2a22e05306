//! `vaultrot man [SUBCOMMAND]`: the roff man page on stdout, generated from
//! the command definitions (`vaultrot man > vaultrot.1`).

use clap::{Args, CommandFactory};

use super::Cli;
use super::common::{CliError, CliResult};
use super::output::write_stdout;

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The page of this subcommand (vaultrot-SUBCOMMAND(1)) instead of vaultrot(1).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

pub fn run(args: &ManArgs) -> CliResult {
    let mut root = Cli::command();
    root.build();
    let command = match &args.subcommand {
        None => root,
        Some(name) => {
            let sub = root
                .find_subcommand(name)
                .cloned()
                .ok_or_else(|| CliError::options(format!("no subcommand `{name}`")))?;
            // clap names are &'static str; this process renders one page and exits.
            let full: &'static str = format!("vaultrot-{}", sub.get_name()).leak();
            sub.name(full).bin_name(full)
        }
    };
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .map_err(|e| CliError::error(format!("cannot render the man page: {e}")))?;
    write_stdout(&page)
}
