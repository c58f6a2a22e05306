//! The rotation planner without ansible: every command × phase × kind ×
//! strategy × group shape, against the runbook's table of what is allowed,
//! plus the safety properties every plan it makes must have.

use std::collections::BTreeMap;
mod common;

use vaultrot::manifest::{Manifest, Rotation, RotationKind, RotationPhase, Strategy};
use vaultrot::rotation::plan::{
    Action, ChangelogEvent, Command, Ending, Facts, KeyChange, KeyFacts, Plan, PlanError, Source,
    StepList, plan,
};

use common::planner::{names, now, opts};

fn base() -> Manifest {
    common::planner::parse(MANIFEST)
}

const MANIFEST: &str = r#"secrets_manifest:
  version: 1
  defaults:
    vault: vault.yml
  policies:
    p: { max_age: 6mo }
    swap: { max_age: 6mo, strategy: swap }
  secrets:
    vault_a:
      policy: p
      deploy: [{playbook: deploy.yml, tags: [a]}]
      verify: [{run: verify-a}]
      revoke: [{run: revoke-a}]
      notify: [{manual: "tell the team"}]
    vault_b:
      policy: p
      deploy: [{playbook: deploy.yml, tags: [b]}]
      verify: [{run: verify-b}]
    vault_s:
      policy: swap
      deploy: [{run: deploy-s}]
      verify: [{run: verify-s}]
    vault_n:
      policy: p
      deploy: [{run: deploy-n}]
    vault_k:
      policy: p
      deploy: [{run: deploy-k}]
      verify: {skip: true, reason: no health endpoint}
"#;

const PHASES: [Option<RotationPhase>; 8] = [
    None,
    Some(RotationPhase::Starting),
    Some(RotationPhase::Dual),
    Some(RotationPhase::Promoting),
    Some(RotationPhase::Promoted),
    Some(RotationPhase::Revoked),
    Some(RotationPhase::Aborting),
    Some(RotationPhase::RollingBack),
];

const KINDS: [RotationKind; 3] = [
    RotationKind::Dual,
    RotationKind::Swap,
    RotationKind::Compromised,
];

const COMMANDS: [Command; 7] = [
    Command::Start,
    Command::Finish,
    Command::Abort,
    Command::Rotate { compromised: false },
    Command::Rotate { compromised: true },
    Command::Rollback,
    Command::Verify,
];

/// The manifest with `group` in rotation `kind`/`phase`, and the vault facts
/// that phase leaves (as recorded: the old value `o-X`, the new one `n-X`).
fn state(group: &[&str], phase: Option<RotationPhase>, kind: RotationKind) -> (Manifest, Facts) {
    let mut manifest = base();
    let mut facts = Facts::new();
    for s in &mut manifest.secrets {
        let name = s.name.clone();
        let (old, new) = (format!("o-{name}"), format!("n-{name}"));
        let in_group = group.contains(&name.as_str());
        let f = match (in_group, phase) {
            (false, _) | (true, None) => KeyFacts {
                current: Some(old.clone()),
                ..KeyFacts::default()
            },
            (true, Some(p)) => match p {
                RotationPhase::Starting
                | RotationPhase::Dual
                | RotationPhase::Promoting
                | RotationPhase::Aborting => KeyFacts {
                    current: Some(old.clone()),
                    new: Some(new.clone()),
                    previous: None,
                    new_is_template: false,
                },
                RotationPhase::Promoted | RotationPhase::RollingBack => KeyFacts {
                    current: Some(new.clone()),
                    new: None,
                    previous: Some(old.clone()),
                    new_is_template: false,
                },
                RotationPhase::Revoked => KeyFacts {
                    current: Some(new.clone()),
                    ..KeyFacts::default()
                },
            },
        };
        facts.insert(name.clone(), f);
        if in_group && let Some(phase) = phase {
            s.rotation = Some(Rotation {
                pos: Default::default(),
                id: "r-1".into(),
                phase,
                started: now(),
                by: Some("alice".into()),
                group: group.iter().map(|g| g.to_string()).collect(),
                kind,
                old_fingerprint: Some(old),
                new_fingerprint: Some(new),
                reason: (kind == RotationKind::Compromised).then(|| "leaked".into()),
                awaiting: None,
            });
        }
    }
    (manifest, facts)
}

