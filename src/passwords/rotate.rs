//! `rotate-password`: replacing one vault-id's password everywhere, with the
//! manifest's `vault_passwords.<vault-id>.rotation` as the intent log.
//!
//! Order of writes, each atomic, so that a run killed at any instant is
//! finished by running it again, with the same new password:
//! 1. the new password into the store's pending slot (`<store>.pending`:
//!    age-encrypted to the recipients for an age file, the file's own mode
//!    for a plain file; for a `command:` store, vault-encrypted under the old
//!    password beside the manifest): it is never plaintext on disk outside
//!    the store's own kind of file;
//! 2. the intent (`rotation: {phase: starting}`);
//! 3. every vault file holding values under the vault-id, one file at a
//!    time (all planned in memory first: a value that opens with neither
//!    password stops the run before anything is written);
//! 4. `phase: promoting`; 5. the store (the pending slot renamed over it, or
//!    the command fed the password on stdin); 6. the CHANGELOG line;
//! 7. the manifest closes the rotation (`last_rotation`, `history`).
//!
//! A file is rewritten whole, so while a rotation is open each file opens
//! with the old password or with the new one (the loaders in
//! [`super::sources`] add a pending slot's password beside its store's).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use zeroize::Zeroizing;

use super::recipients;
use super::sources::{
    SecretsError, age_encrypt, password_from_file_bytes, pending_path, read_age_password_file,
};
use crate::ansible::config::unfrack;
use crate::changelog::{self, ChangelogEntry, ChangelogEvent};
use crate::exit_codes::{self, ExitCode};
use crate::fsutil::{self, FileMode};
use crate::manifest::write::{self, new_rotation_id, record_time};
use crate::manifest::{Manifest, PasswordStore, RotationPhase, VaultPassword};
use crate::vault::{self, DecryptOptions, SaltSource, VaultSecret};
use crate::vaultfile::{FileError, RekeyScope, VaultContext, rekeyed, replace, tree};
use crate::yaml::{Doc, Edit, NewValue};

