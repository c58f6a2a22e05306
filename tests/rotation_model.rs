//! Model-based test of the planner and executor together: random sequences
//! of rotation commands, kills at every write point, and changes made to the
//! vault behind vaultrot's back (a restore, an older file checked out, a hand
//! edit), run in-process against an in-memory world with a model of the
//! services (which values they accept, which one clients use, which were
//! revoked). After every step:
//! - a value a service may still use is never lost (vault or backups);
//! - nothing is recorded that did not happen (a closed rotation's value is in
//!   the vault and in use);
//! - a compromised rotation never ends on a value that existed before it;
//! - every finished rotation ran verify on the new value and revoke saw the
//!   previous one.
//!
//! The end-to-end tests run the same engine with the real ansible-playbook.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use zeroize::Zeroizing;

use vaultrot::ansible::playbook::Phase;
use vaultrot::manifest::{
    HistoryEntry, Manifest, Rotation, RotationKind, RotationPhase, Secret, StepAction,
};
use vaultrot::rotation::RotationError;
use vaultrot::rotation::execute::{Change, Confirmation, Record, RunOptions, World, execute};
use vaultrot::rotation::plan::{
    self, ChangelogEvent, Command, Ending, Facts, KeyFacts, Plan, StepList,
};

const MANIFEST: &str = r#"secrets_manifest:
  version: 1
  defaults:
    vault: vault.yml
  policies:
    p: { max_age: 6mo }
  secrets:
    vault_a:
      policy: p
      deploy: [{run: deploy vault_a}]
      verify: [{run: verify vault_a}]
      revoke: [{run: revoke vault_a}]
    vault_b:
      policy: p
      deploy: [{run: deploy vault_b}]
      verify: [{run: verify vault_b}]
      revoke: [{run: revoke vault_b}]
"#;

const NAMES: [&str; 2] = ["vault_a", "vault_b"];

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-15T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// What the fleet does with one secret.
#[derive(Debug, Clone, Default)]
struct Service {
    accepts: BTreeSet<String>,
    client: String,
}

/// Per rotation id: what its steps saw.
#[derive(Debug, Clone, Default)]
struct Seen {
    verified_new: bool,
    revoke_saw_previous: bool,
}

#[derive(Clone)]
struct Model {
    manifest: Manifest,
    vault: BTreeMap<String, String>,
    backups: Vec<BTreeMap<String, String>>,
    services: BTreeMap<String, Service>,
    revoked: BTreeSet<String>,
    /// Every value that ever existed (for the compromised invariant).
    ever: BTreeSet<String>,
    /// Per compromised rotation id: the values that existed when it opened.
    before_compromised: BTreeMap<String, BTreeSet<String>>,
    seen: BTreeMap<String, Seen>,
    changelog: Vec<(String, String)>,
    counter: u32,
    /// Kill at the n-th crash point of the running command.
    kill_at: Option<u32>,
    points: u32,
    /// Set when the vault was changed behind vaultrot's back.
    tampered: bool,
    /// The id of the rotation a running command acts on.
    current_id: Option<String>,
}

impl Model {
    fn new() -> Model {
        let manifest =
            Manifest::parse(MANIFEST, Path::new("/infra/m.yml"), Path::new("/infra")).unwrap();
        let mut vault = BTreeMap::new();
        let mut services = BTreeMap::new();
        let mut ever = BTreeSet::new();
        for name in NAMES {
            let value = format!("{name}-v0");
            vault.insert(name.to_string(), value.clone());
            ever.insert(value.clone());
            services.insert(
                name.to_string(),
                Service {
                    accepts: [value.clone()].into(),
                    client: value,
                },
            );
        }
        Model {
            manifest,
            vault,
            backups: Vec::new(),
            services,
            revoked: BTreeSet::new(),
            ever,
            before_compromised: BTreeMap::new(),
            seen: BTreeMap::new(),
            changelog: Vec::new(),
            counter: 0,
            kill_at: None,
            points: 0,
            tampered: false,
            current_id: None,
        }
    }

    fn secret_mut(&mut self, name: &str) -> &mut Secret {
        self.manifest
            .secrets
            .iter_mut()
            .find(|s| s.name == name)
            .unwrap()
    }

    fn fp(value: &str) -> String {
        format!("fp({value})")
    }

    fn facts(&self) -> Facts {
        NAMES
            .iter()
            .map(|n| {
                let get = |k: String| self.vault.get(&k).map(|v| Model::fp(v));
                (
                    n.to_string(),
                    KeyFacts {
                        current: get(n.to_string()),
                        new: get(format!("{n}_new")),
                        previous: get(format!("{n}_previous")),
                        new_is_template: false,
                    },
                )
            })
            .collect()
    }

