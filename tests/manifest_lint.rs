//! `vaultrot lint`: each consistency check on a small tree built per test,
//! the example infra, exit codes, and every format against golden files.
//!
//! Regenerate the golden files after an intended change with
//! `VAULTROT_UPDATE_GOLDEN=1 cargo test --test manifest_lint`.

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use vaultrot::manifest::Manifest;
use vaultrot::manifest::lint::{Check, LintReport, Severity, lint};
use vaultrot::vault::{self, SaltSource, VaultSecret};
use zeroize::Zeroizing;

const PASSWORD: &str = "lint-test-password";

fn secret(password: &str) -> VaultSecret {
    VaultSecret::new("default", Zeroizing::new(password.as_bytes().to_vec()))
}

fn encrypted(plaintext: &str) -> String {
    vault::encrypt(plaintext.as_bytes(), &secret(PASSWORD), &SaltSource::Random).unwrap()
}

const MANIFEST: &str = "\
secrets_manifest:
  version: 1
  defaults:
    vault: group_vars/all/vault.yml
    inventory: inventory/staging.yml
  policies:
    api_token: { max_age: 6mo }
  secrets:
    vault_a:
      policy: api_token
      last_rotation: 2026-06-01
      deploy:
        - playbook: playbooks/deploy.yml
      verify:
        - playbook: playbooks/verify.yml
      rotation: { id: r-1, phase: dual, started: 2026-11-20T10:00:00Z }
    vault_b:
      policy: api_token
      last_rotation: 2026-06-01
      deploy:
        - playbook: playbooks/deploy.yml
          inventory: inventory/staging.yml
      generate: { command: scripts/mint.sh --length 40 }
      verify: [{run: 'true'}]
    vault_c:
      policy: api_token
      verify: {skip: true, reason: nothing can check it}
      revoke: [{manual: Revoke it by hand}]
";

// Values of at least 6 bytes: shorter ones draw a warning (they cannot be scrubbed).
const VAULT: &str =
    "vault_a: old-value\nvault_a_new: new-value\nvault_b: b-value\nvault_c: c-value\n";

/// A consistent tree; `edit` changes it before the test looks.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new() -> Tree {
        let tree = Tree {
            dir: tempfile::tempdir().unwrap(),
        };
        tree.write(
            "ansible.cfg",
            "[defaults]\ninventory = inventory/staging.yml\n",
        );
        tree.write("inventory/staging.yml", "all:\n  hosts:\n    localhost:\n");
        tree.write("playbooks/deploy.yml", "- hosts: all\n  tasks: []\n");
        tree.write("playbooks/verify.yml", "- hosts: all\n  tasks: []\n");
        tree.write("scripts/mint.sh", "#!/bin/sh\n");
        tree.write("group_vars/all/_secrets_manifest.yml", MANIFEST);
        tree.write("group_vars/all/vault.yml", &encrypted(VAULT));
        tree.write("password.txt", &format!("{PASSWORD}\n"));
        tree
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn edit_manifest(&self, from: &str, to: &str) {
        let text = fs::read_to_string(self.path("group_vars/all/_secrets_manifest.yml")).unwrap();
        assert!(text.contains(from), "{from:?} not in the manifest");
        self.write(
            "group_vars/all/_secrets_manifest.yml",
            &text.replacen(from, to, 1),
        );
    }

    fn lint(&self, password: Option<&str>) -> LintReport {
        let manifest = Manifest::load(&self.path("group_vars/all/_secrets_manifest.yml")).unwrap();
        let secrets = password.map(|p| [secret(p)]);
        lint(&manifest, secrets.as_ref().map(|s| &s[..]))
    }

    fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::cargo_bin("vaultrot")
            .unwrap()
            .current_dir(self.dir.path())
            .env_remove("VAULTROT_MANIFEST")
            .env_remove("NO_COLOR")
            .arg("lint")
            .args(args)
            .output()
            .unwrap()
    }
}

/// `(severity, check, message)` of every finding.
fn findings(report: &LintReport) -> Vec<(Severity, Check, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.severity, f.check, f.message.clone()))
        .collect()
}

