//! Every vault write keeps the previous ciphertext: before a vault file is
//! replaced, its current bytes are copied (0600) into the backup directory,
//! named after the file, the time and the operation — never a value.
//! `vaultrot restore` lists them and brings one back.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{FileMode, write_atomic};

/// A stored backup of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub path: PathBuf,
    /// The file name the backup was taken of (flattened relative path).
    pub of: String,
    /// `YYYYMMDDTHHMMSSZ` plus a sequence number, sortable.
    pub stamp: String,
    /// What caused it (`rotation r-…`, `set`, `rekey`, `restore`).
    pub tag: String,
}

fn flatten(file: &Path, root: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap_or(file);
    relative
        .to_string_lossy()
        .trim_start_matches('/')
        .replace('/', "__")
}

/// Copies `file`'s current bytes into `dir` before it is overwritten.
/// Returns `None` when the file does not exist yet (nothing to keep).
pub fn keep_previous(
    file: &Path,
    root: &Path,
    dir: &Path,
    tag: &str,
) -> io::Result<Option<PathBuf>> {
    let Ok(bytes) = fs::read(file) else {
        return Ok(None);
    };
    fs::create_dir_all(dir)?;
    let safe_tag: String = tag
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let now = chrono::Utc::now().format("%Y%m%dT%H%M%S%6fZ");
    let name = format!("{}.{now}.{safe_tag}.bak", flatten(file, root));
    let path = dir.join(name);
    write_atomic(&path, &bytes, FileMode::Exactly(0o600))?;
    Ok(Some(path))
}

/// After a failed write of `file`: removes the backup just made of it when
/// `file` still holds the same bytes (the backup would only take space, on
/// a disk that may be full). A backup that became the only copy stays.
pub fn discard_if_redundant(backup: &Path, file: &Path) {
    if let (Ok(kept), Ok(current)) = (fs::read(backup), super::read(file))
        && kept == current
    {
        let _ = fs::remove_file(backup);
    }
}

/// Backups of `file` in `dir`, oldest first.
pub fn list(file: &Path, root: &Path, dir: &Path) -> io::Result<Vec<Backup>> {
    let prefix = format!("{}.", flatten(file, root));
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".bak"))
        else {
            continue;
        };
        let Some((stamp, tag)) = rest.split_once('.') else {
            continue;
        };
        found.push(Backup {
            path: entry.path(),
            of: prefix.trim_end_matches('.').to_string(),
            stamp: stamp.to_string(),
            tag: tag.to_string(),
        });
    }
    found.sort_by(|a, b| a.stamp.cmp(&b.stamp));
    Ok(found)
}

/// Puts a backup's bytes back in place (keeping the current bytes as a new backup first).
pub fn restore(backup: &Backup, file: &Path, root: &Path, dir: &Path) -> io::Result<()> {
    let bytes = fs::read(&backup.path)?;
    keep_previous(file, root, dir, "before-restore")?;
    write_atomic(file, &bytes, FileMode::Keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redundant_backup_is_discarded_the_only_copy_kept() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("vault.yml");
        let dir = root.path().join("backups");
        fs::write(&file, b"v1").unwrap();
        let kept = keep_previous(&file, root.path(), &dir, "set")
            .unwrap()
            .unwrap();
        discard_if_redundant(&kept, &file);
        assert!(!kept.exists(), "the file still holds these bytes");
        let kept = keep_previous(&file, root.path(), &dir, "set")
            .unwrap()
            .unwrap();
        fs::write(&file, b"v2").unwrap();
        discard_if_redundant(&kept, &file);
        assert!(kept.exists(), "the only copy of v1");
    }

    #[test]
    fn keep_list_restore() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("group_vars/all/vault.yml");
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        let dir = root.path().join(".vaultrot/backups");
        assert_eq!(
            keep_previous(&root.path().join("missing"), root.path(), &dir, "x").unwrap(),
            None
        );
        fs::write(&file, b"v1").unwrap();
        let b1 = keep_previous(&file, root.path(), &dir, "rotation r-1")
            .unwrap()
            .unwrap();
        assert!(
            b1.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("group_vars__all__vault.yml.")
        );
        fs::write(&file, b"v2").unwrap();
        let backups = list(&file, root.path(), &dir).unwrap();
        assert_eq!(backups.len(), 1);
        assert_eq!(backups[0].tag, "rotation_r-1");
        restore(&backups[0], &file, root.path(), &dir).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"v1");
        assert_eq!(
            list(&file, root.path(), &dir).unwrap().len(),
            2,
            "restore keeps what it replaced"
        );
    }
}
