//! Output of the reporting commands (`check-age`, `lint`, `verify`) in every format:
//! a table for people, `json`, `github` annotations, `junit`, `markdown`.
//!
//! Renderers return the whole text; they never decide exit codes or print.

pub mod verify;

use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::manifest::lint::{Check, Finding, LintReport, Severity};
use crate::manifest::{
    AgeReport, FailOn, Level, ManifestError, Secret, SecretAge, Status, Strategy,
};
use crate::rotation::due;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people, coloured on a terminal.
    #[default]
    Table,
    /// One JSON document (schema in docs/check-age.md).
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...::`).
    Github,
    /// JUnit XML for CI test reports.
    Junit,
    /// A Markdown summary (e.g. for `$GITHUB_STEP_SUMMARY`).
    Markdown,
}

/// Whether to colour the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour only when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && io::stdout().is_terminal(),
        }
    }
}

/// Shows paths relative to a base directory (the current one) when below it.
#[derive(Debug, Clone, Default)]
pub struct PathDisplay {
    base: Option<PathBuf>,
}

impl PathDisplay {
    pub fn new(base: Option<PathBuf>) -> PathDisplay {
        PathDisplay { base }
    }

    pub fn from_cwd() -> PathDisplay {
        PathDisplay::new(std::env::current_dir().ok())
    }

    pub fn show(&self, path: &Path) -> String {
        let shown = match &self.base {
            Some(base) if path.is_absolute() => path.strip_prefix(base).unwrap_or(path),
            _ => path,
        };
        let shown = shown.strip_prefix(".").unwrap_or(shown);
        shown.display().to_string()
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

// ---------------------------------------------------------------- check-age

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `11 secrets as of 2026-11-23: 1 overdue, 1 never rotated, ...`
pub fn age_summary(report: &AgeReport<'_>) -> String {
    let mut parts = Vec::new();
    for status in Status::ALL {
        let n = report.count(status);
        if n == 0 {
            continue;
        }
        let mut part = format!("{n} {}", status.label());
        if status == Status::RotationOpen {
            let notes: Vec<String> = [
                (report.open_overdue(), "overdue"),
                (report.open_too_long(), "open too long"),
            ]
            .iter()
            .filter(|(count, _)| *count > 0)
            .map(|(count, note)| format!("{count} {note}"))
            .collect();
            if !notes.is_empty() {
                let _ = write!(part, " ({})", notes.join(", "));
            }
        }
        parts.push(part);
    }
    let head = format!(
        "{} as of {}",
        plural(report.entries.len(), "secret", "secrets"),
        report.today
    );
    if parts.is_empty() {
        head
    } else {
        format!("{head}: {}", parts.join(", "))
    }
}

/// The command that deals with a secret.
fn remedy(entry: &SecretAge<'_>) -> &'static str {
    match entry.secret.strategy {
        Strategy::Dual => "vaultrot start",
        Strategy::Swap => "vaultrot rotate",
    }
}

/// `2026-10-02`, or nothing.
struct OptDate(Option<chrono::NaiveDate>);

impl std::fmt::Display for OptDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(date) => date.fmt(f),
            None => Ok(()),
        }
    }
}

/// One sentence about a secret, for annotations and test reports.
pub fn age_sentence(entry: &SecretAge<'_>) -> String {
    let mut out = String::new();
    write_age_sentence(&mut out, entry);
    out
}

/// Appends [`age_sentence`] to `out`.
fn write_age_sentence(out: &mut String, entry: &SecretAge<'_>) {
    let s = entry.secret;
    let name = &s.name;
    let due = OptDate(entry.due);
    let detail = entry.detail_display();
    let last = OptDate(s.rotated_on());
    let last: &dyn std::fmt::Display = if s.rotated_on().is_some() {
        &last
    } else {
        &"never"
    };
    let remedy = remedy(entry);
    let _ = match entry.status {
        Status::Overdue => write!(
            out,
            "{name} is overdue: due {due} ({detail}), last rotated {last}, max_age {}; rotate it: {remedy} {name}",
            s.max_age
        ),
        Status::NeverRotated => write!(
            out,
            "{name} has never been rotated (no last_rotation, max_age {}); rotate it ({remedy} {name}) or record when it was last rotated",
            s.max_age
        ),
        Status::DueSoon => write!(
            out,
            "{name} is due soon: due {due} ({detail}), last rotated {last}, max_age {}, warn_before {}",
            s.max_age, entry.warn_before
        ),
        Status::RotationOpen => {
            let (id, phase) = s
                .rotation
                .as_ref()
                .map(|r| (r.id.as_str(), r.phase.as_str()))
                .unwrap_or(("?", "?"));
            let open = plural(entry.open_days.unwrap_or(0).max(0) as usize, "day", "days");
            if entry.overdue {
                let late = match entry.days_left {
                    Some(n) if n < 0 => format!("{} overdue", plural((-n) as usize, "day", "days")),
                    _ => "due today".to_string(),
                };
                write!(
                    out,
                    "{name} is overdue although rotation {id} is open: due {due} ({late}), the rotation open for {open} (phase {phase}), max_age {}; it is not rotated until the rotation is finished (vaultrot finish {name}), or aborted (vaultrot abort {name}) and started again",
                    s.max_age
                )
            } else if entry.open_too_long {
                write!(
                    out,
                    "rotation {id} of {name} has been open for {open} (phase {phase}), longer than warn_before {}; finish it (vaultrot finish {name}) or abort it (vaultrot abort {name})",
                    entry.warn_before
                )
            } else {
                write!(
                    out,
                    "rotation {id} of {name} is open for {open} (phase {phase})"
                )
            }
        }
        Status::Ok => write!(out, "{name} is ok: due {due} ({detail})"),
        Status::Exempt => write!(out, "{name} is exempt (max_age: never)"),
    };
}

const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const GREY: &str = "\x1b[90m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

fn status_color(entry: &SecretAge<'_>) -> &'static str {
    match entry.status {
        Status::Overdue | Status::NeverRotated => RED,
        Status::DueSoon => YELLOW,
        Status::RotationOpen if entry.overdue => RED,
        Status::RotationOpen if entry.open_too_long => YELLOW,
        Status::RotationOpen => CYAN,
        Status::Ok => GREEN,
        Status::Exempt => GREY,
    }
}

/// One table cell: its text and an optional ANSI style.
struct Cell {
    text: String,
    style: &'static str,
}

impl Cell {
    fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            style: "",
        }
    }
}

/// Aligned columns separated by two spaces, right-aligned where asked,
/// no trailing spaces. Widths count characters, so East Asian wide
/// characters may shift a row. (Hand-rolled: comfy-table took ~25x the
/// time of the whole `check-age` on 10,000 rows.)
fn columns(rows: &[Vec<Cell>], right: &[usize], color: bool) -> String {
    let count = rows.first().map_or(0, Vec::len);
    let mut widths = vec![0; count];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.text.chars().count());
        }
    }
    let mut out =
        String::with_capacity(rows.len() * (widths.iter().sum::<usize>() + 2 * count + 1));
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.text.chars().count();
            if i > 0 {
                line.push_str("  ");
            }
            if right.contains(&i) {
                line.extend(std::iter::repeat_n(' ', pad));
            }
            if color && !cell.style.is_empty() {
                line.push_str(cell.style);
                line.push_str(&cell.text);
                line.push_str(RESET);
            } else {
                line.push_str(&cell.text);
            }
            if !right.contains(&i) && i + 1 < count {
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
    out
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value
        .map(|v| v.to_string())
        .unwrap_or_else(|| "-".to_string())
}

/// Renders a `check-age` report; `manifest` is the manifest path as shown.
pub fn render_age(report: &AgeReport<'_>, manifest: &str, format: Format, style: Style) -> String {
    match format {
        Format::Table => age_table(report, style),
        Format::Json => age_json(report, manifest),
        Format::Github => age_github(report, manifest),
        Format::Junit => age_junit(report, manifest),
        Format::Markdown => age_markdown(report, manifest),
    }
}

fn age_table(report: &AgeReport<'_>, style: Style) -> String {
    let header = [
        "SECRET",
        "STATUS",
        "POLICY",
        "OWNER",
        "LAST ROTATION",
        "AGE",
        "MAX AGE",
        "DUE",
        "DETAIL",
    ];
    let mut rows = Vec::with_capacity(report.entries.len() + 1);
    rows.push(
        header
            .iter()
            .map(|h| Cell {
                text: h.to_string(),
                style: BOLD,
            })
            .collect(),
    );
    for entry in &report.entries {
        let s = entry.secret;
        let status_style = if entry.fails(report.fail_on) {
            // Bold as well: the rows that turn the build red.
            match status_color(entry) {
                RED => "\x1b[1;31m",
                YELLOW => "\x1b[1;33m",
                other => other,
            }
        } else {
            status_color(entry)
        };
        rows.push(vec![
            Cell::plain(s.name.as_str()),
            Cell {
                text: entry.status.as_str().to_string(),
                style: status_style,
            },
            Cell::plain(opt(s.policy.as_deref())),
            Cell::plain(opt(s.owner.as_deref())),
            Cell::plain(opt(s.rotated_on())),
            Cell::plain(
                entry
                    .age_days
                    .map(|d| format!("{d}d"))
                    .unwrap_or_else(|| "-".into()),
            ),
            Cell::plain(s.max_age.to_string()),
            Cell::plain(opt(entry.due)),
            Cell::plain(match auto_note(s, report.today) {
                Some(note) => format!("{}; {note}", entry.detail()),
                None => entry.detail(),
            }),
        ]);
    }
    let mut out = if report.entries.is_empty() {
        String::new()
    } else {
        columns(&rows, &[5, 6], style.color)
    };
    out.push_str(&age_summary(report));
    out.push('\n');
    out
}

#[derive(Serialize)]
struct AgeJson<'a> {
    generated: String,
    manifest: &'a str,
    fail_on: &'static str,
    failing: bool,
    secrets: Vec<SecretJson<'a>>,
    summary: SummaryJson,
}

#[derive(Serialize)]
struct SecretJson<'a> {
    name: &'a str,
    /// Only for `auto: true` secrets: what rotate-due does and when.
    #[serde(flatten)]
    auto: Option<AutoJson>,
    policy: Option<&'a str>,
    owner: Option<&'a str>,
    last_rotation: Option<String>,
    age_days: Option<i64>,
    max_age_days: Option<i64>,
    due: Option<String>,
    status: &'static str,
    /// On or after the due date, whatever the status (an open rotation too).
    overdue: bool,
    max_age: String,
    warn_before: String,
    days_left: Option<i64>,
    strategy: &'static str,
    fails: bool,
    line: u32,
    rotation: Option<RotationJson<'a>>,
    /// The manifest listing the secret (check-age reports several at once).
    manifest: &'a str,
}

#[derive(Serialize)]
struct AutoJson {
    auto: bool,
    /// `start`, `finish` or `rotate` on the report's day, else `null`.
    auto_action: Option<&'static str>,
    /// The day rotate-due acts (today when `auto_action` is set).
    auto_on: Option<String>,
}

fn auto_json(secret: &Secret, today: chrono::NaiveDate) -> Option<AutoJson> {
    due::decide(secret, today).map(|d| AutoJson {
        auto: true,
        auto_action: d.action.map(due::AutoAction::as_str),
        auto_on: d.on.map(|on| on.to_string()),
    })
}

/// The table's word on an `auto: true` secret: what rotate-due does when.
fn auto_note(secret: &Secret, today: chrono::NaiveDate) -> Option<String> {
    let d = due::decide(secret, today)?;
    Some(match (d.action, d.on) {
        (Some(action), _) => format!("rotate-due: {} today", action.as_str()),
        (None, Some(on)) => format!("rotate-due: acts on {on}"),
        (None, None) => format!("rotate-due: {}", d.why),
    })
}

/// Appends the auto note, for the formats that have one text per secret.
fn push_auto_note(text: &mut String, entry: &SecretAge<'_>, today: chrono::NaiveDate) {
    if let Some(note) = auto_note(entry.secret, today) {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&note);
    }
}

#[derive(Serialize)]
struct RotationJson<'a> {
    id: &'a str,
    phase: &'static str,
    started: String,
    by: Option<&'a str>,
    open_days: i64,
    open_too_long: bool,
}

#[derive(Serialize)]
struct SummaryJson {
    overdue: usize,
    never_rotated: usize,
    rotation_open: usize,
    due_soon: usize,
    ok: usize,
    exempt: usize,
}

fn fail_on_str(fail_on: FailOn) -> &'static str {
    match fail_on {
        FailOn::Overdue => "overdue",
        FailOn::DueSoon => "due_soon",
    }
}

fn age_json(report: &AgeReport<'_>, manifest: &str) -> String {
    let secrets = report
        .entries
        .iter()
        .map(|e| {
            let s = e.secret;
            SecretJson {
                name: &s.name,
                auto: auto_json(s, report.today),
                policy: s.policy.as_deref(),
                owner: s.owner.as_deref(),
                last_rotation: s.rotated_on().map(|d| d.to_string()),
                age_days: e.age_days,
                max_age_days: e.max_age_days,
                due: e.due.map(|d| d.to_string()),
                status: e.status.as_str(),
                overdue: e.overdue,
                max_age: s.max_age.to_string(),
                warn_before: e.warn_before.to_string(),
                days_left: e.days_left,
                strategy: s.strategy.as_str(),
                fails: e.fails(report.fail_on),
                line: s.pos.line,
                manifest,
                rotation: s.rotation.as_ref().map(|r| RotationJson {
                    id: &r.id,
                    phase: r.phase.as_str(),
                    started: r
                        .started
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    by: r.by.as_deref(),
                    open_days: e.open_days.unwrap_or(0),
                    open_too_long: e.open_too_long,
                }),
            }
        })
        .collect();
    let doc = AgeJson {
        generated: report.today.to_string(),
        manifest,
        fail_on: fail_on_str(report.fail_on),
        failing: report.failing(),
        secrets,
        summary: SummaryJson {
            overdue: report.count(Status::Overdue),
            never_rotated: report.count(Status::NeverRotated),
            rotation_open: report.count(Status::RotationOpen),
            due_soon: report.count(Status::DueSoon),
            ok: report.count(Status::Ok),
            exempt: report.count(Status::Exempt),
        },
    };
    to_json(&doc, report.entries.len() * 640)
}

/// Pretty JSON and a final newline; `capacity` avoids regrowing a large buffer.
fn to_json(doc: &impl Serialize, capacity: usize) -> String {
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer_pretty(&mut out, doc).expect("report serializes");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Appends `text` escaped for a workflow command: its message, or (with
/// `property`) a property value, where `:` and `,` are escaped too.
fn push_github_escaped(out: &mut String, text: &str, property: bool) {
    let special =
        |b: u8| matches!(b, b'%' | b'\r' | b'\n') || (property && matches!(b, b':' | b','));
    if !text.bytes().any(special) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
}

/// Escapes a workflow command's message.
pub fn github_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_github_escaped(&mut out, text, false);
    out
}

/// Escapes a workflow command's property value.
pub fn github_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_github_escaped(&mut out, text, true);
    out
}

/// Appends `::kind file=...,line=...,title=...::message`.
pub(crate) fn push_github_command(
    out: &mut String,
    kind: &str,
    file: &str,
    line: Option<u32>,
    title: &str,
    message: &str,
) {
    let _ = write!(out, "::{kind} file=");
    push_github_escaped(out, file, true);
    if let Some(line) = line.filter(|l| *l > 0) {
        let _ = write!(out, ",line={line}");
    }
    out.push_str(",title=");
    push_github_escaped(out, title, true);
    out.push_str("::");
    push_github_escaped(out, message, false);
    out.push('\n');
}

fn age_github(report: &AgeReport<'_>, manifest: &str) -> String {
    let mut out = String::new();
    let (mut title, mut sentence) = (String::new(), String::new());
    for entry in &report.entries {
        let kind = if entry.fails(report.fail_on) {
            "error"
        } else if entry.level >= Level::DueSoon {
            "warning"
        } else if entry.status == Status::RotationOpen {
            "notice"
        } else {
            continue;
        };
        title.clear();
        let _ = write!(title, "{} {}", entry.secret.name, entry.status.label());
        if entry.status == Status::RotationOpen && entry.overdue {
            title.push_str(", overdue");
        }
        sentence.clear();
        write_age_sentence(&mut sentence, entry);
        push_auto_note(&mut sentence, entry, report.today);
        push_github_command(
            &mut out,
            kind,
            manifest,
            Some(entry.secret.pos.line),
            &title,
            &sentence,
        );
    }
    out.push_str(&age_summary(report));
    out.push('\n');
    out
}

/// Escapes text for XML attributes and content.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn age_junit(report: &AgeReport<'_>, manifest: &str) -> String {
    let tests = report.entries.len();
    let failures = report
        .entries
        .iter()
        .filter(|e| e.fails(report.fail_on))
        .count();
    let skipped = report.count(Status::Exempt);
    let stamp = format!("{}T00:00:00", report.today);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts =
        format!("tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\"");
    let _ = writeln!(out, "<testsuites name=\"vaultrot check-age\" {counts}>");
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" {counts} timestamp=\"{stamp}\">",
        xml(manifest)
    );
    for entry in &report.entries {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"check-age\" file=\"{}\" line=\"{}\"",
            xml(&entry.secret.name),
            xml(manifest),
            entry.secret.pos.line
        );
        let mut sentence = age_sentence(entry);
        push_auto_note(&mut sentence, entry, report.today);
        let sentence = xml(&sentence);
        if entry.fails(report.fail_on) {
            let _ = writeln!(
                out,
                ">\n      <failure type=\"{}\" message=\"{sentence}\"/>\n    </testcase>",
                entry.status.as_str()
            );
        } else if entry.status == Status::Exempt {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{sentence}\"/>\n    </testcase>"
            );
        } else {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}: {sentence}</system-out>\n    </testcase>",
                entry.status.as_str()
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes a Markdown table cell.
pub fn md_cell(text: &str) -> String {
    if !text.contains(['\\', '|', '<', '\n', '\r']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn status_badge(entry: &SecretAge<'_>) -> &'static str {
    match entry.status {
        Status::Overdue | Status::NeverRotated => ":red_circle:",
        Status::DueSoon => ":yellow_circle:",
        Status::RotationOpen if entry.overdue => ":red_circle:",
        Status::RotationOpen if entry.open_too_long => ":yellow_circle:",
        Status::RotationOpen => ":large_blue_circle:",
        Status::Ok => ":green_circle:",
        Status::Exempt => ":white_circle:",
    }
}

fn age_markdown(report: &AgeReport<'_>, manifest: &str) -> String {
    let failing = report
        .entries
        .iter()
        .filter(|e| e.fails(report.fail_on))
        .count();
    let mut out = String::new();
    let verdict = if failing > 0 {
        format!(
            ":x: {} at or past the fail level ({})",
            plural(failing, "secret", "secrets"),
            fail_on_str(report.fail_on)
        )
    } else {
        ":white_check_mark: no secret at or past the fail level".to_string()
    };
    let _ = writeln!(out, "### Secret rotation: {verdict}\n");
    let _ = writeln!(
        out,
        "{}.  \nManifest: `{}`\n",
        age_summary(report),
        md_cell(manifest)
    );
    if report.entries.is_empty() {
        return out;
    }
    out.push_str(
        "| Secret | Status | Policy | Owner | Last rotation | Age | Max age | Due | Detail |\n",
    );
    out.push_str("|---|---|---|---|---|--:|--:|---|---|\n");
    for entry in &report.entries {
        let s = entry.secret;
        let mut detail = entry.detail();
        push_auto_note(&mut detail, entry, report.today);
        let _ = writeln!(
            out,
            "| `{}` | {} {} | {} | {} | {} | {} | {} | {} | {} |",
            md_cell(&s.name),
            status_badge(entry),
            entry.status.as_str(),
            md_cell(&opt(s.policy.as_deref())),
            md_cell(&opt(s.owner.as_deref())),
            opt(s.last_rotation),
            entry
                .age_days
                .map(|d| format!("{d}d"))
                .unwrap_or_else(|| "-".into()),
            s.max_age,
            opt(entry.due),
            md_cell(&detail),
        );
    }
    out
}

// ---------------------------------------------------------------------- lint

fn location(paths: &PathDisplay, finding: &Finding) -> String {
    let file = paths.show(&finding.file);
    match finding.pos {
        Some(pos) => format!("{file}:{}:{}", pos.line, pos.column),
        None => file,
    }
}

/// `lint: 2 errors, 1 warning (11 secrets, 1 vault file)`
pub fn lint_summary(report: &LintReport) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let scope = format!(
        "{}, {}",
        plural(report.secrets, "secret", "secrets"),
        plural(report.vault_files.len(), "vault file", "vault files")
    );
    let skipped = if report.skipped.is_empty() {
        String::new()
    } else {
        format!(
            "; skipped: {}",
            report
                .skipped
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if errors == 0 && warnings == 0 {
        format!("lint: ok ({scope}{skipped})")
    } else {
        format!(
            "lint: {}, {} ({scope}{skipped})",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings")
        )
    }
}

/// Renders a `lint` report; `manifest` is the manifest path as shown.
pub fn render_lint(
    report: &LintReport,
    manifest: &str,
    paths: &PathDisplay,
    format: Format,
    style: Style,
) -> String {
    match format {
        Format::Table => lint_text(report, paths, style),
        Format::Json => lint_json(report, manifest, paths),
        Format::Github => lint_github(report, paths),
        Format::Junit => lint_junit(report, manifest, paths),
        Format::Markdown => lint_markdown(report, manifest, paths),
    }
}

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "\x1b[1;31m",
        Severity::Warning => "\x1b[1;33m",
        Severity::Notice => "\x1b[1;36m",
    }
}

/// Compiler-style lines (`file:line:col: error: ...`), which editors can follow.
fn lint_text(report: &LintReport, paths: &PathDisplay, style: Style) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let severity = finding.severity.as_str();
        let severity = if style.color {
            format!("{}{severity}\x1b[0m", severity_color(finding.severity))
        } else {
            severity.to_string()
        };
        let _ = writeln!(
            out,
            "{}: {severity}: {} [{}]",
            location(paths, finding),
            finding.message,
            finding.check.as_str()
        );
    }
    out.push_str(&lint_summary(report));
    out.push('\n');
    out
}

#[derive(Serialize)]
struct LintJson<'a> {
    manifest: &'a str,
    failing: bool,
    secrets: usize,
    vault_files: Vec<String>,
    skipped: Vec<&'static str>,
    findings: Vec<FindingJson<'a>>,
    summary: LintSummaryJson,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    severity: &'static str,
    check: &'static str,
    file: String,
    line: Option<u32>,
    column: Option<u32>,
    secret: Option<&'a str>,
    message: &'a str,
    /// The manifest whose lint found it (lint reports several at once).
    manifest: &'a str,
}

#[derive(Serialize)]
struct LintSummaryJson {
    error: usize,
    warning: usize,
    notice: usize,
}

fn lint_json(report: &LintReport, manifest: &str, paths: &PathDisplay) -> String {
    let doc = LintJson {
        manifest,
        failing: report.failing(),
        secrets: report.secrets,
        vault_files: report
            .vault_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        skipped: report.skipped.iter().map(|c| c.as_str()).collect(),
        findings: report
            .findings
            .iter()
            .map(|f| FindingJson {
                severity: f.severity.as_str(),
                check: f.check.as_str(),
                file: paths.show(&f.file),
                line: f.pos.map(|p| p.line),
                column: f.pos.map(|p| p.column),
                secret: f.secret.as_deref(),
                message: &f.message,
                manifest,
            })
            .collect(),
        summary: LintSummaryJson {
            error: report.count(Severity::Error),
            warning: report.count(Severity::Warning),
            notice: report.count(Severity::Notice),
        },
    };
    to_json(&doc, 1024 + doc.findings.len() * 300)
}

fn lint_github(report: &LintReport, paths: &PathDisplay) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        let title = format!("vaultrot lint: {}", finding.check.title());
        push_github_command(
            &mut out,
            finding.severity.as_str(),
            &paths.show(&finding.file),
            finding.pos.map(|p| p.line),
            &title,
            &finding.message,
        );
    }
    out.push_str(&lint_summary(report));
    out.push('\n');
    out
}

fn lint_junit(report: &LintReport, manifest: &str, paths: &PathDisplay) -> String {
    let failed = |check: Check| {
        report
            .findings
            .iter()
            .any(|f| f.check == check && f.severity == Severity::Error)
    };
    let failures = Check::ALL.iter().filter(|c| failed(**c)).count();
    let skipped = Check::ALL
        .iter()
        .filter(|c| !failed(**c) && report.skipped.contains(c))
        .count();
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\"",
        Check::ALL.len()
    );
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"vaultrot lint\" {counts}>");
    let _ = writeln!(out, "  <testsuite name=\"{}\" {counts}>", xml(manifest));
    for check in Check::ALL {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"lint.{}\"",
            xml(check.title()),
            check.as_str()
        );
        let lines = |severity: Severity| {
            report
                .findings
                .iter()
                .filter(|f| f.check == check && f.severity == severity)
                .map(|f| format!("{}: {}", location(paths, f), f.message))
                .collect::<Vec<_>>()
        };
        let errors = lines(Severity::Error);
        let mut others = lines(Severity::Warning);
        others.extend(lines(Severity::Notice));
        if errors.is_empty() && others.is_empty() && !report.skipped.contains(&check) {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if !errors.is_empty() {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                check.as_str(),
                xml(&plural(errors.len(), "problem", "problems")),
                xml(&errors.join("\n"))
            );
        } else if report.skipped.contains(&check) {
            let _ = writeln!(out, "      <skipped message=\"no vault password given\"/>");
        }
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                xml(&others.join("\n"))
            );
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn lint_markdown(report: &LintReport, manifest: &str, paths: &PathDisplay) -> String {
    let mut out = String::new();
    let verdict = if report.failing() {
        ":x:"
    } else {
        ":white_check_mark:"
    };
    let _ = writeln!(out, "### {verdict} {}\n", lint_summary(report));
    let _ = writeln!(out, "Manifest: `{}`\n", md_cell(manifest));
    if report.findings.is_empty() {
        return out;
    }
    out.push_str("| Severity | Where | Check | Problem |\n|---|---|---|---|\n");
    for finding in &report.findings {
        let _ = writeln!(
            out,
            "| {} | `{}` | {} | {} |",
            finding.severity.as_str(),
            md_cell(&location(paths, finding)),
            finding.check.as_str(),
            md_cell(&finding.message)
        );
    }
    out
}

// ------------------------------------------------------------------- errors

/// A manifest that cannot be read, as workflow annotations (`--format github`).
pub fn manifest_error_github(err: &ManifestError, paths: &PathDisplay) -> String {
    let mut out = String::new();
    for (file, pos, message) in err.diagnostics() {
        match file {
            Some(file) => push_github_command(
                &mut out,
                "error",
                &paths.show(&file),
                pos.map(|p| p.line),
                "vaultrot: invalid secrets manifest",
                &message,
            ),
            None => {
                let _ = writeln!(out, "::error title=vaultrot::{}", github_data(&message));
            }
        }
    }
    out
}
