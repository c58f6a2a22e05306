//! A finding: which secret leaked, where, in which encoding, since when.
//! Never the value, never the matching line.

use serde::Serialize;

use super::encode::Encoding;
use super::values::Generation;

/// What was scanned to find it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A file of the working tree.
    WorkTree,
    /// A file named on the command line (a CI log).
    File,
    /// The staged version of a file (the index).
    Staged,
    /// A blob in the git history.
    History,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::WorkTree => "work-tree",
            Source::File => "file",
            Source::Staged => "staged",
            Source::History => "history",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The vault variable whose value leaked.
    pub secret: String,
    /// `current`: the value in the vault now; `previous`: one it held before.
    pub value: Generation,
    /// The vault file holding the secret (relative to the root).
    pub vault_file: String,
    pub source: Source,
    /// Relative to the repository root (or the path as given); for a blob
    /// no ref reaches any more, `<blob ID>`.
    pub path: String,
    /// 1-based.
    pub line: usize,
    pub encoding: Encoding,
    /// History: the commit holding this blob (the oldest one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The oldest commit found holding this secret, encoding and path (with `--history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// History: whether a ref still reaches the blob (false: only a
    /// rewrite's leftovers hold it, yet anyone with the object can read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<bool>,
    /// Keyed fingerprint of the secret's value (accept it in `.vaultrot-scan-ignore`).
    pub fingerprint: String,
}

impl Finding {
    /// `path:line`, with the short commit for history.
    pub fn location(&self) -> String {
        match &self.commit {
            Some(commit) => format!("{}:{}:{}", short(commit), self.path, self.line),
            None => format!("{}:{}", self.path, self.line),
        }
    }
}

/// A commit id as people read it.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}
