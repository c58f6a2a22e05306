//! `vaultrot rotate-due`: the nightly job's rotations. Starts the dual
//! rotations of `auto: true` secrets that are due soon or overdue, finishes
//! the windows it opened once their min_window passed, swaps swap secrets;
//! each as `start`/`finish`/`rotate` would (same lock, steps, records and
//! notifications), then lists the files it changed for a pull request.

use std::path::{Path, PathBuf};

use clap::Args;

use super::common::{CliError, CliResult, VaultArgs};
use super::output::write_stdout;
use super::rotation_common::{Extra, RotationArgs, load_manifest, manifest_path, now, run_locked};
use crate::rotation::changed::Snapshot;
use crate::rotation::due::{AUTO_BY, AutoAction, plan_day};
use crate::rotation::lock::ManifestLock;
use crate::rotation::plan::Command;

#[derive(Args, Debug)]
pub struct RotateDueArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub manifest: super::common::ManifestArg,
    /// Print what it would do (and each command's plan); write and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Open at most N new rotations in this run (finishing open ones is not capped).
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
}

pub fn run(args: &RotateDueArgs) -> CliResult {
    let path = manifest_path(args.manifest.as_deref())?;
    let _lock = if args.dry_run {
        None
    } else {
        Some(ManifestLock::acquire(&path, "rotate-due")?)
    };
    let manifest = load_manifest(&path)?;
    let today = now()?.date_naive();
    let day = plan_day(&manifest, today, args.max);

    let mut text = format!(
        "rotate-due {today}: {} auto secret(s), {} to act on\n",
        day.decisions.len(),
        day.actions.len()
    );
    // What it does, in the order it does it; then what it leaves for later.
    let rest = (0..day.decisions.len()).filter(|i| !day.actions.contains(i));
    for i in day.actions.iter().copied().chain(rest) {
        let d = &day.decisions[i];
        let held = day.held_back.contains(&i);
        let what = match d.action {
            Some(action) if day.actions.contains(&i) => action.as_str(),
            _ if held => "held",
            _ => "wait",
        };
        let mut why = d.why.clone();
        if held {
            why.push_str(&format!(" (--max {} reached)", args.max.unwrap_or(0)));
        } else if d.action.is_none()
            && let Some(on) = d.on
        {
            why.push_str(&format!("; acts on {on}"));
        }
        text.push_str(&format!("  {what:<6} {}: {why}\n", d.secret));
    }
    write_stdout(text.as_bytes())?;

    let before = Snapshot::take(&manifest);
    let mut failed = Vec::new();
    for &i in &day.actions {
        let d = &day.decisions[i];
        let Some(action) = d.action else { continue };
        let command = match action {
            AutoAction::Start => Command::Start,
            AutoAction::Finish => Command::Finish,
            AutoAction::Rotate => Command::Rotate { compromised: false },
        };
        let rotation = RotationArgs {
            vault: args.vault.clone(),
            manifest: super::common::ManifestArg {
                manifest: Some(path.clone()),
            },
            dry_run: args.dry_run,
            confirm: false,
            secrets: d.names.clone(),
        };
        let result = run_locked(
            &path,
            &rotation,
            command,
            || Ok(Extra::default()),
            AUTO_BY.to_string(),
        );
        if let Err(e) = result {
            eprintln!(
                "vaultrot: rotate-due: {} {} failed: {}",
                action.as_str(),
                d.names.join(" "),
                e.message
            );
            failed.push(d.secret.clone());
        }
    }
    if !args.dry_run {
        let mut text = String::from("changed files:\n");
        for file in before.changed() {
            text.push_str(&format!("{}\n", relative_to_cwd(&file).display()));
        }
        write_stdout(text.as_bytes())?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::error(format!(
            "rotate-due: {} rotation(s) failed: {}",
            failed.len(),
            failed.join(", ")
        )))
    }
}

/// How `git add` in the job's directory names the file: relative to the
/// current directory when below it, else absolute.
fn relative_to_cwd(file: &Path) -> PathBuf {
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    match std::env::current_dir() {
        Ok(cwd) => absolute
            .strip_prefix(&cwd)
            .map_or_else(|_| absolute.clone(), Path::to_path_buf),
        Err(_) => absolute,
    }
}
