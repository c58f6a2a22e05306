//! The files a rotation writes beside the vault, with the real binary and
//! plain `run:` steps: a vault write that fails after its backup removes that
//! backup (the file system refuses the write: RLIMIT_FSIZE, as a full disk
//! would, even for root), a new CHANGELOG.md gets the mode any new file gets,
//! and the message about a backup says what it holds.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{clean_command, vaultrot};

const PASSWORD: &str = "rotation-writes-pw";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const VAULT: &str = "group_vars/all/vault.yml";
const VARS: &str = "group_vars/all/vars.yml";

fn manifest() -> String {
    let secret = |name: &str, vault: &str| {
        format!(
            "    {name}:\n      vault: {vault}\n      policy: p\n      last_rotation: 2026-01-01\n      deploy:\n        - run: 'true'\n      verify:\n        - run: 'true'\n"
        )
    };
    format!(
        "secrets_manifest:\n  version: 1\n  defaults:\n    changelog: CHANGELOG.md\n  policies:\n    p: {{ max_age: 6mo }}\n  secrets:\n{}{}",
        secret("vault_a", VAULT),
        secret("vault_b", VARS)
    )
}

struct Infra {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Infra {
    fn new() -> Infra {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("infra");
        fs::create_dir_all(root.join("group_vars/all")).unwrap();
        fs::write(tmp.path().join("pw"), PASSWORD).unwrap();
        fs::write(
            root.join("ansible.cfg"),
            format!(
                "[defaults]\nvault_password_file = {}\n",
                tmp.path().join("pw").display()
            ),
        )
        .unwrap();
        fs::write(root.join(MANIFEST), manifest()).unwrap();
        // Large enough that the backup of the vault is bigger than any manifest write.
        let padding: String = (0..100).map(|i| format!("setting_{i}: {i}\n")).collect();
        fs::write(root.join(VAULT), format!("vault_a: old-a\n{padding}")).unwrap();
        let infra = Infra { _tmp: tmp, root };
        infra.ok(&["encrypt", VAULT]);
        infra.ok(&["set", "--create", "--inline", VARS, "vault_b", "old-b"]);
        infra
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = clean_command(&vaultrot(), &self.root);
        cmd.args(args)
            .env("VAULTROT_NOW", "2026-11-29T10:00:00Z")
            .env("VAULTROT_USER", "tester")
            .stdin(Stdio::null());
        cmd
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(out.status.success(), "vaultrot {args:?}: {}", show(&out));
        out
    }

    fn backups(&self) -> Vec<String> {
        let dir = self.root.join(".vaultrot/backups");
        fs::read_dir(&dir)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn show(out: &Output) -> String {
    format!(
        "{:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn size(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

#[test]
fn a_failed_vault_write_removes_the_backup_it_just_made() {
    let infra = Infra::new();
    let vault = infra.root.join(VAULT);
    let before = fs::read(&vault).unwrap();
    assert!(size(&infra.root.join(MANIFEST)) * 2 < before.len() as u64);
    // Files up to the vault's size can be written (the backup, the manifest's
    // records); the vault with `vault_a_new` added cannot: EFBIG, like a full disk.
    let limit = before.len() as libc::rlim_t;
    let mut cmd = infra.command(&["start", "vault_a"]);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let cap = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            if libc::setrlimit(libc::RLIMIT_FSIZE, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("too large"),
        "the write failed as intended: {stderr}"
    );
    assert_eq!(fs::read(&vault).unwrap(), before, "the vault is as it was");
    assert_eq!(
        infra.backups(),
        Vec::<String>::new(),
        "the vault still holds what the backup held: no backup kept"
    );
    let temps: Vec<_> = fs::read_dir(vault.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".vaultrot-") && n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

#[test]
fn a_new_changelog_gets_the_usual_mode_and_backups_say_what_they_hold() {
    let infra = Infra::new();
    let changelog = infra.root.join("CHANGELOG.md");
    assert!(!changelog.exists());
    let mut cmd = infra.command(&["start", "vault_a"]);
    // SAFETY: umask is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        fs::metadata(&changelog).unwrap().permissions().mode() & 0o777,
        0o644,
        "CHANGELOG.md holds no secret: the mode any new file gets"
    );
    assert!(
        stderr.contains("(previous ciphertext kept in"),
        "a whole-file vault's backup is its ciphertext: {stderr}"
    );
    let out = infra.ok(&["start", "vault_b"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("(previous version kept in") && !stderr.contains("ciphertext kept"),
        "a vars file's backup holds its plain settings too: {stderr}"
    );
}
