//! Files on disk: the working tree as git sees it (`.gitignore` respected
//! unless asked otherwise, `.env` and other dot-files included), never the
//! `.git` directory or vaultrot's own backups.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::ScanError;
use crate::vaultfile::FileError;

/// Directories that are not content: git's object store, vaultrot's backups.
const SKIPPED_DIRS: &[&str] = &[".git", ".vaultrot"];

/// Every file under `dir`.
pub fn walk(dir: &Path, respect_ignore: bool) -> Result<Vec<PathBuf>, ScanError> {
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(respect_ignore)
        .git_exclude(respect_ignore)
        .git_global(respect_ignore)
        .ignore(respect_ignore)
        .parents(respect_ignore)
        .require_git(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        })
        .build();
    for entry in walker {
        let entry = entry.map_err(|source| FileError::Walk {
            root: dir.display().to_string(),
            source,
        })?;
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
        }
    }
    files.sort();
    Ok(files)
}

/// A file's bytes, in memory that is wiped after the search.
pub fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, ScanError> {
    std::fs::read(path).map(Zeroizing::new).map_err(|e| {
        ScanError::File(FileError::Read {
            path: path.display().to_string(),
            source: e,
        })
    })
}
