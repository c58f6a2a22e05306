//! The runbook (docs/rotation.md) as resumable steps. Each command records its
//! intent in the manifest before it touches the vault, so a kill at any
//! instant leaves a state that re-running the same command completes:
//!
//! start:  open(starting) → vault += X_new → deploy(start) → verify → changelog → phase dual
//! finish: phase promoting → vault X := X_new, −X_new → phase promoted → deploy(finish)
//!         → verify → revoke → changelog → close(history, last_rotation) → notify
//! abort:  phase aborting → vault −X_new → deploy(abort) → verify → changelog → close
//! rotate: open(starting) → vault += X_new → promote as finish, with deploy(rotate)
//!
//! Store before deploy; verify before revoke; the old value stays in the
//! vault until the new one is verified; every vault write keeps a backup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::RotationError;
use super::generate;
use super::state::{self, CloseRecord, OpenRecord, RotationKind};
use crate::ansible::playbook::{self, Phase, PhaseVars, RunContext, Step};
use crate::changelog::{self, ChangelogEntry, ChangelogEvent};
use crate::fsutil::{self, FileMode, backup};
use crate::manifest::{Generate, Manifest, RotationPhase, Secret, StepAction};
use crate::vaultfile::document::{Change, SecretsFile};
use crate::vaultfile::{VaultContext, replace};

/// Where `external: true` values come from.
pub enum ValueSource {
    /// `--value-stdin`: one line per external secret, in command order.
    Stdin(Vec<Zeroizing<String>>),
    /// Ask on the terminal, without echo.
    Prompt,
}

/// Settings of one rotation command.
pub struct Options {
    pub dry_run: bool,
    pub force: bool,
    pub now: DateTime<Utc>,
    pub user: String,
    pub values: ValueSource,
    /// `rotate --compromised` reason for the changelog and history.
    pub reason: Option<String>,
    /// `finish --min-window`, overriding the policy's.
    pub min_window: Option<crate::manifest::Period>,
}

/// One rotation command at work.
pub struct Rotation<'a> {
    manifest: Manifest,
    ctx: &'a VaultContext,
    opts: Options,
    names: Vec<String>,
    /// Lines of the `--dry-run` plan (names and command lines, never values).
    pub plan: Vec<String>,
}

fn say(message: &str) {
    eprintln!("vaultrot: {message}");
}

/// Crash-safety tests kill the process right after a named write
/// (`VAULTROT_CRASH_AFTER=<point>`), as `kill -9` would: no cleanup runs.
fn crash_point(point: &str) {
    if std::env::var("VAULTROT_CRASH_AFTER").is_ok_and(|p| p == point) {
        eprintln!("vaultrot: test crash after {point}");
        let _ = std::process::Command::new("kill")
            .args(["-9", &std::process::id().to_string()])
            .status();
        std::process::abort();
    }
}

impl<'a> Rotation<'a> {
    pub fn new(
        manifest: Manifest,
        ctx: &'a VaultContext,
        names: Vec<String>,
        opts: Options,
    ) -> Result<Self, RotationError> {
        if names.is_empty() {
            return Err(RotationError::Usage("name at least one secret".into()));
        }
        for name in &names {
            if manifest.secret(name).is_none() {
                return Err(RotationError::Usage(format!(
                    "`{name}` is not in the manifest {}",
                    manifest.path.display()
                )));
            }
        }
        Ok(Rotation {
            manifest,
            ctx,
            opts,
            names,
            plan: Vec::new(),
        })
    }

    fn secrets(&self) -> Vec<&Secret> {
        self.names
            .iter()
            .filter_map(|n| self.manifest.secret(n))
            .collect()
    }

    fn reload(&mut self) -> Result<(), RotationError> {
        self.manifest = Manifest::load(&self.manifest.path)
            .map_err(|e| RotationError::Manifest(e.to_string()))?;
        Ok(())
    }

    /// The rotation id shared by the named secrets' open rotations, or a new one.
    fn rotation_id(&self) -> String {
        self.secrets()
            .iter()
            .find_map(|s| s.rotation.as_ref().map(|r| r.id.clone()))
            .unwrap_or_else(|| new_rotation_id(self.opts.now))
    }

