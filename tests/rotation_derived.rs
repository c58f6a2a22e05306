//! Derived secrets in the planner: a secret minted from another one
//! (`derived_from`) rotates in its source's window, is minted after it from
//! the right value, and the manifest refuses a missing source or a cycle.

mod common;

use std::path::Path;
use vaultrot::manifest::{Manifest, Rotation, RotationKind, RotationPhase};
use vaultrot::rotation::plan::{
    Action, Command, Facts, KeyChange, KeyFacts, PlanError, Source, plan, with_derived,
};

use common::planner::{names, now, opts};

fn manifest() -> Manifest {
    common::planner::parse(MANIFEST)
}

const MANIFEST: &str = r#"secrets_manifest:
  version: 1
  defaults:
    vault: vault.yml
  policies:
    p: { max_age: 6mo }
  secrets:
    vault_pw:
      policy: p
      last_rotation: 2026-03-01
      deploy: [{run: deploy-pw}]
      verify: [{run: verify-pw}]
    vault_token:
      policy: p
      last_rotation: 2025-01-01
      derived_from: vault_pw
      generate: {command: scripts/mint.sh}
      strategy: swap
      deploy: [{run: deploy-token}]
      verify: [{run: verify-token}]
    vault_other:
      policy: p
      deploy: [{run: deploy-other}]
      verify: [{run: verify-other}]
"#;

fn facts(names: &[&str]) -> Facts {
    names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                KeyFacts {
                    current: Some(format!("o-{n}")),
                    ..KeyFacts::default()
                },
            )
        })
        .collect()
}

fn mints(actions: &[Action]) -> Vec<(String, String, Source)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Mint {
                secret,
                from,
                source,
            } => Some((secret.clone(), from.clone(), *source)),
            _ => None,
        })
        .collect()
}

fn open(manifest: &mut Manifest, group: &[&str], phase: RotationPhase) {
    for s in &mut manifest.secrets {
        if group.contains(&s.name.as_str()) {
            s.rotation = Some(Rotation {
                pos: Default::default(),
                id: "r-1".into(),
                phase,
                started: now(),
                by: None,
                group: names(group),
                kind: RotationKind::Dual,
                old_fingerprint: Some(format!("o-{}", s.name)),
                new_fingerprint: Some(format!("n-{}", s.name)),
                reason: None,
                awaiting: None,
            });
        }
    }
}

#[test]
fn starting_the_source_mints_the_derived_secret_from_its_new_value_in_the_same_window() {
    let m = manifest();
    let all = facts(&["vault_pw", "vault_token", "vault_other"]);
    let p = plan(
        &m,
        &names(&["vault_pw"]),
        &all,
        Command::Start,
        &opts(),
        "r-2",
    )
    .unwrap();
    assert_eq!(p.names, names(&["vault_pw", "vault_token"]));
    let generate = p
        .actions
        .iter()
        .position(|a| matches!(a, Action::Generate { secrets } if *secrets == names(&["vault_pw"])))
        .expect("the source's value is drawn");
    let mint = p
        .actions
        .iter()
        .position(|a| matches!(a, Action::Mint { .. }))
        .unwrap();
    assert!(
        generate < mint,
        "the source is made before what is minted from it"
    );
    assert_eq!(
        mints(&p.actions),
        [("vault_token".into(), "vault_pw".into(), Source::Generated)]
    );
    // Both `_new` in one stage write.
    let staged: Vec<&KeyChange> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::WriteVault { changes, point, .. } if *point == "stage" => Some(changes),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(staged.len(), 2, "{staged:?}");
    // The derived secret's swap strategy does not stop it following a dual source.
    assert!(p.actions.iter().any(
        |a| matches!(a, Action::Say(m) if m.contains("`vault_token` is minted from `vault_pw`"))
    ));
    // Naming it too changes nothing, in either order.
    let both = plan(
        &m,
        &names(&["vault_token", "vault_pw"]),
        &all,
        Command::Start,
        &opts(),
        "r-2",
    )
    .unwrap();
    assert_eq!(
        mints(&both.actions),
        [("vault_token".into(), "vault_pw".into(), Source::Generated)]
    );
}

