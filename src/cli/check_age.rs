//! `vaultrot check-age`: every secret's age against its policy, as a CI gate,
//! over every manifest of the repository (one per environment is common).
//! Needs no vault password, except with `--notify` (owners are told of
//! overdue and due-soon secrets by their notify steps, whose output is
//! scrubbed of the vault's values). Exit 0: nothing at the fail level; 1: something is; 2: usage/manifest error.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};

use super::common::{VaultArgs, read_context};
use super::output::{Section, combine};
use crate::ansible::config::VaultSettings;
use crate::exit_codes::{self, ExitCode};
use crate::manifest::Level;
use crate::manifest::lint::future_last_rotations;
use crate::manifest::{
    self, AgeOptions, AgeReport, FailOn, Manifest, ManifestError, Period, parse_date,
};
use crate::report::{self, Format, PathDisplay, Style};
use crate::rotation::lock::current_user;
use crate::rotation::notify::{self, Event, Notice};
use crate::rotation::world::{Live, ValueSource};

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOnArg {
    /// Fail on overdue and never-rotated secrets.
    #[default]
    #[value(name = "overdue")]
    Overdue,
    /// Also fail on secrets due soon and rotations open longer than warn_before.
    #[value(name = "due_soon", alias = "due-soon")]
    DueSoon,
}

#[derive(clap::Args, Debug)]
pub struct CheckAgeArgs {
    #[command(flatten)]
    pub manifest: super::common::ManifestsArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// The date to report for, YYYY-MM-DD (default: $VAULTROT_NOW, else today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date_arg)]
    pub now: Option<NaiveDate>,

    /// Warn this many days before a secret is due, instead of each policy's warn_before.
    #[arg(long, value_name = "DAYS")]
    pub warn: Option<u32>,

    /// The level at which check-age exits 1.
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailOnArg::Overdue)]
    pub fail_on: FailOnArg,

    /// Only these secrets (repeatable, or several after one flag).
    #[arg(long = "secret", value_name = "NAME", num_args = 1..)]
    pub secrets: Vec<String>,

    /// Only the secrets of this owner.
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,

    /// Tell the owners (`owners:` notify steps, the secrets' own) of overdue
    /// (`overdue`) and due-soon (`due_soon`) secrets. Needs the vault password.
    #[arg(long)]
    pub notify: bool,

    #[command(flatten)]
    pub vault: VaultArgs,
}

fn parse_date_arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text).map_err(|e| e.to_string())
}

/// Runs `check-age` over every manifest; returns the exit code: a bad
/// manifest (2) outranks a failing secret (1).
pub fn run(args: &CheckAgeArgs) -> i32 {
    let paths = PathDisplay::from_cwd();
    let today = match manifest_paths(&args.manifest).and_then(|found| Ok((found, today(args)?))) {
        Ok(found) => found,
        Err(failure) => return report_failure(failure, args.format, &paths),
    };
    let (found, today) = today;
    let mut code = exit_codes::OK;
    let mut manifests = Vec::new();
    for path in &found {
        match load_checked(path, today, &paths) {
            Ok(manifest) => manifests.push(manifest),
            Err(failure) => code = report_failure(failure, args.format, &paths),
        }
    }
    if let Err(failure) = check_filters(args, &manifests, &paths) {
        return report_failure(failure, args.format, &paths);
    }
    let mut sections = Vec::new();
    for manifest in &manifests {
        let (text, failing) = check_age(args, manifest, today, &paths);
        sections.push(Section {
            manifest: paths.show(&manifest.path),
            text,
        });
        if failing && code == exit_codes::OK {
            code = exit_codes::ERROR;
        }
    }
    if let Err(err) = report::print(&combine(args.format, &sections)) {
        eprintln!("vaultrot: error: cannot write the report: {err}");
        return exit_codes::ERROR;
    }
    // The process ends now: freeing 10,000 secrets' records one by one took
    // 4% of a large check-age. A manifest holds dates and names, no values.
    std::mem::forget(manifests);
    code
}

/// Prints why a manifest could not be reported on; the exit code (2).
pub(crate) fn report_failure(failure: Failure, format: Format, paths: &PathDisplay) -> i32 {
    match failure {
        Failure::Manifest(err) => {
            if format == Format::Github {
                let _ = report::print(&report::manifest_error_github(&err, paths));
            }
            eprintln!("vaultrot: error: {err}");
            err.exit_code()
        }
        Failure::Usage(message) => {
            eprintln!("vaultrot: error: {message}");
            exit_codes::USAGE
        }
    }
}

pub(crate) enum Failure {
    Manifest(ManifestError),
    Usage(String),
}

impl From<ManifestError> for Failure {
    fn from(err: ManifestError) -> Failure {
        Failure::Manifest(err)
    }
}

/// Every manifest named by `--manifest` (paths or globs) or discovered.
pub(crate) fn manifest_paths(explicit: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::Usage(format!("cannot read the current directory: {e}")))?;
    Ok(manifest::discover_all(explicit, &cwd)?)
}

fn today(args: &CheckAgeArgs) -> Result<NaiveDate, Failure> {
    if let Some(now) = args.now {
        return Ok(now);
    }
    match super::common::pinned_now() {
        Ok(now) => Ok(now.unwrap_or_else(Utc::now).date_naive()),
        Err(e) => Err(Failure::Usage(e.message)),
    }
}

