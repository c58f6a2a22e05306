//! `vaultrot edit FILE...`: decrypt to a private temp file, run the editor,
//! re-encrypt only if the bytes changed (same secret, same header label).
//! A file a manifest names is edited under its lock: a rotation cannot write
//! it meanwhile, nor an edit drop what a rotation just added.

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::rotation_common::rotation_error;
use crate::ansible::config::VaultSettings;
use crate::fsutil::{FileMode, resolve_target};
use crate::rotation::lock::lock_vault_files;
use crate::vaultfile::edit::{run_editor, suffix_of};
use crate::vaultfile::{Input, replace};

#[derive(Args, Debug)]
pub struct EditArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Accepted for compatibility; ansible-vault ignores it for edit too.
    #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
    pub encrypt_vault_id: Option<String>,
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &EditArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    for file in &args.files {
        let path = resolve_target(std::path::Path::new(file));
        let _locks = lock_vault_files(std::slice::from_ref(&path), &format!("edit {file}"))
            .map_err(|e| rotation_error(e.into()))?;
        let input = Input::File(path.clone());
        let opened = ctx.open(&input)?;
        let edited = run_editor(&opened.plaintext, &suffix_of(&path), &settings.editor)?;
        // A legacy-cipher file is always re-saved, to migrate it (as ansible's force_save).
        if edited[..] == opened.plaintext[..] && !opened.legacy {
            continue;
        }
        let text = ctx.seal(&input, &edited, &ctx.relabelled(&opened))?;
        replace(&path, text.as_bytes(), FileMode::Keep)?;
    }
    Ok(())
}
