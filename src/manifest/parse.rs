//! From manifest text to the model: the file's shape (read from the span
//! parser's view, `raw.rs`), then the checks the shape cannot express,
//! collected with positions.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::duration::{MaxAge, Period, parse_date};
use super::error::{Diagnostic, ManifestError};
use super::model::*;
use super::raw::{
    self, RawDefaults, RawFile, RawGenerate, RawHistory, RawPolicy, RawRotation, RawSecret,
    RawStep, RawVaultPassword, RawVerify, Sp, pos,
};

/// Parses manifest text; `path` names the file in messages, `root` is the infra root.
pub(super) fn parse(text: &str, path: &Path, root: &Path) -> Result<Manifest, ManifestError> {
    let raw = raw::read(text).map_err(|d| invalid(path, vec![d]))?;
    check(raw, path, root)
}

/// [`parse`] with serde-saphyr, the reference the reader is tested against.
#[cfg(test)]
pub(super) fn parse_reference(
    text: &str,
    path: &Path,
    root: &Path,
) -> Result<Manifest, ManifestError> {
    let raw = super::reference::from_yaml(text).map_err(|d| invalid(path, vec![d]))?;
    check(raw, path, root)
}

fn invalid(path: &Path, diagnostics: Vec<Diagnostic>) -> ManifestError {
    ManifestError::Invalid {
        path: path.to_path_buf(),
        diagnostics,
    }
}

/// The checks the file's shape cannot express.
pub(super) fn check(raw: RawFile, path: &Path, root: &Path) -> Result<Manifest, ManifestError> {
    let mut checker = Checker {
        diagnostics: Vec::new(),
        manifest_dir: std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf(),
        root: root.to_path_buf(),
    };
    let manifest = checker.manifest(raw, path, root);
    if checker.diagnostics.is_empty() {
        Ok(manifest)
    } else {
        Err(invalid(path, checker.diagnostics))
    }
}

struct Checker {
    diagnostics: Vec<Diagnostic>,
    manifest_dir: PathBuf,
    root: PathBuf,
}

