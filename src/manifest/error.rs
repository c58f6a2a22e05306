//! Why a manifest could not be found or read; each problem names the file,
//! line and column and says what was expected.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::model::Pos;
use crate::exit_codes::{self, ExitCode};

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `None` when the YAML parser could not tell where.
    pub pos: Option<Pos>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not a valid manifest; every problem found is listed.
    #[error("{}", Invalid { path, diagnostics })]
    Invalid {
        path: PathBuf,
        diagnostics: Vec<Diagnostic>,
    },
    #[error(
        "no secrets manifest found below {}: expected a group_vars/all/_secrets_manifest.yml; pass --manifest PATH or set VAULTROT_MANIFEST",
        start.display()
    )]
    NotFound { start: PathBuf },
    #[error(
        "{} secrets manifests found below {}, pass --manifest PATH (or set VAULTROT_MANIFEST) to pick one: {}",
        candidates.len(),
        start.display(),
        candidates.iter().map(|c| c.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    Ambiguous {
        start: PathBuf,
        candidates: Vec<PathBuf>,
    },
}

/// A manifest that cannot be found or read is a usage error (2): the
/// command never started, and `check-age`/`lint` keep 1 for findings.
impl ExitCode for ManifestError {
    fn exit_code(&self) -> i32 {
        exit_codes::USAGE
    }
}

impl ManifestError {
    /// `path:line:column: message` for every problem (or just the message).
    pub fn diagnostics(&self) -> Vec<(Option<PathBuf>, Option<Pos>, String)> {
        match self {
            ManifestError::Invalid { path, diagnostics } => diagnostics
                .iter()
                .map(|d| (Some(path.clone()), d.pos, d.message.clone()))
                .collect(),
            ManifestError::Read { path, .. } => vec![(Some(path.clone()), None, self.to_string())],
            other => vec![(None, None, other.to_string())],
        }
    }
}

struct Invalid<'a> {
    path: &'a PathBuf,
    diagnostics: &'a [Diagnostic],
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match d.pos {
                Some(pos) => write!(
                    f,
                    "{}:{}:{}: {}",
                    self.path.display(),
                    pos.line,
                    pos.column,
                    d.message
                )?,
                None => write!(f, "{}: {}", self.path.display(), d.message)?,
            }
        }
        Ok(())
    }
}