#[test]
fn finishing_the_source_promotes_both_and_revoke_sees_both_previous_values() {
    let mut m = manifest();
    open(&mut m, &["vault_pw", "vault_token"], RotationPhase::Dual);
    let mut f = Facts::new();
    for n in ["vault_pw", "vault_token"] {
        f.insert(
            n.into(),
            KeyFacts {
                current: Some(format!("o-{n}")),
                new: Some(format!("n-{n}")),
                ..KeyFacts::default()
            },
        );
    }
    // `finish vault_pw` alone takes the derived secret of its window along.
    let p = plan(&m, &names(&["vault_pw"]), &f, Command::Finish, &opts(), "x").unwrap();
    assert_eq!(p.names, names(&["vault_pw", "vault_token"]));
    let promoted: Vec<String> = p
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::WriteVault { changes, point, .. } if *point == "promote" => Some(changes),
            _ => None,
        })
        .flatten()
        .filter_map(|c| match c {
            KeyChange::Set { key, .. } => Some(key.clone()),
            _ => None,
        })
        .collect();
    assert!(
        promoted.contains(&"vault_token_previous".to_string()),
        "{promoted:?}"
    );
    assert!(
        promoted.contains(&"vault_pw_previous".to_string()),
        "{promoted:?}"
    );
    // Abort too.
    let a = plan(&m, &names(&["vault_pw"]), &f, Command::Abort, &opts(), "x").unwrap();
    assert_eq!(a.names, names(&["vault_pw", "vault_token"]));
}

#[test]
fn a_resumed_start_mints_again_when_its_source_is_drawn_again() {
    let mut m = manifest();
    open(
        &mut m,
        &["vault_pw", "vault_token"],
        RotationPhase::Starting,
    );
    let mut f = Facts::new();
    // The source's `_new` never reached the vault; the token's did.
    f.insert(
        "vault_pw".into(),
        KeyFacts {
            current: Some("o-vault_pw".into()),
            ..KeyFacts::default()
        },
    );
    f.insert(
        "vault_token".into(),
        KeyFacts {
            current: Some("o-vault_token".into()),
            new: Some("n-vault_token".into()),
            ..KeyFacts::default()
        },
    );
    let p = plan(&m, &names(&["vault_pw"]), &f, Command::Start, &opts(), "x").unwrap();
    assert_eq!(
        mints(&p.actions),
        [("vault_token".into(), "vault_pw".into(), Source::Generated)]
    );
    // The source's staged value kept, the token's lost: minted from `vault_pw_new`.
    f.insert(
        "vault_pw".into(),
        KeyFacts {
            current: Some("o-vault_pw".into()),
            new: Some("n-vault_pw".into()),
            ..KeyFacts::default()
        },
    );
    f.insert(
        "vault_token".into(),
        KeyFacts {
            current: Some("o-vault_token".into()),
            ..KeyFacts::default()
        },
    );
    let p = plan(&m, &names(&["vault_pw"]), &f, Command::Start, &opts(), "x").unwrap();
    assert_eq!(
        mints(&p.actions),
        [("vault_token".into(), "vault_pw".into(), Source::New)]
    );
    assert!(
        !p.actions
            .iter()
            .any(|a| matches!(a, Action::Generate { .. })),
        "the kept source value is not drawn again"
    );
}

