//! `vaultrot create FILE`: open the editor on an empty file and store what
//! it saves, encrypted (always written, even if the editor saved nothing).

use std::path::Path;

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, encrypt_context, warn};
use super::output::stdout_is_tty;
use crate::ansible::config::VaultSettings;
use crate::fsutil::FileMode;
use crate::vaultfile::edit::{run_editor, suffix_of};
use crate::vaultfile::{Input, OUTPUT_MODE, replace};

#[derive(Args, Debug)]
pub struct CreateArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub encrypt_vault_id: super::common::EncryptVaultIdArg,
    /// Allow the editor to be opened when stdout is not a terminal.
    #[arg(long = "skip-tty-check")]
    pub skip_tty_check: bool,
    /// The files to create (each must not exist yet).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &CreateArgs, settings: &VaultSettings) -> CliResult {
    if args.files.len() != 1 {
        return Err(CliError::options(
            "ansible-vault create can take only one filename argument",
        ));
    }
    if !stdout_is_tty() && !args.skip_tty_check {
        return Err(CliError::options("not a tty, editor cannot be opened"));
    }
    let (ctx, secret) = encrypt_context(&args.vault, settings, args.encrypt_vault_id.as_deref())?;
    let path = Path::new(&args.files[0]);
    if path.is_file() {
        return Err(CliError::error(format!(
            "{} exists, please use 'edit' instead",
            path.display()
        )));
    }
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        warn(&format!("{} does not exist, creating...", dir.display()));
        crate::fsutil::create_dirs(dir)
            .map_err(|e| CliError::error(format!("cannot create {}: {e}", dir.display())))?;
    }
    let plaintext = run_editor(b"", &suffix_of(path), &settings.editor)?;
    let text = ctx.seal(&Input::File(path.to_path_buf()), &plaintext, &secret)?;
    replace(path, text.as_bytes(), FileMode::Exactly(OUTPUT_MODE))?;
    Ok(())
}
