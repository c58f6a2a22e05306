//! The nightly job end to end, with the real `vaultrot` binary and the real
//! `ansible-playbook`: derived secrets (a bot token minted from the bot's
//! password by a mint command that "logs in" to a fake homeserver kept in
//! files), rotated with their source and minted again by `verify --repair`.
//!
//! Every byte vaultrot prints is recorded and checked for secret values, and
//! so is what the mint command saw in its argv and environment.

mod common;

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use tempfile::TempDir;
use vaultrot::manifest::{HistoryEvent, Manifest};

const VAULT_PASSWORD: &str = "nightly-vault-pw-Hq27sLx";
const NOW: &str = "2026-03-15T10:00:00Z";
const TODAY: &str = "2026-03-15";
const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const OLD_PASSWORD: &str = "old-bot-Pw-8c1e55d2a9";
const OLD_TOKEN: &str = "tok-initial-5b0f7e";

const MANIFEST_TEXT: &str = r#"secrets_manifest:
  version: 1
  defaults:
    vault: group_vars/all/vault.yml
    inventory: inventory.yml
    changelog: CHANGELOG.md
  policies:
    bot: { max_age: 6mo }
  secrets:
    vault_bot_password:
      policy: bot
      last_rotation: 2025-06-01
      owner: chat
      generate: { length: 24, charset: alnum }
      deploy:
        - playbook: playbooks/deploy_bot.yml
      verify:
        - run: test -s deployed/bot_password
    # Minted from the password: a login at the homeserver issues it.
    vault_bot_token:
      policy: bot
      last_rotation: 2025-06-01
      owner: chat
      derived_from: vault_bot_password
      generate: { command: scripts/mint_token.sh }
      deploy:
        - playbook: playbooks/deploy_bot.yml
      verify:
        - run: grep -qxF "$(cat deployed/bot_token)" server/tokens
"#;

const DEPLOY: &str = r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: the bot's password
      ansible.builtin.copy:
        content: "{{ vault_bot_password_new | default(vault_bot_password) }}"
        dest: "{{ playbook_dir }}/../deployed/bot_password"
        mode: "0600"
    - name: the bot's token
      ansible.builtin.copy:
        content: "{{ vault_bot_token_new | default(vault_bot_token) }}"
        dest: "{{ playbook_dir }}/../deployed/bot_token"
        mode: "0600"
"#;

/// The "homeserver login": the password on stdin, a new valid token on stdout.
/// It keeps a hash of each password it was given, and what it saw in argv
/// and environment, for the test to check.
const MINT: &str = r#"#!/bin/sh
set -eu
printf '%s\n' "$*" >> server/mint.argv
env >> server/mint.env
IFS= read -r pw
hash=$(printf %s "$pw" | sha256sum | cut -c1-16)
token="tok-$hash-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
echo "$hash" >> server/logins
echo "$token" >> server/tokens
printf '%s\n' "$token"
"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    )
}

fn sha16(value: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(value.as_bytes());
    digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..16]
        .to_string()
}

struct Infra {
    root: PathBuf,
    home: PathBuf,
    printed: Mutex<Vec<u8>>,
    _tmp: TempDir,
}

