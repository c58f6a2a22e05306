//! A scan report in each `--format`: a table for people, `json`, `sarif`
//! (GitHub code scanning and most CI dashboards), `github` workflow
//! annotations. Renderers return text; they never print or pick exit codes.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::ScanReport;
use super::finding::{Finding, short};
use super::ignorefile::FILE_NAME;
use super::values::Generation;
use crate::report::{github_data, github_property};

/// `vaultrot scan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ScanFormat {
    /// Aligned columns for people, then the commands to run.
    #[default]
    Table,
    /// One JSON document.
    Json,
    /// SARIF 2.1.0 (upload to GitHub code scanning).
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...,line=...::`).
    Github,
}

pub fn render(report: &ScanReport, format: ScanFormat) -> String {
    match format {
        ScanFormat::Table => table(report),
        ScanFormat::Json => json_doc(report),
        ScanFormat::Sarif => sarif(report),
        ScanFormat::Github => github(report),
    }
}

fn headline(report: &ScanReport) -> String {
    let c = &report.coverage;
    let searched = format!(
        "{} current and {} previous values from {}; {}, {} searched",
        c.current_values,
        c.previous_values,
        plural(c.vault_files, "vault file", "vault files"),
        plural(c.files, "file", "files"),
        plural(c.blobs, "git blob", "git blobs"),
    );
    let mut secrets: Vec<&str> = report.findings.iter().map(|f| f.secret.as_str()).collect();
    secrets.sort_unstable();
    secrets.dedup();
    if report.findings.is_empty() {
        format!("vaultrot scan: no vaulted value found ({searched})")
    } else {
        format!(
            "vaultrot scan: {} {} of {} {} ({searched})",
            report.findings.len(),
            if report.findings.len() == 1 {
                "leak"
            } else {
                "leaks"
            },
            secrets.len(),
            if secrets.len() == 1 {
                "secret"
            } else {
                "secrets"
            },
        )
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn table(report: &ScanReport) -> String {
    let mut out = headline(report);
    out.push('\n');
    if !report.findings.is_empty() {
        let header = [
            "SECRET",
            "VALUE",
            "SOURCE",
            "WHERE",
            "ENCODING",
            "INTRODUCED",
            "FINGERPRINT",
        ];
        let rows: Vec<[String; 7]> = report
            .findings
            .iter()
            .map(|f| {
                let mut place = f.location();
                if f.reachable == Some(false) {
                    place.push_str(" (unreachable)");
                }
                [
                    f.secret.clone(),
                    f.value.as_str().to_string(),
                    f.source.as_str().to_string(),
                    place,
                    f.encoding.as_str().to_string(),
                    f.introduced.as_deref().map_or("-", short).to_string(),
                    f.fingerprint.clone(),
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        out.push('\n');
        let line = |cells: Vec<&str>| -> String {
            let mut s = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    s.push_str(cell);
                } else {
                    let _ = write!(s, "{cell:<w$}  ");
                }
            }
            s.push('\n');
            s
        };
        out.push_str(&line(header.to_vec()));
        for row in &rows {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
    }
    if !report.unscannable.is_empty() {
        out.push_str("\nNot searched for:\n");
        for u in &report.unscannable {
            let _ = writeln!(
                out,
                "  {} ({} value, {}): {}",
                u.name,
                u.generation.as_str(),
                u.vault_file.display(),
                u.reason
            );
        }
    }
    if report.coverage.old_vault_versions_unopened > 0 {
        let _ = writeln!(
            out,
            "\n{} old vault versions in history do not open with this password: their values were not searched for.",
            report.coverage.old_vault_versions_unopened
        );
    }
    if report.accepted > 0 {
        let _ = writeln!(
            out,
            "\n{} findings accepted by {FILE_NAME}.",
            report.accepted
        );
    }
    let commands = report.rotate_commands();
    if !commands.is_empty() {
        out.push_str("\nRotate the exposed values now:\n");
        for c in commands {
            let _ = writeln!(out, "  {c}");
        }
    }
    if report
        .findings
        .iter()
        .any(|f| f.value == Generation::Previous)
    {
        out.push_str("\nA previous value leaked: make sure it was revoked where it was issued.\n");
    }
    if !report.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nAccept a known finding in {FILE_NAME}: `fingerprint FP -- reason` or `path GLOB -- reason`."
        );
    }
    out
}

fn json_doc(report: &ScanReport) -> String {
    let doc = json!({
        "findings": report.findings,
        "accepted": report.accepted,
        "unscannable": report.unscannable,
        "coverage": report.coverage,
        "rotate": report.rotate_commands(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

const RULE_CURRENT: &str = "vaultrot/leaked-vault-value";
const RULE_PREVIOUS: &str = "vaultrot/leaked-previous-vault-value";

fn message(f: &Finding) -> String {
    let mut text = format!(
        "{} ({} value, from {}) found {}",
        f.secret,
        f.value.as_str(),
        f.vault_file,
        match f.encoding {
            super::Encoding::Raw => "in clear".to_string(),
            e => format!("{e}"),
        }
    );
    if let Some(commit) = &f.commit {
        let _ = write!(text, " in commit {}", short(commit));
    }
    if f.reachable == Some(false) {
        text.push_str(" (no ref reaches it any more)");
    }
    text
}

/// A path as a relative URI reference: every byte outside the unreserved set (and `/`) escaped.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn sarif(report: &ScanReport) -> String {
    let rule = |id: &str, name: &str, short_text: &str, level: &str| {
        json!({
            "id": id,
            "name": name,
            "shortDescription": { "text": short_text },
            "fullDescription": { "text": "vaultrot decrypts the vault and looks for each exact value, raw and encoded; a match is the value itself, not a guess." },
            "help": { "text": "Rotate the secret (`vaultrot rotate NAME --compromised`), revoke the old value where it was issued, then remove it from the file or history. Accept a known finding in .vaultrot-scan-ignore." },
            "defaultConfiguration": { "level": level },
        })
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let (rule_id, level) = match f.value {
                Generation::Current => (RULE_CURRENT, "error"),
                Generation::Previous => (RULE_PREVIOUS, "warning"),
            };
            let mut result = json!({
                "ruleId": rule_id,
                "level": level,
                "message": { "text": message(f) },
                "partialFingerprints": {
                    "vaultrotFingerprint/v1": format!("{}:{}:{}", f.fingerprint, f.encoding, f.path),
                },
                "properties": {
                    "secret": f.secret,
                    "value": f.value,
                    "vaultFile": f.vault_file,
                    "source": f.source,
                    "encoding": f.encoding,
                    "commit": f.commit,
                    "introduced": f.introduced,
                    "reachable": f.reachable,
                    "fingerprint": f.fingerprint,
                },
            });
            if f.reachable != Some(false) {
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&f.path) },
                        "region": { "startLine": f.line },
                    }
                }]);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vaultrot",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": [
                        rule(RULE_CURRENT, "LeakedVaultValue", "A value held in the vault appears outside it", "error"),
                        rule(RULE_PREVIOUS, "LeakedPreviousVaultValue", "A value the vault held before appears outside it", "warning"),
                    ],
                }
            },
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn github(report: &ScanReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let level = match f.value {
            Generation::Current => "error",
            Generation::Previous => "warning",
        };
        let _ = writeln!(
            out,
            "::{level} file={},line={},title={}::{}",
            github_property(&f.path),
            f.line,
            github_property("vaultrot scan: leaked vault value"),
            github_data(&message(f))
        );
    }
    for c in report.rotate_commands() {
        let _ = writeln!(
            out,
            "::notice title=vaultrot scan::{}",
            github_data(&format!("run: {c}"))
        );
    }
    let _ = writeln!(out, "{}", headline(report));
    out
}
