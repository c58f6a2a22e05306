//! `vaultrot get FILE KEY`: one value's exact bytes on stdout.

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use super::secret_file;
use crate::ansible::config::VaultSettings;

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// A whole-file vault or a vars file with inline `!vault` values.
    pub file: String,
    /// The top-level key.
    pub key: String,
}

pub fn run(args: &GetArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let file = secret_file::open(&args.file, &ctx)?;
    match file.get(&args.key, &ctx)? {
        Some(value) => write_stdout(&value),
        None => Err(CliError::error(format!(
            "{}: no key `{}`",
            args.file, args.key
        ))),
    }
}
