//! Writing the manifest: span edits applied atomically, so every byte that
//! is not edited stays as the user wrote it, and the record formats every
//! rotation (of a secret or of a vault password) shares.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::exit_codes::{self, ExitCode};
use crate::fsutil::{self, FileMode};
use crate::yaml::{Doc, Edit, YamlError};

/// The manifest could not be read, parsed, edited or replaced; the message
/// names the file (and the line, for YAML).
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: {source}", path.display())]
    Yaml { path: PathBuf, source: YamlError },
}

impl ExitCode for WriteError {
    fn exit_code(&self) -> i32 {
        exit_codes::ERROR
    }
}

/// Applies the edits `edits` builds from the current text to the manifest
/// at `path`, atomically; no edits, no write.
pub fn apply_edits(path: &Path, edits: impl FnOnce(&Doc) -> Vec<Edit>) -> Result<(), WriteError> {
    let io = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let yaml = |source| WriteError::Yaml {
        path: path.to_path_buf(),
        source,
    };
    let text = fsutil::read_text(path).map_err(io)?;
    let doc = Doc::parse(&text).map_err(yaml)?;
    let edits = edits(&doc);
    if edits.is_empty() {
        return Ok(());
    }
    let updated = doc.apply(&edits).map_err(yaml)?;
    fsutil::write_atomic(path, updated.as_bytes(), FileMode::Keep).map_err(io)
}

/// How `started:` and `history[].at` are written: UTC, whole seconds.
pub fn record_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `r-YYYYMMDDTHHMMSSZ-xxxx`: sortable, unique enough, no value in it.
pub fn new_rotation_id(now: DateTime<Utc>) -> String {
    format!(
        "r-{}-{:04x}",
        now.format("%Y%m%dT%H%M%SZ"),
        rand::random::<u16>()
    )
}
