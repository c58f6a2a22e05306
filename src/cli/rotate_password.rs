//! `vaultrot rotate-password [VAULT_ID]`: a new vault password for one
//! vault-id, every value under it rekeyed, the store updated and the
//! rotation recorded; resumable (see `passwords::rotate`).

use std::io::Read;

use clap::Args;
use zeroize::Zeroizing;

use super::common::{CliError, CliResult, ManifestArg, VaultArgs, load_secrets, warn};
use super::rotation_common::{load_manifest, manifest_path, now};
use crate::ansible::config::VaultSettings;
use crate::manifest::PasswordStore;
use crate::passwords::rotate::{Request, rotate};
use crate::passwords::sources::{Purpose, default_age_identity, read_hidden};
use crate::rotation::lock::{ManifestLock, current_user};
use crate::vault::DEFAULT_LABEL;

#[derive(Args, Debug)]
pub struct RotatePasswordArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub manifest: ManifestArg,
    /// Read the new password from stdin (first line) instead of generating one.
    #[arg(long, conflicts_with = "prompt")]
    pub stdin: bool,
    /// Ask for the new password (twice) instead of generating one.
    #[arg(long)]
    pub prompt: bool,
    /// The vault-id whose password changes.
    #[arg(value_name = "VAULT_ID", default_value = DEFAULT_LABEL)]
    pub vault_id: String,
}

fn new_password(args: &RotatePasswordArgs) -> CliResult<Option<Zeroizing<Vec<u8>>>> {
    if args.stdin {
        let mut text = Zeroizing::new(Vec::new());
        std::io::stdin()
            .read_to_end(&mut text)
            .map_err(|e| CliError::error(format!("reading the new password from stdin: {e}")))?;
        let line = text.split(|b| *b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        return Ok(Some(Zeroizing::new(line.to_vec())));
    }
    if args.prompt {
        let prompt = |text: &str| {
            read_hidden(text).map_err(|e| CliError::error(format!("reading the new password: {e}")))
        };
        let first = prompt(&format!("New vault password ({}): ", args.vault_id))?;
        let second = prompt(&format!("Confirm new vault password ({}): ", args.vault_id))?;
        if first[..] != second[..] {
            return Err(CliError::error("Passwords do not match"));
        }
        return Ok(Some(Zeroizing::new(first.as_bytes().to_vec())));
    }
    Ok(None)
}

pub fn run(args: &RotatePasswordArgs, settings: &VaultSettings) -> CliResult {
    let path = manifest_path(args.manifest.as_deref())?;
    let _lock = ManifestLock::acquire(&path, &format!("rotate-password {}", args.vault_id))?;
    let manifest = load_manifest(&path)?;
    let new_password = new_password(args)?;
    // Only a command store needs the current password from the user's sources.
    let needs_sources = manifest
        .vault_password(&args.vault_id)
        .is_some_and(|p| matches!(p.store, PasswordStore::Command(_)));
    let secrets = if needs_sources {
        load_secrets(&args.vault, settings, Purpose::Read, false)?
    } else {
        Vec::new()
    };
    let identity = default_age_identity(args.vault.age_identity.as_deref());
    let say = |line: &str| eprintln!("vaultrot: {line}");
    let request = Request {
        manifest: &manifest,
        vault_id: &args.vault_id,
        new_password,
        secrets: &secrets,
        age_identity: identity.as_deref(),
        now: now()?,
        by: &current_user(),
        say: &say,
    };
    let done = rotate(&request)?;
    for (vault_id, n) in &done.left {
        let values = if *n == 1 { "value" } else { "values" };
        warn(&format!(
            "{n} {values} under vault-id {vault_id} left unchanged: not the vault-id rotated"
        ));
    }
    let files = if done.files == 1 { "file" } else { "files" };
    println!(
        "vault-id {}: password rotated ({}{}): {} {files} rekeyed, new password in {}",
        args.vault_id,
        done.id,
        if done.resumed { ", resumed" } else { "" },
        done.files,
        done.store
    );
    Ok(())
}
