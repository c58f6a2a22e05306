//! The rotation commands end to end: the real `vaultrot` binary driving the
//! real `ansible-playbook` against a real Redis (the `_new` dual window on an
//! ACL user), plus cheap `run:` steps where a playbook is not the point
//! (swap, multi-secret windows, failures, the lock, kill -9 at every write
//! point, restore, dry runs).
//!
//! Every test builds its own infra tree in a temp dir (ansible.cfg, staging
//! inventory, an encrypted vault, the manifest, CHANGELOG.md) and, when it
//! needs one, its own Redis on a free loopback port. Every byte vaultrot
//! prints is recorded, and the tests that rotate check that neither that
//! output nor any file vaultrot leaves in the tree (but the vault ciphertext)
//! holds a secret value.
//!
//! Needs ansible-core (`VAULTROT_ANSIBLE_BIN`, default `<repo>/.venv/bin`) and
//! redis-server/redis-cli (`scripts/install-test-deps.sh`); without them the
//! tests fail, they never skip.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::infra::{Skeleton, walk};
use common::redis::Redis;
use common::{contains, show, text, yaml_quoted};
use tempfile::TempDir;
use vaultrot::manifest::{HistoryEvent, Manifest, RotationPhase, Secret};

/// The vault password of every test infra (in a file outside the infra tree).
const VAULT_PASSWORD: &str = "e2e-vault-pw-Zq81xTgh";
/// "Now" for every vaultrot command (`VAULTROT_NOW`), and its date.
const NOW: &str = "2026-03-15T10:00:00Z";
const TODAY: &str = "2026-03-15";
/// `last_rotation` of every secret in the fixture manifest.
const BEFORE: &str = "2025-06-01";

const OLD_REDIS: &str = "old-redis-Pw-4f9a1c7e";
const OLD_TELEGRAM: &str = "111111:old-telegram-Tk-AAEhx";
const NEW_TELEGRAM: &str = "222222:new-telegram-Tk-BBFqz";
const OLD_API: &str = "old-api-token-Qm3vX8pL2w";
const OLD_SLACK_BOT: &str = "xoxb-old-slack-bot-9Kd2";
const OLD_SLACK_APP: &str = "xapp-old-slack-app-7Jc4";
const OLD_SLACK_SIGNING: &str = "old-slack-signing-5Hb6";
const NEW_SLACK_BOT: &str = "xoxb-new-slack-bot-1Mn8";
const NEW_SLACK_APP: &str = "xapp-new-slack-app-3Pq0";
const NEW_SLACK_SIGNING: &str = "new-slack-signing-2Rs7";

const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const SLACK: [&str; 3] = [
    "vault_slack_bot_token",
    "vault_slack_app_token",
    "vault_slack_signing_secret",
];

// ---- Redis ---------------------------------------------------------------------------

// ---- the infra fixture -----------------------------------------------------------------

/// What a test changes in the fixture.
struct Opts {
    /// Port of the test's Redis (written to the inventory as `redis_port`);
    /// also switches the vault encryption to the real ansible-vault.
    redis_port: Option<u16>,
    /// `run:` commands of `vault_api_token` (a dual secret with cheap steps).
    api_deploy: String,
    api_verify: String,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            redis_port: None,
            api_deploy: r#"echo "api-deploy $VAULTROT_PHASE" >> deployed/steps.log"#.into(),
            api_verify: r#"grep -q api-deploy deployed/steps.log && echo "api-verify $VAULTROT_PHASE" >> deployed/steps.log"#.into(),
        }
    }
}

/// A temp infra tree: `<tmp>/infra` is the infra root, `<tmp>/home` the
/// children's HOME and ansible temp, `<tmp>/vault-pass.txt` the password.
struct Infra {
    root: PathBuf,
    home: PathBuf,
    /// Everything the vaultrot commands printed (stdout and stderr), but `get`.
    printed: Mutex<Vec<u8>>,
    _tmp: TempDir,
}

fn manifest_text(opts: &Opts) -> String {
    let slack = |name: &str| {
        format!(
            r#"    {name}:
      policy: api_token
      last_rotation: {BEFORE}
      generate: {{ external: true }}
      deploy:
        - run: 'echo "slack-deploy $VAULTROT_PHASE $VAULTROT_SECRETS" >> deployed/steps.log'
      verify:
        - run: 'grep -q slack-deploy deployed/steps.log && echo "slack-verify $VAULTROT_PHASE" >> deployed/steps.log'
"#
        )
    };
    format!(
        r#"# Rotation manifest of the end-to-end tests (tests/rotation_e2e.rs).
secrets_manifest:
  version: 1

  defaults:
    vault: {VAULT}
    inventory: inventory/staging.yml
    changelog: CHANGELOG.md

  policies:
    database_password: {{ max_age: 12mo, min_window: 1d }}
    bot_token:         {{ max_age: 12mo, strategy: swap }}
    api_token:         {{ max_age: 6mo }}

  secrets:
    vault_redis_password:
      policy: database_password
      last_rotation: {BEFORE}
      generate: {{ length: 32, charset: hex }}
      deploy:
        - playbook: playbooks/deploy_redis.yml
      verify:
        - playbook: playbooks/verify_redis.yml

    # swap: a new token kills the old one
    vault_telegram_bot_token:
      policy: bot_token
      last_rotation: {BEFORE}
      generate: {{ external: true }}
      deploy:
        - run: 'echo "telegram-deploy $VAULTROT_PHASE $VAULTROT_ROTATION_ID" >> deployed/steps.log'
      verify:
        - run: 'grep -q telegram-deploy deployed/steps.log && echo "telegram-verify $VAULTROT_PHASE" >> deployed/steps.log'

    vault_api_token:
      policy: api_token
      last_rotation: {BEFORE}
      generate: {{ length: 40, charset: alnum }}
      deploy:
        - run: {deploy}
      verify:
        - run: {verify}
      revoke:
        - run: 'echo "api-revoke $VAULTROT_PHASE" >> deployed/steps.log'

    # Slack: three secrets, one shared deploy step
{slack_bot}{slack_app}{slack_signing}"#,
        deploy = yaml_quoted(&opts.api_deploy),
        verify = yaml_quoted(&opts.api_verify),
        slack_bot = slack(SLACK[0]),
        slack_app = slack(SLACK[1]),
        slack_signing = slack(SLACK[2]),
    )
}

const CHANGELOG: &str = "# Changelog

All notable changes to this deployment are documented in this file.

## [Unreleased]

## [1.0.0] - 2025-01-10

### Added
- The first deployment.
";

impl Infra {
    fn new() -> Infra {
        Infra::with(Opts::default())
    }

