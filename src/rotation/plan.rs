//! The rotation planner: a pure function from the manifest, what the vault
//! holds (key presence and keyed fingerprints, never values), the command and
//! its options to the ordered list of actions the executor performs. Every
//! decision of the runbook is taken here, so every decision is unit-tested
//! without ansible, and `--dry-run` prints exactly what would be done.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::notify::{self, Event};
use crate::ansible::playbook::Phase;
use crate::manifest::{
    HistoryEvent, Manifest, Period, Retry, Rotation, RotationKind, RotationPhase, Secret, Step,
    StepAction, Strategy,
};

/// A rotation command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Start,
    Finish,
    Abort,
    Rotate { compromised: bool },
    Rollback,
    Verify,
}

impl Command {
    /// The command line that runs (or resumes) it for `names`.
    pub fn line(self, names: &[String]) -> String {
        let names = names.join(" ");
        match self {
            Command::Start => format!("vaultrot start {names}"),
            Command::Finish => format!("vaultrot finish {names}"),
            Command::Abort => format!("vaultrot abort {names}"),
            Command::Rotate { compromised: false } => format!("vaultrot rotate {names}"),
            Command::Rotate { compromised: true } => {
                format!("vaultrot rotate {names} --compromised")
            }
            Command::Rollback => format!("vaultrot rollback {names}"),
            Command::Verify => format!("vaultrot verify {names}"),
        }
    }
}

/// What the planner needs besides the manifest and the vault facts.
#[derive(Debug, Clone)]
pub struct Options {
    pub now: DateTime<Utc>,
    /// `finish --force`: ignore `min_window` (and nothing else).
    pub force: bool,
    /// `rotate --compromised --reason`.
    pub reason: Option<String>,
    /// `finish --min-window`, overriding the policy's.
    pub min_window: Option<Period>,
}

/// What the vault holds of one secret: a fingerprint per key present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    pub current: Option<String>,
    pub new: Option<String>,
    pub previous: Option<String>,
    /// The staged `_new` holds `{{`, `{%` or `{#`: Ansible would template it,
    /// so a resumed `start` draws it again (values from before that rule).
    pub new_is_template: bool,
}

/// [`KeyFacts`] of every named secret.
pub type Facts = BTreeMap<String, KeyFacts>;

/// Which list of a secret's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepList {
    Deploy,
    Verify,
    Revoke,
    Notify,
}

impl StepList {
    pub fn as_str(self) -> &'static str {
        match self {
            StepList::Deploy => "deploy",
            StepList::Verify => "verify",
            StepList::Revoke => "revoke",
            StepList::Notify => "notify",
        }
    }

    fn of(self, secret: &Secret) -> &[Step] {
        match self {
            StepList::Deploy => &secret.deploy,
            StepList::Verify => &secret.verify,
            StepList::Revoke => &secret.revoke,
            StepList::Notify => &secret.notify,
        }
    }
}

/// Where a value written to the vault comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The value this command generated (or was given).
    Generated,
    /// `X_new` as the vault holds it.
    New,
    /// `X` as the vault holds it.
    Current,
    /// `X_previous` as the vault holds it.
    Previous,
}

/// One key change of a vault write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    /// Set `key` of `secret` from `source` (added after the canonical key if missing).
    Set {
        secret: String,
        key: String,
        source: Source,
    },
    Remove {
        key: String,
    },
}

/// How a rotation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished,
    Aborted,
    Rotated,
    Compromised,
    RolledBack,
    /// Not a rotation: `verify --repair` redeployed a drifted secret.
    Repaired,
    RepairFailed,
}

impl Ending {
    pub fn event(self) -> HistoryEvent {
        match self {
            Ending::Finished => HistoryEvent::Finished,
            Ending::Aborted => HistoryEvent::Aborted,
            Ending::Rotated => HistoryEvent::Rotated,
            Ending::Compromised => HistoryEvent::Compromised,
            Ending::RolledBack => HistoryEvent::RolledBack,
            Ending::Repaired => HistoryEvent::Repaired,
            Ending::RepairFailed => HistoryEvent::RepairFailed,
        }
    }

    /// Whether `last_rotation` moves to today.
    pub fn rotates(self) -> bool {
        matches!(
            self,
            Ending::Finished | Ending::Rotated | Ending::Compromised
        )
    }
}

/// One thing the executor does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Make a new value for each secret (generate, mint, or ask the operator);
    /// held in memory until written.
    Generate {
        secrets: Vec<String>,
    },
    /// Mint a derived secret's new value from its source's value (`from`,
    /// read from `source`): the mint command gets it on stdin.
    Mint {
        secret: String,
        from: String,
        source: Source,
    },
    /// Record the rotation as open (phase `starting`) with the fingerprints of
    /// the current and the generated values, replacing any open record.
    Open {
        kind: RotationKind,
        reason: Option<String>,
    },
    /// Record the fingerprints of newly generated values in the open record.
    RecordFingerprints {
        secrets: Vec<String>,
    },
    /// One atomic write of a vault file (after a backup of its ciphertext).
    WriteVault {
        file: PathBuf,
        changes: Vec<KeyChange>,
        /// Crash-test point right after the write.
        point: &'static str,
    },
    RecordPhase(RotationPhase),
    /// Run steps (shared ones once), stopping at a manual step nobody confirms.
    RunSteps {
        list: StepList,
        phase: Option<Phase>,
        steps: Vec<StepAction>,
    },
    Changelog(ChangelogEvent),
    /// Close the record: history, `last_rotation` (when it rotates), no `rotation:`.
    Close(Ending),
    /// Tell the owners (and the secrets' own `notify` steps) of `event`;
    /// `steps` are all of them, for the dry run and preflight. A failing
    /// one undoes nothing.
    Notify {
        event: Event,
        phase: Phase,
        steps: Vec<StepAction>,
    },
    Say(String),
}

/// The CHANGELOG events the planner writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangelogEvent {
    Started,
    Ended(Ending),
}

/// What a command will do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub command: Command,
    /// The secrets it works on, in command order.
    pub names: Vec<String>,
    /// The rotation id (existing or new).
    pub id: String,
    pub kind: Option<RotationKind>,
    /// The reason recorded for a compromised rotation.
    pub reason: Option<String>,
    pub actions: Vec<Action>,
}

