//! The guards around rotations, end to end with the real `vaultrot` binary
//! and the real `ansible-playbook`: child output scrubbed of every value in
//! every encoding a playbook prints, generated values Ansible will not
//! template, the lock file never followed through a symlink, and the vault
//! commands (`set`, `unset`, `edit`, `rekey`, `restore`) taking the manifest
//! lock and refusing to drop an open rotation's `_new`.
//!
//! Each test builds its own infra tree in a temp dir. Needs ansible-core
//! (`VAULTROT_ANSIBLE_BIN`, default `<repo>/.venv/bin`); without it the tests
//! fail, they never skip.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::infra::Skeleton;
use common::{contains, show, text, yaml_quoted};
use tempfile::TempDir;

const VAULT_PASSWORD: &str = "guard-vault-pw-Hq72xWm";
const NOW: &str = "2026-03-15T10:00:00Z";
const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const LOCK: &str = "group_vars/all/.vaultrot.lock";

/// Values with characters that JSON, URL and base64 encodings all change.
const OLD_API: &str = "old-Api/Key+with%chars&more=1?x~z";
const OLD_BOT: &str = "old-Bot:token/9f3a+Qw==&k";
const OLD_CHEAP: &str = "old-cheap-value-7Tq2";
/// Not rotated, but in the same vault file: scrubbed all the same.
const OTHER: &str = "other-Password#4471/b";
/// Nested in a mapping of the same vault file.
const NESTED: &str = "nested-Db-pass-8812/q";

const MANIFEST_TEXT: &str = r#"# Manifest of tests/rotation_guard.rs.
secrets_manifest:
  version: 1
  defaults:
    vault: group_vars/all/vault.yml
    inventory: inventory/staging.yml
    changelog: CHANGELOG.md
  policies:
    api_token: { max_age: 6mo }
    bot_token: { max_age: 12mo, strategy: swap }
  secrets:
    vault_api_key:
      policy: api_token
      last_rotation: 2025-06-01
      generate: { length: 40, charset: ascii }
      deploy:
        - playbook: playbooks/leaky.yml
      verify:
        - run: 'echo verified'
    vault_bot_token:
      policy: bot_token
      last_rotation: 2025-06-01
      generate: { length: 40, charset: ascii }
      deploy:
        - playbook: playbooks/leaky.yml
      verify:
        - run: 'echo verified'
    vault_cheap:
      policy: api_token
      last_rotation: 2025-06-01
      generate: { length: 32, charset: alnum }
      deploy:
        - run: 'echo "cheap-deploy $VAULTROT_PHASE"'
      verify:
        - run: 'echo "cheap-verify $VAULTROT_PHASE"'
"#;

/// A careless deploy playbook: prints every value, raw and encoded, and
/// with `LEAK_FAIL=1` fails printing them again (into the failure tail).
const LEAKY_PLAYBOOK: &str = r#"- name: Deploy carelessly
  hosts: all
  gather_facts: false
  vars:
    api_new: "{{ vault_api_key_new | default('none') }}"
  tasks:
    - ansible.builtin.debug:
        var: vault_api_key
    - ansible.builtin.debug:
        var: vault_api_key_new
    - ansible.builtin.debug:
        var: vault_db
    - ansible.builtin.debug:
        msg: "{{ vault_api_key }} {{ api_new }} {{ vault_bot_token }} {{ vault_other_password }}"
    - ansible.builtin.debug:
        msg: "{{ vault_api_key | b64encode }} {{ api_new | b64encode }} {{ vault_bot_token | b64encode }}"
    - ansible.builtin.debug:
        msg: "{{ ('a' ~ vault_api_key ~ 'z') | b64encode }} {{ ('ab' ~ api_new) | b64encode }} {{ ('a' ~ vault_bot_token) | b64encode }}"
    - ansible.builtin.debug:
        msg: "{{ vault_api_key | to_json }} {{ api_new | to_json }} {{ vault_bot_token | to_json }}"
    - ansible.builtin.debug:
        msg: "{{ vault_api_key | urlencode }} {{ api_new | urlencode }} {{ vault_bot_token | urlencode }}"
    - ansible.builtin.command:
        argv: [printf, "%s\\n%s\\n", "{{ vault_api_key }}", "{{ api_new }}"]
      changed_when: false
      register: printed
    - ansible.builtin.debug:
        var: printed.stdout_lines
    - ansible.builtin.fail:
        msg: "deploy failed with {{ vault_api_key }} / {{ api_new }} / {{ api_new | b64encode }} / {{ api_new | urlencode }}"
      when: lookup('ansible.builtin.env', 'LEAK_FAIL') == '1'