    fn phases(&self) -> Vec<Option<RotationPhase>> {
        self.secrets()
            .iter()
            .map(|s| s.rotation.as_ref().map(|r| r.phase))
            .collect()
    }

    // ---- start -------------------------------------------------------------------

    /// `vaultrot start`: opens the dual window.
    pub fn start(&mut self) -> Result<(), RotationError> {
        for s in self.secrets() {
            if s.strategy == crate::manifest::Strategy::Swap {
                return Err(RotationError::Refused(format!(
                    "`{}` uses strategy swap (its old value dies when a new one is issued): run `vaultrot rotate {}`",
                    s.name, s.name
                )));
            }
            if let Some(r) = &s.rotation
                && r.kind != RotationKind::Dual
            {
                return Err(interrupted_rotate(&s.name, &r.id, r.kind));
            }
            match s.rotation.as_ref().map(|r| r.phase) {
                None | Some(RotationPhase::Starting) => {}
                Some(RotationPhase::Dual) => {
                    return Err(RotationError::Refused(format!(
                        "`{}` already has an open rotation ({}): run `vaultrot finish {0}` or `vaultrot abort {0}`",
                        s.name,
                        s.rotation.as_ref().map_or("", |r| r.id.as_str())
                    )));
                }
                Some(other) => return Err(self.wrong_phase(&s.name, other)),
            }
        }
        let id = self.rotation_id();
        let resuming = self.phases().iter().any(Option::is_some);
        if self.opts.dry_run {
            self.plan.push(format!(
                "rotation {id} (start{})",
                if resuming { ", resuming" } else { "" }
            ));
        }
        self.open_if_needed(&id, RotationKind::Dual)?;
        self.stage_new_values(&id)?;
        self.run_steps(Phase::Start, &id, StepKind::Deploy)?;
        self.run_steps(Phase::Start, &id, StepKind::Verify)?;
        if self.opts.dry_run {
            self.plan.push("CHANGELOG.md: started".into());
            self.plan.push(format!(
                "manifest: rotation phase dual for {}",
                self.names.join(", ")
            ));
            return Ok(());
        }
        // The changelog entry first: it is idempotent, so a re-run after a
        // kill here logs it once; phase dual is the last write, after which a
        // re-run of start is refused and could no longer add the entry.
        self.log_changelog(&id, ChangelogEvent::Started)?;
        crash_point("changelog");
        state::set_phase(&self.manifest.path, &self.names, RotationPhase::Dual)?;
        crash_point("dual");
        say(&format!(
            "rotation {id} is open: services accept old and new values. When connections have moved, run `vaultrot finish {}`",
            self.names.join(" ")
        ));
        Ok(())
    }

    fn open_if_needed(&mut self, id: &str, kind: RotationKind) -> Result<(), RotationError> {
        let to_open: Vec<String> = self
            .secrets()
            .iter()
            .filter(|s| s.rotation.is_none())
            .map(|s| s.name.clone())
            .collect();
        if to_open.is_empty() {
            return Ok(());
        }
        if self.opts.dry_run {
            self.plan.push(format!(
                "manifest: open rotation {id} ({}) for {}",
                kind.as_str(),
                to_open.join(", ")
            ));
            return Ok(());
        }
        let record = OpenRecord {
            id,
            kind,
            started: self.opts.now,
            by: &self.opts.user,
            group: &self.names,
        };
        state::open(&self.manifest.path, &to_open, &record)?;
        crash_point("open");
        self.reload()
    }

