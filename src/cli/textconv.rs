//! `vaultrot textconv FILE` for `git diff`: the decrypted content (whole-file
//! vault or inline values in place); `--redact` shows each key with a keyed
//! fingerprint instead, so a reviewer sees which secrets changed, not what
//! they became. Without a usable password the file is shown as it is.
//!
//! git runs it by itself inside `git diff`, so the repository's own
//! `ansible.cfg` does not get to name the password script or file unless the
//! user trusts that repository (`VaultSettings::load_for_git`).

use clap::Args;

use super::common::{CliResult, VaultArgs, context, load_secrets};
use super::output::write_stdout;
use crate::ansible::config::VaultSettings;
use crate::passwords::sources::Purpose;
use crate::vault::crypto::Fingerprinter;
use crate::vaultfile::document::SecretsFile;
use crate::vaultfile::{Input, decrypted_view};

#[derive(Args, Debug)]
pub struct TextconvArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Show fingerprints instead of values.
    #[arg(long)]
    pub redact: bool,
    /// The file git hands over (a vault file or a vars file).
    pub file: String,
}

pub fn run(args: &TextconvArgs) -> CliResult {
    let cwd = std::env::current_dir().unwrap_or_default();
    let (settings, skipped) = VaultSettings::load_for_git(&cwd);
    if let Some(skipped) = skipped {
        eprintln!("vaultrot: warning: {skipped}");
    }
    let settings = &settings;
    let input = Input::from_arg(&args.file);
    let bytes = input.read()?;
    // git runs this non-interactively: never prompt, fall back to the raw file.
    let secrets = load_secrets(&args.vault, settings, Purpose::Read, false).unwrap_or_default();
    if secrets.is_empty() {
        return write_stdout(&bytes);
    }
    let fingerprinter = Fingerprinter::new(secrets[0].password());
    let ctx = context(secrets, settings);
    let shown = if args.redact {
        let path = std::path::PathBuf::from(&args.file);
        SecretsFile::from_bytes(&path, &bytes, &ctx)
            .and_then(|f| {
                f.render_redacted(&ctx, &|name, value| fingerprinter.fingerprint(name, value))
            })
            .map(|t| t.into_bytes())
    } else {
        decrypted_view(&input, &bytes, &ctx).map(|p| p.to_vec())
    };
    match shown {
        Ok(text) => write_stdout(&text),
        Err(_) => write_stdout(&bytes),
    }
}
