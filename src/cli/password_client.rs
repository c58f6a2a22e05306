//! `vaultrot password-client`: a vault password client script for Ansible
//! (`--vault-id default@vaultrot-client`, a link named `vaultrot-client` to
//! this binary, or a script running `vaultrot password-client "$@"`).
//! Prints the vault-id's password from its age file on stdout.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::common::{CliError, CliResult};
use crate::passwords::client;
use crate::passwords::sources::default_age_identity;
use crate::vault::DEFAULT_LABEL;

#[derive(Args, Debug)]
pub struct PasswordClientArgs {
    /// The vault-id Ansible asks for (it passes `--vault-id LABEL`).
    #[arg(long = "vault-id", value_name = "LABEL", default_value = DEFAULT_LABEL)]
    pub vault_id: String,
    /// The age-encrypted password file (default: `.vault-pass.age`, or
    /// `.vault-pass.LABEL.age` for another vault-id, nearest from the current
    /// directory upwards).
    #[arg(long = "age-file", value_name = "FILE")]
    pub age_file: Option<PathBuf>,
    /// age identity file (default: $VAULTROT_AGE_IDENTITY, then ~/.config/vaultrot/age-identity.txt)
    #[arg(long = "age-identity", value_name = "FILE")]
    pub age_identity: Option<PathBuf>,
}

/// Whether the binary was started through a link named `vaultrot-client`.
pub fn invoked_as_client() -> bool {
    std::env::args_os()
        .next()
        .and_then(|a| PathBuf::from(a).file_stem().map(|s| s == "vaultrot-client"))
        .unwrap_or(false)
}

pub fn run(args: &PasswordClientArgs) -> CliResult {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::error(format!("cannot read the current directory: {e}")))?;
    let identity = default_age_identity(args.age_identity.as_deref());
    let password = client::password_for(
        &args.vault_id,
        args.age_file.as_deref(),
        &cwd,
        identity.as_deref(),
    )?;
    let mut out = std::io::stdout().lock();
    out.write_all(&password)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .map_err(|e| CliError::error(format!("cannot write the password to stdout: {e}")))
}