    /// Adds `X_new` beside each `X` (kept as it is when a resumed run finds it).
    fn stage_new_values(&mut self, id: &str) -> Result<(), RotationError> {
        let mut by_file: BTreeMap<PathBuf, Vec<Change>> = BTreeMap::new();
        let mut external_index = 0;
        for name in self.names.clone() {
            let secret = self
                .manifest
                .secret(&name)
                .cloned()
                .ok_or_else(|| RotationError::Usage(name.clone()))?;
            let file = self.load_vault(&secret.vault)?;
            if !file.contains(&secret.name) {
                return Err(RotationError::Refused(format!(
                    "`{}` is not in {}: add it (e.g. `vaultrot set {} {} --stdin`) before rotating it",
                    secret.name,
                    secret.vault.display(),
                    secret.vault.display(),
                    secret.name
                )));
            }
            if file.contains(&secret.new_key()) {
                say(&format!(
                    "{} already holds `{}` (resuming): keeping it",
                    secret.vault.display(),
                    secret.new_key()
                ));
                continue;
            }
            let value = if self.opts.dry_run {
                Zeroizing::new(String::new())
            } else {
                self.new_value(&secret, &mut external_index)?
            };
            by_file
                .entry(secret.vault.clone())
                .or_default()
                .push(Change::InsertAfter {
                    after: secret.name.clone(),
                    key: secret.new_key(),
                    value,
                });
        }
        for (vault, changes) in by_file {
            let keys: Vec<&str> = changes
                .iter()
                .map(|c| match c {
                    Change::InsertAfter { key, .. }
                    | Change::Set { key, .. }
                    | Change::Remove { key } => key.as_str(),
                })
                .collect();
            if self.opts.dry_run {
                self.plan.push(format!(
                    "vault {}: add {}",
                    vault.display(),
                    keys.join(", ")
                ));
                continue;
            }
            self.write_vault(&vault, &changes, id)?;
            crash_point("stage");
        }
        Ok(())
    }

    fn new_value(
        &self,
        secret: &Secret,
        external_index: &mut usize,
    ) -> Result<Zeroizing<String>, RotationError> {
        let value = match &secret.generate {
            None => generate::random_from(generate::DEFAULT_LENGTH, &generate::alnum())?,
            Some(g @ Generate::Random { length, .. }) => {
                generate::random_from(*length as usize, &g.alphabet())?
            }
            Some(Generate::Command { command }) => {
                generate::minted_value(command, &self.manifest.root)?
            }
            Some(Generate::External) => {
                let value = match &self.opts.values {
                    ValueSource::Stdin(values) => {
                        values.get(*external_index).cloned().ok_or_else(|| {
                            RotationError::Usage(format!(
                                "--value-stdin gave no line for `{}`",
                                secret.name
                            ))
                        })?
                    }
                    ValueSource::Prompt => prompt_value(&secret.name)?,
                };
                *external_index += 1;
                value
            }
        };
        if value.is_empty() {
            return Err(RotationError::Usage(format!(
                "the new value of `{}` is empty",
                secret.name
            )));
        }
        Ok(value)
    }

    fn load_vault(&self, vault: &Path) -> Result<SecretsFile, RotationError> {
        SecretsFile::load(&self.manifest.resolve(vault), self.ctx)
            .map_err(|e| RotationError::Vault(e.to_string()))
    }

    /// One atomic write of a vault file, after keeping its previous ciphertext.
    fn write_vault(&self, vault: &Path, changes: &[Change], id: &str) -> Result<(), RotationError> {
        let path = self.manifest.resolve(vault);
        let file =
            SecretsFile::load(&path, self.ctx).map_err(|e| RotationError::Vault(e.to_string()))?;
        let new_secret = self.ctx.secrets.first();
        let Some(bytes) = file
            .plan(changes, self.ctx, new_secret)
            .map_err(|e| RotationError::Vault(e.to_string()))?
        else {
            return Ok(());
        };
        let kept = backup::keep_previous(
            &path,
            &self.manifest.root,
            &backup_dir(&self.manifest.root),
            &format!("rotation {id}"),
        )
        .map_err(|e| RotationError::Vault(format!("cannot back up {}: {e}", path.display())))?;
        crash_point("backup");
        replace(&path, &bytes, FileMode::Keep).map_err(|e| RotationError::Vault(e.to_string()))?;
        if let Some(kept) = kept {
            say(&format!(
                "{} updated (previous ciphertext kept in {})",
                vault.display(),
                kept.display()
            ));
        }
        Ok(())
    }

    // ---- finish / rotate -----------------------------------------------------------

