//! The git pre-commit hook that runs `vaultrot scan --staged`, for those
//! who do not use the pre-commit framework (`.pre-commit-hooks.yaml`).

use std::path::{Path, PathBuf};

use super::{ScanError, git};
use crate::fsutil::{self, FileMode};
use crate::vaultfile::FileError;

/// Marks a hook vaultrot wrote, so re-installing it is safe.
const MARKER: &str = "# installed by `vaultrot install-hook`";

pub const SCRIPT: &str = "#!/bin/sh
# installed by `vaultrot install-hook`
# Refuses a commit whose staged files hold a vaulted value (raw or encoded).
# Accept a known finding in .vaultrot-scan-ignore; bypass once with `git commit --no-verify`.
if ! command -v vaultrot >/dev/null 2>&1; then
    echo 'pre-commit: vaultrot is not on PATH; install it or remove .git/hooks/pre-commit' >&2
    exit 1
fi
exec vaultrot scan --staged
";

/// What `install` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    Written(PathBuf),
    AlreadyThere(PathBuf),
}

/// Writes `<git dir>/hooks/pre-commit` (0755). Another hook already there is
/// kept unless `force`.
pub fn install(dir: &Path, force: bool) -> Result<Installed, ScanError> {
    let repo = git::open(dir)?;
    let hooks = repo.git_dir().join("hooks");
    let path = hooks.join("pre-commit");
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing == SCRIPT => return Ok(Installed::AlreadyThere(path)),
        Ok(existing) if !force && !existing.contains(MARKER) => {
            return Err(ScanError::ForeignHook(path));
        }
        _ => {}
    }
    let io = |source| {
        ScanError::File(FileError::Write {
            path: path.display().to_string(),
            source,
        })
    };
    std::fs::create_dir_all(&hooks).map_err(io)?;
    fsutil::write_atomic(&path, SCRIPT.as_bytes(), FileMode::Exactly(0o755)).map_err(io)?;
    Ok(Installed::Written(path))
}