/// Length of a generated vault password (alphanumeric: about 238 bits).
pub const GENERATED_LENGTH: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(
        "{manifest}: no vault password `{vault_id}`; add it under secrets_manifest.vault_passwords (with its store)"
    )]
    NotInManifest { manifest: String, vault_id: String },
    #[error("{0}")]
    Password(#[from] SecretsError),
    #[error("{0}")]
    File(#[from] FileError),
    #[error("{0}")]
    Recipients(#[from] recipients::RecipientsError),
    /// A password store file could not be read, written or renamed; `what`
    /// names it (and the action, when it is not plain).
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    /// The pending password (of a `command:` store) could not be sealed.
    #[error("{file}: {source}")]
    Seal {
        file: String,
        source: vault::VaultError,
    },
    #[error("store command `{command}`: {source}")]
    StoreCommand {
        command: String,
        source: std::io::Error,
    },
    #[error(
        "store command `{command}` failed ({status}); the rotation stays open: run rotate-password again to retry storing the new password"
    )]
    StoreCommandFailed {
        command: String,
        status: std::process::ExitStatus,
    },
    #[error("{0}")]
    Changelog(#[from] changelog::RecordError),
    #[error("{0}")]
    Manifest(#[from] write::WriteError),
    #[error("{0}")]
    Other(String),
}

/// A vault-id the manifest does not list is a usage error (2); the rest
/// failed on the way (1).
impl ExitCode for RotateError {
    fn exit_code(&self) -> i32 {
        match self {
            RotateError::NotInManifest { .. } => exit_codes::USAGE,
            _ => exit_codes::ERROR,
        }
    }
}

fn other(message: impl Into<String>) -> RotateError {
    RotateError::Other(message.into())
}

/// What the command gives the engine.
pub struct Request<'a> {
    pub manifest: &'a Manifest,
    pub vault_id: &'a str,
    /// The new password (from stdin or a prompt); `None`: generate one.
    /// Ignored when a rotation is open: it finishes with its own.
    pub new_password: Option<Zeroizing<Vec<u8>>>,
    /// The user's loaded secrets: the old password of a `command:` store
    /// comes from them.
    pub secrets: &'a [VaultSecret],
    pub age_identity: Option<&'a Path>,
    pub now: DateTime<Utc>,
    pub by: &'a str,
    /// Progress lines for the person running it.
    pub say: &'a dyn Fn(&str),
}

/// What a finished rotation did.
#[derive(Debug)]
pub struct Rotated {
    pub id: String,
    /// Files written in this run.
    pub files: usize,
    /// Values left as they were, by vault-id (never under the rotated one).
    pub left: BTreeMap<String, usize>,
    /// A rotation left open by a killed run was finished.
    pub resumed: bool,
    pub store: String,
}

/// Test-only crash hook: `VAULTROT_CRASH_AFTER_WRITE=N` kills the process
/// with SIGKILL right after its N-th write, as `kill -9` would, so tests can
/// stop a run at every write point. Unset in real use.
struct Writes {
    done: usize,
    crash_after: Option<usize>,
}

impl Writes {
    fn new() -> Self {
        Writes {
            done: 0,
            crash_after: std::env::var("VAULTROT_CRASH_AFTER_WRITE")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    fn wrote(&mut self) {
        self.done += 1;
        if self.crash_after == Some(self.done) {
            eprintln!("vaultrot: test crash after write {}", self.done);
            let _ = Command::new("kill")
                .args(["-9", &std::process::id().to_string()])
                .status();
            std::process::abort();
        }
    }
}

/// The store's files resolved against the infra root.
struct Store {
    kind: PasswordStore,
    /// The store file (age or plain); `None` for a command.
    file: Option<PathBuf>,
    pending: PathBuf,
}

impl Store {
    fn new(manifest: &Manifest, password: &VaultPassword) -> Store {
        let root = &manifest.root;
        let file = match &password.store {
            PasswordStore::AgeFile(p) | PasswordStore::File(p) => {
                Some(fsutil::resolve_target(&unfrack(p, Some(root))))
            }
            PasswordStore::Command(_) => None,
        };
        let pending = match &file {
            Some(f) => pending_path(f),
            None => manifest
                .path
                .parent()
                .unwrap_or(Path::new("."))
                .join(format!(".vault-pass.{}.pending", password.vault_id)),
        };
        Store {
            kind: password.store.clone(),
            file,
            pending,
        }
    }

    fn shown(&self, path: &Path) -> String {
        path.display().to_string()
    }

    /// The password the store holds now.
    fn read(
        &self,
        vault_id: &str,
        secrets: &[VaultSecret],
        identity: Option<&Path>,
    ) -> Result<Zeroizing<Vec<u8>>, RotateError> {
        match (&self.kind, &self.file) {
            (PasswordStore::AgeFile(_), Some(f)) => Ok(read_age_password_file(f, identity)?),
            (PasswordStore::File(_), Some(f)) => {
                let raw = Zeroizing::new(std::fs::read(f).map_err(|source| RotateError::Io {
                    what: format!("cannot read the password file {}", f.display()),
                    source,
                })?);
                Ok(password_from_file_bytes(&self.shown(f), &raw, &[])?)
            }
            _ => secrets
                .iter()
                .find(|s| s.label == vault_id)
                .map(|s| Zeroizing::new(s.password().to_vec()))
                .ok_or_else(|| {
                    other(format!(
                        "the current password of vault-id {vault_id} is needed (its store is a command vaultrot cannot read): pass --vault-id {vault_id}@SOURCE"
                    ))
                }),
        }
    }

    /// The new password kept in the pending slot, if there is one.
    fn read_pending(
        &self,
        old: &VaultSecret,
        identity: Option<&Path>,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, RotateError> {
        if !self.pending.exists() {
            return Ok(None);
        }
        let shown = self.shown(&self.pending);
        let password = match self.kind {
            PasswordStore::AgeFile(_) => read_age_password_file(&self.pending, identity)?,
            PasswordStore::File(_) => {
                let raw = Zeroizing::new(std::fs::read(&self.pending).map_err(|source| {
                    RotateError::Io {
                        what: format!("cannot read {shown}"),
                        source,
                    }
                })?);
                password_from_file_bytes(&shown, &raw, &[])?
            }
            PasswordStore::Command(_) => {
                let raw = Zeroizing::new(std::fs::read(&self.pending).map_err(|source| {
                    RotateError::Io {
                        what: format!("cannot read {shown}"),
                        source,
                    }
                })?);
                password_from_file_bytes(&shown, &raw, std::slice::from_ref(old))?
            }
        };
        Ok(Some(password))
    }

    /// Writes the new password into the pending slot.
    fn write_pending(&self, new: &[u8], old: &VaultSecret) -> Result<(), RotateError> {
        let shown = self.shown(&self.pending);
        let mut line = Zeroizing::new(new.to_vec());
        line.push(b'\n');
        let (bytes, mode) = match (&self.kind, &self.file) {
            (PasswordStore::AgeFile(_), Some(f)) => {
                let keys = recipients::keys(&recipients::read_lines(f)?);
                if keys.is_empty() {
                    return Err(other(format!(
                        "{} lists no recipient, so the new password cannot be encrypted to the people who open {} now: create it (age-keygen -y IDENTITY >> {})",
                        recipients::recipients_path(f).display(),
                        f.display(),
                        recipients::recipients_path(f).display()
                    )));
                }
                (
                    Zeroizing::new(age_encrypt(&shown, &keys, &line)?),
                    mode_of(f),
                )
            }
            (PasswordStore::File(_), Some(f)) => (line, mode_of(f)),
            _ => {
                let sealed = vault::encrypt(&line, old, &SaltSource::Random).map_err(|source| {
                    RotateError::Seal {
                        file: shown.clone(),
                        source,
                    }
                })?;
                (Zeroizing::new(sealed.into_bytes()), 0o600)
            }
        };
        fsutil::write_atomic(&self.pending, &bytes, FileMode::Exactly(mode)).map_err(|source| {
            RotateError::Io {
                what: shown,
                source,
            }
        })
    }

    /// Puts the new password in the store. Done again by a resumed run until
    /// the pending slot is gone.
    fn commit(&self, new: &[u8], root: &Path, writes: &mut Writes) -> Result<(), RotateError> {
        match (&self.kind, &self.file) {
            (PasswordStore::Command(command), _) => {
                run_store_command(command, root, new)?;
                writes.wrote();
                if self.pending.exists() {
                    std::fs::remove_file(&self.pending).map_err(|source| RotateError::Io {
                        what: self.pending.display().to_string(),
                        source,
                    })?;
                    writes.wrote();
                }
            }
            (_, Some(file)) => {
                if self.pending.exists() {
                    // The pending slot already has the store's format and
                    // mode: a rename replaces the store atomically.
                    std::fs::rename(&self.pending, file).map_err(|source| RotateError::Io {
                        what: file.display().to_string(),
                        source,
                    })?;
                    if let Some(dir) = file.parent() {
                        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
                    }
                    writes.wrote();
                }
            }
            _ => unreachable!("a file store has a file"),
        }
        Ok(())
    }
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o7777)
}

/// Runs a `command:` store with the password on stdin (never in argv or
/// the environment), from the infra root.
fn run_store_command(command: &str, root: &Path, password: &[u8]) -> Result<(), RotateError> {
    use std::io::Write;
    let mut child = Command::new("sh")
        .args(["-c", command])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|source| RotateError::StoreCommand {
            command: command.to_string(),
            source,
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        let mut line = Zeroizing::new(password.to_vec());
        line.push(b'\n');
        let _ = stdin.write_all(&line);
    }
    let status = child.wait().map_err(|source| RotateError::StoreCommand {
        command: command.to_string(),
        source,
    })?;
    if !status.success() {
        return Err(RotateError::StoreCommandFailed {
            command: command.to_string(),
            status,
        });
    }
    Ok(())
}

/// A new random password: alphanumeric, [`GENERATED_LENGTH`] characters.
pub fn generate() -> Zeroizing<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = Zeroizing::new(Vec::with_capacity(GENERATED_LENGTH));
    while out.len() < GENERATED_LENGTH {
        let b: u8 = rand::random();
        // 62 * 4 = 248: rejecting the rest keeps every character equally likely.
        if (b as usize) < ALPHABET.len() * 4 {
            out.push(ALPHABET[b as usize % ALPHABET.len()]);
        }
    }
    out
}

fn context(secret: &VaultSecret) -> VaultContext {
    VaultContext {
        secrets: vec![secret.clone()],
        options: DecryptOptions::default(),
        salt: SaltSource::Random,
    }
}

/// Rotates the password of `request.vault_id`; the caller holds the manifest lock.
pub fn rotate(request: &Request) -> Result<Rotated, RotateError> {
    let manifest = request.manifest;
    let vault_id = request.vault_id;
    let password = manifest
        .vault_password(vault_id)
        .ok_or_else(|| RotateError::NotInManifest {
            manifest: manifest.path.display().to_string(),
            vault_id: vault_id.to_string(),
        })?;
    let store = Store::new(manifest, password);
    let identity = request.age_identity;
    let mut writes = Writes::new();
    let open = password.secret.rotation.as_ref();
    let say = request.say;

    // Phase `promoting`: every file is rekeyed; only the store and the
    // records are left. The store may already hold the new password.
    if let Some(rotation) = open.filter(|r| r.phase == RotationPhase::Promoting) {
        say(&format!(
            "resuming rotation {} of vault-id {vault_id}: storing the new password",
            rotation.id
        ));
        let new = match store.kind {
            PasswordStore::Command(_) => {
                let old =
                    VaultSecret::new(vault_id, store.read(vault_id, request.secrets, identity)?);
                store.read_pending(&old, identity)?
            }
            _ => match store.read_pending(
                &VaultSecret::new(vault_id, Zeroizing::new(Vec::new())),
                identity,
            )? {
                Some(p) => Some(p),
                None => Some(store.read(vault_id, request.secrets, identity)?),
            },
        };
        let new = new.ok_or_else(|| {
            other(format!(
                "rotation {} of vault-id {vault_id} is past rekeying but its new password is gone from {}",
                rotation.id,
                store.pending.display()
            ))
        })?;
        store.commit(&new, &manifest.root, &mut writes)?;
        close(request, &rotation.id, &mut writes)?;
        return Ok(Rotated {
            id: rotation.id.clone(),
            files: 0,
            left: BTreeMap::new(),
            resumed: true,
            store: password.store.describe(),
        });
    }

    let old_password = store.read(vault_id, request.secrets, identity)?;
    let old = VaultSecret::new(vault_id, old_password);
    let (id, new_password, resumed) = match open {
        Some(rotation) => {
            let new = store.read_pending(&old, identity)?.ok_or_else(|| {
                other(format!(
                    "rotation {} of vault-id {vault_id} is open but its new password is gone from {}; files may already use it: restore {} from a backup, then run again",
                    rotation.id,
                    store.pending.display(),
                    store.pending.display()
                ))
            })?;
            say(&format!(
                "resuming rotation {} of vault-id {vault_id} with its new password",
                rotation.id
            ));
            (rotation.id.clone(), new, true)
        }
        None => {
            // A run killed before it recorded its intent left only the
            // pending slot: the next run keeps that password.
            let kept = match &request.new_password {
                Some(_) => None,
                None => store.read_pending(&old, identity).ok().flatten(),
            };
            let reused = kept.is_some();
            let new = match (&request.new_password, kept) {
                (Some(p), _) => p.clone(),
                (None, Some(p)) => p,
                (None, None) => generate(),
            };
            if new.is_empty() {
                return Err(other("the new vault password is empty"));
            }
            if new[..] == old.password()[..] {
                return Err(other(
                    "the new vault password is the current one; nothing to rotate",
                ));
            }
            let id = new_rotation_id(request.now);
            if !reused {
                store.write_pending(&new, &old)?;
                writes.wrote();
            }
            open_intent(request, &id)?;
            writes.wrote();
            (id, new, false)
        }
    };
    let new = VaultSecret::new(vault_id, new_password);

    // Plan every file in memory before the first is replaced.
    let root = manifest.root.to_string_lossy().into_owned();
    let files = tree::expand_found(&[root])?;
    let (first, second) = if resumed {
        (context(&new), context(&old))
    } else {
        (context(&old), context(&new))
    };
    type Planned = Result<(PathBuf, Option<Vec<u8>>, BTreeMap<String, usize>), FileError>;
    let planned: Vec<Planned> = files
        .par_iter()
        .map(|file| {
            let path = fsutil::resolve_target(&file.path);
            let scope = RekeyScope::GivenVaultIds;
            if resumed && let Some((true, left)) = first_opens(&path, vault_id, &new) {
                return Ok((path, None, left));
            }
            match rekeyed(&path, &first, &new, scope) {
                Ok(r) => {
                    // Opened with the new password (a resumed run): done already.
                    let bytes = if resumed { None } else { r.bytes };
                    Ok((path, bytes, r.left))
                }
                Err(first_err) => match rekeyed(&path, &second, &new, scope) {
                    Ok(r) => {
                        let bytes = if resumed { r.bytes } else { None };
                        Ok((path, bytes, r.left))
                    }
                    Err(_) => Err(first_err),
                },
            }
        })
        .collect();
    let mut pending_writes = Vec::new();
    let mut left = BTreeMap::<String, usize>::new();
    for plan in planned {
        let (path, bytes, file_left) = plan?;
        for (label, n) in file_left {
            *left.entry(label).or_default() += n;
        }
        if let Some(bytes) = bytes {
            pending_writes.push((path, bytes));
        }
    }
    let files_written = pending_writes.len();
    for (path, bytes) in pending_writes {
        replace(&path, &bytes, FileMode::Keep)?;
        writes.wrote();
    }
    set_phase(request, RotationPhase::Promoting)?;
    writes.wrote();
    store.commit(new.password(), &manifest.root, &mut writes)?;
    close(request, &id, &mut writes)?;
    Ok(Rotated {
        id,
        files: files_written,
        left,
        resumed,
        store: password.store.describe(),
    })
}

/// Whether the first vault under `vault_id` in the file opens with
/// `secret` (`None`: the file holds none), with the vaults under other
/// vault-ids counted. A file is rewritten whole, so one value tells whether
/// a killed run already rekeyed it: a resumed run skips it for one key
/// derivation instead of a decryption and encryption of every value.
fn first_opens(
    path: &Path,
    vault_id: &str,
    secret: &VaultSecret,
) -> Option<(bool, BTreeMap<String, usize>)> {
    let bytes = Zeroizing::new(std::fs::read(path).ok()?);
    let opens = |data: &[u8]| {
        vault::decrypt(
            data,
            std::slice::from_ref(secret),
            DecryptOptions::default(),
        )
        .is_ok()
    };
    if vault::is_encrypted(&bytes) {
        let env = vault::envelope::parse_envelope(&bytes).ok()?;
        return (env.label_or_default() == vault_id).then(|| (opens(&bytes), BTreeMap::new()));
    }
    let doc = Doc::parse(std::str::from_utf8(&bytes).ok()?).ok()?;
    let mut first = None;
    let mut left = BTreeMap::<String, usize>::new();
    for inline in doc.inline_vaults() {
        let label = inline.label.as_deref().unwrap_or(vault::DEFAULT_LABEL);
        if label != vault_id {
            *left.entry(label.to_string()).or_default() += 1;
        } else if first.is_none() {
            first = Some(inline.vault_text.clone());
        }
    }
    first.map(|text| (opens(text.as_bytes()), left))
}

fn password_path(vault_id: &str) -> Vec<String> {
    vec![
        "secrets_manifest".into(),
        "vault_passwords".into(),
        vault_id.to_string(),
    ]
}

fn child(vault_id: &str, key: &str) -> Vec<String> {
    let mut path = password_path(vault_id);
    path.push(key.to_string());
    path
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

/// Applies `edits` to the manifest atomically (span edits: every other byte stays).
fn edit_manifest(path: &Path, edits: impl FnOnce(&Doc) -> Vec<Edit>) -> Result<(), RotateError> {
    Ok(write::apply_edits(path, edits)?)
}

fn open_intent(request: &Request, id: &str) -> Result<(), RotateError> {
    let vault_id = request.vault_id;
    edit_manifest(&request.manifest.path, |doc| {
        let value = NewValue::Map(vec![
            ("id".into(), NewValue::plain(id)),
            ("kind".into(), NewValue::Raw("swap".into())),
            (
                "phase".into(),
                NewValue::Raw(RotationPhase::Starting.as_str().into()),
            ),
            ("started".into(), NewValue::Raw(record_time(request.now))),
            ("by".into(), NewValue::plain(request.by)),
        ]);
        vec![if doc.get(&refs(&child(vault_id, "rotation"))).is_some() {
            Edit::Replace {
                path: child(vault_id, "rotation"),
                value,
            }
        } else {
            Edit::Append {
                parent: password_path(vault_id),
                key: "rotation".into(),
                value,
            }
        }]
    })
}

fn set_phase(request: &Request, phase: RotationPhase) -> Result<(), RotateError> {
    let mut path = child(request.vault_id, "rotation");
    path.push("phase".into());
    edit_manifest(&request.manifest.path, |_| {
        vec![Edit::Replace {
            path,
            value: NewValue::Raw(phase.as_str().into()),
        }]
    })
}

/// The CHANGELOG line (when the manifest names a changelog), then the
/// manifest: history entry, `last_rotation`, no `rotation:`.
fn close(request: &Request, id: &str, writes: &mut Writes) -> Result<(), RotateError> {
    let manifest = request.manifest;
    let vault_id = request.vault_id;
    if let Some(relative) = &manifest.defaults.changelog {
        let path = manifest.resolve(relative);
        let entry = ChangelogEntry {
            secrets: vec![VaultPassword::secret_name(vault_id)],
            event: ChangelogEvent::Rotated,
            date: request.now.date_naive(),
            rotation_id: id.to_string(),
            by: request.by.to_string(),
            confirmed_by: None,
        };
        // A resumed run finds its line there already.
        if changelog::record(&path, &entry)? {
            writes.wrote();
        }
    }
    let entry = format!(
        "{{at: {}, event: rotated, id: {id}, by: {}}}",
        record_time(request.now),
        flow_safe(request.by)
    );
    let date = request.now.format("%Y-%m-%d").to_string();
    edit_manifest(&manifest.path, |doc| {
        let has = |key: &str| doc.get(&refs(&child(vault_id, key))).is_some();
        let mut edits = Vec::new();
        if has("history") {
            edits.push(Edit::Push {
                path: child(vault_id, "history"),
                value: NewValue::Raw(entry),
            });
        } else {
            edits.push(Edit::Append {
                parent: password_path(vault_id),
                key: "history".into(),
                value: NewValue::List(vec![NewValue::Raw(entry)]),
            });
        }
        let value = NewValue::Raw(date);
        if has("last_rotation") {
            edits.push(Edit::Replace {
                path: child(vault_id, "last_rotation"),
                value,
            });
        } else {
            edits.push(Edit::Append {
                parent: password_path(vault_id),
                key: "last_rotation".into(),
                value,
            });
        }
        if has("rotation") {
            edits.push(Edit::Remove {
                path: child(vault_id, "rotation"),
            });
        }
        edits
    })?;
    writes.wrote();
    Ok(())
}

/// A scalar safe inside a flow mapping: plain for simple words, else single-quoted.
fn flow_safe(text: &str) -> String {
    let simple = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
        && text.starts_with(|c: char| c.is_ascii_alphabetic());
    if simple {
        text.to_string()
    } else {
        format!("'{}'", text.replace(['\n', '\r'], " ").replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_alphanumeric_and_differ() {
        let a = generate();
        let b = generate();
        assert_eq!(a.len(), GENERATED_LENGTH);
        assert!(a.iter().all(u8::is_ascii_alphanumeric));
        assert_ne!(a[..], b[..]);
    }

    #[test]
    fn flow_safe_quotes_what_is_not_a_word() {
        assert_eq!(flow_safe("alice"), "alice");
        assert_eq!(flow_safe("o'neil x"), "'o''neil x'");
    }
}