"#;

struct Infra {
    root: PathBuf,
    home: PathBuf,
    /// Everything the vaultrot commands printed, but `get`.
    printed: Vec<u8>,
    _tmp: TempDir,
}

impl Infra {
    fn new() -> Infra {
        let skeleton = Skeleton::new(
            VAULT_PASSWORD,
            &["inventory", "group_vars/all", "playbooks", "host_vars/web1"],
        );
        let root = &skeleton.root;
        skeleton.ansible_cfg("inventory/staging.yml", false);
        skeleton.inventory("inventory/staging.yml", "");
        skeleton.link_group_vars();
        fs::write(root.join("playbooks/leaky.yml"), LEAKY_PLAYBOOK).unwrap();
        fs::write(root.join(MANIFEST), MANIFEST_TEXT).unwrap();
        fs::write(
            root.join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n",
        )
        .unwrap();
        fs::write(
            root.join(VAULT),
            format!(
                "vault_api_key: {}\nvault_bot_token: {}\nvault_cheap: {}\nvault_other_password: {}\nvault_db:\n  user: app\n  password: {}\n",
                yaml_quoted(OLD_API),
                yaml_quoted(OLD_BOT),
                yaml_quoted(OLD_CHEAP),
                yaml_quoted(OTHER),
                yaml_quoted(NESTED),
            ),
        )
        .unwrap();
        // A vault no manifest names.
        fs::write(
            root.join("host_vars/web1/vault.yml"),
            "web_token: abcdefgh\n",
        )
        .unwrap();
        let mut infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            printed: Vec::new(),
            _tmp: skeleton.tmp,
        };
        infra.ok(&["encrypt", VAULT, "host_vars/web1/vault.yml"]);
        infra
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = common::infra_command(&common::vaultrot(), &self.root, &self.home, NOW, args);
        cmd.env_remove("LEAK_FAIL");
        cmd
    }

    /// Runs vaultrot (stdin `input`, extra `env`) and records what it printed.
    fn run_full(&mut self, args: &[&str], input: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        self.printed.extend_from_slice(&out.stdout);
        self.printed.extend_from_slice(&out.stderr);
        out
    }

    fn ok(&mut self, args: &[&str]) -> Output {
        let out = self.run_full(args, None, &[]);
        assert!(out.status.success(), "vaultrot {args:?}:\n{}", show(&out));
        out
    }

    /// Runs vaultrot, requires exit code `code`, returns its stderr.
    fn fails_with(&mut self, args: &[&str], env: &[(&str, &str)], code: i32) -> String {
        let out = self.run_full(args, None, env);
        assert_eq!(
            out.status.code(),
            Some(code),
            "vaultrot {args:?}:\n{}",
            show(&out)
        );
        text(&out.stderr)
    }

    /// `vaultrot get` (not recorded: asking for a value may print it).
    fn get(&self, file: &str, key: &str) -> Option<String> {
        let out = self
            .command(&["get", file, key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    fn value(&self, key: &str) -> String {
        self.get(VAULT, key)
            .unwrap_or_else(|| panic!("the vault has no `{key}`"))
    }

    fn read(&self, relative: &str) -> Vec<u8> {
        fs::read(self.root.join(relative)).unwrap()
    }
}

// ---- encoders, as Python's base64, urllib.parse.quote and json write them ----

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let mut block = [0u8; 3];
        block[..chunk.len()].copy_from_slice(chunk);
        let n = (u32::from(block[0]) << 16) | (u32::from(block[1]) << 8) | u32::from(block[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn url_quote(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' | b'/' => {
                out.push(b as char)
            }
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `value` as a playbook may print it: raw, JSON-escaped, URL-encoded, and the
/// base64 characters that only depend on it at each alignment.
fn printed_forms(value: &str) -> Vec<String> {
    assert!(value.len() >= 16, "too short to scan for");
    let json = serde_json::to_string(value).unwrap();
    let core = |prefix: &str, suffix: &str, skip: usize| {
        let encoded = base64(format!("{prefix}{value}{suffix}").as_bytes());
        encoded[skip..skip + 4 * (value.len() / 3 - 1)].to_string()
    };
    vec![
        value.to_string(),
        json[1..json.len() - 1].to_string(),
        url_quote(value),
        core("", "", 0),
        core("a", "z", 4),
        core("ab", "", 4),
    ]
}

fn assert_nowhere(infra: &Infra, values: &[(&str, String)]) {
    let changelog = infra.read("CHANGELOG.md");
    let manifest = infra.read(MANIFEST);
    for (name, value) in values {
        for form in printed_forms(value) {
            assert!(
                !contains(&infra.printed, &form),
                "{name} was printed (as {form:?}):\n{}",
                text(&infra.printed)
            );
            assert!(!contains(&changelog, &form), "{name} is in CHANGELOG.md");
            assert!(!contains(&manifest, &form), "{name} is in the manifest");
        }
    }
}

#[test]
fn child_output_is_scrubbed_of_every_value_in_every_encoding() {
    let mut infra = Infra::new();
    infra.ok(&["start", "vault_api_key"]);
    let api_new = infra.value("vault_api_key_new");
    infra.ok(&["finish", "vault_api_key"]);
    infra.ok(&["rotate", "vault_bot_token"]);
    let bot_new = infra.value("vault_bot_token");
    // A failing deploy: its tail goes into the error message.
    let failed = infra.fails_with(&["start", "vault_api_key"], &[("LEAK_FAIL", "1")], 1);
    assert!(failed.contains("deploy failed with <redacted>"), "{failed}");
    let api_next = infra.value("vault_api_key_new");
    infra.ok(&["abort", "vault_api_key"]);

    // The playbook really printed them: every one of those is a mask now.
    let masks = infra
        .printed
        .windows(10)
        .filter(|w| *w == b"<redacted>")
        .count();
    assert!(masks >= 40, "only {masks} masks:\n{}", text(&infra.printed));
    assert!(contains(
        &infra.printed,
        "\"vault_api_key\": \"<redacted>\""
    ));
    assert_eq!(infra.value("vault_api_key"), api_new);
    assert_nowhere(
        &infra,
        &[
            ("the old api key", OLD_API.to_string()),
            ("the new api key", api_new),
            ("the aborted api key", api_next),
            ("the old bot token", OLD_BOT.to_string()),
            ("the new bot token", bot_new),
            ("another vault value", OTHER.to_string()),
            ("a value nested in a mapping", NESTED.to_string()),
        ],
    );
}

#[test]
fn a_symlink_at_the_lock_path_is_refused_and_its_target_untouched() {
    let mut infra = Infra::new();
    fs::write(infra.root.join("precious.txt"), "precious\n").unwrap();
    symlink("../../precious.txt", infra.root.join(LOCK)).unwrap();
    let vault = infra.read(VAULT);
    let manifest = infra.read(MANIFEST);
    let err = infra.fails_with(&["start", "vault_cheap"], &[], 1);
    assert!(err.contains("symbolic link"), "{err}");
    assert!(err.contains(".vaultrot.lock"), "{err}");
    assert_eq!(infra.read("precious.txt"), b"precious\n");
    assert_eq!(infra.read(VAULT), vault);
    assert_eq!(infra.read(MANIFEST), manifest);
    // The same for a vault command on a file the manifest names.
    let err = infra.fails_with(&["unset", VAULT, "vault_other_password"], &[], 1);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(infra.read("precious.txt"), b"precious\n");
    assert_eq!(infra.read(VAULT), vault);
}

#[test]
fn vault_commands_on_a_file_the_manifest_names_take_its_lock() {
    let mut infra = Infra::new();
    // Another command holds the lock (as a running `start` would).
    let held = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(infra.root.join(LOCK))
        .unwrap();
    held.lock().unwrap();
    (&held)
        .write_all(
            b"user alice, pid 4242, command `start vault_api_key`, since 2026-03-15T09:59:00Z",
        )
        .unwrap();
    let vault = infra.read(VAULT);
    fs::write(infra.root.join("new-pass.txt"), "a-new-password-77\n").unwrap();
    let editor = infra.root.join("editor.sh");
    fs::write(
        &editor,
        "#!/bin/sh\necho 'vault_added: addedvalue' >> \"$1\"\n",
    )
    .unwrap();
    fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let editor = editor.display().to_string();
    for (args, env) in [
        (
            vec!["set", VAULT, "vault_cheap", "set-by-hand-value"],
            vec![],
        ),
        (vec!["unset", VAULT, "vault_other_password"], vec![]),
        (vec!["edit", VAULT], vec![("EDITOR", editor.as_str())]),
        (
            vec![
                "rekey",
                "--new-vault-password-file",
                "new-pass.txt",
                "group_vars",
            ],
            vec![],
        ),
        (vec!["restore", VAULT], vec![]),
    ] {
        let err = infra.fails_with(&args, &env, 75);
        assert!(err.contains("start vault_api_key"), "{args:?}: {err}");
        assert!(err.contains("pid 4242"), "{args:?}: {err}");
        assert_eq!(infra.read(VAULT), vault, "{args:?} wrote the vault");
    }
    // A dry run writes nothing and needs no lock; a vault no manifest names is free.
    infra.ok(&["set", "--dry-run", VAULT, "vault_cheap", "dry-run-value"]);
    infra.ok(&[
        "set",
        "host_vars/web1/vault.yml",
        "web_token",
        "free-to-change",
    ]);
    assert_eq!(
        infra.get("host_vars/web1/vault.yml", "web_token").unwrap(),
        "free-to-change"
    );

    held.unlock().unwrap();
    drop(held);
    infra.ok(&["set", VAULT, "vault_cheap", "set-by-hand-value"]);
    assert_eq!(infra.value("vault_cheap"), "set-by-hand-value");
}

#[test]
fn restore_refuses_to_drop_an_open_rotations_new_value_without_force() {
    let mut infra = Infra::new();
    infra.ok(&["start", "vault_cheap"]);
    let staged = infra.value("vault_cheap_new");
    let vault = infra.read(VAULT);

    // The newest backup is the vault before `start` added vault_cheap_new.
    let err = infra.fails_with(&["restore", VAULT], &[], 1);
    assert!(err.contains("`vault_cheap_new`"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(infra.read(VAULT), vault);
    assert_eq!(infra.value("vault_cheap_new"), staged);

    let out = infra.ok(&["restore", "--force", VAULT]);
    let warned = text(&out.stderr);
    assert!(
        warned.contains("warning:") && warned.contains("`vault_cheap_new`"),
        "{warned}"
    );
    assert_eq!(infra.get(VAULT, "vault_cheap_new"), None);
    assert_eq!(infra.value("vault_cheap"), OLD_CHEAP);
    assert_nowhere(
        &infra,
        &[
            ("the staged value", staged),
            ("the old value", OLD_CHEAP.to_string()),
        ],
    );
}

#[test]
fn generated_values_never_hold_template_markers() {
    // 4,096 characters of `ascii` hold `{{`, `{%` or `{#` about 4 times in 5
    // when drawn without the guard: ten of them, almost surely one.
    let mut infra = Infra::new();
    for _ in 0..10 {
        infra.ok(&[
            "set",
            "host_vars/web1/vault.yml",
            "web_token",
            "--generate",
            "--charset",
            "ascii",
            "--length",
            "4096",
        ]);
        let value = infra.get("host_vars/web1/vault.yml", "web_token").unwrap();
        assert_eq!(value.chars().count(), 4096);
        for marker in ["{{", "{%", "{#"] {
            assert!(!value.contains(marker), "a generated value holds {marker}");
        }
    }
}

#[test]
fn a_resumed_start_draws_again_a_staged_value_ansible_would_template() {
    let mut infra = Infra::new();
    // Killed right after staging; the staged value is then one Ansible would
    // template (as a value drawn before the template rule could be).
    let out = infra.run_full(
        &["start", "vault_api_key"],
        None,
        &[("VAULTROT_CRASH_AFTER", "stage")],
    );
    assert!(!out.status.success(), "{}", show(&out));
    let poisoned = "abc{{ 6 * 7 }}defghijklmnopqrstuvwxyz0123456789";
    infra.ok(&["set", VAULT, "vault_api_key_new", poisoned]);
    infra.ok(&["start", "vault_api_key"]);
    let staged = infra.value("vault_api_key_new");
    assert_ne!(staged, poisoned);
    assert!(
        !["{{", "{%", "{#"].iter().any(|m| staged.contains(m)),
        "the staged value still holds a template marker"
    );
    assert_eq!(infra.value("vault_api_key"), OLD_API);
}

#[test]
fn compromised_with_scan_records_where_the_value_leaked() {
    let mut infra = Infra::new();
    fs::write(
        infra.root.join(".env"),
        format!("API_KEY={OLD_API}\nDEBUG=1\n"),
    )
    .unwrap();
    infra.ok(&[
        "rotate",
        "vault_api_key",
        "--compromised",
        "--scan",
        "--reason",
        "pasted while debugging",
    ]);
    assert_ne!(infra.value("vault_api_key"), OLD_API);
    let changelog = text(&infra.read("CHANGELOG.md"));
    let line = changelog
        .lines()
        .find(|l| l.contains("vault_api_key") && l.contains("pasted while debugging"))
        .unwrap_or_else(|| panic!("no compromised line:\n{changelog}"));
    assert!(line.contains("scan: found in 1 path (.env)"), "{line}");
    assert!(line.contains("encodings raw"), "{line}");
    let manifest = text(&infra.read(MANIFEST));
    assert!(
        manifest.contains("scan: found in 1 path (.env)"),
        "{manifest}"
    );
    assert_nowhere(&infra, &[("vault_api_key (old)", OLD_API.to_string())]);
}
