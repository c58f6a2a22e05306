//! `vaultrot rotate-due` end to end: the real binary driving the real
//! `ansible-playbook` against a real Redis over three days of
//! `VAULTROT_NOW`, compared with a twin infra rotated by hand with
//! start/rotate/finish at the same times; plus the cheap guarantees (a
//! rotation a person opened is left alone, `--max`, `--dry-run`).
//!
//! Needs ansible-core (`VAULTROT_ANSIBLE_BIN`) and redis-server/redis-cli
//! (`scripts/install-test-deps.sh`); without them the tests fail, never skip.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::infra::Skeleton;
use common::redis::Redis;
use common::{show, text};
use tempfile::TempDir;
use vaultrot::manifest::Manifest;

const VAULT_PASSWORD: &str = "due-vault-pw-Hk29xLqa";
const VAULT: &str = "group_vars/all/vault.yml";
const MANIFEST: &str = "group_vars/all/_secrets_manifest.yml";
const OLD_REDIS: &str = "old-redis-Pw-8c1d2e3f";
const OLD_API: &str = "old-api-token-Wq4zR7nB";

const DAY1: &str = "2026-03-15T02:00:00Z";
const DAY2: &str = "2026-03-16T02:00:00Z";
const DAY3: &str = "2026-03-17T02:00:00Z";

const CHANGELOG: &str = "# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2025-01-10\n\n### Added\n- The first deployment.\n";

/// The Redis dual secret (due 2026-03-20, acted on from 2026-03-06, a 2-day
/// window) and a swap token overdue since 2026-03-03, both `auto: true`.
fn redis_manifest() -> String {
    format!(
        r#"secrets_manifest:
  version: 1
  defaults:
    vault: {VAULT}
    inventory: inventory/staging.yml
    changelog: CHANGELOG.md
  policies:
    database_password: {{ max_age: 90d, warn_before: 14d, min_window: 2d, auto: true }}
    api_token: {{ max_age: 30d, warn_before: 7d, strategy: swap, auto: true }}
  secrets:
    vault_redis_password:
      policy: database_password
      last_rotation: 2025-12-20
      generate: {{ length: 32, charset: hex }}
      deploy:
        - playbook: playbooks/deploy_redis.yml
      verify:
        - playbook: playbooks/verify_redis.yml

    vault_api_token:
      policy: api_token
      last_rotation: 2026-02-01
      generate: {{ length: 40, charset: alnum }}
      deploy:
        - run: 'echo "api-deploy $VAULTROT_PHASE" >> deployed/steps.log'
      verify:
        - run: 'grep -q api-deploy deployed/steps.log'
"#
    )
}

/// Three cheap dual secrets, all due: `vault_a` most overdue, `vault_b`,
/// and `vault_person` (a person opens its rotation first).
fn cheap_manifest() -> String {
    let secret = |name: &str, last: &str| {
        format!(
            r#"    {name}:
      policy: token
      last_rotation: {last}
      generate: {{ length: 24 }}
      deploy:
        - run: 'echo "{name}-deploy $VAULTROT_PHASE" >> deployed/steps.log'
      verify:
        - run: 'grep -q {name}-deploy deployed/steps.log'
"#
        )
    };
    format!(
        "secrets_manifest:\n  version: 1\n  defaults:\n    vault: {VAULT}\n    inventory: inventory/staging.yml\n    changelog: CHANGELOG.md\n  policies:\n    token: {{ max_age: 30d, min_window: 1d, auto: true }}\n  secrets:\n{}{}{}",
        secret("vault_a", "2025-01-01"),
        secret("vault_b", "2025-06-01"),
        secret("vault_person", "2025-03-01"),
    )
}

struct Infra {
    root: PathBuf,
    home: PathBuf,
    _tmp: TempDir,
}

