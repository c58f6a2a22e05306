//! `vaultrot view FILE...`: show decrypted content (the pager on a terminal).

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::output::page;
use crate::ansible::config::VaultSettings;
use crate::vaultfile::Input;

#[derive(Args, Debug)]
pub struct ViewArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Files to view (`-` reads stdin).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &ViewArgs, settings: &VaultSettings) -> CliResult {
    if args.files.is_empty() {
        return Ok(()); // ansible-vault view with no file does nothing
    }
    let ctx = read_context(&args.vault, settings)?;
    let mut shown = zeroize::Zeroizing::new(Vec::new());
    for file in &args.files {
        let plain = ctx.open(&Input::from_arg(file))?.plaintext;
        shown.extend_from_slice(&plain);
        // ansible's display adds the final newline a file may lack.
        if !shown.ends_with(b"\n") {
            shown.push(b'\n');
        }
    }
    page(&shown, &settings.pager)
}
