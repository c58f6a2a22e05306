//! What the planner tests share: a fixed "now", the options of a forced
//! compromised-capable run, and manifests parsed under a fake infra root.

use std::path::Path;

use chrono::{DateTime, Utc};
use vaultrot::manifest::Manifest;
use vaultrot::rotation::plan::Options;

pub fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-15T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// `text` as the manifest `/infra/m.yml`.
pub fn parse(text: &str) -> Manifest {
    Manifest::parse(text, Path::new("/infra/m.yml"), Path::new("/infra")).unwrap()
}

pub fn opts() -> Options {
    Options {
        now: now(),
        force: true,
        reason: Some("leaked".into()),
        min_window: None,
    }
}

pub fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}