impl Infra {
    fn new() -> Infra {
        let tmp = TempDir::new().unwrap();
        let root = tmp.path().join("infra");
        let home = tmp.path().join("home");
        let password_file = tmp.path().join("vault-pass.txt");
        fs::write(&password_file, format!("{VAULT_PASSWORD}\n")).unwrap();
        for dir in [
            "group_vars/all",
            "playbooks",
            "deployed",
            "server",
            "scripts",
        ] {
            fs::create_dir_all(root.join(dir)).unwrap();
        }
        fs::create_dir_all(home.join(".ansible/tmp")).unwrap();
        fs::write(
            root.join("ansible.cfg"),
            format!(
                "[defaults]\ninventory = inventory.yml\nvault_password_file = {}\nretry_files_enabled = False\n",
                password_file.display()
            ),
        )
        .unwrap();
        fs::write(
            root.join("inventory.yml"),
            "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n",
        )
        .unwrap();
        fs::write(root.join("playbooks/deploy_bot.yml"), DEPLOY).unwrap();
        let mint = root.join("scripts/mint_token.sh");
        fs::write(&mint, MINT).unwrap();
        fs::set_permissions(&mint, fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(root.join(MANIFEST), MANIFEST_TEXT).unwrap();
        fs::write(
            root.join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n",
        )
        .unwrap();
        fs::write(root.join("server/tokens"), format!("{OLD_TOKEN}\n")).unwrap();
        fs::write(
            root.join(VAULT),
            format!("vault_bot_password: {OLD_PASSWORD}\nvault_bot_token: {OLD_TOKEN}\n"),
        )
        .unwrap();
        let infra = Infra {
            root,
            home,
            printed: Mutex::new(Vec::new()),
            _tmp: tmp,
        };
        infra.ok(&["encrypt", VAULT]);
        infra
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(common::vaultrot());
        for var in common::VAULT_ENV {
            cmd.env_remove(var);
        }
        for var in [
            "VAULTROT_MANIFEST",
            "VAULTROT_CRASH_AFTER",
            "VAULTROT_ANSIBLE_PLAYBOOK",
        ] {
            cmd.env_remove(var);
        }
        let mut path = OsString::from(common::ansible_bin_dir());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        cmd.args(args)
            .current_dir(&self.root)
            .env("PATH", path)
            .env("HOME", &self.home)
            .env("ANSIBLE_LOCAL_TEMP", self.home.join(".ansible/tmp"))
            .env("NO_COLOR", "1")
            .env("ANSIBLE_NOCOLOR", "1")
            .env("VAULTROT_USER", "tester")
            .env("VAULTROT_NOW", NOW)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        let mut printed = self.printed.lock().unwrap();
        printed.extend_from_slice(&out.stdout);
        printed.extend_from_slice(&out.stderr);
        out
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(out.status.success(), "vaultrot {args:?}:\n{}", show(&out));
        out
    }

    /// A vault value (`get` is not recorded: it was asked for the value).
    fn get(&self, key: &str) -> Option<String> {
        let out = self.command(&["get", VAULT, key]).output().unwrap();
        out.status
            .success()
            .then(|| text(&out.stdout).trim_end_matches('\n').to_string())
    }

    fn value(&self, key: &str) -> String {
        self.get(key)
            .unwrap_or_else(|| panic!("no `{key}` in the vault"))
    }

    fn read(&self, file: &str) -> String {
        fs::read_to_string(self.root.join(file)).unwrap_or_default()
    }

    fn manifest(&self) -> Manifest {
        Manifest::load(&self.root.join(MANIFEST)).unwrap()
    }

    /// Nothing vaultrot printed, and nothing the mint command was given in
    /// argv or environment, holds any of `values`.
    fn assert_no_leak(&self, values: &[String]) {
        let printed = text(&self.printed.lock().unwrap());
        let argv = self.read("server/mint.argv");
        let env = self.read("server/mint.env");
        let manifest = self.read(MANIFEST);
        let changelog = self.read("CHANGELOG.md");
        for value in values {
            assert!(!value.is_empty());
            for (what, haystack) in [
                ("output", &printed),
                ("mint argv", &argv),
                ("mint environment", &env),
                ("manifest", &manifest),
                ("changelog", &changelog),
            ] {
                assert!(
                    !haystack.contains(value.as_str()),
                    "a value leaked into the {what}"
                );
            }
        }
    }
}

#[test]
fn a_derived_token_rotates_with_its_password_and_repair_mints_it_again() {
    let infra = Infra::new();

    // Starting the password stages a token minted from the NEW password.
    let out = infra.ok(&["start", "vault_bot_password"]);
    assert!(
        text(&out.stderr).contains("`vault_bot_token` is minted from `vault_bot_password`"),
        "{}",
        show(&out)
    );
    let new_password = infra.value("vault_bot_password_new");
    let new_token = infra.value("vault_bot_token_new");
    assert_ne!(new_token, OLD_TOKEN);
    let logins = infra.read("server/logins");
    assert_eq!(logins.lines().collect::<Vec<_>>(), [sha16(&new_password)]);
    assert_eq!(infra.read("deployed/bot_token"), new_token);
    let m = infra.manifest();
    for name in ["vault_bot_password", "vault_bot_token"] {
        let r = m.secret(name).unwrap().rotation.as_ref().expect("open");
        assert_eq!(r.group, ["vault_bot_password", "vault_bot_token"]);
    }

    // Finishing the password promotes both and records both as rotated.
    infra.ok(&["finish", "vault_bot_password"]);
    assert_eq!(infra.value("vault_bot_password"), new_password);
    assert_eq!(infra.value("vault_bot_token"), new_token);
    assert_eq!(infra.get("vault_bot_token_previous"), None);
    let m = infra.manifest();
    for name in ["vault_bot_password", "vault_bot_token"] {
        let s = m.secret(name).unwrap();
        assert!(s.rotation.is_none());
        assert_eq!(s.last_rotation.unwrap().to_string(), TODAY);
        assert_eq!(s.history.last().unwrap().event, HistoryEvent::Finished);
    }
    let changelog = infra.read("CHANGELOG.md");
    assert!(
        changelog.contains("`vault_bot_token`") && changelog.contains("`vault_bot_password`"),
        "{changelog}"
    );

    // The token is logged out at the homeserver: drift for it alone.
    fs::write(infra.root.join("server/tokens"), "").unwrap();
    let out = infra.run(&["verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let table = text(&out.stdout);
    assert!(table.contains("vault_bot_token     drift"), "{table}");
    assert!(table.contains("vault_bot_password  ok"), "{table}");

    // Redeploying the dead token would heal nothing: repair mints a new one
    // from the password in the vault, stores it, deploys and verifies it.
    let out = infra.ok(&["verify", "--repair"]);
    let table = text(&out.stdout);
    assert!(table.contains("vault_bot_token     repaired"), "{table}");
    assert!(table.contains("minted again from its source"), "{table}");
    let healed = infra.value("vault_bot_token");
    assert_ne!(healed, new_token);
    assert_eq!(infra.read("deployed/bot_token"), healed);
    assert!(infra.read("server/tokens").contains(&healed));
    assert_eq!(
        infra.read("server/logins").lines().last(),
        Some(sha16(&new_password).as_str())
    );
    let token = infra.manifest().secret("vault_bot_token").unwrap().clone();
    assert_eq!(token.history.last().unwrap().event, HistoryEvent::Repaired);
    assert!(infra.read("CHANGELOG.md").contains("after drift"));

    infra.assert_no_leak(&[
        OLD_PASSWORD.to_string(),
        OLD_TOKEN.to_string(),
        new_password,
        new_token,
        healed,
    ]);
}