impl Checker {
    fn error(&mut self, pos: Option<Pos>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            pos,
            message: message.into(),
        });
    }

    fn manifest(&mut self, raw: RawFile, path: &Path, root: &Path) -> Manifest {
        let raw = raw.secrets_manifest.value;
        if raw.version.value != MANIFEST_VERSION {
            self.error(
                pos(&raw.version),
                format!(
                    "unsupported manifest version {}; this vaultrot reads version {MANIFEST_VERSION}",
                    raw.version.value
                ),
            );
        }
        let defaults = self.defaults(raw.defaults);
        let policies: Vec<Policy> = raw
            .policies
            .map(|m| m.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, policy)| self.policy(name, policy))
            .collect();
        let entries = raw.secrets.map(|m| m.0).unwrap_or_default();
        let mut secrets = Vec::with_capacity(entries.len());
        for (name, secret) in entries {
            let Some(secret) = secret else {
                self.error(
                    pos(&name),
                    format!(
                        "secret `{}` has no settings; expected a mapping with at least `policy: NAME` or `max_age: DURATION`",
                        name.value
                    ),
                );
                continue;
            };
            if let Some(secret) = self.secret(name, secret, &defaults, &policies) {
                secrets.push(secret);
            }
        }
        self.check_new_suffix_collisions(&secrets);
        self.check_derived(&mut secrets);
        let vault_passwords = raw
            .vault_passwords
            .map(|m| m.0)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(id, raw)| self.vault_password(id, raw, &defaults, &policies))
            .collect();
        let owners: Vec<Owner> = raw
            .owners
            .map(|m| m.0)
            .unwrap_or_default()
            .into_iter()
            .map(|(name, owner)| Owner {
                pos: pos(&name).unwrap_or_default(),
                name: name.value,
                notify: self.steps(owner.value.notify, &defaults),
            })
            .collect();
        Manifest {
            path: path.to_path_buf(),
            root: root.to_path_buf(),
            version: raw.version.value,
            defaults,
            policies,
            secrets,
            vault_passwords,
            owners,
        }
    }

    /// A vault password: its store, and its other settings read as a
    /// secret's (named `vault_password.<vault-id>`).
    fn vault_password(
        &mut self,
        vault_id: Sp<String>,
        raw: Sp<RawVaultPassword>,
        defaults: &Defaults,
        policies: &[Policy],
    ) -> Option<VaultPassword> {
        let id_pos = pos(&vault_id);
        let vault_id = vault_id.value;
        let raw_pos = pos(&raw);
        let raw = raw.value;
        if vault_id.is_empty() || vault_id.contains([';', ' ', '@']) {
            self.error(
                id_pos,
                format!("`{vault_id}` is not a vault-id ansible can write: no spaces, `;` or `@`"),
            );
            return None;
        }
        let store_pos = pos(&raw.store);
        let store = raw.store.value;
        let given: Vec<PasswordStore> = [
            store.age_file.map(|p| PasswordStore::AgeFile(p.value)),
            store.file.map(|p| PasswordStore::File(p.value)),
            store.command.map(|c| PasswordStore::Command(c.value)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let store = match <[PasswordStore; 1]>::try_from(given) {
            Ok([store]) => store,
            Err(_) => {
                self.error(
                    store_pos.or(raw_pos),
                    format!(
                        "vault password `{vault_id}`: `store` needs exactly one of `age_file: PATH`, `file: PATH` or `command: COMMAND`"
                    ),
                );
                return None;
            }
        };
        let as_secret = RawSecret {
            policy: raw.policy,
            max_age: raw.max_age,
            warn_before: raw.warn_before,
            last_rotation: raw.last_rotation,
            owner: raw.owner,
            description: raw.description,
            rotation: raw.rotation,
            history: raw.history,
            ..RawSecret::default()
        };
        let name = Sp {
            value: VaultPassword::secret_name(&vault_id),
            pos: id_pos,
        };
        let raw_secret = Sp {
            value: as_secret,
            pos: raw_pos,
        };
        let mut secret = self.secret_checked(name, raw_secret, defaults, policies, false)?;
        secret.vault = PathBuf::new();
        Some(VaultPassword {
            vault_id,
            store,
            secret,
        })
    }

    fn defaults(&mut self, raw: Option<RawDefaults>) -> Defaults {
        let raw = raw.unwrap_or(RawDefaults {
            vault: None,
            inventory: None,
            changelog: None,
            warn_before: None,
        });
        let default_vault = self
            .manifest_dir
            .join("vault.yml")
            .strip_prefix(&self.root)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from("group_vars/all/vault.yml"));
        Defaults {
            vault: self
                .path(raw.vault, "defaults.vault")
                .unwrap_or(default_vault),
            inventory: self.path(raw.inventory, "defaults.inventory"),
            changelog: self.path(raw.changelog, "defaults.changelog"),
            warn_before: self
                .period(raw.warn_before.as_ref(), "warn_before")
                .unwrap_or(DEFAULT_WARN_BEFORE),
        }
    }

    fn path(&mut self, raw: Option<Sp<String>>, what: &str) -> Option<PathBuf> {
        let raw = raw?;
        if raw.value.trim().is_empty() {
            self.error(
                pos(&raw),
                format!("{what} is empty; expected a path relative to the infra root"),
            );
            return None;
        }
        Some(PathBuf::from(raw.value))
    }

    fn period(&mut self, raw: Option<&Sp<String>>, what: &str) -> Option<Period> {
        let raw = raw?;
        match raw.value.parse::<Period>() {
            Ok(period) => Some(period),
            Err(err) => {
                let hint = if raw.value == "never" {
                    " (`never` is only valid for max_age)"
                } else {
                    ""
                };
                self.error(pos(raw), format!("bad {what}: {err}{hint}"));
                None
            }
        }
    }

    fn max_age(&mut self, raw: &Sp<String>) -> Option<MaxAge> {
        match raw.value.parse::<MaxAge>() {
            Ok(max_age) => Some(max_age),
            Err(err) => {
                self.error(pos(raw), format!("bad max_age: {err}"));
                None
            }
        }
    }

    fn strategy(&mut self, raw: Option<&Sp<String>>) -> Option<Strategy> {
        let raw = raw?;
        match raw.value.as_str() {
            "dual" => Some(Strategy::Dual),
            "swap" => Some(Strategy::Swap),
            other => {
                self.error(
                    pos(raw),
                    format!("unknown strategy `{other}`; expected `dual` or `swap`"),
                );
                None
            }
        }
    }

    fn policy(&mut self, name: Sp<String>, raw: Sp<RawPolicy>) -> Policy {
        let raw = raw.value;
        Policy {
            pos: pos(&name).unwrap_or_default(),
            max_age: self.max_age(&raw.max_age).unwrap_or(MaxAge::Never),
            warn_before: self.period(raw.warn_before.as_ref(), "warn_before"),
            strategy: self.strategy(raw.strategy.as_ref()),
            min_window: self.period(raw.min_window.as_ref(), "min_window"),
            auto: raw.auto,
            name: name.value,
        }
    }

    fn secret(
        &mut self,
        name: Sp<String>,
        raw: Sp<RawSecret>,
        defaults: &Defaults,
        policies: &[Policy],
    ) -> Option<Secret> {
        self.secret_checked(name, raw, defaults, policies, true)
    }

    /// [`Checker::secret`]; `variable` when the name must be an Ansible
    /// variable (a vault password's name is not one).
    fn secret_checked(
        &mut self,
        name: Sp<String>,
        raw: Sp<RawSecret>,
        defaults: &Defaults,
        policies: &[Policy],
        variable: bool,
    ) -> Option<Secret> {
        let key_pos = pos(&name);
        let name = name.value;
        let raw = raw.value;
        let errors_before = self.diagnostics.len();
        if variable && !is_ansible_variable(&name) {
            self.error(
                key_pos,
                format!(
                    "`{name}` is not a valid Ansible variable name; expected letters, digits and underscores, not starting with a digit"
                ),
            );
        }

        let policy = match &raw.policy {
            None => None,
            Some(wanted) => match policies.iter().find(|p| p.name == wanted.value) {
                Some(policy) => Some(policy),
                None => {
                    let known = if policies.is_empty() {
                        "no policies are defined under secrets_manifest.policies".to_string()
                    } else {
                        format!(
                            "expected one of: {}",
                            policies
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    self.error(
                        pos(wanted),
                        format!(
                            "unknown policy `{}` for secret `{name}`; {known}",
                            wanted.value
                        ),
                    );
                    None
                }
            },
        };
        let own_max_age = raw.max_age.as_ref().and_then(|m| self.max_age(m));
        let max_age = match (own_max_age, policy) {
            (Some(max_age), _) => Some(max_age),
            (None, Some(policy)) => Some(policy.max_age),
            (None, None) => {
                if raw.policy.is_none() && raw.max_age.is_none() {
                    self.error(
                        key_pos,
                        format!(
                            "secret `{name}` has neither a policy nor a max_age; add `policy: NAME` or e.g. `max_age: 6mo`"
                        ),
                    );
                }
                None
            }
        };
        let warn_before = self
            .period(raw.warn_before.as_ref(), "warn_before")
            .or(policy.and_then(|p| p.warn_before))
            .unwrap_or(defaults.warn_before);
        let strategy = self
            .strategy(raw.strategy.as_ref())
            .or(policy.and_then(|p| p.strategy))
            .unwrap_or_default();
        let min_window = self
            .period(raw.min_window.as_ref(), "min_window")
            .or(policy.and_then(|p| p.min_window));
        let auto = raw.auto.or(policy.and_then(|p| p.auto)).unwrap_or(false);
        let last_rotation = raw
            .last_rotation
            .as_ref()
            .and_then(|d| self.last_rotation(d));
        let vault = self
            .path(raw.vault, "vault")
            .unwrap_or_else(|| defaults.vault.clone());
        let generate = raw.generate.map(|g| self.generate(g));
        let deploy = self.steps(raw.deploy, defaults);
        let (verify, verify_skip) = self.verify(raw.verify, defaults, &name);
        let revoke = self.steps(raw.revoke, defaults);
        let notify = self.steps(raw.notify, defaults);
        let rotation = raw.rotation.and_then(|r| self.rotation(r));
        let history = raw
            .history
            .unwrap_or_default()
            .into_iter()
            .filter_map(|h| self.history(h))
            .collect();

        if self.diagnostics.len() > errors_before {
            return None;
        }
        Some(Secret {
            name,
            pos: key_pos.unwrap_or_default(),
            policy: raw.policy.map(|p| p.value),
            max_age: max_age?,
            warn_before,
            strategy,
            min_window,
            auto,
            last_rotation,
            owner: raw.owner,
            description: raw.description,
            vault,
            generate: generate.flatten(),
            derived_from: raw.derived_from.map(|d| d.value),
            source_rotation: None,
            deploy,
            verify,
            verify_skip,
            revoke,
            notify,
            rotation,
            history,
        })
    }

    fn verify(
        &mut self,
        raw: Option<RawVerify>,
        defaults: &Defaults,
        name: &str,
    ) -> (Vec<Step>, Option<String>) {
        match raw {
            None => (Vec::new(), None),
            Some(RawVerify::Steps(steps)) => (self.steps(Some(steps), defaults), None),
            Some(RawVerify::Skip(skip)) => {
                let at = pos(&skip);
                let skip = skip.value;
                if !skip.skip.as_ref().is_some_and(|s| s.value) {
                    self.error(
                        skip.skip.as_ref().and_then(pos).or(at),
                        format!(
                            "verify of `{name}` is a mapping: the only one allowed is `{{skip: true, reason: WHY}}`; otherwise list verify steps"
                        ),
                    );
                    return (Vec::new(), None);
                }
                match skip.reason {
                    Some(reason) if !reason.value.trim().is_empty() => {
                        (Vec::new(), Some(reason.value))
                    }
                    other => {
                        self.error(
                            other.as_ref().and_then(pos).or(at),
                            format!(
                                "`verify: {{skip: true}}` of `{name}` needs a `reason:` saying why nothing can check the new value"
                            ),
                        );
                        (Vec::new(), None)
                    }
                }
            }
        }
    }

    fn last_rotation(&mut self, raw: &Sp<String>) -> Option<NaiveDate> {
        match parse_date(&raw.value) {
            Ok(date) => Some(date),
            Err(err) => {
                let hint = if raw.value == "never" {
                    " (leave last_rotation empty for a secret never rotated)"
                } else {
                    ""
                };
                self.error(pos(raw), format!("bad last_rotation: {err}{hint}"));
                None
            }
        }
    }

    fn generate(&mut self, raw: Sp<RawGenerate>) -> Option<Generate> {
        let at = pos(&raw);
        let raw = raw.value;
        let random = raw.length.is_some() || raw.charset.is_some() || raw.exclude.is_some();
        if let Some(instructions) = &raw.instructions
            && raw.external.is_none()
        {
            self.error(
                pos(instructions),
                "generate.instructions only applies with `external: true` (they tell the operator how to issue the value)",
            );
            return None;
        }
        let kinds = usize::from(random)
            + usize::from(raw.external.is_some())
            + usize::from(raw.command.is_some());
        if kinds > 1 {
            self.error(
                at,
                "generate takes one of {length, charset, exclude}, {external: true} or {command: PATH}, not a mix",
            );
            return None;
        }
        if let Some(external) = raw.external {
            if !external.value {
                self.error(
                    pos(&external),
                    "generate.external can only be `true`; drop it to let vaultrot generate the value",
                );
                return None;
            }
            return Some(Generate::External {
                instructions: raw.instructions.map(|i| i.value),
            });
        }
        if let Some(command) = raw.command {
            if command.value.trim().is_empty() {
                self.error(
                    pos(&command),
                    "generate.command is empty; expected a command or a script path",
                );
                return None;
            }
            return Some(Generate::Command {
                command: command.value,
            });
        }
        let charset = match raw.charset.as_ref() {
            None => Charset::Alnum,
            Some(c) => match c.value.as_str() {
                "alnum" => Charset::Alnum,
                "ascii" => Charset::Ascii,
                "hex" => Charset::Hex,
                "base64url" => Charset::Base64url,
                other => {
                    self.error(
                        pos(c),
                        format!(
                            "unknown charset `{other}`; expected alnum, ascii, hex or base64url"
                        ),
                    );
                    return None;
                }
            },
        };
        let length = match raw.length {
            None => DEFAULT_GENERATE_LENGTH,
            Some(length) if (8..=4096).contains(&length.value) => length.value,
            Some(length) => {
                self.error(
                    pos(&length),
                    format!(
                        "generate.length {} is out of range; expected 8 to 4096",
                        length.value
                    ),
                );
                return None;
            }
        };
        let exclude = raw.exclude.unwrap_or_default();
        let generate = Generate::Random {
            length,
            charset,
            exclude,
        };
        if !generate_exclude_leaves_choice(&generate) {
            self.error(
                at,
                "generate.exclude removes (almost) every character of the charset",
            );
            return None;
        }
        Some(generate)
    }

    fn steps(&mut self, raw: Option<Vec<Sp<RawStep>>>, defaults: &Defaults) -> Vec<Step> {
        let raw = raw.unwrap_or_default();
        // Not collect(): it would reuse the larger raw buffer, then shrink it.
        let mut steps = Vec::with_capacity(raw.len());
        for step in raw {
            steps.extend(self.step(step, defaults));
        }
        steps
    }

    fn step(&mut self, raw: Sp<RawStep>, defaults: &Defaults) -> Option<Step> {
        let at = pos(&raw);
        let raw = raw.value;
        if let Some(manual) = raw.manual {
            let extras = raw.playbook.is_some()
                || raw.run.is_some()
                || raw.inventory.is_some()
                || raw.tags.is_some()
                || raw.limit.is_some()
                || raw.extra_vars.is_some();
            if extras {
                self.error(
                    at,
                    "a `manual` step is an instruction for a person; it takes no playbook, run, inventory, tags, limit or extra_vars",
                );
                return None;
            }
            if manual.value.trim().is_empty() {
                self.error(
                    pos(&manual),
                    "manual is empty; expected what the operator must do",
                );
                return None;
            }
            if raw.retries.is_some() || raw.delay.is_some() {
                self.error(
                    at,
                    "retries and delay re-check a `playbook` or `run` step; a `manual` step is confirmed once",
                );
                return None;
            }
            return Some(Step {
                pos: at.unwrap_or_default(),
                action: StepAction::Manual(manual.value),
                retry: None,
            });
        }
        let action = match (raw.playbook, raw.run) {
            (Some(playbook), None) => {
                let playbook = self.path(Some(playbook), "playbook")?;
                let inventory = match raw.inventory {
                    Some(inventory) => Some(self.path(Some(inventory), "inventory")?),
                    None => defaults.inventory.clone(),
                };
                let extra_vars = raw.extra_vars.unwrap_or_default();
                for key in extra_vars.keys() {
                    if key.starts_with("vaultrot_") {
                        self.error(
                            at,
                            format!(
                                "extra_vars key `{key}` is reserved: vaultrot sets vaultrot_phase, vaultrot_secrets and vaultrot_rotation_id itself"
                            ),
                        );
                        return None;
                    }
                    if key.starts_with("vault_") {
                        self.error(
                            at,
                            format!(
                                "extra_vars key `{key}` names a vault variable: extra vars travel in ansible-playbook's argv and override the vault; keep the value in the vault file"
                            ),
                        );
                        return None;
                    }
                }
                StepAction::Playbook(PlaybookStep {
                    playbook,
                    inventory,
                    tags: raw.tags.map(|t| t.0).unwrap_or_default(),
                    limit: raw.limit,
                    extra_vars,
                })
            }
            (None, Some(run)) => {
                let extras = raw.inventory.is_some()
                    || raw.tags.is_some()
                    || raw.limit.is_some()
                    || raw.extra_vars.is_some();
                if extras {
                    self.error(
                        at,
                        "inventory, tags, limit and extra_vars only apply to a `playbook` step, not to `run`",
                    );
                    return None;
                }
                if run.value.trim().is_empty() {
                    self.error(pos(&run), "run is empty; expected a command");
                    return None;
                }
                StepAction::Run(run.value)
            }
            (Some(_), Some(_)) => {
                self.error(
                    at,
                    "a step is either `playbook: PATH` or `run: COMMAND`, not both",
                );
                return None;
            }
            (None, None) => {
                self.error(
                    at,
                    "a step needs `playbook: PATH` (with optional inventory, tags, limit, extra_vars), `run: COMMAND` or `manual: INSTRUCTION`",
                );
                return None;
            }
        };
        let retry = match (raw.retries, raw.delay) {
            (None, None) => None,
            (retries, delay) => {
                let delay_secs = match &delay {
                    None => 0,
                    Some(d) => match parse_delay(&d.value) {
                        Some(secs) => secs,
                        None => {
                            self.error(
                                pos(d),
                                format!(
                                    "bad delay `{}`; expected seconds, minutes or hours such as 30s, 5m, 1h (at most 24h)",
                                    d.value
                                ),
                            );
                            return None;
                        }
                    },
                };
                let retries = retries.map_or(1, |r| r.value);
                if retries > 100 {
                    self.error(at, format!("retries {retries} is too many; at most 100"));
                    return None;
                }
                Some(Retry {
                    retries,
                    delay_secs,
                })
            }
        };
        Some(Step {
            pos: at.unwrap_or_default(),
            action,
            retry,
        })
    }

    fn rotation(&mut self, raw: Sp<RawRotation>) -> Option<Rotation> {
        let at = pos(&raw).unwrap_or_default();
        let raw = raw.value;
        let phase = RotationPhase::ALL
            .into_iter()
            .find(|p| p.as_str() == raw.phase.value);
        let started = self.timestamp(&raw.started, "rotation.started");
        let Some(phase) = phase else {
            self.error(
                pos(&raw.phase),
                format!(
                    "unknown rotation phase `{}`; expected one of: {}",
                    raw.phase.value,
                    RotationPhase::ALL.map(RotationPhase::as_str).join(", ")
                ),
            );
            return None;
        };
        Some(Rotation {
            pos: at,
            id: raw.id,
            phase,
            started: started?,
            by: raw.by,
            group: raw.group.unwrap_or_default(),
            old_fingerprint: raw.old_fingerprint,
            new_fingerprint: raw.new_fingerprint,
            reason: raw.reason,
            awaiting: raw.awaiting,
            kind: match raw.kind {
                None => RotationKind::Dual,
                Some(k) => match RotationKind::parse(&k.value) {
                    Some(kind) => kind,
                    None => {
                        self.error(
                            pos(&k),
                            format!(
                                "unknown rotation kind `{}`; expected dual, swap or compromised",
                                k.value
                            ),
                        );
                        return None;
                    }
                },
            },
        })
    }

    fn history(&mut self, raw: Sp<RawHistory>) -> Option<HistoryEntry> {
        let raw = raw.value;
        let event = HistoryEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == raw.event.value);
        let at = self.timestamp(&raw.at, "history.at");
        let Some(event) = event else {
            self.error(
                pos(&raw.event),
                format!(
                    "unknown history event `{}`; expected one of: {}",
                    raw.event.value,
                    HistoryEvent::ALL.map(HistoryEvent::as_str).join(", ")
                ),
            );
            return None;
        };
        Some(HistoryEntry {
            event,
            at: at?,
            id: raw.id,
            by: raw.by,
            reason: raw.reason,
        })
    }

    fn timestamp(&mut self, raw: &Sp<String>, what: &str) -> Option<DateTime<Utc>> {
        if let Ok(date) = parse_date(&raw.value) {
            return Some(date.and_time(NaiveTime::MIN).and_utc());
        }
        match DateTime::parse_from_rfc3339(&raw.value) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                self.error(
                    pos(raw),
                    format!(
                        "bad {what}: `{}` is not a timestamp; expected RFC 3339 (2026-11-22T10:15:00Z) or a date (YYYY-MM-DD)",
                        raw.value
                    ),
                );
                None
            }
        }
    }

    fn check_new_suffix_collisions(&mut self, secrets: &[Secret]) {
        let names: std::collections::HashSet<&str> =
            secrets.iter().map(|s| s.name.as_str()).collect();
        for secret in secrets {
            if let Some(stem) = secret.name.strip_suffix("_new")
                && names.contains(stem)
            {
                self.error(
                    Some(secret.pos),
                    format!(
                        "secret `{}` collides with the key a dual rotation of `{stem}` uses; rename it",
                        secret.name
                    ),
                );
            }
        }
    }
    /// `derived_from` names another secret of the manifest, without a cycle,
    /// and the derived secret has a mint command to read the source's value
    /// with; then each derived secret learns when its source was rotated.
    fn check_derived(&mut self, secrets: &mut [Secret]) {
        let mut sound = true;
        for secret in secrets.iter() {
            let Some(source) = &secret.derived_from else {
                continue;
            };
            let at = Some(secret.pos);
            if !secrets.iter().any(|s| &s.name == source) {
                self.error(
                    at,
                    format!(
                        "`{}` is derived_from `{source}`, which is not a secret of this manifest",
                        secret.name
                    ),
                );
                sound = false;
                continue;
            }
            if !matches!(secret.generate, Some(Generate::Command { .. })) {
                self.error(
                    at,
                    format!(
                        "`{}` is derived_from `{source}` but has no `generate: {{command: ...}}` to mint it from that value (the command reads it on stdin)",
                        secret.name
                    ),
                );
            }
            // Walk the chain of sources: it must end before it comes back.
            let mut seen = vec![secret.name.as_str()];
            let mut next = Some(source.as_str());
            while let Some(name) = next {
                if seen.contains(&name) {
                    self.error(
                        at,
                        format!(
                            "`derived_from` makes a cycle: {} -> {name}",
                            seen.join(" -> ")
                        ),
                    );
                    sound = false;
                    break;
                }
                seen.push(name);
                next = secrets
                    .iter()
                    .find(|s| s.name == name)
                    .and_then(|s| s.derived_from.as_deref());
            }
        }
        if !sound {
            return;
        }
        // A chain is at most as long as the manifest: that many passes settle it.
        for _ in 0..secrets.len() {
            let mut changed = false;
            for i in 0..secrets.len() {
                let Some(source) = &secrets[i].derived_from else {
                    continue;
                };
                let date = secrets
                    .iter()
                    .find(|s| &s.name == source)
                    .and_then(Secret::rotated_on);
                if secrets[i].source_rotation != date {
                    secrets[i].source_rotation = date;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
}

/// `30s`, `5m`, `1h` (a bare number is seconds), at most a day.
fn parse_delay(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok()?;
    let per = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return None,
    };
    n.checked_mul(per).filter(|secs| *secs <= 86_400)
}

fn is_ansible_variable(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether at least two characters remain to draw from (without building
/// the alphabet when nothing is excluded, the common case).
fn generate_exclude_leaves_choice(generate: &Generate) -> bool {
    match generate {
        Generate::Random { exclude, .. } if exclude.is_empty() => true,
        other => other.alphabet().len() >= 2,
    }
}
