//! `.vaultrot-scan-ignore`: findings accepted on purpose, each with why.
//!
//! ```text
//! # path GLOB -- reason       (gitignore-style glob, relative to the repository root)
//! # fingerprint FP -- reason  (a finding's keyed fingerprint: that value, everywhere)
//! path docs/incidents/** -- incident reports quote the revoked token
//! fingerprint 3fa4c2d1e9b0 -- test fixture value, never deployed
//! ```
//! A line without a reason is an error: an accepted leak must say why.

use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::ScanError;

pub const FILE_NAME: &str = ".vaultrot-scan-ignore";

/// The parsed file: globs and fingerprints.
#[derive(Debug)]
pub struct AcceptList {
    paths: Gitignore,
    fingerprints: Vec<String>,
}

impl Default for AcceptList {
    fn default() -> Self {
        AcceptList {
            paths: Gitignore::empty(),
            fingerprints: Vec::new(),
        }
    }
}

impl AcceptList {
    /// Reads `<root>/.vaultrot-scan-ignore` (absent: nothing accepted).
    pub fn load(root: &Path) -> Result<AcceptList, ScanError> {
        let path = root.join(FILE_NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(AcceptList::default()),
            Err(e) => {
                return Err(ScanError::IgnoreFile {
                    file: path.display().to_string(),
                    line: None,
                    cause: e.to_string(),
                });
            }
        };
        Self::parse(&text, root, &path.display().to_string())
    }

    pub fn parse(text: &str, root: &Path, shown: &str) -> Result<AcceptList, ScanError> {
        let mut builder = GitignoreBuilder::new(root);
        let mut fingerprints = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let fail = |cause: &str| ScanError::IgnoreFile {
                file: shown.to_string(),
                line: Some(n + 1),
                cause: cause.to_string(),
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((rule, reason)) = line.split_once(" -- ") else {
                return Err(fail(
                    "missing ` -- reason`: say why this finding is accepted",
                ));
            };
            if reason.trim().is_empty() {
                return Err(fail("empty reason: say why this finding is accepted"));
            }
            match rule.trim().split_once(char::is_whitespace) {
                Some(("path", glob)) => {
                    builder
                        .add_line(None, glob.trim())
                        .map_err(|e| fail(&format!("bad glob: {e}")))?;
                }
                Some(("fingerprint", fp)) => {
                    let fp = fp.trim().to_ascii_lowercase();
                    if fp.len() != 12 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(fail("a fingerprint is the 12 hex digits a finding shows"));
                    }
                    fingerprints.push(fp);
                }
                _ => {
                    return Err(fail(
                        "expected `path GLOB -- reason` or `fingerprint FP -- reason`",
                    ));
                }
            }
        }
        let paths = builder.build().map_err(|e| ScanError::IgnoreFile {
            file: shown.to_string(),
            line: None,
            cause: e.to_string(),
        })?;
        Ok(AcceptList {
            paths,
            fingerprints,
        })
    }

    /// Whether a finding at `path` (relative to the root) with `fingerprint` is accepted.
    pub fn accepts(&self, path: &str, fingerprint: &str) -> bool {
        self.fingerprints.iter().any(|f| f == fingerprint)
            || (!path.is_empty()
                // globs are relative to the root; a file outside it matches none
                && !Path::new(path).has_root()
                && self
                    .paths
                    .matched_path_or_any_parents(path, false)
                    .is_ignore())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_fingerprints_are_accepted_with_a_reason() {
        let text = "# accepted\npath incidents/** -- quotes the revoked token\nfingerprint 3FA4C2D1E9B0 -- fixture\n";
        let list = AcceptList::parse(text, Path::new("/repo"), "x").unwrap();
        assert!(list.accepts("incidents/2026-01.md", "000000000000"));
        assert!(list.accepts("vars.yml", "3fa4c2d1e9b0"));
        assert!(!list.accepts("vars.yml", "000000000000"));
    }

    #[test]
    fn a_line_without_reason_names_file_and_line() {
        let err = AcceptList::parse("\npath *.log\n", Path::new("/repo"), "ign").unwrap_err();
        assert!(err.to_string().contains("ign:2: missing"), "{err}");
    }
}