/// Why a command cannot go on; nothing has been written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// Bad arguments (exit 2).
    Usage(String),
    /// The state does not allow it; the message says what to run.
    Refused(String),
    /// The vault does not hold what the record says.
    Diverged(String),
}

impl crate::exit_codes::ExitCode for PlanError {
    fn exit_code(&self) -> i32 {
        match self {
            PlanError::Usage(_) => crate::exit_codes::USAGE,
            PlanError::Refused(_) | PlanError::Diverged(_) => crate::exit_codes::ERROR,
        }
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::Usage(m) | PlanError::Refused(m) | PlanError::Diverged(m) => f.write_str(m),
        }
    }
}

/// Plans `command` on `names`. `new_id` is the id of a rotation this command
/// opens (the caller draws it, keeping this function pure).
pub fn plan(
    manifest: &Manifest,
    names: &[String],
    facts: &Facts,
    command: Command,
    opts: &Options,
    new_id: &str,
) -> Result<Plan, PlanError> {
    let given = names;
    let names = &with_derived(manifest, names, command);
    let secrets = named(manifest, names, command)?;
    let mut p = Planner {
        manifest,
        secrets,
        facts,
        command,
        opts,
        plan: Plan {
            command,
            names: names.to_vec(),
            id: new_id.to_string(),
            kind: None,
            reason: None,
            actions: Vec::new(),
        },
    };
    if matches!(command, Command::Start | Command::Rotate { .. }) {
        for s in &p.secrets {
            if !given.contains(&s.name)
                && let Some(source) = &s.derived_from
            {
                p.plan.actions.push(Action::Say(format!(
                    "`{}` is minted from `{source}`: it is rotated in the same window",
                    s.name
                )));
            }
        }
    }
    match command {
        Command::Verify => p.verify()?,
        _ => {
            p.check_sources()?;
            p.check_group()?;
            if command != Command::Abort && command != Command::Rollback {
                p.check_verified()?;
            }
            match command {
                Command::Start => p.start()?,
                Command::Finish => p.finish()?,
                Command::Abort => p.abort()?,
                Command::Rotate { compromised } => p.rotate(compromised)?,
                Command::Rollback => p.rollback()?,
                Command::Verify => unreachable!("handled above"),
            }
        }
    }
    Ok(p.plan)
}

/// `names` and the secrets derived from them that move with them: a start
/// or rotate of a source re-mints every secret derived from it (and from
/// those) in the same window; the other commands take along the derived
/// secrets that share the source's open rotation. Unknown names are left
/// for [`plan`] to report.
pub fn with_derived(manifest: &Manifest, names: &[String], command: Command) -> Vec<String> {
    let mut out = names.to_vec();
    if command == Command::Verify {
        return out;
    }
    let mut i = 0;
    while i < out.len() {
        let Some(source) = manifest.secret(&out[i]) else {
            i += 1;
            continue;
        };
        for derived in &manifest.secrets {
            if derived.derived_from.as_deref() != Some(source.name.as_str())
                || out.contains(&derived.name)
            {
                continue;
            }
            let moves = match command {
                Command::Start | Command::Rotate { .. } => {
                    derived.rotation.is_none() || same_rotation(derived, source)
                }
                _ => same_rotation(derived, source),
            };
            if moves {
                out.push(derived.name.clone());
            }
        }
        i += 1;
    }
    out
}

fn same_rotation(a: &Secret, b: &Secret) -> bool {
    matches!((&a.rotation, &b.rotation), (Some(x), Some(y)) if x.id == y.id)
}

/// The named secrets, each named once and in the manifest.
fn named<'m>(
    manifest: &'m Manifest,
    names: &[String],
    command: Command,
) -> Result<Vec<&'m Secret>, PlanError> {
    if names.is_empty() && command != Command::Verify {
        return Err(PlanError::Usage("name at least one secret".into()));
    }
    let mut secrets: Vec<&Secret> = Vec::with_capacity(names.len());
    for name in names {
        if secrets.iter().any(|s| &s.name == name) {
            return Err(PlanError::Usage(format!(
                "`{name}` is named twice: name each secret once"
            )));
        }
        let secret = manifest.secret(name).ok_or_else(|| {
            PlanError::Usage(format!(
                "`{name}` is not in the manifest {}",
                manifest.path.display()
            ))
        })?;
        secrets.push(secret);
    }
    Ok(secrets)
}

struct Planner<'a> {
    manifest: &'a Manifest,
    secrets: Vec<&'a Secret>,
    facts: &'a Facts,
    command: Command,
    opts: &'a Options,
    plan: Plan,
}

/// The phase all named secrets share (`None`: no open rotation).
type Shared<'a> = Option<&'a Rotation>;

impl<'a> Planner<'a> {
    fn names(&self) -> Vec<String> {
        self.secrets.iter().map(|s| s.name.clone()).collect()
    }

    fn push(&mut self, action: Action) {
        self.plan.actions.push(action);
    }

    fn facts(&self, name: &str) -> KeyFacts {
        self.facts.get(name).cloned().unwrap_or_default()
    }

    /// Whether `secret` is minted from a secret of this command.
    fn follows(&self, secret: &Secret) -> bool {
        secret
            .derived_from
            .as_ref()
            .is_some_and(|src| self.secrets.iter().any(|s| &s.name == src))
    }

    /// A derived secret rotated without its source is minted from the
    /// source's value as the vault holds it: not while the source is in a
    /// rotation of its own (which value would it be?).
    fn check_sources(&self) -> Result<(), PlanError> {
        if !matches!(self.command, Command::Start | Command::Rotate { .. }) {
            return Ok(());
        }
        // A new source value would leave a derived secret's own open
        // rotation minted from a value about to go.
        for s in &self.secrets {
            if s.rotation.is_some() {
                continue;
            }
            let stuck = self.manifest.secrets.iter().find(|d| {
                d.derived_from.as_deref() == Some(s.name.as_str())
                    && d.rotation.is_some()
                    && !self.secrets.iter().any(|n| n.name == d.name)
            });
            if let Some(d) = stuck
                && let Some(r) = &d.rotation
            {
                return Err(PlanError::Refused(format!(
                    "`{}` is minted from `{}` and has a rotation of its own open ({}, phase {}): complete it first (`{}`)",
                    d.name,
                    s.name,
                    r.id,
                    r.phase,
                    next_command(r, &r.group_or(&d.name))
                )));
            }
        }
        for s in &self.secrets {
            let Some(source) = s.derived_from.as_ref() else {
                continue;
            };
            if self.follows(s) || s.rotation.is_some() {
                continue;
            }
            if let Some(r) = self
                .manifest_secret(source)
                .and_then(|src| src.rotation.as_ref())
            {
                return Err(PlanError::Refused(format!(
                    "`{}` is minted from `{source}`, which is in rotation {} (phase {}): complete that rotation first (`{}`)",
                    s.name,
                    r.id,
                    r.phase,
                    next_command(r, &r.group_or(source))
                )));
            }
        }
        Ok(())
    }

