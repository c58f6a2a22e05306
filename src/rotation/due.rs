//! What `vaultrot rotate-due` does on a given day, decided without effects:
//! which `auto: true` secrets it starts, finishes or swaps, which it waits
//! for and which it leaves alone (a rotation a person opened, a secret it
//! cannot make a value for). check-age and status show the same decision.

use chrono::NaiveDate;

use crate::manifest::age::{AgeOptions, Status, assess};
use crate::manifest::{Manifest, RotationKind, RotationPhase, Secret, Strategy};

/// The `by:` of a rotation rotate-due opened: it finishes only those.
pub const AUTO_BY: &str = "rotate-due";

/// The command rotate-due runs for a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoAction {
    Start,
    Finish,
    Rotate,
}

impl AutoAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoAction::Start => "start",
            AutoAction::Finish => "finish",
            AutoAction::Rotate => "rotate",
        }
    }
}

/// rotate-due's decision for one `auto: true` secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub secret: String,
    /// What it does today (`None`: nothing today).
    pub action: Option<AutoAction>,
    /// Today when it acts; else the first day it will (`None`: never by itself).
    pub on: Option<NaiveDate>,
    /// It opens a new rotation (counted by `--max`), rather than resuming one.
    pub opens: bool,
    /// The secrets the command names (an open window's group, else itself).
    pub names: Vec<String>,
    /// Why, in a few words (never a value).
    pub why: String,
}

fn decision(secret: &Secret, why: String) -> Decision {
    Decision {
        secret: secret.name.clone(),
        action: None,
        on: None,
        opens: false,
        names: vec![secret.name.clone()],
        why,
    }
}

/// The decision for one secret on `today`, or `None` when it is not `auto`.
pub fn decide(secret: &Secret, today: NaiveDate) -> Option<Decision> {
    if !secret.auto {
        return None;
    }
    if let Some(problem) = secret.unattended_problem() {
        return Some(decision(secret, format!("left alone: {problem}")));
    }
    if let Some(source) = &secret.derived_from {
        return Some(decision(
            secret,
            format!("rotates with its source `{source}`"),
        ));
    }
    let act = |action: AutoAction, opens: bool, why: String| {
        let mut d = decision(secret, why);
        d.action = Some(action);
        d.on = Some(today);
        d.opens = opens;
        d
    };
    if let Some(r) = &secret.rotation {
        if r.by.as_deref() != Some(AUTO_BY) {
            let who = r.by.as_deref().unwrap_or("a person");
            return Some(decision(
                secret,
                format!("left alone: rotation {} was opened by {who}", r.id),
            ));
        }
        let resume = |action: AutoAction, why: &str| {
            let mut d = act(action, false, why.to_string());
            d.names = r.group_or(&secret.name);
            d
        };
        return Some(match (r.kind, r.phase) {
            (_, RotationPhase::Aborting | RotationPhase::RollingBack) => decision(
                secret,
                format!(
                    "left alone: rotation {} is being {}",
                    r.id,
                    if r.phase == RotationPhase::Aborting {
                        "aborted"
                    } else {
                        "rolled back"
                    }
                ),
            ),
            (RotationKind::Dual, RotationPhase::Starting) => {
                resume(AutoAction::Start, "resume the unfinished start")
            }
            (RotationKind::Dual, RotationPhase::Dual) => {
                let started = r.started.date_naive();
                // Without a min_window the window still lasts until the next run.
                let ready = match secret.min_window {
                    Some(window) => window.after(started),
                    None => started.succ_opt(),
                };
                match ready {
                    Some(ready) if today >= ready => {
                        resume(AutoAction::Finish, "dual window past its min_window")
                    }
                    _ => {
                        let mut d = decision(
                            secret,
                            "dual window open, waiting for its min_window".to_string(),
                        );
                        d.on = ready;
                        d
                    }
                }
            }
            (RotationKind::Dual, _) => resume(AutoAction::Finish, "resume the unfinished finish"),
            (RotationKind::Swap | RotationKind::Compromised, _) => {
                resume(AutoAction::Rotate, "resume the unfinished rotate")
            }
        });
    }
    let age = assess(
        secret,
        &AgeOptions {
            today,
            warn_before: None,
        },
    );
    let action = match secret.strategy {
        Strategy::Dual => AutoAction::Start,
        Strategy::Swap => AutoAction::Rotate,
    };
    Some(match age.status {
        Status::DueSoon => act(action, true, format!("due {}", fmt_date(age.due))),
        Status::Overdue => act(action, true, format!("overdue since {}", fmt_date(age.due))),
        Status::NeverRotated => act(action, true, "never rotated".to_string()),
        Status::Exempt => decision(secret, "exempt (max_age: never)".to_string()),
        _ => {
            let mut d = decision(secret, format!("due {}", fmt_date(age.due)));
            d.on = age.due.and_then(|due| age.warn_before.before(due));
            d
        }
    })
}