impl Infra {
    fn new(manifest: &str, vault: &str, redis_port: Option<u16>) -> Infra {
        let skeleton = Skeleton::redis(VAULT_PASSWORD, redis_port);
        let root = &skeleton.root;
        fs::write(root.join(MANIFEST), manifest).unwrap();
        fs::write(root.join("CHANGELOG.md"), CHANGELOG).unwrap();
        fs::write(root.join(VAULT), vault).unwrap();
        let infra = Infra {
            root: skeleton.root,
            home: skeleton.home,
            _tmp: skeleton.tmp,
        };
        let out = infra
            .command_of(&common::vaultrot(), &["encrypt", VAULT], DAY1, "tester")
            .output()
            .unwrap();
        assert!(out.status.success(), "encrypt failed:\n{}", show(&out));
        infra
    }

    fn command_of(&self, program: &Path, args: &[&str], now: &str, user: &str) -> Command {
        let mut cmd = common::infra_command(program, &self.root, &self.home, now, args);
        cmd.env("VAULTROT_USER", user);
        cmd
    }

    /// `vaultrot ARGS` on day `now`, as `tester`; must succeed.
    fn ok(&self, args: &[&str], now: &str) -> String {
        self.ok_as(args, now, "tester")
    }

    /// `vaultrot check-age ARGS` on day `now` (exit 1: something is overdue).
    fn check_age(&self, args: &[&str], now: &str) -> String {
        let out = self
            .command_of(&common::vaultrot(), args, now, "tester")
            .output()
            .unwrap();
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", show(&out));
        text(&out.stdout)
    }

    fn ok_as(&self, args: &[&str], now: &str, user: &str) -> String {
        let out = self
            .command_of(&common::vaultrot(), args, now, user)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "vaultrot {args:?} failed:\n{}",
            show(&out)
        );
        text(&out.stdout)
    }

    fn read(&self, file: &str) -> String {
        fs::read_to_string(self.root.join(file)).unwrap()
    }

    /// The vault's keys (`vaultrot view`) and their exact values (`vaultrot get`).
    fn vault(&self) -> BTreeMap<String, String> {
        let view = self.ok(&["view", VAULT], DAY1);
        view.lines()
            .filter(|l| !l.starts_with('#') && l.contains(": "))
            .map(|l| {
                let key = l.split_once(": ").unwrap().0.to_string();
                let value = self.ok(&["get", VAULT, &key], DAY1);
                (key, value)
            })
            .collect()
    }

    fn manifest(&self) -> Manifest {
        Manifest::load(&self.root.join(MANIFEST)).unwrap()
    }

    /// Every file of the tree with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        common::infra::snapshot(&self.root)
    }
}

/// Rotation ids (`r-<time>-<random>`) become `r-ID`, and who ran it `WHO`.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("r-2026") {
        out.push_str(&rest[..at]);
        out.push_str("r-ID");
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replace("rotate-due", "WHO").replace("tester", "WHO")
}

/// The files rotate-due listed after its `changed files:` header.
fn changed_files(stdout: &str) -> BTreeSet<String> {
    let (_, list) = stdout
        .split_once("changed files:\n")
        .unwrap_or_else(|| panic!("no changed files header:\n{stdout}"));
    list.lines().map(str::to_string).collect()
}

fn plain_deploy(infra: &Infra) {
    let out = infra
        .command_of(
            &common::ansible("ansible-playbook"),
            &["playbooks/deploy_redis.yml"],
            DAY1,
            "tester",
        )
        .output()
        .unwrap();
    assert!(out.status.success(), "plain deploy failed:\n{}", show(&out));
}