    /// `vaultrot finish`: promotes the new values and closes the window.
    pub fn finish(&mut self) -> Result<(), RotationError> {
        // Re-running a finish that completed (or was killed after its last
        // manifest write) has nothing left to do: say so instead of failing.
        let finished: Vec<String> = self
            .secrets()
            .iter()
            .filter(|s| s.rotation.is_none())
            .filter_map(|s| {
                let last = s.history.last()?;
                (last.event == crate::manifest::HistoryEvent::Finished).then(|| {
                    format!(
                        "`{}` ({}, {})",
                        s.name,
                        last.id.as_deref().unwrap_or("?"),
                        last.at.format("%Y-%m-%d")
                    )
                })
            })
            .collect();
        if !finished.is_empty() && finished.len() == self.names.len() {
            say(&format!(
                "already finished, nothing to do: {}",
                finished.join(", ")
            ));
            return Ok(());
        }
        for s in self.secrets() {
            let Some(rotation) = &s.rotation else {
                return Err(RotationError::Refused(format!(
                    "`{}` has no open rotation: run `vaultrot start {0}` first",
                    s.name
                )));
            };
            // A swap or compromised rotation completes as one: `finish` would
            // record it as a dual rotation and drop its event and reason.
            if rotation.kind != RotationKind::Dual {
                return Err(interrupted_rotate(&s.name, &rotation.id, rotation.kind));
            }
            match rotation.phase {
                RotationPhase::Dual | RotationPhase::Promoting | RotationPhase::Promoted => {}
                RotationPhase::Starting => {
                    return Err(RotationError::Refused(format!(
                        "the start of `{}` did not complete: re-run `vaultrot start {0}` (or `vaultrot abort {0}`)",
                        s.name
                    )));
                }
                other => return Err(self.wrong_phase(&s.name, other)),
            }
            if rotation.phase == RotationPhase::Dual && !self.opts.force {
                let window = self.opts.min_window.or(s.min_window);
                if let Some(window) = window
                    && let Some(ready) = window.after(rotation.started.date_naive())
                    && self.opts.now.date_naive() < ready
                {
                    return Err(RotationError::Refused(format!(
                        "the dual window of `{}` opened {} and must last until {ready} (min_window): wait, or pass --force",
                        s.name,
                        rotation.started.format("%Y-%m-%d")
                    )));
                }
            }
        }
        let id = self.rotation_id();
        self.promote_and_complete(&id, Phase::Finish, "finished", ChangelogEvent::Finished)
    }

    /// `vaultrot rotate`: swap (or compromised) rotation in one command.
    pub fn rotate(&mut self, compromised: bool) -> Result<(), RotationError> {
        for s in self.secrets() {
            if !compromised && s.strategy != crate::manifest::Strategy::Swap {
                return Err(RotationError::Refused(format!(
                    "`{}` uses strategy dual: run `vaultrot start {0}` then `vaultrot finish {0}` (or `rotate --compromised` for an incident)",
                    s.name
                )));
            }
            if let Some(r) = &s.rotation
                && r.kind == RotationKind::Dual
                && !(compromised && r.phase == RotationPhase::Dual)
            {
                return Err(RotationError::Refused(format!(
                    "`{}` has a dual rotation open ({}, phase {}): finish or abort it first",
                    s.name, r.id, r.phase
                )));
            }
        }
        let kind = if compromised {
            RotationKind::Compromised
        } else {
            RotationKind::Swap
        };
        let id = self.rotation_id();
        if !self.opts.dry_run {
            say(&format!(
                "{} rotation of {}: the old value is replaced without an overlap window; services restart with the new value during the deploy steps (downtime until they are back)",
                kind.as_str(),
                self.names.join(", ")
            ));
        } else {
            self.plan.push(format!(
                "rotation {id} ({}): no overlap window",
                kind.as_str()
            ));
        }
        self.open_if_needed(&id, kind)?;
        if self
            .phases()
            .iter()
            .any(|p| matches!(p, Some(RotationPhase::Starting)))
        {
            self.stage_new_values(&id)?;
        }
        let (event_name, event) = if compromised {
            (
                "compromised",
                ChangelogEvent::Compromised {
                    reason: self.opts.reason.clone(),
                },
            )
        } else {
            ("rotated", ChangelogEvent::Rotated)
        };
        self.promote_and_complete(&id, Phase::Rotate, event_name, event)
    }

