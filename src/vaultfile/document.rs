//! Files that hold secrets, edited as YAML: a whole-file vault whose
//! plaintext is a mapping, or a plain vars file with inline `!vault` values.
//! Reading, listing, and planning changes in memory; the caller writes.
//!
//! Changes are minimal: an inline value that did not change keeps its exact
//! ciphertext lines, and a file whose content did not change is not rewritten.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use zeroize::Zeroizing;

use super::{FileError, Input, VaultContext};
use crate::vault::{self, VaultSecret};
use crate::yaml::{Doc, Edit, NewValue, ValueKind};

/// One key of a secrets file, for `ls`: never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    pub name: String,
    /// Encrypted: the whole file is a vault, or the value is an inline `!vault`.
    pub vaulted: bool,
    /// The vault-id label of the ciphertext (`None` for a 1.1 header).
    pub label: Option<String>,
    pub line: usize,
}

/// A change to a top-level key.
pub enum Change {
    /// Sets `key` (adding it at the end of the mapping if it is missing).
    Set {
        key: String,
        value: Zeroizing<String>,
    },
    /// Adds `key` right after `after` (which must exist).
    InsertAfter {
        after: String,
        key: String,
        value: Zeroizing<String>,
    },
    /// Removes `key` (which must exist).
    Remove { key: String },
}

impl Change {
    fn key(&self) -> &str {
        match self {
            Change::Set { key, .. } | Change::InsertAfter { key, .. } | Change::Remove { key } => {
                key
            }
        }
    }
}

/// The two shapes of a secrets file.
pub enum SecretsFile {
    Whole {
        path: PathBuf,
        doc: Doc,
        /// The secret that opened it, carrying the header's label: edits are
        /// re-encrypted with it, as ansible's `edit` does.
        reseal_with: VaultSecret,
    },
    Vars {
        path: PathBuf,
        doc: Doc,
    },
}

fn yaml_error(path: &Path, e: impl std::fmt::Display) -> FileError {
    FileError::Other(format!("{}: {e}", path.display()))
}

fn utf8(path: &Path, bytes: &[u8], what: &str) -> Result<String, FileError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| FileError::Other(format!("{}: {what} is not UTF-8 text", path.display())))
}

