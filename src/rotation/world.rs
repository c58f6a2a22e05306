//! The real [`World`]: vault files through `vaultfile`, the manifest record
//! through [`state`], steps through the ansible runner, CHANGELOG.md, and
//! the operator's terminal. Also what must hold before the first write
//! (preflight), the vault facts the planner reads, and the `--dry-run` text.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::RotationError;
use super::execute::{Change, Confirmation, Record, World};
use super::generate;
use super::notify::Notice;
use super::plan::{Action, ChangelogEvent, Ending, Facts, KeyChange, KeyFacts, Plan};
use super::state::{self, CloseRecord, OpenRecord};
use crate::ansible::playbook::{self, Phase, PhaseVars, RunContext};
use crate::changelog::{self, ChangelogEntry};
use crate::fsutil::{FileMode, backup};
use crate::manifest::{Generate, Manifest, Secret, StepAction};
use crate::vault::crypto::Fingerprinter;
use crate::vaultfile::document::{self, SecretsFile};
use crate::vaultfile::{VaultContext, replace};

/// Where `external: true` values come from.
pub enum ValueSource {
    /// `--value-stdin`: one line per external secret, in command order.
    Stdin(Vec<Zeroizing<String>>),
    /// Ask on the terminal, without echo.
    Prompt,
}

/// Where vault backups go: `<infra root>/.vaultrot/backups`.
pub fn backup_dir(root: &Path) -> PathBuf {
    root.join(".vaultrot").join("backups")
}

pub use crate::manifest::write::new_rotation_id;

/// A rotation command against the real files.
pub struct Live<'a> {
    manifest: &'a Manifest,
    ctx: &'a VaultContext,
    fingerprinter: Fingerprinter,
    values: ValueSource,
    external_index: usize,
    /// Every value decrypted for this command, scrubbed from child output.
    redact: Vec<Zeroizing<Vec<u8>>>,
    names: Vec<String>,
    rotation_id: Option<String>,
    user: String,
    now: chrono::DateTime<chrono::Utc>,
}

impl<'a> Live<'a> {
    /// Opens every vault file of the named secrets (fail closed: a vault that
    /// does not open stops the command before anything is written).
    pub fn open(
        manifest: &'a Manifest,
        ctx: &'a VaultContext,
        names: &[String],
        values: ValueSource,
        user: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Live<'a>, Facts), RotationError> {
        let password = ctx
            .secrets
            .first()
            .map(|s| Zeroizing::new(s.password().to_vec()))
            .ok_or_else(|| RotationError::Vault("no vault password".into()))?;
        let mut live = Live {
            manifest,
            ctx,
            fingerprinter: Fingerprinter::new(&password),
            values,
            external_index: 0,
            redact: Vec::new(),
            names: names.to_vec(),
            rotation_id: None,
            user,
            now,
        };
        let mut facts = Facts::new();
        let mut files: BTreeMap<PathBuf, SecretsFile> = BTreeMap::new();
        for name in names {
            let Some(secret) = manifest.secret(name) else {
                continue;
            };
            if !files.contains_key(&secret.vault) {
                let file = live.load(&secret.vault)?;
                live.remember_all(&file)?;
                files.insert(secret.vault.clone(), file);
            }
            let file = &files[&secret.vault];
            let value = |key: &str| file.get(key, ctx).map_err(RotationError::from);
            let fingerprint = |value: &[u8]| live.fingerprinter.fingerprint(name, value);
            // One decryption per key: an inline value costs a key derivation.
            let staged = value(&secret.new_key())?;
            facts.insert(
                name.clone(),
                KeyFacts {
                    current: value(&secret.name)?.map(|v| fingerprint(&v)),
                    new: staged.as_ref().map(|v| fingerprint(v)),
                    previous: value(&secret.previous_key())?.map(|v| fingerprint(&v)),
                    new_is_template: staged.as_ref().is_some_and(|v| {
                        !generate::is_template_safe(&Zeroizing::new(
                            String::from_utf8_lossy(v).into_owned(),
                        ))
                    }),
                },
            );
        }
        Ok((live, facts))
    }

    pub fn set_rotation_id(&mut self, id: &str) {
        self.rotation_id = Some(id.to_string());
    }

    fn load(&self, vault: &Path) -> Result<SecretsFile, RotationError> {
        Ok(SecretsFile::load(&self.manifest.resolve(vault), self.ctx)?)
    }

