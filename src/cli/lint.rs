//! `vaultrot lint`: the manifest against the vault files and the tree.
//! Exit 0: no errors; 1: errors found; 2: usage/manifest error.

use std::path::PathBuf;

use crate::exit_codes;
use crate::manifest::lint::lint;
use crate::report::{self, Format, PathDisplay, Style};
use crate::vault::VaultSecret;

use super::check_age::{Failure, load_manifest};

#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// The manifest (default: $VAULTROT_MANIFEST, else the single
    /// group_vars/all/_secrets_manifest.yml below the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Runs `lint`; `secrets` are the vault passwords (`None`: no password
/// source, the vault-key comparison is skipped with a notice).
pub fn run(args: &LintArgs, secrets: Option<&[VaultSecret]>) -> i32 {
    let paths = PathDisplay::from_cwd();
    let manifest = match load_manifest(args.manifest.as_deref()) {
        Ok(manifest) => manifest,
        Err(Failure::Manifest(err)) => {
            if args.format == Format::Github {
                let _ = report::print(&report::manifest_error_github(&err, &paths));
            }
            eprintln!("vaultrot: error: {err}");
            return exit_codes::USAGE;
        }
        Err(Failure::Usage(message)) => {
            eprintln!("vaultrot: error: {message}");
            return exit_codes::USAGE;
        }
    };
    let report = lint(&manifest, secrets);
    let text = report::render_lint(
        &report,
        &paths.show(&manifest.path),
        &paths,
        args.format,
        Style::detect(),
    );
    if let Err(err) = report::print(&text) {
        eprintln!("vaultrot: error: cannot write the report: {err}");
        return exit_codes::ERROR;
    }
    if report.failing() {
        exit_codes::ERROR
    } else {
        exit_codes::OK
    }
}
