//! The values a scan looks for: every vaulted value under the infra (the
//! manifest's vault files and any other vault data found), decrypted in
//! memory, plus the previous values found in the vault files' git history.
//! Values too short or too common to search for are listed, never searched.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::manifest::Manifest;
use crate::vault::{self, crypto::Fingerprinter};
use crate::vaultfile::{FileError, Input, VaultContext, YamlStage, tree};
use crate::yaml::{Doc, ValueKind};

/// Shorter values match by chance; `lint` flags them as weak instead.
pub const MIN_LEN: usize = 8;

/// Values people put in a vault before the real one: searching for them
/// would report every template and README that mentions them.
const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "password",
    "passw0rd",
    "password1",
    "password123",
    "p@ssw0rd",
    "secret",
    "mysecret",
    "secretkey",
    "placeholder",
    "replaceme",
    "replace_me",
    "replace-me",
    "example",
    "dummy",
    "default",
    "redacted",
    "12345678",
    "123456789",
    "1234567890",
    "abcdefgh",
    "qwertyuiop",
    "undefined",
    "notasecret",
    "not-a-secret",
];

/// Whether a value is the one in the vault now or one it held before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Generation {
    Current,
    Previous,
}

impl Generation {
    pub fn as_str(self) -> &'static str {
        match self {
            Generation::Current => "current",
            Generation::Previous => "previous",
        }
    }
}

/// One value to search for. `Debug` never shows the value.
pub struct ScanValue {
    /// The variable name (`vault_db_password`; nested keys joined with `.`).
    pub name: String,
    /// The vault file that holds (or held) it.
    pub vault_file: PathBuf,
    pub generation: Generation,
    pub value: Zeroizing<Vec<u8>>,
    /// Keyed by the vault password: stable across runs, useless without it.
    pub fingerprint: String,
}

impl std::fmt::Debug for ScanValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ScanValue({} {} {})",
            self.name,
            self.generation.as_str(),
            self.fingerprint
        )
    }
}

/// A value that is not searched for, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unscannable {
    pub name: String,
    pub vault_file: PathBuf,
    pub generation: Generation,
    pub reason: &'static str,
}

/// Everything the scan searches for. `Debug` shows names, never values.
#[derive(Default)]
pub struct ValueSet {
    pub values: Vec<ScanValue>,
    pub unscannable: Vec<Unscannable>,
    /// The vault files the values came from (absolute).
    pub vault_files: Vec<PathBuf>,
    /// Old versions of vault files that the given password does not open.
    pub old_versions_unopened: usize,
    /// Every value read so far, searchable or not: an old version's value
    /// equal to one of them is not a previous value.
    known: Vec<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for ValueSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueSet")
            .field("values", &self.values)
            .field("unscannable", &self.unscannable)
            .field("vault_files", &self.vault_files)
            .finish_non_exhaustive()
    }
}

/// Why a value cannot be searched for, if it cannot.
pub fn unscannable_reason(value: &[u8]) -> Option<&'static str> {
    if value.is_empty() {
        return Some("empty");
    }
    if value.len() < MIN_LEN {
        return Some("shorter than 8 bytes");
    }
    if value.iter().all(|&b| b == value[0]) {
        return Some("one repeated character");
    }
    let lower = value.to_ascii_lowercase();
    let trimmed = lower.trim_ascii();
    if PLACEHOLDERS.iter().any(|p| trimmed == p.as_bytes())
        || (trimmed.starts_with(b"{{") && trimmed.ends_with(b"}}"))
        || (trimmed.starts_with(b"<") && trimmed.ends_with(b">") && !trimmed.contains(&b'\n'))
    {
        return Some("a common placeholder");
    }
    None
}

/// A file that holds (or may hold) vault data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultFile {
    /// Absolute.
    pub path: PathBuf,
    /// The manifest names it: it must open. A file merely found (a README
    /// quoting `!vault`) is skipped when it turns out not to be YAML.
    pub named: bool,
}

/// The vault files under `root`: those the manifest names, then every other
/// file holding vault data (as git sees the tree: ignored files are left out).
pub fn vault_files(root: &Path, manifest: Option<&Manifest>) -> Result<Vec<VaultFile>, FileError> {
    let mut files: Vec<VaultFile> = Vec::new();
    if let Some(m) = manifest {
        let named = std::iter::once(&m.defaults.vault).chain(m.secrets.iter().map(|s| &s.vault));
        for relative in named {
            let path = m.resolve(relative);
            if path.is_file() {
                files.push(VaultFile { path, named: true });
            }
        }
    }
    for path in tree::expand(&[root.display().to_string()])? {
        files.push(VaultFile { path, named: false });
    }
    let mut seen = std::collections::HashSet::new();
    files
        .retain(|f| seen.insert(std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())));
    for f in &mut files {
        f.path = std::path::absolute(&f.path).unwrap_or_else(|_| f.path.clone());
    }
    Ok(files)
}

/// Variable names with their decrypted values.
pub type NamedValues = Vec<(String, Zeroizing<Vec<u8>>)>;