    /// Every secret of `file`, for the scrubber: all values of a whole-file
    /// vault (nested ones too; `get` refuses a mapping), only the inline
    /// `!vault` values of a vars file (its plain values, such as a host
    /// name, are no secret and would mask every mention of it).
    fn remember_all(&mut self, file: &SecretsFile) -> Result<(), RotationError> {
        for value in file.secret_values(self.ctx)? {
            self.remember(&value);
        }
        Ok(())
    }

    fn remember(&mut self, value: &[u8]) {
        if !value.is_empty() && !self.redact.iter().any(|v| v.as_slice() == value) {
            self.redact.push(Zeroizing::new(value.to_vec()));
        }
    }

    fn run_context(&self, phase: Option<Phase>) -> RunContext<'a> {
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
            rotation_id: self.rotation_id.clone(),
        };
        ctx.redact = self.redact.clone();
        ctx
    }

    /// Everything that can be known before the first write (checked before
    /// anything changes): `ansible-playbook` found when a playbook runs, every
    /// playbook, inventory and script present, external values obtainable.
    pub fn preflight(&self, plan: &Plan) -> Result<(), RotationError> {
        let mut problems = Vec::new();
        let mut playbooks = false;
        let root = &self.manifest.root;
        let mut externals = 0;
        for action in &plan.actions {
            let steps = match action {
                Action::RunSteps { steps, .. } | Action::Notify { steps, .. } => steps,
                Action::Generate { secrets } => {
                    for name in secrets {
                        match self.manifest.secret(name).and_then(|s| s.generate.as_ref()) {
                            Some(Generate::External { .. }) => externals += 1,
                            Some(Generate::Command { command }) => {
                                if let Some(missing) = missing_script(root, command) {
                                    problems.push(format!(
                                        "generate.command of `{name}`: {missing} not found in {}",
                                        root.display()
                                    ));
                                }
                            }
                            _ => {}
                        }
                    }
                    continue;
                }
                Action::Mint { secret, .. } => {
                    if let Some(Generate::Command { command }) = self
                        .manifest
                        .secret(secret)
                        .and_then(|s| s.generate.as_ref())
                        && let Some(missing) = missing_script(root, command)
                    {
                        problems.push(format!(
                            "generate.command of `{secret}`: {missing} not found in {}",
                            root.display()
                        ));
                    }
                    continue;
                }
                _ => continue,
            };
            for step in steps {
                match step {
                    StepAction::Playbook(p) => {
                        playbooks = true;
                        if !root.join(&p.playbook).is_file() {
                            problems.push(format!(
                                "playbook {} not found in {}",
                                p.playbook.display(),
                                root.display()
                            ));
                        }
                        let inventory =
                            p.inventory
                                .as_ref()
                                .or(self.manifest.defaults.inventory.as_ref());
                        if let Some(inventory) = inventory
                            && !inventory.to_string_lossy().contains(',')
                            && !root.join(inventory).exists()
                        {
                            problems.push(format!(
                                "inventory {} not found in {}",
                                inventory.display(),
                                root.display()
                            ));
                        }
                    }
                    StepAction::Run(command) => {
                        if let Some(missing) = missing_script(root, command) {
                            problems.push(format!(
                                "run step `{command}`: {missing} not found in {}",
                                root.display()
                            ));
                        }
                    }
                    StepAction::Manual(_) => {}
                }
            }
        }
        if playbooks && let Err(e) = playbook::resolve_ansible_playbook(&self.run_context(None)) {
            problems.push(e.to_string());
        }
        if externals > 0 {
            match &self.values {
                ValueSource::Prompt if !std::io::stdin().is_terminal() => problems.push(format!(
                    "{externals} external value(s) to enter and no terminal to ask on: pass them with --value-stdin, one line per external secret in command order"
                )),
                ValueSource::Stdin(lines) if lines.len() < externals => problems.push(format!(
                    "--value-stdin gave {} line(s) for {externals} external secret(s)",
                    lines.len()
                )),
                _ => {}
            }
        }
        problems.dedup();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RotationError::Preflight(format!(
                "nothing was written or run:\n  {}",
                problems.join("\n  ")
            )))
        }
    }

    /// `--dry-run`: the plan as lines naming files, keys and command lines.
    pub fn describe(&self, plan: &Plan) -> Result<Vec<String>, RotationError> {
        let mut lines = vec![format!(
            "rotation {}{}",
            plan.id,
            plan.kind
                .map_or(String::new(), |k| format!(" ({})", k.as_str()))
        )];
        for action in &plan.actions {
            match action {
                Action::Generate { secrets } => {
                    lines.push(format!("new value: {}", secrets.join(", ")))
                }
                Action::Mint {
                    secret,
                    from,
                    source,
                } => lines.push(format!(
                    "new value: {secret}, minted from {}",
                    match source {
                        super::plan::Source::Generated => format!("the new value of {from}"),
                        super::plan::Source::New => format!("{from}_new"),
                        super::plan::Source::Current => from.clone(),
                        super::plan::Source::Previous => format!("{from}_previous"),
                    }
                )),
                Action::Open { kind, .. } => lines.push(format!(
                    "manifest: open rotation {} ({}) for {}, with value fingerprints",
                    plan.id,
                    kind.as_str(),
                    plan.names.join(", ")
                )),
                Action::RecordFingerprints { secrets } => lines.push(format!(
                    "manifest: fingerprints of the new values of {}",
                    secrets.join(", ")
                )),
                Action::WriteVault { file, changes, .. } => {
                    let parts: Vec<String> = changes
                        .iter()
                        .map(|c| match c {
                            KeyChange::Set {
                                secret,
                                key,
                                source,
                            } => {
                                let from = match source {
                                    super::plan::Source::Generated => "the new value".to_string(),
                                    super::plan::Source::Current => secret.clone(),
                                    super::plan::Source::New => format!("{secret}_new"),
                                    super::plan::Source::Previous => format!("{secret}_previous"),
                                };
                                format!("set {key} := {from}")
                            }
                            KeyChange::Remove { key } => format!("remove {key}"),
                        })
                        .collect();
                    lines.push(format!("vault {}: {}", file.display(), parts.join(", ")));
                }
                Action::RecordPhase(phase) => lines.push(format!(
                    "manifest: rotation phase {phase} for {}",
                    plan.names.join(", ")
                )),
                Action::RunSteps { list, phase, steps } => {
                    self.describe_steps(&mut lines, list.as_str(), *phase, steps)?
                }
                Action::Notify {
                    event,
                    phase,
                    steps,
                } => self.describe_steps(
                    &mut lines,
                    &format!("notify {}", event.as_str()),
                    Some(*phase),
                    steps,
                )?,
                Action::Changelog(event) => lines.push(format!(
                    "CHANGELOG.md: {}",
                    match event {
                        ChangelogEvent::Started => "started",
                        ChangelogEvent::Ended(e) => e.event().as_str(),
                    }
                )),
                Action::Close(ending) => lines.push(format!(
                    "manifest: {}history {}, rotation closed",
                    if ending.rotates() {
                        format!("last_rotation {}, ", self.now.date_naive())
                    } else {
                        String::new()
                    },
                    ending.event().as_str()
                )),
                Action::Say(message) => lines.push(format!("say: {message}")),
            }
        }
        Ok(lines)
    }
}