impl SecretsFile {
    /// Reads `path`: a whole-file vault is decrypted; anything else must be YAML.
    pub fn load(path: &Path, ctx: &VaultContext) -> Result<Self, FileError> {
        let input = Input::File(path.to_path_buf());
        let bytes = input.read()?;
        Self::from_bytes(path, &bytes, ctx)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8], ctx: &VaultContext) -> Result<Self, FileError> {
        if vault::is_encrypted(bytes) {
            let input = Input::File(path.to_path_buf());
            let opened = ctx.decrypt(&input, bytes)?;
            let text = Zeroizing::new(utf8(path, &opened.plaintext, "the decrypted content")?);
            let doc = Doc::parse(&text)
                .map_err(|e| yaml_error(path, format!("decrypted content: {e}")))?;
            return Ok(SecretsFile::Whole {
                path: path.to_path_buf(),
                doc,
                reseal_with: ctx.relabelled(&opened),
            });
        }
        let text = utf8(path, bytes, "the file")?;
        let doc = Doc::parse(&text).map_err(|e| yaml_error(path, e))?;
        Ok(SecretsFile::Vars {
            path: path.to_path_buf(),
            doc,
        })
    }

    pub fn path(&self) -> &Path {
        match self {
            SecretsFile::Whole { path, .. } | SecretsFile::Vars { path, .. } => path,
        }
    }

    fn doc(&self) -> &Doc {
        match self {
            SecretsFile::Whole { doc, .. } | SecretsFile::Vars { doc, .. } => doc,
        }
    }

    pub fn is_whole_vault(&self) -> bool {
        matches!(self, SecretsFile::Whole { .. })
    }

    /// Top-level keys with whether each is vaulted and under which label.
    pub fn list(&self) -> Vec<SecretInfo> {
        let whole_label = match self {
            SecretsFile::Whole { reseal_with, .. } => Some(reseal_with.label.clone()),
            SecretsFile::Vars { .. } => None,
        };
        self.doc()
            .entries()
            .into_iter()
            .filter(|e| e.path.len() == 1)
            .map(|e| {
                let (vaulted, label) = match (&e.value, &whole_label) {
                    (_, Some(l)) => (true, Some(l.clone()).filter(|l| l != vault::DEFAULT_LABEL)),
                    (ValueKind::Vault(v), None) => (true, v.label.clone()),
                    _ => (false, None),
                };
                SecretInfo {
                    name: e.path[0].clone(),
                    vaulted,
                    label,
                    line: e.line,
                }
            })
            .collect()
    }

    /// Whether the top-level `key` exists.
    pub fn contains(&self, key: &str) -> bool {
        self.doc().get(&[key]).is_some()
    }

    /// The exact bytes of `key`'s value (decrypted if it is an inline vault).
    pub fn get(
        &self,
        key: &str,
        ctx: &VaultContext,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, FileError> {
        let Some(entry) = self.doc().get(&[key]) else {
            return Ok(None);
        };
        match entry.value {
            ValueKind::Scalar(s) => Ok(Some(Zeroizing::new(s.into_bytes()))),
            ValueKind::Vault(v) => {
                let input = Input::File(self.path().to_path_buf());
                Ok(Some(
                    ctx.decrypt(&input, v.vault_text.as_bytes())?.plaintext,
                ))
            }
            ValueKind::Null => Ok(Some(Zeroizing::new(Vec::new()))),
            _ => Err(FileError::Other(format!(
                "{}: `{key}` (line {}) is not a string value",
                self.path().display(),
                entry.line
            ))),
        }
    }

    /// Every secret the file holds, decrypted: each scalar of a whole-file
    /// vault (at any depth), each inline `!vault` value of a vars file. What
    /// child output is scrubbed of; never shown.
    pub fn secret_values(&self, ctx: &VaultContext) -> Result<Vec<Zeroizing<Vec<u8>>>, FileError> {
        let whole = self.is_whole_vault();
        let mut values = Vec::new();
        for entry in self.doc().entries() {
            match entry.value {
                ValueKind::Scalar(s) if whole => values.push(Zeroizing::new(s.into_bytes())),
                ValueKind::Vault(v) => {
                    let input = Input::File(self.path().to_path_buf());
                    values.push(ctx.decrypt(&input, v.vault_text.as_bytes())?.plaintext);
                }
                _ => {}
            }
        }
        Ok(values)
    }

    /// Plans `changes` and returns the new file bytes, or `None` when nothing
    /// changes. `new_secret` encrypts new inline values in a vars file; an
    /// existing inline value is re-encrypted with the secret that opens it,
    /// under its own label.
    pub fn plan(
        &self,
        changes: &[Change],
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<Option<Vec<u8>>, FileError> {
        let mut edits = Vec::with_capacity(changes.len());
        for change in changes {
            if let Some(edit) = self.edit_for(change, ctx, new_secret)? {
                edits.push(edit);
            }
        }
        if edits.is_empty() {
            return Ok(None);
        }
        let text = Zeroizing::new(
            self.doc()
                .apply(&edits)
                .map_err(|e| yaml_error(self.path(), e))?,
        );
        match self {
            SecretsFile::Whole { reseal_with, .. } => {
                let input = Input::File(self.path().to_path_buf());
                Ok(Some(
                    ctx.seal(&input, text.as_bytes(), reseal_with)?.into_bytes(),
                ))
            }
            SecretsFile::Vars { .. } => Ok(Some(text.as_bytes().to_vec())),
        }
    }

    fn edit_for(
        &self,
        change: &Change,
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<Option<Edit>, FileError> {
        let key = change.key().to_string();
        let existing = self.doc().get(&[&key]);
        match change {
            Change::Remove { .. } => {
                if existing.is_none() {
                    return Err(FileError::Other(format!(
                        "{}: no key `{key}`",
                        self.path().display()
                    )));
                }
                Ok(Some(Edit::Remove { path: vec![key] }))
            }
            Change::Set { value, .. } => {
                if existing.is_some()
                    && self
                        .get(&key, ctx)?
                        .is_some_and(|old| old[..] == *value.as_bytes())
                {
                    return Ok(None); // unchanged: keep the exact ciphertext
                }
                let reuse = existing.as_ref().and_then(|e| match &e.value {
                    ValueKind::Vault(v) => Some(v.vault_text.clone()),
                    _ => None,
                });
                let new_value = self.new_value(value, reuse.as_deref(), ctx, new_secret)?;
                Ok(Some(match existing {
                    Some(_) => Edit::Replace {
                        path: vec![key],
                        value: new_value,
                    },
                    None => Edit::Append {
                        parent: Vec::new(),
                        key,
                        value: new_value,
                    },
                }))
            }
            Change::InsertAfter { after, value, .. } => {
                if existing.is_some() {
                    return Err(FileError::Other(format!(
                        "{}: `{key}` already exists",
                        self.path().display()
                    )));
                }
                let anchor = self.doc().get(&[after]);
                let reuse = anchor.as_ref().and_then(|e| match &e.value {
                    ValueKind::Vault(v) => Some(v.vault_text.clone()),
                    _ => None,
                });
                let new_value = self.new_value(value, reuse.as_deref(), ctx, new_secret)?;
                Ok(Some(Edit::InsertAfter {
                    after: vec![after.clone()],
                    key,
                    value: new_value,
                }))
            }
        }
    }

    /// The YAML value to write: plain inside a whole-file vault, an inline
    /// vault in a vars file (same secret and label as `sibling_vault` if given).
    fn new_value(
        &self,
        value: &Zeroizing<String>,
        sibling_vault: Option<&str>,
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<NewValue, FileError> {
        if self.is_whole_vault() {
            return Ok(NewValue::Plain(value.to_string()));
        }
        let input = Input::File(self.path().to_path_buf());
        let secret = match sibling_vault {
            Some(text) => ctx.relabelled(&ctx.decrypt(&input, text.as_bytes())?),
            None => new_secret.cloned().ok_or_else(|| {
                FileError::Other(format!(
                    "{}: choose the vault-id for the new inline value with --encrypt-vault-id",
                    self.path().display()
                ))
            })?,
        };
        Ok(NewValue::Vault {
            vault_text: ctx.seal(&input, value.as_bytes(), &secret)?,
        })
    }

    /// The file as text with every inline value decrypted in place (a
    /// YAML-valid rendering for `view` and `textconv`); a whole-file vault's plaintext.
    pub fn render_decrypted(&self, ctx: &VaultContext) -> Result<Zeroizing<String>, FileError> {
        match self {
            SecretsFile::Whole { doc, .. } => Ok(Zeroizing::new(doc.text().to_string())),
            SecretsFile::Vars { doc, path } => {
                let vaults = doc.inline_vaults();
                let input = Input::File(path.clone());
                let plain: Vec<Result<Zeroizing<Vec<u8>>, FileError>> = vaults
                    .par_iter()
                    .map(|v| {
                        ctx.decrypt(&input, v.vault_text.as_bytes())
                            .map(|d| d.plaintext)
                    })
                    .collect();
                let mut edits = Vec::new();
                for (v, p) in vaults.iter().zip(plain) {
                    if v.path.iter().any(|p| p.starts_with('[')) {
                        continue; // sequence items are shown as they are
                    }
                    let p = p?;
                    let text = String::from_utf8(p.to_vec()).map_err(|_| {
                        FileError::Other(format!(
                            "{}: `{}` holds binary data; use `get`",
                            path.display(),
                            v.path.join(".")
                        ))
                    })?;
                    edits.push(Edit::Replace {
                        path: v.path.clone(),
                        value: NewValue::Plain(text),
                    });
                }
                if edits.is_empty() {
                    return Ok(Zeroizing::new(doc.text().to_string()));
                }
                doc.apply(&edits)
                    .map(Zeroizing::new)
                    .map_err(|e| yaml_error(path, e))
            }
        }
    }

    /// Every top-level key with a keyed fingerprint instead of its value
    /// (`textconv --redact`): one `key: <fingerprint>` line each.
    pub fn render_redacted(
        &self,
        ctx: &VaultContext,
        fingerprint: &dyn Fn(&str, &[u8]) -> String,
    ) -> Result<String, FileError> {
        let mut out = String::new();
        for info in self.list() {
            let shown = match self.get(&info.name, ctx) {
                Ok(Some(value)) if info.vaulted => {
                    format!("<redacted {}>", fingerprint(&info.name, &value))
                }
                Ok(Some(value)) => format!("<plain {}>", fingerprint(&info.name, &value)),
                Ok(None) | Err(_) => "<not a string>".to_string(),
            };
            out.push_str(&format!("{}: {shown}\n", info.name));
        }
        Ok(out)
    }

    /// Re-encrypts everything under `new_secret`: the whole file, or every
    /// inline value (key derivations in parallel). `None` if there is nothing to do.
    pub fn rekeyed(
        &self,
        original: &[u8],
        ctx: &VaultContext,
        new_secret: &VaultSecret,
    ) -> Result<Option<Vec<u8>>, FileError> {
        let input = Input::File(self.path().to_path_buf());
        match self {
            SecretsFile::Whole { .. } => {
                let opened = ctx.decrypt(&input, original)?;
                Ok(Some(
                    ctx.seal(&input, &opened.plaintext, new_secret)?
                        .into_bytes(),
                ))
            }
            SecretsFile::Vars { doc, path } => {
                let vaults = doc.inline_vaults();
                if vaults.is_empty() {
                    return Ok(None);
                }
                if let Some(v) = vaults
                    .iter()
                    .find(|v| v.path.iter().any(|p| p.starts_with('[')))
                {
                    return Err(FileError::Other(format!(
                        "{}: line {}: an inline vault inside a list cannot be rekeyed in place yet",
                        path.display(),
                        v.line
                    )));
                }
                let sealed: Result<Vec<String>, FileError> = vaults
                    .par_iter()
                    .map(|v| {
                        let opened = ctx.decrypt(&input, v.vault_text.as_bytes())?;
                        ctx.seal(&input, &opened.plaintext, new_secret)
                    })
                    .collect();
                let edits: Vec<Edit> = vaults
                    .iter()
                    .zip(sealed?)
                    .map(|(v, text)| Edit::Replace {
                        path: v.path.clone(),
                        value: NewValue::Vault { vault_text: text },
                    })
                    .collect();
                doc.apply(&edits)
                    .map(|t| Some(t.into_bytes()))
                    .map_err(|e| yaml_error(path, e))
            }
        }
    }
}