    fn manifest_secret(&self, name: &str) -> Option<&'a Secret> {
        self.manifest.secret(name)
    }

    /// New values for `names`: drawn (or asked for) for the plain ones;
    /// minted for the derived ones, each after its source, from the source's
    /// value this command made, else the one staged in `X_new`, else the one
    /// the vault holds.
    fn make_values(&mut self, names: &[String]) {
        let derived = |s: &Secret| s.derived_from.is_some();
        let plain: Vec<String> = self
            .secrets
            .iter()
            .filter(|s| names.contains(&s.name) && !derived(s))
            .map(|s| s.name.clone())
            .collect();
        if !plain.is_empty() {
            self.push(Action::Generate {
                secrets: plain.clone(),
            });
        }
        let mut made = plain;
        let mut pending: Vec<&Secret> = self
            .secrets
            .iter()
            .copied()
            .filter(|s| names.contains(&s.name) && derived(s))
            .collect();
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .position(|s| {
                    let src = s.derived_from.as_deref().unwrap_or_default();
                    !pending.iter().any(|p| p.name == src)
                })
                // Cycles are refused when the manifest loads.
                .unwrap_or(0);
            let s = pending.remove(ready);
            let from = s.derived_from.clone().unwrap_or_default();
            let source = if made.contains(&from) {
                Source::Generated
            } else if self.secrets.iter().any(|n| n.name == from) {
                Source::New
            } else {
                Source::Current
            };
            self.push(Action::Mint {
                secret: s.name.clone(),
                from,
                source,
            });
            made.push(s.name.clone());
        }
    }

    /// A window opened for several secrets moves as one: naming only some is refused.
    fn check_group(&self) -> Result<(), PlanError> {
        for s in &self.secrets {
            let Some(r) = &s.rotation else { continue };
            if r.group.len() < 2 {
                continue;
            }
            let mut named: Vec<&str> = self.secrets.iter().map(|s| s.name.as_str()).collect();
            let mut group: Vec<&str> = r.group.iter().map(String::as_str).collect();
            named.sort_unstable();
            group.sort_unstable();
            if named != group {
                return Err(PlanError::Refused(format!(
                    "`{}` rotates together with {} (rotation {}): name the whole group: `{}`",
                    s.name,
                    r.group
                        .iter()
                        .filter(|g| **g != s.name)
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    r.id,
                    self.command.line(&r.group)
                )));
            }
        }
        Ok(())
    }

    /// Verified before done: a secret with no verify step rotates only when
    /// its entry says why (`verify: {skip: true, reason: ...}`).
    fn check_verified(&self) -> Result<(), PlanError> {
        for s in &self.secrets {
            if s.verify.is_empty() && s.verify_skip.is_none() {
                return Err(PlanError::Refused(format!(
                    "`{}` has no verify step, so nothing would check the new value before the old one is revoked: add verify steps, or `verify: {{skip: true, reason: WHY}}` to its manifest entry",
                    s.name
                )));
            }
        }
        Ok(())
    }

    /// The open rotation the named secrets share, if any; all or none must have one.
    fn shared(&self) -> Result<Shared<'a>, PlanError> {
        let first = self.secrets[0].rotation.as_ref();
        for s in &self.secrets[1..] {
            let r = s.rotation.as_ref();
            let same = match (first, r) {
                (None, None) => true,
                (Some(a), Some(b)) => a.id == b.id && a.phase == b.phase && a.kind == b.kind,
                _ => false,
            };
            if !same {
                let describe = |s: &Secret| match &s.rotation {
                    None => format!("`{}`: no open rotation", s.name),
                    Some(r) => format!(
                        "`{}`: rotation {} ({}, {})",
                        s.name,
                        r.id,
                        r.kind.as_str(),
                        r.phase
                    ),
                };
                return Err(PlanError::Refused(format!(
                    "the named secrets are not in one rotation ({}; {}): run the command for each group separately",
                    describe(self.secrets[0]),
                    describe(s)
                )));
            }
        }
        Ok(first)
    }

    fn adopt(&mut self, r: &Rotation) {
        self.plan.id = r.id.clone();
        self.plan.kind = Some(r.kind);
        self.plan.reason = r.reason.clone();
    }

    /// The command that resumes an open rotation in its current phase.
    fn next_command(&self, r: &Rotation) -> String {
        let names = self.names();
        next_command(r, &names)
    }

    fn wrong_phase(&self, r: &Rotation) -> PlanError {
        if r.kind != RotationKind::Dual && !matches!(self.command, Command::Rotate { .. }) {
            return PlanError::Refused(format!(
                "{} has an interrupted `rotate` ({}, {}): re-run `{}`{}",
                self.subject(),
                r.id,
                r.kind.as_str(),
                self.next_command(r),
                if r.kind == RotationKind::Compromised {
                    " (its recorded reason is kept)"
                } else {
                    ""
                }
            ));
        }
        if r.kind == RotationKind::Dual
            && r.phase == RotationPhase::Starting
            && self.command != Command::Start
        {
            return PlanError::Refused(format!(
                "the start of {} did not complete (rotation {}): re-run `{}` (or `vaultrot abort {}`)",
                self.subject(),
                r.id,
                self.next_command(r),
                self.names().join(" ")
            ));
        }
        PlanError::Refused(format!(
            "{} is in rotation {} ({}, phase {}): run `{}`",
            self.subject(),
            r.id,
            r.kind.as_str(),
            r.phase,
            self.next_command(r)
        ))
    }

    fn subject(&self) -> String {
        let names: Vec<String> = self
            .secrets
            .iter()
            .map(|s| format!("`{}`", s.name))
            .collect();
        names.join(", ")
    }

    // ---- vault checks -----------------------------------------------------------------

    fn diverged(&self, secret: &Secret, what: String, r: &Rotation) -> PlanError {
        let undo = match r.phase {
            RotationPhase::Starting | RotationPhase::Dual | RotationPhase::Aborting => format!(
                "`vaultrot restore {}` to bring back the vault as vaultrot left it, or `vaultrot abort {}`",
                secret.vault.display(),
                r.group_or(&secret.name).join(" ")
            ),
            _ => format!(
                "`vaultrot restore {}` to bring back the vault as vaultrot left it, then `{}`",
                secret.vault.display(),
                next_command(r, &r.group_or(&secret.name))
            ),
        };
        PlanError::Diverged(format!(
            "{}: {what}, but rotation {} (phase {}) recorded otherwise; the vault was changed behind vaultrot's back (a restore, a checkout, an edit). Nothing was done. Run {undo}",
            secret.vault.display(),
            r.id,
            r.phase
        ))
    }

    /// `key` holds the value whose fingerprint the record kept.
    fn expect(
        &self,
        secret: &Secret,
        r: &Rotation,
        key: &str,
        held: &Option<String>,
        recorded: &Option<String>,
        label: &str,
    ) -> Result<(), PlanError> {
        match (held, recorded) {
            (None, _) => Err(self.diverged(secret, format!("`{key}` is missing"), r)),
            (Some(h), Some(want)) if h != want => Err(self.diverged(
                secret,
                format!("`{key}` no longer holds the {label} value"),
                r,
            )),
            _ => Ok(()),
        }
    }

    fn expect_absent(
        &self,
        secret: &Secret,
        r: &Rotation,
        key: &str,
        held: &Option<String>,
    ) -> Result<(), PlanError> {
        match held {
            Some(_) => Err(self.diverged(secret, format!("`{key}` is present"), r)),
            None => Ok(()),
        }
    }

    /// Before a rotation opens: `X` present, no stale `X_new`/`X_previous`.
    fn check_fresh(&self, secret: &Secret) -> Result<(), PlanError> {
        let f = self.facts(&secret.name);
        if f.current.is_none() {
            return Err(PlanError::Refused(format!(
                "`{}` is not in {}: add it (e.g. `vaultrot set {} {} --stdin`) before rotating it",
                secret.name,
                secret.vault.display(),
                secret.vault.display(),
                secret.name
            )));
        }
        for (key, held) in [
            (secret.new_key(), &f.new),
            (secret.previous_key(), &f.previous),
        ] {
            if held.is_some() {
                return Err(PlanError::Refused(format!(
                    "{} holds `{key}` but no rotation of `{}` is open: remove it (`vaultrot unset {} {key}`) or `vaultrot restore {}` before rotating",
                    secret.vault.display(),
                    secret.name,
                    secret.vault.display(),
                    secret.vault.display()
                )));
            }
        }
        Ok(())
    }

    // ---- steps ------------------------------------------------------------------------

    /// The steps of `list` over the named secrets; a step several secrets
    /// share runs once (a playbook once, with the union of their tags).
    fn steps(&self, list: StepList) -> Vec<StepAction> {
        merge_steps(self.secrets.iter().flat_map(|s| list.of(s)))
    }

    /// Notify steps of every route (owners' and the secrets' own).
    fn notify(&mut self, event: Event, phase: Phase) {
        let routes = notify::routes(self.manifest, &self.names());
        let steps: Vec<StepAction> =
            routes
                .into_iter()
                .flat_map(|r| r.steps)
                .fold(Vec::new(), |mut all, step| {
                    if !all.contains(&step) {
                        all.push(step);
                    }
                    all
                });
        if !steps.is_empty() {
            self.push(Action::Notify {
                event,
                phase,
                steps,
            });
        }
    }

    fn run(&mut self, list: StepList, phase: Option<Phase>) {
        let steps = self.steps(list);
        if !steps.is_empty() {
            self.push(Action::RunSteps { list, phase, steps });
        }
    }

    // ---- vault writes -----------------------------------------------------------------

    /// One write per vault file, in manifest order of the files.
    fn write(&mut self, point: &'static str, each: impl Fn(&Secret) -> Vec<KeyChange>) {
        let mut by_file: Vec<(PathBuf, Vec<KeyChange>)> = Vec::new();
        for s in &self.secrets {
            let changes = each(s);
            if changes.is_empty() {
                continue;
            }
            match by_file.iter_mut().find(|(f, _)| *f == s.vault) {
                Some((_, list)) => list.extend(changes),
                None => by_file.push((s.vault.clone(), changes)),
            }
        }
        for (file, changes) in by_file {
            self.push(Action::WriteVault {
                file,
                changes,
                point,
            });
        }
    }

    // ---- commands -----------------------------------------------------------------------

    fn verify(&mut self) -> Result<(), PlanError> {
        for s in &self.secrets {
            if s.verify.is_empty() {
                let why = match &s.verify_skip {
                    Some(reason) => format!("its entry says `verify: skip` ({reason})"),
                    None => "add verify steps to its manifest entry".to_string(),
                };
                return Err(PlanError::Refused(format!(
                    "`{}` has no verify step, so nothing can check it: {why}",
                    s.name
                )));
            }
        }
        self.run(StepList::Verify, None);
        Ok(())
    }

    fn start(&mut self) -> Result<(), PlanError> {
        for s in &self.secrets {
            if s.strategy == Strategy::Swap && !self.follows(s) {
                return Err(PlanError::Refused(format!(
                    "`{}` uses strategy swap (its old value dies when a new one is issued): run `vaultrot rotate {0}`",
                    s.name
                )));
            }
        }
        match self.shared()? {
            None => {
                for s in &self.secrets {
                    self.check_fresh(s)?;
                }
                self.plan.kind = Some(RotationKind::Dual);
                let names = self.names();
                self.make_values(&names);
                self.push(Action::Open {
                    kind: RotationKind::Dual,
                    reason: None,
                });
                self.stage(&names);
            }
            Some(r) if r.kind == RotationKind::Dual && r.phase == RotationPhase::Starting => {
                self.adopt(r);
                let regenerate = self.resume_staged(r, false)?;
                let kept = self.secrets.len() - regenerate.len();
                self.push(Action::Say(format!(
                    "resuming rotation {}: {kept} staged value(s) kept, {} to make",
                    r.id,
                    regenerate.len()
                )));
                self.restage(&regenerate);
            }
            Some(r) if r.kind == RotationKind::Dual && r.phase == RotationPhase::Dual => {
                return Err(PlanError::Refused(format!(
                    "{} already has an open rotation ({}): run `vaultrot finish {}` or `vaultrot abort {2}`",
                    self.subject(),
                    r.id,
                    r.group_or(&self.secrets[0].name).join(" ")
                )));
            }
            Some(r) => return Err(self.wrong_phase(r)),
        }
        self.run(StepList::Deploy, Some(Phase::Start));
        self.run(StepList::Verify, Some(Phase::Start));
        // The changelog entry before phase dual: it is idempotent, so a re-run
        // after a kill in between logs it once; after phase dual a re-run of
        // start is refused and could no longer add it.
        self.push(Action::Changelog(ChangelogEvent::Started));
        self.push(Action::RecordPhase(RotationPhase::Dual));
        self.notify(Event::Started, Phase::Start);
        let names = self.names().join(" ");
        self.push(Action::Say(format!(
            "rotation {} is open: services accept old and new values. When connections have moved, run `vaultrot finish {names}`",
            self.plan.id
        )));
        Ok(())
    }

    /// Adds each generated value as `X_new`.
    fn stage(&mut self, names: &[String]) {
        let names = names.to_vec();
        self.write("stage", |s| {
            if names.contains(&s.name) {
                vec![KeyChange::Set {
                    secret: s.name.clone(),
                    key: s.new_key(),
                    source: Source::Generated,
                }]
            } else {
                Vec::new()
            }
        });
    }

    fn restage(&mut self, regenerate: &[String]) {
        if regenerate.is_empty() {
            return;
        }
        self.make_values(regenerate);
        self.push(Action::RecordFingerprints {
            secrets: regenerate.to_vec(),
        });
        self.stage(regenerate);
    }

    /// A resumed `starting` phase: `X` still the old value; `X_new` kept when
    /// it is the value recorded, made again when it never reached the vault.
    /// `fresh_on_mismatch` (compromised): a different `X_new` is replaced.
    fn resume_staged(
        &self,
        r: &Rotation,
        fresh_on_mismatch: bool,
    ) -> Result<Vec<String>, PlanError> {
        let mut regenerate = Vec::new();
        for s in &self.secrets {
            let f = self.facts(&s.name);
            self.expect(s, r, &s.name, &f.current, &r_of(s).old_fingerprint, "old")?;
            self.expect_absent(s, r, &s.previous_key(), &f.previous)?;
            match (&f.new, &r_of(s).new_fingerprint) {
                (Some(_), _) if f.new_is_template => regenerate.push(s.name.clone()),
                (Some(held), Some(want)) if held == want => {}
                (None, _) => regenerate.push(s.name.clone()),
                (Some(_), _) if fresh_on_mismatch => regenerate.push(s.name.clone()),
                (Some(_), None) => {}
                (Some(_), Some(_)) => {
                    return Err(self.diverged(
                        s,
                        format!("`{}` no longer holds the value start stored", s.new_key()),
                        r,
                    ));
                }
            }
        }
        // A value minted from a source that is made again is minted again.
        loop {
            let more: Vec<String> = self
                .secrets
                .iter()
                .filter(|s| {
                    !regenerate.contains(&s.name)
                        && s.derived_from
                            .as_ref()
                            .is_some_and(|src| regenerate.contains(src))
                })
                .map(|s| s.name.clone())
                .collect();
            if more.is_empty() {
                break;
            }
            regenerate.extend(more);
        }
        Ok(regenerate)
    }

    fn finish(&mut self) -> Result<(), PlanError> {
        let shared = self.shared()?;
        let Some(r) = shared else {
            let done: Vec<String> = self
                .secrets
                .iter()
                .filter_map(|s| {
                    let last = s.history.last()?;
                    (last.event == HistoryEvent::Finished).then(|| {
                        format!(
                            "`{}` ({}, {})",
                            s.name,
                            last.id.as_deref().unwrap_or("?"),
                            last.at.format("%Y-%m-%d")
                        )
                    })
                })
                .collect();
            if done.len() == self.secrets.len() {
                self.push(Action::Say(format!(
                    "already finished, nothing to do: {}",
                    done.join(", ")
                )));
                return Ok(());
            }
            return Err(PlanError::Refused(format!(
                "{} has no open rotation: run `vaultrot start {}` first",
                self.subject(),
                self.names().join(" ")
            )));
        };
        self.adopt(r);
        if r.kind != RotationKind::Dual {
            return Err(self.wrong_phase(r));
        }
        match r.phase {
            RotationPhase::Dual => {
                if !self.opts.force {
                    for s in &self.secrets {
                        let window = self.opts.min_window.or(s.min_window);
                        if let Some(window) = window
                            && let Some(ready) = window.after(r.started.date_naive())
                            && self.opts.now.date_naive() < ready
                        {
                            return Err(PlanError::Refused(format!(
                                "the dual window of `{}` opened {} and must last until {ready} (min_window): wait, or pass --force",
                                s.name,
                                r.started.format("%Y-%m-%d")
                            )));
                        }
                    }
                }
                self.check_dual(r)?;
                self.promote(r)?;
            }
            RotationPhase::Promoting | RotationPhase::Promoted | RotationPhase::Revoked => {
                self.promote(r)?
            }
            _ => return Err(self.wrong_phase(r)),
        }
        self.complete(r, Phase::Finish, Ending::Finished)
    }

    /// While `dual`: `X` old, `X_new` the value start stored, no `X_previous`.
    fn check_dual(&self, r: &Rotation) -> Result<(), PlanError> {
        for s in &self.secrets {
            let f = self.facts(&s.name);
            let rec = r_of(s);
            self.expect(s, r, &s.name, &f.current, &rec.old_fingerprint, "old")?;
            self.expect(s, r, &s.new_key(), &f.new, &rec.new_fingerprint, "new")?;
            self.expect_absent(s, r, &s.previous_key(), &f.previous)?;
        }
        Ok(())
    }

    /// From `dual`/`starting` (just checked) or a resumed `promoting`: the one
    /// promotion write (`X` := new, `X_previous` := old, `X_new` removed),
    /// between the intent records; a resumed later phase checks it happened.
    fn promote(&mut self, r: &Rotation) -> Result<(), PlanError> {
        let phase = r.phase;
        let mut write_needed = matches!(phase, RotationPhase::Dual | RotationPhase::Starting);
        if phase == RotationPhase::Promoting {
            // Before or after the write: both are consistent, anything else is not.
            let mut before = 0;
            for s in &self.secrets {
                let f = self.facts(&s.name);
                let rec = r_of(s);
                let pre = f.new.is_some()
                    && fp_matches(&f.new, &rec.new_fingerprint)
                    && fp_matches(&f.current, &rec.old_fingerprint)
                    && f.previous.is_none();
                let post = f.new.is_none()
                    && f.current.is_some()
                    && fp_matches(&f.current, &rec.new_fingerprint)
                    && f.previous.is_some()
                    && fp_matches(&f.previous, &rec.old_fingerprint);
                if pre {
                    before += 1;
                } else if !post {
                    self.check_promoted_one(s, r)?;
                }
            }
            write_needed = before > 0;
        }
        if matches!(phase, RotationPhase::Promoted) {
            self.check_promoted(r, true)?;
        }
        if matches!(phase, RotationPhase::Revoked) {
            self.check_promoted(r, false)?;
        }
        if matches!(
            phase,
            RotationPhase::Dual | RotationPhase::Starting | RotationPhase::Promoting
        ) {
            if phase != RotationPhase::Promoting {
                self.push(Action::RecordPhase(RotationPhase::Promoting));
            }
            if write_needed {
                let facts = self.facts.clone();
                self.write("promote", |s| {
                    let f = facts.get(&s.name).cloned().unwrap_or_default();
                    if f.new.is_none() && phase == RotationPhase::Promoting {
                        return Vec::new();
                    }
                    vec![
                        KeyChange::Set {
                            secret: s.name.clone(),
                            key: s.previous_key(),
                            source: Source::Current,
                        },
                        KeyChange::Set {
                            secret: s.name.clone(),
                            key: s.name.clone(),
                            source: Source::New,
                        },
                        KeyChange::Remove { key: s.new_key() },
                    ]
                });
            }
            self.push(Action::RecordPhase(RotationPhase::Promoted));
        }
        Ok(())
    }

    fn check_promoted_one(&self, s: &Secret, r: &Rotation) -> Result<(), PlanError> {
        let f = self.facts(&s.name);
        let rec = r_of(s);
        self.expect(s, r, &s.name, &f.current, &rec.new_fingerprint, "new")?;
        self.expect_absent(s, r, &s.new_key(), &f.new)?;
        self.expect(
            s,
            r,
            &s.previous_key(),
            &f.previous,
            &rec.old_fingerprint,
            "previous",
        )
    }

    /// After promotion: `X` is the new value, `X_previous` the old one
    /// (until revoke is done: `previous_required`).
    fn check_promoted(&self, r: &Rotation, previous_required: bool) -> Result<(), PlanError> {
        for s in &self.secrets {
            let f = self.facts(&s.name);
            let rec = r_of(s);
            self.expect(s, r, &s.name, &f.current, &rec.new_fingerprint, "new")?;
            self.expect_absent(s, r, &s.new_key(), &f.new)?;
            if previous_required || f.previous.is_some() {
                self.expect(
                    s,
                    r,
                    &s.previous_key(),
                    &f.previous,
                    &rec.old_fingerprint,
                    "previous",
                )?;
            }
        }
        Ok(())
    }

    /// After promotion: redeploy, verify, revoke (seeing `X_previous`), drop
    /// `X_previous`, log, close, notify.
    fn complete(&mut self, r: &Rotation, phase: Phase, ending: Ending) -> Result<(), PlanError> {
        let revoked = r.phase == RotationPhase::Revoked
            && !self
                .plan
                .actions
                .iter()
                .any(|a| matches!(a, Action::Open { .. }));
        if !revoked {
            self.run(StepList::Deploy, Some(phase));
            self.run(StepList::Verify, Some(phase));
            self.run(StepList::Revoke, Some(Phase::Revoke));
            self.push(Action::RecordPhase(RotationPhase::Revoked));
        }
        let facts = self.facts.clone();
        let fresh = !revoked;
        self.write("forget_previous", |s| {
            let present = facts.get(&s.name).is_some_and(|f| f.previous.is_some());
            // A resumed `revoked` run removes what is still there; earlier phases always wrote it.
            if fresh || present {
                vec![KeyChange::Remove {
                    key: s.previous_key(),
                }]
            } else {
                Vec::new()
            }
        });
        self.push(Action::Changelog(ChangelogEvent::Ended(ending)));
        self.push(Action::Close(ending));
        self.notify(Event::Finished, phase);
        self.push(Action::Say(format!(
            "rotation {} {}: {}",
            self.plan.id,
            ending.event().as_str(),
            self.names().join(", ")
        )));
        Ok(())
    }

    fn abort(&mut self) -> Result<(), PlanError> {
        let Some(r) = self.shared()? else {
            let done = self.secrets.iter().all(|s| {
                s.history
                    .last()
                    .is_some_and(|h| h.event == HistoryEvent::Aborted)
            });
            if done {
                self.push(Action::Say(format!(
                    "already aborted, nothing to do: {}",
                    self.subject()
                )));
                return Ok(());
            }
            return Err(PlanError::Refused(format!(
                "{} has no open rotation to abort",
                self.subject()
            )));
        };
        self.adopt(r);
        match r.phase {
            RotationPhase::Starting | RotationPhase::Dual | RotationPhase::Aborting => {}
            RotationPhase::Promoting | RotationPhase::Promoted => {
                return Err(PlanError::Refused(format!(
                    "{} was already promoted: abort no longer applies; run `{}` to complete it, or `vaultrot rollback {}` to put the previous value back",
                    self.subject(),
                    next_command(r, &self.names()),
                    self.names().join(" ")
                )));
            }
            _ => return Err(self.wrong_phase(r)),
        }
        for s in &self.secrets {
            let f = self.facts(&s.name);
            let rec = r_of(s);
            self.expect(s, r, &s.name, &f.current, &rec.old_fingerprint, "old")?;
            // A resumed abort may find the withdrawn value already moved to `X_previous`.
            if r.phase == RotationPhase::Aborting && f.new.is_none() && f.previous.is_some() {
                self.expect(
                    s,
                    r,
                    &s.previous_key(),
                    &f.previous,
                    &rec.new_fingerprint,
                    "withdrawn",
                )?;
            } else {
                self.expect_absent(s, r, &s.previous_key(), &f.previous)?;
            }
        }
        if r.phase != RotationPhase::Aborting {
            self.push(Action::RecordPhase(RotationPhase::Aborting));
        }
        // The withdrawn value becomes `X_previous`, the value going away, so
        // that revoke steps can revoke it (a minted token deleted by its id).
        let facts = self.facts.clone();
        self.write("withdraw", |s| {
            if facts.get(&s.name).is_some_and(|f| f.new.is_some()) {
                vec![
                    KeyChange::Set {
                        secret: s.name.clone(),
                        key: s.previous_key(),
                        source: Source::New,
                    },
                    KeyChange::Remove { key: s.new_key() },
                ]
            } else {
                Vec::new()
            }
        });
        self.run(StepList::Deploy, Some(Phase::Abort));
        self.run(StepList::Verify, Some(Phase::Abort));
        self.run(StepList::Revoke, Some(Phase::Revoke));
        let facts = self.facts.clone();
        self.write("forget_withdrawn", |s| {
            // Written by the withdraw above, or found by a resumed run.
            if facts
                .get(&s.name)
                .is_some_and(|f| f.new.is_some() || f.previous.is_some())
            {
                vec![KeyChange::Remove {
                    key: s.previous_key(),
                }]
            } else {
                Vec::new()
            }
        });
        self.push(Action::Changelog(ChangelogEvent::Ended(Ending::Aborted)));
        self.push(Action::Close(Ending::Aborted));
        self.notify(Event::Aborted, Phase::Abort);
        self.push(Action::Say(format!(
            "rotation {} aborted: {}",
            self.plan.id,
            self.names().join(", ")
        )));
        Ok(())
    }

    fn rotate(&mut self, compromised: bool) -> Result<(), PlanError> {
        if !compromised {
            for s in &self.secrets {
                if s.strategy != Strategy::Swap && !self.follows(s) {
                    return Err(PlanError::Refused(format!(
                        "`{}` uses strategy dual: run `vaultrot start {0}` then `vaultrot finish {0}` (or `rotate --compromised --reason WHY` for an incident)",
                        s.name
                    )));
                }
            }
        }
        let kind = if compromised {
            RotationKind::Compromised
        } else {
            RotationKind::Swap
        };
        let ending = if compromised {
            Ending::Compromised
        } else {
            Ending::Rotated
        };
        let shared = self.shared()?;
        let reason = self.opts.reason.clone().filter(|r| !r.trim().is_empty());
        match shared {
            None => {
                if compromised && reason.is_none() {
                    return Err(PlanError::Usage(
                        "--compromised needs --reason WHY (it goes into the history and CHANGELOG)"
                            .into(),
                    ));
                }
                for s in &self.secrets {
                    self.check_fresh(s)?;
                }
                self.open_fresh(kind, reason);
            }
            Some(r) if r.kind == kind => {
                self.adopt(r);
                if compromised {
                    if let Some(given) = &reason
                        && r.reason.as_deref() != Some(given.as_str())
                    {
                        self.push(Action::Say(format!(
                            "resuming compromised rotation {}: keeping its recorded reason",
                            r.id
                        )));
                    }
                    if self.plan.reason.is_none() {
                        self.plan.reason = reason;
                    }
                }
                if r.phase == RotationPhase::Starting {
                    let regenerate = self.resume_staged(r, compromised)?;
                    self.restage(&regenerate);
                } else if !matches!(
                    r.phase,
                    RotationPhase::Promoting | RotationPhase::Promoted | RotationPhase::Revoked
                ) {
                    return Err(self.wrong_phase(r));
                }
            }
            Some(r)
                if compromised
                    && matches!(r.phase, RotationPhase::Starting | RotationPhase::Dual) =>
            {
                // The staged `_new` sat in client configs during the window:
                // it may be exposed too, so it is discarded for a fresh value.
                if reason.is_none() {
                    return Err(PlanError::Usage(
                        "--compromised needs --reason WHY (it goes into the history and CHANGELOG)"
                            .into(),
                    ));
                }
                for s in &self.secrets {
                    let f = self.facts(&s.name);
                    self.expect(s, r, &s.name, &f.current, &r_of(s).old_fingerprint, "old")?;
                    self.expect_absent(s, r, &s.previous_key(), &f.previous)?;
                }
                self.push(Action::Say(format!(
                    "discarding the staged value of rotation {} ({}): a compromised rotation uses a fresh one",
                    r.id,
                    self.names().join(", ")
                )));
                self.open_fresh(kind, reason);
            }
            Some(r) if r.kind == RotationKind::Dual && !compromised => {
                return Err(PlanError::Refused(format!(
                    "{} has a dual rotation open ({}, phase {}): run `{}` first",
                    self.subject(),
                    r.id,
                    r.phase,
                    next_command(r, &self.names())
                )));
            }
            Some(r) => return Err(self.wrong_phase(r)),
        }
        if !compromised {
            self.push(Action::Say(format!(
                "{} rotation of {}: the old value is replaced without an overlap window; services restart with the new value during the deploy steps (downtime until they are back)",
                kind.as_str(),
                self.names().join(", ")
            )));
        }
        if self.opened() {
            self.promote_opened();
            let mut record = self.synthetic(kind);
            record.phase = RotationPhase::Promoted;
            self.complete(&record, Phase::Rotate, ending)
        } else {
            let r = r_of(self.secrets[0]).clone();
            self.promote(&r)?;
            self.complete(&r, Phase::Rotate, ending)
        }
    }

    fn opened(&self) -> bool {
        self.plan
            .actions
            .iter()
            .any(|a| matches!(a, Action::Open { .. }))
    }

    /// Generate, open (replacing any record), stage.
    fn open_fresh(&mut self, kind: RotationKind, reason: Option<String>) {
        self.plan.kind = Some(kind);
        self.plan.reason = reason.clone();
        let names = self.names();
        self.make_values(&names);
        self.push(Action::Open { kind, reason });
        self.stage(&names);
    }

    /// The promotion right after a stage in the same run.
    fn promote_opened(&mut self) {
        self.push(Action::RecordPhase(RotationPhase::Promoting));
        self.write("promote", |s| {
            vec![
                KeyChange::Set {
                    secret: s.name.clone(),
                    key: s.previous_key(),
                    source: Source::Current,
                },
                KeyChange::Set {
                    secret: s.name.clone(),
                    key: s.name.clone(),
                    source: Source::New,
                },
                KeyChange::Remove { key: s.new_key() },
            ]
        });
        self.push(Action::RecordPhase(RotationPhase::Promoted));
    }

    /// The record a rotation opened by this run will have.
    fn synthetic(&self, kind: RotationKind) -> Rotation {
        Rotation {
            pos: Default::default(),
            id: self.plan.id.clone(),
            phase: RotationPhase::Starting,
            started: self.opts.now,
            by: None,
            group: self.names(),
            kind,
            old_fingerprint: None,
            new_fingerprint: None,
            reason: self.plan.reason.clone(),
            awaiting: None,
        }
    }

    fn rollback(&mut self) -> Result<(), PlanError> {
        let Some(r) = self.shared()? else {
            return Err(PlanError::Refused(format!(
                "{} has no open rotation: rollback puts back the previous value of a rotation that was promoted and not yet revoked",
                self.subject()
            )));
        };
        self.adopt(r);
        if r.kind == RotationKind::Compromised {
            return Err(PlanError::Refused(format!(
                "rotation {} is a compromised rotation: rolling back would put the compromised value back; run `{}`",
                r.id,
                next_command(r, &self.names())
            )));
        }
        match r.phase {
            RotationPhase::Promoted => {
                self.check_promoted(r, true)?;
                self.push(Action::RecordPhase(RotationPhase::RollingBack));
                self.roll_back_write();
            }
            RotationPhase::RollingBack => {
                let mut pending = false;
                for s in &self.secrets {
                    let f = self.facts(&s.name);
                    let rec = r_of(s);
                    let done = f.previous.is_none()
                        && f.new.is_none()
                        && f.current.is_some()
                        && fp_matches(&f.current, &rec.old_fingerprint);
                    if !done {
                        self.check_promoted_one(s, r)?;
                        pending = true;
                    }
                }
                if pending {
                    self.roll_back_write();
                }
            }
            RotationPhase::Revoked => {
                return Err(PlanError::Refused(format!(
                    "the previous value of {} was already revoked: rollback is no longer possible; run `{}`",
                    self.subject(),
                    next_command(r, &self.names())
                )));
            }
            _ => {
                return Err(PlanError::Refused(format!(
                    "{} is in phase {} of rotation {}: rollback applies after promotion (phase promoted); run `{}`",
                    self.subject(),
                    r.phase,
                    r.id,
                    next_command(r, &self.names())
                )));
            }
        }
        self.run(StepList::Deploy, Some(Phase::Rollback));
        self.run(StepList::Verify, Some(Phase::Rollback));
        self.push(Action::Changelog(ChangelogEvent::Ended(Ending::RolledBack)));
        self.push(Action::Close(Ending::RolledBack));
        self.notify(Event::RolledBack, Phase::Rollback);
        self.push(Action::Say(format!(
            "rotation {} rolled back: {} hold their previous values again",
            self.plan.id,
            self.names().join(", ")
        )));
        Ok(())
    }

    fn roll_back_write(&mut self) {
        self.write("roll_back", |s| {
            vec![
                KeyChange::Set {
                    secret: s.name.clone(),
                    key: s.name.clone(),
                    source: Source::Previous,
                },
                KeyChange::Remove {
                    key: s.previous_key(),
                },
            ]
        });
    }
}