impl Live<'_> {
    fn describe_steps(
        &self,
        lines: &mut Vec<String>,
        list: &str,
        phase: Option<Phase>,
        steps: &[StepAction],
    ) -> Result<(), RotationError> {
        let ctx = self.run_context(phase);
        for step in steps {
            match step {
                StepAction::Manual(text) => {
                    lines.push(format!("{list}: manual (wait for confirmation): {text}"))
                }
                other => {
                    let argv = playbook::plan_command_line(other, &ctx)?;
                    lines.push(format!("{list}: run: {}", shell_words(&argv)));
                }
            }
        }
        Ok(())
    }
}

impl World for Live<'_> {
    fn generate(&mut self, secret: &Secret) -> Result<Zeroizing<String>, RotationError> {
        let value = match &secret.generate {
            None => generate::random_from(generate::DEFAULT_LENGTH, &generate::alnum())?,
            Some(g @ Generate::Random { length, .. }) => {
                generate::random_from(*length as usize, &g.alphabet())?
            }
            Some(Generate::Command { command }) => {
                generate::minted_value(command, &self.manifest.root, &self.redact)?
            }
            Some(Generate::External { instructions }) => {
                if let Some(text) = instructions {
                    self.say(&format!("to issue the new `{}`: {text}", secret.name));
                }
                let value = match &self.values {
                    ValueSource::Stdin(values) => {
                        values.get(self.external_index).cloned().ok_or_else(|| {
                            RotationError::Usage(format!(
                                "--value-stdin gave no line for `{}`",
                                secret.name
                            ))
                        })?
                    }
                    ValueSource::Prompt => prompt_value(&secret.name)?,
                };
                self.external_index += 1;
                value
            }
        };
        self.remember(value.as_bytes());
        Ok(value)
    }

    fn mint(&mut self, secret: &Secret, source: &str) -> Result<Zeroizing<String>, RotationError> {
        let Some(Generate::Command { command }) = &secret.generate else {
            return Err(RotationError::Usage(format!(
                "`{}` is derived_from another secret but has no generate.command to mint it with",
                secret.name
            )));
        };
        self.remember(source.as_bytes());
        let value = generate::minted_from(
            command,
            &self.manifest.root,
            &self.redact,
            source.as_bytes(),
        )?;
        self.remember(value.as_bytes());
        Ok(value)
    }

    fn notify(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        notice: &Notice,
        owner: Option<&str>,
    ) -> Result<(), RotationError> {
        self.say(&format!(
            "notify {}: running {}",
            notice.event.as_str(),
            step.describe()
        ));
        // The same scrubbed output and environment as a deploy step; what
        // the step learns is names, the id and a summary, never a value.
        let mut ctx = self.run_context(phase);
        ctx.vars.secrets = notice.secrets.clone();
        ctx.vars.rotation_id = notice.rotation_id.clone();
        for (key, value) in [
            ("VAULTROT_EVENT", notice.event.as_str()),
            ("VAULTROT_OWNER", owner.unwrap_or_default()),
            ("VAULTROT_SUMMARY", notice.summary.as_str()),
        ] {
            ctx.env.push((key.into(), value.into()));
        }
        playbook::run_step(step, &ctx)?;
        Ok(())
    }

    fn fingerprint(&self, name: &str, value: &[u8]) -> String {
        self.fingerprinter.fingerprint(name, value)
    }

    fn read(&mut self, file: &Path, key: &str) -> Result<Option<Zeroizing<String>>, RotationError> {
        let loaded = self.load(file)?;
        let Some(value) = loaded.get(key, self.ctx)? else {
            return Ok(None);
        };
        self.remember(&value);
        // Checked in place: a failed `String::from_utf8` would drop its copy un-wiped.
        let text = std::str::from_utf8(&value)
            .map_err(|_| RotationError::Vault(format!("`{key}` is not UTF-8 text")))?;
        Ok(Some(Zeroizing::new(text.to_string())))
    }

    fn write_vault(&mut self, vault: &Path, changes: Vec<Change>) -> Result<(), RotationError> {
        let path = self.manifest.resolve(vault);
        let file = self.load(vault)?;
        let changes: Vec<document::Change> = changes
            .into_iter()
            .map(|c| match c {
                Change::Remove { key } => document::Change::Remove { key },
                Change::Set { after, key, value } => {
                    if file.contains(&key) || !file.contains(&after) {
                        document::Change::Set { key, value }
                    } else {
                        document::Change::InsertAfter { after, key, value }
                    }
                }
            })
            .collect();
        let new_secret = self.ctx.secrets.first();
        let Some(bytes) = file.plan(&changes, self.ctx, new_secret)? else {
            return Ok(());
        };
        let tag = format!(
            "rotation {}",
            self.rotation_id.as_deref().unwrap_or("unknown")
        );
        let kept = backup::keep_previous(
            &path,
            &self.manifest.root,
            &backup_dir(&self.manifest.root),
            &tag,
        )
        .map_err(|source| RotationError::Backup {
            path: path.clone(),
            source,
        })?;
        self.crash_point("backup")?;
        if let Err(e) = replace(&path, &bytes, FileMode::Keep) {
            if let Some(kept) = &kept {
                backup::discard_if_redundant(kept, &path);
            }
            return Err(e.into());
        }
        if let Some(kept) = kept {
            // A vars file with inline values is kept as it was, plaintext around the values.
            let previous = if file.is_whole_vault() {
                "previous ciphertext"
            } else {
                "previous version"
            };
            self.say(&format!(
                "{} updated ({previous} kept in {})",
                vault.display(),
                kept.display()
            ));
        }
        Ok(())
    }

    fn record(&mut self, names: &[String], record: Record) -> Result<(), RotationError> {
        let path = &self.manifest.path;
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
                self.rotation_id = Some(id.clone());
                state::open(
                    path,
                    names,
                    &OpenRecord {
                        id: &id,
                        kind,
                        started,
                        by: &by,
                        group: &group,
                        reason: reason.as_deref(),
                        fingerprints: &fingerprints,
                    },
                )
            }
            Record::Fingerprints(map) => state::set_fingerprints(path, &map),
            Record::Phase(phase) => state::set_phase(path, names, phase),
            Record::Awaiting(step) => state::set_awaiting(path, names, step.as_deref()),
            Record::Close {
                id,
                ending,
                at,
                by,
                reason,
                last_rotation,
            } => state::close(
                path,
                names,
                &CloseRecord {
                    id: &id,
                    event: ending.event().as_str(),
                    at,
                    by: &by,
                    reason: reason.as_deref(),
                    last_rotation,
                },
            ),
        }
    }

    fn run_step(
        &mut self,
        step: &StepAction,
        phase: Option<Phase>,
        _list: super::plan::StepList,
    ) -> Result<(), RotationError> {
        self.say(&format!("running {}", step.describe()));
        playbook::run_step(step, &self.run_context(phase))?;
        Ok(())
    }

    fn confirm(&mut self, instruction: &str) -> Result<Confirmation, RotationError> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() || !std::io::stderr().is_terminal() {
            return Ok(Confirmation::Unattended);
        }
        eprint!("vaultrot: {instruction}\nvaultrot: type `done` when it is done: ");
        let mut line = String::new();
        stdin
            .read_line(&mut line)
            .map_err(|e| RotationError::Usage(format!("cannot read the confirmation: {e}")))?;
        Ok(if line.trim().eq_ignore_ascii_case("done") {
            Confirmation::Done
        } else {
            Confirmation::Declined
        })
    }

    fn wait(&mut self, secs: u64) {
        std::thread::sleep(std::time::Duration::from_secs(secs));
    }

    fn changelog(
        &mut self,
        event: ChangelogEvent,
        plan: &Plan,
        confirmed_by: Option<&str>,
    ) -> Result<(), RotationError> {
        let Some(relative) = &self.manifest.defaults.changelog else {
            return Ok(());
        };
        let path = self.manifest.resolve(relative);
        let event = match event {
            ChangelogEvent::Started => changelog::ChangelogEvent::Started,
            ChangelogEvent::Ended(Ending::Finished) => changelog::ChangelogEvent::Finished,
            ChangelogEvent::Ended(Ending::Aborted) => changelog::ChangelogEvent::Aborted,
            ChangelogEvent::Ended(Ending::Rotated) => changelog::ChangelogEvent::Rotated,
            ChangelogEvent::Ended(Ending::RolledBack) => changelog::ChangelogEvent::RolledBack,
            ChangelogEvent::Ended(Ending::Repaired) => changelog::ChangelogEvent::Repaired,
            ChangelogEvent::Ended(Ending::RepairFailed) => changelog::ChangelogEvent::RepairFailed,
            ChangelogEvent::Ended(Ending::Compromised) => changelog::ChangelogEvent::Compromised {
                reason: plan.reason.clone(),
            },
        };
        let entry = ChangelogEntry {
            secrets: plan.names.clone(),
            event,
            date: self.now.date_naive(),
            rotation_id: plan.id.clone(),
            by: self.user.clone(),
            confirmed_by: confirmed_by.map(str::to_string),
        };
        changelog::record(&path, &entry)
            .map(drop)
            .map_err(RotationError::from)
    }

    fn say(&mut self, message: &str) {
        eprintln!("vaultrot: {message}");
    }

    /// Crash-safety tests kill the process right after a named write
    /// (`VAULTROT_CRASH_AFTER=<point>`), as `kill -9` would: no cleanup runs.
    fn crash_point(&mut self, point: &str) -> Result<(), RotationError> {
        if std::env::var("VAULTROT_CRASH_AFTER").is_ok_and(|p| p == point) {
            eprintln!("vaultrot: test crash after {point}");
            let _ = std::process::Command::new("kill")
                .args(["-9", &std::process::id().to_string()])
                .status();
            std::process::abort();
        }
        Ok(())
    }
}

/// The script a command starts with, when it is a relative path that is not there.
fn missing_script(root: &Path, command: &str) -> Option<String> {
    let first = shlex::split(command)?.into_iter().next()?;
    (first.contains('/') && !Path::new(&first).is_absolute() && !root.join(&first).exists())
        .then_some(first)
}

fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| super::execute::shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn prompt_value(name: &str) -> Result<Zeroizing<String>, RotationError> {
    let read = |prompt: &str| {
        crate::passwords::sources::read_hidden(prompt)
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
