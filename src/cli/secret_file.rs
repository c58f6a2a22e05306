//! What the secret-level commands (`get`, `set`, `unset`, `ls`) share:
//! opening the file and choosing the secret for new inline values.

use std::path::Path;

use super::common::{CliError, CliResult, choose_secret};
use crate::vault::VaultSecret;
use crate::vaultfile::VaultContext;
use crate::vaultfile::document::SecretsFile;

pub fn open(file: &str, ctx: &VaultContext) -> CliResult<SecretsFile> {
    Ok(SecretsFile::load(Path::new(file), ctx)?)
}

/// A new, empty secrets file (`set --create`): a whole-file vault sealed
/// with the encryption secret, or (`inline`) a vars file.
pub fn create(
    file: &str,
    inline: bool,
    ctx: &VaultContext,
    encrypt_vault_id: Option<&str>,
) -> CliResult<SecretsFile> {
    let path = Path::new(file);
    if inline {
        return Ok(SecretsFile::new_vars(path)?);
    }
    if encrypt_vault_id.is_none() && ctx.secrets.len() > 1 {
        let known: Vec<&str> = ctx.secrets.iter().map(|s| s.label.as_str()).collect();
        return Err(CliError::options(format!(
            "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
            known.join(",")
        )));
    }
    let secret = choose_secret(&ctx.secrets, encrypt_vault_id)?;
    Ok(SecretsFile::new_whole(path, secret)?)
}

/// The secret for new inline values: `--encrypt-vault-id`, else the only
/// secret, else the label the file's inline values already share.
pub fn secret_for_new_values(
    file: &SecretsFile,
    ctx: &VaultContext,
    encrypt_vault_id: Option<&str>,
) -> CliResult<Option<VaultSecret>> {
    if file.is_whole_vault() {
        return Ok(None);
    }
    if encrypt_vault_id.is_some() || ctx.secrets.len() == 1 {
        return choose_secret(&ctx.secrets, encrypt_vault_id).map(Some);
    }
    let mut labels: Vec<String> = file
        .list()
        .into_iter()
        .filter(|i| i.vaulted)
        .map(|i| {
            i.label
                .unwrap_or_else(|| crate::vault::DEFAULT_LABEL.to_string())
        })
        .collect();
    labels.sort();
    labels.dedup();
    match labels.as_slice() {
        [only] if ctx.secrets.iter().any(|s| &s.label == only) => {
            choose_secret(&ctx.secrets, Some(only)).map(Some)
        }
        _ => {
            let known: Vec<&str> = ctx.secrets.iter().map(|s| s.label.as_str()).collect();
            Err(CliError::options(format!(
                "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
                known.join(",")
            )))
        }
    }
}
