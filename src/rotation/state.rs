//! The rotation's record in the manifest, written surgically through the
//! YAML editor: the `rotation:` block (the intent log, with the keyed
//! fingerprints of the values it moves and any awaited manual step),
//! `last_rotation` and `history`. Every write replaces the manifest
//! atomically and changes only the keys of the named secrets.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::RotationError;
pub use crate::manifest::RotationKind;
use crate::manifest::RotationPhase;
use crate::manifest::write::{self, record_time};
use crate::yaml::{Doc, Edit, NewValue};

/// A new `rotation:` block.
pub struct OpenRecord<'a> {
    pub id: &'a str,
    pub kind: RotationKind,
    pub started: DateTime<Utc>,
    pub by: &'a str,
    pub group: &'a [String],
    /// `rotate --compromised --reason`.
    pub reason: Option<&'a str>,
    /// Per secret: fingerprints of the value replaced and of the new one.
    pub fingerprints: &'a BTreeMap<String, (Option<String>, Option<String>)>,
}

/// How a rotation ended, for `history` and `last_rotation`.
pub struct CloseRecord<'a> {
    pub id: &'a str,
    /// `finished`, `aborted`, `rotated`, `compromised`, `rolled_back`,
    /// or (no rotation open) `repaired`, `repair_failed`.
    pub event: &'a str,
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub reason: Option<&'a str>,
    /// Set `last_rotation` to this date (not on abort).
    pub last_rotation: Option<NaiveDate>,
}

fn secret_path(name: &str) -> Vec<String> {
    vec![
        "secrets_manifest".into(),
        "secrets".into(),
        name.to_string(),
    ]
}

fn child(name: &str, key: &str) -> Vec<String> {
    let mut path = secret_path(name);
    path.push(key.to_string());
    path
}

/// Applies `edits` to the manifest file atomically.
pub fn edit_manifest(
    path: &Path,
    edits: impl FnOnce(&Doc) -> Vec<Edit>,
) -> Result<(), RotationError> {
    Ok(write::apply_edits(path, edits)?)
}

/// Opens a rotation for each secret (phase `starting`).
pub fn open(path: &Path, names: &[String], record: &OpenRecord) -> Result<(), RotationError> {
    edit_manifest(path, |doc| {
        names
            .iter()
            .map(|name| {
                let mut fields = vec![
                    ("id".to_string(), NewValue::plain(record.id.to_string())),
                    (
                        "kind".to_string(),
                        NewValue::Raw(record.kind.as_str().to_string()),
                    ),
                    (
                        "phase".to_string(),
                        NewValue::Raw(RotationPhase::Starting.as_str().to_string()),
                    ),
                    (
                        "started".to_string(),
                        NewValue::Raw(record_time(record.started)),
                    ),
                    ("by".to_string(), NewValue::plain(record.by.to_string())),
                ];
                if record.group.len() > 1 {
                    let group = record.group.join(", ");
                    fields.push(("group".to_string(), NewValue::Raw(format!("[{group}]"))));
                }
                if let Some(reason) = record.reason {
                    fields.push(("reason".to_string(), NewValue::plain(one_line(reason))));
                }
                if let Some((old, new)) = record.fingerprints.get(name) {
                    for (key, fp) in [("old_fingerprint", old), ("new_fingerprint", new)] {
                        if let Some(fp) = fp {
                            fields.push((key.to_string(), NewValue::plain(fp.clone())));
                        }
                    }
                }
                let value = NewValue::Map(fields);
                if doc.get(&refs(&child(name, "rotation"))).is_some() {
                    Edit::Replace {
                        path: child(name, "rotation"),
                        value,
                    }
                } else {
                    Edit::Append {
                        parent: secret_path(name),
                        key: "rotation".into(),
                        value,
                    }
                }
            })
            .collect()
    })
}

/// Records the next phase of each secret's open rotation (the intent log).
pub fn set_phase(path: &Path, names: &[String], phase: RotationPhase) -> Result<(), RotationError> {
    edit_manifest(path, |_| {
        names
            .iter()
            .map(|name| {
                let mut p = child(name, "rotation");
                p.push("phase".into());
                Edit::Replace {
                    path: p,
                    value: NewValue::Raw(phase.as_str().to_string()),
                }
            })
            .collect()
    })
}

/// Sets (or adds) one key of each named secret's open `rotation:` block;
/// `None` removes it.
fn set_rotation_key(
    path: &Path,
    values: &BTreeMap<String, Option<String>>,
    key: &str,
) -> Result<(), RotationError> {
    edit_manifest(path, |doc| {
        let mut edits = Vec::new();
        for (name, value) in values {
            let mut at = child(name, "rotation");
            at.push(key.to_string());
            let exists = doc.get(&refs(&at)).is_some();
            match (value, exists) {
                (Some(v), true) => edits.push(Edit::Replace {
                    path: at,
                    value: NewValue::plain(v.clone()),
                }),
                (Some(v), false) => edits.push(Edit::Append {
                    parent: child(name, "rotation"),
                    key: key.to_string(),
                    value: NewValue::plain(v.clone()),
                }),
                (None, true) => edits.push(Edit::Remove { path: at }),
                (None, false) => {}
            }
        }
        edits
    })
}