    fn with(opts: Opts) -> Infra {
        let skeleton = Skeleton::redis(VAULT_PASSWORD, opts.redis_port);
        let root = &skeleton.root;
        fs::write(root.join(MANIFEST), manifest_text(&opts)).unwrap();
        fs::write(root.join("CHANGELOG.md"), CHANGELOG).unwrap();
        let vault = root.join(VAULT);
        fs::write(
            &vault,
            format!(
                "# Secrets of the end-to-end test infra.\n\
                 vault_redis_password: {OLD_REDIS}\n\
                 vault_telegram_bot_token: \"{OLD_TELEGRAM}\"\n\
                 vault_api_token: {OLD_API}\n\
                 vault_slack_bot_token: {OLD_SLACK_BOT}\n\
                 vault_slack_app_token: {OLD_SLACK_APP}\n\
                 vault_slack_signing_secret: {OLD_SLACK_SIGNING}\n"
            ),
        )
        .unwrap();
        let infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            printed: Mutex::new(Vec::new()),
            _tmp: skeleton.tmp,
        };
        // The Redis tests take the real ansible-vault's output; the cheap ones vaultrot's.
        let program = if opts.redis_port.is_some() {
            common::ansible("ansible-vault")
        } else {
            common::vaultrot()
        };
        // The password comes from ansible.cfg, as for every command below.
        let out = infra
            .command_of(&program, &["encrypt", VAULT])
            .output()
            .unwrap();
        assert!(out.status.success(), "encrypt failed:\n{}", show(&out));
        assert!(
            fs::read(&vault)
                .unwrap()
                .starts_with(b"$ANSIBLE_VAULT;1.1;AES256")
        );
        infra
    }

    /// `program args...` from the infra root, in the environment of an operator.
    fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        common::infra_command(program, &self.root, &self.home, NOW, args)
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_of(&common::vaultrot(), args)
    }

    fn record(&self, out: &Output) {
        let mut printed = self.printed.lock().unwrap();
        printed.extend_from_slice(&out.stdout);
        printed.extend_from_slice(&out.stderr);
    }

    /// Runs vaultrot (stdin: `input`, extra environment: `env`) and records what it printed.
    fn run_full(&self, args: &[&str], input: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(input) = input {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        self.record(&out);
        out
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_full(args, None, &[])
    }

    /// Runs vaultrot and requires success.
    fn ok(&self, args: &[&str]) -> Output {
        self.ok_with(args, None)
    }

    fn ok_with(&self, args: &[&str], input: Option<&str>) -> Output {
        let out = self.run_full(args, input, &[]);
        assert!(
            out.status.success(),
            "vaultrot {args:?} failed:\n{}",
            show(&out)
        );
        out
    }

    /// Runs vaultrot and requires exit code `code`; returns its stderr.
    fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "vaultrot {args:?}:\n{}",
            show(&out)
        );
        text(&out.stderr)
    }

    /// `vaultrot get` of a vault key (not recorded: asking for a value is allowed to print it).
    fn get(&self, key: &str) -> Option<String> {
        let out = self
            .command(&["get", VAULT, key])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        if out.status.success() {
            return Some(String::from_utf8(out.stdout).unwrap());
        }
        assert!(
            text(&out.stderr).contains(&format!("no key `{key}`")),
            "vaultrot get {key}:\n{}",
            show(&out)
        );
        None
    }

    fn value(&self, key: &str) -> String {
        self.get(key)
            .unwrap_or_else(|| panic!("the vault has no `{key}`"))
    }

    fn manifest(&self) -> Manifest {
        Manifest::load(&self.root.join(MANIFEST)).unwrap()
    }

    fn secret(&self, name: &str) -> Secret {
        self.manifest().secret(name).unwrap().clone()
    }

    /// The open rotation of `name`: (id, phase).
    fn rotation(&self, name: &str) -> Option<(String, RotationPhase)> {
        self.secret(name).rotation.map(|r| (r.id, r.phase))
    }

    fn changelog(&self) -> String {
        fs::read_to_string(self.root.join("CHANGELOG.md")).unwrap()
    }

    /// How many CHANGELOG lines record `event` (e.g. "finished") of rotation `id`.
    fn changelog_count(&self, event: &str, id: &str) -> usize {
        self.changelog()
            .lines()
            .filter(|l| l.starts_with("- ") && l.contains(event))
            .filter(|l| l.contains(&format!("(rotation {id},")))
            .count()
    }

    /// Lines the `run:` steps appended to `deployed/steps.log`.
    fn steps(&self) -> Vec<String> {
        fs::read_to_string(self.root.join("deployed/steps.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn steps_count(&self, line: &str) -> usize {
        self.steps().iter().filter(|l| *l == line).count()
    }

    fn vault_bytes(&self) -> Vec<u8> {
        fs::read(self.root.join(VAULT)).unwrap()
    }

    fn backups(&self) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(self.root.join(".vaultrot/backups")) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        found.sort();
        found
    }

    /// Every file of the tree with its bytes (symlinks by target).
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        common::infra::snapshot(&self.root)
    }

    /// No secret value (nor the vault password) in anything vaultrot printed,
    /// nor in any file of the tree but the vault ciphertext, its backups
    /// (both checked to be ciphertext) and `.deploy/` (the deployed client
    /// config, which is a secret by design).
    fn assert_no_leaks(&self, values: &[&str]) {
        let mut values = values.to_vec();
        values.push(VAULT_PASSWORD);
        for value in &values {
            assert!(value.len() >= 8, "too short to scan for: {value:?}");
        }
        let printed = self.printed.lock().unwrap();
        assert!(!printed.is_empty());
        for value in &values {
            assert!(
                !contains(&printed, value),
                "a secret value was printed:\n{}",
                text(&printed)
            );
        }
        let vault = self.root.join(VAULT);
        let backups = self.root.join(".vaultrot/backups");
        let mut scanned = 0;
        walk(&self.root, &mut |path, meta| {
            if meta.is_symlink() || path.starts_with(self.root.join(".deploy")) {
                return;
            }
            let bytes = fs::read(path).unwrap();
            if path == vault || path.starts_with(&backups) {
                assert!(
                    bytes.starts_with(b"$ANSIBLE_VAULT;"),
                    "{} is not vault ciphertext",
                    path.display()
                );
                return;
            }
            scanned += 1;
            for value in &values {
                assert!(
                    !contains(&bytes, value),
                    "{} holds a secret value",
                    path.display()
                );
            }
        });
        assert!(scanned >= 6, "scanned only {scanned} files");
    }
}

/// Checks the state a completed dual rotation must leave: the vault holds
/// `value` under the canonical name and no `_new`, the manifest has closed
/// the rotation with one history entry, and CHANGELOG.md has its started and
/// `event` lines once each.
fn assert_closed(infra: &Infra, name: &str, id: &str, event: HistoryEvent, value: &str) {
    assert_eq!(infra.value(name), value, "value of {name}");
    assert_eq!(infra.get(&format!("{name}_new")), None, "{name}_new left");
    let secret = infra.secret(name);
    assert_eq!(secret.rotation, None, "rotation of {name} still open");
    let mine: Vec<_> = secret
        .history
        .iter()
        .filter(|h| h.id.as_deref() == Some(id))
        .collect();
    assert_eq!(mine.len(), 1, "history of {name}: {:?}", secret.history);
    assert_eq!(mine[0].event, event);
    assert_eq!(mine[0].by.as_deref(), Some("tester"));
    assert_eq!(secret.history.len(), 1, "history of {name}");
    let expected_last = if event == HistoryEvent::Aborted {
        BEFORE
    } else {
        TODAY
    };
    assert_eq!(
        secret.last_rotation.map(|d| d.to_string()).as_deref(),
        Some(expected_last)
    );
    if matches!(event, HistoryEvent::Finished | HistoryEvent::Aborted) {
        assert_eq!(
            infra.changelog_count(" started ", id),
            1,
            "{}",
            infra.changelog()
        );
    }
    let word = match event {
        HistoryEvent::Compromised => " as compromised",
        other => other.as_str(),
    };
    assert_eq!(infra.changelog_count(word, id), 1, "{}", infra.changelog());
    let status = infra.ok(&["status"]);
    assert_eq!(text(&status.stdout), "no open rotations\n");
}

// ---- 1, 2: the dual window on a real Redis ---------------------------------------------

/// The plain deploy before any rotation: `ansible-playbook deploy_redis.yml`.
fn plain_deploy(infra: &Infra) {
    let out = infra
        .command_of(
            &common::ansible("ansible-playbook"),
            &["playbooks/deploy_redis.yml"],
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "plain deploy failed:\n{}", show(&out));
}

