//! `vaultrot verify` as a drift check: which verify steps run (a step shared
//! by several secrets once), and, from their results, each secret's verdict.
//! The decisions are pure functions; running the checks goes through the
//! [`World`] like every other step.

use chrono::{DateTime, Utc};

use super::RotationError;
use super::execute::{Change, Record, World};
use super::notify::{Event, Notice};
use super::plan::{self, ChangelogEvent, Command, Ending, Plan, StepList, merge_steps};
use crate::manifest::{Secret, StepAction};

/// What `verify` says of one secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Every verify step of the secret passed.
    Ok,
    /// A verify step of the secret failed: what is deployed no longer
    /// matches the vault (or the service is down).
    Drift,
    /// The secret has no verify step: nothing can tell.
    Unverifiable,
    /// Its verify steps are all manual: not run unattended.
    Skipped,
    /// `--repair`: drifted, redeployed from the vault, verified.
    Repaired,
    /// `--repair`: drifted, and the redeploy or the verify after it failed.
    RepairFailed,
    /// `--repair`: drifted, but not repaired unattended (an open rotation,
    /// no deploy step, a manual deploy step).
    RepairRefused,
}

impl Verdict {
    pub const ALL: [Verdict; 7] = [
        Verdict::Ok,
        Verdict::Drift,
        Verdict::Unverifiable,
        Verdict::Skipped,
        Verdict::Repaired,
        Verdict::RepairFailed,
        Verdict::RepairRefused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Drift => "drift",
            Verdict::Unverifiable => "unverifiable",
            Verdict::Skipped => "skipped",
            Verdict::Repaired => "repaired",
            Verdict::RepairFailed => "repair_failed",
            Verdict::RepairRefused => "repair_refused",
        }
    }
}

/// One step to run and the secrets whose verdict depends on it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub step: StepAction,
    pub secrets: Vec<String>,
    /// `retries`/`delay` of the step (the most patient of its secrets').
    pub retry: Option<crate::manifest::Retry>,
}

/// The verdict of one secret, with a one-line reason (steps, never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub name: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// The automatic verify steps of `secrets`, each distinct step once, in
/// first-seen order. Tags are not merged (unlike a rotation's step list):
/// a step that checks one secret's tag must not blame another secret.
pub fn checks(secrets: &[&Secret]) -> Vec<Check> {
    let mut out: Vec<Check> = Vec::new();
    for secret in secrets {
        for step in &secret.verify {
            if matches!(step.action, StepAction::Manual(_)) {
                continue;
            }
            match out.iter_mut().find(|c| c.step == step.action) {
                Some(check) => {
                    if !check.secrets.contains(&secret.name) {
                        check.secrets.push(secret.name.clone());
                    }
                    check.retry = check.retry.max(step.retry);
                }
                None => out.push(Check {
                    step: step.action.clone(),
                    secrets: vec![secret.name.clone()],
                    retry: step.retry,
                }),
            }
        }
    }
    out
}

/// Each secret's verdict from the result of every check (`failures[i]` is
/// `Some` when `checks[i]` failed), in the order of `secrets`.
pub fn judge(secrets: &[&Secret], checks: &[Check], failures: &[Option<String>]) -> Vec<Outcome> {
    secrets
        .iter()
        .map(|secret| {
            let name = secret.name.clone();
            if secret.verify.is_empty() {
                let detail = match &secret.verify_skip {
                    Some(reason) => format!("has no verify step (`verify: skip`: {reason})"),
                    None => "has no verify step, so nothing can check it: add verify steps to its manifest entry".to_string(),
                };
                return Outcome {
                    name,
                    verdict: Verdict::Unverifiable,
                    detail,
                };
            }
            let manual: Vec<String> = secret
                .verify
                .iter()
                .filter_map(|s| match &s.action {
                    StepAction::Manual(text) => Some(text.clone()),
                    _ => None,
                })
                .collect();
            let mine: Vec<usize> = checks
                .iter()
                .enumerate()
                .filter(|(_, c)| c.secrets.contains(&secret.name))
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                return Outcome {
                    name,
                    verdict: Verdict::Skipped,
                    detail: format!("manual verify step, not run unattended: {}", manual.join("; ")),
                };
            }
            let failed: Vec<String> = mine
                .iter()
                .filter(|i| failures.get(**i).is_some_and(Option::is_some))
                .map(|i| checks[*i].step.describe())
                .collect();
            let mut detail = if failed.is_empty() {
                match mine.len() {
                    1 => "1 verify step passed".to_string(),
                    n => format!("{n} verify steps passed"),
                }
            } else {
                format!("verify step failed: {}", failed.join(", "))
            };
            if !manual.is_empty() {
                detail.push_str(&format!("; manual step not run: {}", manual.join("; ")));
            }
            Outcome {
                name,
                verdict: if failed.is_empty() {
                    Verdict::Ok
                } else {
                    Verdict::Drift
                },
                detail,
            }
        })
        .collect()
}