    fn promote_and_complete(
        &mut self,
        id: &str,
        phase: Phase,
        event_name: &str,
        event: ChangelogEvent,
    ) -> Result<(), RotationError> {
        let needs_promotion = self.phases().iter().any(|p| {
            matches!(
                p,
                Some(RotationPhase::Dual | RotationPhase::Starting | RotationPhase::Promoting)
            )
        });
        if needs_promotion {
            self.record_phase(RotationPhase::Promoting)?;
            self.promote(id)?;
            self.record_phase(RotationPhase::Promoted)?;
        }
        self.run_steps(phase, id, StepKind::Deploy)?;
        self.run_steps(phase, id, StepKind::Verify)?;
        self.run_steps(phase, id, StepKind::Revoke)?;
        if self.opts.dry_run {
            self.plan.push(format!("CHANGELOG.md: {event_name}"));
            self.plan.push(format!(
                "manifest: last_rotation {}, history {event_name}, rotation closed",
                self.opts.now.date_naive()
            ));
            return Ok(());
        }
        self.log_changelog(id, event)?;
        crash_point("changelog");
        let record = CloseRecord {
            id,
            event: event_name,
            at: self.opts.now,
            by: &self.opts.user,
            reason: self.opts.reason.as_deref(),
            last_rotation: Some(self.opts.now.date_naive()),
        };
        state::close(&self.manifest.path, &self.names, &record)?;
        crash_point("close");
        if let Err(e) = self.run_steps(phase, id, StepKind::Notify) {
            say(&format!(
                "warning: a notify step failed (the rotation itself is complete): {e}"
            ));
        }
        say(&format!(
            "rotation {id} {event_name}: {}",
            self.names.join(", ")
        ));
        Ok(())
    }

    /// `X := X_new` and `X_new` removed, in one write per vault file.
    fn promote(&mut self, id: &str) -> Result<(), RotationError> {
        let mut by_file: BTreeMap<PathBuf, Vec<Change>> = BTreeMap::new();
        for name in self.names.clone() {
            let secret = self
                .manifest
                .secret(&name)
                .cloned()
                .ok_or_else(|| RotationError::Usage(name.clone()))?;
            let file = self.load_vault(&secret.vault)?;
            let new_key = secret.new_key();
            let Some(value) = file
                .get(&new_key, self.ctx)
                .map_err(|e| RotationError::Vault(e.to_string()))?
            else {
                // Promoted by an earlier run that was interrupted afterwards.
                continue;
            };
            let value = Zeroizing::new(
                String::from_utf8(value.to_vec())
                    .map_err(|_| RotationError::Vault(format!("`{new_key}` is not UTF-8 text")))?,
            );
            let changes = by_file.entry(secret.vault.clone()).or_default();
            changes.push(Change::Set {
                key: secret.name.clone(),
                value,
            });
            changes.push(Change::Remove { key: new_key });
        }
        for (vault, changes) in by_file {
            if self.opts.dry_run {
                self.plan.push(format!(
                    "vault {}: promote the _new values, remove the _new keys",
                    vault.display()
                ));
                continue;
            }
            self.write_vault(&vault, &changes, id)?;
            crash_point("promote");
        }
        Ok(())
    }

    // ---- abort ---------------------------------------------------------------------

