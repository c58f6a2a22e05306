//! CHANGELOG.md entries for rotation events: one line under
//! `## [Unreleased]` → `### Security`, every other byte left as it was.
//!
//! Pure text in, text out; the caller writes the file atomically. Placement:
//! - `## [Unreleased]` is created just above the first level-2 heading (the
//!   newest release), or at the end of a file that has none.
//! - `### Security` is created at the end of the Unreleased section: it is the
//!   last subsection in Keep a Changelog's order (Added … Fixed, Security).
//! - An entry is appended to the end of the Security list, so the list reads
//!   in the order things happened (started, then finished).
//!
//! Only ATX headings (`## …`) count, and not inside fenced code blocks. The
//! file's line ending (CRLF or LF), its BOM and a missing final newline are kept.

use std::fmt;

use chrono::NaiveDate;

/// What happened to the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangelogEvent {
    /// `start`: the `_new` value was deployed beside the old one.
    Started,
    /// `finish`: the new value was promoted and the old one retired.
    Finished,
    /// `abort`: the `_new` value was withdrawn.
    Aborted,
    /// `rotate` (swap strategy): replaced in one step.
    Rotated,
    /// `rotate --compromised`: replaced at once, no overlap window.
    Compromised { reason: Option<String> },
    /// `rollback`: the previous value was put back after a promotion.
    RolledBack,
    /// `verify --repair`: a drifted secret was redeployed from the vault and verified.
    Repaired,
    /// `verify --repair`: the redeploy or the verify after it failed.
    RepairFailed,
}

/// One rotation event. Names and ids only: there is no field for a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangelogEntry {
    /// The secret names (`vault_nats_password`); several for a shared window.
    pub secrets: Vec<String>,
    pub event: ChangelogEvent,
    /// UTC date of the event.
    pub date: NaiveDate,
    pub rotation_id: String,
    /// Who ran it (the user name the manifest records).
    pub by: String,
    /// Who confirmed the manual steps of this command, if it had any.
    pub confirmed_by: Option<String>,
}

/// An entry that cannot be written as one well-formed Markdown line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangelogError {
    #[error("a changelog entry needs at least one secret name")]
    NoSecrets,
    #[error("a changelog entry needs a non-empty {0}")]
    Empty(&'static str),
    #[error(
        "{field} {value:?} cannot go into a changelog line: it holds a backtick or a line break"
    )]
    Unprintable { field: &'static str, value: String },
}

/// Why a changelog file could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Entry(#[from] ChangelogError),
    #[error("{}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Adds `entry` to the changelog at `path` (created when missing, with the
/// mode a new file gets), atomically, unless the file already has it: a
/// resumed command must not log its event twice. True when it wrote.
pub fn record(path: &std::path::Path, entry: &ChangelogEntry) -> Result<bool, RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = match crate::fsutil::read_text(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(e)),
    };
    if has_entry(&text, entry) {
        return Ok(false);
    }
    let updated = add_entry(&text, entry)?;
    crate::fsutil::write_atomic(
        path,
        updated.as_bytes(),
        crate::fsutil::FileMode::KeepOrDefault,
    )
    .map_err(io)?;
    Ok(true)
}

/// The text of a new CHANGELOG.md, for when the file does not exist.
pub fn new_changelog() -> String {
    "# Changelog\n\
     \n\
     All notable changes to this project will be documented in this file.\n\
     \n\
     The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).\n\
     \n\
     ## [Unreleased]\n"
        .to_string()
}

impl ChangelogEntry {
    fn validate(&self) -> Result<(), ChangelogError> {
        if self.secrets.is_empty() {
            return Err(ChangelogError::NoSecrets);
        }
        let unprintable = |field, value: &str| {
            if value.contains(['`', '\n', '\r']) {
                Err(ChangelogError::Unprintable {
                    field,
                    value: value.to_string(),
                })
            } else {
                Ok(())
            }
        };
        for name in &self.secrets {
            if name.trim().is_empty() {
                return Err(ChangelogError::Empty("secret name"));
            }
            unprintable("secret name", name)?;
        }
        if self.rotation_id.trim().is_empty() {
            return Err(ChangelogError::Empty("rotation id"));
        }
        unprintable("rotation id", &self.rotation_id)?;
        if self.by.trim().is_empty() {
            return Err(ChangelogError::Empty("user name"));
        }
        unprintable("user name", &self.by)?;
        match &self.confirmed_by {
            Some(who) => unprintable("user name", who),
            None => Ok(()),
        }
    }

