//! What the rotation commands share: `--manifest`, `--dry-run`, `--confirm`,
//! the vault flags, discovery, the manifest lock and running a plan.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use zeroize::Zeroizing;

use super::common::{CliError, CliResult, VaultArgs, read_context};
use super::output::write_stdout;
use crate::ansible::config::VaultSettings;
use crate::manifest::{self, Manifest};
use crate::rotation::execute::{RunOptions, execute};
use crate::rotation::lock::{ManifestLock, current_user};
use crate::rotation::plan::{self, Command};
use crate::rotation::world::{Live, ValueSource, new_rotation_id};
use crate::scan;

/// Flags every rotation command takes.
#[derive(Args, Debug, Clone)]
pub struct RotationArgs {
    #[command(flatten)]
    pub vault: VaultArgs,
    #[command(flatten)]
    pub manifest: super::common::ManifestArg,
    /// Print the plan (files and keys that would change, each command line); write and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The manual step the rotation waits for (see `vaultrot status`) was done: go on.
    #[arg(long)]
    pub confirm: bool,
    /// The secrets (manifest names, e.g. vault_nats_password).
    #[arg(value_name = "SECRET")]
    pub secrets: Vec<String>,
}

pub fn manifest_path(explicit: Option<&Path>) -> CliResult<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| CliError::error(e.to_string()))?;
    Ok(manifest::discover(explicit, &cwd)?)
}

pub fn load_manifest(path: &Path) -> CliResult<Manifest> {
    Ok(Manifest::load(path)?)
}

/// "Now" for rotation records: `VAULTROT_NOW` (RFC 3339 or a date) in tests, else the clock.
pub fn now() -> CliResult<chrono::DateTime<chrono::Utc>> {
    Ok(super::common::pinned_now()?.unwrap_or_else(chrono::Utc::now))
}

/// Reads one value per line from stdin for `external: true` secrets.
pub fn values_from_stdin() -> CliResult<ValueSource> {
    let mut raw = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut raw)
        .map_err(|e| CliError::error(format!("cannot read stdin: {e}")))?;
    Ok(ValueSource::Stdin(
        raw.lines()
            .map(|l| Zeroizing::new(l.trim_end_matches('\r').to_string()))
            .collect(),
    ))
}

/// What a command adds to the shared flags.
pub struct Extra {
    pub values: ValueSource,
    pub reason: Option<String>,
    pub force: bool,
    pub min_window: Option<manifest::Period>,
    /// `rotate --compromised --scan`: add where the values leaked to the reason.
    pub scan: bool,
}

impl Default for Extra {
    fn default() -> Self {
        Extra {
            values: ValueSource::Prompt,
            reason: None,
            force: false,
            min_window: None,
            scan: false,
        }
    }
}

/// The reason of a compromised rotation followed by where each secret's
/// values were found (paths, commits, encodings; never a value), so that the
/// CHANGELOG line and the history record hold the incident's scope.
fn with_exposure_scope(
    reason: &str,
    manifest: &Manifest,
    ctx: &crate::vaultfile::VaultContext,
    names: &[String],
) -> CliResult<String> {
    let cannot_scan = |e: scan::ScanError| CliError::from(e).prefixed("--scan: ");
    let place = scan::Place::locate(&manifest.root, Some(&manifest.path)).map_err(cannot_scan)?;
    let mut parts = vec![reason.trim().to_string()];
    for name in names {
        let scope = scan::scope_for(&place, ctx, name).map_err(cannot_scan)?;
        eprintln!("vaultrot: `{name}`: {}", scope.summary());
        parts.push(if names.len() == 1 {
            scope.summary()
        } else {
            format!("{name} {}", scope.summary())
        });
    }
    Ok(parts.join("; "))
}

/// Locks the manifest, opens the vaults, plans `command` and performs the
/// plan (or prints it with `--dry-run`).
pub fn run_rotation(
    args: &RotationArgs,
    command: Command,
    extra: impl FnOnce() -> CliResult<Extra>,
) -> CliResult {
    let path = manifest_path(args.manifest.as_deref())?;
    let _lock = if args.dry_run {
        None
    } else {
        let verb = command.line(&args.secrets);
        let line = verb.trim_start_matches("vaultrot ").to_string();
        Some(ManifestLock::acquire(&path, line.trim())?)
    };
    run_locked(&path, args, command, extra, current_user())
}

/// [`run_rotation`] for a caller that already holds the manifest lock (or
/// needs none: a dry run), recording `user` as who ran it.
pub fn run_locked(
    path: &Path,
    args: &RotationArgs,
    command: Command,
    extra: impl FnOnce() -> CliResult<Extra>,
    user: String,
) -> CliResult {
    let manifest = load_manifest(path)?;
    let settings = VaultSettings::load_in(Some(&manifest.root));
    let ctx = read_context(&args.vault, &settings)?;
    let mut extra = extra()?;
    if extra.scan {
        extra.reason = Some(with_exposure_scope(
            extra.reason.as_deref().unwrap_or_default(),
            &manifest,
            &ctx,
            &args.secrets,
        )?);
    }
    let now = now()?;
    // Derived secrets move with their source: their vault facts are needed too.
    let names = args.secrets.clone();
    let moving = plan::with_derived(&manifest, &names, command);
    let (mut live, facts) = Live::open(&manifest, &ctx, &moving, extra.values, user.clone(), now)?;
    let options = plan::Options {
        now,
        force: extra.force,
        reason: extra.reason,
        min_window: extra.min_window,
    };
    let plan = plan::plan(
        &manifest,
        &names,
        &facts,
        command,
        &options,
        &new_rotation_id(now),
    )?;
    if command != Command::Verify {
        live.set_rotation_id(&plan.id);
    }
    if args.dry_run {
        let mut text = String::from("dry run: nothing was written or run. Plan:\n");
        for line in live.describe(&plan)? {
            text.push_str(&format!("  {line}\n"));
        }
        return write_stdout(text.as_bytes());
    }
    live.preflight(&plan)?;
    let run = RunOptions {
        now,
        user,
        confirm: args.confirm,
    };
    Ok(execute(&mut live, &manifest, &facts, &plan, &run)?)
}
