//! The properties the fuzz targets check, one function per target. Shared by
//! the libFuzzer targets (fuzz/fuzz_targets/) and by tests/fuzz_regressions.rs,
//! which replays every input the fuzzer ever found (tests/fixtures/fuzz/).
//! A check returns quietly for input it does not apply to and panics when a
//! property is broken.
#![allow(dead_code)]

use chrono::NaiveDate;
use std::path::Path;
use std::sync::OnceLock;
use vaultrot::changelog::{ChangelogEntry, ChangelogEvent, add_entry, has_entry};
use vaultrot::manifest::Manifest;
use vaultrot::passwords::sources::password_from_file_bytes;
use vaultrot::vault::crypto::DerivedKeys;
use vaultrot::vault::envelope;
use vaultrot::yaml::{Doc, Edit, NewValue, ValueKind};

fn keys() -> &'static DerivedKeys {
    static KEYS: OnceLock<DerivedKeys> = OnceLock::new();
    KEYS.get_or_init(|| DerivedKeys::derive(b"fuzz", b"fixed salt"))
}

/// The vault envelope and the AES256 payload: parsing never panics, a parsed
/// payload formats back to the same fields, and HMAC check + decryption of any
/// ciphertext with fixed keys never panics. Key derivation (1.5 ms) is done once,
/// so the fuzzer spends its time in the parsing and the cipher, not in PBKDF2.
pub fn vault_envelope(data: &[u8]) {
    // The one-pass decoder decrypt uses gives the plain join-then-decode
    // result, errors included.
    if let Ok((_, lines)) = envelope::parse_header(data) {
        let joined = envelope::split_lines(lines).concat();
        assert_eq!(
            envelope::decode_vaulttext(lines).map_err(|e| e.to_string()),
            envelope::parse_vaulttext(&joined).map_err(|e| e.to_string())
        );
    }
    let Ok(env) = envelope::parse_envelope(data) else {
        return;
    };
    let _ = env.label_or_default();
    let Ok(text) = envelope::parse_vaulttext(&env.payload) else {
        return;
    };
    let Ok(hmac) = envelope::unhexlify(&text.hmac_hex) else {
        return;
    };
    // What ansible would write for these fields reads back as the same fields.
    let label = env.label.clone().unwrap_or_default();
    if envelope::check_label(&label).is_ok() {
        let written = envelope::format_vault(&label, &text.salt, &hmac, &text.ciphertext);
        let again = envelope::parse_envelope(written.as_bytes()).expect("own output parses");
        let fields = envelope::parse_vaulttext(&again.payload).expect("own payload parses");
        assert_eq!(fields.salt, text.salt);
        assert_eq!(envelope::unhexlify(&fields.hmac_hex).unwrap(), hmac);
        assert_eq!(fields.ciphertext, text.ciphertext);
    }
    let keys = keys();
    let _ = keys.verify(&text.ciphertext, &hmac);
    if let Ok(plain) = keys.open(&text.ciphertext) {
        // Sealing the plaintext again with the same keys gives the same ciphertext.
        let (sealed, _) = keys.seal(&plain);
        assert_eq!(sealed, text.ciphertext);
    }
}

/// Password-file contents as read from disk: whitespace stripping, vault-encrypted
/// password files and the empty-password check never panic, and a password
/// that comes back is never empty and never starts or ends with whitespace.
pub fn password_file(data: &[u8]) {
    // No earlier secrets: a vault-encrypted password file then fails cleanly
    // without a key derivation per input.
    if let Ok(password) = password_from_file_bytes("fuzz.txt", data, &[]) {
        assert!(!password.is_empty());
        assert!(!password[0].is_ascii_whitespace());
        assert!(!password[password.len() - 1].is_ascii_whitespace());
    }
}

/// The span parser: any text either parses or gives a positioned error, never a
/// panic or a stack overflow; every span it reports lies inside the text on
/// character boundaries.
pub fn yaml_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(doc) = Doc::parse(text) else {
        return;
    };
    for entry in doc.entries() {
        for span in [&entry.key_span, &entry.value_span] {
            assert!(span.start <= span.end && span.end <= text.len());
            assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        }
        // A merge key (`<<: *base`) is an entry of the text but no key to
        // Ansible, so it is not looked up by its path.
        if entry.path.last().is_some_and(|k| k == "<<") {
            continue;
        }
        assert!(
            doc.get(&entry.path.iter().map(String::as_str).collect::<Vec<_>>())
                .is_some()
        );
    }
    let _ = doc.top_level_keys();
    let _ = doc.inline_vaults();
}

/// What an entry means, without where it sits: an edit elsewhere moves the
/// spans and lines of everything after it, and that is no change.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Meaning {
    Scalar(String),
    Vault(String, Option<String>),
    Other(String),
}

