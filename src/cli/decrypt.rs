//! `vaultrot decrypt [FILE...] [--output FILE|-]`: in place, or to --output;
//! stdin to stdout when no file is given.

use clap::Args;

use super::common::{
    CliResult, VaultArgs, check_single_output, deliver, inputs_or_stdin, read_context,
};
use super::output::stdout_is_tty;
use crate::ansible::config::VaultSettings;
use crate::fsutil::FileMode;
use crate::vaultfile::{Input, OUTPUT_MODE, decrypted_view, replace};

#[derive(Args, Debug)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Output file name for the decrypted data (`-` for stdout).
    #[arg(long = "output", value_name = "OUTPUT_FILE")]
    pub output: Option<String>,
    /// Files to decrypt in place (none or `-`: stdin to stdout).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &DecryptArgs, settings: &VaultSettings) -> CliResult {
    check_single_output(&args.output, &args.files)?;
    let ctx = read_context(&args.vault, settings)?;
    let inputs = inputs_or_stdin(&args.files);
    // Decrypt everything first: one bad file means nothing is written.
    let mut decrypted = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let bytes = input.read()?;
        let to_stdout = args.output.as_deref() == Some("-")
            || (args.output.is_none() && *input == Input::Stdin);
        let plain = if to_stdout || args.output.is_some() {
            decrypted_view(input, &bytes, &ctx)?
        } else {
            // In place, only whole-file vaults: writing inline secrets back
            // as plaintext into a vars file is never what anyone wants.
            ctx.decrypt(input, &bytes)?.plaintext
        };
        decrypted.push((input, plain));
    }
    for (input, plain) in decrypted {
        deliver(args.output.as_deref(), input, &plain, |path, data| {
            replace(path, data, FileMode::Exactly(OUTPUT_MODE))
        })?;
    }
    if stdout_is_tty() {
        eprintln!("Decryption successful");
    }
    Ok(())
}
