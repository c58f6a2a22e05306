//! `vaultrot view FILE|DIR...`: show decrypted content (the pager on a
//! terminal). Vars files show their inline `!vault` values decrypted in place.

use clap::Args;

use super::common::{CliResult, VaultArgs, read_context};
use super::output::page;
use crate::ansible::config::VaultSettings;
use crate::vault::wipe;
use crate::vaultfile::{Input, decrypted_view, tree};
use zeroize::Zeroizing;

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
    if let [input] = &inputs[..] {
        // One input is shown from the buffer it was decrypted in: a 1 MiB
        // secret file is not copied again.
        let mut bytes = input.read()?;
        let mut plain = decrypted_view(input, &bytes, &ctx)?;
        wipe(&mut bytes);
        // ansible's display adds the final newline a file may lack.
        if !plain.ends_with(b"\n") {
            plain = with_capacity_for(plain, 1);
            plain.push(b'\n');
        }
        let shown = page(&plain, &settings.pager);
        wipe(&mut plain);
        return shown;
    }
    let mut parts = Vec::new();
    for input in &inputs {
        let mut bytes = input.read()?;
        let plain = decrypted_view(input, &bytes, &ctx)?;
        wipe(&mut bytes);
        let header = several.then(|| format!("# ==> {} <==\n", input.display_name()));
        parts.push((header, plain));
    }
    // Sized once: a growing vector would leave copies of earlier plaintext
    // in the memory it gives back.
    let len = parts
        .iter()
        .map(|(header, plain)| header.as_ref().map_or(0, String::len) + plain.len() + 1)
        .sum();
    let mut shown = Zeroizing::new(Vec::with_capacity(len));
    for (header, mut plain) in parts {
        if let Some(header) = header {
            shown.extend_from_slice(header.as_bytes());
        }
        shown.extend_from_slice(&plain);
        wipe(&mut plain);
        if !shown.ends_with(b"\n") {
            shown.push(b'\n');
        }
    }
    let result = page(&shown, &settings.pager);
    wipe(&mut shown);
    result
}

/// `buf` with room for `extra` more bytes, moved without leaving a copy behind.
fn with_capacity_for(mut buf: Zeroizing<Vec<u8>>, extra: usize) -> Zeroizing<Vec<u8>> {
    if buf.capacity() - buf.len() >= extra {
        return buf;
    }
    let mut grown = Zeroizing::new(Vec::with_capacity(buf.len() + extra));
    grown.extend_from_slice(&buf);
    wipe(&mut buf);
    grown
}
