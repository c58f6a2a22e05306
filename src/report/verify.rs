//! Output of `vaultrot verify` (drift per secret) in every `--format`,
//! following the check-age conventions: the same columns style, JSON shape,
//! GitHub annotations on the manifest line, JUnit test cases, Markdown badges.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Format, Style, md_cell, plural, push_github_command, xml};

/// One secret's line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyRow {
    pub secret: String,
    /// `ok`, `drift`, `unverifiable`, `skipped`, or after `--repair`
    /// `repaired`, `repair_failed`, `repair_refused`.
    pub status: &'static str,
    pub owner: Option<String>,
    /// Why (steps, commands; never a value).
    pub detail: String,
    /// Fails the gate (exit 1).
    #[serde(skip)]
    pub fails: bool,
    /// The manifest line of the secret.
    #[serde(skip)]
    pub line: u32,
}

/// The whole `verify` result of one manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub manifest: String,
    pub rows: Vec<VerifyRow>,
}

impl VerifyReport {
    pub fn failing(&self) -> usize {
        self.rows.iter().filter(|r| r.fails).count()
    }

    /// `4 secrets: 2 ok, 1 drift, 1 unverifiable`
    pub fn summary(&self) -> String {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for row in &self.rows {
            match counts.iter_mut().find(|(s, _)| *s == row.status) {
                Some((_, n)) => *n += 1,
                None => counts.push((row.status, 1)),
            }
        }
        let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let head = plural(self.rows.len(), "secret", "secrets");
        if parts.is_empty() {
            head
        } else {
            format!("{head}: {}", parts.join(", "))
        }
    }
}

pub fn render_verify(report: &VerifyReport, format: Format, style: Style) -> String {
    match format {
        Format::Table => table(report, style),
        Format::Json => json(report),
        Format::Github => github(report),
        Format::Junit => junit(report),
        Format::Markdown => markdown(report),
    }
}

fn color(status: &str) -> &'static str {
    match status {
        "ok" | "repaired" => "\x1b[32m",
        "drift" | "repair_failed" => "\x1b[31m",
        "repair_refused" | "unverifiable" => "\x1b[33m",
        _ => "\x1b[2m",
    }
}

fn table(report: &VerifyReport, style: Style) -> String {
    let width = |f: fn(&VerifyRow) -> usize, head: &str| {
        report.rows.iter().map(f).max().unwrap_or(0).max(head.len())
    };
    let w_secret = width(|r| r.secret.chars().count(), "SECRET");
    let w_status = width(|r| r.status.len(), "STATUS");
    let w_owner = width(
        |r| r.owner.as_deref().unwrap_or("-").chars().count(),
        "OWNER",
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:w_secret$}  {:w_status$}  {:w_owner$}  DETAIL",
        "SECRET", "STATUS", "OWNER"
    );
    for row in &report.rows {
        let status = format!("{:w_status$}", row.status);
        let status = if style.color {
            format!("{}{status}\x1b[0m", color(row.status))
        } else {
            status
        };
        let _ = writeln!(
            out,
            "{:w_secret$}  {status}  {:w_owner$}  {}",
            row.secret,
            row.owner.as_deref().unwrap_or("-"),
            row.detail
        );
    }
    let _ = writeln!(out, "\n{}", report.summary());
    out
}

