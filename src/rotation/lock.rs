//! One writing vaultrot command at a time per manifest: an exclusive
//! `File::lock` on `<manifest dir>/.vaultrot.lock`, held for the whole
//! command. The file records who holds it so a refused command can say so.
//!
//! The lock path sits in a directory people commit, so it is opened with
//! `O_NOFOLLOW` (a symlink there is refused, never followed) and only a file
//! vaultrot made is ever written: one it creates, or an existing plain file
//! with a single link that is empty or holds a holder line. Anything else at
//! that path is refused with a message saying what to remove.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::manifest::Manifest;

/// Held while a command runs; released (and the holder line cleared) on drop.
#[derive(Debug)]
pub struct ManifestLock {
    file: File,
    path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another vaultrot command holds {path}: {holder}")]
    Held { path: String, holder: String },
    #[error("cannot open the lock file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the lock file {path} is a symbolic link: vaultrot does not follow it (it could make a command overwrite the file it points to); remove the link"
    )]
    Symlink { path: String },
    #[error(
        "{path} is not a vaultrot lock file ({what}): vaultrot will not write to it; remove or rename it"
    )]
    Foreign { path: String, what: &'static str },
}

/// A lock held by another command has its own code (75), so that a job can
/// wait and retry; the others are failures (1).
impl crate::exit_codes::ExitCode for LockError {
    fn exit_code(&self) -> i32 {
        match self {
            LockError::Held { .. } => crate::exit_codes::LOCKED,
            _ => crate::exit_codes::ERROR,
        }
    }
}

/// How every holder line starts (see [`ManifestLock::acquire`]).
const HOLDER_PREFIX: &str = "user ";

/// The lock file that guards `manifest`.
pub fn lock_path(manifest: &Path) -> PathBuf {
    manifest
        .parent()
        .unwrap_or(Path::new("."))
        .join(".vaultrot.lock")
}

