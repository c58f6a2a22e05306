//! One writing vaultrot command at a time per manifest: an exclusive
//! `File::lock` on `<manifest dir>/.vaultrot.lock`, held for the whole
//! command. The file records who holds it so a refused command can say so.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

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
}

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
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
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
            "user {}, pid {}, command `{command}`, since {}",
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
