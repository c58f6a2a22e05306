//! `git diff` in a freshly cloned repository must not run what that
//! repository's `ansible.cfg` names: with the README's textconv set-up,
//! `vaultrot textconv` uses only the user's own password sources unless the
//! user trusts the repository.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{clean_command, vaultrot};
use vaultrot::vault::{self, SaltSource, VaultSecret};
use zeroize::Zeroizing;

const PASSWORD: &str = "repo-pass";

fn git(cwd: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    let out = clean_command(Path::new("git"), cwd)
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn vault_file(plain: &str) -> String {
    let secret = VaultSecret::new("default", Zeroizing::new(PASSWORD.as_bytes().to_vec()));
    vault::encrypt(plain.as_bytes(), &secret, &SaltSource::Random).unwrap()
}

/// A repository whose ansible.cfg names a password script that leaves a
/// marker file when it runs, with two versions of a vault file; cloned.
fn cloned_repo(base: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let home = base.join("home");
    let origin = base.join("origin");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(origin.join("group_vars/all")).unwrap();
    let marker = base.join("EVIL_RAN");
    let script = origin.join("pass.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\necho {PASSWORD}\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        origin.join("ansible.cfg"),
        "[defaults]\nvault_password_file = pass.sh\n",
    )
    .unwrap();
    std::fs::write(
        origin.join(".gitattributes"),
        "group_vars/**/vault.yml diff=vaultrot\n",
    )
    .unwrap();
    let vault = origin.join("group_vars/all/vault.yml");
    git(&origin, &home, &["init", "-q"]);
    std::fs::write(&vault, vault_file("vault_db: first-value\n")).unwrap();
    git(&origin, &home, &["add", "-A"]);
    git(&origin, &home, &["commit", "-qm", "one"]);
    std::fs::write(&vault, vault_file("vault_db: second-value\n")).unwrap();
    git(&origin, &home, &["commit", "-qam", "two"]);
    let clone = base.join("clone");
    git(
        base,
        &home,
        &[
            "clone",
            "-q",
            origin.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    // The README's set-up, once per clone.
    let textconv = format!("{} textconv", vaultrot().display());
    git(
        &clone,
        &home,
        &["config", "diff.vaultrot.textconv", &textconv],
    );
    (clone, home)
}

fn diff(clone: &Path, home: &Path, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd: Command = clean_command(Path::new("git"), clone);
    cmd.env("HOME", home).env("GIT_CONFIG_NOSYSTEM", "1").args([
        "diff",
        "--no-color",
        "HEAD~1",
        "HEAD",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn git_diff_in_a_clone_does_not_run_the_repository_password_script() {
    let dir = tempfile::tempdir().unwrap();
    let (clone, home) = cloned_repo(dir.path());
    let marker = dir.path().join("EVIL_RAN");

    let (out, err) = diff(&clone, &home, &[]);
    assert!(!marker.exists(), "git diff ran the repository's script");
    assert!(!out.contains("second-value"), "{out}");
    assert!(out.contains("$ANSIBLE_VAULT;1.1;AES256"), "{out}");
    assert!(
        err.contains("not using vault_password_file from")
            && err.contains("VAULTROT_TRUST_REPO_CONFIG=1"),
        "{err}"
    );

    // The user's own password sources still work, and still run nothing of the repo's.
    let own = home.join("my-pass");
    std::fs::write(&own, format!("{PASSWORD}\n")).unwrap();
    let (out, _) = diff(
        &clone,
        &home,
        &[("ANSIBLE_VAULT_PASSWORD_FILE", own.to_str().unwrap())],
    );
    assert!(!marker.exists(), "git diff ran the repository's script");
    assert!(
        out.contains("-vault_db: first-value") && out.contains("+vault_db: second-value"),
        "{out}"
    );
}

#[test]
fn a_trusted_repository_uses_its_own_ansible_cfg() {
    let dir = tempfile::tempdir().unwrap();
    let (clone, home) = cloned_repo(dir.path());
    let marker = dir.path().join("EVIL_RAN");

    let (out, err) = diff(&clone, &home, &[("VAULTROT_TRUST_REPO_CONFIG", "1")]);
    assert!(
        marker.exists(),
        "the opted-in repository's script did not run"
    );
    assert!(out.contains("+vault_db: second-value"), "{out}");
    assert!(!err.contains("not using"), "{err}");

    std::fs::remove_file(&marker).unwrap();
    std::fs::create_dir_all(home.join(".config/vaultrot")).unwrap();
    std::fs::write(
        home.join(".config/vaultrot/trusted"),
        format!("# repositories I trust\n{}\n", clone.display()),
    )
    .unwrap();
    let (out, _) = diff(&clone, &home, &[]);
    assert!(
        marker.exists(),
        "the listed repository's script did not run"
    );
    assert!(out.contains("+vault_db: second-value"), "{out}");
}