/// Loads a manifest; a `last_rotation` after `today` is an error naming its line.
fn load_checked(path: &Path, today: NaiveDate, paths: &PathDisplay) -> Result<Manifest, Failure> {
    let manifest = Manifest::load(path)?;
    if let Some(future) = future_last_rotations(&manifest, today).into_iter().next() {
        return Err(Failure::Usage(format!(
            "{}:{}:{}: {}",
            paths.show(&future.file),
            future.pos.map_or(1, |p| p.line),
            future.pos.map_or(1, |p| p.column),
            future.message
        )));
    }
    Ok(manifest)
}

/// `--secret` and `--owner` must name something in at least one manifest.
fn check_filters(
    args: &CheckAgeArgs,
    manifests: &[Manifest],
    paths: &PathDisplay,
) -> Result<(), Failure> {
    let secrets = || {
        manifests.iter().flat_map(|m| {
            m.secrets
                .iter()
                .chain(m.vault_passwords.iter().map(|v| &v.secret))
        })
    };
    for wanted in &args.secrets {
        if !secrets().any(|s| &s.name == wanted) {
            let shown: Vec<String> = manifests.iter().map(|m| paths.show(&m.path)).collect();
            return Err(Failure::Usage(format!(
                "--secret {wanted}: no such secret in {}",
                shown.join(", ")
            )));
        }
    }
    if let Some(owner) = &args.owner
        && !secrets().any(|s| s.owner.as_ref() == Some(owner))
    {
        let mut owners: Vec<&str> = secrets().filter_map(|s| s.owner.as_deref()).collect();
        owners.sort_unstable();
        owners.dedup();
        return Err(Failure::Usage(format!(
            "--owner {owner}: no secret has this owner; owners in the manifest: {}",
            if owners.is_empty() {
                "none".to_string()
            } else {
                owners.join(", ")
            }
        )));
    }
    Ok(())
}

/// One manifest's report and whether it fails.
fn check_age(
    args: &CheckAgeArgs,
    manifest: &Manifest,
    today: NaiveDate,
    paths: &PathDisplay,
) -> (String, bool) {
    let vault_passwords = manifest.vault_passwords.iter().map(|v| &v.secret);
    let selected = manifest.secrets.iter().chain(vault_passwords).filter(|s| {
        (args.secrets.is_empty() || args.secrets.contains(&s.name))
            && args
                .owner
                .as_ref()
                .is_none_or(|o| s.owner.as_ref() == Some(o))
    });
    let options = AgeOptions {
        today,
        warn_before: args.warn.map(Period::days),
    };
    let fail_on = match args.fail_on {
        FailOnArg::Overdue => FailOn::Overdue,
        FailOnArg::DueSoon => FailOn::DueSoon,
    };
    let report = AgeReport::new(selected, &options, fail_on);
    if args.notify {
        tell_owners(args, manifest, &report, today);
    }
    let text = report::render_age(
        &report,
        &paths.show(&manifest.path),
        args.format,
        Style::detect(),
    );
    (text, report.failing())
}

/// `--notify`: one `overdue` and one `due_soon` notice over the secrets at
/// that level, each owner getting its share. A notify problem is reported
/// and changes neither the report nor the exit code.
fn tell_owners(args: &CheckAgeArgs, manifest: &Manifest, report: &AgeReport<'_>, today: NaiveDate) {
    let mut notices = Vec::new();
    for (event, level) in [
        (Event::Overdue, Level::Overdue),
        (Event::DueSoon, Level::DueSoon),
    ] {
        let entries: Vec<_> = report.entries.iter().filter(|e| e.level == level).collect();
        // One notice per owner: a team's summary names its own secrets only.
        let mut owners: Vec<Option<&str>> = Vec::new();
        for e in &entries {
            if !owners.contains(&e.secret.owner.as_deref()) {
                owners.push(e.secret.owner.as_deref());
            }
        }
        for owner in owners {
            let mine: Vec<_> = entries
                .iter()
                .filter(|e| e.secret.owner.as_deref() == owner)
                .collect();
            notices.push(Notice {
                event,
                secrets: mine.iter().map(|e| e.secret.name.clone()).collect(),
                rotation_id: None,
                summary: mine
                    .iter()
                    .map(|e| report::age_sentence(e))
                    .collect::<Vec<_>>()
                    .join("; "),
            });
        }
    }
    if notices.is_empty() {
        return;
    }
    let settings = VaultSettings::load_in(Some(&manifest.root));
    let ctx = match read_context(&args.vault, &settings) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!(
                "vaultrot: warning: --notify: nobody was told: {}",
                e.message
            );
            return;
        }
    };
    // Every value of the manifest's vaults is scrubbed from the steps' output.
    let names: Vec<String> = manifest.secrets.iter().map(|s| s.name.clone()).collect();
    let now = today.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let mut live = match Live::open(
        manifest,
        &ctx,
        &names,
        ValueSource::Prompt,
        current_user(),
        now,
    ) {
        Ok((live, _)) => live,
        Err(e) => {
            eprintln!("vaultrot: warning: --notify: nobody was told: {e}");
            return;
        }
    };
    for notice in &notices {
        notify::send(&mut live, manifest, notice, None);
    }
}
