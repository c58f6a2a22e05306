//! `vaultrot encrypt [FILE...] [--output FILE|-] [--encrypt-vault-id ID]`.

use clap::Args;

use super::common::{
    CliResult, VaultArgs, check_single_output, deliver, encrypt_context, inputs_or_stdin,
};
use super::output::stdout_is_tty;
use crate::ansible::config::VaultSettings;
use crate::vaultfile::replace_plaintext;

#[derive(Args, Debug)]
pub struct EncryptArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Output file name for the encrypted data (`-` for stdout).
    #[arg(long = "output", value_name = "OUTPUT_FILE")]
    pub output: Option<String>,
    #[command(flatten)]
    pub encrypt_vault_id: super::common::EncryptVaultIdArg,
    /// Files to encrypt in place (none or `-`: stdin to stdout).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &EncryptArgs, settings: &VaultSettings) -> CliResult {
    check_single_output(&args.output, &args.files)?;
    let (ctx, secret) = encrypt_context(&args.vault, settings, args.encrypt_vault_id.as_deref())?;
    let inputs = inputs_or_stdin(&args.files);
    let mut sealed = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let plain = input.read()?;
        sealed.push((input, ctx.seal(input, &plain, &secret)?));
    }
    for (input, text) in sealed {
        deliver(
            args.output.as_deref(),
            input,
            text.as_bytes(),
            replace_plaintext,
        )?;
    }
    if stdout_is_tty() {
        eprintln!("Encryption successful");
    }
    Ok(())
}