#[test]
fn a_consistent_tree_passes() {
    let tree = Tree::new();
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(findings(&report), []);
    assert!(!report.failing());
    assert_eq!(report.secrets, 3);
    let out = tree.cli(&["--vault-password-file", "password.txt"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "lint: ok (3 secrets, 1 vault file)\n"
    );
}

#[test]
fn without_a_password_the_key_check_is_skipped_with_a_notice() {
    let tree = Tree::new();
    let report = tree.lint(None);
    assert_eq!(report.skipped, [Check::VaultKeys]);
    assert_eq!(
        findings(&report),
        [(
            Severity::Notice,
            Check::VaultKeys,
            "vault keys not compared with the manifest: no vault password given (use --vault-id or --vault-password-file)".to_string()
        )]
    );
    let out = tree.cli(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "group_vars/all/_secrets_manifest.yml: notice: vault keys not compared with the manifest: no vault password given (use --vault-id or --vault-password-file) [vault_keys]\nlint: ok (3 secrets, 1 vault file; skipped: vault_keys)\n"
    );
}

#[test]
fn a_plaintext_vault_is_an_error() {
    let tree = Tree::new();
    tree.write("group_vars/all/vault.yml", VAULT);
    // Even without a password: a plaintext vault needs none to be read.
    let report = tree.lint(None);
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::Encrypted,
            "vault file group_vars/all/vault.yml is not encrypted: 4 secret values in plaintext; encrypt it (vaultrot encrypt group_vars/all/vault.yml)".to_string()
        )]
    );
    assert!(report.skipped.is_empty(), "its keys were compared");
    let out = tree.cli(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(
        "group_vars/all/vault.yml:1:1: error: vault file group_vars/all/vault.yml is not encrypted"
    ));
}

#[test]
fn inline_vault_values_count_as_encrypted_but_a_plain_value_among_them_does_not() {
    let tree = Tree::new();
    let inline = "vault_a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nvault_a_new: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nvault_b: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nvault_c: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n";
    tree.write("group_vars/all/vault.yml", inline);
    assert_eq!(findings(&tree.lint(None)), []);
    tree.write(
        "group_vars/all/vault.yml",
        &inline.replace(
            "vault_b: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\n",
            "vault_b: hunter2\n",
        ),
    );
    let report = tree.lint(None);
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::Encrypted,
            "`vault_b` is in plaintext in vault file group_vars/all/vault.yml; encrypt the value (vaultrot encrypt-string) or the file".to_string()
        )]
    );
    assert_eq!(report.findings[0].pos.unwrap().line, 7);
}

#[test]
fn a_plaintext_vault_file_the_manifest_does_not_name_is_an_error() {
    let tree = Tree::new();
    tree.write("host_vars/web1/vault.yml", "vault_web_token: abc\n");
    tree.write("host_vars/web1/vars.yml", "web_port: 8080\n");
    tree.write("group_vars/db/vault_extra.yaml", &encrypted("x: 1\n"));
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::Encrypted,
            "host_vars/web1/vault.yml is named like a vault file but is not encrypted; encrypt it (vaultrot encrypt host_vars/web1/vault.yml)".to_string()
        )]
    );
}

#[test]
fn an_orphan_new_key_is_an_error() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&format!("{VAULT}vault_b_new: next-value\n")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::NewKeys,
            "`vault_b_new` in vault group_vars/all/vault.yml but no rotation of `vault_b` is open; finish or abort it, or remove `vault_b_new`".to_string()
        )]
    );
    assert_eq!(report.findings[0].secret.as_deref(), Some("vault_b"));
    // vault_a_new is fine: vault_a has an open rotation.
    assert_eq!(
        tree.cli(&["--vault-password-file", "password.txt"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn an_open_dual_rotation_without_its_new_key_is_a_warning() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&VAULT.replace("vault_a_new: new-value\n", "")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Warning,
            Check::NewKeys,
            "rotation r-1 of `vault_a` is in phase dual but `vault_a_new` is missing from vault group_vars/all/vault.yml".to_string()
        )]
    );
    assert!(!report.failing());
}

#[test]
fn a_vault_key_missing_from_the_manifest_is_an_error() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&format!("{VAULT}vault_forgotten: x\n")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::VaultKeys,
            "`vault_forgotten` is in vault group_vars/all/vault.yml but not listed in the manifest; add it under secrets_manifest.secrets".to_string()
        )]
    );
}

#[test]
fn a_secret_missing_from_its_vault_is_an_error_at_its_manifest_line() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&VAULT.replace("vault_c: c-value\n", "")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::VaultKeys,
            "secret `vault_c` is listed in the manifest but missing from vault group_vars/all/vault.yml".to_string()
        )]
    );
    let finding = &report.findings[0];
    assert!(
        finding
            .file
            .ends_with("group_vars/all/_secrets_manifest.yml")
    );
    assert_eq!(finding.pos.unwrap().line, 25);
}

