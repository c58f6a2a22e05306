//! `vaultrot view FILE|DIR...`: show decrypted content (the pager on a
//! terminal). Vars files show their inline `!vault` values decrypted in place.

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::output::page;
use crate::ansible::config::VaultSettings;
use crate::vaultfile::{Input, decrypted_view, tree};

#[derive(Args, Debug)]
pub struct ViewArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Files or directories to view (`-` reads stdin).
    #[arg(value_name = "file_name")]
    pub files: Vec<String>,
}

pub fn run(args: &ViewArgs, settings: &VaultSettings) -> CliResult {
    if args.files.is_empty() {
        return Ok(()); // ansible-vault view with no file does nothing
    }
    let ctx = read_context(&args.vault, settings)?;
    let several =
        args.files.len() > 1 || args.files.iter().any(|f| std::path::Path::new(f).is_dir());
    let mut inputs = Vec::new();
    for file in &args.files {
        if file == "-" {
            inputs.push(Input::Stdin);
        } else {
            inputs.extend(
                tree::expand(std::slice::from_ref(file))?
                    .into_iter()
                    .map(Input::File),
            );
        }
    }
    let mut shown = zeroize::Zeroizing::new(Vec::new());
    for input in &inputs {
        let bytes = input.read()?;
        let plain = decrypted_view(input, &bytes, &ctx)?;
        if several && inputs.len() > 1 {
            shown.extend_from_slice(format!("# ==> {} <==\n", input.display_name()).as_bytes());
        }
        shown.extend_from_slice(&plain);
        // ansible's display adds the final newline a file may lack.
        if !shown.ends_with(b"\n") {
            shown.push(b'\n');
        }
    }
    page(&shown, &settings.pager)
}