    /// `Rotation of `a` and `b` finished`: what the line says before the details.
    fn summary(&self) -> String {
        let names = name_list(&self.secrets);
        match &self.event {
            ChangelogEvent::Started => format!("Rotation of {names} started"),
            ChangelogEvent::Finished => format!("Rotation of {names} finished"),
            ChangelogEvent::Aborted => format!("Rotation of {names} aborted"),
            ChangelogEvent::Rotated => format!("{names} rotated"),
            ChangelogEvent::RolledBack => format!("Rotation of {names} rolled back"),
            ChangelogEvent::Repaired => format!("{names} redeployed from the vault after drift"),
            ChangelogEvent::RepairFailed => {
                format!("{names} drifted and redeploying from the vault did not repair it")
            }
            ChangelogEvent::Compromised { reason } => {
                let reason = reason
                    .as_deref()
                    .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
                    .filter(|r| !r.is_empty());
                match reason {
                    Some(reason) => format!("{names} rotated as compromised: {reason}"),
                    None => format!("{names} rotated as compromised"),
                }
            }
        }
    }
}

/// The Markdown list item, without line ending:
/// ``- Rotation of `vault_nats_password` finished (rotation r-…, 2026-11-23, by alice).``
impl fmt::Display for ChangelogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "- {} (rotation {}, {}, by {}",
            self.summary(),
            self.rotation_id,
            self.date.format("%Y-%m-%d"),
            self.by
        )?;
        if let Some(who) = &self.confirmed_by {
            write!(f, "; manual steps confirmed by {who}")?;
        }
        f.write_str(").")
    }
}

fn name_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
        [] => String::new(),
    }
}

/// Adds `entry` as one line under `## [Unreleased]` → `### Security`,
/// creating either where missing. An empty text becomes [`new_changelog`].
pub fn add_entry(text: &str, entry: &ChangelogEntry) -> Result<String, ChangelogError> {
    entry.validate()?;
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    if body.is_empty() {
        return add_entry(&format!("{bom}{}", new_changelog()), entry);
    }
    let doc = Document::parse(body);
    let item = entry.to_string();
    let edit = match doc.unreleased() {
        Some(unreleased) => match doc.security_in(&unreleased) {
            Some(security) => {
                let after = doc.last_content_line(security.heading, security.end);
                let list_continues = after != security.heading && doc.lines[after].is_list_part();
                let block: &[&str] = if list_continues {
                    &[&item]
                } else {
                    &["", &item]
                };
                doc.insert_after(after, block)
            }
            None => {
                let after = doc.last_content_line(unreleased.heading, unreleased.end);
                doc.insert_after(after, &["", "### Security", "", &item])
            }
        },
        None => match (0..doc.lines.len()).find(|&i| doc.lines[i].heading == Some(2)) {
            Some(release) => doc.insert_before(
                release,
                &["## [Unreleased]", "", "### Security", "", &item, ""],
            ),
            None => match doc.last_content_line_in_all() {
                Some(after) => doc.insert_after(
                    after,
                    &["", "## [Unreleased]", "", "### Security", "", &item],
                ),
                // Only blank lines: keep them, then the new section.
                None => doc.insert_before(
                    doc.lines.len(),
                    &["## [Unreleased]", "", "### Security", "", &item],
                ),
            },
        },
    };
    Ok(format!("{bom}{edit}"))
}

/// Whether `text` already holds this event of this rotation (whatever its
/// date or user), so a resumed command does not log it twice.
pub fn has_entry(text: &str, entry: &ChangelogEntry) -> bool {
    let prefix = format!("- {} (rotation {},", entry.summary(), entry.rotation_id);
    text.lines()
        .any(|line| line.trim_start().starts_with(&prefix))
}

/// One line of the file: its text without the line ending, and where it is.
struct Line<'a> {
    text: &'a str,
    start: usize,
    /// Offset just past the line ending (or the end of the text).
    end: usize,
    /// `Some(level)` for an ATX heading outside fenced code.
    heading: Option<usize>,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// A list item or a line indented under one.
    fn is_list_part(&self) -> bool {
        let trimmed = self.text.trim_start();
        self.text.starts_with([' ', '\t'])
            || ["- ", "* ", "+ "].iter().any(|m| trimmed.starts_with(m))
            || ["-", "*", "+"].contains(&trimmed)
    }
}

/// A heading's section: the heading line and the index of the first line after it.
struct Section {
    heading: usize,
    end: usize,
}

struct Document<'a> {
    text: &'a str,
    lines: Vec<Line<'a>>,
    eol: &'static str,
}

