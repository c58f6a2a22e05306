//! Finding the files that hold vault data: the named files, and under a
//! directory every whole-file vault or YAML file with inline `!vault`
//! values. A walk covers what Ansible loads: .gitignore is respected (as git
//! would see the tree) except for the vars files Ansible reads whether git
//! tracks them or not, and a symlinked file is listed once, by its target.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::FileError;

/// Whether these bytes are a whole-file vault or text with an inline `!vault` tag.
pub fn holds_vault_data(bytes: &[u8]) -> bool {
    crate::vault::is_encrypted(bytes) || contains_vault_tag(bytes)
}

fn contains_vault_tag(bytes: &[u8]) -> bool {
    bytes.windows(6).any(|w| w == b"!vault")
}

/// One file a command works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// Named on the command line (not found by walking a directory).
    pub named: bool,
}

/// Expands the command's path arguments: files as given, directories walked.
pub fn expand(args: &[String]) -> Result<Vec<PathBuf>, FileError> {
    Ok(expand_found(args)?.into_iter().map(|f| f.path).collect())
}

/// [`expand`], telling named files from walked ones. A file reached twice
/// (named and walked, or through a symlink) is listed once, first come.
pub fn expand_found(args: &[String]) -> Result<Vec<Found>, FileError> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for arg in args {
        let path = Path::new(arg);
        if !path.is_dir() {
            if seen.insert(crate::fsutil::resolve_target(path)) {
                files.push(Found {
                    path: path.to_path_buf(),
                    named: true,
                });
            }
            continue;
        }
        let not_ignored = walk(path, true, arg)?;
        let mut found: Vec<PathBuf> = walk(path, false, arg)?
            .into_iter()
            .filter(|p| not_ignored.contains(p) || ansible_loads(path, p))
            .filter(|p| std::fs::read(p).is_ok_and(|b| holds_vault_data(&b)))
            .collect();
        found.sort();
        for p in found {
            if seen.insert(crate::fsutil::resolve_target(&p)) {
                files.push(Found {
                    path: p,
                    named: false,
                });
            }
        }
    }
    Ok(files)
}

/// Every regular file (or symlink to one) below `root`, hidden ones and
/// `.git` left out, .gitignore respected when `git_ignore`.
fn walk(root: &Path, git_ignore: bool, arg: &str) -> Result<HashSet<PathBuf>, FileError> {
    let mut out = HashSet::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(git_ignore)
        .git_exclude(git_ignore)
        .git_global(git_ignore)
        .ignore(git_ignore)
        .parents(git_ignore)
        .require_git(false)
        .follow_links(true)
        .build()
    {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) if unloadable_link(&e) => continue,
            Err(source) => {
                return Err(FileError::Walk {
                    root: arg.to_string(),
                    source,
                });
            }
        };
        let p = entry.path();
        // With follow_links the entry's type is its target's.
        if entry.file_type().is_some_and(|t| t.is_file())
            && !p.components().any(|c| c.as_os_str() == ".git")
        {
            out.insert(p.to_path_buf());
        }
    }
    Ok(out)
}

/// A dangling symlink or a symlink loop: nothing Ansible could load, so the
/// walk passes over it instead of failing the whole command.
fn unloadable_link(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => unloadable_link(err),
        ignore::Error::Loop { .. } => true,
        ignore::Error::Io(e) => e.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// A vars file Ansible reads even when git ignores it: anything in
/// `group_vars/` or `host_vars/`, or a role's `vars/` or `defaults/`,
/// with an extension Ansible's vars loader accepts.
fn ansible_loads(root: &Path, path: &Path) -> bool {
    let ext_ok = match path.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(e) => matches!(e, "yml" | "yaml" | "json"),
    };
    let rel = path.strip_prefix(root).unwrap_or(path);
    let names: Vec<&str> = rel
        .parent()
        .into_iter()
        .flat_map(|p| p.components())
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    let in_vars_dir = names.iter().enumerate().any(|(i, n)| {
        *n == "group_vars"
            || *n == "host_vars"
            || ((*n == "vars" || *n == "defaults") && i >= 2 && names[i - 2] == "roles")
    });
    ext_ok && in_vars_dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansible_vars_dirs_are_recognised() {
        let root = Path::new("/r");
        assert!(ansible_loads(
            root,
            Path::new("/r/group_vars/all/vault.yml")
        ));
        assert!(ansible_loads(root, Path::new("/r/inv/host_vars/web1")));
        assert!(ansible_loads(root, Path::new("/r/roles/db/vars/main.yml")));
        assert!(ansible_loads(
            root,
            Path::new("/r/roles/db/defaults/main.yaml")
        ));
        assert!(!ansible_loads(
            root,
            Path::new("/r/group_vars/all/notes.txt")
        ));
        assert!(!ansible_loads(root, Path::new("/r/build/vars/x.yml")));
        assert!(!ansible_loads(root, Path::new("/r/out/secret.yml")));
    }
}