/// Records the fingerprints of newly generated values (a resumed `start`
/// that had to make them again).
pub fn set_fingerprints(
    path: &Path,
    fingerprints: &BTreeMap<String, String>,
) -> Result<(), RotationError> {
    let values = fingerprints
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    set_rotation_key(path, &values, "new_fingerprint")
}

/// Records the manual step each named rotation waits for (`None`: nothing).
pub fn set_awaiting(
    path: &Path,
    names: &[String],
    step: Option<&str>,
) -> Result<(), RotationError> {
    let values = names
        .iter()
        .map(|n| (n.clone(), step.map(one_line)))
        .collect();
    set_rotation_key(path, &values, "awaiting")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Closes each secret's rotation: history entry, `last_rotation`, no `rotation:`.
pub fn close(path: &Path, names: &[String], record: &CloseRecord) -> Result<(), RotationError> {
    edit_manifest(path, |doc| {
        let mut edits = Vec::new();
        for name in names {
            let mut entry = format!(
                "{{at: {}, event: {}, id: {}, by: {}",
                record_time(record.at),
                record.event,
                record.id,
                flow_safe(record.by)
            );
            if let Some(reason) = record.reason {
                entry.push_str(&format!(", reason: {}", flow_safe(reason)));
            }
            entry.push('}');
            if doc.get(&refs(&child(name, "history"))).is_some() {
                edits.push(Edit::Push {
                    path: child(name, "history"),
                    value: NewValue::Raw(entry),
                });
            } else {
                edits.push(Edit::Append {
                    parent: secret_path(name),
                    key: "history".into(),
                    value: NewValue::List(vec![NewValue::Raw(entry)]),
                });
            }
            if let Some(date) = record.last_rotation {
                let value = NewValue::Raw(date.format("%Y-%m-%d").to_string());
                if doc.get(&refs(&child(name, "last_rotation"))).is_some() {
                    edits.push(Edit::Replace {
                        path: child(name, "last_rotation"),
                        value,
                    });
                } else {
                    edits.push(Edit::Append {
                        parent: secret_path(name),
                        key: "last_rotation".into(),
                        value,
                    });
                }
            }
            if doc.get(&refs(&child(name, "rotation"))).is_some() {
                edits.push(Edit::Remove {
                    path: child(name, "rotation"),
                });
            }
        }
        edits
    })
}

/// A scalar safe inside a flow mapping: plain for simple words, else single-quoted.
fn flow_safe(text: &str) -> String {
    let simple = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
        && text.starts_with(|c: char| c.is_ascii_alphabetic());
    if simple {
        text.to_string()
    } else {
        format!("'{}'", text.replace(['\n', '\r'], " ").replace('\'', "''"))
    }
}

fn refs(path: &[String]) -> Vec<&str> {
    path.iter().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "\
# hand-written header
secrets_manifest:
  version: 1
  secrets:
    vault_a:   # the first
      policy: p
      last_rotation: 2026-01-15
      deploy: [{run: 'true'}]

    vault_b:
      policy: p
      history:
        - {at: 2026-01-01T00:00:00Z, event: finished, id: r-0, by: bob}
";

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn open_phase_close_touch_only_the_secrets_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yml");
        std::fs::write(&path, MANIFEST).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:15:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let group = names(&["vault_a", "vault_b"]);
        let fingerprints = BTreeMap::new();
        let record = OpenRecord {
            id: "r-1",
            kind: RotationKind::Dual,
            started: at,
            by: "alice",
            group: &group,
            reason: None,
            fingerprints: &fingerprints,
        };
        open(&path, &group, &record).unwrap();
        set_phase(&path, &group, RotationPhase::Dual).unwrap();
        let opened = std::fs::read_to_string(&path).unwrap();
        assert!(opened.starts_with("# hand-written header\nsecrets_manifest:\n  version: 1\n"));
        assert!(opened.contains(
            "      deploy: [{run: 'true'}]\n      rotation:\n        id: r-1\n        kind: dual\n        phase: dual\n        started: 2026-11-23T10:15:00Z\n        by: alice\n        group: [vault_a, vault_b]\n\n    vault_b:"
        ), "{opened}");

        let close_record = CloseRecord {
            id: "r-1",
            event: "finished",
            at,
            by: "alice",
            reason: None,
            last_rotation: Some(at.date_naive()),
        };
        close(&path, &group, &close_record).unwrap();
        let closed = std::fs::read_to_string(&path).unwrap();
        let expected = "\
# hand-written header
secrets_manifest:
  version: 1
  secrets:
    vault_a:   # the first
      policy: p
      last_rotation: 2026-11-23
      deploy: [{run: 'true'}]
      history:
        - {at: 2026-11-23T10:15:00Z, event: finished, id: r-1, by: alice}

    vault_b:
      policy: p
      history:
        - {at: 2026-01-01T00:00:00Z, event: finished, id: r-0, by: bob}
        - {at: 2026-11-23T10:15:00Z, event: finished, id: r-1, by: alice}
      last_rotation: 2026-11-23
";
        assert_eq!(closed, expected);
    }

    #[test]
    fn reasons_are_quoted_for_flow_context() {
        assert_eq!(flow_safe("alice"), "alice");
        assert_eq!(flow_safe("leaked, in CI: log"), "'leaked, in CI: log'");
        assert_eq!(flow_safe("it's"), "'it''s'");
    }
}