#[test]
fn a_secret_kept_in_another_vault_is_named() {
    let tree = Tree::new();
    tree.edit_manifest(
        "    vault_c:\n      policy: api_token\n",
        "    vault_c:\n      policy: api_token\n      vault: group_vars/all/vault_c.yml\n",
    );
    tree.write(
        "group_vars/all/vault_c.yml",
        &encrypted("vault_c: c-value\n"),
    );
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::VaultKeys,
            "`vault_c` is in vault group_vars/all/vault.yml but the manifest keeps it in group_vars/all/vault_c.yml".to_string()
        )]
    );
    assert_eq!(report.vault_files.len(), 2);
}

#[test]
fn missing_playbooks_inventories_scripts_and_vaults_are_errors() {
    let tree = Tree::new();
    fs::remove_file(tree.path("playbooks/verify.yml")).unwrap();
    fs::remove_file(tree.path("scripts/mint.sh")).unwrap();
    tree.edit_manifest(
        "          inventory: inventory/staging.yml\n",
        "          inventory: inventory/prod.yml\n",
    );
    let report = tree.lint(Some(PASSWORD));
    let files: Vec<_> = findings(&report)
        .into_iter()
        .map(|(s, c, m)| {
            assert_eq!((s, c), (Severity::Error, Check::Files));
            m
        })
        .collect();
    assert_eq!(
        files,
        [
            "playbook playbooks/verify.yml (verify of `vault_a`) does not exist under the infra root",
            "generate.command scripts/mint.sh of `vault_b` does not exist under the infra root",
            "inventory inventory/prod.yml (deploy of `vault_b`) does not exist under the infra root",
        ]
    );
    // Sorted by line: the verify step, vault_b's key, its deploy step.
    let lines: Vec<u32> = report
        .findings
        .iter()
        .map(|f| f.pos.unwrap().line)
        .collect();
    assert_eq!(lines, [15, 17, 21]);

    fs::remove_file(tree.path("inventory/staging.yml")).unwrap();
    fs::remove_file(tree.path("group_vars/all/vault.yml")).unwrap();
    let report = tree.lint(Some(PASSWORD));
    let messages: Vec<String> = findings(&report).into_iter().map(|(_, _, m)| m).collect();
    assert!(
        messages.contains(
            &"defaults.inventory inventory/staging.yml does not exist under the infra root"
                .to_string()
        ),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("vault file group_vars/all/vault.yml (of `vault_a`, `vault_b`, `vault_c`) cannot be read: ")),
        "{messages:?}"
    );
}

#[test]
fn a_wrong_password_is_an_error() {
    let tree = Tree::new();
    let report = tree.lint(Some("not-the-password"));
    assert_eq!(
        findings(&report),
        [(
            Severity::Error,
            Check::VaultKeys,
            "cannot open vault group_vars/all/vault.yml: Decryption failed (no vault secrets were found that could decrypt).".to_string()
        )]
    );
}

#[test]
fn a_bad_manifest_exits_2() {
    let tree = Tree::new();
    tree.edit_manifest(
        "policy: api_token\n      last_rotation: 2026-06-01\n      deploy",
        "policy: api_tokens\n      last_rotation: 2026-06-01\n      deploy",
    );
    let out = tree.cli(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "vaultrot: error: group_vars/all/_secrets_manifest.yml:10:15: unknown policy `api_tokens` for secret `vault_a`; expected one of: api_token\n"
    );
}

#[test]
fn every_format_matches_its_golden_file() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &format!("{VAULT}vault_b_new: next-value\nvault_forgotten: x\n")
            .replace("vault_c: c-value\n", ""),
    );
    fs::remove_file(tree.path("playbooks/verify.yml")).unwrap();
    tree.write("host_vars/web1/vault.yml", "token: \"a,b:c\"\n");
    let formats = [
        ("table", "txt"),
        ("json", "json"),
        ("github", "txt"),
        ("junit", "xml"),
        ("markdown", "md"),
    ];
    for (format, ext) in formats {
        let out = tree.cli(&["--format", format]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        golden(&format!("lint_{format}.{ext}"), &out.stdout);
    }
}

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

