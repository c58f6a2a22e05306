//! What every vault command shares: the vault-id / password flags (defined
//! once, as ansible-vault spells them), loading secrets and choosing the
//! encryption secret.

use std::path::PathBuf;

use clap::Args;

use crate::ansible::config::VaultSettings;
use crate::passwords::sources::{self, Purpose, SecretLoader, SecretRequest};
use crate::vault::{DecryptOptions, SaltSource, VaultSecret};
use crate::vaultfile::{FileError, VaultContext};

pub use super::error::{CliError, CliResult};

/// ansible-vault's common vault options (`opt_help.add_vault_options`).
#[derive(Args, Debug, Clone, Default)]
pub struct VaultArgs {
    /// The vault identity to use: LABEL@SOURCE, SOURCE being a password file, a script, or `prompt`.
    #[arg(long = "vault-id", value_name = "VAULT_IDS")]
    pub vault_ids: Vec<String>,
    /// Vault password file (or executable script).
    #[arg(
        long = "vault-password-file",
        visible_alias = "vault-pass-file",
        value_name = "FILE",
        conflicts_with = "ask_vault_pass"
    )]
    pub vault_password_files: Vec<PathBuf>,
    /// Ask for the vault password.
    #[arg(
        short = 'J',
        long = "ask-vault-password",
        visible_alias = "ask-vault-pass"
    )]
    pub ask_vault_pass: bool,
    /// age identity file that opens age-encrypted password files
    /// (default: $VAULTROT_AGE_IDENTITY, then ~/.config/vaultrot/age-identity.txt).
    #[arg(long = "age-identity", value_name = "FILE")]
    pub age_identity: Option<PathBuf>,
    /// Verbose output (accepted for compatibility; repeat for more).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Prints a warning the way ansible does.
pub fn warn(message: &str) {
    eprintln!("[WARNING]: {message}");
}

/// Loads the secrets for a command, as `setup_vault_secrets` would.
pub fn load_secrets(
    args: &VaultArgs,
    settings: &VaultSettings,
    purpose: Purpose,
    auto_prompt: bool,
) -> CliResult<Vec<VaultSecret>> {
    let request = SecretRequest {
        vault_ids: args.vault_ids.clone(),
        password_files: args.vault_password_files.clone(),
        ask_vault_pass: args.ask_vault_pass || settings.ask_vault_pass,
        auto_prompt,
        include_identity_list: true,
    };
    let loader = SecretLoader {
        settings,
        age_identity: sources::default_age_identity(args.age_identity.as_deref()),
        warn: &warn,
    };
    Ok(loader.load(&request, purpose)?)
}

/// Secrets for reading (view, decrypt, edit, rekey's old side); at least one.
pub fn read_context(args: &VaultArgs, settings: &VaultSettings) -> CliResult<VaultContext> {
    let secrets = load_secrets(args, settings, Purpose::Read, true)?;
    if secrets.is_empty() {
        return Err(CliError::options(
            "A vault password is required to use Ansible's Vault",
        ));
    }
    Ok(context(secrets, settings))
}

pub fn context(secrets: Vec<VaultSecret>, settings: &VaultSettings) -> VaultContext {
    VaultContext {
        secrets,
        options: DecryptOptions {
            only_matching_label: settings.id_match,
        },
        salt: settings
            .encrypt_salt
            .as_ref()
            .map_or(SaltSource::Random, |s| {
                SaltSource::Fixed(s.as_bytes().to_vec())
            }),
    }
}

/// Secrets for encrypting plus the one to encrypt with (ansible's
/// `match_encrypt_secret`, with its "more than one secret" rule).
pub fn encrypt_context(
    args: &VaultArgs,
    settings: &VaultSettings,
    encrypt_vault_id: Option<&str>,
) -> CliResult<(VaultContext, VaultSecret)> {
    let secrets = load_secrets(args, settings, Purpose::Create, true)?;
    let wanted = encrypt_vault_id.or(settings.encrypt_identity.as_deref());
    if secrets.len() > 1 && wanted.is_none() {
        let labels: Vec<&str> = secrets.iter().map(|s| s.label.as_str()).collect();
        return Err(CliError::options(format!(
            "The vault-ids {} are available to encrypt. Specify the vault-id to encrypt with --encrypt-vault-id",
            labels.join(",")
        )));
    }
    if secrets.is_empty() {
        return Err(CliError::options(
            "A vault password is required to use Ansible's Vault",
        ));
    }
    let chosen = choose_secret(&secrets, wanted)?;
    Ok((context(secrets, settings), chosen))
}

/// The first secret with the wanted label, or the first secret.
pub fn choose_secret(secrets: &[VaultSecret], wanted: Option<&str>) -> CliResult<VaultSecret> {
    match wanted {
        None => Ok(secrets[0].clone()),
        Some(label) => secrets.iter().find(|s| s.label == label).cloned().ok_or_else(|| {
            let known: Vec<String> = secrets.iter().map(|s| format!("'{}'", s.label)).collect();
            CliError::error(format!(
                "Did not find a match for --encrypt-vault-id={label} in the known vault-ids [{}]",
                known.join(", ")
            ))
        }),
    }
}

