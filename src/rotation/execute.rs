//! The executor: performs a [`Plan`] action by action through a [`World`]
//! (the vault, the manifest record, the step runner, the changelog, the
//! operator). It decides nothing the planner did not; it only resolves the
//! values the plan names and stops cleanly at a manual step nobody confirms.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use zeroize::Zeroizing;

use super::RotationError;
use super::notify::{self, Event, Notice};
use super::plan::{Action, ChangelogEvent, Ending, Facts, KeyChange, Plan, Source, StepList};
use crate::ansible::playbook::Phase;
use crate::manifest::{Manifest, RotationKind, RotationPhase, Secret, StepAction};

/// A write to the manifest's rotation record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Open {
        id: String,
        kind: RotationKind,
        started: DateTime<Utc>,
        by: String,
        group: Vec<String>,
        reason: Option<String>,
        /// Per secret: (old, new) fingerprints.
        fingerprints: BTreeMap<String, (Option<String>, Option<String>)>,
    },
    Fingerprints(BTreeMap<String, String>),
    Phase(RotationPhase),
    Awaiting(Option<String>),
    Close {
        id: String,
        ending: Ending,
        at: DateTime<Utc>,
        by: String,
        reason: Option<String>,
        last_rotation: Option<NaiveDate>,
    },
}

/// A vault change with its value resolved.
pub enum Change {
    Set {
        /// The canonical key it goes after when it is new.
        after: String,
        key: String,
        value: Zeroizing<String>,
    },
    Remove {
        key: String,
    },
}

/// What an operator answered to a manual step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    Done,
    Declined,
    /// No terminal to ask on.
    Unattended,
}

/// The effects a plan has. The real one touches files and runs children;
/// the model test keeps everything in memory.
pub trait World {
    /// A new value for `secret` (random, minted or from the operator).
    fn generate(&mut self, secret: &Secret) -> Result<Zeroizing<String>, RotationError>;
    /// A new value for a derived `secret`, minted from its source's `value`
    /// (given to the mint command on stdin, never in argv or environment).
    fn mint(&mut self, secret: &Secret, source: &str) -> Result<Zeroizing<String>, RotationError>;
    /// Runs one notify step for `notice` (the owner's share of it).
    fn notify(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        notice: &Notice,
        owner: Option<&str>,
    ) -> Result<(), RotationError>;
    /// The keyed fingerprint of `value` as the vault facts give them.
    fn fingerprint(&self, name: &str, value: &[u8]) -> String;
    /// The value of `key` in `file`.
    fn read(&mut self, file: &Path, key: &str) -> Result<Option<Zeroizing<String>>, RotationError>;
    /// One atomic write of `file` (keeping its previous ciphertext).
    fn write_vault(&mut self, file: &Path, changes: Vec<Change>) -> Result<(), RotationError>;
    /// One atomic write of the rotation record of `names`.
    fn record(&mut self, names: &[String], record: Record) -> Result<(), RotationError>;
    fn run_step(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        list: StepList,
    ) -> Result<(), RotationError>;
    fn confirm(&mut self, instruction: &str) -> Result<Confirmation, RotationError>;
    /// Waits before a verify step is checked again (`delay`).
    fn wait(&mut self, secs: u64);
    fn changelog(
        &mut self,
        event: ChangelogEvent,
        plan: &Plan,
        confirmed_by: Option<&str>,
    ) -> Result<(), RotationError>;
    fn say(&mut self, message: &str);
    /// Crash tests stop the command right after a named write.
    fn crash_point(&mut self, point: &str) -> Result<(), RotationError>;
}

/// Who runs the command and how.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub now: DateTime<Utc>,
    pub user: String,
    /// `--confirm`: the awaited manual step was done.
    pub confirm: bool,
}

/// Performs `plan`. `facts` are the fingerprints the plan was made from.
pub fn execute<W: World>(
    world: &mut W,
    manifest: &Manifest,
    facts: &Facts,
    plan: &Plan,
    opts: &RunOptions,
) -> Result<(), RotationError> {
    let mut run = Run {
        world,
        manifest,
        facts,
        plan,
        opts,
        generated: BTreeMap::new(),
        confirmed_by: None,
        awaited: plan
            .names
            .first()
            .and_then(|n| manifest.secret(n))
            .and_then(|s| s.rotation.as_ref())
            .and_then(|r| r.awaiting.clone()),
        open: plan
            .names
            .first()
            .and_then(|n| manifest.secret(n))
            .is_some_and(|s| s.rotation.is_some()),
    };
    for action in &plan.actions {
        if let Err(e) = run.act(action) {
            run.tell_failure(&e);
            return Err(e);
        }
    }
    Ok(())
}

