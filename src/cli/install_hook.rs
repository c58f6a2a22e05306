//! `vaultrot install-hook`: writes `.git/hooks/pre-commit` running
//! `vaultrot scan --staged`, for repositories not using pre-commit.

use clap::Args;

use super::common::{CliError, CliResult};
use crate::scan::hook::{self, Installed};

#[derive(Args, Debug)]
pub struct InstallHookArgs {
    /// Replace a pre-commit hook that vaultrot did not write.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &InstallHookArgs) -> CliResult {
    let cwd = std::env::current_dir().map_err(|e| CliError::error(e.to_string()))?;
    // Not a scan: a hook that cannot be written is a plain failure (1), not
    // the "could not scan" (2) a `ScanError` means for `scan`.
    match hook::install(&cwd, args.force).map_err(|e| CliError::error(e.to_string()))? {
        Installed::Written(path) => {
            println!("wrote {} (runs `vaultrot scan --staged`)", path.display())
        }
        Installed::AlreadyThere(path) => println!("{} is already installed", path.display()),
    }
    Ok(())
}
