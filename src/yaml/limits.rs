//! The limits every YAML reader enforces (the editor's parser, the manifest
//! readers), so that hostile text (a pull request's manifest, a planted vars
//! file) gets one clear error instead of a stack overflow or minutes of work.
//! They are far above anything written by hand; docs/architecture.md lists them.

/// The largest YAML text read.
pub const MAX_TEXT_BYTES: usize = 64 * 1024 * 1024;
/// The longest line (a secret on one line, base64 of a few megabytes, fits).
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// The deepest nesting of collections (block or flow) the editor's parser reads.
pub const MAX_DEPTH: usize = 100;

/// A limit `text` breaks: the 1-based line it breaks it on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    pub line: usize,
    pub cause: String,
}

/// Checks the size limits of `text` (depth is checked while parsing).
pub fn check_size(text: &str) -> Result<(), Breach> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Breach {
            line: 1,
            cause: format!(
                "the text is larger than {} MiB, the most vaultrot reads as YAML",
                MAX_TEXT_BYTES >> 20
            ),
        });
    }
    if text.len() <= MAX_LINE_BYTES {
        return Ok(());
    }
    for (i, line) in text.split('\n').enumerate() {
        if line.len() > MAX_LINE_BYTES {
            return Err(Breach {
                line: i + 1,
                cause: format!(
                    "a line longer than {} MiB, the most vaultrot reads as YAML",
                    MAX_LINE_BYTES >> 20
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_limits_name_the_line() {
        assert_eq!(check_size("a: 1\n"), Ok(()));
        let long = format!("a: 1\nb: {}\n", "x".repeat(MAX_LINE_BYTES));
        assert_eq!(check_size(&long).unwrap_err().line, 2);
        let big = "a: 1\n".repeat(MAX_TEXT_BYTES / 5 + 1);
        assert!(check_size(&big).unwrap_err().cause.contains("larger than"));
    }
}
