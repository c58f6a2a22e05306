//! Finding the manifests (`--manifest`, `VAULTROT_MANIFEST`, or a search
//! from the infra root above the current directory, then down) and the infra
//! root a manifest's paths are relative to. Reporting commands take every
//! manifest found; rotation commands need exactly one.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::ManifestError;

/// The file name vaultrot looks for under `group_vars/all/`.
pub const MANIFEST_FILE_NAMES: [&str; 2] = ["_secrets_manifest.yml", "_secrets_manifest.yaml"];

/// Directories never searched: VCS data, build output, virtualenvs, JS deps.
const SKIPPED_DIRS: [&str; 4] = [".git", "target", ".venv", "node_modules"];

/// The manifest to use: `explicit` (`--manifest`), else `VAULTROT_MANIFEST`,
/// else the single `**/group_vars/all/_secrets_manifest.yml` below the
/// search root (see [`search_root`]).
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
    let start = search_root(cwd);
    let mut found = found_below(&start, cwd);
    match found.len() {
        0 => Err(ManifestError::NotFound { start }),
        1 => Ok(found.remove(0)),
        _ => Err(ManifestError::Ambiguous {
            start,
            candidates: found,
        }),
    }
}

/// Every manifest a reporting command (`check-age`, `lint`) covers: each
/// `--manifest` (a path or a glob such as
/// `inventories/*/group_vars/all/_secrets_manifest.yml`), else
/// `VAULTROT_MANIFEST`, else all manifests below the search root.
pub fn discover_all(explicit: &[PathBuf], cwd: &Path) -> Result<Vec<PathBuf>, ManifestError> {
    discover_all_with_env(explicit, std::env::var_os("VAULTROT_MANIFEST"), cwd)
}

/// [`discover_all`] with the value of `VAULTROT_MANIFEST` given.
pub fn discover_all_with_env(
    explicit: &[PathBuf],
    env: Option<OsString>,
    cwd: &Path,
) -> Result<Vec<PathBuf>, ManifestError> {
    let given: Vec<PathBuf> = match env.filter(|p| !p.is_empty()) {
        _ if !explicit.is_empty() => explicit.to_vec(),
        Some(path) => vec![PathBuf::from(path)],
        None => {
            let start = search_root(cwd);
            let found = found_below(&start, cwd);
            if found.is_empty() {
                return Err(ManifestError::NotFound { start });
            }
            return Ok(found);
        }
    };
    let mut all = Vec::new();
    for path in given {
        let text = path.to_string_lossy();
        if !text.contains(['*', '?', '[', '{']) {
            if !all.contains(&path) {
                all.push(path);
            }
            continue;
        }
        let matched = expand_glob(&text, cwd).map_err(|source| ManifestError::Read {
            path: path.clone(),
            source,
        })?;
        for found in matched {
            if !all.contains(&found) {
                all.push(found);
            }
        }
    }
    Ok(all)
}

/// Where the search for manifests starts: the infra root above `cwd` (the
/// nearest directory holding `ansible.cfg`, not above the git work tree
/// root), else the git work tree root, else `cwd` itself. So running from
/// `playbooks/` or from `group_vars/all` finds the manifest too.
pub fn search_root(cwd: &Path) -> PathBuf {
    let cwd = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    for dir in cwd.ancestors() {
        if dir.join("ansible.cfg").is_file() {
            return dir.to_path_buf();
        }
        // `.git` is a directory in a clone and a file in a linked worktree.
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
    }
    cwd
}

/// The manifests below `start`, sorted, shown relative to `cwd` when below it.
fn found_below(start: &Path, cwd: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    search(start, &mut found);
    found.sort();
    let cwd = std::path::absolute(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    found.into_iter().map(|p| relative_to(&p, &cwd)).collect()
}

/// `path` relative to `base`, with `..` steps when it is above; `path` itself
/// when the two share no root.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    if let Ok(below) = path.strip_prefix(base) {
        return below.to_path_buf();
    }
    let Some(common) = base.ancestors().find(|a| path.starts_with(a)) else {
        return path.to_path_buf();
    };
    if common.parent().is_none() {
        return path.to_path_buf();
    }
    let ups = base
        .strip_prefix(common)
        .map_or(0, |rest| rest.components().count());
    let mut out: PathBuf = std::iter::repeat_n("..", ups).collect();
    out.push(path.strip_prefix(common).unwrap_or(path));
    out
}

/// The files matching `pattern` (relative to `cwd` unless absolute), sorted.
fn expand_glob(pattern: &str, cwd: &Path) -> std::io::Result<Vec<PathBuf>> {
    let invalid = |e: globset::Error| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(invalid)?
        .compile_matcher();
    // Walk only below the part of the pattern that has no wildcard.
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let base = cwd.join(&literal);
    let mut files = Vec::new();
    walk_files(&base, &mut files);
    let mut matched: Vec<PathBuf> = files
        .into_iter()
        .filter_map(|file| {
            let shown = if Path::new(pattern).is_absolute() {
                file
            } else {
                file.strip_prefix(cwd).ok()?.to_path_buf()
            };
            matcher.is_match(&shown).then_some(shown)
        })
        .collect();
    matched.sort();
    if matched.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no file matches this pattern",
        ));
    }
    Ok(matched)
}

fn walk_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        if kind.is_dir() && !SKIPPED_DIRS.iter().any(|s| name == *s) {
            walk_files(&entry.path(), files);
        } else if kind.is_file() {
            files.push(entry.path());
        }
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
        let all = discover_all_with_env(&[], None, tmp.path()).unwrap();
        assert_eq!(all.len(), 2);
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

    #[test]
    fn search_starts_at_the_infra_root_above_the_current_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        touch(&root.join("infra/ansible.cfg"));
        touch(&root.join("infra/group_vars/all/_secrets_manifest.yml"));
        fs::create_dir_all(root.join("infra/playbooks")).unwrap();
        let from_playbooks = discover_with_env(None, None, &root.join("infra/playbooks"));
        assert_eq!(
            from_playbooks.unwrap(),
            PathBuf::from("../group_vars/all/_secrets_manifest.yml")
        );
        let from_all = discover_with_env(None, None, &root.join("infra/group_vars/all"));
        assert_eq!(from_all.unwrap(), PathBuf::from("_secrets_manifest.yml"));
    }

    #[test]
    fn globs_expand_to_every_matching_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        for env in ["prod", "staging"] {
            touch(&tmp.path().join(format!(
                "inventories/{env}/group_vars/all/_secrets_manifest.yml"
            )));
        }
        let pattern = PathBuf::from("inventories/*/group_vars/all/_secrets_manifest.yml");
        let all = discover_all_with_env(std::slice::from_ref(&pattern), None, tmp.path()).unwrap();
        assert_eq!(
            all,
            [
                PathBuf::from("inventories/prod/group_vars/all/_secrets_manifest.yml"),
                PathBuf::from("inventories/staging/group_vars/all/_secrets_manifest.yml")
            ]
        );
        let none = discover_all_with_env(&[PathBuf::from("nope/*.yml")], None, tmp.path());
        assert!(none.unwrap_err().to_string().contains("no file matches"));
    }
}
