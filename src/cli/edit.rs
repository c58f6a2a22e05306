//! `vaultrot edit FILE...`: decrypt to a private temp file, run the editor,
//! re-encrypt only if the bytes changed (same secret, same header label).
//! A file a manifest names is edited under its lock: a rotation cannot write
//! it meanwhile, nor an edit drop what a rotation just added.
//! A vars file with inline `!vault` values opens with them decrypted (as
//! `view` shows it); only the values changed are encrypted again.

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use crate::ansible::config::VaultSettings;
use crate::fsutil::{FileMode, resolve_target};
use crate::rotation::lock::lock_vault_files;
use crate::vault;
use crate::vaultfile::document::SecretsFile;
use crate::vaultfile::edit::{EditorError, run_editor, suffix_of};
use crate::vaultfile::{FileError, replace};
use crate::vaultfile::{Input, VaultContext, tree};

#[derive(Args, Debug)]
pub struct EditArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    // Accepted for compatibility; ansible-vault ignores it for edit too.
    #[command(flatten)]
    pub encrypt_vault_id: super::common::EncryptVaultIdArg,
    /// Whole-file vaults, or vars files with inline `!vault` values.
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &EditArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    for file in &args.files {
        let path = resolve_target(std::path::Path::new(file));
        let _locks = lock_vault_files(std::slice::from_ref(&path), &format!("edit {file}"))?;
        let input = Input::File(path.clone());
        let bytes = input.read()?;
        if !vault::is_encrypted(&bytes) && tree::holds_vault_data(&bytes) {
            edit_vars_file(&path, &bytes, &ctx, settings)?;
            continue;
        }
        let opened = ctx.decrypt(&input, &bytes)?;
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

/// A vars file: its inline values decrypted in the editor, re-encrypted after.
fn edit_vars_file(
    path: &std::path::Path,
    bytes: &[u8],
    ctx: &VaultContext,
    settings: &VaultSettings,
) -> CliResult {
    let file = SecretsFile::from_bytes(path, bytes, ctx)?;
    let shown = file.render_decrypted(ctx)?;
    let edited = run_editor(shown.as_bytes(), &suffix_of(path), &settings.editor)?;
    // Checked in place: a failed `String::from_utf8` would drop an unwiped copy.
    let edited = zeroize::Zeroizing::new(
        std::str::from_utf8(&edited)
            .map_err(|_| {
                FileError::from(EditorError::NotUtf8 {
                    path: path.display().to_string(),
                })
            })?
            .to_string(),
    );
    if let Some(new_bytes) = file.edited(&edited, ctx)? {
        replace(path, &new_bytes, FileMode::Keep)?;
    }
    Ok(())
}