    /// `vaultrot abort`: withdraws the new values; the old ones stay.
    pub fn abort(&mut self) -> Result<(), RotationError> {
        for s in self.secrets() {
            match s.rotation.as_ref().map(|r| r.phase) {
                Some(RotationPhase::Starting | RotationPhase::Dual | RotationPhase::Aborting) => {}
                None => {
                    return Err(RotationError::Refused(format!(
                        "`{}` has no open rotation to abort",
                        s.name
                    )));
                }
                Some(_) => {
                    return Err(RotationError::Refused(format!(
                        "`{}` was already promoted: the old value is gone from the vault, so it cannot be aborted; run `vaultrot finish {0}` to complete it",
                        s.name
                    )));
                }
            }
        }
        let id = self.rotation_id();
        self.record_phase(RotationPhase::Aborting)?;
        let mut by_file: BTreeMap<PathBuf, Vec<Change>> = BTreeMap::new();
        for s in self.secrets() {
            let file = self.load_vault(&s.vault)?;
            if file.contains(&s.new_key()) {
                by_file
                    .entry(s.vault.clone())
                    .or_default()
                    .push(Change::Remove { key: s.new_key() });
            }
        }
        for (vault, changes) in by_file {
            if self.opts.dry_run {
                self.plan
                    .push(format!("vault {}: remove the _new keys", vault.display()));
                continue;
            }
            self.write_vault(&vault, &changes, &id)?;
            crash_point("withdraw");
        }
        self.run_steps(Phase::Abort, &id, StepKind::Deploy)?;
        self.run_steps(Phase::Abort, &id, StepKind::Verify)?;
        if self.opts.dry_run {
            self.plan
                .push("CHANGELOG.md: aborted; manifest: history aborted, rotation closed".into());
            return Ok(());
        }
        self.log_changelog(&id, ChangelogEvent::Aborted)?;
        let record = CloseRecord {
            id: &id,
            event: "aborted",
            at: self.opts.now,
            by: &self.opts.user,
            reason: None,
            last_rotation: None,
        };
        state::close(&self.manifest.path, &self.names, &record)?;
        say(&format!("rotation {id} aborted: {}", self.names.join(", ")));
        Ok(())
    }

    /// `vaultrot verify`: the verify steps alone, outside any rotation.
    pub fn verify_only(&mut self) -> Result<(), RotationError> {
        let steps = self.steps(StepKind::Verify);
        self.run(&steps, None, None)
    }

    /// Records the next phase of every named secret (the intent log); in a dry
    /// run, only plans it. Crash tests kill the process right after it.
    fn record_phase(&mut self, phase: RotationPhase) -> Result<(), RotationError> {
        if self.opts.dry_run {
            self.plan.push(format!(
                "manifest: phase {phase} for {}",
                self.names.join(", ")
            ));
            return Ok(());
        }
        state::set_phase(&self.manifest.path, &self.names, phase)?;
        crash_point(phase.as_str());
        self.reload()
    }

    fn wrong_phase(&self, name: &str, phase: RotationPhase) -> RotationError {
        let next = match phase {
            RotationPhase::Starting => format!("vaultrot start {name}"),
            RotationPhase::Dual | RotationPhase::Promoting | RotationPhase::Promoted => {
                format!("vaultrot finish {name}")
            }
            RotationPhase::Aborting => format!("vaultrot abort {name}"),
        };
        RotationError::Refused(format!(
            "`{name}` is in rotation phase {phase}: run `{next}`"
        ))
    }

    // ---- steps, changelog -----------------------------------------------------------

    fn steps(&self, kind: StepKind) -> Vec<Step> {
        let mut steps: Vec<Step> = Vec::new();
        for s in self.secrets() {
            let list = match kind {
                StepKind::Deploy => &s.deploy,
                StepKind::Verify => &s.verify,
                StepKind::Revoke => &s.revoke,
                StepKind::Notify => &s.notify,
            };
            for step in list {
                let step = runner_step(&step.action);
                // Secrets rotated together share their playbooks: each runs once.
                if !steps.contains(&step) {
                    steps.push(step);
                }
            }
        }
        steps
    }

    fn run_steps(&mut self, phase: Phase, id: &str, kind: StepKind) -> Result<(), RotationError> {
        let steps = self.steps(kind);
        self.run(&steps, Some(phase), Some(id)).map_err(|e| match e {
            RotationError::Step(msg) => RotationError::Step(format!(
                "{} step failed during {phase}: {msg}\nNothing was lost: re-run the same command to resume{}",
                kind.as_str(),
                if phase == Phase::Start { format!(", or `vaultrot abort {}`", self.names.join(" ")) } else { String::new() }
            )),
            other => other,
        })
    }

