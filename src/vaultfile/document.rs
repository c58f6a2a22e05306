//! Files that hold secrets, edited as YAML: a whole-file vault whose
//! plaintext is a mapping, or a plain vars file with inline `!vault` values.
//! Reading, listing, and planning changes in memory; the caller writes.
//!
//! Changes are minimal: an inline value that did not change keeps its exact
//! ciphertext lines, and a file whose content did not change is not rewritten.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use zeroize::Zeroizing;

use super::{FileError, Input, VaultContext, YamlStage};
use crate::vault::{self, VaultSecret};
use crate::yaml::{Doc, Edit, NewValue, ValueKind, YamlError};

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

/// Whether a value `set` writes into a vars file is vaulted or plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    /// As the existing value is (a plain setting stays plain); a new key is vaulted.
    Keep,
    /// A plain scalar, readable in the file.
    Plain,
    /// An inline `!vault` value.
    Vault,
}

/// A change at a path into nested mappings (`["db", "password"]`), for the
/// secret-level commands.
pub enum PathChange {
    /// Sets the value at `path`, creating missing mappings on the way.
    Set {
        path: Vec<String>,
        value: Zeroizing<String>,
        style: ValueStyle,
    },
    /// Removes the entry at `path` (which must exist).
    Remove { path: Vec<String> },
}