/// Runs every check, each once, going on after a failure; the failures'
/// messages (the runner's, redacted) in the order of `checks`.
pub fn run_checks<W: World>(world: &mut W, checks: &[Check]) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        let mut result = world.run_step(&check.step, None, StepList::Verify);
        if let Some(retry) = check.retry {
            result =
                super::execute::again(world, &check.step, None, StepList::Verify, retry, result);
        }
        out.push(match result {
            Ok(()) => None,
            Err(e) => {
                world.say(&format!(
                    "verify step failed (checks {}): {e}",
                    check.secrets.join(", ")
                ));
                Some(e.to_string())
            }
        });
    }
    out
}

/// `--after`: runs the failed checks again once the caller has waited; a
/// check that passes the second time passes (a service still restarting
/// is not drift).
pub fn recheck<W: World>(world: &mut W, checks: &[Check], failures: &mut [Option<String>]) {
    for (check, failure) in checks.iter().zip(failures.iter_mut()) {
        if failure.is_some() {
            *failure = run_checks(world, std::slice::from_ref(check))
                .pop()
                .flatten();
        }
    }
}

/// What `verify --repair` does about the drifted secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairPlan {
    /// Redeployed and verified again, in manifest order.
    pub targets: Vec<String>,
    /// Drifted but left alone, with why and what to run instead.
    pub refused: Vec<(String, String)>,
    /// The deploy steps of every target, shared ones once.
    pub deploy: Vec<StepAction>,
    /// The derived targets, minted again from their source's value before
    /// the deploy: the value the vault holds may be the one that died (a
    /// token logged out), and redeploying it would not heal anything.
    pub remint: Vec<String>,
}

/// Decides which drifted secrets `--repair` redeploys. The vault is the
/// source of truth, so a redeploy is safe, except while a rotation is open
/// (the vault holds two values; only the rotation commands know which one
/// clients must have) or when a person must act.
/// `manifest` holds the sources of derived secrets.
pub fn plan_repair(secrets: &[&Secret], manifest: &[Secret], outcomes: &[Outcome]) -> RepairPlan {
    let mut targets: Vec<&Secret> = Vec::new();
    let mut refused = Vec::new();
    for (secret, outcome) in secrets.iter().zip(outcomes) {
        if outcome.verdict != Verdict::Drift {
            continue;
        }
        let source = secret
            .derived_from
            .as_ref()
            .and_then(|name| manifest.iter().find(|s| &s.name == name));
        if let Some(source) = source
            && let Some(r) = &source.rotation
        {
            refused.push((
                secret.name.clone(),
                format!(
                    "its source `{}` is in rotation {} (phase {}): not minted again; run `{}`",
                    source.name,
                    r.id,
                    r.phase,
                    plan::next_command(r, &r.group_or(&source.name))
                ),
            ));
        } else if let Some(r) = &secret.rotation {
            refused.push((
                secret.name.clone(),
                format!(
                    "rotation {} is open (phase {}): not redeployed; run `{}`",
                    r.id,
                    r.phase,
                    plan::next_command(r, &r.group_or(&secret.name))
                ),
            ));
        } else if secret.deploy.is_empty() {
            refused.push((
                secret.name.clone(),
                "has no deploy step to redeploy it with".to_string(),
            ));
        } else if let Some(StepAction::Manual(text)) = secret
            .deploy
            .iter()
            .map(|s| &s.action)
            .find(|a| matches!(a, StepAction::Manual(_)))
        {
            refused.push((
                secret.name.clone(),
                format!("its deploy has a manual step ({text}): redeploy it by hand"),
            ));
        } else {
            targets.push(secret);
        }
    }
    RepairPlan {
        targets: targets.iter().map(|s| s.name.clone()).collect(),
        refused,
        deploy: merge_steps(targets.iter().flat_map(|s| &s.deploy)),
        remint: targets
            .iter()
            .filter(|s| s.derived_from.is_some())
            .map(|s| s.name.clone())
            .collect(),
    }
}