/// The named values in one vault file's bytes: the scalars of a whole-file
/// vault's mapping (or its whole plaintext when it is not one), or a vars
/// file's inline `!vault` values.
pub fn values_in(path: &Path, bytes: &[u8], ctx: &VaultContext) -> Result<NamedValues, FileError> {
    let input = Input::File(path.to_path_buf());
    if vault::is_encrypted(bytes) {
        let plain = ctx.decrypt(&input, bytes)?.plaintext;
        let text = std::str::from_utf8(&plain).ok();
        let doc = text.and_then(|t| Doc::parse(t).ok());
        let mut found = Vec::new();
        if let Some(doc) = &doc {
            for entry in doc.entries() {
                if let ValueKind::Scalar(s) = entry.value {
                    found.push((entry.path.join("."), Zeroizing::new(s.as_bytes().to_vec())));
                }
            }
        }
        if found.is_empty() {
            // A vaulted certificate, key or script: the file is the secret.
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            let body = plain.strip_suffix(b"\n").unwrap_or(&plain);
            found.push((name, Zeroizing::new(body.to_vec())));
        }
        return Ok(found);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        path: path.to_path_buf(),
        what: "the file",
    })?;
    let doc = Doc::parse(text).map_err(|e| FileError::yaml(path, YamlStage::File, e))?;
    doc.inline_vaults()
        .par_iter()
        .map(|v| {
            let plain = ctx.decrypt(&input, v.vault_text.as_bytes())?.plaintext;
            Ok((v.path.join("."), plain))
        })
        .collect()
}

impl ValueSet {
    /// Decrypts every vault file; one that the password does not open fails
    /// the scan (a value it cannot read is a value it cannot look for).
    pub fn collect(files: Vec<VaultFile>, ctx: &VaultContext) -> Result<ValueSet, FileError> {
        let fingerprinter = ctx
            .secrets
            .first()
            .map(|s| Fingerprinter::new(s.password()));
        let mut set = ValueSet::default();
        for file in files {
            let bytes = Input::File(file.path.clone()).read()?;
            let found = match values_in(&file.path, &bytes, ctx) {
                Ok(found) => found,
                Err(e @ FileError::Vault { .. }) => return Err(e),
                Err(_) if !file.named => continue, // mentions `!vault` but is no YAML
                Err(e) => return Err(e),
            };
            for (name, value) in found {
                set.add(
                    name,
                    &file.path,
                    Generation::Current,
                    value,
                    fingerprinter.as_ref(),
                );
            }
            set.vault_files.push(file.path);
        }
        Ok(set)
    }

    /// Adds the values of an old version of `vault_file` that differ from
    /// every value known so far, as previous values.
    pub fn add_previous(
        &mut self,
        vault_file: &Path,
        old_bytes: &[u8],
        ctx: &VaultContext,
        fingerprinter: Option<&Fingerprinter>,
    ) {
        let Ok(found) = values_in(vault_file, old_bytes, ctx) else {
            self.old_versions_unopened += 1;
            return;
        };
        for (name, value) in found {
            if !self.known.iter().any(|k| **k == *value) {
                self.add(name, vault_file, Generation::Previous, value, fingerprinter);
            }
        }
    }

    fn add(
        &mut self,
        name: String,
        vault_file: &Path,
        generation: Generation,
        value: Zeroizing<Vec<u8>>,
        fingerprinter: Option<&Fingerprinter>,
    ) {
        if !self.known.iter().any(|k| **k == *value) {
            self.known.push(value.clone());
        }
        if let Some(reason) = unscannable_reason(&value) {
            let entry = Unscannable {
                name,
                vault_file: vault_file.to_path_buf(),
                generation,
                reason,
            };
            if !self.unscannable.contains(&entry) {
                self.unscannable.push(entry);
            }
            return;
        }
        // The same secret in a copy of the vault is one value to look for.
        if self
            .values
            .iter()
            .any(|v| v.name == name && *v.value == *value)
        {
            return;
        }
        let fingerprint = fingerprinter.map_or_else(String::new, |f| f.fingerprint(&name, &value));
        self.values.push(ScanValue {
            name,
            vault_file: vault_file.to_path_buf(),
            generation,
            value,
            fingerprint,
        });
    }

    /// The fingerprint of the current value named `name`.
    pub fn current(&self, name: &str) -> Option<&ScanValue> {
        self.values
            .iter()
            .find(|v| v.name == name && v.generation == Generation::Current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_repeated_and_placeholder_values_are_unscannable() {
        assert_eq!(unscannable_reason(b"abc123"), Some("shorter than 8 bytes"));
        assert_eq!(
            unscannable_reason(b"xxxxxxxxxx"),
            Some("one repeated character")
        );
        assert_eq!(
            unscannable_reason(b"ChangeMe"),
            Some("a common placeholder")
        );
        assert_eq!(
            unscannable_reason(b"{{ lookup('env', 'X') }}"),
            Some("a common placeholder")
        );
        assert_eq!(unscannable_reason(b"Zq8-rT2m_Lx9"), None);
    }
}