/// The runbook's table: may `command` go on from this state?
fn allowed(
    command: Command,
    phase: Option<RotationPhase>,
    kind: RotationKind,
    strategy: Strategy,
) -> bool {
    use RotationPhase::*;
    match command {
        Command::Verify => true,
        Command::Start => {
            strategy == Strategy::Dual
                && (phase.is_none() || (kind == RotationKind::Dual && phase == Some(Starting)))
        }
        Command::Finish => {
            kind == RotationKind::Dual
                && matches!(phase, Some(Dual | Promoting | Promoted | Revoked))
        }
        Command::Abort => matches!(phase, Some(Starting | Dual | Aborting)),
        Command::Rotate { compromised: false } => {
            strategy == Strategy::Swap
                && (phase.is_none()
                    || (kind == RotationKind::Swap
                        && matches!(phase, Some(Starting | Promoting | Promoted | Revoked))))
        }
        Command::Rotate { compromised: true } => match phase {
            None => true,
            Some(Starting) => true,
            // A compromised rotation is never `dual`: that record is inconsistent.
            Some(Dual) => kind != RotationKind::Compromised,
            Some(Promoting | Promoted | Revoked) => kind == RotationKind::Compromised,
            Some(_) => false,
        },
        Command::Rollback => {
            kind != RotationKind::Compromised && matches!(phase, Some(Promoted | RollingBack))
        }
    }
}

/// Properties every plan must have, whatever the command and state.
fn check_invariants(p: &Plan, facts: &Facts, phase: Option<RotationPhase>, label: &str) {
    let mut revoke_ran = false;
    let mut verify_ran = false;
    // A resumed `promoting` phase recorded its intent in an earlier run.
    let mut promoting_recorded = phase == Some(RotationPhase::Promoting);
    for (i, action) in p.actions.iter().enumerate() {
        match action {
            Action::RecordPhase(RotationPhase::Promoting) => promoting_recorded = true,
            Action::RunSteps {
                list: StepList::Revoke,
                ..
            } => {
                assert!(
                    verify_ran || p.names.iter().all(|n| n == "vault_k"),
                    "{label}: revoke before verify"
                );
                revoke_ran = true;
            }
            Action::RunSteps {
                list: StepList::Verify,
                ..
            } => verify_ran = true,
            Action::WriteVault { changes, .. } => {
                for c in changes {
                    match c {
                        KeyChange::Remove { key } => {
                            assert!(
                                key.ends_with("_new") || key.ends_with("_previous"),
                                "{label}: removes the canonical key {key}"
                            );
                            if key.ends_with("_previous") && p.command != Command::Rollback {
                                let resumed_revoked = p.actions[..i]
                                    .iter()
                                    .all(|a| !matches!(a, Action::RunSteps { .. }));
                                assert!(
                                    revoke_ran
                                        || resumed_revoked
                                        || !p.names.iter().any(|n| n == "vault_a"),
                                    "{label}: _previous removed before revoke ran"
                                );
                            }
                        }
                        KeyChange::Set {
                            key,
                            source,
                            secret,
                        } => {
                            if key == secret && *source == Source::New {
                                assert!(
                                    promoting_recorded
                                        || p.actions[..i].iter().any(|a| matches!(
                                            a,
                                            Action::RecordPhase(RotationPhase::Promoting)
                                        )),
                                    "{label}: promotion without intent"
                                );
                            }
                        }
                    }
                }
            }
            Action::Close(ending) if ending.rotates() => {
                let resumed_revoked = !p
                    .actions
                    .iter()
                    .any(|a| matches!(a, Action::RunSteps { .. }));
                assert!(
                    resumed_revoked || verify_ran || p.names.iter().all(|n| n == "vault_k"),
                    "{label}: closed as rotated without verify"
                );
            }
            _ => {}
        }
    }
    if matches!(p.command, Command::Rotate { compromised: true }) {
        // A compromised rotation never promotes a value that existed before
        // it: opening one (whatever was staged) always makes a fresh value;
        // resuming one keeps the value it made itself (its record's kind).
        let opened = p.actions.iter().any(|a| matches!(a, Action::Open { .. }));
        let generated = p
            .actions
            .iter()
            .any(|a| matches!(a, Action::Generate { .. }));
        assert!(
            !opened || generated,
            "{label}: compromised without a fresh value"
        );
        assert!(opened || p.id == "r-1", "{label}: resumed another rotation");
        let _ = facts;
    }
}