    fn all_known(&self) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = self.vault.values().cloned().collect();
        for b in &self.backups {
            all.extend(b.values().cloned());
        }
        all
    }
}

fn killed() -> RotationError {
    RotationError::Step("killed".into())
}

impl World for Model {
    fn generate(&mut self, secret: &Secret) -> Result<Zeroizing<String>, RotationError> {
        self.counter += 1;
        let value = format!("{}-v{}", secret.name, self.counter);
        self.ever.insert(value.clone());
        Ok(Zeroizing::new(value))
    }

    fn mint(&mut self, secret: &Secret, source: &str) -> Result<Zeroizing<String>, RotationError> {
        self.counter += 1;
        let value = format!("{}-from-{source}-v{}", secret.name, self.counter);
        self.ever.insert(value.clone());
        Ok(Zeroizing::new(value))
    }

    fn fingerprint(&self, _name: &str, value: &[u8]) -> String {
        Model::fp(std::str::from_utf8(value).unwrap())
    }

    fn read(
        &mut self,
        _file: &Path,
        key: &str,
    ) -> Result<Option<Zeroizing<String>>, RotationError> {
        Ok(self.vault.get(key).cloned().map(Zeroizing::new))
    }

    fn write_vault(&mut self, _file: &Path, changes: Vec<Change>) -> Result<(), RotationError> {
        let mut next = self.vault.clone();
        for change in changes {
            match change {
                Change::Set { key, value, .. } => {
                    next.insert(key, value.to_string());
                }
                Change::Remove { key } => {
                    assert!(next.remove(&key).is_some(), "removed a missing key {key}");
                }
            }
        }
        self.backups.push(self.vault.clone());
        self.crash_point("backup")?;
        self.vault = next;
        Ok(())
    }

    fn record(&mut self, names: &[String], record: Record) -> Result<(), RotationError> {
        match record {
            Record::Open {
                id,
                kind,
                started,
                by,
                group,
                reason,
                fingerprints,
            } => {
                if kind == RotationKind::Compromised {
                    let mut before = self.ever.clone();
                    // The values this command just generated are not "before" it.
                    for name in names {
                        if let Some((_, Some(new))) = fingerprints.get(name) {
                            before.retain(|v| &Model::fp(v) != new);
                        }
                    }
                    self.before_compromised.insert(id.clone(), before);
                }
                self.current_id = Some(id.clone());
                for name in names {
                    let (old, new) = fingerprints.get(name).cloned().unwrap_or_default();
                    self.secret_mut(name).rotation = Some(Rotation {
                        pos: Default::default(),
                        id: id.clone(),
                        phase: RotationPhase::Starting,
                        started,
                        by: Some(by.clone()),
                        group: group.clone(),
                        kind,
                        old_fingerprint: old,
                        new_fingerprint: new,
                        reason: reason.clone(),
                        awaiting: None,
                    });
                }
            }
            Record::Fingerprints(map) => {
                for (name, fp) in map {
                    self.secret_mut(&name)
                        .rotation
                        .as_mut()
                        .unwrap()
                        .new_fingerprint = Some(fp);
                }
            }
            Record::Phase(phase) => {
                for name in names {
                    self.secret_mut(name).rotation.as_mut().unwrap().phase = phase;
                }
            }
            Record::Awaiting(step) => {
                for name in names {
                    self.secret_mut(name).rotation.as_mut().unwrap().awaiting = step.clone();
                }
            }
            Record::Close {
                id,
                ending,
                at,
                by,
                reason,
                last_rotation,
            } => {
                for name in names {
                    let r = self.secret_mut(name).rotation.clone().unwrap();
                    if ending.rotates() {
                        // Nothing recorded that did not happen.
                        let value = self.vault.get(name).cloned().unwrap();
                        assert_eq!(
                            Some(Model::fp(&value)),
                            r.new_fingerprint,
                            "{name}: closed as rotated but the vault holds another value"
                        );
                        let service = &self.services[name];
                        assert_eq!(
                            service.client, value,
                            "{name}: clients not on the rotated value"
                        );
                        assert_eq!(
                            service.accepts,
                            [value.clone()].into(),
                            "{name}: services accept more than the new value"
                        );
                        let seen = self.seen.get(&id).cloned().unwrap_or_default();
                        assert!(seen.verified_new, "{name}: {id} closed without verify");
                        assert!(
                            seen.revoke_saw_previous,
                            "{name}: revoke of {id} never saw the previous value"
                        );
                        if ending == Ending::Compromised {
                            let before = &self.before_compromised[&id];
                            assert!(
                                !before.contains(&value),
                                "{name}: compromised rotation ended on an older value"
                            );
                        }
                    }
                    let s = self.secret_mut(name);
                    s.history.push(HistoryEntry {
                        event: ending.event(),
                        at,
                        id: Some(id.clone()),
                        by: Some(by.clone()),
                        reason: reason.clone(),
                    });
                    if let Some(date) = last_rotation {
                        s.last_rotation = Some(date);
                    }
                    s.rotation = None;
                }
            }
        }
        Ok(())
    }