#[test]
fn three_nights_of_rotate_due_equal_two_manual_rotations() {
    let vault = format!("vault_redis_password: {OLD_REDIS}\nvault_api_token: {OLD_API}\n");
    let (redis_auto, redis_hand) = (Redis::start(), Redis::start());
    let auto = Infra::new(&redis_manifest(), &vault, Some(redis_auto.port));
    let hand = Infra::new(&redis_manifest(), &vault, Some(redis_hand.port));
    plain_deploy(&auto);
    plain_deploy(&hand);
    assert!(redis_auto.accepts(OLD_REDIS));

    // Day 1: the overdue swap token is rotated, the due Redis password's window opens.
    let day1 = auto.ok(&["rotate-due"], DAY1);
    let out = day1.clone();
    let changed = changed_files(&out);
    let expect: BTreeSet<String> = [MANIFEST, VAULT, "CHANGELOG.md"]
        .iter()
        .map(|f| f.to_string())
        .collect();
    assert_eq!(changed, expect, "{out}");
    let m = auto.manifest();
    let r = m.secret("vault_redis_password").unwrap().rotation.clone();
    assert_eq!(r.and_then(|r| r.by).as_deref(), Some("rotate-due"), "{out}");
    assert!(m.secret("vault_api_token").unwrap().rotation.is_none());
    let new = auto.vault()["vault_redis_password_new"].clone();
    assert!(
        redis_auto.accepts(OLD_REDIS),
        "old refused in the window:\n{out}"
    );
    assert!(
        redis_auto.accepts(&new),
        "new refused in the window ({}):\n{out}",
        redis_auto.auth(&new)
    );
    hand.ok(&["rotate", "vault_api_token"], DAY1);
    hand.ok(&["start", "vault_redis_password"], DAY1);

    // Day 2: the window has not lasted its min_window (2d): nothing changes.
    let before = auto.snapshot();
    let out = auto.ok(&["rotate-due"], DAY2);
    assert!(out.contains("acts on 2026-03-17"), "{out}");
    assert!(changed_files(&out).is_empty(), "{out}");
    assert_eq!(auto.snapshot(), before);

    // Day 3: finish (it verifies itself).
    let out = auto.ok(&["rotate-due"], DAY3);
    assert!(out.contains("finish vault_redis_password"), "{out}");
    for value in [OLD_REDIS, OLD_API, &new] {
        assert!(
            !day1.contains(value) && !out.contains(value),
            "a value was printed"
        );
    }
    hand.ok(&["finish", "vault_redis_password"], DAY3);

    for file in [MANIFEST, "CHANGELOG.md"] {
        assert_eq!(
            normalise(&auto.read(file)),
            normalise(&hand.read(file)),
            "{file} differs from the manual rotations"
        );
    }
    let (auto_vault, hand_vault) = (auto.vault(), hand.vault());
    assert_eq!(
        auto_vault.keys().collect::<Vec<_>>(),
        hand_vault.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        auto_vault.keys().collect::<Vec<_>>(),
        ["vault_api_token", "vault_redis_password"]
    );
    assert_ne!(auto_vault["vault_api_token"], OLD_API);
    assert_eq!(auto_vault["vault_redis_password"], new);
    // The service takes the new password only.
    assert!(redis_auto.accepts(&new), "new password refused");
    assert!(
        !redis_auto.accepts(OLD_REDIS),
        "old password still accepted"
    );
    // A fourth night has nothing to do.
    let out = auto.ok(&["rotate-due"], "2026-03-18T02:00:00Z");
    assert!(changed_files(&out).is_empty(), "{out}");
}