    fn run(
        &mut self,
        steps: &[Step],
        phase: Option<Phase>,
        id: Option<&str>,
    ) -> Result<(), RotationError> {
        let mut ctx = RunContext::new(&self.manifest.root, &self.ctx.secrets);
        ctx.inventory = self
            .manifest
            .defaults
            .inventory
            .as_ref()
            .map(|p| p.to_string_lossy().into_owned());
        ctx.vars = PhaseVars {
            phase,
            secrets: self.names.clone(),
            rotation_id: id.map(str::to_string),
        };
        for step in steps {
            if self.opts.dry_run {
                let argv = playbook::plan_command_line(step, &ctx)
                    .map_err(|e| RotationError::Step(e.to_string()))?;
                self.plan.push(format!("run: {}", shell_words(&argv)));
                continue;
            }
            say(&format!("running {}", step.describe()));
            playbook::run_step(step, &ctx).map_err(|e| RotationError::Step(e.to_string()))?;
        }
        Ok(())
    }

    fn log_changelog(&self, id: &str, event: ChangelogEvent) -> Result<(), RotationError> {
        let Some(relative) = &self.manifest.defaults.changelog else {
            return Ok(());
        };
        let path = self.manifest.resolve(relative);
        let entry = ChangelogEntry {
            secrets: self.names.clone(),
            event,
            date: self.opts.now.date_naive(),
            rotation_id: id.to_string(),
            by: self.opts.user.clone(),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(RotationError::Changelog(format!("{}: {e}", path.display()))),
        };
        // A resumed command must not log its event twice.
        if changelog::has_entry(&text, &entry) {
            return Ok(());
        }
        let updated = changelog::add_entry(&text, &entry)
            .map_err(|e| RotationError::Changelog(e.to_string()))?;
        fsutil::write_atomic(&path, updated.as_bytes(), FileMode::Keep)
            .map_err(|e| RotationError::Changelog(format!("{}: {e}", path.display())))
    }
}

#[derive(Debug, Clone, Copy)]
enum StepKind {
    Deploy,
    Verify,
    Revoke,
    Notify,
}

impl StepKind {
    fn as_str(self) -> &'static str {
        match self {
            StepKind::Deploy => "deploy",
            StepKind::Verify => "verify",
            StepKind::Revoke => "revoke",
            StepKind::Notify => "notify",
        }
    }
}

fn runner_step(action: &StepAction) -> Step {
    match action {
        StepAction::Playbook(p) => Step::Playbook {
            playbook: p.playbook.clone(),
            inventory: p
                .inventory
                .as_ref()
                .map(|i| i.to_string_lossy().into_owned()),
            tags: p.tags.clone(),
            limit: p.limit.clone(),
            extra_vars: p.extra_vars.clone(),
        },
        StepAction::Run(command) => Step::Command {
            run: command.clone(),
        },
    }
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            shlex::try_quote(a)
                .map(|q| q.into_owned())
                .unwrap_or_else(|_| a.clone())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The command that resumes an interrupted `rotate` of `name`.
pub fn resume_rotate_command(name: &str, kind: RotationKind) -> String {
    match kind {
        RotationKind::Compromised => {
            format!("vaultrot rotate {name} --compromised (with the same --reason)")
        }
        _ => format!("vaultrot rotate {name}"),
    }
}

fn interrupted_rotate(name: &str, id: &str, kind: RotationKind) -> RotationError {
    RotationError::Refused(format!(
        "`{name}` has an interrupted `rotate` ({id}): re-run `{}`",
        resume_rotate_command(name, kind)
    ))
}

/// `r-YYYYMMDDTHHMMSSZ-xxxx`: sortable, unique enough, no value in it.
pub fn new_rotation_id(now: DateTime<Utc>) -> String {
    format!(
        "r-{}-{:04x}",
        now.format("%Y%m%dT%H%M%SZ"),
        rand::random::<u16>()
    )
}

/// Where vault backups go: `<infra root>/.vaultrot/backups`.
pub fn backup_dir(root: &Path) -> PathBuf {
    root.join(".vaultrot").join("backups")
}

fn prompt_value(name: &str) -> Result<Zeroizing<String>, RotationError> {
    let read = |prompt: &str| {
        crate::vault::secrets::read_hidden(prompt)
            .map_err(|e| RotationError::Usage(format!("cannot read the new value: {e}")))
    };
    let first = read(&format!("New value for {name}: "))?;
    let second = read(&format!("Confirm new value for {name}: "))?;
    if *first != *second {
        return Err(RotationError::Usage(format!(
            "the two values for {name} do not match"
        )));
    }
    Ok(first)
}