/// What the owners hear of a verify run: `drift` for the secrets still
/// drifted (repair failed or refused included), `repaired` for the healed.
pub fn notices(outcomes: &[Outcome], repair_id: Option<String>) -> Vec<Notice> {
    let of = |verdicts: &[Verdict]| -> Vec<&Outcome> {
        outcomes
            .iter()
            .filter(|o| verdicts.contains(&o.verdict))
            .collect()
    };
    let mut out = Vec::new();
    let drifted = of(&[
        Verdict::Drift,
        Verdict::RepairFailed,
        Verdict::RepairRefused,
    ]);
    if !drifted.is_empty() {
        let names: Vec<String> = drifted.iter().map(|o| o.name.clone()).collect();
        out.push(Notice {
            event: Event::Drift,
            summary: format!(
                "drift: {} no longer match(es) the vault ({}); `vaultrot verify --repair {}` redeploys from the vault",
                names.join(" "),
                drifted
                    .iter()
                    .map(|o| format!("{}: {} {}", o.name, o.verdict.as_str(), o.detail))
                    .collect::<Vec<_>>()
                    .join("; "),
                names.join(" ")
            ),
            secrets: names,
            rotation_id: None,
        });
    }
    let repaired = of(&[Verdict::Repaired]);
    if !repaired.is_empty() {
        let names: Vec<String> = repaired.iter().map(|o| o.name.clone()).collect();
        out.push(Notice {
            event: Event::Repaired,
            summary: format!(
                "repaired: {} drifted and {} redeployed from the vault and verified",
                names.join(" "),
                if names.len() == 1 { "was" } else { "were" }
            ),
            secrets: names,
            rotation_id: repair_id,
        });
    }
    out
}

/// Who repairs and when, for the history and the CHANGELOG.
pub struct RepairRun<'a> {
    /// The id the history and CHANGELOG lines carry.
    pub id: &'a str,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Redeploys the targets of `repair` from the vault, verifies them again
