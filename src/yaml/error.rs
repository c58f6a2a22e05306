//! The one error type of the YAML editor.
//! Messages name keys, lines and columns, never a value: the text may be a decrypted vault.

use std::sync::atomic::{AtomicUsize, Ordering};
use thiserror::Error;

/// Everything that can go wrong while reading or editing YAML text.
///
/// `Display` is one line: where (line and column, 1-based) and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum YamlError {
    /// The text is not YAML that both Ansible (PyYAML) and vaultrot read the same way.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    /// The same key twice in one mapping. Ansible keeps the last, most editors the first,
    /// so vaultrot refuses to guess.
    #[error(
        "line {line}, column {column}: duplicate key `{key}` (first on line {first_line}); \
         Ansible would keep the last one and editors show the first: remove one of them"
    )]
    DuplicateKey {
        key: String,
        line: usize,
        column: usize,
        first_line: usize,
    },
    /// Valid YAML that the editor does not handle (explicit `?` keys, multi-line keys, ...).
    #[error("line {line}, column {column}: {what} is not supported by vaultrot's YAML editor")]
    Unsupported {
        line: usize,
        column: usize,
        what: String,
    },
    /// An edit names a key that does not exist.
    #[error("key `{path}` not found")]
    NotFound { path: String },
    /// An insert names a key that already exists in its mapping.
    #[error("key `{path}` already exists")]
    AlreadyExists { path: String },
    /// An insert targets something that is not a block mapping.
    #[error("`{path}` is not a block mapping, so keys cannot be added to it")]
    NotAMapping { path: String },
    /// The key exists but cannot be edited safely in place.
    #[error("line {line}: cannot edit `{path}`: {reason}")]
    NotEditable {
        path: String,
        line: usize,
        reason: String,
    },
    /// Two edits of one batch touch the same key, or one touches a key inside another.
    #[error("conflicting edits of `{path}` in one batch")]
    Conflict { path: String },
    /// A new value cannot be written as asked (e.g. a vault text that is not a vault).
    #[error("invalid new value for `{path}`: {reason}")]
    InvalidValue { path: String, reason: String },
    /// The edited text did not read back as intended; nothing is returned.
    #[error("refusing to write: the edited YAML would not read back as intended ({detail})")]
    Verification { detail: String },
}

/// Byte offsets of line starts, for turning positions into line/column and back.
#[derive(Debug)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
    len: usize,
    /// The line of the last lookup.
    hint: AtomicUsize,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        if starts.last() == Some(&text.len()) && !text.is_empty() {
            starts.pop();
        }
        LineIndex {
            starts,
            len: text.len(),
            hint: AtomicUsize::new(0),
        }
    }

    /// 0-based line number of the line holding `pos` (a line break belongs to its line).
    pub(crate) fn line_of(&self, pos: usize) -> usize {
        // Readers ask in document order: try the line of the last answer and
        // the few after it before a binary search over every line.
        let hint = self.hint.load(Ordering::Relaxed);
        if let Some(&start) = self.starts.get(hint)
            && start <= pos
        {
            for line in hint..(hint + 8).min(self.starts.len()) {
                if self.starts.get(line + 1).is_none_or(|&next| pos < next) {
                    self.hint.store(line, Ordering::Relaxed);
                    return line;
                }
            }
        }
        let line = self.starts.partition_point(|&s| s <= pos).saturating_sub(1);
        self.hint.store(line, Ordering::Relaxed);
        line
    }

    pub(crate) fn line_start(&self, pos: usize) -> usize {
        self.starts[self.line_of(pos)]
    }

    /// Start of the line after the one holding `pos`, or the end of the text.
    pub(crate) fn next_line(&self, pos: usize) -> usize {
        self.starts
            .get(self.line_of(pos) + 1)
            .copied()
            .unwrap_or(self.len)
    }

    /// 1-based line and column (in characters) of `pos`.
    pub(crate) fn line_col(&self, text: &str, pos: usize) -> (usize, usize) {
        let pos = pos.min(text.len());
        let line = self.line_of(pos);
        let start = self.starts[line];
        let column = text
            .get(start..pos)
            .map_or(pos - start, |s| s.chars().count());
        (line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_positions() {
        let text = "a: 1\r\nb: 2\nc";
        let li = LineIndex::new(text);
        assert_eq!(li.line_of(0), 0);
        assert_eq!(li.line_of(5), 0);
        assert_eq!(li.line_of(6), 1);
        assert_eq!(li.next_line(0), 6);
        assert_eq!(li.next_line(6), 11);
        assert_eq!(li.next_line(11), 12);
        assert_eq!(li.line_col(text, 12), (3, 2));
        let li = LineIndex::new("a\n");
        assert_eq!(li.next_line(0), 2);
        assert_eq!(li.line_of(2), 0);
    }

    #[test]
    fn display_is_one_line() {
        let e = YamlError::DuplicateKey {
            key: "k".into(),
            line: 3,
            column: 1,
            first_line: 1,
        };
        assert!(!e.to_string().contains('\n'));
        assert!(
            e.to_string()
                .starts_with("line 3, column 1: duplicate key `k`")
        );
    }
}