/// Copies `from` into `to` (symlinks copied as links).
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_example_infra_passes_lint_with_the_demo_password() {
    let dir = tempfile::tempdir().unwrap();
    let infra = dir.path().join("infra");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("infra"), &infra);
    // The Redis playbooks are written separately; stand in for them if absent.
    for playbook in ["playbooks/deploy_redis.yml", "playbooks/verify_redis.yml"] {
        let path = infra.join(playbook);
        if !path.exists() {
            fs::write(path, "- hosts: redis\n  gather_facts: false\n  tasks: []\n").unwrap();
        }
    }
    let run = |args: &[&str]| {
        Command::cargo_bin("vaultrot")
            .unwrap()
            .current_dir(dir.path())
            .env_remove("VAULTROT_MANIFEST")
            .arg("lint")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "--vault-password-file",
        "infra/DEMO-ONLY-vault-password.txt",
    ]);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (Some(0), "lint: ok (12 secrets, 1 vault file)\n")
    );
    // Without flags the infra's own ansible.cfg (vault_password_file) gives the password.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "lint: ok (12 secrets, 1 vault file)\n"
    );
    // With no password anywhere, the vault-key check is skipped with a notice.
    let cfg = infra.join("ansible.cfg");
    let text = fs::read_to_string(&cfg).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("vault_password_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&cfg, without).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped: vault_keys"));
}

#[test]
fn a_secret_too_short_to_be_scrubbed_is_a_warning() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&VAULT.replace("vault_b: b-value\n", "vault_b: b1234\n")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert!(!report.failing());
    assert_eq!(
        findings(&report),
        [(
            Severity::Warning,
            Check::VaultKeys,
            "`vault_b` is shorter than 6 bytes: too short to be scrubbed from output, so a playbook that prints it shows it in clear; use a longer value".to_string()
        )]
    );
    assert_eq!(report.findings[0].secret.as_deref(), Some("vault_b"));
}

#[test]
fn a_secret_without_verify_or_a_way_to_retire_its_old_value_is_a_warning() {
    let tree = Tree::new();
    tree.edit_manifest(
        "      verify: {skip: true, reason: nothing can check it}\n",
        "",
    );
    tree.edit_manifest("      revoke: [{manual: Revoke it by hand}]\n", "");
    let report = tree.lint(Some(PASSWORD));
    assert_eq!(
        findings(&report),
        [
            (
                Severity::Warning,
                Check::Steps,
                "`vault_c` has no verify step: start, finish and rotate refuse it until it has one or says `verify: {skip: true, reason: WHY}`".to_string()
            ),
            (
                Severity::Warning,
                Check::Steps,
                "`vault_c` (strategy dual) has neither revoke nor deploy steps: after finish nothing stops the old value from working".to_string()
            ),
        ]
    );
}

#[test]
fn an_orphan_previous_key_is_an_error() {
    let tree = Tree::new();
    tree.write(
        "group_vars/all/vault.yml",
        &encrypted(&format!("{VAULT}vault_b_previous: old\n")),
    );
    let report = tree.lint(Some(PASSWORD));
    assert!(
        findings(&report)
            .iter()
            .any(|(s, c, m)| *s == Severity::Error
                && *c == Check::NewKeys
                && m.contains("`vault_b_previous` in vault")),
        "{:?}",
        findings(&report)
    );
}

#[test]
fn auto_on_a_secret_vaultrot_cannot_make_a_value_for_is_an_error() {
    let tree = Tree::new();
    tree.edit_manifest(
        "api_token: { max_age: 6mo }",
        "api_token: { max_age: 6mo, auto: true }",
    );
    tree.edit_manifest(
        "      verify: [{run: 'true'}]\n",
        "      verify: [{run: 'true'}]\n    vault_d:\n      policy: api_token\n      auto: false\n      verify: [{run: 'true'}]\n    vault_e:\n      policy: api_token\n      generate: { length: 20 }\n      verify: [{run: 'true'}]\n      revoke: [{manual: Kill the old key in the console}]\n",
    );
    let report = tree.lint(Some(PASSWORD));
    let auto: Vec<(Severity, Option<String>)> = report
        .findings
        .iter()
        .filter(|f| f.message.contains("auto: true"))
        .map(|f| (f.severity, f.secret.clone()))
        .collect();
    // In file order. vault_b mints its value and vault_d opts out; vault_e has a manual step.
    assert_eq!(
        auto,
        [
            (Severity::Error, Some("vault_a".to_string())),
            (Severity::Error, Some("vault_e".to_string())),
            (Severity::Error, Some("vault_c".to_string())),
        ],
        "{:?}",
        findings(&report)
    );
    let manual = report
        .findings
        .iter()
        .find(|f| f.secret.as_deref() == Some("vault_e") && f.message.contains("auto"))
        .unwrap();
    assert!(manual.message.contains("manual step"), "{}", manual.message);
}