impl<'a> Document<'a> {
    fn parse(text: &'a str) -> Self {
        let mut lines = Vec::new();
        let mut fence: Option<(char, usize)> = None;
        let mut start = 0;
        while start < text.len() {
            let end = text[start..]
                .find('\n')
                .map_or(text.len(), |i| start + i + 1);
            let raw = &text[start..end];
            let line = raw.strip_suffix('\n').unwrap_or(raw);
            let line = line.strip_suffix('\r').unwrap_or(line);
            let mut heading = None;
            match (fence, code_fence(line)) {
                (None, Some(open)) => fence = Some(open),
                (Some((ch, len)), Some((c, l))) if c == ch && l >= len && closes_fence(line) => {
                    fence = None
                }
                (None, None) => heading = atx_level(line),
                _ => {}
            }
            lines.push(Line {
                text: line,
                start,
                end,
                heading,
            });
            start = end;
        }
        let eol = match text.find('\n') {
            Some(i) if text[..i].ends_with('\r') => "\r\n",
            _ => "\n",
        };
        Document { text, lines, eol }
    }

    fn unreleased(&self) -> Option<Section> {
        let heading = self
            .lines
            .iter()
            .position(|l| l.heading == Some(2) && is_unreleased(heading_text(l.text)))?;
        Some(Section {
            heading,
            end: self
                .first_heading_at_most(2, heading + 1)
                .unwrap_or(self.lines.len()),
        })
    }

    fn security_in(&self, unreleased: &Section) -> Option<Section> {
        let heading = (unreleased.heading + 1..unreleased.end).find(|&i| {
            self.lines[i].heading == Some(3)
                && heading_text(self.lines[i].text).eq_ignore_ascii_case("security")
        })?;
        let end = self
            .first_heading_at_most(3, heading + 1)
            .map_or(unreleased.end, |i| i.min(unreleased.end));
        Some(Section { heading, end })
    }

    fn first_heading_at_most(&self, level: usize, from: usize) -> Option<usize> {
        (from..self.lines.len()).find(|&i| self.lines[i].heading.is_some_and(|l| l <= level))
    }

    /// The last non-blank line of `heading..end` (the heading itself at least).
    fn last_content_line(&self, heading: usize, end: usize) -> usize {
        (heading..end)
            .rev()
            .find(|&i| !self.lines[i].is_blank())
            .unwrap_or(heading)
    }

    fn last_content_line_in_all(&self) -> Option<usize> {
        (0..self.lines.len())
            .rev()
            .find(|&i| !self.lines[i].is_blank())
    }

    /// The text with `block` as whole lines after line `index`. After a last
    /// line without a line ending, the block keeps that: it gets none either.
    fn insert_after(&self, index: usize, block: &[&str]) -> String {
        let line = &self.lines[index];
        let unterminated = line.end == self.text.len() && !self.text.ends_with('\n');
        let joined = block.join(self.eol);
        let insertion = if unterminated {
            format!("{}{joined}", self.eol)
        } else {
            format!("{joined}{}", self.eol)
        };
        splice(self.text, line.end, &insertion)
    }

    /// The text with `block` as whole lines before line `index` (or at the end).
    fn insert_before(&self, index: usize, block: &[&str]) -> String {
        let at = self.lines.get(index).map_or(self.text.len(), |l| l.start);
        let mut insertion = block.join(self.eol);
        insertion.push_str(self.eol);
        if at == self.text.len() && !self.text.is_empty() && !self.text.ends_with('\n') {
            insertion.insert_str(0, self.eol);
        }
        splice(self.text, at, &insertion)
    }
}

fn splice(text: &str, at: usize, insertion: &str) -> String {
    let mut out = String::with_capacity(text.len() + insertion.len());
    out.push_str(&text[..at]);
    out.push_str(insertion);
    out.push_str(&text[at..]);
    out
}

/// The level of an ATX heading (`## Title`, up to 3 spaces of indent).
fn atx_level(line: &str) -> Option<usize> {
    let trimmed = strip_indent(line)?;
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    let rest = &trimmed[level..];
    ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t'])))
        .then_some(level)
}

/// A heading's text without the `#`s, the optional closing `#`s and spaces.
fn heading_text(line: &str) -> &str {
    let trimmed = line.trim().trim_start_matches('#').trim();
    let closed = trimmed.trim_end_matches('#');
    if closed.len() < trimmed.len() && (closed.is_empty() || closed.ends_with([' ', '\t'])) {
        closed.trim_end()
    } else {
        trimmed
    }
}

/// `[Unreleased]`, `Unreleased`, `[Unreleased] - …`, in any case.
fn is_unreleased(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let word = lower
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .map_or(lower.as_str(), |(inside, _)| inside);
    word == "unreleased"
        || (!lower.starts_with('[') && lower.split_whitespace().next() == Some("unreleased"))
}