fn values(doc: &Doc) -> Vec<(Vec<String>, Meaning)> {
    doc.entries()
        .into_iter()
        .map(|e| {
            let meaning = match e.value {
                ValueKind::Scalar(s) => Meaning::Scalar(s.to_string()),
                // A line break after the last line of the vault text (an entry
                // appended after a file that ended without one) changes nothing
                // that ansible decrypts.
                ValueKind::Vault(v) => Meaning::Vault(v.vault_text.trim_end().to_string(), v.label),
                other => Meaning::Other(format!("{other:?}")),
            };
            (e.path, meaning)
        })
        .collect()
}

fn under(path: &[String], prefix: &[String]) -> bool {
    path.len() >= prefix.len() && path[..prefix.len()] == *prefix
}

/// Every edit operation: when the editor accepts an edit, the result re-parses
/// to exactly the intended change. The replaced or appended key reads back as
/// the new value, a removed key is gone, and every other entry keeps its value.
///
/// Input: one byte choosing the operation, one choosing the entry, one giving
/// the length of the new value, the new value, then the document.
pub fn yaml_edit(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    let (op, pick, len) = (data[0], data[1] as usize, data[2] as usize);
    let rest = &data[3..];
    let len = len.min(rest.len());
    let (Ok(value), Ok(text)) = (
        std::str::from_utf8(&rest[..len]),
        std::str::from_utf8(&rest[len..]),
    ) else {
        return;
    };
    let Ok(doc) = Doc::parse(text) else {
        return;
    };
    let before = values(&doc);
    let mappings: Vec<_> = before
        .iter()
        .filter(|(p, _)| !p.iter().any(|k| k.starts_with('[')))
        .collect();
    if mappings.is_empty() {
        return;
    }
    let (path, _) = mappings[pick % mappings.len()].clone();
    let parent: Vec<String> = path[..path.len() - 1].to_vec();
    let fresh_key = format!("fuzz_new_{}", before.len());
    let (edit, changed, expect): (Edit, Vec<String>, Option<String>) = match op % 4 {
        0 => (
            Edit::Replace {
                path: path.clone(),
                value: NewValue::plain(value.to_string()),
            },
            path.clone(),
            Some(value.to_string()),
        ),
        1 => (Edit::Remove { path: path.clone() }, path.clone(), None),
        2 => {
            let mut new_path = parent.clone();
            new_path.push(fresh_key.clone());
            (
                Edit::InsertAfter {
                    after: path.clone(),
                    key: fresh_key,
                    value: NewValue::plain(value.to_string()),
                },
                new_path,
                Some(value.to_string()),
            )
        }
        _ => {
            let new_path = vec![fresh_key.clone()];
            (
                Edit::Append {
                    parent: Vec::new(),
                    key: fresh_key,
                    value: NewValue::plain(value.to_string()),
                },
                new_path,
                Some(value.to_string()),
            )
        }
    };
    let Ok(out) = doc.apply(&[edit]) else {
        return;
    };
    let after_doc = Doc::parse(&out).expect("the editor's output re-parses");
    let after = values(&after_doc);
    let changed_ref: Vec<&str> = changed.iter().map(String::as_str).collect();
    match expect {
        Some(v) => match after_doc.get(&changed_ref).map(|e| e.value) {
            Some(ValueKind::Scalar(s)) => assert_eq!(s.as_str(), v),
            other => panic!("edited key reads back as {other:?}"),
        },
        None => assert!(
            after_doc.get(&changed_ref).is_none(),
            "removed key still there"
        ),
    }
    // Everything outside the edited key is as it was.
    // The edited key's ancestors are compared through their other children:
    // removing a mapping's only key rightly leaves it empty (null).
    let outside = |list: &[(Vec<String>, Meaning)]| -> Vec<(Vec<String>, Meaning)> {
        list.iter()
            .filter(|(p, _)| !under(p, &changed) && !under(&changed, p))
            .cloned()
            .collect()
    };
    assert_eq!(outside(&before), outside(&after));
}

/// The manifest reader: any text gives a manifest or a positioned error, never a
/// panic or a stack overflow (check-age reads manifests from untrusted pull
/// requests).
pub fn manifest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Manifest::parse(
        text,
        Path::new("group_vars/all/_secrets_manifest.yml"),
        Path::new("."),
    );
}

/// CHANGELOG insertion: for any existing text, an accepted entry is added as
/// whole lines (every byte of the old text is kept, in order) and the result
/// holds the entry.
pub fn changelog(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entry = ChangelogEntry {
        secrets: vec!["vault_fuzz_password".into()],
        event: ChangelogEvent::Started,
        date: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        rotation_id: "r-20261129T000000Z-f022".into(),
        by: "fuzz".into(),
        confirmed_by: None,
    };
    let Ok(out) = add_entry(text, &entry) else {
        return;
    };
    assert!(has_entry(&out, &entry), "entry not found after adding it");
    // The old text is a subsequence of the new one: nothing removed or rewritten.
    let mut old = text.chars().peekable();
    for c in out.chars() {
        if old.peek() == Some(&c) {
            old.next();
        }
    }
    assert!(old.peek().is_none(), "bytes of the old changelog were lost");
}