fn client_password(infra: &Infra) -> String {
    fs::read_to_string(infra.root.join(".deploy/redis_client.conf"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("password "))
        .unwrap()
        .to_string()
}

#[test]
fn dual_rotation_on_redis_accepts_both_then_only_the_new_password() {
    let redis = Redis::start();
    let infra = Infra::with(Opts {
        redis_port: Some(redis.port),
        ..Opts::default()
    });
    plain_deploy(&infra);
    assert!(redis.accepts(OLD_REDIS));
    infra.ok(&["verify", "vault_redis_password"]);

    let out = infra.ok(&["start", "vault_redis_password"]);
    let new = infra.value("vault_redis_password_new");
    assert_eq!(new.len(), 32);
    assert!(new.chars().all(|c| c.is_ascii_hexdigit()), "charset hex");
    assert_eq!(infra.value("vault_redis_password"), OLD_REDIS);
    let (id, phase) = infra.rotation("vault_redis_password").unwrap();
    assert_eq!(phase, RotationPhase::Dual);
    assert!(id.starts_with("r-20260315T100000Z-"), "{id}");
    assert!(text(&out.stderr).contains("vaultrot finish vault_redis_password"));
    // The dual window: Redis takes both, clients already use the new one.
    assert!(
        redis.accepts(OLD_REDIS),
        "old password refused during the window"
    );
    assert!(
        redis.accepts(&new),
        "new password refused during the window"
    );
    assert!(!redis.accepts("not-the-password-at-all"));
    assert_eq!(client_password(&infra), new);
    let status = text(&infra.ok(&["status"]).stdout);
    assert!(
        status.contains("vault_redis_password  dual") && status.contains(&id),
        "{status}"
    );

    // The policy's min_window (1d) holds finish back; nothing changes.
    let refused = infra.fails(&["finish", "vault_redis_password"], 1);
    assert!(refused.contains("min_window"), "{refused}");
    assert_eq!(infra.value("vault_redis_password_new"), new);

    infra.ok(&["finish", "vault_redis_password", "--force"]);
    assert!(!redis.accepts(OLD_REDIS), "old password still accepted");
    assert!(redis.accepts(&new));
    assert_eq!(client_password(&infra), new);
    assert_closed(
        &infra,
        "vault_redis_password",
        &id,
        HistoryEvent::Finished,
        &new,
    );
    let manifest = fs::read_to_string(infra.root.join(MANIFEST)).unwrap();
    assert!(
        !manifest
            .lines()
            .any(|l| l.trim_start().starts_with("rotation:")),
        "{manifest}"
    );
    assert!(
        manifest.contains(&format!("last_rotation: {TODAY}\n")),
        "{manifest}"
    );
    // The rest of CHANGELOG.md is as it was.
    assert!(
        infra
            .changelog()
            .ends_with(&CHANGELOG[CHANGELOG.find("## [1.0.0]").unwrap()..])
    );
    infra.ok(&["lint"]);
    infra.ok(&["verify", "vault_redis_password"]);
    infra.assert_no_leaks(&[OLD_REDIS, &new]);
}

#[test]
fn abort_on_redis_leaves_only_the_old_password() {
    let redis = Redis::start();
    let infra = Infra::with(Opts {
        redis_port: Some(redis.port),
        ..Opts::default()
    });
    plain_deploy(&infra);
    infra.ok(&["start", "vault_redis_password"]);
    let new = infra.value("vault_redis_password_new");
    let (id, _) = infra.rotation("vault_redis_password").unwrap();
    assert!(redis.accepts(OLD_REDIS) && redis.accepts(&new));

    infra.ok(&["abort", "vault_redis_password"]);
    assert!(redis.accepts(OLD_REDIS), "old password refused after abort");
    assert!(
        !redis.accepts(&new),
        "new password still accepted after abort"
    );
    assert_eq!(client_password(&infra), OLD_REDIS);
    assert_closed(
        &infra,
        "vault_redis_password",
        &id,
        HistoryEvent::Aborted,
        OLD_REDIS,
    );
    assert_eq!(infra.changelog_count("finished", &id), 0);
    infra.assert_no_leaks(&[OLD_REDIS, &new]);
}

// ---- 3: swap and compromised rotations -------------------------------------------------

#[test]
fn swap_rotate_and_compromised_rotate_replace_at_once() {
    let infra = Infra::new();
    // A swap secret has no dual window.
    let refused = infra.fails(&["start", "vault_telegram_bot_token"], 1);
    assert!(
        refused.contains("vaultrot rotate vault_telegram_bot_token"),
        "{refused}"
    );

    let out = infra.ok_with(
        &["rotate", "vault_telegram_bot_token", "--value-stdin"],
        Some(&format!("{NEW_TELEGRAM}\n")),
    );
    assert!(text(&out.stderr).contains("without an overlap window"));
    assert_eq!(infra.value("vault_telegram_bot_token"), NEW_TELEGRAM);
    let secret = infra.secret("vault_telegram_bot_token");
    let id = secret.history[0].id.clone().unwrap();
    assert_eq!(
        infra.steps(),
        [
            format!("telegram-deploy rotate {id}"),
            "telegram-verify rotate".to_string()
        ]
    );
    assert_closed(
        &infra,
        "vault_telegram_bot_token",
        &id,
        HistoryEvent::Rotated,
        NEW_TELEGRAM,
    );

    // A dual secret is not swapped by accident...
    let refused = infra.fails(&["rotate", "vault_api_token"], 1);
    assert!(refused.contains("strategy dual"), "{refused}");
    assert_eq!(infra.get("vault_api_token_new"), None);
    assert_eq!(infra.value("vault_api_token"), OLD_API);

    // ...but replaced at once when it is compromised, and its revoke runs.
    infra.ok(&[
        "rotate",
        "vault_api_token",
        "--compromised",
        "--reason",
        "leaked in CI log",
    ]);
    let new_api = infra.value("vault_api_token");
    assert_ne!(new_api, OLD_API);
    assert_eq!(new_api.len(), 40);
    let secret = infra.secret("vault_api_token");
    let id = secret.history[0].id.clone().unwrap();
    assert_eq!(
        secret.history[0].reason.as_deref(),
        Some("leaked in CI log")
    );
    assert_eq!(
        infra.steps()[2..],
        [
            "api-deploy rotate",
            "api-verify rotate",
            "api-revoke revoke"
        ]
    );
    assert_closed(
        &infra,
        "vault_api_token",
        &id,
        HistoryEvent::Compromised,
        &new_api,
    );
    assert!(
        infra.changelog().contains(&format!(
            "- `vault_api_token` rotated as compromised: leaked in CI log (rotation {id}, {TODAY}, by tester)"
        )),
        "{}",
        infra.changelog()
    );
    infra.assert_no_leaks(&[OLD_TELEGRAM, NEW_TELEGRAM, OLD_API, &new_api]);
}

// ---- 4: several secrets in one window --------------------------------------------------

#[test]
fn multi_secret_window_runs_shared_steps_once_and_promotes_in_one_write() {
    let infra = Infra::new();
    let mut args = vec!["start"];
    args.extend(SLACK);
    args.push("--value-stdin");
    let input = format!("{NEW_SLACK_BOT}\n{NEW_SLACK_APP}\n{NEW_SLACK_SIGNING}\n");
    infra.ok_with(&args, Some(&input));

    let names = SLACK.join(" ");
    assert_eq!(
        infra.steps(),
        [
            format!("slack-deploy start {names}"),
            "slack-verify start".to_string()
        ],
        "the shared deploy step runs once"
    );
    let news = [NEW_SLACK_BOT, NEW_SLACK_APP, NEW_SLACK_SIGNING];
    let olds = [OLD_SLACK_BOT, OLD_SLACK_APP, OLD_SLACK_SIGNING];
    for ((name, new), old) in SLACK.iter().zip(news).zip(olds) {
        assert_eq!(infra.value(&format!("{name}_new")), new, "stdin line order");
        assert_eq!(infra.value(name), old);
    }
    let manifest = infra.manifest();
    let rotations: Vec<_> = SLACK
        .iter()
        .map(|n| manifest.secret(n).unwrap().rotation.clone().unwrap())
        .collect();
    let id = rotations[0].id.clone();
    for r in &rotations {
        assert_eq!(r.id, id, "one rotation id for the group");
        assert_eq!(r.phase, RotationPhase::Dual);
        assert_eq!(r.group, SLACK);
    }
    let started = format!(
        "- Rotation of `{}`, `{}` and `{}` started (rotation {id}, {TODAY}, by tester)",
        SLACK[0], SLACK[1], SLACK[2]
    );
    assert!(
        infra.changelog().contains(&started),
        "{}",
        infra.changelog()
    );

    let backups_before = infra.backups().len();
    let mut args = vec!["finish"];
    args.extend(SLACK);
    infra.ok(&args);
    assert_eq!(
        infra.backups().len(),
        backups_before + 2,
        "finish promotes the three in one vault write, then drops the three _previous in one"
    );
    assert_eq!(
        infra.steps_count(&format!("slack-deploy finish {names}")),
        1
    );
    assert_eq!(infra.steps_count("slack-verify finish"), 1);
    assert_eq!(infra.steps().len(), 4);
    for (name, new) in SLACK.iter().zip(news) {
        assert_closed(&infra, name, &id, HistoryEvent::Finished, new);
    }
    let mut scan = news.to_vec();
    scan.extend(olds);
    infra.assert_no_leaks(&scan);
}

// ---- 5, 6: failures during start ----------------------------------------------------------

#[test]
fn deploy_failure_mid_start_keeps_the_new_value_and_a_rerun_resumes() {
    let infra = Infra::with(Opts {
        // Fails the first time only, as a host that was briefly unreachable.
        api_deploy: r#"test -f deployed/api-ok || { touch deployed/api-ok; echo "host unreachable" >&2; exit 4; }; echo "api-deploy $VAULTROT_PHASE" >> deployed/steps.log"#.into(),
        ..Opts::default()
    });
    let err = infra.fails(&["start", "vault_api_token"], 1);
    assert!(
        err.contains("deploy step failed during start")
            && err.contains("exit code 4")
            && err.contains("host unreachable")
            && err.contains("re-run"),
        "{err}"
    );
    let (id, phase) = infra.rotation("vault_api_token").unwrap();
    assert_eq!(phase, RotationPhase::Starting);
    let staged = infra.value("vault_api_token_new");
    assert_eq!(infra.value("vault_api_token"), OLD_API);
    assert_eq!(infra.changelog_count("started", &id), 0);
    let status = text(&infra.ok(&["status"]).stdout);
    assert!(
        status.contains("vault_api_token  starting") && status.contains("resume"),
        "{status}"
    );
    let refused = infra.fails(&["finish", "vault_api_token"], 1);
    assert!(refused.contains("did not complete"), "{refused}");

    let out = infra.ok(&["start", "vault_api_token"]);
    assert!(text(&out.stderr).contains("resuming"), "{}", show(&out));
    assert_eq!(
        infra.rotation("vault_api_token"),
        Some((id.clone(), RotationPhase::Dual)),
        "same rotation, now dual"
    );
    assert_eq!(infra.value("vault_api_token_new"), staged, "same new value");
    assert_eq!(infra.changelog_count("started", &id), 1);
    assert_eq!(infra.steps(), ["api-deploy start", "api-verify start"]);
    infra.assert_no_leaks(&[OLD_API, &staged]);
}

#[test]
fn verify_failure_during_start_promotes_nothing() {
    let infra = Infra::with(Opts {
        api_verify: "test -f deployed/api-healthy".into(),
        ..Opts::default()
    });
    let err = infra.fails(&["start", "vault_api_token"], 1);
    assert!(err.contains("verify step failed during start"), "{err}");
    let (id, phase) = infra.rotation("vault_api_token").unwrap();
    assert_eq!(phase, RotationPhase::Starting);
    let staged = infra.value("vault_api_token_new");

    let refused = infra.fails(&["finish", "vault_api_token", "--force"], 1);
    assert!(refused.contains("did not complete"), "{refused}");
    assert_eq!(infra.value("vault_api_token"), OLD_API, "nothing promoted");
    assert_eq!(infra.value("vault_api_token_new"), staged);
    assert_eq!(
        infra.rotation("vault_api_token").unwrap().1,
        RotationPhase::Starting
    );
    assert!(infra.secret("vault_api_token").history.is_empty());
    assert_eq!(infra.changelog_count("started", &id), 0);
    assert_eq!(infra.steps_count("api-revoke revoke"), 0);

    // Once the service is healthy, re-running start completes the same rotation.
    fs::write(infra.root.join("deployed/api-healthy"), "").unwrap();
    infra.ok(&["start", "vault_api_token"]);
    assert_eq!(
        infra.rotation("vault_api_token"),
        Some((id, RotationPhase::Dual))
    );
    assert_eq!(infra.value("vault_api_token_new"), staged);
    infra.assert_no_leaks(&[OLD_API, &staged]);
}

// ---- 7: the manifest lock ------------------------------------------------------------------

#[test]
fn concurrent_start_exactly_one_wins_and_the_loser_names_the_holder() {
    let infra = Infra::with(Opts {
        api_deploy: r#"sleep 3; echo "api-deploy $VAULTROT_PHASE" >> deployed/steps.log"#.into(),
        ..Opts::default()
    });
    let spawn = || {
        infra
            .command(&["start", "vault_api_token"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let pids = [first.id(), second.id()];
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    outs.iter().for_each(|o| infra.record(o));
    let winners: Vec<usize> = (0..2).filter(|&i| outs[i].status.success()).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one start wins:\n{}\n{}",
        show(&outs[0]),
        show(&outs[1])
    );
    let loser = &outs[1 - winners[0]];
    assert_eq!(loser.status.code(), Some(75), "{}", show(loser));
    let message = text(&loser.stderr);
    assert!(
        message.contains("another vaultrot command holds")
            && (message.contains(&format!("pid {}", pids[winners[0]]))
                // The loser may read the lock file before the winner has written its name.
                || message.contains("unknown holder")),
        "{message}"
    );
    assert_eq!(infra.steps(), ["api-deploy start", "api-verify start"]);
    let (id, phase) = infra.rotation("vault_api_token").unwrap();
    assert_eq!(phase, RotationPhase::Dual);
    let value = infra.value("vault_api_token_new");

    // While a command holds the lock, another is refused at once, naming it.
    let finish = infra
        .command(&["finish", "vault_api_token"])
        .env("VAULTROT_USER", "alice")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lock = infra.root.join("group_vars/all/.vaultrot.lock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fs::read_to_string(&lock)
        .unwrap_or_default()
        .contains("pid")
    {
        assert!(Instant::now() < deadline, "finish never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = Instant::now();
    let refused = infra.fails(&["start", "vault_api_token"], 75);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not refused at once"
    );
    assert!(
        refused.contains(&format!("pid {}", finish.id()))
            && refused.contains("user alice")
            && refused.contains("command `finish vault_api_token`"),
        "{refused}"
    );
    let out = finish.wait_with_output().unwrap();
    infra.record(&out);
    assert!(out.status.success(), "{}", show(&out));

    // One rotation at a time per secret: a second start of an open one is refused.
    infra.ok(&["start", "vault_api_token"]);
    let (id2, _) = infra.rotation("vault_api_token").unwrap();
    assert_eq!(infra.secret("vault_api_token").history[0].id, Some(id));
    let refused = infra.fails(&["start", "vault_api_token"], 1);
    assert!(
        refused.contains("already has an open rotation") && refused.contains(&id2),
        "{refused}"
    );
    assert_eq!(infra.value("vault_api_token"), value);
}

// ---- 8: kill -9 at every write point ------------------------------------------------------

/// Runs `args` with `VAULTROT_CRASH_AFTER=point` and checks it died by SIGKILL there.
fn crash(infra: &Infra, args: &[&str], point: &str, input: Option<&str>) {
    let out = infra.run_full(args, input, &[("VAULTROT_CRASH_AFTER", point)]);
    assert_eq!(
        out.status.signal(),
        Some(9),
        "{args:?} at {point}: not killed by SIGKILL:\n{}",
        show(&out)
    );
    assert!(text(&out.stderr).contains(&format!("test crash after {point}")));
}

#[test]
fn kill_9_at_each_write_point_of_start_then_rerun_completes() {
    for point in ["open", "backup", "stage", "changelog", "dual"] {
        let infra = Infra::new();
        crash(&infra, &["start", "vault_api_token"], point, None);
        let (id, _) = infra
            .rotation("vault_api_token")
            .unwrap_or_else(|| panic!("{point}: no rotation recorded"));
        // The value the crashed start stored, if it got that far.
        let crashed = infra.get("vault_api_token_new");
        assert_eq!(infra.value("vault_api_token"), OLD_API, "{point}");

        let rerun = infra.run(&["start", "vault_api_token"]);
        if !rerun.status.success() {
            // Only when the crash came after the last write: nothing left to do.
            assert!(
                text(&rerun.stderr).contains("already has an open rotation"),
                "{point}: {}",
                show(&rerun)
            );
        }
        assert_eq!(
            infra.rotation("vault_api_token"),
            Some((id.clone(), RotationPhase::Dual)),
            "{point}"
        );
        let new = infra.value("vault_api_token_new");
        if let Some(crashed) = &crashed {
            assert_eq!(&new, crashed, "{point}: the staged value was replaced");
        }
        assert_eq!(infra.changelog_count("started", &id), 1, "{point}");

        infra.ok(&["finish", "vault_api_token"]);
        assert_closed(&infra, "vault_api_token", &id, HistoryEvent::Finished, &new);
        infra.ok(&["lint"]);
        infra.assert_no_leaks(&[OLD_API, &new]);
    }
}

#[test]
fn kill_9_at_each_write_point_of_finish_then_rerun_completes() {
    for point in [
        "promoting",
        "backup",
        "promote",
        "promoted",
        "revoked",
        "forget_previous",
        "changelog",
        "close",
    ] {
        let infra = Infra::new();
        infra.ok(&["start", "vault_api_token"]);
        let (id, _) = infra.rotation("vault_api_token").unwrap();
        let new = infra.value("vault_api_token_new");
        crash(&infra, &["finish", "vault_api_token"], point, None);
        // Whatever instant it died at, the new value is in the vault.
        let in_vault = [
            infra.get("vault_api_token"),
            infra.get("vault_api_token_new"),
        ];
        assert!(
            in_vault.contains(&Some(new.clone())),
            "{point}: new value lost"
        );
        // Until revoke has run, the old value is still there (as `_previous`).
        if !["forget_previous", "changelog", "close"].contains(&point) {
            let old = [
                infra.get("vault_api_token"),
                infra.get("vault_api_token_previous"),
            ];
            assert!(
                old.contains(&Some(OLD_API.to_string())),
                "{point}: old value gone before revoke"
            );
        }

        // Whatever instant it died at, re-running finish succeeds; after the
        // last write it says there is nothing left to do.
        let rerun = infra.run(&["finish", "vault_api_token"]);
        assert!(rerun.status.success(), "{point}: {}", show(&rerun));
        if point == "close" {
            assert!(
                text(&rerun.stderr).contains("already finished"),
                "{point}: {}",
                show(&rerun)
            );
        }
        assert_closed(&infra, "vault_api_token", &id, HistoryEvent::Finished, &new);
        assert!(infra.steps_count("api-revoke revoke") >= 1, "{point}");
        infra.ok(&["lint"]);
        infra.assert_no_leaks(&[OLD_API, &new]);
    }
}

#[test]
fn kill_9_at_each_write_point_of_abort_then_rerun_completes() {
    for point in ["aborting", "backup", "withdraw", "forget_withdrawn"] {
        let infra = Infra::new();
        infra.ok(&["start", "vault_api_token"]);
        let (id, _) = infra.rotation("vault_api_token").unwrap();
        let new = infra.value("vault_api_token_new");
        crash(&infra, &["abort", "vault_api_token"], point, None);
        assert_eq!(infra.value("vault_api_token"), OLD_API, "{point}");
        infra.ok(&["abort", "vault_api_token"]);
        assert_closed(
            &infra,
            "vault_api_token",
            &id,
            HistoryEvent::Aborted,
            OLD_API,
        );
        // Killed after its steps ran, the re-run runs them again (steps are idempotent).
        let runs = if point == "forget_withdrawn" { 2 } else { 1 };
        assert_eq!(infra.steps_count("api-deploy abort"), runs, "{point}");
        assert_eq!(infra.steps_count("api-revoke revoke"), runs, "{point}");
        assert_eq!(infra.get("vault_api_token_previous"), None, "{point}");
        infra.ok(&["lint"]);
        infra.assert_no_leaks(&[OLD_API, &new]);
    }
}

#[test]
fn kill_9_at_each_write_point_of_rotate_then_rerun_completes() {
    let input = format!("{NEW_TELEGRAM}\n");
    let args = ["rotate", "vault_telegram_bot_token", "--value-stdin"];
    for point in [
        "open",
        "backup",
        "stage",
        "promoting",
        "promote",
        "promoted",
        "changelog",
        "close",
    ] {
        let infra = Infra::new();
        crash(&infra, &args, point, Some(&input));
        let history = infra.secret("vault_telegram_bot_token").history;
        let id = match infra.rotation("vault_telegram_bot_token") {
            Some((id, _)) => {
                // status points at rotate, and finish does not take it over.
                let status = text(&infra.ok(&["status"]).stdout);
                assert!(
                    status.contains("next: vaultrot rotate vault_telegram_bot_token (resume)"),
                    "{point}: {status}"
                );
                let refused = infra.fails(&["finish", "vault_telegram_bot_token"], 1);
                assert!(
                    refused.contains("interrupted `rotate`"),
                    "{point}: {refused}"
                );
                infra.ok_with(&args, Some(&input));
                id
            }
            // Killed after its last write: the rotation is complete (a re-run
            // would be a new rotation).
            None => {
                assert_eq!(point, "close");
                history[0].id.clone().unwrap()
            }
        };
        assert_closed(
            &infra,
            "vault_telegram_bot_token",
            &id,
            HistoryEvent::Rotated,
            NEW_TELEGRAM,
        );
        infra.ok(&["lint"]);
        infra.assert_no_leaks(&[OLD_TELEGRAM, NEW_TELEGRAM]);
    }

    // An interrupted incident rotation resumes as one, reason and all.
    let infra = Infra::new();
    let args = [
        "rotate",
        "vault_api_token",
        "--compromised",
        "--reason",
        "leaked in CI log",
    ];
    crash(&infra, &args, "promoted", None);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let new = infra.value("vault_api_token");
    let status = text(&infra.ok(&["status"]).stdout);
    assert!(
        status.contains("next: vaultrot rotate vault_api_token --compromised"),
        "{status}"
    );
    infra.fails(&["finish", "vault_api_token"], 1);
    infra.ok(&args);
    assert_closed(
        &infra,
        "vault_api_token",
        &id,
        HistoryEvent::Compromised,
        &new,
    );
    let history = infra.secret("vault_api_token").history;
    assert_eq!(history[0].reason.as_deref(), Some("leaked in CI log"));
    infra.assert_no_leaks(&[OLD_API, &new]);
}

// ---- 10: restore ------------------------------------------------------------------------------

#[test]
fn restore_lists_the_backups_and_brings_back_the_previous_ciphertext() {
    let infra = Infra::new();
    let original = infra.vault_bytes();
    infra.ok(&["start", "vault_api_token"]);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let new = infra.value("vault_api_token_new");
    let dual = infra.vault_bytes();
    infra.ok(&["finish", "vault_api_token"]);
    assert_ne!(infra.vault_bytes(), dual);

    let list = text(&infra.ok(&["restore", "--list", VAULT]).stdout);
    let lines: Vec<&str> = list.lines().collect();
    // start stages, finish promotes, then drops `_previous` after revoke.
    assert_eq!(lines.len(), 3, "one backup per vault write:\n{list}");
    let tag = format!("rotation_{id}");
    assert!(lines.iter().all(|l| l.contains(&tag)), "{list}");
    let first = lines[0].split_whitespace().last().unwrap().to_string();
    assert_eq!(
        fs::read(infra.root.join(".vaultrot/backups").join(&first)).unwrap(),
        original
    );

    // The newest backup: the vault as it was before the last write (the
    // promoted vault, the old value as `_previous`); the one before: dual.
    infra.ok(&["restore", VAULT]);
    assert_eq!(infra.value("vault_api_token"), new);
    assert_eq!(infra.value("vault_api_token_previous"), OLD_API);
    let second = lines[1].split_whitespace().last().unwrap().to_string();
    infra.ok(&["restore", VAULT, "--backup", &second]);
    assert_eq!(infra.vault_bytes(), dual);
    assert_eq!(infra.value("vault_api_token_new"), new);
    assert_eq!(infra.value("vault_api_token"), OLD_API);
    let list = text(&infra.ok(&["restore", "--list", VAULT]).stdout);
    assert_eq!(
        list.lines().count(),
        5,
        "restore keeps what it replaced:\n{list}"
    );

    // A named one: the vault before the rotation.
    infra.ok(&["restore", VAULT, "--backup", &first]);
    assert_eq!(infra.vault_bytes(), original);
    assert_eq!(infra.get("vault_api_token_new"), None);
    infra.assert_no_leaks(&[OLD_API, &new]);
}

// ---- dry runs -----------------------------------------------------------------------------------

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let infra = Infra::new();
    let before = infra.snapshot();
    let out = infra.ok(&[
        "start",
        "vault_redis_password",
        "vault_api_token",
        "--dry-run",
    ]);
    assert_eq!(infra.snapshot(), before, "start --dry-run changed the tree");
    let plan = text(&out.stdout);
    let expect_in_order = [
        "dry run: nothing was written or run",
        "manifest: open rotation",
        &format!(
            "vault {VAULT}: set vault_redis_password_new := the new value, set vault_api_token_new := the new value"
        ),
        "run: ansible-playbook -i inventory/staging.yml -e",
        "playbooks/deploy_redis.yml",
        "run: sh -c 'echo \"api-deploy $VAULTROT_PHASE\" >> deployed/steps.log'",
        "playbooks/verify_redis.yml",
        "run: sh -c 'grep -q api-deploy",
        "CHANGELOG.md: started",
        "manifest: rotation phase dual",
    ];
    let mut at = 0;
    for item in expect_in_order {
        let found = plan[at..]
            .find(item)
            .unwrap_or_else(|| panic!("`{item}` missing or out of order in:\n{plan}"));
        at += found + item.len();
    }
    assert!(plan.contains("\"vaultrot_phase\":\"start\""), "{plan}");
    assert!(plan.contains("--vault-id 'default@<pipe>'"), "{plan}");

    // The same on an open rotation: finish's plan, and still nothing written.
    infra.ok(&["start", "vault_api_token"]);
    let new = infra.value("vault_api_token_new");
    let before = infra.snapshot();
    let out = infra.ok(&["finish", "vault_api_token", "--dry-run"]);
    assert_eq!(
        infra.snapshot(),
        before,
        "finish --dry-run changed the tree"
    );
    let plan = text(&out.stdout);
    for item in [
        "manifest: rotation phase promoting",
        "set vault_api_token_previous := vault_api_token, set vault_api_token := vault_api_token_new, remove vault_api_token_new",
        "remove vault_api_token_previous",
        "run: sh -c 'echo \"api-revoke $VAULTROT_PHASE\" >> deployed/steps.log'",
        "CHANGELOG.md: finished",
        &format!("last_rotation {TODAY}"),
    ] {
        assert!(plan.contains(item), "`{item}` missing in:\n{plan}");
    }
    infra.assert_no_leaks(&[OLD_API, OLD_REDIS, &new]);
}

// ---- engine v2: the promises of issue 8 ------------------------------------------------------

impl Infra {
    /// Rewrites the manifest (`from` must be in it).
    fn edit_manifest(&self, from: &str, to: &str) {
        let path = self.root.join(MANIFEST);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "`{from}` not in the manifest");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// The files a refused command must leave as they were.
    fn written(&self) -> [Vec<u8>; 3] {
        [
            self.vault_bytes(),
            fs::read(self.root.join(MANIFEST)).unwrap(),
            fs::read(self.root.join("CHANGELOG.md")).unwrap(),
        ]
    }
}

const API_REVOKE: &str =
    "      revoke:\n        - run: 'echo \"api-revoke $VAULTROT_PHASE\" >> deployed/steps.log'\n";

/// Makes `vault_api_token`'s revoke a playbook that fails unless it runs in
/// the revoke phase with `X_previous` set (and `condition` true), apart from
/// the value in use and with no `X_new`, and that prints both values carelessly.
fn use_revoke_playbook(infra: &Infra, condition: &str) {
    fs::write(
        infra.root.join("playbooks/revoke_api.yml"),
        format!(
            r#"- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.assert:
        that:
          - vaultrot_phase == 'revoke'
          - {condition}
          - vault_api_token_previous != vault_api_token
          - vault_api_token_new is not defined
        quiet: true
    - ansible.builtin.debug:
        msg: "revoking {{{{ vault_api_token_previous }}}} in favour of {{{{ vault_api_token }}}}"
"#
        ),
    )
    .unwrap();
    infra.edit_manifest(
        API_REVOKE,
        "      revoke:\n        - playbook: playbooks/revoke_api.yml\n",
    );
}

#[test]
fn revoke_sees_the_previous_value_and_it_is_removed_after() {
    let infra = Infra::new();
    // A revoke playbook that fails unless it sees both values, and prints
    // them carelessly (the scrubber must hide them).
    use_revoke_playbook(&infra, "vault_api_token_previous is defined");
    infra.ok(&["start", "vault_api_token"]);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let new = infra.value("vault_api_token_new");
    let out = infra.ok(&["finish", "vault_api_token"]);
    assert!(
        text(&out.stderr).contains("playbooks/revoke_api.yml"),
        "{}",
        show(&out)
    );
    assert_eq!(
        infra.get("vault_api_token_previous"),
        None,
        "_previous left after revoke"
    );
    assert_closed(&infra, "vault_api_token", &id, HistoryEvent::Finished, &new);
    infra.ok(&["lint"]);
    infra.assert_no_leaks(&[OLD_API, &new]);
}

#[test]
fn abort_revokes_the_withdrawn_value_as_previous_and_removes_it_after() {
    let infra = Infra::new();
    infra.ok(&["start", "vault_api_token"]);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let withdrawn = infra.value("vault_api_token_new");
    // The revoke playbook checks it is handed the withdrawn value (kept in a
    // file here, as the vendor would know it), not the one in use, and
    // prints both carelessly.
    // Outside the infra, which the leak check reads whole.
    let known = infra.root.parent().unwrap().join("withdrawn");
    fs::write(&known, &withdrawn).unwrap();
    use_revoke_playbook(
        &infra,
        &format!(
            "vault_api_token_previous == lookup('ansible.builtin.file', '{}')",
            known.display()
        ),
    );
    let out = infra.ok(&["abort", "vault_api_token"]);
    assert!(
        text(&out.stderr).contains("playbooks/revoke_api.yml"),
        "{}",
        show(&out)
    );
    assert_eq!(infra.get("vault_api_token_previous"), None);
    assert_eq!(infra.get("vault_api_token_new"), None);
    assert_closed(
        &infra,
        "vault_api_token",
        &id,
        HistoryEvent::Aborted,
        OLD_API,
    );
    infra.ok(&["lint"]);
    infra.assert_no_leaks(&[OLD_API, &withdrawn]);
}

#[test]
fn rollback_after_promotion_puts_the_previous_value_back() {
    // Revoke fails (the service is not ready): the old value is still in
    // `_previous`, so the operator can roll back.
    let infra = Infra::new();
    infra.edit_manifest(
        API_REVOKE,
        "      revoke:\n        - run: 'test -f deployed/revoke-ok'\n",
    );
    infra.ok(&["start", "vault_api_token"]);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let new = infra.value("vault_api_token_new");
    let err = infra.fails(&["finish", "vault_api_token"], 1);
    assert!(
        err.contains("revoke step failed") && err.contains("vaultrot rollback vault_api_token"),
        "{err}"
    );
    assert_eq!(
        infra.rotation("vault_api_token").unwrap().1,
        RotationPhase::Promoted
    );
    assert_eq!(infra.value("vault_api_token_previous"), OLD_API);
    let status = text(&infra.ok(&["status"]).stdout);
    assert!(
        status.contains("vaultrot rollback vault_api_token"),
        "{status}"
    );

    infra.ok(&["rollback", "vault_api_token"]);
    assert_eq!(infra.value("vault_api_token"), OLD_API);
    assert_eq!(infra.get("vault_api_token_previous"), None);
    assert_eq!(infra.get("vault_api_token_new"), None);
    let secret = infra.secret("vault_api_token");
    assert_eq!(secret.rotation, None);
    assert_eq!(
        secret.history.last().unwrap().event,
        HistoryEvent::RolledBack
    );
    assert_eq!(
        secret.last_rotation.map(|d| d.to_string()).as_deref(),
        Some(BEFORE)
    );
    assert_eq!(
        infra.changelog_count("rolled back", &id),
        1,
        "{}",
        infra.changelog()
    );
    assert!(
        infra.steps().contains(&"api-deploy rollback".to_string()),
        "{:?}",
        infra.steps()
    );
    infra.ok(&["lint"]);
    infra.assert_no_leaks(&[OLD_API, &new]);
}

#[test]
fn a_manual_step_without_a_terminal_waits_then_confirm_goes_on() {
    let infra = Infra::new();
    infra.edit_manifest(
        API_REVOKE,
        &format!("{API_REVOKE}        - manual: \"Revoke the old token in the API dashboard\"\n"),
    );
    infra.ok(&["start", "vault_api_token"]);
    let (id, _) = infra.rotation("vault_api_token").unwrap();
    let new = infra.value("vault_api_token_new");
    let err = infra.fails(&["finish", "vault_api_token"], 10);
    assert!(
        err.contains("Revoke the old token in the API dashboard")
            && err.contains("vaultrot finish vault_api_token --confirm"),
        "{err}"
    );
    let secret = infra.secret("vault_api_token");
    let r = secret.rotation.unwrap();
    assert_eq!(
        r.awaiting.as_deref(),
        Some("Revoke the old token in the API dashboard")
    );
    assert!(
        secret.history.is_empty(),
        "recorded before the manual step was done"
    );
    let status = text(&infra.ok(&["status"]).stdout);
    assert!(
        status.contains("awaiting: Revoke the old token")
            && status.contains("next: vaultrot finish vault_api_token --confirm"),
        "{status}"
    );
    let json = text(&infra.ok(&["status", "--format", "json"]).stdout);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["open"][0]["awaiting"],
        "Revoke the old token in the API dashboard"
    );

    let out = infra.run_full(
        &["finish", "vault_api_token", "--confirm"],
        None,
        &[("VAULTROT_USER", "bob")],
    );
    assert!(out.status.success(), "{}", show(&out));
    let secret = infra.secret("vault_api_token");
    assert_eq!(secret.rotation, None);
    assert_eq!(infra.value("vault_api_token"), new);
    assert!(
        infra.changelog().contains(&format!(
            "(rotation {id}, {TODAY}, by bob; manual steps confirmed by bob)"
        )),
        "{}",
        infra.changelog()
    );
    infra.assert_no_leaks(&[OLD_API, &new]);
}

#[test]
fn known_failures_are_refused_before_the_first_write() {
    let infra = Infra::new();
    let before = infra.written();
    // A secret named twice is a usage error.
    let err = infra.fails(&["start", "vault_api_token", "vault_api_token"], 2);
    assert!(err.contains("named twice"), "{err}");
    assert_eq!(infra.written(), before);

    // ansible-playbook missing: nothing written, a clear message.
    let out = infra.run_full(
        &["start", "vault_redis_password"],
        None,
        &[("PATH", "/usr/bin:/bin")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("ansible-playbook was not found"),
        "{}",
        show(&out)
    );
    assert!(
        text(&out.stderr).contains("nothing was written"),
        "{}",
        show(&out)
    );
    assert_eq!(infra.written(), before);

    // An external secret and no value on stdin nor a terminal.
    let err = infra.fails(&["rotate", "vault_telegram_bot_token"], 1);
    assert!(err.contains("--value-stdin"), "{err}");
    assert_eq!(infra.written(), before);

    // A missing playbook.
    infra.edit_manifest(
        "playbooks/verify_redis.yml",
        "playbooks/verify_redis_gone.yml",
    );
    let err = infra.fails(&["start", "vault_redis_password"], 1);
    assert!(
        err.contains("playbooks/verify_redis_gone.yml not found"),
        "{err}"
    );
    let before = infra.written();
    // extra_vars naming a vault variable: the manifest reader refuses it.
    infra.edit_manifest(
        "        - playbook: playbooks/deploy_redis.yml\n",
        "        - playbook: playbooks/deploy_redis.yml\n          extra_vars: {vault_redis_password: x}\n",
    );
    let err = infra.fails(&["start", "vault_redis_password"], 2);
    assert!(err.contains("names a vault variable"), "{err}");
    assert_eq!(infra.written()[0], before[0]);
}

#[test]
fn a_group_moves_as_one() {
    let infra = Infra::new();
    let mut args = vec!["start", "--value-stdin"];
    args.extend(SLACK);
    infra.ok_with(
        &args,
        Some(&format!(
            "{NEW_SLACK_BOT}\n{NEW_SLACK_APP}\n{NEW_SLACK_SIGNING}\n"
        )),
    );
    let before = infra.written();
    for command in ["finish", "abort"] {
        let err = infra.fails(&[command, SLACK[0]], 1);
        assert!(
            err.contains("name the whole group") && SLACK.iter().all(|s| err.contains(s)),
            "{err}"
        );
        assert_eq!(infra.written(), before);
    }
    let mut args = vec!["abort"];
    args.extend(SLACK);
    infra.ok(&args);
    for name in SLACK {
        assert_eq!(infra.secret(name).rotation, None);
    }
    infra.assert_no_leaks(&[
        OLD_SLACK_BOT,
        NEW_SLACK_BOT,
        NEW_SLACK_APP,
        NEW_SLACK_SIGNING,
    ]);
}

#[test]
fn a_vault_changed_behind_an_open_window_is_refused_and_nothing_recorded() {
    let infra = Infra::new();
    infra.ok(&["start", "vault_api_token"]);
    let new = infra.value("vault_api_token_new");
    // The newest backup is the vault before `start`: no `_new` (restore
    // refuses to drop it unless forced, as a `git checkout` would not).
    infra.ok(&["restore", "--force", VAULT]);
    assert_eq!(infra.get("vault_api_token_new"), None);
    let before = infra.written();
    let err = infra.fails(&["finish", "vault_api_token", "--force"], 1);
    assert!(
        err.contains("`vault_api_token_new` is missing") && err.contains("vaultrot restore"),
        "{err}"
    );
    assert_eq!(infra.written(), before, "a refused finish wrote something");
    assert!(infra.secret("vault_api_token").history.is_empty());
    assert!(!infra.steps().iter().any(|s| s.contains("revoke")));
    infra.assert_no_leaks(&[OLD_API, &new]);
}

#[test]
fn a_secret_without_verify_steps_does_not_rotate_silently() {
    let infra = Infra::new();
    let verify = format!(
        "      verify:\n        - run: {}\n",
        yaml_quoted(&Opts::default().api_verify)
    );
    infra.edit_manifest(&verify, "");
    let before = infra.written();
    let err = infra.fails(&["start", "vault_api_token"], 1);
    assert!(
        err.contains("has no verify step") && err.contains("skip"),
        "{err}"
    );
    let err = infra.fails(&["verify", "vault_api_token"], 1);
    assert!(err.contains("has no verify step"), "{err}");
    assert_eq!(infra.written(), before);
    // With a recorded reason it rotates.
    infra.edit_manifest(
        API_REVOKE,
        &format!("      verify: {{skip: true, reason: no health endpoint}}\n{API_REVOKE}"),
    );
    infra.ok(&["start", "vault_api_token"]);
}

#[test]
fn compromised_during_a_window_uses_a_fresh_value_and_resumes_with_its_reason() {
    let infra = Infra::new();
    infra.ok(&["start", "vault_api_token"]);
    let staged = infra.value("vault_api_token_new");
    let args = [
        "rotate",
        "vault_api_token",
        "--compromised",
        "--reason",
        "token in a screenshot",
    ];
    crash(&infra, &args, "promoted", None);
    let fresh = infra.value("vault_api_token");
    assert_ne!(fresh, staged, "the staged value was promoted");
    assert_ne!(fresh, OLD_API);
    // Re-run without --reason: the recorded one is kept.
    infra.ok(&["rotate", "vault_api_token", "--compromised"]);
    let secret = infra.secret("vault_api_token");
    let last = secret.history.last().unwrap();
    assert_eq!(last.event, HistoryEvent::Compromised);
    assert_eq!(last.reason.as_deref(), Some("token in a screenshot"));
    assert_eq!(infra.value("vault_api_token"), fresh);
    assert_eq!(infra.get("vault_api_token_new"), None);
    assert_eq!(infra.get("vault_api_token_previous"), None);
    infra.assert_no_leaks(&[OLD_API, &staged, &fresh]);
}

/// Lines of `deployed/steps.log` that start with `prefix`.
fn steps_starting(infra: &Infra, prefix: &str) -> usize {
    infra
        .steps()
        .iter()
        .filter(|l| l.starts_with(prefix))
        .count()
}

#[test]
fn verify_reports_drift_per_secret_and_repair_restores_redis() {
    let redis = Redis::start();
    let infra = Infra::with(Opts {
        redis_port: Some(redis.port),
        ..Opts::default()
    });
    plain_deploy(&infra);
    fs::write(
        infra.root.join("deployed/steps.log"),
        "api-deploy\ntelegram-deploy\nslack-deploy\n",
    )
    .unwrap();
    infra.ok(&["verify"]);
    // Someone resets the password of `app` by hand, behind vaultrot's back.
    let out = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &redis.port.to_string()])
        .args(["ACL", "SETUSER", "app", "resetpass", ">changed-by-hand-Xy7"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(!redis.accepts(OLD_REDIS));
    fs::write(
        infra.root.join("deployed/steps.log"),
        "api-deploy\ntelegram-deploy\nslack-deploy\n",
    )
    .unwrap();
    let before = infra.written();

    let out = infra.run(&["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |name: &str| {
        report["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["secret"] == name)
            .unwrap_or_else(|| panic!("{name} not in {report}"))["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("vault_redis_password"), "drift");
    for name in ["vault_telegram_bot_token", "vault_api_token"]
        .into_iter()
        .chain(SLACK)
    {
        assert_eq!(status(name), "ok", "{name}");
    }
    assert_eq!(report["failing"], 1);
    // The other checks ran after the Redis one failed; the shared Slack step once.
    assert_eq!(
        steps_starting(&infra, "api-verify"),
        1,
        "{:?}",
        infra.steps()
    );
    assert_eq!(steps_starting(&infra, "telegram-verify"), 1);
    assert_eq!(steps_starting(&infra, "slack-verify"), 1);
    assert!(text(&out.stderr).contains("vault_redis_password"));
    assert_eq!(infra.written(), before, "verify alone writes nothing");
    let out = infra.run(&["verify", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let gh = text(&out.stdout);
    assert!(
        gh.lines().filter(|l| l.starts_with("::error ")).eq([gh
            .lines()
            .find(|l| l.contains("title=vault_redis_password drift"))
            .unwrap()]),
        "{gh}"
    );

    // --repair redeploys from the vault (the source of truth) and records it.
    infra.edit_manifest(
        "      policy: database_password\n",
        "      policy: database_password\n      owner: platform\n",
    );
    let out = infra.ok(&["verify", "--repair", "--owner", "platform"]);
    let table = text(&out.stdout);
    assert!(table.contains("vault_redis_password  repaired"), "{table}");
    assert!(
        redis.accepts(OLD_REDIS),
        "repair did not restore the password"
    );
    assert!(!redis.accepts("changed-by-hand-Xy7"));
    let secret = infra.secret("vault_redis_password");
    let last = secret.history.last().unwrap();
    assert_eq!(last.event, HistoryEvent::Repaired);
    assert_eq!(secret.last_rotation.unwrap().to_string(), BEFORE);
    assert!(secret.rotation.is_none());
    assert!(infra.secret("vault_api_token").history.is_empty());
    let repaired: Vec<_> = infra
        .changelog()
        .lines()
        .filter(|l| l.contains("redeployed from the vault after drift"))
        .map(str::to_string)
        .collect();
    assert_eq!(repaired.len(), 1, "{}", infra.changelog());
    assert!(
        repaired[0].contains("`vault_redis_password`"),
        "{}",
        repaired[0]
    );
    infra.ok(&["verify"]);
    infra.ok(&["lint"]);
    infra.assert_no_leaks(&[OLD_REDIS]);
}

#[test]
fn verify_after_checks_a_failed_step_once_more_before_calling_it_drift() {
    // Fails on its first run, passes from the second (a service warming up).
    let infra = Infra::with(Opts {
        api_verify: "test -f deployed/warm || { touch deployed/warm; exit 1; }".into(),
        ..Opts::default()
    });
    let err = infra.fails(&["verify", "vault_api_token"], 1);
    assert!(
        err.contains("`vault_api_token` verify step failed"),
        "{err}"
    );
    fs::remove_file(infra.root.join("deployed/warm")).unwrap();
    let out = infra.ok(&["verify", "vault_api_token", "--after", "0s"]);
    assert!(
        text(&out.stdout).contains("vault_api_token  ok"),
        "{}",
        show(&out)
    );
}