struct Run<'r, W: World> {
    world: &'r mut W,
    manifest: &'r Manifest,
    facts: &'r Facts,
    plan: &'r Plan,
    opts: &'r RunOptions,
    generated: BTreeMap<String, Zeroizing<String>>,
    confirmed_by: Option<String>,
    /// The manual step the record says the rotation waits for.
    awaited: Option<String>,
    /// Whether a rotation record exists to note an awaited step in.
    open: bool,
}

impl<W: World> Run<'_, W> {
    fn secret(&self, name: &str) -> Result<&Secret, RotationError> {
        self.manifest
            .secret(name)
            .ok_or_else(|| RotationError::NotInManifest(name.to_owned()))
    }

    fn generated_fingerprint(&self, name: &str) -> Result<String, RotationError> {
        let value = self
            .generated
            .get(name)
            .ok_or_else(|| RotationError::Vault(format!("no new value was made for `{name}`")))?;
        Ok(self.world.fingerprint(name, value.as_bytes()))
    }

    fn act(&mut self, action: &Action) -> Result<(), RotationError> {
        match action {
            Action::Generate { secrets } => {
                for name in secrets {
                    let secret = self.secret(name)?.clone();
                    let value = self.world.generate(&secret)?;
                    if value.is_empty() {
                        return Err(RotationError::Usage(format!(
                            "the new value of `{name}` is empty"
                        )));
                    }
                    self.generated.insert(name.clone(), value);
                }
            }
            Action::Mint {
                secret,
                from,
                source,
            } => {
                let derived = self.secret(secret)?.clone();
                let file = self.secret(from)?.vault.clone();
                let value = match source {
                    Source::Generated => self.generated.get(from).cloned().ok_or_else(|| {
                        RotationError::Vault(format!("no new value was made for `{from}`"))
                    })?,
                    Source::Current => self.read(&file, from)?,
                    Source::New => self.read(&file, &format!("{from}_new"))?,
                    Source::Previous => self.read(&file, &format!("{from}_previous"))?,
                };
                let minted = self.world.mint(&derived, &value)?;
                if minted.is_empty() {
                    return Err(RotationError::Usage(format!(
                        "the new value of `{secret}` is empty"
                    )));
                }
                self.generated.insert(secret.clone(), minted);
            }
            Action::Open { kind, reason } => {
                let mut fingerprints = BTreeMap::new();
                for name in &self.plan.names {
                    let old = self.facts.get(name).and_then(|f| f.current.clone());
                    let new = self.generated_fingerprint(name)?;
                    fingerprints.insert(name.clone(), (old, Some(new)));
                }
                let record = Record::Open {
                    id: self.plan.id.clone(),
                    kind: *kind,
                    started: self.opts.now,
                    by: self.opts.user.clone(),
                    group: self.plan.names.clone(),
                    reason: reason.clone(),
                    fingerprints,
                };
                self.world.record(&self.plan.names, record)?;
                self.open = true;
                self.awaited = None;
                self.world.crash_point("open")?;
            }
            Action::RecordFingerprints { secrets } => {
                let mut fingerprints = BTreeMap::new();
                for name in secrets {
                    fingerprints.insert(name.clone(), self.generated_fingerprint(name)?);
                }
                self.world
                    .record(&self.plan.names, Record::Fingerprints(fingerprints))?;
                self.world.crash_point("fingerprint")?;
            }
            Action::WriteVault {
                file,
                changes,
                point,
            } => {
                let mut resolved = Vec::with_capacity(changes.len());
                for change in changes {
                    resolved.push(self.resolve(file, change)?);
                }
                self.world.write_vault(file, resolved)?;
                self.world.crash_point(point)?;
            }
            Action::RecordPhase(phase) => {
                self.world.record(&self.plan.names, Record::Phase(*phase))?;
                self.world.crash_point(phase.as_str())?;
            }
            Action::RunSteps { list, phase, steps } => {
                for step in steps {
                    self.step(step, *phase, *list)?;
                }
            }
            Action::Changelog(event) => {
                self.world
                    .changelog(*event, self.plan, self.confirmed_by.as_deref())?;
                self.world.crash_point("changelog")?;
            }
            Action::Close(ending) => {
                let record = Record::Close {
                    id: self.plan.id.clone(),
                    ending: *ending,
                    at: self.opts.now,
                    by: self.opts.user.clone(),
                    reason: self.plan.reason.clone(),
                    last_rotation: ending.rotates().then(|| self.opts.now.date_naive()),
                };
                self.world.record(&self.plan.names, record)?;
                self.open = false;
                self.world.crash_point("close")?;
            }
            Action::Notify { event, phase, .. } => {
                let notice = self.notice(*event, self.summary(*event));
                notify::send(self.world, self.manifest, &notice, Some(*phase));
            }
            Action::Say(message) => self.world.say(message),
        }
        Ok(())
    }

    fn resolve(&mut self, file: &Path, change: &KeyChange) -> Result<Change, RotationError> {
        Ok(match change {
            KeyChange::Remove { key } => Change::Remove { key: key.clone() },
            KeyChange::Set {
                secret,
                key,
                source,
            } => {
                let value = match source {
                    Source::Generated => self.generated.get(secret).cloned().ok_or_else(|| {
                        RotationError::Vault(format!("no new value was made for `{secret}`"))
                    })?,
                    Source::Current => self.read(file, secret)?,
                    Source::New => self.read(file, &format!("{secret}_new"))?,
                    Source::Previous => self.read(file, &format!("{secret}_previous"))?,
                };
                Change::Set {
                    after: secret.clone(),
                    key: key.clone(),
                    value,
                }
            }
        })
    }

    fn read(&mut self, file: &Path, key: &str) -> Result<Zeroizing<String>, RotationError> {
        self.world.read(file, key)?.ok_or_else(|| {
            RotationError::Vault(format!(
                "{}: `{key}` is missing although the plan was made with it; nothing was written: re-run the command",
                file.display()
            ))
        })
    }

    fn step(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        list: StepList,
    ) -> Result<(), RotationError> {
        let StepAction::Manual(text) = step else {
            let mut result = self.world.run_step(step, phase, list);
            if list == StepList::Verify
                && result.is_err()
                && let Some(retry) = super::plan::retry_of(
                    self.plan
                        .names
                        .iter()
                        .filter_map(|n| self.manifest.secret(n)),
                    step,
                )
            {
                result = again(self.world, step, phase, list, retry, result);
            }
            return result.map_err(|e| match e {
                RotationError::Step(_) | RotationError::Playbook(_) => RotationError::StepFailed {
                    list,
                    phase,
                    cause: Box::new(e),
                    resume: self.resume_hint(),
                },
                other => other,
            });
        };
        let single = text.split_whitespace().collect::<Vec<_>>().join(" ");
        self.world
            .say(&format!("manual {} step: {text}", list.as_str()));
        let confirmed_here = self.opts.confirm
            && match &self.awaited {
                Some(awaited) => *awaited == single,
                None => true,
            };
        let answer = if confirmed_here {
            Confirmation::Done
        } else {
            self.world.confirm(text)?
        };
        match answer {
            Confirmation::Done => {
                self.confirmed_by = Some(self.opts.user.clone());
                if self.awaited.as_deref() == Some(single.as_str()) {
                    self.world
                        .record(&self.plan.names, Record::Awaiting(None))?;
                    self.awaited = None;
                }
                Ok(())
            }
            Confirmation::Declined => Err(RotationError::Step(format!(
                "the manual {} step was not confirmed: {single}\nNothing was lost: re-run `{}` when it is done",
                list.as_str(),
                self.resume_line()
            ))),
            Confirmation::Unattended => {
                if self.open {
                    self.world
                        .record(&self.plan.names, Record::Awaiting(Some(single.clone())))?;
                }
                Err(RotationError::Awaiting(format!(
                    "waiting for a manual {} step: {single}\nWhen it is done, run `{} --confirm`",
                    list.as_str(),
                    self.resume_line()
                )))
            }
        }
    }

    fn notice(&self, event: Event, summary: String) -> Notice {
        Notice {
            event,
            secrets: self.plan.names.clone(),
            rotation_id: Some(self.plan.id.clone()),
            summary,
        }
    }

    /// The one line a notify step gets: names, ids, commands; never a value.
    fn summary(&self, event: Event) -> String {
        let names = self.plan.names.join(" ");
        let id = &self.plan.id;
        let by = &self.opts.user;
        match event {
            Event::Started => format!(
                "rotation {id} of {names} started by {by}: old and new values are both valid until `vaultrot finish {names}`"
            ),
            Event::Finished => {
                let how = match self.plan.kind {
                    Some(RotationKind::Swap) => "rotated (swap)",
                    Some(RotationKind::Compromised) => "rotated as compromised",
                    _ => "finished",
                };
                format!("rotation {id} of {names} {how} by {by}")
            }
            Event::Aborted => format!("rotation {id} of {names} aborted by {by}"),
            Event::RolledBack => format!(
                "rotation {id} of {names} rolled back by {by}: the previous values are in use again"
            ),
            other => format!("rotation {id} of {names}: {}", other.as_str()),
        }
    }

    /// A rotation command that stopped tells the owners: waiting for a
    /// person (`awaiting`) or failed. Nothing to tell when nothing was
    /// under way (the plan only said something).
    fn tell_failure(&mut self, error: &RotationError) {
        if self.plan.command == super::plan::Command::Verify {
            return;
        }
        let first = error.to_string();
        let first = first.lines().next().unwrap_or_default().to_string();
        let (event, summary) = match error {
            RotationError::Awaiting(_) => (
                Event::Awaiting,
                format!(
                    "rotation {} of {} is {first}; when done: `{} --confirm`",
                    self.plan.id,
                    self.plan.names.join(" "),
                    self.resume_line()
                ),
            ),
            _ => (
                Event::Failed,
                format!(
                    "`{}` failed (rotation {}): {first}",
                    self.resume_line(),
                    self.plan.id
                ),
            ),
        };
        let phase = match self.plan.command {
            super::plan::Command::Start => Some(Phase::Start),
            super::plan::Command::Finish => Some(Phase::Finish),
            super::plan::Command::Abort => Some(Phase::Abort),
            super::plan::Command::Rollback => Some(Phase::Rollback),
            super::plan::Command::Rotate { .. } => Some(Phase::Rotate),
            super::plan::Command::Verify => None,
        };
        let notice = self.notice(event, summary);
        notify::send(self.world, self.manifest, &notice, phase);
    }

    fn resume_line(&self) -> String {
        let mut line = self.plan.command.line(&self.plan.names);
        if let Some(reason) = &self.plan.reason
            && matches!(
                self.plan.command,
                super::plan::Command::Rotate { compromised: true }
            )
        {
            line.push_str(&format!(" --reason {}", shell_quote(reason)));
        }
        line
    }

    /// How to go on after a failed step: resume, or undo. `None` for
    /// `verify`, which changes nothing.
    fn resume_hint(&self) -> Option<String> {
        if self.plan.command == super::plan::Command::Verify {
            return None;
        }
        let mut hint = format!("re-run `{}` to resume", self.resume_line());
        match self.plan.command {
            super::plan::Command::Start => {
                hint.push_str(&format!(
                    ", or `vaultrot abort {}`",
                    self.plan.names.join(" ")
                ));
            }
            super::plan::Command::Finish
                if self
                    .plan
                    .actions
                    .iter()
                    .any(|a| matches!(a, Action::RecordPhase(RotationPhase::Promoted))) =>
            {
                hint.push_str(&format!(
                    ", or `vaultrot rollback {}` to put the previous value back",
                    self.plan.names.join(" ")
                ));
            }
            _ => {}
        }
        Some(hint)
    }
}

/// `retries: N, delay: D`: a failed verify step runs again, up to N times,
/// D apart; its last result counts.
pub fn again<W: World + ?Sized>(
    world: &mut W,
    step: &StepAction,
    phase: Option<Phase>,
    list: StepList,
    retry: crate::manifest::Retry,
    mut result: Result<(), RotationError>,
) -> Result<(), RotationError> {
    for attempt in 1..=retry.retries {
        if result.is_ok() {
            break;
        }
        world.say(&format!(
            "{} step {} failed; checking again in {}s (retry {attempt} of {})",
            list.as_str(),
            step.describe(),
            retry.delay_secs,
            retry.retries
        ));
        world.wait(retry.delay_secs);
        result = world.run_step(step, phase, list);
    }
    result
}

pub fn shell_quote(text: &str) -> String {
    shlex::try_quote(text)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| text.to_string())
}