fn json(report: &VerifyReport) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        manifest: &'a str,
        failing: usize,
        summary: String,
        secrets: &'a [VerifyRow],
    }
    let doc = Doc {
        manifest: &report.manifest,
        failing: report.failing(),
        summary: report.summary(),
        secrets: &report.rows,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn github(report: &VerifyReport) -> String {
    let mut out = String::new();
    for row in &report.rows {
        let kind = match row.status {
            _ if row.fails => "error",
            "unverifiable" | "repair_refused" => "warning",
            "skipped" | "repaired" => "notice",
            _ => continue,
        };
        push_github_command(
            &mut out,
            kind,
            &report.manifest,
            Some(row.line),
            &format!("{} {}", row.secret, row.status),
            &row.detail,
        );
    }
    out.push_str(&report.summary());
    out.push('\n');
    out
}

fn junit(report: &VerifyReport) -> String {
    let tests = report.rows.len();
    let failures = report.failing();
    let skipped = report
        .rows
        .iter()
        .filter(|r| !r.fails && matches!(r.status, "skipped" | "unverifiable"))
        .count();
    let counts =
        format!("tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\"");
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<testsuites name=\"vaultrot verify\" {counts}>");
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" {counts}>",
        xml(&report.manifest)
    );
    for row in &report.rows {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"verify\" file=\"{}\" line=\"{}\"",
            xml(&row.secret),
            xml(&report.manifest),
            row.line
        );
        let detail = xml(&row.detail);
        if row.fails {
            let _ = writeln!(
                out,
                ">\n      <failure type=\"{}\" message=\"{detail}\"/>\n    </testcase>",
                row.status
            );
        } else if matches!(row.status, "skipped" | "unverifiable") {
            let _ = writeln!(
                out,
                ">\n      <skipped message=\"{}: {detail}\"/>\n    </testcase>",
                row.status
            );
        } else {
            let _ = writeln!(
                out,
                ">\n      <system-out>{}: {detail}</system-out>\n    </testcase>",
                row.status
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn badge(row: &VerifyRow) -> &'static str {
    match row.status {
        _ if row.fails => ":red_circle:",
        "ok" | "repaired" => ":green_circle:",
        "unverifiable" | "repair_refused" => ":yellow_circle:",
        _ => ":white_circle:",
    }
}

fn markdown(report: &VerifyReport) -> String {
    let failing = report.failing();
    let verdict = if failing > 0 {
        format!(":x: {} drifted", plural(failing, "secret", "secrets"))
    } else {
        ":white_check_mark: no drift".to_string()
    };
    let mut out = String::new();
    let _ = writeln!(out, "### Secret verification: {verdict}\n");
    let _ = writeln!(
        out,
        "{}.  \nManifest: `{}`\n",
        report.summary(),
        md_cell(&report.manifest)
    );
    if report.rows.is_empty() {
        return out;
    }
    out.push_str("| Secret | Status | Owner | Detail |\n|---|---|---|---|\n");
    for row in &report.rows {
        let _ = writeln!(
            out,
            "| `{}` | {} {} | {} | {} |",
            md_cell(&row.secret),
            badge(row),
            row.status,
            md_cell(row.owner.as_deref().unwrap_or("-")),
            md_cell(&row.detail)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> VerifyReport {
        let row = |secret: &str, status: &'static str, fails: bool| VerifyRow {
            secret: secret.into(),
            status,
            owner: Some("platform".into()),
            detail: "verify step failed: playbooks/verify_redis.yml".into(),
            fails,
            line: 7,
        };
        VerifyReport {
            manifest: "group_vars/all/_secrets_manifest.yml".into(),
            rows: vec![
                row("vault_redis_password", "drift", true),
                row("vault_api_token", "ok", false),
                row("vault_bot", "skipped", false),
            ],
        }
    }

    #[test]
    fn every_format_names_the_drifted_secret() {
        let r = report();
        assert_eq!(r.summary(), "3 secrets: 1 drift, 1 ok, 1 skipped");
        let gh = render_verify(&r, Format::Github, Style::default());
        assert!(gh.starts_with(
            "::error file=group_vars/all/_secrets_manifest.yml,line=7,title=vault_redis_password drift::"
        ), "{gh}");
        assert!(!gh.contains("vault_api_token"), "{gh}");
        let junit = render_verify(&r, Format::Junit, Style::default());
        assert!(
            junit.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{junit}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render_verify(&r, Format::Json, Style::default())).unwrap();
        assert_eq!(json["failing"], 1);
        assert_eq!(json["secrets"][0]["status"], "drift");
        let md = render_verify(&r, Format::Markdown, Style::default());
        assert!(
            md.contains("| `vault_redis_password` | :red_circle: drift |"),
            "{md}"
        );
        let table = render_verify(&r, Format::Table, Style::default());
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .starts_with("vault_redis_password  drift "),
            "{table}"
        );
    }
}