fn fmt_date(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "-".to_string(), |d| d.to_string())
}

/// The run of one day: every auto secret's decision, the actions in the
/// order rotate-due performs them (resumes and finishes first, then new
/// rotations most overdue first), new rotations beyond `max` held back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuePlan {
    pub decisions: Vec<Decision>,
    /// Indexes into `decisions`, in order of execution.
    pub actions: Vec<usize>,
    /// Indexes of new rotations `--max` held back.
    pub held_back: Vec<usize>,
}

pub fn plan_day(manifest: &Manifest, today: NaiveDate, max: Option<usize>) -> DuePlan {
    let decisions: Vec<Decision> = manifest
        .secrets
        .iter()
        .filter_map(|s| decide(s, today))
        .collect();
    let mut resumes = Vec::new();
    let mut opens = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        if d.action.is_none() {
            continue;
        }
        // A window's group is one command: do it once.
        if d.names.iter().any(|n| seen.contains(&n.as_str())) {
            continue;
        }
        seen.extend(d.names.iter().map(String::as_str));
        if d.opens { &mut opens } else { &mut resumes }.push(i);
    }
    let due_of = |i: &usize| {
        manifest
            .secret(&decisions[*i].secret)
            .and_then(|s| s.rotated_on().and_then(|last| s.max_age.due(last)))
    };
    // Never rotated first (no due date), then the earliest due.
    opens.sort_by_key(|i| (due_of(i).is_some(), due_of(i)));
    let cap = max.unwrap_or(usize::MAX).min(opens.len());
    let held_back = opens.split_off(cap);
    resumes.extend(opens);
    DuePlan {
        decisions,
        actions: resumes,
        held_back,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use std::path::Path;

    fn manifest(secrets: &str) -> Manifest {
        let text = format!(
            "secrets_manifest:\n  version: 1\n  policies:\n    db: {{ max_age: 90d, warn_before: 7d, min_window: 2d, auto: true }}\n    bot: {{ max_age: 90d, warn_before: 7d, strategy: swap, auto: true }}\n  secrets:\n{secrets}"
        );
        Manifest::parse(&text, Path::new("m.yml"), Path::new(".")).expect("manifest")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const STEPS: &str = "      deploy: [{run: 'true'}]\n      verify: [{run: 'true'}]\n";

    fn secret(name: &str, policy: &str, last: &str, extra: &str) -> String {
        format!(
            "    {name}:\n      policy: {policy}\n      last_rotation: {last}\n      generate: {{ length: 20 }}\n{STEPS}{extra}"
        )
    }

    fn rotation(by: &str, kind: &str, phase: &str, started: &str) -> String {
        format!(
            "      rotation: {{ id: r-1, kind: {kind}, phase: {phase}, started: {started}T02:00:00Z, by: {by} }}\n"
        )
    }

    fn action(m: &Manifest, today: &str) -> (Option<AutoAction>, Option<NaiveDate>, String) {
        let d = decide(&m.secrets[0], day(today)).expect("auto");
        (d.action, d.on, d.why)
    }

    #[test]
    fn starts_a_dual_secret_within_warn_before_and_says_when_before() {
        let m = manifest(&secret("vault_db", "db", "2026-01-01", ""));
        // due 2026-04-01, warn_before 7d: acts from 2026-03-25
        let (a, on, _) = action(&m, "2026-03-24");
        assert_eq!((a, on), (None, Some(day("2026-03-25"))));
        let (a, on, _) = action(&m, "2026-03-25");
        assert_eq!((a, on), (Some(AutoAction::Start), Some(day("2026-03-25"))));
        let (a, _, why) = action(&m, "2026-05-01");
        assert_eq!(a, Some(AutoAction::Start));
        assert!(why.starts_with("overdue"), "{why}");
    }

    #[test]
    fn swaps_a_swap_secret_in_one_step() {
        let m = manifest(&secret("vault_bot", "bot", "2026-01-01", ""));
        assert_eq!(action(&m, "2026-04-02").0, Some(AutoAction::Rotate));
    }

    #[test]
    fn finishes_its_own_window_only_after_min_window() {
        let r = rotation(AUTO_BY, "dual", "dual", "2026-03-25");
        let m = manifest(&secret("vault_db", "db", "2026-01-01", &r));
        let (a, on, _) = action(&m, "2026-03-26");
        assert_eq!((a, on), (None, Some(day("2026-03-27"))));
        assert_eq!(action(&m, "2026-03-27").0, Some(AutoAction::Finish));
        let r = rotation(AUTO_BY, "dual", "promoted", "2026-03-25");
        let m = manifest(&secret("vault_db", "db", "2026-01-01", &r));
        assert_eq!(action(&m, "2026-03-25").0, Some(AutoAction::Finish));
    }

    #[test]
    fn never_touches_a_rotation_a_person_opened() {
        let r = rotation("alice", "dual", "dual", "2026-01-01");
        let m = manifest(&secret("vault_db", "db", "2025-01-01", &r));
        let (a, on, why) = action(&m, "2026-06-01");
        assert_eq!((a, on), (None, None));
        assert!(why.contains("alice"), "{why}");
    }

    #[test]
    fn leaves_secrets_it_cannot_make_a_value_for() {
        let s = "    vault_ext:\n      policy: db\n      last_rotation: 2025-01-01\n      generate: { external: true }\n      deploy: [{run: 'true'}]\n      verify: [{run: 'true'}]\n";
        let m = manifest(s);
        let (a, _, why) = action(&m, "2026-06-01");
        assert_eq!(a, None);
        assert!(why.contains("external"), "{why}");
        let s = secret(
            "vault_m",
            "db",
            "2025-01-01",
            "      revoke: [{manual: 'kill it'}]\n",
        );
        assert_eq!(action(&manifest(&s), "2026-06-01").0, None);
    }

    #[test]
    fn not_auto_is_not_decided() {
        let s = secret("vault_x", "db", "2025-01-01", "      auto: false\n");
        assert_eq!(decide(&manifest(&s).secrets[0], day("2026-06-01")), None);
    }

    #[test]
    fn max_caps_new_rotations_most_overdue_first_but_not_finishes() {
        let mut text = secret("vault_a", "db", "2026-01-10", "");
        text += &secret("vault_b", "db", "2025-06-01", "");
        text += &secret(
            "vault_c",
            "db",
            "2025-01-01",
            &rotation(AUTO_BY, "dual", "dual", "2026-05-01"),
        );
        let m = manifest(&text);
        let plan = plan_day(&m, day("2026-06-01"), Some(1));
        let names: Vec<&str> = plan
            .actions
            .iter()
            .map(|i| plan.decisions[*i].secret.as_str())
            .collect();
        assert_eq!(names, ["vault_c", "vault_b"]);
        assert_eq!(plan.held_back.len(), 1);
        assert_eq!(plan.decisions[plan.held_back[0]].secret, "vault_a");
    }
}
