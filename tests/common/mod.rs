//! Shared by the integration tests: where the real ansible tools are.
//! The test command (`scripts/test.sh`) installs them; a test that needs one
//! and cannot find it fails loudly instead of skipping.
#![allow(dead_code)]

pub mod infra;
pub mod nats;
pub mod planner;
pub mod postgres;
pub mod redis;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository's root (where `infra/` and `playbooks/` are).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Bytes a command printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A command's status and both of its outputs, for an assertion message.
pub fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// Whether `needle` occurs in `haystack` (bytes that need not be UTF-8).
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A YAML single-quoted scalar.
pub fn yaml_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// The project-local virtualenv's bin directory (or `VAULTROT_ANSIBLE_BIN`).
pub fn ansible_bin_dir() -> PathBuf {
    std::env::var_os("VAULTROT_ANSIBLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin"))
}

/// Path to a real ansible tool, e.g. `ansible("ansible-vault")`.
pub fn ansible(tool: &str) -> PathBuf {
    let path = ansible_bin_dir().join(tool);
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh (it installs ansible-core into .venv) or set VAULTROT_ANSIBLE_BIN",
        path.display()
    );
    path
}

/// The vaultrot binary under test.
pub fn vaultrot() -> PathBuf {
    assert_cmd::cargo::cargo_bin!("vaultrot").to_path_buf()
}

/// Environment variables that would change which secrets either tool loads.
pub const VAULT_ENV: &[&str] = &[
    "ANSIBLE_VAULT_PASSWORD_FILE",
    "ANSIBLE_VAULT_IDENTITY_LIST",
    "ANSIBLE_VAULT_IDENTITY",
    "ANSIBLE_VAULT_ID_MATCH",
    "ANSIBLE_VAULT_ENCRYPT_IDENTITY",
    "ANSIBLE_VAULT_ENCRYPT_SALT",
    "ANSIBLE_ASK_VAULT_PASS",
    "ANSIBLE_CONFIG",
    "VAULTROT_AGE_IDENTITY",
];

/// A command with a clean vault environment, run from `cwd` (so no stray ansible.cfg).
pub fn clean_command(program: &Path, cwd: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    for var in VAULT_ENV {
        cmd.env_remove(var);
    }
    cmd.env("HOME", cwd)
        .env("ANSIBLE_LOCAL_TEMP", cwd.join(".ansible-tmp"))
        .current_dir(cwd);
    cmd
}

/// A command run in a test infra as an operator would run it: a clean vault
/// environment, the real ansible tools first on PATH, HOME in the test's own
/// directory, no colours, `VAULTROT_NOW` and `VAULTROT_USER` pinned, no stdin.
pub fn infra_command(
    program: &Path,
    root: &Path,
    home: &Path,
    now: &str,
    args: &[&str],
) -> Command {
    let mut cmd = Command::new(program);
    for var in VAULT_ENV {
        cmd.env_remove(var);
    }
    for var in [
        "VAULTROT_MANIFEST",
        "VAULTROT_CRASH_AFTER",
        "VAULTROT_ANSIBLE_PLAYBOOK",
        "ANSIBLE_ROLES_PATH",
    ] {
        cmd.env_remove(var);
    }
    let mut path = OsString::from(ansible_bin_dir());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    cmd.args(args)
        .current_dir(root)
        .env("PATH", path)
        .env("HOME", home)
        .env("ANSIBLE_LOCAL_TEMP", home.join(".ansible/tmp"))
        .env("NO_COLOR", "1")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("VAULTROT_USER", "tester")
        .env("VAULTROT_NOW", now)
        .stdin(Stdio::null());
    cmd
}
