//! `vaultrot check-age`: every secret's age against its policy, as a CI gate.
//! Needs no vault password. Exit 0: nothing at the fail level; 1: something is; 2: usage/manifest error.

use std::path::PathBuf;

use chrono::{NaiveDate, Utc};

use crate::exit_codes;
use crate::manifest::{
    self, AgeOptions, AgeReport, FailOn, Manifest, ManifestError, Period, parse_date,
};
use crate::report::{self, Format, PathDisplay, Style};

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
    /// The manifest (default: $VAULTROT_MANIFEST, else the single
    /// group_vars/all/_secrets_manifest.yml below the current directory).
    #[arg(long, value_name = "PATH")]
    pub manifest: Option<PathBuf>,

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
}

fn parse_date_arg(text: &str) -> Result<NaiveDate, String> {
    parse_date(text).map_err(|e| e.to_string())
}

/// Runs `check-age`; returns the exit code.
pub fn run(args: &CheckAgeArgs) -> i32 {
    let paths = PathDisplay::from_cwd();
    match check_age(args, &paths) {
        Ok((text, failing)) => {
            if let Err(err) = report::print(&text) {
                eprintln!("vaultrot: error: cannot write the report: {err}");
                return exit_codes::ERROR;
            }
            if failing {
                exit_codes::ERROR
            } else {
                exit_codes::OK
            }
        }
        Err(Failure::Manifest(err)) => {
            if args.format == Format::Github {
                let _ = report::print(&report::manifest_error_github(&err, &paths));
            }
            eprintln!("vaultrot: error: {err}");
            exit_codes::USAGE
        }
        Err(Failure::Usage(message)) => {
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

/// Finds and loads the manifest named by `--manifest` or discovered.
pub(crate) fn load_manifest(explicit: Option<&std::path::Path>) -> Result<Manifest, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::Usage(format!("cannot read the current directory: {e}")))?;
    let path = manifest::discover(explicit, &cwd)?;
    Ok(Manifest::load(&path)?)
}

fn today(args: &CheckAgeArgs) -> Result<NaiveDate, Failure> {
    if let Some(now) = args.now {
        return Ok(now);
    }
    match std::env::var("VAULTROT_NOW") {
        Ok(text) if !text.is_empty() => {
            parse_date(&text).map_err(|e| Failure::Usage(format!("VAULTROT_NOW: {e}")))
        }
        _ => Ok(Utc::now().date_naive()),
    }
}

fn check_age(args: &CheckAgeArgs, paths: &PathDisplay) -> Result<(String, bool), Failure> {
    let today = today(args)?;
    let manifest = load_manifest(args.manifest.as_deref())?;

    for wanted in &args.secrets {
        if manifest.secret(wanted).is_none() {
            return Err(Failure::Usage(format!(
                "--secret {wanted}: no such secret in {}",
                paths.show(&manifest.path)
            )));
        }
    }
    if let Some(owner) = &args.owner
        && !manifest
            .secrets
            .iter()
            .any(|s| s.owner.as_ref() == Some(owner))
    {
        let mut owners: Vec<&str> = manifest
            .secrets
            .iter()
            .filter_map(|s| s.owner.as_deref())
            .collect();
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
    let selected = manifest.secrets.iter().filter(|s| {
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
    let text = report::render_age(
        &report,
        &paths.show(&manifest.path),
        args.format,
        Style::detect(),
    );
    Ok((text, report.failing()))
}
