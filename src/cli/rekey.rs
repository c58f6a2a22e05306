//! `vaultrot rekey FILE...`: re-encrypt under a new password / vault-id.
//! Files and directories; inline `!vault` values are re-encrypted in place.
//! Every file is re-encrypted in memory before the first one is replaced,
//! under the lock of every manifest that names one of them. Inline values,
//! and whole-file vaults found by walking a directory, are rekeyed only under
//! the vault-ids a secret was given for; the others are listed, not touched.

use std::path::PathBuf;

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, choose_secret, read_context, warn};
use crate::ansible::config::VaultSettings;
use crate::fsutil::{FileMode, resolve_target};
use crate::passwords::sources::{Purpose, SecretLoader, SecretRequest, default_age_identity};
use crate::rotation::lock::lock_vault_files;
use rayon::prelude::*;

use super::output::progress_bar;
use crate::vaultfile::{FileError, RekeyScope, Rekeyed, rekeyed, replace, tree};

#[derive(Args, Debug)]
pub struct RekeyArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub encrypt_vault_id: super::common::EncryptVaultIdArg,
    /// New vault password file for rekey.
    #[arg(
        long = "new-vault-password-file",
        value_name = "FILE",
        conflicts_with = "new_vault_id"
    )]
    pub new_vault_password_file: Option<PathBuf>,
    /// The new vault identity to use for rekey.
    #[arg(long = "new-vault-id", value_name = "NEW_VAULT_ID")]
    pub new_vault_id: Option<String>,
    /// Files and directories to re-encrypt (inline values included).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &RekeyArgs, settings: &VaultSettings) -> CliResult {
    let ctx = read_context(&args.vault, settings)?;
    let encrypt_vault_id = args
        .encrypt_vault_id
        .as_deref()
        .or(settings.encrypt_identity.as_deref());
    // ansible builds the new secrets like any others, which means the
    // configured password file joins them too (ansible issue #18247).
    let request = SecretRequest {
        vault_ids: args.new_vault_id.iter().cloned().collect(),
        password_files: args.new_vault_password_file.iter().cloned().collect(),
        ask_vault_pass: args.vault.ask_vault_pass,
        auto_prompt: true,
        include_identity_list: encrypt_vault_id.is_some(),
    };
    let loader = SecretLoader {
        settings,
        age_identity: default_age_identity(args.vault.age_identity.as_deref()),
        warn: &warn,
    };
    let new_secrets = loader.load(&request, Purpose::Create)?;
    if new_secrets.is_empty() {
        return Err(CliError::options(
            "A new vault password is required to use Ansible's Vault rekey",
        ));
    }
    let new_secret = choose_secret(&new_secrets, encrypt_vault_id)?;

    // Plan every file in memory (in parallel) before the first is replaced:
    // a failure anywhere replaces nothing.
    let files = tree::expand_found(&args.files)?;
    let targets: Vec<PathBuf> = files.iter().map(|f| resolve_target(&f.path)).collect();
    let _locks = lock_vault_files(&targets, &format!("rekey {}", args.files.join(" ")))?;
    let progress = progress_bar(files.len() as u64, "rekeying");
    type Planned = Result<(PathBuf, Rekeyed), FileError>;
    let planned: Vec<Planned> = files
        .par_iter()
        .map(|file| {
            let path = resolve_target(&file.path);
            // ansible-vault opens a named whole-file vault with any secret.
            let scope = if file.named {
                RekeyScope::All
            } else {
                RekeyScope::GivenVaultIds
            };
            let result = rekeyed(&path, &ctx, &new_secret, scope).map(|r| (path, r));
            progress.inc(1);
            result
        })
        .collect();
    progress.finish_and_clear();
    let mut writes = Vec::with_capacity(planned.len());
    let mut left = std::collections::BTreeMap::<String, usize>::new();
    for plan in planned {
        let (path, rekeyed) = plan?;
        for (vault_id, n) in rekeyed.left {
            *left.entry(vault_id).or_default() += n;
        }
        if let Some(bytes) = rekeyed.bytes {
            writes.push((path, bytes));
        }
    }
    for (path, bytes) in writes {
        replace(&path, &bytes, FileMode::Keep)?;
    }
    for (vault_id, n) in left {
        let values = if n == 1 { "value" } else { "values" };
        warn(&format!(
            "{n} {values} under vault-id {vault_id} left unchanged: no secret given for them"
        ));
    }
    eprintln!("Rekey successful");
    Ok(())
}
