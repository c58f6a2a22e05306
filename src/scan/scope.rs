//! The exposure scope of one secret, for `rotate --compromised --scan`:
//! where it leaked (paths, commits, encodings), never the value, with a
//! one-line summary for the CHANGELOG entry and the history record.

use serde::Serialize;

use super::encode::Encoding;
use super::finding::short;
use super::values::Generation;
use super::{Place, ScanError, ScanOptions, ScanReport};
use crate::vaultfile::VaultContext;

/// How far a secret's values leaked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExposureScope {
    pub secret: String,
    /// Paths holding the current value (work tree, files, history), sorted.
    pub paths: Vec<String>,
    /// Commits that introduced it, short ids, sorted.
    pub commits: Vec<String>,
    pub encodings: Vec<Encoding>,
    /// Paths where an earlier value of the same secret leaked.
    pub previous_value_paths: Vec<String>,
}

/// At most this many paths or commits are named in the one-line summary.
const SUMMARY_ITEMS: usize = 3;

impl ExposureScope {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.previous_value_paths.is_empty()
    }

    /// One line, e.g. `scan: found in 2 paths (.env, vars.yml); 1 commit
    /// (3fa4c2d1e9b0); encodings raw, base64`.
    pub fn summary(&self) -> String {
        if self.is_empty() {
            return "scan: not found in the work tree or history".to_string();
        }
        let mut parts = Vec::new();
        if !self.paths.is_empty() {
            parts.push(format!("found in {}", listed(&self.paths, "path", "paths")));
        }
        if !self.commits.is_empty() {
            parts.push(listed(&self.commits, "commit", "commits"));
        }
        if !self.encodings.is_empty() {
            let names: Vec<&str> = self.encodings.iter().map(|e| e.as_str()).collect();
            parts.push(format!("encodings {}", names.join(", ")));
        }
        if !self.previous_value_paths.is_empty() {
            parts.push(format!(
                "a previous value in {}",
                listed(&self.previous_value_paths, "path", "paths")
            ));
        }
        format!("scan: {}", parts.join("; "))
    }
}

fn listed(items: &[String], one: &str, many: &str) -> String {
    let noun = if items.len() == 1 { one } else { many };
    let mut shown: Vec<String> = items
        .iter()
        .take(SUMMARY_ITEMS)
        .map(|item| printable(item))
        .collect();
    let more = items.len().saturating_sub(SUMMARY_ITEMS);
    let tail = if more > 0 {
        format!(", {more} more")
    } else {
        String::new()
    };
    shown.dedup();
    format!("{} {noun} ({}{tail})", items.len(), shown.join(", "))
}

/// A path as it can stand in a one-line CHANGELOG entry and a YAML flow
/// string: a backtick or a control character (a crafted file name) becomes `?`.
fn printable(item: &str) -> String {
    item.chars()
        .map(|c| if c == '`' || c.is_control() { '?' } else { c })
        .collect()
}

impl ScanReport {
    /// The scope of `secret` among this report's findings.
    pub fn scope_for(&self, secret: &str) -> ExposureScope {
        let mut scope = ExposureScope {
            secret: secret.to_string(),
            ..ExposureScope::default()
        };
        for f in self.findings.iter().filter(|f| f.secret == secret) {
            match f.value {
                Generation::Current => {
                    scope.paths.push(f.path.clone());
                    if let Some(c) = f.commit.as_ref().or(f.introduced.as_ref()) {
                        scope.commits.push(short(c).to_string());
                    }
                    scope.encodings.push(f.encoding);
                }
                Generation::Previous => scope.previous_value_paths.push(f.path.clone()),
            }
        }
        for list in [
            &mut scope.paths,
            &mut scope.commits,
            &mut scope.previous_value_paths,
        ] {
            list.sort();
            list.dedup();
        }
        scope.encodings.sort();
        scope.encodings.dedup();
        scope
    }
}

/// Scans the work tree (and the history, when `place.root` is a git
/// repository) and returns `secret`'s exposure: what `rotate --compromised
/// --scan` records before rotating.
pub fn scope_for(
    place: &Place,
    ctx: &VaultContext,
    secret: &str,
) -> Result<ExposureScope, ScanError> {
    let options = ScanOptions {
        history: super::git::work_tree_root(&place.root).is_some(),
        ..ScanOptions::default()
    };
    Ok(super::run(place, &options, ctx)?.scope_for(secret))
}
