//! `vaultrot init`: a first `_secrets_manifest.yml` for a repository that
//! already has vaults, every secret listed, guesses marked for review.

use std::path::PathBuf;

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs, load_secrets};
use super::output::write_stdout;
use crate::ansible::config::VaultSettings;
use crate::manifest::discover::search_root;
use crate::manifest::init::{self, MANIFEST_PATH};
use crate::passwords::sources::Purpose;

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    /// The directory to scan (default: the infra root); with one inventory per
    /// environment, run init once for each (e.g. inventories/prod).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Where to write the manifest (default: group_vars/all/_secrets_manifest.yml
    /// under DIR).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,
    /// Print the manifest and the .gitignore lines; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: &InitArgs) -> CliResult {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::error(format!("cannot read the current directory: {e}")))?;
    let root = search_root(&cwd);
    let scope = match &args.dir {
        Some(dir) => std::path::absolute(dir)
            .map_err(|e| CliError::error(format!("{}: {e}", dir.display())))?,
        None => root.clone(),
    };
    if !scope.is_dir() || !scope.starts_with(&root) {
        return Err(CliError::error(format!(
            "{} is not a directory under the infra root {}",
            scope.display(),
            root.display()
        )));
    }
    let manifest = args
        .manifest
        .clone()
        .unwrap_or_else(|| scope.join(MANIFEST_PATH));
    if manifest.exists() && !args.dry_run {
        return Err(CliError::error(format!(
            "{} already exists: init never overwrites a manifest (move it away, or edit it)",
            manifest.display()
        )));
    }
    let settings = VaultSettings::load_in(Some(&root));
    let secrets = load_secrets(&args.vault, &settings, Purpose::Read, false).unwrap_or_default();
    let scan = init::scan(&root, &scope, &secrets).map_err(CliError::error)?;
    let text = init::render(&scan);
    let ignores = init::missing_ignores_in(&root);
    if args.dry_run {
        write_stdout(text.as_bytes())?;
    } else {
        init::write(&manifest, &text, &root, &ignores).map_err(CliError::error)?;
    }
    eprint!("{}", review(&scan, &manifest, &ignores, args.dry_run));
    Ok(())
}

/// What the user must look at before committing the manifest.
fn review(
    scan: &init::Scan,
    manifest: &std::path::Path,
    ignores: &[&str],
    dry_run: bool,
) -> String {
    let undated = scan
        .secrets
        .iter()
        .filter(|s| s.last_rotation.is_none())
        .count();
    let by_file = scan
        .secrets
        .iter()
        .filter(|s| s.dated_by == init::Dating::VaultFile)
        .count();
    let files: std::collections::BTreeSet<_> = scan.secrets.iter().map(|s| &s.vault).collect();
    let verb = if dry_run { "would write" } else { "wrote" };
    let mut out = format!(
        "{verb} {}: {} secret(s) from {} file(s)\nreview before committing:\n  - policies guessed from the names (`# guessed`)\n  - owners are empty\n  - no deploy/verify steps yet: add them before rotating\n",
        manifest.display(),
        scan.secrets.len(),
        files.len()
    );
    if undated > 0 {
        out.push_str(&format!(
            "  - {undated} secrets have no last_rotation (not in git): check-age reports them never rotated\n"
        ));
    }
    if by_file > 0 {
        out.push_str(&format!(
            "  - {by_file} secrets are dated by the last change of their whole-file vault: check the dates\n"
        ));
    }
    for skipped in &scan.skipped {
        out.push_str(&format!("  - skipped {skipped}\n"));
    }
    if !ignores.is_empty() {
        out.push_str(&format!(
            "{} .gitignore: {}\n",
            if dry_run { "would add to" } else { "added to" },
            ignores.join(" ")
        ));
    }
    out.push_str("then: vaultrot lint\n");
    out
}
