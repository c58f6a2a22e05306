//! Finding the files that hold vault data: the named files, and under a
//! directory every whole-file vault or YAML file with inline `!vault`
//! values (respecting .gitignore, as git would see the tree).

use std::path::{Path, PathBuf};

use super::FileError;

/// Whether these bytes are a whole-file vault or text with an inline `!vault` tag.
pub fn holds_vault_data(bytes: &[u8]) -> bool {
    crate::vault::is_encrypted(bytes) || contains_vault_tag(bytes)
}

fn contains_vault_tag(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"!vault")
}

/// Expands the command's path arguments: files as given, directories walked.
pub fn expand(args: &[String]) -> Result<Vec<PathBuf>, FileError> {
    let mut files = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if !path.is_dir() {
            files.push(path.to_path_buf());
            continue;
        }
        let mut found = Vec::new();
        for entry in ignore::WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .require_git(false)
            .build()
        {
            let entry = entry.map_err(|e| FileError::Other(format!("{arg}: {e}")))?;
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && !p.components().any(|c| c.as_os_str() == ".git")
                && std::fs::read(p).is_ok_and(|b| holds_vault_data(&b))
            {
                found.push(p.to_path_buf());
            }
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}
