//! The nightly job end to end, with the real `vaultrot` binary and the real
//! `ansible-playbook`: derived secrets (a bot token minted from the bot's
//! password by a mint command that "logs in" to a fake homeserver kept in
//! files), rotated with their source and minted again by `verify --repair`.
//!
//! Every byte vaultrot prints is recorded and checked for secret values, and
//! so is what the mint command saw in its argv and environment.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use common::infra::Skeleton;
use common::{show, text};
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
  owners:
    chat:
      notify:
        - run: scripts/capture.sh chat-team
        - run: exit 3
    platform:
      notify:
        - run: scripts/capture.sh platform-team
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
      notify:
        - run: scripts/capture.sh token-own
    vault_api_key:
      policy: bot
      last_rotation: 2025-06-01
      owner: platform
      deploy:
        - run: echo deployed >> deployed/api.log
      verify:
        - run: test ! -e server/api-down
    vault_dashboard_key:
      policy: bot
      last_rotation: 2025-06-01
      owner: platform
      deploy:
        - manual: paste the new key into the dashboard
      verify:
        - run: "true"
    # Its check passes from the third attempt on (a service still starting).
    vault_flaky_key:
      policy: bot
      last_rotation: 2025-06-01
      owner: platform
      deploy:
        - run: echo deployed >> deployed/flaky.log
      verify:
        - run: scripts/flaky.sh
          retries: 2
          delay: 1s
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

/// A notify step that keeps what it was told, and what it saw in argv,
/// environment and stdin, for the test to check.
const CAPTURE: &str = r#"#!/bin/sh
printf '%s|%s|%s|%s|%s|%s\n' "$1" "$VAULTROT_EVENT" "$VAULTROT_SECRETS" "$VAULTROT_OWNER" "$VAULTROT_ROTATION_ID" "$VAULTROT_SUMMARY" >> server/events
printf '%s\n' "$*" >> server/notify.argv
env >> server/notify.env
cat >> server/notify.stdin
"#;

/// Fails until it has been run three times since `server/flaky.count` was reset.
const FLAKY: &str = r#"#!/bin/sh
n=$(( $(cat server/flaky.count 2>/dev/null || echo 0) + 1 ))
echo "$n" > server/flaky.count
test "$n" -ge 3
"#;

const OLD_API_KEY: &str = "old-api-Key-d81c6e02f3";
const OLD_DASHBOARD_KEY: &str = "old-dash-Key-47aa9b1c0e";