fn r_of(secret: &Secret) -> &Rotation {
    secret
        .rotation
        .as_ref()
        .expect("checked by shared(): every named secret has the record")
}

fn fp_matches(held: &Option<String>, recorded: &Option<String>) -> bool {
    match (held, recorded) {
        (Some(h), Some(r)) => h == r,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

impl Rotation {
    /// The secrets of this rotation's window (itself alone when not a group).
    pub fn group_or(&self, name: &str) -> Vec<String> {
        if self.group.is_empty() {
            vec![name.to_string()]
        } else {
            self.group.clone()
        }
    }
}

/// The command that moves an open rotation on from its phase.
pub fn next_command(r: &Rotation, names: &[String]) -> String {
    let command = match (r.kind, r.phase) {
        (_, RotationPhase::Aborting) => Command::Abort,
        (_, RotationPhase::RollingBack) => Command::Rollback,
        (RotationKind::Dual, RotationPhase::Starting) => Command::Start,
        (RotationKind::Dual, _) => Command::Finish,
        (RotationKind::Swap, _) => Command::Rotate { compromised: false },
        (RotationKind::Compromised, _) => Command::Rotate { compromised: true },
    };
    let line = command.line(names);
    match &r.awaiting {
        Some(_) => format!("{line} --confirm"),
        None => line,
    }
}

/// The re-checks of a verify step as the named secrets' manifest entries
/// set them; a step merged from several (a playbook with the union of their
/// tags) takes the most patient.
pub fn retry_of<'s>(
    secrets: impl IntoIterator<Item = &'s Secret>,
    step: &StepAction,
) -> Option<Retry> {
    let same = |a: &StepAction| match (a, step) {
        (StepAction::Playbook(p), StepAction::Playbook(q)) => {
            p.playbook == q.playbook && p.inventory == q.inventory && p.limit == q.limit
        }
        (a, b) => a == b,
    };
    secrets
        .into_iter()
        .flat_map(|s| &s.verify)
        .filter(|s| same(&s.action))
        .filter_map(|s| s.retry)
        .max_by_key(|r| (r.retries, r.delay_secs))
}

/// Steps in first-seen order; playbook steps differing only in tags merge
/// (the union of their tags; a step with no tags runs the whole playbook).
pub fn merge_steps<'s>(steps: impl IntoIterator<Item = &'s Step>) -> Vec<StepAction> {
    let mut out: Vec<StepAction> = Vec::new();
    for step in steps {
        match &step.action {
            StepAction::Playbook(p) => {
                let same = out.iter_mut().find_map(|a| match a {
                    StepAction::Playbook(q)
                        if q.playbook == p.playbook
                            && q.inventory == p.inventory
                            && q.limit == p.limit
                            && q.extra_vars == p.extra_vars =>
                    {
                        Some(q)
                    }
                    _ => None,
                });
                match same {
                    Some(q) => {
                        if q.tags.is_empty() || p.tags.is_empty() {
                            q.tags.clear();
                        } else {
                            for tag in &p.tags {
                                if !q.tags.contains(tag) {
                                    q.tags.push(tag.clone());
                                }
                            }
                        }
                    }
                    None => out.push(step.action.clone()),
                }
            }
            other => {
                if !out.contains(other) {
                    out.push(other.clone());
                }
            }
        }
    }
    out
}