/// `db.password` as the path `["db", "password"]`; `literal` keeps a key
/// that contains a dot whole.
pub fn key_path(key: &str, literal: bool) -> Vec<String> {
    if literal {
        vec![key.to_string()]
    } else {
        key.split('.').map(String::from).collect()
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

fn borrowed(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// Refuses to change a value reached through an alias or a merge key: it is defined (and
/// edited) at its anchor, which every alias of it repeats.
fn defined_elsewhere(
    file: &Path,
    shown: &str,
    entry: &crate::yaml::Entry,
) -> Result<(), FileError> {
    let Some(t) = &entry.through else {
        return Ok(());
    };
    Err(FileError::DefinedElsewhere {
        path: file.to_path_buf(),
        key: shown.to_string(),
        anchor: t.anchor.clone(),
        line: t.line,
    })
}

fn yaml_error(path: &Path, e: YamlError) -> FileError {
    FileError::yaml(path, YamlStage::File, e)
}

/// The bytes as text, without a copy (a copy of a plaintext would need wiping).
fn utf8<'b>(path: &Path, bytes: &'b [u8], what: &'static str) -> Result<&'b str, FileError> {
    std::str::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        path: path.to_path_buf(),
        what,
    })
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
            let text = utf8(path, &opened.plaintext, "the decrypted content")?;
            let doc =
                Doc::parse(text).map_err(|e| FileError::yaml(path, YamlStage::Decrypted, e))?;
            return Ok(SecretsFile::Whole {
                path: path.to_path_buf(),
                doc,
                reseal_with: ctx.relabelled(&opened),
            });
        }
        let text = utf8(path, bytes, "the file")?;
        let doc = Doc::parse(text).map_err(|e| yaml_error(path, e))?;
        Ok(SecretsFile::Vars {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// A new, empty whole-file vault sealed with `secret` when written.
    pub fn new_whole(path: &Path, secret: VaultSecret) -> Result<Self, FileError> {
        Ok(SecretsFile::Whole {
            path: path.to_path_buf(),
            doc: Doc::parse("").map_err(|e| yaml_error(path, e))?,
            reseal_with: secret,
        })
    }

    /// A new, empty vars file.
    pub fn new_vars(path: &Path) -> Result<Self, FileError> {
        Ok(SecretsFile::Vars {
            path: path.to_path_buf(),
            doc: Doc::parse("").map_err(|e| yaml_error(path, e))?,
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

    /// Every value of the file, nested ones named by their dotted path
    /// (`db.password`), for `ls`: mappings are walked, never shown as keys.
    pub fn list_leaves(&self) -> Vec<SecretInfo> {
        let whole_label = match self {
            SecretsFile::Whole { reseal_with, .. } => Some(reseal_with.label.clone()),
            SecretsFile::Vars { .. } => None,
        };
        self.doc()
            .entries()
            .into_iter()
            .filter(|e| !matches!(e.value, ValueKind::Mapping))
            .filter(|e| !e.path.iter().any(|p| p.starts_with('[')))
            .map(|e| {
                let (vaulted, label) = match (&e.value, &whole_label) {
                    (_, Some(l)) => (true, Some(l.clone()).filter(|l| l != vault::DEFAULT_LABEL)),
                    (ValueKind::Vault(v), None) => (true, v.label.clone()),
                    _ => (false, None),
                };
                SecretInfo {
                    name: e.path.join("."),
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
        self.get_path(&[key.to_string()], ctx)
    }

    /// The exact bytes of the value at `path` (decrypted if it is an inline vault).
    pub fn get_path(
        &self,
        path: &[String],
        ctx: &VaultContext,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, FileError> {
        let key = path.join(".");
        let Some(entry) = self.doc().get(&borrowed(path)) else {
            return Ok(None);
        };
        match entry.value {
            ValueKind::Scalar(s) => Ok(Some(Zeroizing::new(s.as_bytes().to_vec()))),
            ValueKind::Vault(v) => {
                let input = Input::File(self.path().to_path_buf());
                Ok(Some(
                    ctx.decrypt(&input, v.vault_text.as_bytes())?.plaintext,
                ))
            }
            ValueKind::Null => Ok(Some(Zeroizing::new(Vec::new()))),
            _ => Err(FileError::NotAString {
                path: self.path().to_path_buf(),
                key,
                line: entry.line,
            }),
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
                ValueKind::Scalar(s) if whole => values.push(Zeroizing::new(s.as_bytes().to_vec())),
                ValueKind::Vault(v) => {
                    let input = Input::File(self.path().to_path_buf());
                    values.push(ctx.decrypt(&input, v.vault_text.as_bytes())?.plaintext);
                }
                _ => {}
            }
        }
        Ok(values)
    }

    /// Whether setting `path` in `style` encrypts with a secret the file does
    /// not already give (a new inline value, or a plain value made vaulted).
    pub fn needs_new_secret(&self, path: &[String], style: ValueStyle) -> bool {
        if self.is_whole_vault() || style == ValueStyle::Plain {
            return false;
        }
        match self.doc().get(&borrowed(path)).map(|e| e.value) {
            Some(ValueKind::Vault(_)) => false,
            Some(_) => style == ValueStyle::Vault,
            None => true,
        }
    }

    /// Plans path changes (see [`PathChange`]) and returns the new file
    /// bytes, or `None` when nothing changes. A new file (see
    /// [`SecretsFile::new_whole`]) always gives bytes.
    pub fn plan_paths(
        &self,
        changes: &[PathChange],
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<Option<Vec<u8>>, FileError> {
        let mut edits = Vec::with_capacity(changes.len());
        for change in changes {
            if let Some(edit) = self.path_edit_for(change, ctx, new_secret)? {
                edits.push(edit);
            }
        }
        if edits.is_empty() {
            return Ok(None);
        }
        self.seal_edits(&edits, ctx).map(Some)
    }

    fn seal_edits(&self, edits: &[Edit], ctx: &VaultContext) -> Result<Vec<u8>, FileError> {
        let text = Zeroizing::new(
            self.doc()
                .apply(edits)
                .map_err(|e| yaml_error(self.path(), e))?,
        );
        match self {
            SecretsFile::Whole { reseal_with, .. } => {
                let input = Input::File(self.path().to_path_buf());
                Ok(ctx.seal(&input, text.as_bytes(), reseal_with)?.into_bytes())
            }
            SecretsFile::Vars { .. } => Ok(text.as_bytes().to_vec()),
        }
    }

    fn path_edit_for(
        &self,
        change: &PathChange,
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<Option<Edit>, FileError> {
        let shown = |path: &[String]| path.join(".");
        match change {
            PathChange::Remove { path } => match self.doc().get(&borrowed(path)) {
                None => Err(FileError::NoKey {
                    path: self.path().to_path_buf(),
                    key: shown(path),
                }),
                Some(e) => {
                    defined_elsewhere(self.path(), &shown(path), &e)?;
                    Ok(Some(Edit::Remove { path: path.clone() }))
                }
            },
            PathChange::Set { path, value, style } => {
                if let Some(existing) = self.doc().get(&borrowed(path)) {
                    defined_elsewhere(self.path(), &shown(path), &existing)?;
                    let vaulted = matches!(existing.value, ValueKind::Vault(_));
                    if matches!(existing.value, ValueKind::Mapping | ValueKind::Sequence) {
                        return Err(FileError::NotAValue {
                            path: self.path().to_path_buf(),
                            key: shown(path),
                            line: existing.line,
                            holds: if matches!(existing.value, ValueKind::Mapping) {
                                "mapping"
                            } else {
                                "list"
                            },
                        });
                    }
                    let want_vault = match style {
                        ValueStyle::Keep => vaulted,
                        ValueStyle::Plain => false,
                        ValueStyle::Vault => true,
                    };
                    let same = self
                        .get_path(path, ctx)?
                        .is_some_and(|old| old[..] == *value.as_bytes());
                    if same && (self.is_whole_vault() || want_vault == vaulted) {
                        return Ok(None); // unchanged: keep the exact ciphertext
                    }
                    let new_value = if self.is_whole_vault() || !want_vault {
                        NewValue::Plain(value.clone())
                    } else {
                        let sibling = match &existing.value {
                            ValueKind::Vault(v) => Some(v.vault_text.clone()),
                            _ => None,
                        };
                        self.new_value(value, sibling.as_deref(), ctx, new_secret)?
                    };
                    return Ok(Some(Edit::Replace {
                        path: path.clone(),
                        value: new_value,
                    }));
                }
                // The deepest existing mapping on the way; the rest is created.
                let mut depth = path.len() - 1;
                while depth > 0 && self.doc().get(&borrowed(&path[..depth])).is_none() {
                    depth -= 1;
                }
                if depth > 0 {
                    let parent = self.doc().get(&borrowed(&path[..depth]));
                    if let Some(p) = &parent {
                        defined_elsewhere(self.path(), &shown(&path[..depth]), p)?;
                    }
                    if !matches!(
                        parent.as_ref().map(|e| &e.value),
                        Some(ValueKind::Mapping | ValueKind::Null)
                    ) {
                        return Err(FileError::NotAMapping {
                            path: self.path().to_path_buf(),
                            parent: shown(&path[..depth]),
                            line: parent.map_or(0, |e| e.line),
                            key: shown(path),
                        });
                    }
                }
                let leaf = if self.is_whole_vault() || *style == ValueStyle::Plain {
                    NewValue::Plain(value.clone())
                } else {
                    self.new_value(value, None, ctx, new_secret)?
                };
                let nested = path[depth + 1..]
                    .iter()
                    .rev()
                    .fold(leaf, |inner, key| NewValue::Map(vec![(key.clone(), inner)]));
                Ok(Some(Edit::Append {
                    parent: path[..depth].to_vec(),
                    key: path[depth].clone(),
                    value: nested,
                }))
            }
        }
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
        self.seal_edits(&edits, ctx).map(Some)
    }

    fn edit_for(
        &self,
        change: &Change,
        ctx: &VaultContext,
        new_secret: Option<&VaultSecret>,
    ) -> Result<Option<Edit>, FileError> {
        let key = change.key().to_string();
        let existing = self.doc().get(&[&key]);
        if let Some(e) = &existing {
            defined_elsewhere(self.path(), &key, e)?;
        }
        match change {
            Change::Remove { .. } => {
                if existing.is_none() {
                    return Err(FileError::NoKey {
                        path: self.path().to_path_buf(),
                        key,
                    });
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
                    return Err(FileError::KeyExists {
                        path: self.path().to_path_buf(),
                        key,
                    });
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
            return Ok(NewValue::Plain(value.clone()));
        }
        let input = Input::File(self.path().to_path_buf());
        let secret = match sibling_vault {
            Some(text) => ctx.relabelled(&ctx.decrypt(&input, text.as_bytes())?),
            None => new_secret
                .cloned()
                .ok_or_else(|| FileError::NoEncryptVaultId {
                    path: self.path().to_path_buf(),
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
                    let text = std::str::from_utf8(&p).map_err(|_| FileError::Binary {
                        path: path.clone(),
                        key: v.path.join("."),
                    })?;
                    edits.push(Edit::Replace {
                        path: v.path.clone(),
                        value: NewValue::Plain(Zeroizing::new(text.to_string())),
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

    /// The new bytes of a vars file after the user edited its decrypted
    /// rendering ([`SecretsFile::render_decrypted`]) into `edited`, or `None`
    /// if nothing changed. Every value that was vaulted is vaulted again: an
    /// unchanged one keeps its exact ciphertext, a changed one is encrypted
    /// with the secret and vault-id that opened it. Everything else is taken
    /// as the user wrote it (a key added in the editor is plain).
    pub fn edited(&self, edited: &str, ctx: &VaultContext) -> Result<Option<Vec<u8>>, FileError> {
        let (doc, path) = match self {
            SecretsFile::Vars { doc, path } => (doc, path),
            SecretsFile::Whole {
                doc,
                reseal_with,
                path,
            } => {
                if doc.text() == edited {
                    return Ok(None);
                }
                let input = Input::File(path.clone());
                return Ok(Some(
                    ctx.seal(&input, edited.as_bytes(), reseal_with)?
                        .into_bytes(),
                ));
            }
        };
        if *self.render_decrypted(ctx)? == *edited {
            return Ok(None);
        }
        let new_doc =
            Doc::parse(edited).map_err(|e| FileError::yaml(path, YamlStage::AfterEditing, e))?;
        let input = Input::File(path.clone());
        let mut edits = Vec::new();
        for v in doc.inline_vaults() {
            if v.path.iter().any(|p| p.starts_with('[')) {
                continue; // shown encrypted in the editor: taken as written
            }
            let Some(now) = new_doc.get(&borrowed(&v.path)) else {
                continue; // removed in the editor
            };
            let opened = ctx.decrypt(&input, v.vault_text.as_bytes())?;
            let new_plain = match &now.value {
                ValueKind::Scalar(text) => text.clone(),
                ValueKind::Null => Zeroizing::new(String::new()),
                ValueKind::Vault(_) => continue, // the user pasted a vault: keep it
                _ => {
                    return Err(FileError::VaultedValueReplaced {
                        path: path.clone(),
                        key: v.path.join("."),
                        line: now.line,
                    });
                }
            };
            let vault_text = if opened.plaintext[..] == *new_plain.as_bytes() {
                v.vault_text.clone()
            } else {
                ctx.seal(&input, new_plain.as_bytes(), &ctx.relabelled(&opened))?
            };
            edits.push(Edit::Replace {
                path: v.path.clone(),
                value: NewValue::Vault { vault_text },
            });
        }
        let text = if edits.is_empty() {
            Zeroizing::new(edited.to_string())
        } else {
            Zeroizing::new(new_doc.apply(&edits).map_err(|e| yaml_error(path, e))?)
        };
        Ok(Some(text.as_bytes().to_vec()))
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

    /// Re-encrypts under `new_secret` the whole file, or every inline value
    /// under a vault-id `ctx` gives (key derivations in parallel); inline
    /// values under other vault-ids are left as they are and counted.
    pub fn rekeyed(
        &self,
        original: &[u8],
        ctx: &VaultContext,
        new_secret: &VaultSecret,
    ) -> Result<super::Rekeyed, FileError> {
        let input = Input::File(self.path().to_path_buf());
        let mut result = super::Rekeyed::default();
        match self {
            SecretsFile::Whole { .. } => {
                let opened = ctx.decrypt(&input, original)?;
                result.bytes = Some(
                    ctx.seal(&input, &opened.plaintext, new_secret)?
                        .into_bytes(),
                );
                Ok(result)
            }
            SecretsFile::Vars { doc, path } => {
                let mut vaults = doc.inline_vaults();
                vaults.retain(|v| {
                    let label = v.label.as_deref().unwrap_or(vault::DEFAULT_LABEL);
                    let given = ctx.gives(label);
                    if !given {
                        *result.left.entry(label.to_string()).or_default() += 1;
                    }
                    given
                });
                if vaults.is_empty() {
                    return Ok(result);
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
                result.bytes = Some(
                    doc.apply(&edits)
                        .map(String::into_bytes)
                        .map_err(|e| yaml_error(path, e))?,
                );
                Ok(result)
            }
        }
    }
}