#[test]
fn a_person_opened_rotation_is_left_alone_max_caps_starts_and_dry_run_writes_nothing() {
    let vault =
        "vault_a: old-a-value-0001\nvault_b: old-b-value-0002\nvault_person: old-p-value-0003\n";
    let infra = Infra::new(&cheap_manifest(), vault, None);
    infra.ok_as(&["start", "vault_person"], DAY1, "alice");
    // The open rotation of `vault_person`, wherever it sits in the file.
    let person_of = |m: &Manifest| {
        m.secret("vault_person")
            .unwrap()
            .rotation
            .clone()
            .map(|mut r| {
                r.pos = Default::default();
                r
            })
    };
    let person = person_of(&infra.manifest());
    assert!(person.is_some());

    // --dry-run: the plan, and not a byte changed.
    let before = infra.snapshot();
    let out = infra.ok(&["rotate-due", "--dry-run", "--max", "1"], DAY3);
    assert_eq!(infra.snapshot(), before, "--dry-run wrote:\n{out}");
    assert!(out.contains("start  vault_a"), "{out}");
    assert!(out.contains("held   vault_b"), "{out}");
    assert!(out.contains("opened by alice"), "{out}");
    assert!(!out.contains("changed files:"), "{out}");

    // --max 1 starts the most overdue one only; alice's window is untouched.
    let out = infra.ok(&["rotate-due", "--max", "1"], DAY3);
    let m = infra.manifest();
    let rotation_by = |name: &str| m.secret(name).unwrap().rotation.clone().and_then(|r| r.by);
    assert_eq!(
        rotation_by("vault_a").as_deref(),
        Some("rotate-due"),
        "{out}"
    );
    assert_eq!(rotation_by("vault_b"), None, "{out}");
    assert_eq!(person_of(&m), person);
    // status and check-age say what rotate-due does next, and when.
    let status = infra.ok(&["status", "--format", "json"], DAY3);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    let row = |name: &str| {
        status["open"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(row("vault_a")["auto"], true, "{status}");
    assert_eq!(row("vault_a")["auto_action"], serde_json::Value::Null);
    assert_eq!(row("vault_a")["auto_on"], "2026-03-18");
    assert_eq!(row("vault_person")["auto"], false, "{status}");
    let table = infra.ok(&["status"], DAY3);
    assert!(
        table.contains("auto: rotate-due finish on 2026-03-18"),
        "{table}"
    );
    let ages = infra.check_age(&["check-age", "--format", "json"], DAY3);
    let ages: serde_json::Value = serde_json::from_str(&ages).unwrap();
    let age = |name: &str| {
        ages["secrets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(age("vault_b")["auto"], true, "{ages}");
    assert_eq!(age("vault_b")["auto_action"], "start");
    assert_eq!(age("vault_b")["auto_on"], "2026-03-17");
    assert_eq!(age("vault_a")["auto_action"], serde_json::Value::Null);
    assert_eq!(age("vault_a")["auto_on"], "2026-03-18");
    let table = infra.check_age(&["check-age"], DAY3);
    assert!(table.contains("rotate-due: start today"), "{table}");
    // Every format that speaks per secret says it too.
    for format in ["github", "junit", "markdown"] {
        let out = infra.check_age(&["check-age", "--format", format], DAY3);
        // From vault_b's name to the next secret's (a line, or a junit testcase).
        let at = out
            .find("vault_b")
            .unwrap_or_else(|| panic!("{format}: no vault_b: {out}"));
        let rest = &out[at + 1..];
        let next = ["vault_a", "vault_person"]
            .iter()
            .filter_map(|other| rest.find(other))
            .min();
        let about_b = &rest[..next.unwrap_or(rest.len())];
        assert!(
            about_b.contains("rotate-due: start today"),
            "{format}: {out}"
        );
    }

    // Days later, even past min_window, alice's window is still hers to finish.
    let out = infra.ok(&["rotate-due"], "2026-04-01T02:00:00Z");
    let m = infra.manifest();
    assert_eq!(person_of(&m), person, "{out}");
    assert!(m.secret("vault_a").unwrap().rotation.is_none(), "{out}");
    assert!(m.secret("vault_b").unwrap().rotation.is_some(), "{out}");
}

#[test]
fn a_failed_rotation_exits_1_and_the_others_still_run() {
    let manifest = cheap_manifest().replace(
        "        - run: 'grep -q vault_a-deploy deployed/steps.log'",
        "        - run: 'false'",
    );
    let vault =
        "vault_a: old-a-value-0001\nvault_b: old-b-value-0002\nvault_person: old-p-value-0003\n";
    let infra = Infra::new(&manifest, vault, None);
    let out = infra
        .command_of(&common::vaultrot(), &["rotate-due"], DAY1, "tester")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("rotate-due: start vault_a failed"),
        "{stderr}"
    );
    let m = infra.manifest();
    for name in ["vault_b", "vault_person"] {
        let by = m.secret(name).unwrap().rotation.clone().and_then(|r| r.by);
        assert_eq!(by.as_deref(), Some("rotate-due"), "{name}: {}", show(&out));
    }
    assert!(
        text(&out.stdout).contains("changed files:\n"),
        "{}",
        show(&out)
    );
}
