//! Writing to the terminal: stdout that survives a closed pipe, the pager
//! for `view` on a terminal, colour/tty checks, and one report made of the
//! reports of several manifests (`check-age`, `lint` on a repository with
//! one inventory per environment).

use std::io::{self, IsTerminal, Write};
use std::process::{Command, Stdio};

use serde_json::{Map, Value};

use super::error::{CliError, CliResult};
use crate::report::Format;

/// Writes bytes to stdout; a closed pipe ends the command quietly.
pub fn write_stdout(data: &[u8]) -> CliResult {
    let mut out = io::stdout().lock();
    out.write_all(data)
        .and_then(|_| out.flush())
        .map_err(map_stdout_error)
}

pub fn map_stdout_error(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::broken_pipe()
    } else {
        CliError::error(format!("cannot write to stdout: {e}"))
    }
}

pub fn stdout_is_tty() -> bool {
    io::stdout().is_terminal()
}

/// Shows text through the pager on a terminal (ansible: `less` with
/// `LESS=FRSX`), else writes it to stdout.
pub fn page(data: &[u8], pager: &str) -> CliResult {
    if !stdout_is_tty() {
        return write_stdout(data);
    }
    let Some(argv) = shlex::split(pager).filter(|a| !a.is_empty()) else {
        return write_stdout(data);
    };
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .env(
            "LESS",
            std::env::var("LESS").unwrap_or_else(|_| "FRSX".to_string()),
        )
        .stdin(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        return write_stdout(data);
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The user quitting the pager early closes the pipe: not an error.
        let _ = stdin.write_all(data);
    }
    let _ = child.wait();
    Ok(())
}

/// A progress bar on a terminal for long work; hidden in CI and pipes.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    if len < 2 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

/// One manifest's rendered report, labelled with the manifest as shown.
pub struct Section {
    pub manifest: String,
    pub text: String,
}

/// Several manifests' reports as one document of `format`: sections headed
/// by their manifest for people, one JSON document (every secret or finding
/// gains a `manifest` field, counts are summed), one JUnit document.
pub fn combine(format: Format, sections: &[Section]) -> String {
    match sections {
        [] => String::new(),
        [only] => only.text.clone(),
        _ => match format {
            Format::Table => sections
                .iter()
                .map(|s| format!("==> {} <==\n{}", s.manifest, s.text))
                .collect::<Vec<_>>()
                .join("\n"),
            Format::Markdown => sections
                .iter()
                .map(|s| format!("## `{}`\n\n{}", s.manifest, s.text))
                .collect::<Vec<_>>()
                .join("\n"),
            Format::Github => sections
                .iter()
                .flat_map(|s| {
                    s.text
                        .lines()
                        .map(move |line| match line.starts_with("::") {
                            true => format!("{line}\n"),
                            false => format!("{}: {line}\n", s.manifest),
                        })
                })
                .collect(),
            Format::Json => combine_json(sections),
            Format::Junit => combine_junit(sections),
        },
    }
}

/// One JSON document for several reports (each secret or finding already
/// names its manifest): `manifests` lists them, arrays are concatenated,
/// counts summed, booleans or'ed, other values taken from the first report.
/// One report is passed through as it is.
fn combine_json(sections: &[Section]) -> String {
    if let [only] = sections {
        return only.text.clone();
    }
    let mut merged = Map::new();
    let manifests = sections
        .iter()
        .map(|s| Value::String(s.manifest.clone()))
        .collect();
    merged.insert("manifests".into(), Value::Array(manifests));
    for section in sections {
        let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(&section.text) else {
            continue;
        };
        for (key, value) in doc {
            if key == "manifest" {
                continue;
            }
            match merged.get_mut(&key) {
                None => {
                    merged.insert(key, value);
                }
                Some(into) => merge_value(into, value),
            }
        }
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(merged)).unwrap_or_default();
    text.push('\n');
    text
}

fn merge_value(into: &mut Value, value: Value) {
    match (into, value) {
        (Value::Array(a), Value::Array(b)) => a.extend(b),
        (Value::Bool(a), Value::Bool(b)) => *a |= b,
        (Value::Number(a), Value::Number(b)) => {
            if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
                *a = (x + y).into();
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in b {
                match a.get_mut(&key) {
                    Some(into) => merge_value(into, value),
                    None => {
                        a.insert(key, value);
                    }
                }
            }
        }
        _ => {}
    }
}

/// One `<testsuites>` holding each report's `<testsuite>`, counts summed.
fn combine_junit(sections: &[Section]) -> String {
    const COUNTS: [&str; 4] = ["tests", "failures", "errors", "skipped"];
    let mut totals = [0u64; 4];
    let mut name = String::new();
    let mut suites = String::new();
    for section in sections {
        let mut lines = section.text.lines();
        for line in lines.by_ref() {
            if let Some(attrs) = line.strip_prefix("<testsuites ") {
                if name.is_empty() {
                    name = attribute(attrs, "name").unwrap_or_default().to_string();
                }
                for (total, count) in totals.iter_mut().zip(COUNTS) {
                    *total += attribute(attrs, count)
                        .and_then(|n| n.parse::<u64>().ok())
                        .unwrap_or(0);
                }
                break;
            }
        }
        for line in lines {
            if line == "</testsuites>" {
                break;
            }
            suites.push_str(line);
            suites.push('\n');
        }
    }
    let counts: Vec<String> = COUNTS
        .iter()
        .zip(totals)
        .map(|(count, total)| format!("{count}=\"{total}\""))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{name}\" {}>\n{suites}</testsuites>\n",
        counts.join(" ")
    )
}

/// The value of `name="..."` in an XML start tag's attributes (already escaped).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let start = attrs
        .find(&format!(" {name}=\""))
        .map(|i| i + 1)
        .or_else(|| attrs.starts_with(&format!("{name}=\"")).then_some(0))?;
    let rest = &attrs[start + name.len() + 2..];
    rest.find('"').map(|end| &rest[..end])
}
