//! Everyday use on real repository layouts: mixed vars files in lint,
//! manifests found upward and several at once, set/ls/edit on vars files,
//! `init` on a repository with history, completions, man page, the
//! `ansible-vault` symlink, and one error style.

mod common;

use std::fs;
use std::path::Path;
use std::process::Stdio;

use common::{clean_command, vaultrot};

const PASSWORD: &str = "everyday-password";

/// Runs `program` in `dir` with a clean vault environment: (exit code, stdout, stderr).
fn run(dir: &Path, program: &Path, args: &[&str]) -> (i32, String, String) {
    let out = clean_command(program, dir)
        .env_remove("VAULTROT_MANIFEST")
        .env_remove("VAULTROT_NOW")
        .env("NO_COLOR", "1")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn vr(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run(dir, &vaultrot(), args)
}

/// `vaultrot ARGS` that must succeed; its stdout.
fn vr_ok(dir: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = vr(dir, args);
    assert_eq!(code, 0, "vaultrot {args:?}: {stdout}{stderr}");
    stdout
}

fn write(dir: &Path, relative: &str, text: &str) {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn read(dir: &Path, relative: &str) -> String {
    fs::read_to_string(dir.join(relative)).unwrap()
}

/// An inline `!vault` value of `plaintext`, made by the real vaultrot.
fn inline_vault(dir: &Path, plaintext: &str) -> String {
    write(dir, "password.txt", &format!("{PASSWORD}\n"));
    let out = vr_ok(
        dir,
        &[
            "encrypt_string",
            "--vault-password-file",
            "password.txt",
            plaintext,
        ],
    );
    out.trim_start_matches("!vault |").to_string()
}

const MIXED_MANIFEST: &str = "\
secrets_manifest:
  version: 1
  defaults:
    vault: group_vars/all/vars.yml
  policies:
    api_token: { max_age: 6mo }
  secrets:
    vault_api_token:
      policy: api_token
      last_rotation: 2026-06-01
";

// ---- 1. lint: mixed vars files ------------------------------------------

#[test]
fn lint_accepts_a_mixed_vars_file_and_warns_on_plain_keys_named_like_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "ansible.cfg", "[defaults]\n");
    write(dir, "group_vars/all/_secrets_manifest.yml", MIXED_MANIFEST);
    let token = inline_vault(dir, "t0ken");
    write(
        dir,
        "group_vars/all/vars.yml",
        &format!("app_name: demo\nhttp_port: 8080\nvault_api_token: !vault |{token}"),
    );
    let (code, stdout, stderr) = vr(dir, &["lint", "--vault-password-file", "password.txt"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stdout.contains("error"), "{stdout}");

    write(
        dir,
        "group_vars/all/vars.yml",
        &format!(
            "app_name: demo\nsmtp_password: hunter2\nvault_api_token: !vault |{token}deploy_key: abc\n"
        ),
    );
    let (code, stdout, stderr) = vr(dir, &["lint", "--vault-password-file", "password.txt"]);
    assert_eq!(code, 0, "warnings do not fail lint: {stdout}{stderr}");
    assert!(
        stdout.contains(
            "group_vars/all/vars.yml:2:1: warning: `smtp_password` looks like a secret in plaintext"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("`deploy_key` looks like a secret in plaintext"),
        "{stdout}"
    );
    assert!(!stdout.contains("app_name"), "{stdout}");
}
