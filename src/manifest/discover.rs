//! Finding the manifest (`--manifest`, `VAULTROT_MANIFEST`, or the single one
//! below the current directory) and the infra root its paths are relative to.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::ManifestError;

/// The file name vaultrot looks for under `group_vars/all/`.
pub const MANIFEST_FILE_NAMES: [&str; 2] = ["_secrets_manifest.yml", "_secrets_manifest.yaml"];

/// Directories never searched: VCS data, build output, virtualenvs, JS deps.
const SKIPPED_DIRS: [&str; 4] = [".git", "target", ".venv", "node_modules"];

/// The manifest to use: `explicit` (`--manifest`), else `VAULTROT_MANIFEST`,
/// else the single `**/group_vars/all/_secrets_manifest.yml` below `cwd`.
pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<PathBuf, ManifestError> {
    discover_with_env(explicit, std::env::var_os("VAULTROT_MANIFEST"), cwd)
}

/// [`discover`] with the value of `VAULTROT_MANIFEST` given.
pub fn discover_with_env(
    explicit: Option<&Path>,
    env: Option<OsString>,
    cwd: &Path,
) -> Result<PathBuf, ManifestError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let mut found = Vec::new();
    search(cwd, &mut found);
    found.sort();
    let relative = |p: PathBuf| p.strip_prefix(cwd).map(Path::to_path_buf).unwrap_or(p);
    match found.len() {
        0 => Err(ManifestError::NotFound {
            start: cwd.to_path_buf(),
        }),
        1 => Ok(relative(found.remove(0))),
        _ => Err(ManifestError::Ambiguous {
            start: cwd.to_path_buf(),
            candidates: found.into_iter().map(relative).collect(),
        }),
    }
}

fn search(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        // file_type() does not follow symlinks, so a link loop cannot trap the walk.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        let name = entry.file_name();
        if SKIPPED_DIRS.iter().any(|s| name == *s) {
            continue;
        }
        let path = entry.path();
        if name == "group_vars" {
            for file in MANIFEST_FILE_NAMES {
                let candidate = path.join("all").join(file);
                if candidate.is_file() {
                    found.push(candidate);
                }
            }
        }
        search(&path, found);
    }
}

/// The infra root of a manifest: the directory of the nearest `ansible.cfg`
/// above it, else the git work tree root, else the directory holding its
/// `group_vars`, else the manifest's own directory.
pub fn infra_root(manifest: &Path) -> PathBuf {
    let absolute = std::path::absolute(manifest).unwrap_or_else(|_| manifest.to_path_buf());
    let dir = absolute.parent().unwrap_or(Path::new("/")).to_path_buf();
    if let Some(found) = dir.ancestors().find(|d| d.join("ansible.cfg").is_file()) {
        return found.to_path_buf();
    }
    // `.git` is a directory in a clone and a file in a linked worktree.
    if let Some(found) = dir.ancestors().find(|d| d.join(".git").exists()) {
        return found.to_path_buf();
    }
    if let Some(group_vars) = dir
        .ancestors()
        .find(|d| d.file_name() == Some("group_vars".as_ref()))
    {
        return group_vars.parent().unwrap_or(&dir).to_path_buf();
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "").unwrap();
    }

    #[test]
    fn explicit_beats_env_beats_search() {
        let tmp = tempfile::tempdir().unwrap();
        touch(
            &tmp.path()
                .join("infra/group_vars/all/_secrets_manifest.yml"),
        );
        let explicit =
            discover_with_env(Some(Path::new("a.yml")), Some("b.yml".into()), tmp.path());
        assert_eq!(explicit.unwrap(), PathBuf::from("a.yml"));
        let env = discover_with_env(None, Some("b.yml".into()), tmp.path());
        assert_eq!(env.unwrap(), PathBuf::from("b.yml"));
        let searched = discover_with_env(None, Some("".into()), tmp.path());
        assert_eq!(
            searched.unwrap(),
            PathBuf::from("infra/group_vars/all/_secrets_manifest.yml")
        );
    }

    #[test]
    fn search_skips_build_and_vcs_dirs_and_names_all_candidates() {
        let tmp = tempfile::tempdir().unwrap();
        for skipped in [".git", "target", ".venv", "node_modules"] {
            touch(
                &tmp.path()
                    .join(skipped)
                    .join("group_vars/all/_secrets_manifest.yml"),
            );
        }
        let none = discover_with_env(None, None, tmp.path()).unwrap_err();
        assert!(matches!(none, ManifestError::NotFound { .. }));
        assert!(none.to_string().contains("pass --manifest PATH"), "{none}");

        touch(&tmp.path().join("a/group_vars/all/_secrets_manifest.yml"));
        touch(&tmp.path().join("b/group_vars/all/_secrets_manifest.yml"));
        let err = discover_with_env(None, None, tmp.path())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("2 secrets manifests found below"), "{err}");
        assert!(
            err.ends_with(
                "a/group_vars/all/_secrets_manifest.yml, b/group_vars/all/_secrets_manifest.yml"
            ),
            "{err}"
        );
    }

    #[test]
    fn infra_root_prefers_ansible_cfg_then_git_then_group_vars_parent() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let manifest = root.join("repo/infra/group_vars/all/_secrets_manifest.yml");
        touch(&manifest);
        assert_eq!(infra_root(&manifest), root.join("repo/infra"));
        fs::create_dir_all(root.join("repo/.git")).unwrap();
        assert_eq!(infra_root(&manifest), root.join("repo"));
        touch(&root.join("repo/infra/ansible.cfg"));
        assert_eq!(infra_root(&manifest), root.join("repo/infra"));
    }
}
