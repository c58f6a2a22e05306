//! `lint`: is the manifest consistent with the vault files and the tree?
//! Every vaulted key listed and vice versa, no `_new` without an open
//! rotation, vault data encrypted, named playbooks and inventories present.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use super::model::{
    MIN_REDACTED_LEN, Manifest, PasswordStore, Pos, RotationPhase, Secret, StepAction, Strategy,
    VaultPassword,
};
use super::raw::top_level_keys;
use crate::vault::{self, DecryptOptions, VaultSecret};
use crate::yaml::{Doc, ValueKind};
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }
}

/// The four consistency checks (one JUnit test case each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// Every file holding vault data is encrypted.
    Encrypted,
    /// Vault keys and manifest secrets match (needs the password).
    VaultKeys,
    /// No `<name>_new` without an open rotation of `<name>`.
    NewKeys,
    /// Playbooks, inventories and mint scripts the manifest names exist.
    Files,
    /// Every secret is verified before a rotation is done (or says why
    /// not), and a dual secret retires its old value.
    Steps,
}

impl Check {
    pub const ALL: [Check; 5] = [
        Check::Encrypted,
        Check::VaultKeys,
        Check::NewKeys,
        Check::Files,
        Check::Steps,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Encrypted => "encrypted",
            Check::VaultKeys => "vault_keys",
            Check::NewKeys => "new_keys",
            Check::Files => "files",
            Check::Steps => "steps",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Check::Encrypted => "vault data is encrypted",
            Check::VaultKeys => "vault keys match the manifest",
            Check::NewKeys => "no _new key without an open rotation",
            Check::Files => "named playbooks, inventories and scripts exist",
            Check::Steps => "rotations are verified and retire the old value",
        }
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub check: Check,
    /// The file the problem is in (the manifest, a vault file, ...).
    pub file: PathBuf,
    pub pos: Option<Pos>,
    pub secret: Option<String>,
    pub message: String,
}

/// Everything `lint` found.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    pub findings: Vec<Finding>,
    /// Checks that could not run (no vault password for [`Check::VaultKeys`]).
    pub skipped: Vec<Check>,
    /// The vault files the manifest names, relative to the infra root.
    pub vault_files: Vec<PathBuf>,
    pub secrets: usize,
}

impl LintReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Errors fail the lint (exit 1); warnings and notices do not.
    pub fn failing(&self) -> bool {
        self.count(Severity::Error) > 0
    }
}

/// What a vault file holds, as far as can be told.
enum VaultKeys {
    /// Keys known, with their line when the file is readable without a password.
    Known(Vec<(String, Option<Pos>)>),
    /// Whole-file vault and no password, or it could not be opened.
    Unknown,
}