/// The STATUS column of `secret` in a verify table.
fn status<'t>(table: &'t str, secret: &str) -> &'t str {
    table
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(secret)).then(|| words.next().unwrap_or_default())
        })
        .unwrap_or_default()
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
        let skeleton = Skeleton::new(
            VAULT_PASSWORD,
            &[
                "group_vars/all",
                "playbooks",
                "deployed",
                "server",
                "scripts",
            ],
        );
        let root = &skeleton.root;
        skeleton.ansible_cfg("inventory.yml", false);
        skeleton.inventory("inventory.yml", "");
        fs::write(root.join("playbooks/deploy_bot.yml"), DEPLOY).unwrap();
        for (script, body) in [
            ("scripts/mint_token.sh", MINT),
            ("scripts/capture.sh", CAPTURE),
            ("scripts/flaky.sh", FLAKY),
        ] {
            let path = root.join(script);
            fs::write(&path, body).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::write(root.join(MANIFEST), MANIFEST_TEXT).unwrap();
        fs::write(
            root.join("CHANGELOG.md"),
            "# Changelog\n\n## [Unreleased]\n",
        )
        .unwrap();
        fs::write(root.join("server/tokens"), format!("{OLD_TOKEN}\n")).unwrap();
        fs::write(
            root.join(VAULT),
            format!(
                "vault_bot_password: {OLD_PASSWORD}\nvault_bot_token: {OLD_TOKEN}\nvault_api_key: {OLD_API_KEY}\nvault_dashboard_key: {OLD_DASHBOARD_KEY}\nvault_flaky_key: flaky-Key-0c9d2e71b4\n"
            ),
        )
        .unwrap();
        let infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            printed: Mutex::new(Vec::new()),
            _tmp: skeleton.tmp,
        };
        infra.ok(&["encrypt", VAULT]);
        infra
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = common::infra_command(&common::vaultrot(), &self.root, &self.home, NOW, args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
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

    /// The events the capture step received: `who|event|secrets|owner|id|summary`.
    fn events(&self) -> Vec<String> {
        self.read("server/events")
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn has_event(&self, prefix: &str) -> bool {
        self.events().iter().any(|e| e.starts_with(prefix))
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
        let notify_argv = self.read("server/notify.argv");
        let notify_env = self.read("server/notify.env");
        let notify_stdin = self.read("server/notify.stdin");
        let events = self.read("server/events");
        let manifest = self.read(MANIFEST);
        let changelog = self.read("CHANGELOG.md");
        for value in values {
            assert!(!value.is_empty());
            for (what, haystack) in [
                ("output", &printed),
                ("mint argv", &argv),
                ("mint environment", &env),
                ("notify argv", &notify_argv),
                ("notify environment", &notify_env),
                ("notify stdin", &notify_stdin),
                ("notify events", &events),
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
    // The owner's steps and the token's own hear of it; a failing one is
    // reported and changes nothing.
    let id = infra
        .manifest()
        .secret("vault_bot_password")
        .unwrap()
        .rotation
        .clone()
        .unwrap()
        .id;
    for who in ["chat-team", "token-own"] {
        let want =
            format!("{who}|started|vault_bot_password vault_bot_token|chat|{id}|rotation {id}");
        assert!(infra.has_event(&want), "{want} not in {:?}", infra.events());
    }
    assert!(
        text(&out.stderr).contains("notify step exit 3 failed"),
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
    assert!(infra.has_event(&format!(
        "chat-team|finished|vault_bot_password vault_bot_token|chat|{id}|"
    )));
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
    assert_eq!(status(&table, "vault_bot_token"), "drift", "{table}");
    assert_eq!(status(&table, "vault_bot_password"), "ok", "{table}");
    assert!(
        infra.has_event("chat-team|drift|vault_bot_token|chat||drift: vault_bot_token"),
        "{:?}",
        infra.events()
    );

    // Redeploying the dead token would heal nothing: repair mints a new one
    // from the password in the vault, stores it, deploys and verifies it.
    let out = infra.ok(&["verify", "--repair"]);
    let table = text(&out.stdout);
    assert_eq!(status(&table, "vault_bot_token"), "repaired", "{table}");
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
    assert!(
        infra.has_event("token-own|repaired|vault_bot_token|chat|r-"),
        "{:?}",
        infra.events()
    );

    infra.assert_no_leak(&[
        OLD_PASSWORD.to_string(),
        OLD_TOKEN.to_string(),
        new_password,
        new_token,
        healed,
    ]);
}

#[test]
fn owners_hear_of_failed_awaiting_and_aborted_rotations_and_never_a_value() {
    let infra = Infra::new();
    // check-age --notify: every secret is past its 6 months today...
    let out = infra.run(&["check-age", "--notify", "--now", TODAY]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let overdue: Vec<String> = infra
        .events()
        .into_iter()
        .filter(|e| e.contains("|overdue|"))
        .collect();
    assert_eq!(overdue.len(), 3, "{overdue:?}");
    let chat = overdue
        .iter()
        .find(|e| e.starts_with("chat-team|overdue|vault_bot_password vault_bot_token|chat||"))
        .expect("the chat team hears of its secrets");
    assert!(chat.contains("vault_bot_password is overdue"), "{chat}");
    assert!(
        !chat.contains("vault_api_key"),
        "a team hears of its own secrets only: {chat}"
    );
    assert!(
        overdue.iter().any(|e| e.starts_with(
            "platform-team|overdue|vault_api_key vault_dashboard_key vault_flaky_key|platform||"
        )),
        "{overdue:?}"
    );
    // ... and due soon two weeks before the due date.
    let out = infra.run(&["check-age", "--notify", "--now", "2025-11-15"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        infra.has_event("platform-team|due_soon|vault_api_key vault_dashboard_key vault_flaky_key|platform||vault_api_key is due soon"),
        "{:?}",
        infra.events()
    );
    fs::write(infra.root.join("server/events"), "").unwrap();

    fs::write(infra.root.join("server/api-down"), "").unwrap();
    let out = infra.run(&["start", "vault_api_key"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let staged = infra.value("vault_api_key_new");
    let failed: Vec<String> = infra
        .events()
        .into_iter()
        .filter(|e| e.starts_with("platform-team|failed|vault_api_key|platform|r-"))
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", infra.events());
    assert!(
        failed[0].contains("vaultrot start vault_api_key"),
        "{}",
        failed[0]
    );
    // Only the secret's owner hears of it.
    assert!(!infra.has_event("chat-team"), "{:?}", infra.events());

    fs::remove_file(infra.root.join("server/api-down")).unwrap();
    infra.ok(&["start", "vault_api_key"]);
    assert!(infra.has_event("platform-team|started|vault_api_key|platform|r-"));
    infra.ok(&["abort", "vault_api_key"]);
    assert!(infra.has_event("platform-team|aborted|vault_api_key|platform|r-"));

    // No terminal to confirm the manual deploy step on: the rotation waits.
    let out = infra.run(&["start", "vault_dashboard_key"]);
    assert_eq!(
        out.status.code(),
        Some(vaultrot::exit_codes::AWAITING),
        "{}",
        show(&out)
    );
    let dashboard_new = infra.value("vault_dashboard_key_new");
    let awaiting: Vec<String> = infra
        .events()
        .into_iter()
        .filter(|e| e.starts_with("platform-team|awaiting|vault_dashboard_key|platform|r-"))
        .collect();
    assert_eq!(awaiting.len(), 1, "{:?}", infra.events());
    assert!(
        awaiting[0].contains("paste the new key into the dashboard"),
        "{}",
        awaiting[0]
    );
    assert!(awaiting[0].contains("--confirm"), "{}", awaiting[0]);

    infra.assert_no_leak(&[
        OLD_API_KEY.to_string(),
        OLD_DASHBOARD_KEY.to_string(),
        OLD_PASSWORD.to_string(),
        OLD_TOKEN.to_string(),
        staged,
        dashboard_new,
    ]);
}

#[test]
fn a_verify_step_with_retries_is_checked_again_after_its_delay() {
    let infra = Infra::new();
    let out = infra.ok(&["verify", "vault_flaky_key"]);
    assert_eq!(
        status(&text(&out.stdout), "vault_flaky_key"),
        "ok",
        "{}",
        show(&out)
    );
    assert_eq!(infra.read("server/flaky.count").trim(), "3");
    let err = text(&out.stderr);
    assert!(err.contains("checking again in 1s (retry 1 of 2)"), "{err}");
    assert!(err.contains("checking again in 1s (retry 2 of 2)"), "{err}");
    // Two retries are not enough for a check that needs four attempts.
    fs::write(infra.root.join("server/flaky.count"), "-1\n").unwrap();
    let out = infra.run(&["verify", "vault_flaky_key", "--no-notify"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(status(&text(&out.stdout), "vault_flaky_key"), "drift");
    assert_eq!(infra.read("server/flaky.count").trim(), "2");
}
