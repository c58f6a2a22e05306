//! `vaultrot get FILE KEY`: one value's exact bytes on stdout (KEY may be
//! a dotted path into nested mappings).

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use super::secret_file;
use crate::ansible::config::VaultSettings;
use crate::vaultfile::document::key_path;

#[derive(Args, Debug)]
pub struct GetArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// A whole-file vault or a vars file with inline `!vault` values.
    pub file: String,
    /// The key, or a dotted path into nested mappings (db.password).
    pub key: String,
    /// KEY is one key even if it contains dots.
    #[arg(long)]
    pub literal_key: bool,
}

pub fn run(args: &GetArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let file = secret_file::open(&args.file, &ctx)?;
    match file.get_path(&key_path(&args.key, args.literal_key), &ctx)? {
        Some(value) => write_stdout(&value),
        None => Err(CliError::error(format!(
            "{}: no key `{}`",
            args.file, args.key
        ))),
    }
}