/// Runs every check; `secrets` are the vault passwords (`None`: the key
/// check is skipped with a notice).
pub fn lint(manifest: &Manifest, secrets: Option<&[VaultSecret]>) -> LintReport {
    let mut lint = Linter {
        manifest,
        report: LintReport {
            secrets: manifest.secrets.len(),
            ..LintReport::default()
        },
    };
    let by_vault = lint.secrets_by_vault();
    let mut any_whole_file_vault = false;
    for (vault_path, listed) in &by_vault {
        lint.report.vault_files.push(vault_path.clone());
        let keys = match fs::read(manifest.resolve(vault_path)) {
            Err(err) => {
                lint.push(
                    Severity::Error,
                    Check::Files,
                    manifest.resolve(vault_path),
                    None,
                    None,
                    format!(
                        "vault file {} (of {}) cannot be read: {err}",
                        vault_path.display(),
                        listed
                            .iter()
                            .map(|s| format!("`{}`", s.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            Ok(bytes) if vault::is_encrypted(&bytes) => {
                any_whole_file_vault = true;
                lint.whole_file_vault_keys(vault_path, &bytes, secrets)
            }
            Ok(bytes) => lint.plaintext_vault_keys(vault_path, &bytes, listed),
        };
        if let VaultKeys::Known(keys) = keys {
            lint.compare_keys(vault_path, listed, &keys, &by_vault);
        }
    }
    if secrets.is_none() && any_whole_file_vault {
        lint.report.skipped.push(Check::VaultKeys);
        lint.push(
            Severity::Notice,
            Check::VaultKeys,
            manifest.path.clone(),
            None,
            None,
            "vault keys not compared with the manifest: no vault password given (use --vault-id or --vault-password-file)".to_string(),
        );
    }
    lint.unnamed_plaintext_vaults(&by_vault);
    lint.vault_passwords(secrets);
    lint.short_values(&by_vault, secrets);
    lint.files();
    lint.steps();
    let mut report = lint.report;
    // Errors first; within a severity the manifest first, then the other
    // files, each by line. Paths are made absolute so that they compare.
    let absolute = |path: &Path| std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let manifest_file = absolute(&manifest.path);
    for finding in &mut report.findings {
        finding.file = absolute(&finding.file);
    }
    report.findings.sort_by_cached_key(|f| {
        (
            f.severity,
            f.file != manifest_file,
            f.file.clone(),
            f.pos.map(|p| (p.line, p.column)),
        )
    });
    report
}

struct Linter<'m> {
    manifest: &'m Manifest,
    report: LintReport,
}

impl<'m> Linter<'m> {
    /// A finding about `secret`, at its entry in the manifest.
    fn push_for(&mut self, severity: Severity, check: Check, secret: &Secret, message: String) {
        let (file, pos) = (self.manifest.path.clone(), Some(secret.pos));
        self.push(severity, check, file, pos, Some(&secret.name), message);
    }

    fn push(
        &mut self,
        severity: Severity,
        check: Check,
        file: PathBuf,
        pos: Option<Pos>,
        secret: Option<&str>,
        message: String,
    ) {
        self.report.findings.push(Finding {
            severity,
            check,
            file,
            pos,
            secret: secret.map(String::from),
            message,
        });
    }

    /// Vault files in the order the manifest first names them.
    fn secrets_by_vault(&self) -> Vec<(PathBuf, Vec<&'m Secret>)> {
        let mut order: Vec<(PathBuf, Vec<&'m Secret>)> = Vec::new();
        for secret in &self.manifest.secrets {
            match order.iter_mut().find(|(path, _)| *path == secret.vault) {
                Some((_, listed)) => listed.push(secret),
                None => order.push((secret.vault.clone(), vec![secret])),
            }
        }
        order
    }

    fn whole_file_vault_keys(
        &mut self,
        vault_path: &Path,
        bytes: &[u8],
        secrets: Option<&[VaultSecret]>,
    ) -> VaultKeys {
        let Some(secrets) = secrets else {
            return VaultKeys::Unknown;
        };
        let file = self.manifest.resolve(vault_path);
        let plaintext = match vault::decrypt(bytes, secrets, DecryptOptions::default()) {
            Ok(decrypted) => decrypted.plaintext,
            Err(err) => {
                self.push(
                    Severity::Error,
                    Check::VaultKeys,
                    file,
                    None,
                    None,
                    format!("cannot open vault {}: {err}", vault_path.display()),
                );
                return VaultKeys::Unknown;
            }
        };
        let keys = std::str::from_utf8(&plaintext)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(top_level_keys);
        match keys {
            // Positions count lines of the decrypted content, as `vaultrot
            // view` and `edit` show it: where the user fixes the key.
            Ok(keys) => VaultKeys::Known(keys),
            Err(err) => {
                self.push(
                    Severity::Error,
                    Check::VaultKeys,
                    file,
                    None,
                    None,
                    format!(
                        "vault {} decrypts but is not a YAML mapping of variables: {err}",
                        vault_path.display()
                    ),
                );
                VaultKeys::Unknown
            }
        }
    }

    /// A vars file that is not whole-file encrypted: its inline `!vault`
    /// values are the secrets and its plain keys are settings (the usual
    /// `group_vars/all/vars.yml`). A plain value is an error only when the
    /// manifest lists it as a secret; unlisted, it is a warning when its name
    /// says it is one. A file with no inline value at all is an unencrypted vault.
    fn plaintext_vault_keys(
        &mut self,
        vault_path: &Path,
        bytes: &[u8],
        listed: &[&'m Secret],
    ) -> VaultKeys {
        let file = self.manifest.resolve(vault_path);
        let keys = std::str::from_utf8(bytes)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(|text| top_level_keys(text).map(|keys| (text, keys)));
        let (text, keys) = match keys {
            Ok(found) => found,
            Err(err) => {
                self.push(
                    Severity::Error,
                    Check::Encrypted,
                    file,
                    None,
                    None,
                    format!(
                        "{} is neither an encrypted vault nor readable YAML: {err}",
                        vault_path.display()
                    ),
                );
                return VaultKeys::Unknown;
            }
        };
        let lines: Vec<&str> = text.lines().collect();
        let (vaulted, plain): (Vec<_>, Vec<_>) = keys
            .into_iter()
            .partition(|(_, pos)| is_inline_vault_value(&lines, *pos));
        if vaulted.is_empty() && !plain.is_empty() {
            self.push(
                Severity::Error,
                Check::Encrypted,
                file,
                Some(Pos { line: 1, column: 1 }),
                None,
                format!(
                    "vault file {} is not encrypted: {} secret values in plaintext; encrypt it (vaultrot encrypt {})",
                    vault_path.display(),
                    plain.len(),
                    vault_path.display()
                ),
            );
            return VaultKeys::Known(plain);
        }
        let is_listed = |key: &str| listed.iter().any(|s| s.name == key || s.new_key() == key);
        let mut secrets = vaulted;
        for (key, pos) in plain {
            if is_listed(&key) {
                self.push(
                    Severity::Error,
                    Check::Encrypted,
                    file.clone(),
                    pos,
                    Some(&key),
                    format!(
                        "`{key}` is in plaintext in vault file {}; encrypt the value (vaultrot encrypt-string) or the file",
                        vault_path.display()
                    ),
                );
                secrets.push((key, pos));
            } else if looks_like_secret_name(&key) {
                self.push(
                    Severity::Warning,
                    Check::Encrypted,
                    file.clone(),
                    pos,
                    Some(&key),
                    format!(
                        "`{key}` looks like a secret in plaintext in {}; vault it (vaultrot set --vault {} {key} --stdin) or rename it",
                        vault_path.display(),
                        vault_path.display()
                    ),
                );
            }
        }
        VaultKeys::Known(secrets)
    }

    fn compare_keys(
        &mut self,
        vault_path: &Path,
        listed: &[&'m Secret],
        keys: &[(String, Option<Pos>)],
        by_vault: &[(PathBuf, Vec<&'m Secret>)],
    ) {
        let file = self.manifest.resolve(vault_path);
        let present: HashSet<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let here: HashMap<&str, &Secret> = listed.iter().map(|s| (s.name.as_str(), *s)).collect();
        let elsewhere: HashMap<&str, &Path> = by_vault
            .iter()
            .filter(|(path, _)| path != vault_path)
            .flat_map(|(path, secrets)| {
                secrets
                    .iter()
                    .map(move |s| (s.name.as_str(), path.as_path()))
            })
            .collect();

        for secret in listed {
            if !present.contains(secret.name.as_str()) {
                self.push_for(
                    Severity::Error,
                    Check::VaultKeys,
                    secret,
                    format!(
                        "secret `{}` is listed in the manifest but missing from vault {}",
                        secret.name,
                        vault_path.display()
                    ),
                );
            }
            if let Some(rotation) = &secret.rotation
                && secret.strategy == Strategy::Dual
                && rotation.phase == RotationPhase::Dual
                && !present.contains(secret.new_key().as_str())
            {
                self.push(
                    Severity::Warning,
                    Check::NewKeys,
                    self.manifest.path.clone(),
                    Some(rotation.pos),
                    Some(&secret.name),
                    format!(
                        "rotation {} of `{}` is in phase dual but `{}` is missing from vault {}",
                        rotation.id,
                        secret.name,
                        secret.new_key(),
                        vault_path.display()
                    ),
                );
            }
        }

        for (key, pos) in keys {
            if here.contains_key(key.as_str()) {
                continue;
            }
            // `_previous` (kept from promotion until revoke) is like `_new`.
            if let Some(stem) = key
                .strip_suffix("_new")
                .or_else(|| key.strip_suffix("_previous"))
                && let Some(owner) = here.get(stem)
            {
                if owner.rotation.is_none() {
                    self.push(
                        Severity::Error,
                        Check::NewKeys,
                        file.clone(),
                        *pos,
                        Some(stem),
                        format!(
                            "`{key}` in vault {} but no rotation of `{stem}` is open; finish or abort it, or remove `{key}`",
                            vault_path.display()
                        ),
                    );
                }
                continue;
            }
            let message = match elsewhere.get(key.as_str()) {
                Some(other) => format!(
                    "`{key}` is in vault {} but the manifest keeps it in {}",
                    vault_path.display(),
                    other.display()
                ),
                None => format!(
                    "`{key}` is in vault {} but not listed in the manifest; add it under secrets_manifest.secrets",
                    vault_path.display()
                ),
            };
            self.push(
                Severity::Error,
                Check::VaultKeys,
                file.clone(),
                *pos,
                Some(key),
                message,
            );
        }
    }

    /// `vault*.yml` under group_vars/host_vars that the manifest does not name.
    fn unnamed_plaintext_vaults(&mut self, by_vault: &[(PathBuf, Vec<&'m Secret>)]) {
        let named: HashSet<PathBuf> = by_vault
            .iter()
            .map(|(path, _)| self.manifest.resolve(path))
            .collect();
        let walker = ignore::WalkBuilder::new(&self.manifest.root)
            .filter_entry(|entry| {
                let name = entry.file_name();
                !(name == "target" || name == "node_modules" || name == ".venv" || name == ".git")
            })
            .build();
        let mut found: BTreeMap<PathBuf, ()> = BTreeMap::new();
        for entry in walker.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy();
            let looks_like_vault = name.starts_with("vault")
                && (name.ends_with(".yml") || name.ends_with(".yaml"))
                && entry.file_type().is_some_and(|t| t.is_file())
                && path.ancestors().any(|a| {
                    a.file_name()
                        .is_some_and(|n| n == "group_vars" || n == "host_vars")
                });
            if looks_like_vault && !named.contains(path) {
                found.insert(path.to_path_buf(), ());
            }
        }
        for path in found.into_keys() {
            let Ok(bytes) = fs::read(&path) else { continue };
            if vault::is_encrypted(&bytes) {
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let has_inline = text.lines().any(|l| l.contains("!vault"));
            if has_inline {
                continue;
            }
            if crate::yaml::view::is_empty_document(&text) {
                continue;
            }
            let shown = path
                .strip_prefix(&self.manifest.root)
                .unwrap_or(&path)
                .to_path_buf();
            self.push(
                Severity::Error,
                Check::Encrypted,
                path,
                Some(Pos { line: 1, column: 1 }),
                None,
                format!(
                    "{} is named like a vault file but is not encrypted; encrypt it (vaultrot encrypt {})",
                    shown.display(),
                    shown.display()
                ),
            );
        }
    }

    /// `vault_passwords:` stores exist, and every vault file and inline
    /// value under the infra encrypted under a listed vault-id opens with
    /// the passwords given (an open `rotate-password` gives old and new).
    fn vault_passwords(&mut self, secrets: Option<&[VaultSecret]>) {
        let manifest = self.manifest;
        if manifest.vault_passwords.is_empty() {
            return;
        }
        for password in &manifest.vault_passwords {
            let file = match &password.store {
                PasswordStore::AgeFile(p) | PasswordStore::File(p) => p,
                PasswordStore::Command(_) => continue,
            };
            let path = crate::fsutil::unfrack(file, Some(&manifest.root));
            if !path.is_file() {
                self.push(
                    Severity::Error,
                    Check::Files,
                    manifest.path.clone(),
                    Some(password.secret.pos),
                    Some(&password.secret.name),
                    format!(
                        "vault password `{}`: its store {} does not exist",
                        password.vault_id,
                        path.display()
                    ),
                );
            }
        }
        let Some(secrets) = secrets else {
            self.push(
                Severity::Notice,
                Check::VaultKeys,
                manifest.path.clone(),
                None,
                None,
                "vault files not checked against vault_passwords: no vault password given"
                    .to_string(),
            );
            return;
        };
        let managed: HashSet<&str> = manifest
            .vault_passwords
            .iter()
            .map(|p| p.vault_id.as_str())
            .collect();
        let walker = ignore::WalkBuilder::new(&manifest.root)
            .filter_entry(|entry| {
                let name = entry.file_name();
                !(name == "target" || name == "node_modules" || name == ".venv" || name == ".git")
            })
            .build();
        let mut files: Vec<PathBuf> = walker
            .flatten()
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(|e| e.path().to_path_buf())
            .collect();
        files.sort();
        let opens = |data: &[u8]| vault::decrypt(data, secrets, DecryptOptions::default()).is_ok();
        for path in files {
            let Ok(bytes) = fs::read(&path) else { continue };
            // (where, vault-id) of each vault that does not open.
            let mut closed: Vec<(String, String)> = Vec::new();
            if vault::is_encrypted(&bytes) {
                if let Ok(env) = vault::envelope::parse_envelope(&bytes)
                    && managed.contains(env.label_or_default())
                    && !opens(&bytes)
                {
                    closed.push((
                        "the whole file".to_string(),
                        env.label_or_default().to_string(),
                    ));
                }
            } else if bytes.windows(6).any(|w| w == b"!vault") {
                let Ok(doc) = Doc::parse(&String::from_utf8_lossy(&bytes)) else {
                    continue;
                };
                for inline in doc.inline_vaults() {
                    let label = inline.label.as_deref().unwrap_or(vault::DEFAULT_LABEL);
                    if managed.contains(label) && !opens(inline.vault_text.as_bytes()) {
                        closed.push((format!("`{}`", inline.path.join(".")), label.to_string()));
                    }
                }
            }
            let Some((first, label)) = closed.first() else {
                continue;
            };
            let shown = path
                .strip_prefix(&manifest.root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let more = match closed.len() {
                1 => String::new(),
                n => format!(" and {} more", n - 1),
            };
            self.push(
                Severity::Error,
                Check::VaultKeys,
                path.clone(),
                None,
                Some(&VaultPassword::secret_name(label)),
                format!(
                    "{shown}: {first}{more} under vault-id {label} does not open with the configured vault passwords"
                ),
            );
        }
    }

    fn files(&mut self) {
        let manifest = self.manifest;
        let exists = |relative: &Path| manifest.resolve(relative).exists();
        if let Some(inventory) = &manifest.defaults.inventory
            && !is_host_list(inventory)
            && !exists(inventory)
        {
            self.push(
                Severity::Error,
                Check::Files,
                manifest.path.clone(),
                None,
                None,
                format!(
                    "defaults.inventory {} does not exist under the infra root",
                    inventory.display()
                ),
            );
        }
        if let Some(changelog) = &manifest.defaults.changelog
            && !exists(changelog)
        {
            self.push(
                Severity::Warning,
                Check::Files,
                manifest.path.clone(),
                None,
                None,
                format!(
                    "defaults.changelog {} does not exist yet; vaultrot will create it",
                    changelog.display()
                ),
            );
        }
        for secret in &manifest.secrets {
            let lists = [
                ("deploy", &secret.deploy),
                ("verify", &secret.verify),
                ("revoke", &secret.revoke),
                ("notify", &secret.notify),
            ];
            for (list, steps) in lists {
                for step in steps {
                    let StepAction::Playbook(run) = &step.action else {
                        continue;
                    };
                    if !exists(&run.playbook) {
                        self.push(
                            Severity::Error,
                            Check::Files,
                            manifest.path.clone(),
                            Some(step.pos),
                            Some(&secret.name),
                            format!(
                                "playbook {} ({list} of `{}`) does not exist under the infra root",
                                run.playbook.display(),
                                secret.name
                            ),
                        );
                    }
                    if let Some(inventory) = &run.inventory
                        && Some(inventory) != manifest.defaults.inventory.as_ref()
                        && !is_host_list(inventory)
                        && !exists(inventory)
                    {
                        self.push(
                            Severity::Error,
                            Check::Files,
                            manifest.path.clone(),
                            Some(step.pos),
                            Some(&secret.name),
                            format!(
                                "inventory {} ({list} of `{}`) does not exist under the infra root",
                                inventory.display(),
                                secret.name
                            ),
                        );
                    }
                }
            }
            if let Some(super::model::Generate::Command { command }) = &secret.generate {
                let program = command.split_whitespace().next().unwrap_or("");
                if program.contains('/') && !exists(Path::new(program)) {
                    self.push_for(
                        Severity::Error,
                        Check::Files,
                        secret,
                        format!(
                            "generate.command {program} of `{}` does not exist under the infra root",
                            secret.name
                        ),
                    );
                }
            }
        }
    }
}

impl Linter<'_> {
    /// What rotation commands would refuse or do poorly, as warnings: no
    /// verify step and no recorded reason; a dual secret with neither revoke
    /// nor deploy steps (its old value would stay valid after `finish`).
    fn steps(&mut self) {
        let manifest = self.manifest;
        for secret in &manifest.secrets {
            if secret.auto
                && let Some(problem) = secret.unattended_problem()
            {
                self.push_for(
                    Severity::Error,
                    Check::Steps,
                    secret,
                    format!(
                        "`{}` has `auto: true` but {problem}: rotate-due cannot rotate it unattended; drop `auto` or give it a `generate` length/charset or command",
                        secret.name
                    ),
                );
            }
            if secret.verify.is_empty() && secret.verify_skip.is_none() {
                self.push_for(
                    Severity::Warning,
                    Check::Steps,
                    secret,
                    format!(
                        "`{}` has no verify step: start, finish and rotate refuse it until it has one or says `verify: {{skip: true, reason: WHY}}`",
                        secret.name
                    ),
                );
            }
            if let Some(owner) = &secret.owner
                && !manifest.owners.is_empty()
                && manifest.owner(owner).is_none()
            {
                self.push_for(
                    Severity::Warning,
                    Check::Steps,
                    secret,
                    format!(
                        "`{}` has owner `{owner}`, which is not under `owners:`: nobody hears of its events but its own notify steps",
                        secret.name
                    ),
                );
            }
            if secret.strategy == Strategy::Dual
                && secret.revoke.is_empty()
                && secret.deploy.is_empty()
            {
                self.push_for(
                    Severity::Warning,
                    Check::Steps,
                    secret,
                    format!(
                        "`{}` (strategy dual) has neither revoke nor deploy steps: after finish nothing stops the old value from working",
                        secret.name
                    ),
                );
            }
        }
    }
}

impl<'m> Linter<'m> {
    /// A warning for each listed secret (or its `_new`) whose value is too
    /// short for the output of playbooks and scripts to be scrubbed of it.
    /// Needs the vault password for encrypted values; says nothing of a
    /// file it cannot open (the key check reports that).
    fn short_values(
        &mut self,
        by_vault: &[(PathBuf, Vec<&'m Secret>)],
        secrets: Option<&[VaultSecret]>,
    ) {
        let Some(secrets) = secrets else { return };
        let open = |bytes: &[u8]| {
            vault::decrypt(bytes, secrets, DecryptOptions::default())
                .ok()
                .map(|d| d.plaintext)
        };
        for (vault_path, listed) in by_vault {
            let file = self.manifest.resolve(vault_path);
            let Ok(bytes) = fs::read(&file) else { continue };
            let bytes = Zeroizing::new(bytes);
            let whole = vault::is_encrypted(&bytes);
            let Some(text) = (if whole {
                open(&bytes)
            } else {
                Some(bytes.clone())
            }) else {
                continue;
            };
            let Some(doc) = std::str::from_utf8(&text)
                .ok()
                .and_then(|t| Doc::parse(t).ok())
            else {
                continue;
            };
            for entry in doc.entries() {
                let [key] = &entry.path[..] else { continue };
                let Some(secret) = listed
                    .iter()
                    .find(|s| *key == s.name || *key == s.new_key())
                else {
                    continue;
                };
                let len = match entry.value {
                    ValueKind::Scalar(value) if whole => Zeroizing::new(value).len(),
                    ValueKind::Vault(v) => match open(v.vault_text.as_bytes()) {
                        Some(plaintext) => plaintext.len(),
                        None => continue,
                    },
                    _ => continue,
                };
                if (1..MIN_REDACTED_LEN).contains(&len) {
                    self.push(
                        Severity::Warning,
                        Check::VaultKeys,
                        file.clone(),
                        None,
                        Some(&secret.name),
                        format!(
                            "`{key}` is shorter than {MIN_REDACTED_LEN} bytes: too short to be scrubbed from output, so a playbook that prints it shows it in clear; use a longer value"
                        ),
                    );
                }
            }
        }
    }
}

/// ansible's `-i host1,host2,` form names hosts, not a file.
fn is_host_list(inventory: &Path) -> bool {
    inventory.to_string_lossy().contains(',')
}

/// Whether a plain variable's name says it holds a secret: `*password*`,
/// `*token*`, `*secret*` or `*_key` (case-insensitive).
pub fn looks_like_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "token", "secret"]
        .iter()
        .any(|word| key.contains(word))
        || key.ends_with("_key")
}

/// Whether the value of the key at `pos` is an inline `!vault` scalar.
fn is_inline_vault_value(lines: &[&str], pos: Option<Pos>) -> bool {
    let Some(pos) = pos else { return false };
    let Some(line) = lines.get(pos.line as usize - 1) else {
        return false;
    };
    // The key may be quoted and contain ':'; the value starts after the first ": ".
    line.split_once(':')
        .map(|(_, rest)| rest.trim_start().starts_with("!vault"))
        .unwrap_or(false)
}

/// Secrets whose `last_rotation` is after `today`: a typo (or a clock) that
/// would otherwise show a negative age reported as ok. Each finding points
/// at the `last_rotation:` line.
pub fn future_last_rotations(manifest: &Manifest, today: chrono::NaiveDate) -> Vec<Finding> {
    let text = fs::read_to_string(&manifest.path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    manifest
        .secrets
        .iter()
        .filter_map(|secret| {
            let date = secret.last_rotation.filter(|d| *d > today)?;
            Some(Finding {
                severity: Severity::Error,
                check: Check::Files,
                file: manifest.path.clone(),
                pos: Some(field_pos(&lines, secret.pos, "last_rotation").unwrap_or(secret.pos)),
                secret: Some(secret.name.clone()),
                message: format!(
                    "last_rotation {date} of `{}` is in the future (today is {today}); fix the date",
                    secret.name
                ),
            })
        })
        .collect()
}

/// Where `field:` is written inside the mapping of the key at `key_pos`
/// (block style: the lines indented deeper than the key; flow style: its own line).
fn field_pos(lines: &[&str], key_pos: Pos, field: &str) -> Option<Pos> {
    let start = key_pos.line as usize - 1;
    let key_indent = key_pos.column as usize - 1;
    let first = lines.get(start)?;
    let needle = format!("{field}:");
    if let Some(col) = first.find(&needle).filter(|c| *c > key_indent) {
        return Some(Pos {
            line: key_pos.line,
            column: col as u32 + 1,
        });
    }
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && !line.trim_start().starts_with('#') && indent <= key_indent {
            break;
        }
        if let Some(col) = line.find(&needle) {
            return Some(Pos {
                line: i as u32 + 1,
                column: col as u32 + 1,
            });
        }
    }
    None
}