    fn run_step(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        list: StepList,
    ) -> Result<(), RotationError> {
        let StepAction::Run(command) = step else {
            panic!("only run steps in the model")
        };
        let (verb, name) = command.split_once(' ').unwrap();
        let get = |k: String| self.vault.get(&k).cloned();
        let current = get(name.to_string());
        let new = get(format!("{name}_new"));
        let previous = get(format!("{name}_previous"));
        match (verb, list) {
            ("deploy", _) => {
                // As `{{ x_new | default(x) }}` and a service accepting both during start.
                let service = self.services.get_mut(name).unwrap();
                let current =
                    current.ok_or_else(|| RotationError::Step("deploy: no value".into()))?;
                match (phase, new) {
                    (Some(Phase::Start), Some(new)) => {
                        service.accepts = [current, new.clone()].into();
                        service.client = new;
                    }
                    _ => {
                        service.accepts = [current.clone()].into();
                        service.client = current;
                    }
                }
            }
            ("verify", _) => {
                let service = &self.services[name];
                if !service.accepts.contains(&service.client)
                    || self.revoked.contains(&service.client)
                {
                    return Err(RotationError::Step(format!("verify {name} failed")));
                }
                if let Some(id) = &self.current_id
                    && matches!(phase, Some(Phase::Finish | Phase::Rotate))
                    && Some(&service.client) == current.as_ref()
                {
                    self.seen.entry(id.clone()).or_default().verified_new = true;
                }
            }
            ("revoke", _) => {
                let Some(previous) = previous else {
                    return Err(RotationError::Step(format!(
                        "revoke {name}: no previous value to revoke"
                    )));
                };
                let service = &self.services[name];
                if service.client == previous {
                    panic!("{name}: revoking the value clients use");
                }
                self.revoked.insert(previous);
                if let Some(id) = &self.current_id {
                    self.seen.entry(id.clone()).or_default().revoke_saw_previous = true;
                }
            }
            other => panic!("unknown step {other:?}"),
        }
        Ok(())
    }

    fn confirm(&mut self, _instruction: &str) -> Result<Confirmation, RotationError> {
        Ok(Confirmation::Unattended)
    }

    fn changelog(
        &mut self,
        event: ChangelogEvent,
        plan: &Plan,
        _by: Option<&str>,
    ) -> Result<(), RotationError> {
        let word = format!("{event:?}");
        if !self.changelog.contains(&(plan.id.clone(), word.clone())) {
            self.changelog.push((plan.id.clone(), word));
        }
        Ok(())
    }

    fn say(&mut self, _message: &str) {}

