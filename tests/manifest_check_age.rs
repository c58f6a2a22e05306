//! `vaultrot check-age` end to end: every format byte for byte against the
//! committed golden files, exit codes, flags, discovery.
//!
//! Regenerate the golden files after an intended change with
//! `VAULTROT_UPDATE_GOLDEN=1 cargo test --test manifest_check_age`.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

const INFRA_MANIFEST: &str = "infra/group_vars/all/_secrets_manifest.yml";
const EDGE_CASES: &str = "tests/fixtures/manifest/edge_cases.yml";

fn vaultrot() -> Command {
    let mut cmd = Command::cargo_bin("vaultrot").unwrap();
    cmd.env_remove("VAULTROT_NOW")
        .env_remove("VAULTROT_MANIFEST")
        .env_remove("NO_COLOR");
    cmd
}

/// Compares with `tests/fixtures/manifest/golden/NAME` byte for byte.
fn golden(name: &str, actual: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/manifest/golden")
        .join(name);
    if std::env::var_os("VAULTROT_UPDATE_GOLDEN").is_some() {
        fs::write(&path, actual).unwrap();
    }
    let expected = fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}; run with VAULTROT_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert!(
        actual == expected,
        "{name} differs from its golden file:\n--- expected\n{}\n--- actual\n{}",
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(actual)
    );
}