#[test]
fn every_command_phase_kind_strategy_and_group_shape() {
    let mut checked = 0;
    let shapes: [&[&str]; 3] = [&["vault_a"], &["vault_a", "vault_b"], &["vault_s"]];
    for command in COMMANDS {
        for group in shapes {
            for phase in PHASES {
                for kind in KINDS {
                    if phase.is_none() && kind != RotationKind::Dual {
                        continue;
                    }
                    let (manifest, facts) = state(group, phase, kind);
                    let strategy = manifest.secret(group[0]).unwrap().strategy;
                    let label = format!("{command:?} {group:?} {phase:?} {kind:?}");
                    let result = plan(&manifest, &names(group), &facts, command, &opts(), "r-new");
                    let expected = allowed(command, phase, kind, strategy);
                    match &result {
                        Ok(p) => {
                            assert!(expected, "{label}: allowed a plan:\n{:#?}", p.actions);
                            check_invariants(p, &facts, phase, &label);
                        }
                        Err(e) => {
                            assert!(!expected, "{label}: refused: {e}");
                            assert!(!matches!(e, PlanError::Diverged(_)), "{label}: {e}");
                        }
                    }
                    checked += 1;

                    // Naming part of a group is refused, listing the whole group.
                    if group.len() > 1 && phase.is_some() && command != Command::Verify {
                        let partial = plan(
                            &manifest,
                            &names(&group[..1]),
                            &facts,
                            command,
                            &opts(),
                            "r-new",
                        );
                        match partial {
                            Err(PlanError::Refused(m)) => {
                                assert!(
                                    m.contains("vault_b") && m.contains("name the whole group"),
                                    "{label}: {m}"
                                )
                            }
                            other => panic!("{label}: partial group not refused: {other:?}"),
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 350, "{checked}");
}

#[test]
fn naming_a_secret_twice_is_a_usage_error() {
    let (manifest, facts) = state(&[], None, RotationKind::Dual);
    for command in COMMANDS {
        let err = plan(
            &manifest,
            &names(&["vault_a", "vault_a"]),
            &facts,
            command,
            &opts(),
            "r",
        )
        .unwrap_err();
        assert!(
            matches!(&err, PlanError::Usage(m) if m.contains("named twice")),
            "{err:?}"
        );
    }
}

#[test]
fn a_secret_without_verify_steps_needs_a_recorded_reason() {
    let (manifest, facts) = state(&[], None, RotationKind::Dual);
    let err = plan(
        &manifest,
        &names(&["vault_n"]),
        &facts,
        Command::Start,
        &opts(),
        "r",
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Refused(m) if m.contains("no verify step") && m.contains("skip")),
        "{err:?}"
    );
    plan(
        &manifest,
        &names(&["vault_k"]),
        &facts,
        Command::Start,
        &opts(),
        "r",
    )
    .unwrap();
    for name in ["vault_n", "vault_k"] {
        let err = plan(
            &manifest,
            &names(&[name]),
            &facts,
            Command::Verify,
            &opts(),
            "r",
        )
        .unwrap_err();
        assert!(
            matches!(&err, PlanError::Refused(m) if m.contains("no verify step")),
            "{err:?}"
        );
    }
    let err = plan(
        &manifest,
        &names(&["vault_k"]),
        &facts,
        Command::Verify,
        &opts(),
        "r",
    )
    .unwrap_err();
    assert!(err.to_string().contains("no health endpoint"), "{err}");
}

#[test]
fn the_vault_must_hold_what_the_record_says() {
    // dual, but `_new` was dropped (a restore, an edit): finish refuses, naming it.
    let (manifest, mut facts) = state(&["vault_a"], Some(RotationPhase::Dual), RotationKind::Dual);
    facts.get_mut("vault_a").unwrap().new = None;
    let mut o = opts();
    o.force = true;
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Diverged(m) if m.contains("vault_a_new` is missing") && m.contains("vaultrot restore")),
        "{err:?}"
    );

    // dual, `_new` replaced by another value.
    facts.get_mut("vault_a").unwrap().new = Some("other".into());
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Diverged(m) if m.contains("no longer holds")),
        "{err:?}"
    );

    // promoted, but `X` is the old value again (an older file checked out).
    let (manifest, mut facts) = state(
        &["vault_a"],
        Some(RotationPhase::Promoted),
        RotationKind::Dual,
    );
    facts.get_mut("vault_a").unwrap().current = Some("o-vault_a".into());
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::Diverged(_)), "{err:?}");

    // promoted, `_previous` gone: revoke could not see it.
    let (manifest, mut facts) = state(
        &["vault_a"],
        Some(RotationPhase::Promoted),
        RotationKind::Dual,
    );
    facts.get_mut("vault_a").unwrap().previous = None;
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::Diverged(_)), "{err:?}");
}