/// and records each as `repaired` or `repair_failed` (history and
/// CHANGELOG). Returns the new outcome of every target.
pub fn repair<W: World>(
    world: &mut W,
    targets: &[&Secret],
    manifest: &[Secret],
    repair: &RepairPlan,
    run: &RepairRun,
) -> Result<Vec<Outcome>, RotationError> {
    let mut mint_failed: Vec<(String, String)> = Vec::new();
    for target in targets.iter().filter(|t| repair.remint.contains(&t.name)) {
        if let Err(e) = remint(world, target, manifest) {
            world.say(&format!(
                "repair: `{}` could not be minted again: {e}",
                target.name
            ));
            mint_failed.push((target.name.clone(), e.to_string()));
        }
    }
    let mut deploy_failed = None;
    for step in &repair.deploy {
        if let Err(e) = world.run_step(step, None, StepList::Deploy) {
            world.say(&format!("repair: deploy step failed: {e}"));
            deploy_failed = Some(step.describe());
            break;
        }
    }
    let outcomes: Vec<Outcome> = match &deploy_failed {
        Some(step) => targets
            .iter()
            .map(|s| Outcome {
                name: s.name.clone(),
                verdict: Verdict::RepairFailed,
                detail: format!("redeploy failed: deploy step {step} failed"),
            })
            .collect(),
        None => {
            let again = checks(targets);
            let failures = run_checks(world, &again);
            judge(targets, &again, &failures)
                .into_iter()
                .map(|o| match o.verdict {
                    Verdict::Ok => Outcome {
                        verdict: Verdict::Repaired,
                        detail: format!("redeployed from the vault; {}", o.detail),
                        ..o
                    },
                    _ => Outcome {
                        verdict: Verdict::RepairFailed,
                        detail: format!("redeployed from the vault, still failing: {}", o.detail),
                        ..o
                    },
                })
                .collect()
        }
    };
    let outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| match mint_failed.iter().find(|(n, _)| *n == o.name) {
            Some((_, why)) => Outcome {
                verdict: Verdict::RepairFailed,
                detail: format!("minting it again from its source failed: {why}"),
                ..o
            },
            None if repair.remint.contains(&o.name) => Outcome {
                detail: o.detail.replacen(
                    "redeployed from the vault",
                    "minted again from its source and redeployed",
                    1,
                ),
                ..o
            },
            None => o,
        })
        .collect();
    for (ending, verdict) in [
        (Ending::Repaired, Verdict::Repaired),
        (Ending::RepairFailed, Verdict::RepairFailed),
    ] {
        let names: Vec<String> = outcomes
            .iter()
            .filter(|o| o.verdict == verdict)
            .map(|o| o.name.clone())
            .collect();
        if names.is_empty() {
            continue;
        }
        world.record(
            &names,
            Record::Close {
                id: run.id.to_string(),
                ending,
                at: run.at,
                by: run.by.to_string(),
                reason: None,
                last_rotation: None,
            },
        )?;
        let logged = Plan {
            command: Command::Verify,
            names,
            id: run.id.to_string(),
            kind: None,
            reason: None,
            actions: Vec::new(),
        };
        world.changelog(ChangelogEvent::Ended(ending), &logged, None)?;
    }
    Ok(outcomes)
}

