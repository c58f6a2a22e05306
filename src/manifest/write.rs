//! Writing the manifest: span edits applied atomically, so every byte that
//! is not edited stays as the user wrote it, and the record formats every
//! rotation (of a secret or of a vault password) shares.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::fsutil::{self, FileMode};
use crate::yaml::{Doc, Edit};

/// Applies the edits `edits` builds from the current text to the manifest
/// at `path`, atomically; no edits, no write. The error names the file.
pub fn apply_edits(path: &Path, edits: impl FnOnce(&Doc) -> Vec<Edit>) -> Result<(), String> {
    let err = |what: String| format!("{}: {what}", path.display());
    let text = fsutil::read_text(path).map_err(|e| err(e.to_string()))?;
    let doc = Doc::parse(&text).map_err(|e| err(e.to_string()))?;
    let edits = edits(&doc);
    if edits.is_empty() {
        return Ok(());
    }
    let updated = doc.apply(&edits).map_err(|e| err(e.to_string()))?;
    fsutil::write_atomic(path, updated.as_bytes(), FileMode::Keep).map_err(|e| err(e.to_string()))
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