/// An opening or closing code fence: its character and length.
fn code_fence(line: &str) -> Option<(char, usize)> {
    let trimmed = strip_indent(line)?;
    let ch = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = trimmed.chars().take_while(|&c| c == ch).count();
    (len >= 3).then_some((ch, len))
}

/// A closing fence carries nothing after its characters.
fn closes_fence(line: &str) -> bool {
    line.trim().chars().all(|c| c == '`' || c == '~')
}

fn strip_indent(line: &str) -> Option<&str> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    (indent <= 3).then(|| &line[indent..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(event: ChangelogEvent, secrets: &[&str]) -> ChangelogEntry {
        ChangelogEntry {
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
            event,
            date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            rotation_id: "r-20261122T101500Z-7f3a".into(),
            by: "alice".into(),
            confirmed_by: None,
        }
    }

    #[test]
    fn entry_lines_name_event_id_date_and_user() {
        let one = ["vault_nats_password"];
        assert_eq!(
            entry(ChangelogEvent::Finished, &one).to_string(),
            "- Rotation of `vault_nats_password` finished (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice)."
        );
        assert_eq!(
            entry(ChangelogEvent::Started, &["a", "b", "c"]).to_string(),
            "- Rotation of `a`, `b` and `c` started (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice)."
        );
        assert_eq!(
            entry(ChangelogEvent::Aborted, &["a", "b"]).to_string(),
            "- Rotation of `a` and `b` aborted (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice)."
        );
        assert_eq!(
            entry(ChangelogEvent::Rotated, &one).to_string(),
            "- `vault_nats_password` rotated (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice)."
        );
        let compromised = ChangelogEvent::Compromised {
            reason: Some("  token leaked\n in CI logs ".into()),
        };
        assert_eq!(
            entry(compromised, &one).to_string(),
            "- `vault_nats_password` rotated as compromised: token leaked in CI logs (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice)."
        );
        let no_reason = ChangelogEvent::Compromised { reason: None };
        assert!(
            entry(no_reason, &one)
                .to_string()
                .starts_with("- `vault_nats_password` rotated as compromised (rotation")
        );
    }

    #[test]
    fn rejects_entries_that_would_break_the_line() {
        let mut bad = entry(ChangelogEvent::Started, &[]);
        assert_eq!(add_entry("", &bad), Err(ChangelogError::NoSecrets));
        bad.secrets = vec!["a`b".into()];
        assert!(matches!(
            add_entry("", &bad),
            Err(ChangelogError::Unprintable { .. })
        ));
        bad.secrets = vec!["a".into()];
        bad.by = " ".into();
        assert_eq!(add_entry("", &bad), Err(ChangelogError::Empty("user name")));
        bad.by = "alice".into();
        bad.rotation_id = "r\n1".into();
        assert!(matches!(
            add_entry("", &bad),
            Err(ChangelogError::Unprintable { .. })
        ));
    }

    #[test]
    fn recognises_headings() {
        assert_eq!(atx_level("## [Unreleased]"), Some(2));
        assert_eq!(atx_level("   ### Security"), Some(3));
        assert_eq!(atx_level("    ## code"), None);
        assert_eq!(atx_level("##no space"), None);
        assert_eq!(heading_text("### Security ###"), "Security");
        assert_eq!(heading_text("## [Unreleased]"), "[Unreleased]");
        for yes in [
            "[Unreleased]",
            "[unreleased] - soon",
            "Unreleased",
            "UNRELEASED changes",
        ] {
            assert!(is_unreleased(yes), "{yes}");
        }
        for no in ["[1.0.0] - 2026-01-01", "Unreleasedish", "[Unreleased-2]"] {
            assert!(!is_unreleased(no), "{no}");
        }
    }

    #[test]
    fn ignores_headings_in_code_fences() {
        let text = "# Changelog\n\n```md\n## [Unreleased]\n```\n\n## [1.0.0]\n- x\n";
        let out = add_entry(text, &entry(ChangelogEvent::Started, &["a"])).unwrap();
        assert_eq!(
            out,
            "# Changelog\n\n```md\n## [Unreleased]\n```\n\n## [Unreleased]\n\n### Security\n\n- Rotation of `a` started (rotation r-20261122T101500Z-7f3a, 2026-11-23, by alice).\n\n## [1.0.0]\n- x\n"
        );
    }

    #[test]
    fn knows_entries_already_written() {
        let started = entry(ChangelogEvent::Started, &["a"]);
        let text = add_entry(&new_changelog(), &started).unwrap();
        assert!(has_entry(&text, &started));
        let mut next_day = started.clone();
        next_day.date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        next_day.by = "bob".into();
        assert!(has_entry(&text, &next_day));
        assert!(!has_entry(&text, &entry(ChangelogEvent::Finished, &["a"])));
    }
}