fn check_age(manifest: &str, extra: &[&str]) -> std::process::Output {
    vaultrot()
        .args(["check-age", "--manifest", manifest, "--now", "2026-11-23"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn every_format_matches_its_golden_file() {
    let formats = [
        ("table", "txt"),
        ("json", "json"),
        ("github", "txt"),
        ("junit", "xml"),
        ("markdown", "md"),
    ];
    for (manifest, stem) in [(INFRA_MANIFEST, "infra"), (EDGE_CASES, "edge_cases")] {
        for (format, ext) in formats {
            let out = check_age(manifest, &["--format", format]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{stem} {format}: an overdue secret fails"
            );
            assert!(
                out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            golden(&format!("check_age_{stem}_{format}.{ext}"), &out.stdout);
        }
    }
}

#[test]
fn output_is_uncoloured_when_not_a_terminal() {
    let out = check_age(INFRA_MANIFEST, &[]);
    assert!(!out.stdout.contains(&b'\x1b'));
}

#[test]
fn json_follows_the_documented_schema() {
    let out = check_age(INFRA_MANIFEST, &["--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["generated"], "2026-11-23");
    assert_eq!(doc["manifest"], INFRA_MANIFEST);
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 12);
    for secret in secrets {
        for key in [
            "name",
            "policy",
            "owner",
            "last_rotation",
            "age_days",
            "max_age_days",
            "due",
            "status",
        ] {
            assert!(secret.get(key).is_some(), "{key} missing from {secret}");
        }
    }
    let api = secrets
        .iter()
        .find(|s| s["name"] == "vault_api_token")
        .unwrap();
    assert_eq!(api["status"], "overdue");
    assert_eq!(api["last_rotation"], "2026-04-02");
    assert_eq!(api["due"], "2026-10-02");
    assert_eq!(api["age_days"], 235);
    assert_eq!(api["max_age_days"], 183);
    let summary = doc["summary"].as_object().unwrap();
    let total: u64 = summary.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 12);
    assert_eq!(summary.len(), 6, "every status is counted, zeros included");
}

#[test]
fn exit_code_follows_the_fail_level() {
    // Only secrets that are due soon: pass by default, fail with --fail-on due_soon.
    let slack = [
        "--secret",
        "vault_slack_bot_token",
        "vault_postgres_password",
    ];
    assert_eq!(check_age(INFRA_MANIFEST, &slack).status.code(), Some(0));
    let mut strict = slack.to_vec();
    strict.extend(["--fail-on", "due_soon"]);
    assert_eq!(check_age(INFRA_MANIFEST, &strict).status.code(), Some(1));
    // never_rotated counts as overdue.
    let discord = ["--secret", "vault_discord_bot_token"];
    assert_eq!(check_age(INFRA_MANIFEST, &discord).status.code(), Some(1));
    // A rotation open within its window fails nothing, even with due_soon.
    let nats = ["--secret", "vault_nats_password", "--fail-on", "due_soon"];
    assert_eq!(check_age(INFRA_MANIFEST, &nats).status.code(), Some(0));
    // ... but open longer than warn_before it is due_soon-level.
    let stuck = ["--secret", "vault_stuck_rotation"];
    assert_eq!(check_age(EDGE_CASES, &stuck).status.code(), Some(0));
    let stuck = ["--secret", "vault_stuck_rotation", "--fail-on", "due_soon"];
    assert_eq!(check_age(EDGE_CASES, &stuck).status.code(), Some(1));
    // Past the due date an open rotation fails the gate like any overdue secret.
    let late = ["--secret", "vault_overdue_rotation"];
    assert_eq!(check_age(EDGE_CASES, &late).status.code(), Some(1));
}

#[test]
fn an_open_rotation_past_its_due_date_is_shown_open_and_overdue() {
    let out = check_age(
        EDGE_CASES,
        &["--secret", "vault_overdue_rotation", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["failing"], true);
    let secret = &doc["secrets"][0];
    assert_eq!(secret["status"], "rotation_open");
    assert_eq!(secret["overdue"], true);
    assert_eq!(secret["fails"], true);
    assert_eq!(secret["rotation"]["id"], "r-20261120T090000Z-0002");
    let table = check_age(EDGE_CASES, &["--secret", "vault_overdue_rotation"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("rotation_open"), "{text}");
    assert!(text.contains("overdue: 53 days overdue"), "{text}");
    assert!(text.contains("1 rotation open (1 overdue)"), "{text}");
}

#[test]
fn filters_select_secrets() {
    let names = |out: std::process::Output| -> Vec<String> {
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_string())
            .collect()
    };
    let both = check_age(
        INFRA_MANIFEST,
        &[
            "--format",
            "json",
            "--secret",
            "vault_webhook_secret",
            "--secret",
            "vault_api_token",
        ],
    );
    assert_eq!(names(both), ["vault_api_token", "vault_webhook_secret"]);
    let bots = check_age(
        INFRA_MANIFEST,
        &["--format", "json", "--owner", "bots-team"],
    );
    let bots = names(bots);
    assert_eq!(bots.len(), 5);
    assert!(
        bots.iter()
            .all(|n| n.contains("bot") || n.contains("slack")),
        "{bots:?}"
    );
}

#[test]
fn warn_widens_or_narrows_the_window() {
    let status = |warn: &str| {
        let out = check_age(
            INFRA_MANIFEST,
            &[
                "--format",
                "json",
                "--secret",
                "vault_signalwire_pat",
                "--warn",
                warn,
            ],
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["secrets"][0]["status"].as_str().unwrap().to_string()
    };
    // Due 2026-12-30, 37 days after 2026-11-23.
    assert_eq!(status("36"), "ok");
    assert_eq!(status("37"), "due_soon");
}

#[test]
fn now_comes_from_the_flag_then_vaultrot_now() {
    let generated = |cmd: &mut Command| {
        let out = cmd.output().unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["generated"].as_str().unwrap().to_string()
    };
    let base = [
        "check-age",
        "--manifest",
        INFRA_MANIFEST,
        "--format",
        "json",
    ];
    assert_eq!(
        generated(vaultrot().args(base).env("VAULTROT_NOW", "2027-01-01")),
        "2027-01-01"
    );
    assert_eq!(
        generated(
            vaultrot()
                .args(base)
                .args(["--now", "2026-11-23"])
                .env("VAULTROT_NOW", "2027-01-01")
        ),
        "2026-11-23"
    );
}

#[test]
fn usage_and_manifest_errors_exit_2() {
    /// Arguments, an environment variable, what stderr must say.
    type Case<'a> = (&'a [&'a str], Option<(&'a str, &'a str)>, &'a str);
    let cases: &[Case] = &[
        (&["--now", "2026-02-30"], None, "not a date on the calendar"),
        (&["--now", "tomorrow"], None, "expected YYYY-MM-DD"),
        (&["--fail-on", "never"], None, "invalid value 'never'"),
        (&["--format", "xml"], None, "invalid value 'xml'"),
        (
            &["--warn=-3"],
            None,
            "invalid value '-3' for '--warn <DAYS>'",
        ),
        (
            &["--secret", "vault_nope"],
            None,
            "--secret vault_nope: no such secret in infra/group_vars/all/_secrets_manifest.yml",
        ),
        (
            &["--owner", "nobody"],
            None,
            "--owner nobody: no secret has this owner; owners in the manifest: backend-team, bots-team, platform-team",
        ),
        (
            &[],
            Some(("VAULTROT_NOW", "soon")),
            "VAULTROT_NOW: `soon` is not a date",
        ),
    ];
    for (args, env, message) in cases {
        let mut cmd = vaultrot();
        cmd.args(["check-age", "--manifest", INFRA_MANIFEST])
            .args(*args);
        if let Some((key, value)) = env {
            cmd.env(key, value);
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

const SMALL: &str = "secrets_manifest:\n  version: 1\n  secrets:\n    vault_a: { max_age: 1y, last_rotation: 2026-06-01 }\n";

#[test]
fn a_bad_manifest_exits_2_with_file_line_and_column() {
    let dir = tree(&[(
        "infra/group_vars/all/_secrets_manifest.yml",
        "secrets_manifest:\n  version: 1\n  secrets:\n    vault_a: { max_age: 1y, last_rotaton: 2026-06-01 }\n",
    )]);
    let out = vaultrot()
        .current_dir(dir.path())
        .args(["check-age", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr,
        "vaultrot: error: infra/group_vars/all/_secrets_manifest.yml:4:29: unknown field `last_rotaton`, expected one of policy, max_age, warn_before, strategy, min_window, auto, last_rotation, owner, description, vault, generate, derived_from, deploy, verify, revoke, notify, rotation, history\n"
    );
    // In CI the typo is annotated on the line itself.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("::error file=infra/group_vars/all/_secrets_manifest.yml,line=4,title=vaultrot%3A invalid secrets manifest::unknown field `last_rotaton`"),
        "{stdout}"
    );
}

#[test]
fn discovery_finds_the_single_manifest_below_the_current_directory() {
    let dir = tree(&[
        ("deploy/infra/group_vars/all/_secrets_manifest.yml", SMALL),
        (
            "target/debug/group_vars/all/_secrets_manifest.yml",
            "not: [valid",
        ),
        (".git/x/group_vars/all/_secrets_manifest.yml", "not: [valid"),
        (
            "node_modules/x/group_vars/all/_secrets_manifest.yml",
            "not: [valid",
        ),
    ]);
    let out = vaultrot()
        .current_dir(dir.path())
        .args(["check-age", "--now", "2026-11-23", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["manifest"],
        "deploy/infra/group_vars/all/_secrets_manifest.yml"
    );

    // VAULTROT_MANIFEST wins over the search, --manifest over both.
    let elsewhere = dir.path().join("elsewhere.yml");
    fs::write(&elsewhere, SMALL.replace("vault_a", "vault_b")).unwrap();
    let out = vaultrot()
        .current_dir(dir.path())
        .env("VAULTROT_MANIFEST", &elsewhere)
        .args(["check-age", "--now", "2026-11-23", "--format", "json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["secrets"][0]["name"], "vault_b");
    let out = vaultrot()
        .current_dir(dir.path())
        .env("VAULTROT_MANIFEST", &elsewhere)
        .args(["check-age", "--now", "2026-11-23", "--format", "json"])
        .args([
            "--manifest",
            "deploy/infra/group_vars/all/_secrets_manifest.yml",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["secrets"][0]["name"], "vault_a");
}

#[test]
fn discovery_takes_every_manifest_below_the_root() {
    let two = tree(&[
        ("a/group_vars/all/_secrets_manifest.yml", SMALL),
        ("b/group_vars/all/_secrets_manifest.yml", SMALL),
    ]);
    let out = vaultrot()
        .current_dir(two.path())
        .args(["check-age", "--now", "2026-11-23"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("==> a/group_vars/all/_secrets_manifest.yml <==")
            && stdout.contains("==> b/group_vars/all/_secrets_manifest.yml <=="),
        "{stdout}"
    );

    let none = tree(&[("README.md", "")]);
    let out = vaultrot()
        .current_dir(none.path())
        .arg("check-age")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no secrets manifest found below"),
        "{stderr}"
    );
    assert!(stderr.contains("--manifest PATH"), "{stderr}");
}

#[test]
fn a_missing_manifest_file_exits_2() {
    let out = check_age("nope/_secrets_manifest.yml", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("vaultrot: error: cannot read manifest nope/_secrets_manifest.yml: ")
    );
}

#[test]
fn an_empty_selection_passes() {
    let dir = tree(&[("m.yml", "secrets_manifest:\n  version: 1\n")]);
    let out = vaultrot()
        .current_dir(dir.path())
        .args(["check-age", "--manifest", "m.yml", "--now", "2026-11-23"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "0 secrets as of 2026-11-23\n"
    );
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_ci_wrapper_annotates_writes_the_summary_and_passes_the_exit_code() {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new("bash")
            .arg(repo().join("scripts/check_secrets_age.sh"))
            .args(args)
            .current_dir(repo())
            .env("VAULTROT", assert_cmd::cargo::cargo_bin("vaultrot"))
            .env("GITHUB_STEP_SUMMARY", summary.path())
            .env("VAULTROT_NOW", "2026-11-23")
            .env_remove("VAULTROT_MANIFEST")
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("::error file=infra/group_vars/all/_secrets_manifest.yml,line="),
        "{stdout}"
    );
    let written = fs::read_to_string(summary.path()).unwrap();
    assert!(
        written.starts_with("### Secret rotation: :x: 2 secrets"),
        "{written}"
    );

    let out = run(&["--secret", "vault_webhook_secret"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&["--manifest", "nope.yml"]);
    assert_eq!(out.status.code(), Some(2));
}