/// `--output` is allowed with one input at most.
pub fn check_single_output(output: &Option<String>, inputs: &[String]) -> CliResult {
    if output.is_some() && inputs.len() > 1 {
        return Err(CliError::options(
            "At most one input file may be used with the --output option",
        ));
    }
    Ok(())
}

/// The inputs of `encrypt`/`decrypt`: stdin when no file is given, else the
/// files by their realpath (as ansible names them in messages).
pub fn inputs_or_stdin(files: &[String]) -> Vec<crate::vaultfile::Input> {
    use crate::vaultfile::Input;
    if files.is_empty() {
        return vec![Input::Stdin];
    }
    files
        .iter()
        .map(|f| Input::from_arg(f).resolved())
        .collect()
}

/// Where one `encrypt`/`decrypt` result goes: stdout (`--output -`, or an
/// input read from stdin), `--output FILE` (a new 0600 file), or back over
/// the input file through `in_place`.
pub fn deliver(
    output: Option<&str>,
    input: &crate::vaultfile::Input,
    data: &[u8],
    in_place: impl FnOnce(&std::path::Path, &[u8]) -> Result<(), FileError>,
) -> CliResult {
    use crate::vaultfile::{Input, OUTPUT_MODE, replace};
    match (output, input) {
        (Some("-"), _) | (None, Input::Stdin) => super::output::write_stdout(data),
        (Some(out), _) => Ok(replace(
            std::path::Path::new(out),
            data,
            crate::fsutil::FileMode::Exactly(OUTPUT_MODE),
        )?),
        (None, Input::File(path)) => Ok(in_place(path, data)?),
    }
}

/// `--encrypt-vault-id`, for every command that writes a vault. Reads as
/// the `Option<String>` it holds (`args.encrypt_vault_id.as_deref()`).
#[derive(Args, Debug, Clone, Default)]
pub struct EncryptVaultIdArg {
    /// The vault-id to encrypt with (needed when several vault-ids are given).
    #[arg(long = "encrypt-vault-id", value_name = "ENCRYPT_VAULT_ID")]
    pub encrypt_vault_id: Option<String>,
}

impl std::ops::Deref for EncryptVaultIdArg {
    type Target = Option<String>;
    fn deref(&self) -> &Option<String> {
        &self.encrypt_vault_id
    }
}

/// `--manifest PATH`: the one manifest a command works on. Reads as the
/// `Option<PathBuf>` it holds (`args.manifest.as_deref()`).
#[derive(Args, Debug, Clone, Default)]
pub struct ManifestArg {
    /// The manifest (default: $VAULTROT_MANIFEST, else the one
    /// `**/group_vars/all/_secrets_manifest.yml` below the current directory).
    #[arg(long = "manifest", value_name = "PATH")]
    pub manifest: Option<PathBuf>,
}

impl std::ops::Deref for ManifestArg {
    type Target = Option<PathBuf>;
    fn deref(&self) -> &Option<PathBuf> {
        &self.manifest
    }
}

/// `--manifest PATH...`: the manifests a report covers. Reads as the
/// `Vec<PathBuf>` it holds.
#[derive(Args, Debug, Clone, Default)]
pub struct ManifestsArg {
    /// A manifest, or a glob of manifests (repeatable; default: $VAULTROT_MANIFEST,
    /// else every group_vars/all/_secrets_manifest.yml below the infra root).
    #[arg(long = "manifest", value_name = "PATH")]
    pub manifest: Vec<PathBuf>,
}

impl std::ops::Deref for ManifestsArg {
    type Target = Vec<PathBuf>;
    fn deref(&self) -> &Vec<PathBuf> {
        &self.manifest
    }
}

/// "Now" as `VAULTROT_NOW` pins it (tests, reproducible reports): a date
/// `YYYY-MM-DD` (noon UTC) or an RFC 3339 time. `None` when unset or empty.
/// Every command reads it through here, so they agree on what it accepts.
pub fn pinned_now() -> CliResult<Option<chrono::DateTime<chrono::Utc>>> {
    match std::env::var("VAULTROT_NOW") {
        Ok(text) if !text.is_empty() => parse_now(&text).map(Some),
        _ => Ok(None),
    }
}

fn parse_now(text: &str) -> CliResult<chrono::DateTime<chrono::Utc>> {
    if let Ok(date) = crate::manifest::duration::parse_date(text) {
        return Ok(date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            CliError::options(format!(
                "VAULTROT_NOW: `{text}` is not a date or a time; expected YYYY-MM-DD or RFC 3339, \
                 e.g. 2026-01-15 or 2026-01-15T09:30:00Z"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit_codes;

    #[test]
    fn vaultrot_now_takes_a_date_or_an_rfc3339_time() {
        assert_eq!(
            parse_now("2026-01-15").unwrap().to_rfc3339(),
            "2026-01-15T12:00:00+00:00"
        );
        assert_eq!(
            parse_now("2026-01-15T23:30:00-05:00").unwrap().to_rfc3339(),
            "2026-01-16T04:30:00+00:00"
        );
        for bad in ["soon", "2026-02-30", "15/01/2026", "2026-1-5"] {
            let err = parse_now(bad).unwrap_err();
            assert_eq!(err.code, exit_codes::OPTIONS);
            assert!(
                err.message
                    .starts_with(&format!("VAULTROT_NOW: `{bad}` is not a date")),
                "{}",
                err.message
            );
        }
    }
}