#[test]
fn a_derived_secret_alone_is_minted_from_the_vault_value_unless_its_source_is_rotating() {
    let mut m = manifest();
    let all = facts(&["vault_pw", "vault_token", "vault_other"]);
    let p = plan(
        &m,
        &names(&["vault_token"]),
        &all,
        Command::Rotate { compromised: false },
        &opts(),
        "x",
    )
    .unwrap();
    assert_eq!(p.names, names(&["vault_token"]));
    assert_eq!(
        mints(&p.actions),
        [("vault_token".into(), "vault_pw".into(), Source::Current)]
    );
    // The token's own window open: the password does not start under it.
    let mut own = manifest();
    open(&mut own, &["vault_token"], RotationPhase::Dual);
    let err = plan(
        &own,
        &names(&["vault_pw"]),
        &all,
        Command::Start,
        &opts(),
        "x",
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Refused(msg) if msg.contains("has a rotation of its own open")),
        "{err:?}"
    );
    open(&mut m, &["vault_pw"], RotationPhase::Dual);
    let err = plan(
        &m,
        &names(&["vault_token"]),
        &all,
        Command::Rotate { compromised: false },
        &opts(),
        "x",
    )
    .unwrap_err();
    assert!(
        matches!(&err, PlanError::Refused(msg) if msg.contains("vault_pw") && msg.contains("vaultrot finish vault_pw")),
        "{err:?}"
    );
}

#[test]
fn a_compromised_source_mints_its_derived_secrets_from_the_fresh_value() {
    let m = manifest();
    let all = facts(&["vault_pw", "vault_token", "vault_other"]);
    let p = plan(
        &m,
        &names(&["vault_pw"]),
        &all,
        Command::Rotate { compromised: true },
        &opts(),
        "x",
    )
    .unwrap();
    assert_eq!(p.names, names(&["vault_pw", "vault_token"]));
    assert_eq!(
        mints(&p.actions),
        [("vault_token".into(), "vault_pw".into(), Source::Generated)]
    );
}

#[test]
fn with_derived_follows_chains_and_leaves_verify_alone() {
    let text = MANIFEST.replace(
        "    vault_other:\n      policy: p\n",
        "    vault_other:\n      policy: p\n      derived_from: vault_token\n      generate: {command: scripts/mint2.sh}\n",
    );
    let m = common::planner::parse(&text);
    assert_eq!(
        with_derived(&m, &names(&["vault_pw"]), Command::Start),
        names(&["vault_pw", "vault_token", "vault_other"])
    );
    assert_eq!(
        with_derived(&m, &names(&["vault_pw"]), Command::Verify),
        names(&["vault_pw"])
    );
    let all = facts(&["vault_pw", "vault_token", "vault_other"]);
    let p = plan(
        &m,
        &names(&["vault_pw"]),
        &all,
        Command::Start,
        &opts(),
        "x",
    )
    .unwrap();
    assert_eq!(
        mints(&p.actions),
        [
            ("vault_token".into(), "vault_pw".into(), Source::Generated),
            (
                "vault_other".into(),
                "vault_token".into(),
                Source::Generated
            )
        ]
    );
}

#[test]
fn a_derived_secret_counts_as_rotated_when_its_source_is() {
    let m = manifest();
    let token = m.secret("vault_token").unwrap();
    assert_eq!(token.rotated_on().unwrap().to_string(), "2026-03-01");
}

#[test]
fn the_manifest_refuses_a_missing_source_a_cycle_and_a_source_without_a_mint_command() {
    let parse = |text: &str| {
        Manifest::parse(text, Path::new("/infra/m.yml"), Path::new("/infra"))
            .unwrap_err()
            .to_string()
    };
    let missing = parse(&MANIFEST.replace("derived_from: vault_pw", "derived_from: vault_nope"));
    assert!(missing.contains("vault_nope"), "{missing}");
    assert!(
        missing.contains("not a secret of this manifest"),
        "{missing}"
    );
    let cycle = parse(&MANIFEST.replace(
        "      last_rotation: 2026-03-01\n",
        "      last_rotation: 2026-03-01\n      derived_from: vault_token\n      generate: {command: scripts/mint.sh}\n",
    ));
    assert!(cycle.contains("cycle"), "{cycle}");
    let no_command = parse(&MANIFEST.replace(
        "      generate: {command: scripts/mint.sh}\n",
        "      generate: {length: 40}\n",
    ));
    assert!(no_command.contains("generate: {command"), "{no_command}");
}