    fn crash_point(&mut self, _point: &str) -> Result<(), RotationError> {
        self.points += 1;
        if self.kill_at == Some(self.points) {
            return Err(killed());
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
enum Op {
    Run {
        command: Command,
        both: bool,
        kill: Option<u32>,
    },
    /// `vaultrot restore` of the newest backup, or an older file checked out.
    Restore { back: usize },
    /// A hand edit: drop a key, or give it another value.
    Edit { key: usize, drop: bool },
}

fn op() -> impl Strategy<Value = Op> {
    let command = prop_oneof![
        Just(Command::Start),
        Just(Command::Finish),
        Just(Command::Abort),
        Just(Command::Rotate { compromised: true }),
        Just(Command::Rollback),
        Just(Command::Verify),
    ];
    prop_oneof![
        8 => (command, any::<bool>(), prop::option::weighted(0.5, 1u32..14))
            .prop_map(|(command, both, kill)| Op::Run { command, both, kill }),
        1 => (0usize..4).prop_map(|back| Op::Restore { back }),
        1 => (0usize..6, any::<bool>()).prop_map(|(key, drop)| Op::Edit { key, drop }),
    ]
}

struct Stats {
    sequences: usize,
    steps: usize,
    states: HashSet<String>,
    closed: usize,
}

fn state_key(m: &Model) -> String {
    let mut key = String::new();
    for s in &m.manifest.secrets {
        match &s.rotation {
            Some(r) => key.push_str(&format!(
                "{}:{}:{}:{};",
                s.name,
                r.kind.as_str(),
                r.phase,
                r.group.len()
            )),
            None => key.push_str(&format!("{}:-;", s.name)),
        }
    }
    let keys: Vec<&String> = m.vault.keys().collect();
    key.push_str(&format!("{keys:?}"));
    key
}

fn run_op(m: &mut Model, op: &Op) {
    match op {
        Op::Run {
            command,
            both,
            kill,
        } => {
            let names: Vec<String> = if *both {
                NAMES.to_vec()
            } else {
                vec![NAMES[0]]
            }
            .into_iter()
            .map(String::from)
            .collect();
            let facts = m.facts();
            let opts = plan::Options {
                now: now(),
                force: true,
                reason: Some("leaked".into()),
                min_window: None,
            };
            m.counter += 1;
            let id = format!("r-{}", m.counter);
            let Ok(plan) = plan::plan(&m.manifest, &names, &facts, *command, &opts, &id) else {
                return;
            };
            m.current_id = (plan.command != Command::Verify).then(|| plan.id.clone());
            m.kill_at = *kill;
            m.points = 0;
            let manifest = m.manifest.clone();
            let run = RunOptions {
                now: now(),
                user: "model".into(),
                confirm: false,
            };
            let _ = execute(m, &manifest, &facts, &plan, &run);
            m.kill_at = None;
        }
        Op::Restore { back } => {
            if m.backups.is_empty() {
                return;
            }
            let at = m.backups.len() - 1 - back.min(&(m.backups.len() - 1));
            let restored = m.backups[at].clone();
            m.backups.push(m.vault.clone());
            m.vault = restored;
            m.tampered = true;
        }
        Op::Edit { key, drop } => {
            let keys: Vec<String> = m.vault.keys().cloned().collect();
            let key = &keys[key % keys.len()];
            m.backups.push(m.vault.clone());
            if *drop && key.ends_with("_new") {
                m.vault.remove(key);
            } else {
                m.counter += 1;
                let value = format!("hand-{}", m.counter);
                m.ever.insert(value.clone());
                m.vault.insert(key.clone(), value);
            }
            m.tampered = true;
        }
    }
}

/// After every step: every value a service accepts or clients use is still
/// recoverable (vault or a backup).
fn check(m: &Model) {
    let known = m.all_known();
    for (name, service) in &m.services {
        assert!(
            known.contains(&service.client),
            "{name}: the value clients use is lost"
        );
        for v in &service.accepts {
            assert!(
                known.contains(v),
                "{name}: a value the service accepts is lost"
            );
        }
    }
    // Nothing recorded that did not happen: a rotation open in the record
    // has its values (or, after a change behind its back, is refused).
    if !m.tampered {
        for s in &m.manifest.secrets {
            if let Some(r) = &s.rotation
                && r.phase == RotationPhase::Dual
            {
                assert_eq!(
                    m.vault
                        .get(&format!("{}_new", s.name))
                        .map(|v| Model::fp(v)),
                    r.new_fingerprint,
                    "{}: dual without its _new",
                    s.name
                );
            }
        }
    }
}

#[test]
fn random_command_sequences_with_kills_and_outside_changes_keep_every_promise() {
    let mut runner = TestRunner::new(Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    });
    let stats = std::cell::RefCell::new(Stats {
        sequences: 0,
        steps: 0,
        states: HashSet::new(),
        closed: 0,
    });
    runner
        .run(&prop::collection::vec(op(), 1..16), |ops| {
            let mut m = Model::new();
            let mut stats = stats.borrow_mut();
            stats.sequences += 1;
            for op in &ops {
                let before = m
                    .manifest
                    .secrets
                    .iter()
                    .map(|s| s.history.len())
                    .sum::<usize>();
                run_op(&mut m, op);
                let after = m
                    .manifest
                    .secrets
                    .iter()
                    .map(|s| s.history.len())
                    .sum::<usize>();
                stats.closed += after - before;
                check(&m);
                stats.steps += 1;
                let key = state_key(&m);
                stats.states.insert(key);
            }
            Ok(())
        })
        .unwrap();
    let stats = stats.into_inner();
    eprintln!(
        "rotation model: {} sequences, {} steps, {} distinct states (record x vault keys), {} rotations closed",
        stats.sequences,
        stats.steps,
        stats.states.len(),
        stats.closed
    );
    assert!(
        stats.closed > 1000,
        "too few rotations completed: {}",
        stats.closed
    );
    assert!(
        stats.states.len() > 20,
        "explored too few states: {}",
        stats.states.len()
    );
}