/// Mints `target` again from its source's current value and stores it in
/// the vault (one atomic write, keeping the previous ciphertext).
fn remint<W: World>(
    world: &mut W,
    target: &Secret,
    manifest: &[Secret],
) -> Result<(), RotationError> {
    let name = target.derived_from.as_deref().unwrap_or_default();
    let source = manifest
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| RotationError::NotInManifest(name.to_owned()))?;
    let value = world.read(&source.vault, &source.name)?.ok_or_else(|| {
        RotationError::Vault(format!(
            "{}: `{}` is missing",
            source.vault.display(),
            source.name
        ))
    })?;
    let minted = world.mint(target, &value)?;
    world.write_vault(
        &target.vault,
        vec![Change::Set {
            after: target.name.clone(),
            key: target.name.clone(),
            value: minted,
        }],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{DEFAULT_WARN_BEFORE, MaxAge, Pos, Step, Strategy};

    fn secret(name: &str, verify: &[StepAction]) -> Secret {
        Secret {
            name: name.into(),
            pos: Pos::default(),
            policy: None,
            max_age: MaxAge::Never,
            warn_before: DEFAULT_WARN_BEFORE,
            strategy: Strategy::Dual,
            min_window: None,
            auto: false,
            last_rotation: None,
            owner: None,
            description: None,
            vault: "vault.yml".into(),
            generate: None,
            derived_from: None,
            source_rotation: None,
            deploy: Vec::new(),
            verify: verify
                .iter()
                .map(|a| Step {
                    pos: Pos::default(),
                    action: a.clone(),
                    retry: None,
                })
                .collect(),
            verify_skip: None,
            revoke: Vec::new(),
            notify: Vec::new(),
            rotation: None,
            history: Vec::new(),
        }
    }

    fn run(cmd: &str) -> StepAction {
        StepAction::Run(cmd.into())
    }

    #[test]
    fn a_shared_step_runs_once_and_blames_every_secret_it_checks() {
        let a = secret("a", &[run("check-redis"), run("check-a")]);
        let b = secret("b", &[run("check-redis")]);
        let c = secret("c", &[run("check-c")]);
        let all = [&a, &b, &c];
        let checks = checks(&all);
        assert_eq!(checks.len(), 3);
        assert_eq!(checks[0].secrets, ["a", "b"]);
        let out = judge(&all, &checks, &[None, Some("x".into()), None]);
        let verdicts: Vec<_> = out.iter().map(|o| o.verdict).collect();
        assert_eq!(verdicts, [Verdict::Drift, Verdict::Ok, Verdict::Ok]);
        assert_eq!(out[0].detail, "verify step failed: check-a");
        let out = judge(&all, &checks, &[Some("x".into()), None, Some("y".into())]);
        let verdicts: Vec<_> = out.iter().map(|o| o.verdict).collect();
        assert_eq!(verdicts, [Verdict::Drift, Verdict::Drift, Verdict::Drift]);
    }

    #[test]
    fn no_step_is_unverifiable_and_only_manual_steps_are_skipped() {
        let none = secret("none", &[]);
        let manual = secret(
            "manual",
            &[StepAction::Manual("look at the dashboard".into())],
        );
        let mixed = secret(
            "mixed",
            &[StepAction::Manual("look".into()), run("check-mixed")],
        );
        let all = [&none, &manual, &mixed];
        let checks = checks(&all);
        assert_eq!(checks.len(), 1, "manual steps are never run");
        let out = judge(&all, &checks, &[None]);
        assert_eq!(out[0].verdict, Verdict::Unverifiable);
        assert_eq!(out[1].verdict, Verdict::Skipped);
        assert!(out[1].detail.contains("look at the dashboard"));
        assert_eq!(out[2].verdict, Verdict::Ok);
        assert!(out[2].detail.contains("manual step not run: look"));
    }

    #[test]
    fn repair_redeploys_drifted_secrets_only_and_never_an_open_rotation() {
        let steps = |cmds: &[&str]| -> Vec<Step> {
            cmds.iter()
                .map(|c| Step {
                    pos: Pos::default(),
                    action: run(c),
                    retry: None,
                })
                .collect()
        };
        let mut a = secret("a", &[run("check-a")]);
        a.deploy = steps(&["deploy-shared", "deploy-a"]);
        let mut b = secret("b", &[run("check-b")]);
        b.deploy = steps(&["deploy-shared"]);
        let mut open = secret("open", &[run("check-open")]);
        open.deploy = steps(&["deploy-open"]);
        open.rotation = Some(crate::manifest::Rotation {
            pos: Pos::default(),
            id: "r-1".into(),
            phase: crate::manifest::RotationPhase::Dual,
            started: chrono::DateTime::UNIX_EPOCH,
            by: None,
            group: Vec::new(),
            kind: crate::manifest::RotationKind::Dual,
            old_fingerprint: None,
            new_fingerprint: None,
            reason: None,
            awaiting: None,
        });
        let bare = secret("bare", &[run("check-bare")]);
        let fine = secret("fine", &[run("check-fine")]);
        let all = [&a, &b, &open, &bare, &fine];
        let checks = checks(&all);
        let x = || Some("failed".to_string());
        let outcomes = judge(&all, &checks, &[x(), x(), x(), x(), None]);
        let plan = plan_repair(&all, &[], &outcomes);
        assert_eq!(plan.targets, ["a", "b"]);
        assert_eq!(
            plan.deploy,
            [run("deploy-shared"), run("deploy-a")],
            "a shared deploy step runs once"
        );
        assert_eq!(plan.refused.len(), 2);
        assert_eq!(plan.refused[0].0, "open");
        assert!(
            plan.refused[0].1.contains("vaultrot finish open"),
            "{}",
            plan.refused[0].1
        );
        assert_eq!(plan.refused[1].0, "bare");
    }
}
