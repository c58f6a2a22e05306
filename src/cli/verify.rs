//! `vaultrot verify [SECRET...]`: run the verify steps outside a rotation,
//! so a nightly job notices a deployed credential that drifted from the
//! vault. Every step runs (a shared one once), even after a failure; the
//! report says per secret `ok`, `drift`, `unverifiable` or `skipped`.
//! `--repair` redeploys drifted secrets from the vault. Exit 1 when a
//! secret drifted (and was not repaired), or when a secret named on the
//! command line cannot be verified.

use std::time::Duration;

use clap::Args;

use super::common::{CliError, CliResult, read_context};
use super::rotation_common::{RotationArgs, load_manifest, manifest_path, now};
use crate::ansible::config::VaultSettings;
use crate::manifest::{Manifest, Secret};
use crate::report::verify::{VerifyReport, VerifyRow, render_verify};
use crate::report::{self, Format, PathDisplay, Style};
use crate::rotation::drift::{self, Verdict};
use crate::rotation::lock::{ManifestLock, current_user};
use crate::rotation::notify;
use crate::rotation::world::{Live, ValueSource, new_rotation_id};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub common: RotationArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Only these secrets (repeatable, or several after one flag; same as naming them).
    #[arg(long = "secret", value_name = "NAME", num_args = 1..)]
    pub secret: Vec<String>,

    /// Only the secrets of this owner.
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,

    /// Redeploy each drifted secret from the vault, verify it again, and record
    /// `repaired` or `repair_failed` (history, CHANGELOG). Never during an open rotation.
    #[arg(long)]
    pub repair: bool,

    /// Do not tell the owners (`owners:` notify steps, the secrets' own) of drift and repairs.
    #[arg(long)]
    pub no_notify: bool,

    /// Check failed steps once more after this long (e.g. 30s, 5m, 1h) before calling it drift.
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub after: Option<Duration>,
}

/// `30s`, `5m`, `1h` (a bare number is seconds).
fn parse_wait(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 5m or 1h"))?;
    let per = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("`{text}`: the unit is s, m or h")),
    };
    n.checked_mul(per)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

pub fn run(args: &VerifyArgs) -> CliResult {
    let path = manifest_path(args.common.manifest.as_deref())?;
    let _lock = if args.common.dry_run {
        None
    } else {
        Some(ManifestLock::acquire(&path, "verify")?)
    };
    let manifest = load_manifest(&path)?;
    let named: Vec<String> = args
        .common
        .secrets
        .iter()
        .chain(&args.secret)
        .cloned()
        .collect();
    let secrets = select(&manifest, &named, args.owner.as_deref())?;
    let names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
    let checks = drift::checks(&secrets);
    if args.common.dry_run {
        let mut text = String::from("dry run: nothing was run. Checks:\n");
        for check in &checks {
            text.push_str(&format!(
                "  run verify step {} (checks {})\n",
                check.step.describe(),
                check.secrets.join(", ")
            ));
        }
        return report::print(&text).map_err(|e| CliError::error(e.to_string()));
    }
    let mut outcomes = drift::judge(&secrets, &checks, &[]);
    if !checks.is_empty() {
        let settings = VaultSettings::load_in(Some(&manifest.root));
        let ctx = read_context(&args.common.vault, &settings)?;
        let (now, user) = (now()?, current_user());
        let (mut live, _facts) = Live::open(
            &manifest,
            &ctx,
            &names,
            ValueSource::Prompt,
            user.clone(),
            now,
        )?;
        let mut failures = drift::run_checks(&mut live, &checks);
        if let Some(wait) = args.after
            && failures.iter().any(Option::is_some)
        {
            eprintln!(
                "vaultrot: checking the failed steps again in {}s",
                wait.as_secs()
            );
            std::thread::sleep(wait);
            drift::recheck(&mut live, &checks, &mut failures);
        }
        outcomes = drift::judge(&secrets, &checks, &failures);
        let mut repair_id = None;
        if args.repair {
            let plan = drift::plan_repair(&secrets, &manifest.secrets, &outcomes);
            let targets: Vec<&Secret> = secrets
                .iter()
                .copied()
                .filter(|s| plan.targets.contains(&s.name))
                .collect();
            let mut changed = Vec::new();
            if !targets.is_empty() {
                let id = new_rotation_id(now);
                repair_id = Some(id.clone());
                live.set_rotation_id(&id);
                let run = drift::RepairRun {
                    id: &id,
                    at: now,
                    by: &user,
                };
                changed = drift::repair(&mut live, &targets, &manifest.secrets, &plan, &run)?;
            }
            for outcome in &mut outcomes {
                if let Some(new) = changed.iter().find(|o| o.name == outcome.name) {
                    *outcome = new.clone();
                } else if let Some((_, why)) = plan.refused.iter().find(|(n, _)| *n == outcome.name)
                {
                    outcome.verdict = Verdict::RepairRefused;
                    outcome.detail = format!("{}; {why}", outcome.detail);
                }
            }
        }
        if !args.no_notify {
            for notice in drift::notices(&outcomes, repair_id) {
                notify::send(&mut live, &manifest, &notice, None);
            }
        }
    }
    let rows: Vec<VerifyRow> = outcomes
        .into_iter()
        .zip(&secrets)
        .map(|(o, s)| VerifyRow {
            fails: matches!(
                o.verdict,
                Verdict::Drift | Verdict::RepairFailed | Verdict::RepairRefused
            ) || (o.verdict == Verdict::Unverifiable && named.contains(&o.name)),
            secret: o.name,
            status: o.verdict.as_str(),
            owner: s.owner.clone(),
            detail: o.detail,
            line: s.pos.line,
        })
        .collect();
    let report = VerifyReport {
        manifest: PathDisplay::from_cwd().show(&manifest.path),
        rows,
    };
    report::print(&render_verify(&report, args.format, Style::detect()))
        .map_err(|e| CliError::error(e.to_string()))?;
    let failing: Vec<String> = report
        .rows
        .iter()
        .filter(|r| r.fails)
        .map(|r| format!("`{}` {}", r.secret, r.detail))
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    Err(CliError::error(failing.join("; ")))
}

/// The secrets to verify: those named (each once, all in the manifest),
/// else every secret; then only `--owner`'s.
fn select<'m>(
    manifest: &'m Manifest,
    named: &[String],
    owner: Option<&str>,
) -> CliResult<Vec<&'m Secret>> {
    let mut out: Vec<&Secret> = Vec::new();
    if named.is_empty() {
        out.extend(&manifest.secrets);
    }
    for name in named {
        let secret = manifest.secret(name).ok_or_else(|| {
            CliError::usage(format!(
                "`{name}` is not in the manifest {}",
                manifest.path.display()
            ))
        })?;
        if out.iter().any(|s| s.name == *name) {
            return Err(CliError::usage(format!(
                "`{name}` is named twice: name each secret once"
            )));
        }
        out.push(secret);
    }
    if let Some(owner) = owner {
        out.retain(|s| s.owner.as_deref() == Some(owner));
        if out.is_empty() {
            return Err(CliError::usage(format!(
                "no secret selected has owner `{owner}`"
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_wait;
    use std::time::Duration;

    #[test]
    fn waits_are_seconds_minutes_or_hours() {
        assert_eq!(parse_wait("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_wait("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_wait("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_wait("0"), Ok(Duration::ZERO));
        assert!(parse_wait("5d").is_err());
        assert!(parse_wait("m").is_err());
        assert!(parse_wait("18446744073709551615h").is_err());
    }
}
