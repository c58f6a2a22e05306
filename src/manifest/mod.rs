//! The secrets manifest (`_secrets_manifest.yml`, see the README): its model,
//! discovery, durations, ages against policy (`check-age`) and consistency checks (`lint`).
//!
//! This module only reads the manifest; vaultrot's own edits (`last_rotation`,
//! `rotation`, `history`) go through the span-based [`crate::yaml`] editor.

pub mod age;
pub mod discover;
pub mod duration;
pub mod error;
pub mod init;
pub mod lint;
pub mod model;
mod parse;
mod raw;
#[cfg(test)]
mod reader_tests;
#[cfg(test)]
mod reference;
pub mod write;

use std::path::Path;

pub use age::{AgeOptions, AgeReport, FailOn, Level, SecretAge, Status, assess};
pub use discover::{discover, discover_all, infra_root};
pub use duration::{MaxAge, Period, PeriodUnit, parse_date};
pub use error::{Diagnostic, ManifestError};
pub use model::*;

impl Manifest {
    /// Reads the manifest at `path`; its infra root is found with [`infra_root`].
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = crate::fsutil::read_text(path).map_err(|source| ManifestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Manifest::parse(&text, path, &infra_root(path))
    }

    /// Reads manifest `text`; `path` names the file in messages and `root`
    /// is the infra root its relative paths are resolved against.
    pub fn parse(text: &str, path: &Path, root: &Path) -> Result<Manifest, ManifestError> {
        parse::parse(text, path, root)
    }
}
