//! `vaultrot scan [PATH...]`: every vaulted value, wherever it leaked (work
//! tree, files such as CI logs, `--staged`, `--history`). Exit 1 on any
//! finding, 0 when clean, 2 when the scan could not run.

use std::path::PathBuf;

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, context, load_secrets};
use super::output::progress_bar;
use crate::ansible::config::VaultSettings;
use crate::exit_codes;
use crate::passwords::sources::Purpose;
use crate::report;
use crate::scan::render::{ScanFormat, render};
use crate::scan::{self, Place, ScanOptions};

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// Files or directories to search as well as nothing else (a CI log);
    /// default: the working tree.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also search every blob in the git history (each once, from every ref).
    #[arg(long)]
    pub history: bool,
    /// Search the staged index instead of the working tree (pre-commit hook).
    #[arg(long)]
    pub staged: bool,
    /// Include files that .gitignore leaves out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Output: a table for people, json, sarif (GitHub code scanning) or github annotations.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub manifest: super::common::ManifestArg,
}

/// Any failure means "not scanned": exit 2, never the 1 of a finding.
fn cannot_scan(message: impl std::fmt::Display) -> CliError {
    CliError::usage(format!("scan: {message}"))
}

pub fn run(args: &ScanArgs) -> CliResult {
    let cwd = std::env::current_dir().map_err(cannot_scan)?;
    let place = Place::locate(&cwd, args.manifest.as_deref()).map_err(cannot_scan)?;
    let settings = VaultSettings::load_in(Some(&place.infra_root));
    let secrets = load_secrets(&args.vault, &settings, Purpose::Read, true)
        .map_err(|e| cannot_scan(e.message))?;
    if secrets.is_empty() {
        return Err(cannot_scan(
            "a vault password is required: the scan searches for the decrypted values",
        ));
    }
    let ctx = context(secrets, &settings);
    let options = ScanOptions {
        paths: args.paths.clone(),
        history: args.history,
        staged: args.staged,
        no_ignore: args.no_ignore,
    };
    // Shown on a terminal only; its length is set once the files are listed.
    let bar = ScanProgress(progress_bar(2, "scanning"));
    let report = scan::run_with_progress(&place, &options, &ctx, &bar).map_err(cannot_scan);
    bar.0.finish_and_clear();
    let report = report?;
    report::print(&render(&report, args.format)).map_err(cannot_scan)?;
    if report.findings.is_empty() {
        Ok(())
    } else {
        Err(CliError {
            code: exit_codes::ERROR,
            message: String::new(),
        })
    }
}

/// The scan's progress as a bar on a terminal (hidden in CI and pipes).
struct ScanProgress(indicatif::ProgressBar);

impl scan::Progress for ScanProgress {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self) {
        self.0.inc(1);
    }
}
