//! CHANGELOG.md edits against golden files (`tests/fixtures/changelog/CASE/
//! input.md` → `expected.md`, byte for byte), plus properties on generated
//! files: an entry is one insertion and leaves every other byte as it was.
//!
//! `VAULTROT_BLESS=1 cargo test --test changelog` rewrites the expected files.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;
use vaultrot::changelog::{ChangelogEntry, ChangelogEvent, add_entry, has_entry, new_changelog};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changelog")
}

fn entry(event: ChangelogEvent, secrets: &[&str], id: &str) -> ChangelogEntry {
    ChangelogEntry {
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
        event,
        date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        rotation_id: id.into(),
        by: "alice".into(),
        confirmed_by: None,
    }
}

/// The event each golden case records.
fn entry_for(case: &str) -> ChangelogEntry {
    match case {
        "unreleased_without_security" => entry(
            ChangelogEvent::Started,
            &[
                "vault_slack_bot_token",
                "vault_slack_app_token",
                "vault_slack_signing_secret",
            ],
            "r-20261123T090000Z-51ac",
        ),
        "security_not_last" => entry(
            ChangelogEvent::Compromised {
                reason: Some("token posted in a public channel".into()),
            },
            &["vault_discord_token"],
            "r-20261123T120000Z-c0de",
        ),
        _ => entry(
            ChangelogEvent::Finished,
            &["vault_nats_password"],
            "r-20261122T101500Z-7f3a",
        ),
    }
}

/// The one contiguous run of bytes `output` adds to `input`, if that is all it does.
fn single_insertion<'a>(input: &[u8], output: &'a [u8]) -> Option<&'a [u8]> {
    let added = output.len().checked_sub(input.len())?;
    let prefix = input.iter().zip(output).take_while(|(a, b)| a == b).count();
    // Where the insertion starts is ambiguous when it repeats nearby bytes; any
    // split that matches both ends proves it.
    (0..=prefix).rev().find_map(|at| {
        (input[..at] == output[..at] && input[at..] == output[at + added..])
            .then(|| &output[at..at + added])
    })
}

#[test]
fn golden_files() {
    let bless = std::env::var_os("VAULTROT_BLESS").is_some();
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixtures missing: {cases:?}");
    let mut failures = Vec::new();
    for dir in cases {
        let case = dir.file_name().unwrap().to_str().unwrap().to_string();
        let input = fs::read_to_string(dir.join("input.md")).unwrap();
        let entry = entry_for(&case);
        let output = add_entry(&input, &entry).unwrap();
        let expected_path = dir.join("expected.md");
        if bless {
            fs::write(&expected_path, &output).unwrap();
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{case}: no expected.md (VAULTROT_BLESS=1 writes it)"));
        if output != expected {
            failures.push(format!(
                "{case}:\n--- expected\n{expected:?}\n--- got\n{output:?}"
            ));
            continue;
        }
        let inserted = single_insertion(input.as_bytes(), output.as_bytes())
            .unwrap_or_else(|| panic!("{case}: not a pure insertion"));
        let inserted = String::from_utf8_lossy(inserted);
        assert!(
            inserted.contains(&entry.to_string()),
            "{case}: {inserted:?}"
        );
        assert!(has_entry(&output, &entry), "{case}");
        if input.contains("\r\n") {
            assert!(
                !output.replace("\r\n", "").contains('\n'),
                "{case}: mixed line endings"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_missing_file_starts_from_new_changelog() {
    let entry = entry_for("any");
    assert_eq!(
        add_entry("", &entry).unwrap(),
        add_entry(&new_changelog(), &entry).unwrap()
    );
    let started = new_changelog();
    assert!(started.starts_with("# Changelog\n") && started.ends_with("## [Unreleased]\n"));
}

#[test]
fn later_entries_follow_earlier_ones() {
    let mut text = fs::read_to_string(fixtures().join("no_unreleased/input.md")).unwrap();
    let events = [ChangelogEvent::Started, ChangelogEvent::Finished];
    let entries: Vec<_> = events
        .into_iter()
        .map(|e| entry(e, &["vault_x"], "r-1"))
        .collect();
    for e in &entries {
        text = add_entry(&text, e).unwrap();
    }
    let expected = format!("{}\n{}\n\n## [1.1.0]", entries[0], entries[1]);
    assert!(text.contains(&expected), "{text}");
    assert_eq!(text.matches("## [Unreleased]").count(), 1);
    assert_eq!(text.matches("### Security").count(), 1);
}

/// Lines a hand-kept changelog is made of.
fn line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "# Changelog",
        "## [Unreleased]",
        "## Unreleased",
        "## [1.0.0] - 2026-01-01",
        "## 0.9.0",
        "### Security",
        "### Added",
        "#### Details",
        "- an item",
        "  continued",
        "* star item",
        "Some prose.",
        "",
        "",
        "```\n## [Unreleased]\n```",
        "[1.0.0]: https://example.com",
    ])
}

proptest! {
    #[test]
    fn entries_are_one_insertion_that_a_second_entry_follows(
        lines in prop::collection::vec(line(), 0..14),
        crlf: bool,
        final_newline: bool,
        bom: bool,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut input = lines.join("\n").replace('\n', eol);
        if final_newline && !input.is_empty() {
            input.push_str(eol);
        }
        if bom {
            input.insert(0, '\u{feff}');
        }
        let first = entry(ChangelogEvent::Started, &["vault_a"], "r-1");
        let second = entry(ChangelogEvent::Finished, &["vault_a"], "r-1");
        let once = add_entry(&input, &first).unwrap();
        if !input.trim_start_matches('\u{feff}').is_empty() {
            let inserted = single_insertion(input.as_bytes(), once.as_bytes());
            prop_assert!(inserted.is_some(), "not a pure insertion:\n{:?}\n{:?}", input, once);
        }
        prop_assert_eq!(once.starts_with('\u{feff}'), bom);
        // A file with no line ending at all gets LF.
        let crlf = input.contains("\r\n");
        if crlf {
            prop_assert!(!once.replace("\r\n", "").contains('\n'), "{:?}", once);
        }
        let twice = add_entry(&once, &second).unwrap();
        let eol = if crlf { "\r\n" } else { "\n" };
        let pair = format!("{first}{eol}{second}");
        prop_assert!(twice.contains(&pair), "{:?}", twice);
        prop_assert_eq!(twice.matches(&first.to_string()).count(), 1);
    }
}