impl ManifestLock {
    /// Takes the lock or fails at once naming the holder.
    pub fn acquire(manifest: &Path, command: &str) -> Result<Self, LockError> {
        let path = lock_path(manifest);
        let io_err = |source| LockError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut file = open_own_file(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file
                    .seek(SeekFrom::Start(0))
                    .and_then(|_| file.read_to_string(&mut holder));
                let holder = holder.trim();
                return Err(LockError::Held {
                    path: path.display().to_string(),
                    holder: if holder.is_empty() {
                        "unknown holder".to_string()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        let holder = format!(
            "{HOLDER_PREFIX}{}, pid {}, command `{command}`, since {}",
            current_user(),
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        );
        let _ = file
            .set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| {
                file.write_all(holder.as_bytes())?;
                file.sync_all()
            });
        Ok(ManifestLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ManifestLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// The locks of every manifest naming one of `vaults` (files a vault command
/// is about to write), taken in order, each once. A manifest is one given by
/// `VAULTROT_MANIFEST` or a `group_vars/all/_secrets_manifest.yml` in a
/// directory above the file; one that cannot be read counts as naming it,
/// as it cannot be shown not to. Fails at once naming a holder.
pub fn lock_vault_files(vaults: &[PathBuf], command: &str) -> Result<Vec<ManifestLock>, LockError> {
    let mut verdicts: Vec<(PathBuf, Option<Manifest>)> = Vec::new();
    let mut wanted: Vec<(PathBuf, PathBuf)> = Vec::new();
    for vault in vaults {
        let Ok(vault) = vault.canonicalize() else {
            continue;
        };
        for (manifest_path, as_found) in manifests_above(&vault) {
            if wanted.iter().any(|(p, _)| *p == manifest_path) {
                continue;
            }
            let manifest = match verdicts.iter().find(|(p, _)| *p == manifest_path) {
                Some((_, manifest)) => manifest,
                None => {
                    let loaded = Manifest::load(&manifest_path).ok();
                    verdicts.push((manifest_path.clone(), loaded));
                    &verdicts[verdicts.len() - 1].1
                }
            };
            let names_it = manifest.as_ref().is_none_or(|m| {
                m.secrets.iter().any(|s| {
                    m.resolve(&s.vault)
                        .canonicalize()
                        .is_ok_and(|named| named == vault)
                })
            });
            if names_it {
                wanted.push((manifest_path, as_found));
            }
        }
    }
    // The lock sits beside the manifest as the rotation commands name it
    // (a symlinked manifest locks in the link's directory, as they do).
    wanted
        .iter()
        .map(|(_, as_found)| ManifestLock::acquire(as_found, command))
        .collect()
}

/// `VAULTROT_MANIFEST`, then every `group_vars/all/_secrets_manifest.y(a)ml`
/// in a directory above `vault`: (canonical path, path as found), each once.
fn manifests_above(vault: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    let from_env = std::env::var_os("VAULTROT_MANIFEST")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from);
    let above = vault.ancestors().skip(1).flat_map(|dir| {
        crate::manifest::discover::MANIFEST_FILE_NAMES
            .iter()
            .map(move |name| dir.join("group_vars").join("all").join(name))
    });
    for candidate in from_env.into_iter().chain(above) {
        if let Ok(path) = candidate.canonicalize()
            && path.is_file()
            && !found.iter().any(|(p, _)| *p == path)
        {
            found.push((path, candidate));
        }
    }
    found
}

/// Opens (creating it if missing) the lock file, refusing a symlink and any
/// file vaultrot would not have written.
fn open_own_file(path: &Path) -> Result<File, LockError> {
    let shown = || path.display().to_string();
    let opened = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o644)
        .open(path);
    let mut file = match opened {
        Ok(file) => file,
        // O_NOFOLLOW on a symlink: ELOOP (EMLINK on some BSDs).
        Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::EMLINK)) => {
            return Err(LockError::Symlink { path: shown() });
        }
        Err(source) => {
            return Err(LockError::Io {
                path: shown(),
                source,
            });
        }
    };
    let meta = file.metadata().map_err(|source| LockError::Io {
        path: shown(),
        source,
    })?;
    let foreign = |what| LockError::Foreign {
        path: shown(),
        what,
    };
    if !meta.is_file() {
        return Err(foreign("not a regular file"));
    }
    // A hard link would make writing here write to some other file too.
    if meta.nlink() > 1 {
        return Err(foreign("it has other hard links"));
    }
    let mut content = String::new();
    let readable = (&mut file).take(4096).read_to_string(&mut content).is_ok();
    let ours = content.trim().is_empty() || content.starts_with(HOLDER_PREFIX);
    if !readable || !ours {
        return Err(foreign(
            "it holds something other than a vaultrot holder line",
        ));
    }
    Ok(file)
}

/// Who runs this command, for the lock, the manifest and the changelog.
pub fn current_user() -> String {
    ["VAULTROT_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(user_from_passwd)
        .unwrap_or_else(|| "unknown".to_string())
}

/// The login name of this process's uid, from /etc/passwd (CI and cron often set no USER).
fn user_from_passwd() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("_secrets_manifest.yml");
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "precious\n").unwrap();
        std::os::unix::fs::symlink(&target, lock_path(&manifest)).unwrap();
        let err = ManifestLock::acquire(&manifest, "start vault_x").unwrap_err();
        assert!(matches!(err, LockError::Symlink { .. }), "{err}");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");

        // A dangling link is not followed to create its target either.
        std::fs::remove_file(lock_path(&manifest)).unwrap();
        let absent = dir.path().join("absent.txt");
        std::os::unix::fs::symlink(&absent, lock_path(&manifest)).unwrap();
        assert!(matches!(
            ManifestLock::acquire(&manifest, "start vault_x"),
            Err(LockError::Symlink { .. })
        ));
        assert!(!absent.exists());
    }

    #[test]
    fn a_file_vaultrot_did_not_write_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("_secrets_manifest.yml");
        let lock = lock_path(&manifest);
        std::fs::write(&lock, "somebody's notes\n").unwrap();
        let err = ManifestLock::acquire(&manifest, "start vault_x").unwrap_err();
        assert!(matches!(err, LockError::Foreign { .. }), "{err}");
        assert_eq!(
            std::fs::read_to_string(&lock).unwrap(),
            "somebody's notes\n"
        );

        std::fs::write(&lock, "").unwrap();
        let other = dir.path().join("other-link");
        std::fs::hard_link(&lock, &other).unwrap();
        assert!(matches!(
            ManifestLock::acquire(&manifest, "start vault_x"),
            Err(LockError::Foreign { .. })
        ));
        std::fs::remove_file(&other).unwrap();

        // Its own file, left from an earlier command, is reused.
        drop(ManifestLock::acquire(&manifest, "start vault_x").unwrap());
        drop(ManifestLock::acquire(&manifest, "finish vault_x").unwrap());
    }

    #[test]
    fn second_lock_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("_secrets_manifest.yml");
        let first = ManifestLock::acquire(&manifest, "start vault_x").unwrap();
        let err = ManifestLock::acquire(&manifest, "finish vault_x").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("start vault_x"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        ManifestLock::acquire(&manifest, "finish vault_x").unwrap();
    }
}