#[test]
fn finish_promotes_in_one_write_and_revoke_sees_previous() {
    let (manifest, facts) = state(
        &["vault_a", "vault_b"],
        Some(RotationPhase::Dual),
        RotationKind::Dual,
    );
    let p = plan(
        &manifest,
        &names(&["vault_a", "vault_b"]),
        &facts,
        Command::Finish,
        &opts(),
        "r",
    )
    .unwrap();
    let writes: Vec<&Action> = p
        .actions
        .iter()
        .filter(|a| matches!(a, Action::WriteVault { .. }))
        .collect();
    assert_eq!(writes.len(), 2, "{:#?}", p.actions);
    let Action::WriteVault { changes, .. } = writes[0] else {
        unreachable!()
    };
    assert_eq!(changes.len(), 6);
    let revoke = p
        .actions
        .iter()
        .position(|a| {
            matches!(
                a,
                Action::RunSteps {
                    list: StepList::Revoke,
                    ..
                }
            )
        })
        .unwrap();
    let forget = p
        .actions
        .iter()
        .position(|a| {
            matches!(
                a,
                Action::WriteVault {
                    point: "forget_previous",
                    ..
                }
            )
        })
        .unwrap();
    let promote = p
        .actions
        .iter()
        .position(|a| {
            matches!(
                a,
                Action::WriteVault {
                    point: "promote",
                    ..
                }
            )
        })
        .unwrap();
    assert!(promote < revoke && revoke < forget);
    // The shared playbook runs once, with the union of the tags.
    let deploys: Vec<_> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::RunSteps {
                list: StepList::Deploy,
                steps,
                ..
            } => Some(steps.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(deploys.len(), 1);
    assert_eq!(deploys[0].len(), 1);
    match &deploys[0][0] {
        vaultrot::manifest::StepAction::Playbook(pb) => assert_eq!(pb.tags, ["a", "b"]),
        other => panic!("{other:?}"),
    }
    assert!(
        p.actions
            .contains(&Action::Changelog(ChangelogEvent::Ended(Ending::Finished)))
    );
}

#[test]
fn compromised_during_a_window_discards_the_staged_value() {
    let (manifest, facts) = state(&["vault_a"], Some(RotationPhase::Dual), RotationKind::Dual);
    let p = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Rotate { compromised: true },
        &opts(),
        "r-new",
    )
    .unwrap();
    assert_eq!(p.id, "r-new");
    assert_eq!(p.reason.as_deref(), Some("leaked"));
    let generate = p
        .actions
        .iter()
        .position(|a| matches!(a, Action::Generate { .. }))
        .unwrap();
    let stage = p
        .actions
        .iter()
        .position(|a| matches!(a, Action::WriteVault { point: "stage", .. }))
        .unwrap();
    assert!(generate < stage);
    let mut o = opts();
    o.reason = None;
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Rotate { compromised: true },
        &o,
        "r",
    )
    .unwrap_err();
    assert!(matches!(err, PlanError::Usage(_)));

    // Resumed without --reason, the recorded one is kept.
    let (manifest, facts) = state(
        &["vault_a"],
        Some(RotationPhase::Promoted),
        RotationKind::Compromised,
    );
    let p = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Rotate { compromised: true },
        &o,
        "r-x",
    )
    .unwrap();
    assert_eq!(p.id, "r-1");
    assert_eq!(p.reason.as_deref(), Some("leaked"));
    assert!(p.actions.contains(&Action::Close(Ending::Compromised)));
}

#[test]
fn min_window_holds_unless_forced() {
    let (manifest, facts) = state(&["vault_a"], Some(RotationPhase::Dual), RotationKind::Dual);
    let mut o = opts();
    o.force = false;
    o.min_window = Some("2d".parse().unwrap());
    let err = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap_err();
    assert!(err.to_string().contains("min_window"), "{err}");
    o.force = true;
    plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Finish,
        &o,
        "r",
    )
    .unwrap();
}

#[test]
fn resuming_a_start_keeps_the_staged_value_or_makes_a_new_one() {
    let (manifest, mut facts) = state(
        &["vault_a"],
        Some(RotationPhase::Starting),
        RotationKind::Dual,
    );
    let p = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Start,
        &opts(),
        "r",
    )
    .unwrap();
    assert!(
        !p.actions
            .iter()
            .any(|a| matches!(a, Action::Generate { .. } | Action::WriteVault { .. }))
    );
    facts.get_mut("vault_a").unwrap().new = None;
    let p = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Start,
        &opts(),
        "r",
    )
    .unwrap();
    assert!(
        p.actions
            .iter()
            .any(|a| matches!(a, Action::RecordFingerprints { .. }))
    );
    let _ = BTreeMap::<String, String>::new();
}

#[test]
fn resuming_a_start_draws_again_a_staged_value_ansible_would_template() {
    let (manifest, mut facts) = state(
        &["vault_a"],
        Some(RotationPhase::Starting),
        RotationKind::Dual,
    );
    facts.get_mut("vault_a").unwrap().new_is_template = true;
    let p = plan(
        &manifest,
        &names(&["vault_a"]),
        &facts,
        Command::Start,
        &opts(),
        "r",
    )
    .unwrap();
    assert!(
        p.actions
            .iter()
            .any(|a| matches!(a, Action::Generate { secrets } if secrets == &names(&["vault_a"])))
    );
    assert!(
        p.actions
            .iter()
            .any(|a| matches!(a, Action::RecordFingerprints { .. }))
    );
}
